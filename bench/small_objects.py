"""small_objects.py — the Python workload of `make bench`.

    python3 bench/small_objects.py [COUNT [REPEATS]]     default: 3,000,000 x 2

Builds a list of COUNT small tuples (an int and a float each: three small objects per
item, nearly all served by pymalloc, never by malloc directly), then drops it; REPEATS
times. About 2 s bare on the reference machine. A profiler that counts every object
pays on each of these allocations and frees, which is the point.
"""
import sys


def main(args):
    count = int(args[0]) if len(args) > 0 else 3_000_000
    repeats = int(args[1]) if len(args) > 1 else 2
    for _ in range(repeats):
        objects = [(i, float(i)) for i in range(count)]
        del objects


if __name__ == "__main__":
    main(sys.argv[1:])
