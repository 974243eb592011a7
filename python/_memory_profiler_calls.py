"""_memory_profiler_calls — memory_profiler.run(statement): what cProfile.run prints for
time, for memory: one row per function called (Python's and C's), on mprof's exact heap.

A sys.setprofile callback sees each call and return. It reads the live heap and the
peak of the heap window (the `mprof` module) as its first act, and starts a new window
as its last, so its own bookkeeping is in neither: each row's figures are

    ncalls   how many times it was called (a generator's every resumption is one)
    net      the live heap when its calls returned minus when they began, summed: what
             its calls left behind (what they allocated and still hold, net of frees)
    peak     the highest the heap rose above where it was when a call began, over its
             calls, callees included (each window's peak carried up to every caller)

What it cannot say is the total of bytes a function allocated (a figure the heap
counters do not keep): net and peak are what is exact.
"""
import sys


class _CallsProfiler:
    """The setprofile callback and the rows: key -> [ncalls, net, peak]."""

    def __init__(self, heap):
        self.heap = heap
        self.rows = {}
        self.stack = []  # [key, live when it began, highest live seen in it]
        self.highest = 0  # the highest live heap seen at all

    def __call__(self, frame, event, arg):
        live, peak = self.heap.heap_live_bytes(), self.heap.heap_peak_bytes()
        stack = self.stack
        if peak > self.highest:
            self.highest = peak
        if event == 'call' or event == 'c_call':
            if stack and peak > stack[-1][2]:
                stack[-1][2] = peak
            if event == 'call':
                code = frame.f_code
                key = (code.co_filename, code.co_firstlineno, code.co_name)
            else:
                key = ('~', 0, '{built-in method %s.%s}' % (
                    getattr(arg, '__module__', None) or type(getattr(arg, '__self__', None)).__name__,
                    getattr(arg, '__qualname__', getattr(arg, '__name__', '?'))))
            entry = [key, 0, 0]
            stack.append(entry)
            entry[1] = entry[2] = self.heap.reset_heap_peak()
            return
        if event in ('return', 'c_return', 'c_exception') and stack:
            key, began, highest = stack.pop()
            if peak > highest:
                highest = peak
            if stack and highest > stack[-1][2]:
                stack[-1][2] = highest
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = [0, 0, 0]
            row[0] += 1
            row[1] += live - began
            if highest - began > row[2]:
                row[2] = highest - began
        self.heap.reset_heap_peak()


def _label(key):
    filename, line, name = key
    return name if filename == '~' else '%s:%d(%s)' % (filename, line, name)


def _print_rows(profiler, before, after, peak, stream, sort):
    rows = sorted(profiler.rows.items(),
                  key={'net': lambda item: -item[1][1], 'ncalls': lambda item: -item[1][0],
                       'name': lambda item: _label(item[0])}.get(
                      sort, lambda item: -item[1][2]))
    calls = sum(row[0] for _, row in rows)
    stream.write('         %d function calls; heap %d B before, %d B after, peak %d B\n\n'
                 % (calls, before, after, peak))
    stream.write('   Ordered by: %s\n\n' % {'net': 'net bytes', 'ncalls': 'call count',
                                             'name': 'function name'}.get(sort, 'peak bytes'))
    stream.write('%9s %14s %14s  %s\n' % ('ncalls', 'net (B)', 'peak (B)',
                                          'filename:lineno(function)'))
    for key, (ncalls, net, highest) in rows:
        stream.write('%9d %14d %14d  %s\n' % (ncalls, net, highest, _label(key)))
    stream.write('\n\n')


def run(statement, globals=None, locals=None, stream=None, sort='peak'):
    """Run statement (in __main__'s namespace, as cProfile.run) and print one row per
    function it called: ncalls, net bytes its calls left live, and its peak above where
    each call began, exact bytes of mprof run's heap; sorted by peak (or 'net', 'ncalls',
    'name'). Returns the rows: {(filename, first line, name): (ncalls, net, peak)}."""
    import memory_profiler
    heap = memory_profiler._heap
    if heap is None:
        raise RuntimeError('memory_profiler.run needs the exact heap of mprof run: '
                           'mprof run python3 script.py')
    if globals is None:
        import __main__
        globals = __main__.__dict__
    if locals is None:
        locals = globals
    code = compile(statement, '<string>', 'exec')
    profiler = _CallsProfiler(heap)
    before = profiler.highest = heap.reset_heap_peak()
    sys.setprofile(profiler)
    try:
        exec(code, globals, locals)
    finally:
        sys.setprofile(None)
        overall = max(heap.pause_heap_peak(), profiler.highest)
        after = heap.heap_live_bytes()
    _print_rows(profiler, before, after, overall, stream or sys.stdout, sort)
    return {key: tuple(row) for key, row in profiler.rows.items()}
