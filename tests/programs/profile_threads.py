"""profile_threads.py — two threads in decorated functions at once; each table row
must see only its own thread's bytes.

Thread A allocates 10,000,057 bytes (bytearray(10_000_000)) and then waits; thread B
waits 0.2 s (while A allocates) and then allocates 20,000,057 bytes while A waits. So
A's waiting line runs while B's 20 MB arrive, and B's sleeping line while A's 10 MB
do: both must stay near 0, and the allocating lines exact.
"""
import threading
import time

try:
    profile
except NameError:
    def profile(func):
        return func

start = threading.Barrier(2)
both_hold = threading.Barrier(2)
# Neither frees before both have left both_hold's line: so that line ends, in each
# thread, with both blocks live (its Mem usage, the whole process's, shows 30 MB).
both_done = threading.Barrier(2)


@profile
def work_a():
    start.wait()
    a = bytearray(10_000_000)
    both_hold.wait()
    both_done.wait()
    del a


@profile
def work_b():
    start.wait()
    time.sleep(0.2)
    b = bytearray(20_000_000)
    both_hold.wait()
    both_done.wait()
    del b


if __name__ == '__main__':
    threads = [threading.Thread(target=work_a), threading.Thread(target=work_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print('threads done')
