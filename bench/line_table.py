"""line_table.py — the @profile workload of `make bench`: a hot loop inside a decorated
function.

    python3 bench/line_table.py [N]        default 7,000,000 (about 1 s bare here)

Run bare (plain python3: `profile` is then the identity below), under `mprof run`
(mprof's builtin decorator: a per-line counter in the recompiled function), and under
`python3 -m memory_profiler` (the original's decorator: a line tracer reading RSS at
every line). Every iteration is two line events.
"""
import sys

try:
    profile
except NameError:
    def profile(func):
        return func


@profile
def hot(count):
    items = []
    for i in range(count):
        items.append(str(i))
    return len(items)


if __name__ == '__main__':
    hot(int(sys.argv[1]) if len(sys.argv) > 1 else 7_000_000)
