"""small_peak.py — a million small objects held at once: the peak that tests/integration's
py_small_objects_peak compares between mprof's heap and tracemalloc's.

    python3 small_peak.py OUT [COUNT]      default COUNT: 1,000,000

Builds COUNT (int, float) tuples in a list (about 120 MB in 3 million small blocks and
one large one), holds them 0.3 s so that the profile samples the top, drops them. Writes
one line to OUT: tracemalloc's peak of traced bytes when tracemalloc is tracing
(PYTHONTRACEMALLOC=1 or -X tracemalloc: traced from the interpreter's start, so the
peak is the whole program's, as mprof's is), else 0.
"""
import sys
import time
import tracemalloc


def main(args):
    out = args[0]
    count = int(args[1]) if len(args) > 1 else 1_000_000
    objects = [(i, float(i)) for i in range(count)]
    time.sleep(0.3)
    del objects
    peak = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else 0
    with open(out, "w") as report:
        report.write("%d\n" % peak)


if __name__ == "__main__":
    main(sys.argv[1:])
