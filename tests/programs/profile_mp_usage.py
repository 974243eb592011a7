"""profile_mp_usage.py — memory_profiler's other names under mprof run.

`profile` is mprof's, and so is memory_usage, from mprof's memory_profiler module
whether the original package is installed (Debian's python3-memory-profiler, for
/usr/bin/python3) or not: a script written for memory_profiler runs unchanged.
"""
import memory_profiler
from memory_profiler import profile


@profile
def grab():
    block = bytearray(4_000_000)
    return block


if __name__ == '__main__':
    grab()
    from memory_profiler import memory_usage
    samples = memory_usage(-1, interval=0.05, timeout=0.2)
    print('memory_usage gave MiB:', bool(samples) and all(
        isinstance(sample, float) and sample > 1 for sample in samples))
    print('memory_usage from:', memory_profiler.__file__)
