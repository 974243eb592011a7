"""mp_stream.py — memory_profiler's @profile(stream=fp) (its README's REPORTING): each
call's table goes to the file, at the precision given; another function imported the
same way with @profile(precision=4) prints its table as the decorator does."""
import sys

from memory_profiler import profile

log = open(sys.argv[1], 'w+')


@profile(stream=log, precision=4)
def my_func():
    a = [1] * (10 ** 5)
    b = [2] * (2 * 10 ** 6)
    del b
    return a


@profile(precision=4)
def other():
    c = bytearray(2_000_000)
    return len(c)


my_func()
my_func()
other()
log.close()
