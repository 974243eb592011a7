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

Nothing of the tracer's own may stay in a line's bytes. Between the reading that opens
a line and the one that closes it, the tracer only replaces ints with ints of the same
size, and frees at once what it makes (a reading's tuple; callees' events come and go
inside the line). So that every int it keeps has one size, and so that the free list
of one-digit ints (3.14 on: unseen by tracemalloc, it would hand the script's next int
over for free) never holds one of them, a 1 GiB bytes object (calloc, never touched)
lifts every reading over 2**30, and the tables count from 2**40, each slot its own int:
every int the tracer makes has two digits. Its tables are made when the function is
decorated, outside any line. Checked on profile_issue.py: +50,000,057 / +8,000,000 /
-50,000,057 / +30,000,033 to the byte.

Up to 3.11 the events come from a trace function set at C level (PyEval_SetTrace,
through ctypes), for every frame. sys.settrace's is called through a trampoline that
first copies the frame's locals into its f_locals dict (PyFrame_FastToLocals), on
every event of every frame, callees included: on 3.10 that dict (and its keys, which
go to the keys free list when the frame dies) showed in the script's lines, +232 B on
a line with a comprehension, -168 B on a later one that got those keys for free, and
more as the function bound names. Without it, every line of profile_shapes.py but the
recursive call is mprof's to the byte on 3.10. Here a call that raises out of a
decorated function ends it like a return.

From 3.12 on, sys.settrace is built on sys.monitoring and instruments every code object
that runs while it is on, keeping a few hundred bytes per code object from its first
traced run (a generator expression in a decorated line would show them), and it reports
every iteration of a comprehension, inlined in its function since 3.12 (PEP 709), as
an arrival at its line again. There the truth comes from sys.monitoring itself, with
events on the decorated functions' code objects alone (set when decorated, outside any
line): LINE when the line changes, as 3.11's tracing sees a comprehension, and the
start, resumption, yield and return of each call. (A call that raises out of a
decorated function is not closed there: the scripts used with it do not.)
"""
import builtins
import os
import runpy
import sys
import tracemalloc

MAX_LINES = 2000
MAX_DEPTH = 1000       # open decorated calls at once (the default recursion limit)
TWO_DIGITS = 1 << 40   # where the tables count from


def main(argv):
    out_path, script = argv[1], argv[2]
    sys.argv = argv[2:]
    traced = {}        # code -> [qualname, first_line, occurrences[], bytes[]]
    reading = tracemalloc.get_traced_memory
    if sys.version_info < (3, 11):
        stock_frames()
    monitoring = getattr(sys, 'monitoring', None)
    if monitoring is not None:
        profile, stop = monitored(traced, reading, monitoring)
    else:
        profile, stop = traced_in_c(traced, reading)
    builtins.profile = profile
    tracemalloc.start()
    lift = bytes(1 << 30)
    status = 0
    try:
        runpy.run_path(script, run_name='__main__')
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        stop()
        tracemalloc.stop()
        del lift
        with open(out_path, 'w') as out:
            for code, (name, first, occurrences, net) in traced.items():
                for offset, count in enumerate(occurrences):
                    if count != TWO_DIGITS:
                        out.write('%s %d %d %d\n' % (name, first + offset, count - TWO_DIGITS,
                                                      net[offset] - TWO_DIGITS))
    return status


def stock_frames(count=201, room=64):
    """Up to 3.10 each call runs in a frame object on the heap: a code's first call (or a
    recursion's deeper one) takes one from the interpreter's free list (200 at most,
    grown when smaller than the code needs) or allocates one (424 B for a comprehension)
    when the list is empty. What the list holds depends on what ran before, which is not
    the script's doing: under mprof the decorator's own work (ast's recursive visitors)
    leaves frames there, and profile_helper.py's comprehension gets one for nothing;
    here only runpy's would be there, and it cost +424 B. So the script starts with the
    list full, of frames with room for `room` locals: a first call costs no bytes here
    either. Made before tracing and tracemalloc begin."""
    source = 'def fill(depth):\n    %s = None\n    if depth:\n        fill(depth - 1)\n' % (
        ' = '.join('spare_%d' % n for n in range(room)))
    names = {}
    exec(source, names)
    names['fill'](count)


def table_entry(func):
    """A decorated function's tables: [qualname, first line, occurrences, net bytes],
    each cell counting from 2**40 and each its own int object, so that the first change
    of a cell frees the int it replaces (one shared int would stay, 32 B in the line
    whose callee changed it)."""
    code = func.__code__
    return [func.__qualname__, code.co_firstlineno,
            [TWO_DIGITS + n - n for n in range(MAX_LINES)],
            [TWO_DIGITS + n - n for n in range(MAX_LINES)]]


def traced_in_c(traced, reading):
    """The profile builtin up to 3.11, and the function that ends its tracing: one trace
    function for every frame, set at C level, so that no frame's locals are copied into
    a dict. The decorated calls open at once form a stack (execution nests them: a
    resumed generator is the innermost while it runs): per depth, the line open and the
    reading when it opened, preallocated, and reset by the call's end, so that a call
    leaves nothing of the tracer's in its caller's line."""
    import ctypes

    # int (*)(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg). The arg is
    # taken as an address: it is NULL when a call ends by raising, which a py_object
    # cannot be given.
    trace_func = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.py_object,
                                  ctypes.c_int, ctypes.c_void_p)
    set_trace = ctypes.pythonapi.PyEval_SetTrace
    set_trace.argtypes = (trace_func, ctypes.py_object)
    set_trace.restype = None
    call, line, back = 0, 2, 3        # PyTrace_CALL, PyTrace_LINE, PyTrace_RETURN
    # ctypes makes the arg's int before each call of the trace function and frees it
    # after: a line's bytes hold the one freed after its opening event and the one made
    # before its closing event, which cancel, except when the closing event's arg is
    # NULL (None here) and none was made.
    arg_int = sys.getsizeof(id(None))
    open_lines = [None] * MAX_DEPTH
    opened_at = [0] * MAX_DEPTH
    depth = [0]

    def trace(unused, frame, what, arg):
        entry = traced.get(frame.f_code)
        if entry is None:
            return 0
        top = depth[0]
        if what == call:
            if top == MAX_DEPTH:
                # An exception cannot leave a ctypes callback: say it, and stop here.
                sys.stderr.write('tmprofile: more than %d decorated calls open\n' % MAX_DEPTH)
                os._exit(70)
            depth[0] = top + 1
            # The int that the first line's opening reading replaces (and frees, as each
            # line's does): made here, in the caller's line, and freed by the call's end.
            opened_at[top] = reading()[0]
            return 0
        if what != line and what != back:
            return 0
        now = reading()[0]
        if arg is None:
            now += arg_int
        top -= 1
        number = open_lines[top]
        if number is not None:
            index = number - entry[1]
            entry[3][index] = entry[3][index] + now - opened_at[top]
        if what == back:
            # What the call made for its lines is freed before its caller's next reading.
            depth[0] = top
            open_lines[top] = None
            opened_at[top] = 0
            return 0
        number = frame.f_lineno
        open_lines[top] = number
        entry[2][number - entry[1]] += 1
        # `now` (and a line number over 256) go before the reading: freed after it,
        # they would count in the line.
        del now, number
        opened_at[top] = reading()[0]
        return 0

    tracer = trace_func(trace)

    def profile(func):
        traced[func.__code__] = table_entry(func)
        return func

    def stop():
        set_trace(ctypes.cast(None, trace_func), None)

    stop.tracer = tracer   # the C function lives while the interpreter may call it
    set_trace(tracer, None)
    return profile, stop


def monitored(traced, reading, monitoring):
    """The profile builtin of 3.12 and later, and the function that ends its events: it
    turns sys.monitoring's events on for the decorated function's code alone. The open
    decorated calls form a stack as in traced_in_c, kept the same way."""
    tool = monitoring.PROFILER_ID
    events = monitoring.events
    monitoring.use_tool_id(tool, 'tmprofile')
    open_lines = [None] * MAX_DEPTH
    opened_at = [0] * MAX_DEPTH
    depth = [0]

    def close(code, now):
        top = depth[0] - 1
        number = open_lines[top]
        if number is not None:
            entry = traced[code]
            index = number - entry[1]
            entry[3][index] = entry[3][index] + now - opened_at[top]   # never below 2**30

    def begin(code, offset):
        top = depth[0]
        if top == MAX_DEPTH:
            sys.stderr.write('tmprofile: more than %d decorated calls open\n' % MAX_DEPTH)
            os._exit(70)
        depth[0] = top + 1
        opened_at[top] = reading()[0]   # freed by the call's end, as in traced_in_c

    def line(code, number):
        now = reading()[0]
        close(code, now)
        entry = traced[code]
        entry[2][number - entry[1]] += 1
        top = depth[0] - 1
        open_lines[top] = number
        del now
        opened_at[top] = reading()[0]

    def end(code, offset, value):
        # The offset's int, when not a cached small one, was made for this callback and
        # is freed after it, in the caller's line: not the call's.
        made_for_us = sys.getsizeof(offset) if offset > 256 else 0
        close(code, reading()[0] - made_for_us)
        top = depth[0] - 1
        depth[0] = top
        open_lines[top] = None
        opened_at[top] = 0

    for event, callback in ((events.PY_START, begin), (events.PY_RESUME, begin),
                            (events.LINE, line), (events.PY_YIELD, end),
                            (events.PY_RETURN, end)):
        monitoring.register_callback(tool, event, callback)

    def profile(func):
        code = func.__code__
        traced[code] = table_entry(func)
        monitoring.set_local_events(tool, code, events.PY_START | events.PY_RESUME |
                                    events.LINE | events.PY_YIELD | events.PY_RETURN)
        return func

    def stop():
        monitoring.free_tool_id(tool)
    return profile, stop


if __name__ == '__main__':
    sys.exit(main(sys.argv))
