"""lines_native.py — malloc made outside the PyMem domains, for `mprof run --lines`.

libc's malloc called through ctypes stands for a C extension's: a PyDLL call keeps
the GIL (as numpy's allocations do), a CDLL call releases it (as a C library's own
threads would). At the peak, held 0.5 s:
  line 28 (held_by_line) holds the 30,000,000 bytes it allocated with the GIL;
  the 20,000,000 bytes allocated without the GIL are on no line;
  line 32 (freed_elsewhere) holds nothing: its 7,000,000 bytes, allocated with the
  GIL, were freed without it before the peak.
With an argument the 30,000,000 bytes come from lines_helper.allocate, an installed
package's function (tests/programs/lines_site/site-packages): --lines charges its
line (7), --lines=user line 40 here, its caller.
"""
import ctypes
import sys
import time

with_gil = ctypes.PyDLL(None)
without_gil = ctypes.CDLL(None)
for library in (with_gil, without_gil):
    library.malloc.restype = ctypes.c_void_p
    library.malloc.argtypes = [ctypes.c_size_t]
    library.free.argtypes = [ctypes.c_void_p]
    library.free.restype = None


def held_by_line():
    return with_gil.malloc(30_000_000)


def freed_elsewhere():
    block = with_gil.malloc(7_000_000)
    without_gil.free(block)


def main():
    freed_elsewhere()
    if len(sys.argv) > 1:
        from lines_helper import allocate
        kept = allocate(with_gil)
    else:
        kept = held_by_line()
    unattributed = without_gil.malloc(20_000_000)
    time.sleep(0.5)
    without_gil.free(unattributed)
    with_gil.free(kept)


main()
