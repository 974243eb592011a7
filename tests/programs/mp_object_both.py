"""mp_object_both.py — the profile builtin of `python -m memory_profiler` used as the
LineProfiler it is there (memory_profiler 0.61 has no print_stats): add_function,
`with profile:`, enable_by_count/disable_by_count; its one table is printed at exit."""
import sys


def fill(n):
    kept = bytearray(n)
    spare = bytearray(n)
    del spare
    return kept


def untouched(n):
    return n


profile.add_function(fill)  # noqa: F821
profile.add_function(untouched)  # noqa: F821
with profile:  # noqa: F821
    first = fill(3_000_000)
profile.enable_by_count()  # noqa: F821
profile.enable_by_count()  # noqa: F821
second = fill(2_000_000)
profile.disable_by_count()  # noqa: F821
third = fill(1_000_000)
profile.disable_by_count()  # noqa: F821
fourth = fill(1_000_000)
sys.exit(6)
