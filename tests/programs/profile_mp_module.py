"""profile_mp_module.py — `import memory_profiler` and `@memory_profiler.profile`, as
in memory_profiler's documentation; see profile_mp_from.py."""
import memory_profiler


@memory_profiler.profile
def grab():
    block = bytearray(3_000_000)
    return block


if __name__ == '__main__':
    grab()
    print('memory_profiler file:', getattr(memory_profiler, '__file__', None))
