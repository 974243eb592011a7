"""mp_tables.py — a script for memory_profiler's `python -m memory_profiler`: two
decorated functions (one called twice), then an exit status of its own."""
import sys


@profile  # noqa: F821
def grow():
    block = bytearray(3_000_000)
    return block


@profile  # noqa: F821
def shrink(block):
    del block[:1_000_000]
    return len(block)


kept = grow()
shrink(kept)
grow()
sys.exit(3)
