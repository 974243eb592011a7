"""profile_mp_from.py — a script written for memory_profiler: `from memory_profiler
import profile`. Under mprof run it must get mprof's decorator, even where the
original package is installed (Debian's /usr/bin/python3 has it). Prints where the
module came from: mprof's is lib/mprof/python/memory_profiler.py.
"""
import memory_profiler
from memory_profiler import profile


@profile
def grab():
    block = bytearray(2_000_000)
    return block


if __name__ == '__main__':
    grab()
    print('memory_profiler file:', getattr(memory_profiler, '__file__', None))
