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

From 3.12 on, sys.settrace is built on sys.monitoring and instruments every code object
that runs while it is on, keeping a few hundred bytes per code object from its first
traced run (a generator expression in a decorated line would show them), and it reports
every iteration of a comprehension, inlined in its function since 3.12 (PEP 709), as
an arrival at its line again. There the truth comes from sys.monitoring itself, with
events on the decorated functions' code objects alone (set when decorated, outside any
line): LINE when the line changes, as 3.11's tracing sees a comprehension, and the
start, resumption, yield and return of each call. (A call that raises out of a
decorated function is not closed there: the scripts used with it do not.)

From 3.14 on, freed one-digit ints go to a free list that the next int is taken from,
unseen by tracemalloc: every int the tracer made and freed would hand the script's
next int over for free. So there the tracer makes none: a 1 GiB bytes object (calloc,
never touched) lifts every reading over 2**30, and the tables count from 2**40, so
that each int the tracer makes has two digits, which the free list never holds.
"""
import builtins
import runpy
import sys
import tracemalloc

MAX_LINES = 2000
TWO_DIGITS = 1 << 40   # where the monitoring tracer's tables count from


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
        trace = frame.f_trace
        if trace is None:
            trace = tracer_for(entry)
            if sys.version_info < (3, 11):
                roomy_locals(frame)
        record = trace.__defaults__[0]
        record[0] = None
        record[1] = reading()[0]
        return trace

    # 3.10 copies a traced frame's locals into its f_locals dict before each trace call,
    # and the dict grows as the function binds new names: in the script's lines, bytes
    # it never allocated. Grown here, at the call, the dict has room for all of them.
    spare_names = tuple('__tmprofile_%d' % n for n in range(64))

    def roomy_locals(frame):
        names = frame.f_locals
        for name in spare_names:
            names[name] = None
        for name in spare_names:
            del names[name]

    monitoring = getattr(sys, 'monitoring', None)
    base = 0           # what the tables count from
    if monitoring is not None:
        profile = monitored(traced, reading, monitoring)
        base = TWO_DIGITS
    builtins.profile = profile
    tracemalloc.start()
    lift = bytes(1 << 30) if monitoring is not None else None
    if monitoring is None:
        sys.settrace(global_trace)
    status = 0
    try:
        runpy.run_path(script, run_name='__main__')
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        if monitoring is None:
            sys.settrace(None)
        else:
            monitoring.free_tool_id(monitoring.PROFILER_ID)
        tracemalloc.stop()
        del lift
        with open(out_path, 'w') as out:
            for code, (name, first, occurrences, net) in traced.items():
                for offset, count in enumerate(occurrences):
                    if count != base:
                        out.write('%s %d %d %d\n' % (name, first + offset, count - base,
                                                      net[offset] - base))
    return status


def monitored(traced, reading, monitoring):
    """The profile builtin of 3.12 and later: it turns sys.monitoring's events on for the
    decorated function's code alone. Each code keeps a stack of its open calls (the
    innermost on top: a resumed generator is the innermost while it runs), each call a
    [line open, reading when it opened] made before its first reading and freed after
    its last."""
    tool = monitoring.PROFILER_ID
    events = monitoring.events
    monitoring.use_tool_id(tool, 'tmprofile')
    calls = {}         # code -> stack of open calls

    def close(code, now):
        call = calls[code][-1]
        if call[0] is not None:
            entry = traced[code]
            index = call[0] - entry[1]
            entry[3][index] = entry[3][index] + now - call[1]   # never below 2**30

    def begin(code, offset):
        calls[code].append([None, 0])
        calls[code][-1][1] = reading()[0]

    def line(code, number):
        now = reading()[0]
        close(code, now)
        entry = traced[code]
        entry[2][number - entry[1]] += 1
        call = calls[code][-1]
        call[0] = number
        del now, call
        calls[code][-1][1] = reading()[0]

    def end(code, offset, value):
        # The offset's int, when not a cached small one, was made for this callback and
        # is freed after it, in the caller's line: not the call's.
        made_for_us = sys.getsizeof(offset) if offset > 256 else 0
        close(code, reading()[0] - made_for_us)
        calls[code].pop()

    for event, callback in ((events.PY_START, begin), (events.PY_RESUME, begin),
                            (events.LINE, line), (events.PY_YIELD, end),
                            (events.PY_RETURN, end)):
        monitoring.register_callback(tool, event, callback)

    def profile(func):
        code = func.__code__
        traced[code] = [func.__qualname__, code.co_firstlineno,
                        [TWO_DIGITS] * MAX_LINES, [TWO_DIGITS] * MAX_LINES]
        calls[code] = []
        monitoring.set_local_events(tool, code, events.PY_START | events.PY_RESUME |
                                    events.LINE | events.PY_YIELD | events.PY_RETURN)
        return func
    return profile


if __name__ == '__main__':
    sys.exit(main(sys.argv))
