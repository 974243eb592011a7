"""small_release.py — build a million small objects, drop them, and say what the process
held: what tests/integration's py_small_objects_released compares bare, under mprof,
and under tracemalloc.

    python3 small_release.py OUT [COUNT]          default COUNT: 1,000,000
    python3 small_release.py --truth OUT [COUNT]  the same under tracemalloc

Writes one line to OUT: "RSS_BEFORE RSS_TOP RSS_AFTER BLOCKS TRACED" (RSS in bytes,
sys.getallocatedblocks() at the top, and with --truth the bytes tracemalloc saw the
objects take, else 0). Holds 0.4 s at the top and after the drop, so that the profile
has both levels, then leaves through os._exit: the last sample is the level after the
drop, not the interpreter's teardown.
"""
import gc
import os
import sys
import time


def rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main(args):
    truth = args[0] == "--truth"
    if truth:
        args = args[1:]
        import tracemalloc
        tracemalloc.start()
    out = args[0]
    count = int(args[1]) if len(args) > 1 else 1_000_000
    gc.collect()
    before = rss_bytes()
    traced_before = tracemalloc.get_traced_memory()[0] if truth else 0
    objects = [(i, float(i)) for i in range(count)]
    top = rss_bytes()
    traced = tracemalloc.get_traced_memory()[0] - traced_before if truth else 0
    blocks = sys.getallocatedblocks()
    time.sleep(0.4)
    del objects
    gc.collect()
    after = rss_bytes()
    time.sleep(0.4)
    with open(out, "w") as report:
        report.write("%d %d %d %d %d\n" % (before, top, after, blocks, traced))
        report.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
