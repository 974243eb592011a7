"""mp_readme.py — memory_profiler's README example as written there, but for the list's
size (2 * 10 ** 6, not 10 ** 7): @profile with no import, for `python -m
memory_profiler`; and the same function imported with `from memory_profiler import
profile` when given `import` (the README's "Decorator" section)."""
import sys

if sys.argv[1:] == ['import']:
    from memory_profiler import profile


@profile  # noqa: F821
def my_func():
    a = [1] * (10 ** 6)
    b = [2] * (2 * 10 ** 6)
    del b
    return a


if __name__ == '__main__':
    my_func()
