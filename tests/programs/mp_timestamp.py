"""mp_timestamp.py — memory_profiler's timestamps: a decorated function (no import: the
profile builtin, a TimeStamper under `python -m memory_profiler --timestamp` and under
memory_profiler's `mprof run`) and `with profile.timestamp(name):` blocks, nested three
deep, then an exit status of its own."""
import sys


@profile  # noqa: F821
def work(n):
    with profile.timestamp("inner"):  # noqa: F821
        block = bytearray(n)
    return len(block)


with profile.timestamp("load"):  # noqa: F821
    work(5_000_000)
work(1_000_000)
sys.exit(2)
