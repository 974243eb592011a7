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

@profile tables (PROFILE_FUNC / PROFILE_LINE lines; TOP lines), main process only:
  functions            dict qualified name -> {'calls', 'file', 'first', 'last',
                       'lines': {line number: (occurrences, increment, usage, text)}}
  row(func, key)       the (occurrences, increment, usage, text) of one line: `func` is
                       a name or its last dotted part(s) ('build', 'Store.fill'), `key`
                       a line number or a piece of text that occurs on one line only
  occ/inc/usage(func, key)   one field of row(); increment and usage in bytes
  close(x, truth, tol=64)    abs(x - truth) <= tol (@profile's tolerance, in bytes)
  agrees(truth_file, skip=())  every line of tmprofile.py's output (<qualname> <line>
                       <occurrences> <bytes>) has the same occurrences and an increment
                       within 64 bytes here, for functions and lines ('func:line') not in
                       `skip`; and every other
                       line that ran here is a decorator row. Raises with the differences.
  top                  list of (rank, live bytes, live blocks, allocations, line,
                       function, file) from TOP lines
"""
import sys

MiB = 1048576


def unescape(text):
    """Undo the .dat's escaping of text fields: "\\\\" and "\\xHH" (mprof/dat.h)."""
    out, index = bytearray(), 0
    raw = text.encode("utf-8", "surrogateescape")
    while index < len(raw):
        if raw[index:index + 1] == b"\\" and raw[index + 1:index + 2] == b"\\":
            out += b"\\"
            index += 2
        elif raw[index:index + 2] == b"\\x" and len(raw) >= index + 4:
            out.append(int(raw[index + 2:index + 4], 16))
            index += 4
        else:
            out.append(raw[index])
            index += 1
    return out.decode("utf-8", "replace")


def read_profiles(path):
    """PROFILE_FUNC/PROFILE_LINE of the main process (the first pid), and TOP lines."""
    functions, by_id, top, main_pid = {}, {}, [], None
    with open(path, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            line = line.rstrip("\n")
            if line.startswith("PROFILE_FUNC "):
                pid, ident, first, last, calls, name, filename = line.split(" ", 7)[1:]
                main_pid = main_pid or pid
                if pid != main_pid:
                    continue
                entry = {"calls": int(calls), "file": unescape(filename), "first": int(first),
                         "last": int(last), "lines": {}}
                functions[unescape(name)] = by_id[ident] = entry
            elif line.startswith("PROFILE_LINE "):
                pid, ident, number, occurrences, increment, usage, text = line.split(" ", 7)[1:]
                if pid == main_pid and ident in by_id:
                    by_id[ident]["lines"][int(number)] = (
                        int(occurrences), int(increment), int(usage), unescape(text))
            elif line.startswith("TOP "):
                rank, live, blocks, allocations, number, function, filename = line.split(" ", 7)[1:]
                top.append((int(rank), int(live), int(blocks), int(allocations), int(number),
                            unescape(function), unescape(filename)))
    return functions, top


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
            elif word == "HEAP":  # version 1 had the MiB before the time
                heap.append((float(fields[-2]), int(fields[-1])))
            elif word == "CHLD":
                chld.setdefault(fields[1], []).append((float(fields[3]), float(fields[2])))
            elif word == "CHLDHEAP":
                chldheap.setdefault(fields[1], []).append((float(fields[-2]), int(fields[-1])))
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

    functions, top = read_profiles(path)

    def function_named(func):
        found = [name for name in functions if name == func or name.endswith("." + func)]
        if len(found) != 1:
            raise LookupError("%d functions named %r in %s" % (len(found), func, sorted(functions)))
        return functions[found[0]]

    def row(func, key):
        lines = function_named(func)["lines"]
        if isinstance(key, int):
            return lines[key]
        found = [number for number, fields in lines.items() if key in fields[3]]
        if len(found) != 1:
            raise LookupError("%d lines of %s hold %r" % (len(found), func, key))
        return lines[found[0]]

    def truth_inc(truth_path, func, key):
        """The net bytes that tmprofile.py's table at truth_path gives the line of func
        (a qualname, as the truth names it) that key names, as in row."""
        lines = function_named(func)["lines"]
        found = [key] if isinstance(key, int) else \
            [number for number, fields in lines.items() if key in fields[3]]
        if len(found) != 1:
            raise LookupError("%d lines of %s hold %r" % (len(found), func, key))
        with open(truth_path) as stream:
            for truth_line in stream:
                name, number, occurrences, increment = truth_line.split()
                if name == func and int(number) == found[0]:
                    return int(increment)
        raise LookupError("%s:%d is not in %s" % (func, found[0], truth_path))

    def agrees(truth_path, skip=()):
        problems = []
        seen = set()
        with open(truth_path) as stream:
            for truth_line in stream:
                name, number, occurrences, increment = truth_line.split()
                if name in skip or "%s:%s" % (name, number) in skip:
                    continue
                seen.add((name, int(number)))
                try:
                    got = row(name, int(number))
                except (LookupError, KeyError) as error:
                    problems.append("%s:%s missing (%s)" % (name, number, error))
                    continue
                if got[0] != int(occurrences) or abs(got[1] - int(increment)) > 64:
                    problems.append("%s:%s mprof %d x %+d B, tracemalloc %s x %+d B" % (
                        name, number, got[0], got[1], occurrences, int(increment)))
        for name, entry in functions.items():
            short = name.split(".", 1)[1] if "." in name else name
            if short in skip:
                continue
            for number, fields in entry["lines"].items():
                if fields[0] and number != entry["first"] and (short, number) not in seen \
                        and "%s:%d" % (short, number) not in skip:
                    problems.append("%s:%d ran %d times here, never under tracemalloc" % (
                        short, number, fields[0]))
        if problems:
            raise AssertionError("; ".join(problems))
        return True

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
        "functions": functions, "top": top, "row": row, "agrees": agrees, "truth_inc": truth_inc,
        "occ": lambda func, key: row(func, key)[0],
        "inc": lambda func, key: row(func, key)[1],
        "usage": lambda func, key: row(func, key)[2],
        "close": lambda x, truth, tol=64: abs(x - truth) <= tol,
    }


def describe(names):
    if names["functions"]:
        return "; ".join("%s: %s" % (name, " ".join(
            "%d:%dx%+d" % (number, fields[0], fields[1])
            for number, fields in sorted(entry["lines"].items()) if fields[0]))
            for name, entry in names["functions"].items())
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
