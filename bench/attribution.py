"""attribution.py — the whole-program line attribution workload of `make bench`:
allocation-heavy Python in several functions and lines, no decorator.

    python3 bench/attribution.py [SCALE]        default 1 (about 1.5 s bare here)

`mprof run --lines` charges every allocation and free to its source line (for
`mprof report --top`); this measures what that costs against the bare run.
"""
import sys


class Point:
    __slots__ = ('x', 'y')

    def __init__(self, x, y):
        self.x, self.y = x, y


def tuples(count):
    return [(i, float(i)) for i in range(count)]


def strings(count):
    return [str(i) * 3 for i in range(count)]


def records(count):
    return [{'id': i, 'name': 'n%d' % i} for i in range(count)]


def points(count):
    return [Point(i, -i) for i in range(count)]


def main(scale):
    for _ in range(scale):
        for build in (tuples, strings, records, points):
            held = build(600_000)
            del held


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
