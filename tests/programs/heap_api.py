"""heap_api.py [lines] — the `mprof` module that mprof run provides, checked from inside
with exact figures: the live heap, exact peak windows (this thread's allocations and
another thread's), and under --lines (argument `lines`) the lines that allocated most in
a window. Prints one `ok` line per check; an AssertionError names what differed."""
import gc
import importlib.util
import sys
import threading

import mprof

WANT_LINES = sys.argv[1:] == ['lines']
BYTEARRAY_EXTRA = sys.getsizeof(bytearray(1000)) - 1000   # object + NUL
SIZE = 10_000_000
gc.disable()  # a collection inside a window would free what others made


def raw_window(work):
    start = mprof.reset_heap_peak()
    work()
    peak = mprof.pause_heap_peak()
    assert mprof.heap_peak_bytes() == peak, (mprof.heap_peak_bytes(), peak)
    return peak - start


def window(work):
    """(peak - start) of a window around work(), less what the window's own figures
    cost (the int reset_heap_peak returns is made inside it): the same window around
    nothing."""
    return raw_window(work) - raw_window(lambda: None)


assert importlib.util.find_spec('mprof') is mprof.__spec__
live = mprof.heap_live_bytes()
assert mprof.heap_peak_bytes() >= live > 1_000_000, live
print('ok module')


def build():
    block = bytearray(SIZE)
    del block


grown = window(build)
assert grown == SIZE + BYTEARRAY_EXTRA, (grown, SIZE + BYTEARRAY_EXTRA)
print('ok window', grown)

def raw_growth(size):
    before = mprof.heap_live_bytes()
    kept = bytearray(size) if size else None
    return mprof.heap_live_bytes() - before, kept


# Each reading is an int made after it: the same readings around nothing say what the
# first one costs. (A first call of each function is left out: 3.10 keeps a code's
# frame for reuse after it.)
raw_growth(0)
grown, kept = raw_growth(SIZE)
grown -= raw_growth(0)[0]
assert grown == SIZE + BYTEARRAY_EXTRA, grown
del kept
print('ok live')

# Many small blocks, none large enough to look at the heap on its own, in another
# thread: each allocation still raises the window's peak.
def small_blocks():
    held = [bytearray(1000) for _ in range(1000)]
    del held


def in_thread():
    worker = threading.Thread(target=small_blocks)
    worker.start()
    worker.join()


grown = window(in_thread)
least = 1000 * (1000 + BYTEARRAY_EXTRA)
assert least <= grown <= least + 32 * 1024, (grown, least)
print('ok thread')


mprof.reset_heap_peak()
build()
rows = mprof.top_lines(3)
mprof.pause_heap_peak()
if WANT_LINES:
    first = rows[0]
    assert first[0] == SIZE + BYTEARRAY_EXTRA, first
    assert first[2:] == (__file__, build.__code__.co_firstlineno + 1, 'build'), first
    assert len(rows) <= 3 and all(row[0] <= first[0] for row in rows), rows
    assert mprof.top_lines(0) == []
    print('ok lines', first[0], first[1])
else:
    assert rows is None, rows
    print('ok no lines')
try:
    mprof.top_lines(-1)
except ValueError:
    print('ok bad n')
