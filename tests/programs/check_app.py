"""check_app.py — a short program whose heap peak is the same bytes on every run, for
`mprof check`'s gates (tests/integration/check.sh).

    python3 check_app.py [CACHE_BYTES]      default: 4000000

Three named lines hold known sizes at the peak: load_cache's bytearray (CACHE_BYTES,
the line a regression grows), load_index's (2,000,000) and build_names's 20,000 small
strings; all stay live to the end. No timing, no randomness: only the bytes.
"""
import sys

keep = []


def load_cache(size):
    keep.append(bytearray(size))


def load_index():
    keep.append(bytearray(2_000_000))


def build_names():
    keep.append([str(i) for i in range(20_000)])


def main(args):
    load_cache(int(args[0]) if args else 4_000_000)
    load_index()
    build_names()


if __name__ == "__main__":
    main(sys.argv[1:])
