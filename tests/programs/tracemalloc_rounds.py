"""tracemalloc_rounds.py — five rounds of building and dropping 200,000 small objects,
with tracemalloc on (started here unless -X tracemalloc started it with the interpreter).

    python3 [-X tracemalloc] tracemalloc_rounds.py

Prints one line per round: the round, the bytes tracemalloc holds over the start and
its number of traces. Exits 1 when tracemalloc holds more than 1 MB after a round:
every object was dropped, so a profiler that frees behind tracemalloc's back (or
hides allocations from it) shows up here.
"""
import sys
import tracemalloc


def main():
    if not tracemalloc.is_tracing():
        tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    worst = 0
    for round_number in range(5):
        objects = [(i, str(i)) for i in range(200_000)]
        peak_traced = tracemalloc.get_traced_memory()[0] - base
        del objects
        held = tracemalloc.get_traced_memory()[0] - base
        print(round_number, held, len(tracemalloc.take_snapshot().traces))
        worst = max(worst, held)
        if peak_traced < 10_000_000:
            print("tracemalloc saw only %d bytes of 200,000 objects" % peak_traced)
            return 1
    return 1 if worst > 1_000_000 else 0


if __name__ == "__main__":
    sys.exit(main())
