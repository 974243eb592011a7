"""memory_profiler — mprof's own module of that name, with memory_profiler 0.61's public
names, for scripts written for memory_profiler to run unchanged under `mprof run`.

Under mprof run it is found first by a finder at the front of sys.meta_path (the plugin's
glue installs it; it knows this one name), so `import memory_profiler` and
`python -m memory_profiler` give this file even where the original package is installed,
and nothing of that package is needed. What it measures:

    profile         the builtin the glue installs: as a decorator, mprof's exact heap tables
                    (printed by mprof when the program ends); as an object (`with profile:`,
                    enable_by_count, add_function, print_stats) a LineProfiler on the
                    exact heap. Outside mprof run: memory_profiler's own decorator (RSS).
    memory_usage    RSS in MiB by default, as memory_profiler reads it (/proc/PID/statm);
                    backend='psutil_pss' / 'psutil_uss' read /proc/PID/smaps_rollup;
                    backend='mprof' (or 'tracemalloc', which maps to it) is this process's
                    exact live heap from the `mprof` module, in MiB (bytes / 2**20 exactly),
                    and with max_usage the exact peak of the call, not a sampled one.
    run(statement)  beyond the original: one row per function called, from sys.setprofile
                    over the exact heap (see _calls.py).

Samples are taken by a thread of this process, not by a second process as the original
does: a C call that holds the GIL (bytearray(n) of a large n) delays the sample until it
returns, so RSS peaks shorter than that are seen only by the exact heap's max_usage.
"""
import builtins
import os
import sys
import threading
import time
import warnings

__version__ = '0.61.0'  # the memory_profiler whose names and formats this module has

_CMD_USAGE = "python -m memory_profiler script_file.py"
_TWO_20 = float(2 ** 20)

try:
    import mprof as _heap  # mprof run's in-process API (no such module elsewhere)
except ImportError:
    _heap = None
if not hasattr(_heap, 'heap_live_bytes'):
    _heap = None  # memory_profiler's own mprof.py, when that is what an import found

# The glue's profile object, handed over in the spec (also where runpy runs this file).
_loader_state = getattr(globals().get('__spec__'), 'loader_state', None)
_exact_profile = _loader_state.get('profile') if isinstance(_loader_state, dict) else None

_BACKENDS = ('psutil', 'psutil_pss', 'psutil_uss', 'posix', 'tracemalloc', 'mprof')


def choose_backend(new_backend=None):
    """The backend to measure with: new_backend when it can be used here, else the first
    that can (RSS, 'psutil'), with a warning that says so, as memory_profiler does.
    'tracemalloc' is mprof's exact heap under mprof run, Python's tracemalloc elsewhere."""
    if new_backend is not None and new_backend not in _BACKENDS:
        raise KeyError(new_backend)
    if new_backend == 'mprof' and _heap is None:
        warnings.warn('mprof can not be used, psutil used instead (no mprof run here)')
        return 'psutil'
    return new_backend or 'psutil'


def _proc_pid(pid):
    return os.getpid() if pid in (-1, None) else int(pid)


def _children(pid):
    """Every descendant of pid, from /proc's children lists of each of its threads."""
    found, pending = [], [pid]
    while pending:
        parent = pending.pop()
        try:
            tasks = os.listdir('/proc/%d/task' % parent)
        except OSError:
            continue
        for task in tasks:
            try:
                with open('/proc/%d/task/%s/children' % (parent, task)) as listing:
                    kids = [int(word) for word in listing.read().split()]
            except OSError:
                continue
            found.extend(kids)
            pending.extend(kids)
    return found


def _rss_bytes(pid):
    with open('/proc/%d/statm' % pid) as statm:
        return int(statm.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def _rollup_bytes(pid, fields):
    total = 0
    with open('/proc/%d/smaps_rollup' % pid) as rollup:
        for line in rollup:
            words = line.split()
            if words and words[0].rstrip(':') in fields:
                total += int(words[1]) * 1024
    return total


def _heap_bytes(pid):
    if pid != os.getpid():
        raise ValueError('backend %s reads the heap of this process only, not of PID %d'
                         % ('mprof' if _heap is not None else 'tracemalloc', pid))
    if _heap is None:
        import tracemalloc
        if not tracemalloc.is_tracing():
            tracemalloc.start()
        return tracemalloc.get_traced_memory()[0]
    return _heap.heap_live_bytes()


_READERS = {
    'psutil': _rss_bytes,
    'posix': _rss_bytes,
    'psutil_pss': lambda pid: _rollup_bytes(pid, ('Pss',)),
    'psutil_uss': lambda pid: _rollup_bytes(pid, ('Private_Clean', 'Private_Dirty')),
    'tracemalloc': _heap_bytes,
    'mprof': _heap_bytes,
}


def _get_memory(pid, backend, timestamps=False, include_children=False, filename=None):
    """pid's memory in MiB by backend (with the time when timestamps), its descendants'
    added when include_children (RSS, PSS and USS only: a heap is one process's)."""
    pid = _proc_pid(pid)
    read = _READERS[backend]
    total = read(pid)
    if include_children and read is not _heap_bytes:
        for child in _children(pid):
            try:
                total += read(child)
            except OSError:
                pass  # it ended meanwhile
    mem = total / _TWO_20
    return (mem, time.time()) if timestamps else mem


def _get_child_memory(pid, meminfo_attr=None, memory_metric=0):
    """(pid, RSS in MiB) of each descendant of pid, as memory_profiler yields them."""
    for child in _children(_proc_pid(pid)):
        try:
            yield child, _rss_bytes(child) / _TWO_20
        except OSError:
            pass


class _Sampler(threading.Thread):
    """memory_profiler's MemTimer as a thread: a sample now, then one every interval until
    told to stop, and one more then."""

    def __init__(self, pid, interval, backend, timestamps, include_children, max_usage):
        super().__init__(daemon=True, name='memory_profiler sampler')
        self.read = lambda: _get_memory(pid, backend, timestamps, include_children)
        self.interval, self.max_usage = interval, max_usage
        self.mem_usage = [self.read()]
        self.n_measurements = 1
        self.stopping = threading.Event()

    def run(self):
        stop = False
        while True:
            current = self.read()
            if self.max_usage:
                self.mem_usage[0] = max(current, self.mem_usage[0])
            else:
                self.mem_usage.append(current)
            self.n_measurements += 1
            if stop:
                break
            stop = self.stopping.wait(self.interval)

    def finish(self):
        self.stopping.set()
        self.join()
        return self.mem_usage, self.n_measurements


class MemTimer:
    """A process that samples monitor_pid's memory (by backend) every interval: it
    sends 0 down the pipe when it starts, samples until something comes up the pipe
    (one more sample then), and sends back the samples (with max_usage the highest
    alone) and how many it took. As memory_profiler's, which memory_usage ran.

    The original subclasses multiprocessing.Process; this one runs `run` in a Process
    it makes and answers for it (start, join, pid, exitcode, daemon...): importing
    multiprocessing costs a script that never makes one ~6 ms, and a module-level class
    pickles by name, as the spawn and forkserver start methods need."""

    def __init__(self, monitor_pid, interval, pipe, backend, max_usage=False,
                 *args, **kw):
        self.monitor_pid, self.interval, self.pipe = monitor_pid, interval, pipe
        self.cont = True
        self.backend, self.max_usage = backend, max_usage
        self.n_measurements = 1
        self.timestamps = kw.pop('timestamps', False)
        self.include_children = kw.pop('include_children', False)
        self.mem_usage = [self._read()]
        import multiprocessing
        # What the original hands to Process.__init__ (group, name, daemon); the
        # target is our run, as a Process subclass's is.
        options = dict(zip(('group', 'target', 'name'), args), **kw)
        for ours in ('target', 'args', 'kwargs'):
            options.pop(ours, None)
        self.__dict__['_process'] = multiprocessing.Process(target=self.run, **options)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop('_process', None)  # the process pickles us, not we it
        return state

    def __getattr__(self, name):
        process = self.__dict__.get('_process')
        if process is None or name.startswith('__'):
            raise AttributeError(name)
        return getattr(process, name)

    def __setattr__(self, name, value):
        if name in ('daemon', 'name', 'authkey'):
            setattr(self.__dict__['_process'], name, value)
        else:
            self.__dict__[name] = value

    def _read(self):
        return _get_memory(self.monitor_pid, self.backend, timestamps=self.timestamps,
                           include_children=self.include_children)

    def run(self):
        self.pipe.send(0)
        stop = False
        while True:
            current = self._read()
            if self.max_usage:
                self.mem_usage[0] = max(current, self.mem_usage[0])
            else:
                self.mem_usage.append(current)
            self.n_measurements += 1
            if stop:
                break
            stop = self.pipe.poll(self.interval)
        self.pipe.send(self.mem_usage)
        self.pipe.send(self.n_measurements)


def _exact_peak_call(f, args, kw, timestamps):
    """f(*args, **kw) and the exact peak of the live heap during it, in MiB."""
    _heap.reset_heap_peak()
    try:
        returned = f(*args, **kw)
    finally:
        peak = _heap.pause_heap_peak()
    mem = peak / _TWO_20
    return (mem, time.time()) if timestamps else mem, returned


def _write_samples(stream, pid, mem, multiprocess):
    stream.write('MEM {0:.6f} {1:.4f}\n'.format(*mem))
    if multiprocess:
        for child, child_mem in _get_child_memory(pid):
            stream.write('CHLD {0} {1:.6f} {2:.4f}\n'.format(child, child_mem, time.time()))


def memory_usage(proc=-1, interval=.1, timeout=None, timestamps=False,
                 include_children=False, multiprocess=False, max_usage=False,
                 retval=False, stream=None, backend=None, max_iterations=None):
    """The memory of a process or of a piece of code, as memory_profiler 0.61's: proc is
    -1 (this process), a PID, a subprocess.Popen, a callable or (f, args, kw); samples in
    MiB every interval for timeout seconds (a PID without timeout: one sample; code: until
    it returns, run again at a tenth of the interval while it gave 4 samples or fewer, up
    to max_iterations runs). max_usage gives the highest only, retval adds f's result,
    stream gets MEM (and with multiprocess CHLD) lines instead. backend: see the module."""
    backend = choose_backend(backend)
    if stream is not None:
        timestamps = True
    ret = -1 if max_usage else []
    if timeout is not None:
        max_iter = int(round(timeout / interval))
    elif isinstance(proc, int):
        max_iter = 1
    else:
        max_iter = float('inf') if max_iterations is None else max_iterations
    if callable(proc):
        proc = (proc, (), {})
    if isinstance(proc, (list, tuple)):
        if not 1 <= len(proc) <= 3:
            raise ValueError('proc as a tuple is (f,), (f, args) or (f, args, kw)')
        f, args, kw = tuple(proc) + ((), {})[len(proc) - 1:]
        if max_usage and _READERS[backend] is _heap_bytes and _heap is not None:
            mem, returned = _exact_peak_call(f, args, kw, timestamps)
            return (mem, returned) if retval else mem
        current_iter = 0
        while True:
            current_iter += 1
            sampler = _Sampler(-1, interval, backend, timestamps, include_children, max_usage)
            sampler.start()
            try:
                returned = f(*args, **kw)
            finally:
                ret, n_measurements = sampler.finish()
            if max_usage:
                ret = ret[0]
            if retval:
                ret = ret, returned
            if n_measurements > 4 or current_iter == max_iter or interval < 1e-6:
                break
            interval /= 10.
    elif hasattr(proc, 'poll') and hasattr(proc, 'pid'):  # a subprocess.Popen
        lines = 0
        while True:
            if max_usage:
                ret = max(ret, _get_memory(proc.pid, backend, include_children=include_children))
            else:
                mem = _get_memory(proc.pid, backend, timestamps, include_children)
                if stream is not None:
                    _write_samples(stream, proc.pid, mem, multiprocess)
                elif multiprocess:
                    ret.append([mem] + [m for _, m in _get_child_memory(proc.pid)])
                else:
                    ret.append(mem)
            time.sleep(interval)
            lines += 1
            if lines > 50 and stream is not None:
                lines = 0
                stream.flush()
            if timeout is not None:
                max_iter -= 1
                if max_iter == 0:
                    break
            if proc.poll() is not None:
                break
    else:
        pid = _proc_pid(int(proc))
        counter = 0
        while counter < max(max_iter, 1):
            counter += 1
            if max_usage:
                ret = max(ret, _get_memory(pid, backend, include_children=include_children))
            else:
                mem = _get_memory(pid, backend, timestamps, include_children)
                if stream is not None:
                    _write_samples(stream, pid, mem, multiprocess)
                elif multiprocess:
                    ret.append([mem] + [m for _, m in _get_child_memory(pid)])
                else:
                    ret.append(mem)
            time.sleep(interval)
            if counter % 50 == 0 and stream is not None:
                stream.flush()
    return None if stream else ret


from _memory_profiler_lines import CodeMap, LineProfiler, show_results  # noqa: E402,F401
from _memory_profiler_lines import MemitResult, load_ipython_extension  # noqa: E402,F401
from _memory_profiler_calls import run  # noqa: E402,F401


class LogFile:
    """A stream that sends what is written to it (the tables: `sys.stdout = LogFile(...)`
    or `@profile(stream=LogFile(...))`) to the logging logger `name`. With
    reportIncrementFlag, only the lines whose increment is above 0 and the headers."""

    def __init__(self, name, reportIncrementFlag=False):
        import logging
        self.logger = logging.getLogger(name)
        self.reportIncrementFlag = reportIncrementFlag

    def write(self, msg, level=None):
        import logging
        level = logging.INFO if level is None else level
        if self.reportIncrementFlag and not self._worth_reporting(msg):
            return
        self.logger.log(level, msg)

    @staticmethod
    def _worth_reporting(msg):
        if 'Filename:' in msg or 'Line Contents' in msg:
            return True
        parts = msg.split('MiB')
        if len(parts) < 3:
            return False
        try:
            return float(parts[1].strip()) > 0
        except ValueError:
            return False

    def flush(self):
        for handler in self.logger.handlers:
            handler.flush()


def _func_exec(stmt, ns):
    exec(stmt, ns)


def _original_profile(func=None, stream=None, precision=1, backend='psutil'):
    """memory_profiler's decorator: each call's lines, measured by backend, written to
    stream (stdout) when it returns. mprof's exact decorator hands a call with a stream
    here; outside mprof run it is the module's `profile`."""
    import functools
    import inspect
    backend = choose_backend(backend)
    if func is None:
        return functools.partial(_original_profile, stream=stream, precision=precision,
                                 backend=backend)
    if inspect.iscoroutinefunction(func):
        @functools.wraps(func)
        async def coroutine_wrapper(*args, **kwargs):
            prof = LineProfiler(backend=backend)
            returned = await prof(func)(*args, **kwargs)
            show_results(prof, stream=stream, precision=precision)  # a call that raised: none
            return returned
        return coroutine_wrapper

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        prof = LineProfiler(backend=backend)
        returned = prof(func)(*args, **kwargs)
        show_results(prof, stream=stream, precision=precision)  # a call that raised: none
        return returned
    return wrapper


_profile_to_stream = _original_profile  # what the glue's @profile(stream=...) calls


class _TimedBlock:
    """One timestamped call or block of a TimeStamper: its (memory, time) on entry and
    exit, its nesting level, and under mprof run a FUNC bracket in mprof's .dat."""

    def __init__(self, stamper, key, name):
        self.stamper, self.key = stamper, key
        self.bracket = _exact_profile.bracket(name) if _exact_profile is not None else None

    def __enter__(self):
        stamper = self.stamper
        if self.bracket is not None:
            self.bracket.__enter__()
        stamper.current_stack_level += 1
        stamper.stack[self.key].append(stamper.current_stack_level)
        self.timestamps = [stamper._now()]
        stamper.functions[self.key].append(self.timestamps)
        return self

    def __exit__(self, *exception):
        self.timestamps.append(self.stamper._now())
        self.stamper.current_stack_level -= 1
        if self.bracket is not None:
            self.bracket.__exit__(*exception)


class TimeStamper:
    """memory_profiler's timestamping profiler, the `profile` of `python -m
    memory_profiler --timestamp` (which memory_profiler's `mprof run` runs a script
    with): a decorated function's every call, and every `with profile.timestamp(name):`
    block, is its memory and time at entry and exit and its nesting level, which
    show_results writes as the .dat's FUNC lines (named module.name, a block
    '.' + name). Under mprof run each one is also a FUNC bracket in mprof's own .dat."""

    def __init__(self, backend, include_children=False):
        self.functions = {}
        self.backend = backend
        self.include_children = include_children
        self.current_stack_level = -1
        self.stack = {}

    def _now(self):
        return _get_memory(os.getpid(), self.backend, timestamps=True,
                           include_children=self.include_children)

    def __call__(self, func=None, precision=None):
        if func is None:
            return lambda f: self.__call__(f, precision=precision)
        if not callable(func):
            raise ValueError('Value must be callable')
        self.add_function(func)
        wrapped = self.wrap_function(func)
        wrapped.__module__, wrapped.__name__ = func.__module__, func.__name__
        wrapped.__doc__ = func.__doc__
        wrapped.__dict__.update(getattr(func, '__dict__', {}))
        return wrapped

    def timestamp(self, name='<block>'):
        """A context manager that timestamps the block it encloses."""
        func = lambda x: x  # noqa: E731 -- the key of the block, named as the original
        func.__module__, func.__name__ = '', name
        self.add_function(func)
        return _TimedBlock(self, func, '.' + name)

    def add_function(self, func):
        if func not in self.functions:
            self.functions[func] = []
            self.stack[func] = []

    def wrap_function(self, func):
        """func, timestamped at each call."""
        name = '%s.%s' % (func.__module__, func.__name__)

        def timed(*args, **kwds):
            with _TimedBlock(self, func, name):
                return func(*args, **kwds)
        return timed

    def show_results(self, stream=None):
        """The FUNC lines: name, memory and time at entry, at exit, nesting level."""
        if stream is None:
            stream = sys.stdout
        for func, timestamps in self.functions.items():
            name = '%s.%s' % (func.__module__, func.__name__)
            for times, level in zip(timestamps, self.stack[func]):
                if len(times) == 2:
                    stream.write('FUNC %s %.4f %.4f %.4f %.4f %d\n'
                                 % ((name,) + times[0] + times[1] + (level,)))


profile = _exact_profile if _exact_profile is not None else _original_profile


def _find_script(name):
    """The script's absolute path (as `python3 script.py` has it in its code objects): the
    file itself, or the first of that name on $PATH, as memory_profiler looks."""
    if os.path.isfile(name):
        return os.path.abspath(name)
    for folder in os.environ.get('PATH', os.defpath).split(os.pathsep):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return os.path.abspath(candidate)
    sys.stderr.write('Could not find script {0}\n'.format(name))
    raise SystemExit(1)


def _main(argv):
    """python -m memory_profiler [options] script.py|module [args]: runs the program with
    the profile builtin, as memory_profiler's does. Under mprof run, without -o, that is
    mprof's: its @profile tables are printed by mprof at exit, and what profile.add_function
    and `with profile:` measured is printed here. With -o FILE the tables are appended to
    FILE, as the original writes them (a LineProfiler, on the exact heap under mprof run);
    with --timestamp the profile is a TimeStamper, whose FUNC lines go there (or to stdout)
    and, under mprof run, into mprof's own .dat as brackets."""
    from argparse import ArgumentParser, REMAINDER
    import runpy
    parser = ArgumentParser(usage=_CMD_USAGE)
    parser.add_argument('--version', action='version', version=__version__)
    parser.add_argument('--pdb-mmem', dest='max_mem', metavar='MAXMEM', type=float,
                        help='not supported under mprof')
    parser.add_argument('--precision', type=int, default=3,
                        help='digits after the point of the tables printed here '
                             "(@profile's tables without -o: mprof run --precision)")
    parser.add_argument('-o', dest='out_filename',
                        help='append the tables (or with --timestamp the FUNC lines) to this file')
    parser.add_argument('--timestamp', action='store_true',
                        help='time the decorated functions (FUNC lines) instead of their lines')
    parser.add_argument('--include-children', action='store_true',
                        help='add the children\'s memory (RSS backends)')
    parser.add_argument('--backend', default=None, choices=list(_BACKENDS),
                        help='what the tables printed here measure (default: the exact heap '
                             'under mprof run, RSS elsewhere); --timestamp: RSS by default')
    parser.add_argument('program', nargs=REMAINDER, help='python script or module, and its arguments')
    args = parser.parse_args(argv)
    if not args.program:
        print('A program to run must be provided. Use -h for help')
        return 1
    if args.max_mem is not None:
        parser.error('--pdb-mmem is not supported under mprof (see mprof check --max-peak)')
    prof = _exact_profile
    if args.timestamp:
        prof = TimeStamper(choose_backend(args.backend), include_children=args.include_children)
    elif _exact_profile is None or args.out_filename is not None:
        default = 'mprof' if _exact_profile is not None else None
        prof = LineProfiler(backend=choose_backend(args.backend or default),
                            include_children=args.include_children)
    elif args.backend is not None or args.include_children:
        prof.configure(backend=choose_backend(args.backend),
                       include_children=args.include_children)
    builtins.profile = prof
    target, sys.argv = args.program[0], list(args.program)
    try:
        if target.endswith('.py'):
            script = _find_script(target)
            sys.path.insert(0, os.path.dirname(script))
            sys.argv[0] = script
            runpy.run_path(script, run_name='__main__')
        else:
            runpy.run_module(target, run_name='__main__', alter_sys=True)
    finally:
        stream = open(args.out_filename, 'a') if args.out_filename else sys.stdout
        if args.timestamp:
            prof.show_results(stream=stream)
        elif prof is _exact_profile:
            prof.show_pending(stream=stream, precision=args.precision)
        else:
            show_results(prof, stream=stream, precision=args.precision)
        if stream is not sys.stdout:
            stream.close()
    return 0


if __name__ == '__main__':
    sys.exit(_main(sys.argv[1:]))
