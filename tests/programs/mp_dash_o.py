"""mp_dash_o.py — for `python -m memory_profiler -o FILE`: two decorated functions, one
called twice, a loop whose header counts its iterations, then an exit status of its own."""
import sys


@profile  # noqa: F821
def grow(n):
    parts = []
    for _ in range(3):
        parts.append(bytearray(n))
    return parts


@profile  # noqa: F821
def shrink(parts):
    del parts[0]
    return len(parts)


kept = grow(1_000_000)
shrink(kept)
grow(500_000)
sys.exit(5)
