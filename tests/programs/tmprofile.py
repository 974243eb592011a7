"""tmprofile.py — the ground truth for @profile tables, from tracemalloc.

    python3 tmprofile.py OUT SCRIPT [ARGS...]

Runs SCRIPT with a `profile` builtin of its own (no mprof involved) and writes one
line per source line of each decorated function that ran:

    <function qualname> <line> <occurrences> <net bytes>

The semantics are mprof's (and memory_profiler's), measured independently: a line's
bytes are the change in tracemalloc's traced total between arriving at that line and
arriving at the next line of the same call (or leaving the call: return, yield, raise),
callees included, summed over every time it ran. Occurrences count line arrivals, so a
loop header counts iterations + 1. tracemalloc counts the bytes each PyMem allocation
asked for, exactly what mprof counts inside Python; it is whole-process, so scripts
used with it are single-threaded and allocate only through Python.

The tracer's own allocations cancel out inside a line: between the reading that opens
a line and the one that closes it, the tracer only replaces the previous reading's int
with one of the same size (the reading's tuple is freed at once); its tables are made
when the function is decorated; a call's trace function is made before its first
reading and freed with its frame, inside the caller's line. Checked on
profile_issue.py: +50,000,057 / +8,000,000 / -50,000,057 / +30,000,033 to the byte.
"""
import builtins
import runpy
import sys
import tracemalloc

MAX_LINES = 2000


def main(argv):
    out_path, script = argv[1], argv[2]
    sys.argv = argv[2:]
    traced = {}        # code -> [qualname, first_line, occurrences[], bytes[]]
    reading = tracemalloc.get_traced_memory

    def profile(func):
        code = func.__code__
        traced[code] = [func.__qualname__, code.co_firstlineno,
                        [0] * MAX_LINES, [0] * MAX_LINES]
        return func

    def tracer_for(entry):
        """The trace function of one decorated call. Its state (the line open in the call,
        the reading when that line opened) is made before the call's first reading and
        freed with the frame, in the caller's line, so it nets to zero there. No cycle:
        refcounting frees it, not the garbage collector."""
        def local_trace(frame, event, arg, record=[None, 0]):
            now = reading()[0]
            if record[0] is not None and event in ('line', 'return'):
                entry[3][record[0] - entry[1]] += now - record[1]
            if event == 'line':
                record[0] = frame.f_lineno
                entry[2][frame.f_lineno - entry[1]] += 1
            elif event == 'return':
                record[0] = None
            # `now` goes before the next reading: its int must not be freed in a line.
            del now
            record[1] = reading()[0]
            return frame.f_trace   # not local_trace: a closure over itself is a cycle
        return local_trace

    def global_trace(frame, event, arg):
        entry = traced.get(frame.f_code)
        if entry is None:
            return None
        # A new call, or a generator resumed: then no line is open until the next
        # arrival (mprof's wrapper starts each resumption the same way).
        trace = frame.f_trace or tracer_for(entry)
        record = trace.__defaults__[0]
        record[0] = None
        record[1] = reading()[0]
        return trace

    builtins.profile = profile
    tracemalloc.start()
    sys.settrace(global_trace)
    status = 0
    try:
        runpy.run_path(script, run_name='__main__')
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.settrace(None)
        tracemalloc.stop()
        with open(out_path, 'w') as out:
            for code, (name, first, occurrences, net) in traced.items():
                for offset, count in enumerate(occurrences):
                    if count:
                        out.write('%s %d %d %d\n' % (name, first + offset, count, net[offset]))
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv))
