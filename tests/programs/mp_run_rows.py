"""mp_run_rows.py — memory_profiler.run("statement"): a row per function called, with
calls, the net bytes they left live, and their peak above where they began."""
import memory_profiler


def leaf(n):
    return bytearray(n)


def work(n):
    kept = leaf(n)
    scratch = bytearray(4 * n)
    del scratch
    for _ in range(3):
        leaf(1000)
    return kept


result = None
rows = memory_profiler.run('result = work(5_000_000)')
for (filename, line, name), (ncalls, net, peak) in sorted(rows.items()):
    if name in ('work', 'leaf'):
        print('row', name, ncalls, net, peak)
