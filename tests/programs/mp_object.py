"""mp_object.py — the profile builtin as an object, as `python -m memory_profiler` gives
it: add_function, `with profile:`, enable_by_count/disable_by_count, print_stats; and
LineProfiler and show_results by themselves, on the exact heap and on RSS."""
import sys

from memory_profiler import LineProfiler, show_results


def fill(n):
    kept = bytearray(n)
    spare = bytearray(n)
    del spare
    return kept


profile.add_function(fill)  # noqa: F821
with profile:  # noqa: F821
    first = fill(10_000_000)
profile.enable_by_count()  # noqa: F821
second = fill(10_000_000)
profile.disable_by_count()  # noqa: F821
print('object tables:')
profile.print_stats(stream=sys.stdout, precision=6)  # noqa: F821

exact = LineProfiler(backend='mprof')
third = exact(fill)(3_000_000)
print('exact tables:')
show_results(exact, precision=6)
rss = LineProfiler()
rss.add_function(fill)
rss.runctx('fourth = fill(2_000_000)', globals(), globals())
print('rss backend:', rss.backend)
show_results(rss)
