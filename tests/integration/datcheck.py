"""datcheck.py — read a .dat the way the tests need it and check assertions on it.

    datcheck.py FILE EXPRESSION...

Each EXPRESSION is Python evaluated with the names below; the first that is false
prints "EXPRESSION (with the values it used)" on stdout and exits 1. Exit 0 when all
hold, 2 when the file cannot be read. A .dat comes from the program under test, so
this reader is deliberately independent of mprof's own (mprof/dat.c).

Names (times are seconds since the first MEM sample; sizes in bytes unless *_mib):
  MiB                  1048576
  mem, heap            lists of (t, value): MEM in MiB, HEAP in bytes
  chld, chldheap       dicts index -> list of (t, value), as above
  meta                 dict of MPROF key -> value (strings)
  cmdline              the CMDLINE text or None
  t_end                time of the last MEM sample
  heap_peak            max HEAP value (0 when none); heap_peak_t its time
  mem_peak             max MEM value in MiB (0 when none)
  heap_at(t)           HEAP linearly interpolated at t (series are simplified:
                       straight stretches keep only their ends)
  heap_before(jump)    the baseline under a rise: the HEAP value of the sample just
                       before the first one that is at least `jump` above its
                       predecessor (None when the heap never rises that much)
  near(x, truth, rel)  abs(x - truth) <= rel * truth
  meta_int(key)        int(meta[key]), or None when missing
"""
import sys

MiB = 1048576


def read_dat(path):
    mem, heap, chld, chldheap, meta = [], [], {}, {}, {}
    cmdline = None
    with open(path, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            fields = line.split()
            if not fields:
                continue
            word = fields[0]
            if word == "CMDLINE":
                cmdline = line[len("CMDLINE "):].rstrip("\n")
            elif word == "MEM":
                mem.append((float(fields[2]), float(fields[1])))
            elif word == "HEAP":
                heap.append((float(fields[2]), int(fields[3])))
            elif word == "CHLD":
                chld.setdefault(fields[1], []).append((float(fields[3]), float(fields[2])))
            elif word == "CHLDHEAP":
                chldheap.setdefault(fields[1], []).append((float(fields[3]), int(fields[4])))
            elif word == "MPROF" and len(fields) >= 2:
                meta[fields[1]] = " ".join(fields[2:])
    return mem, heap, chld, chldheap, meta, cmdline


def names_for(path):
    mem, heap, chld, chldheap, meta, cmdline = read_dat(path)
    t0 = mem[0][0] if mem else (heap[0][0] if heap else 0.0)

    def rel(series):
        return [(t - t0, v) for t, v in series]

    mem, heap = rel(mem), rel(heap)
    chld = {k: rel(v) for k, v in chld.items()}
    chldheap = {k: rel(v) for k, v in chldheap.items()}

    def heap_at(t):
        if not heap:
            return 0
        if t <= heap[0][0]:
            return heap[0][1]
        for (t1, v1), (t2, v2) in zip(heap, heap[1:]):
            if t1 <= t <= t2:
                return v1 if t2 == t1 else v1 + (v2 - v1) * (t - t1) / (t2 - t1)
        return heap[-1][1]

    def heap_before(jump):
        # A jump between two kept samples, not a level: an interpreter's own start-up
        # heap (a few MB, grown gradually) must not be taken for the block under test.
        previous = 0
        for _, value in heap:
            if value - previous >= jump:
                return previous
            previous = value
        return None

    def meta_int(key):
        try:
            return int(meta[key])
        except (KeyError, ValueError):
            return None

    heap_peak, heap_peak_t = 0, 0.0
    for t, value in heap:
        if value > heap_peak:
            heap_peak, heap_peak_t = value, t
    return {
        "MiB": MiB, "mem": mem, "heap": heap, "chld": chld, "chldheap": chldheap,
        "meta": meta, "cmdline": cmdline, "t_end": mem[-1][0] if mem else 0.0,
        "heap_peak": heap_peak, "heap_peak_t": heap_peak_t,
        "mem_peak": max((v for _, v in mem), default=0.0),
        "heap_at": heap_at, "heap_before": heap_before, "meta_int": meta_int,
        "near": lambda x, truth, rel_tol: x is not None and abs(x - truth) <= rel_tol * truth,
        "max": max, "min": min, "len": len, "abs": abs, "int": int, "float": float,
        "any": any, "all": all, "sorted": sorted, "list": list,
    }


def describe(names):
    heap_values = [v for _, v in names["heap"]]
    return ("MEM lines %d, HEAP lines %d, t_end %.2f s, mem_peak %.2f MiB, heap_peak %d "
            "at %.2f s, heap min %s, CHLD %s, CHLDHEAP %s, MPROF %s" % (
                len(names["mem"]), len(names["heap"]), names["t_end"], names["mem_peak"],
                names["heap_peak"], names["heap_peak_t"],
                min(heap_values) if heap_values else None,
                {k: len(v) for k, v in names["chld"].items()},
                {k: max(x for _, x in v) for k, v in names["chldheap"].items()},
                names["meta"]))


def main(argv):
    if len(argv) < 2:
        print("usage: datcheck.py FILE EXPRESSION...")
        return 2
    try:
        names = names_for(argv[1])
    except (OSError, ValueError, IndexError) as error:
        print("%s: unreadable: %s" % (argv[1], error))
        return 2
    for expression in argv[2:]:
        try:
            # The names go in as globals so that generator expressions see them too.
            ok = eval(expression, dict(names, __builtins__={}))
        except Exception as error:  # a missing series etc. is a failed check, not a crash
            ok, expression = False, "%s raised %r" % (expression, error)
        if not ok:
            print("%s is false (%s)" % (expression, describe(names)))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
