"""_memory_profiler_lines — memory_profiler's line-by-line half, for mprof's memory_profiler
module (which re-exports these names): CodeMap, LineProfiler, show_results, and the
IPython magics %mprun and %memit.

LineProfiler is memory_profiler 0.61's algorithm on sys.settrace: each line event of a
function it was given charges the line that ended with the memory now minus the memory
when the previous line ended, keeps the highest memory seen at it, and counts its
occurrences. What "memory" is comes from the backend (memory_profiler's _get_memory):
RSS by default, as the original; mprof's exact heap with backend 'mprof' (the profile
builtin's object uses that under mprof run).
"""
import builtins
import inspect
import linecache
import sys
import warnings


def _mp():
    """The memory_profiler module, asked for when needed: it imports this one."""
    import memory_profiler
    return memory_profiler


class CodeMap(dict):
    """code object -> {line: (increment, highest memory, occurrences)}; the nested code
    objects of a function share its dict."""

    def __init__(self, include_children, backend):
        super().__init__()
        self.include_children = include_children
        self._toplevel = []
        self.backend = backend

    def add(self, code, toplevel_code=None):
        if code in self:
            return
        if toplevel_code is None:
            try:
                sub_lines, start_line = inspect.getsourcelines(code)
            except (OSError, TypeError):
                print('ERROR: Could not find file ' + code.co_filename)
                return
            toplevel_code = code
            self._toplevel.append((code.co_filename, code,
                                   range(start_line, start_line + len(sub_lines))))
            self[code] = {}
        else:
            self[code] = self[toplevel_code]
        for subcode in filter(inspect.iscode, code.co_consts):
            self.add(subcode, toplevel_code=toplevel_code)

    def trace(self, code, lineno, prev_lineno):
        memory = _mp()._get_memory(-1, self.backend, include_children=self.include_children,
                                   filename=code.co_filename)
        lines = self[code]
        previous = lines.get(lineno)
        previous_line = lines.get(prev_lineno) if prev_lineno else None
        previous_line_memory = previous_line[1] if previous_line else 0
        lines[lineno] = ((previous[0] if previous else 0) + (memory - previous_line_memory),
                         max(memory, previous[1] if previous else 0),
                         previous[2] + 1 if previous else 1)

    def items(self):
        """(filename, iterator of (line, measures or None)) of each function measured."""
        for filename, code, linenos in self._toplevel:
            measures = self[code]
            if measures:
                yield filename, ((line, measures.get(line)) for line in linenos)


class LineProfiler:
    """A profiler that records the memory of each line of the functions given to it."""

    def __init__(self, **kw):
        self.backend = _mp().choose_backend(kw.get('backend', None))
        self.code_map = CodeMap(include_children=kw.get('include_children', False),
                                backend=self.backend)
        self.enable_count = 0
        self.max_mem = kw.get('max_mem', None)
        if self.max_mem is not None:
            warnings.warn('max_mem (stepping into pdb) is not supported under mprof: ignored')
        self.prevlines = []
        self.prev_lineno = None
        self._original_trace_function = None

    def __call__(self, func=None, precision=1):
        if func is None:
            return lambda f: self.__call__(f, precision=precision)
        self.add_function(func)
        wrapped = self.wrap_function(func)
        wrapped.__module__, wrapped.__name__ = func.__module__, func.__name__
        wrapped.__doc__ = func.__doc__
        wrapped.__dict__.update(getattr(func, '__dict__', {}))
        return wrapped

    def add_function(self, func):
        """Record line profiling information for the given Python function."""
        code = getattr(func, '__code__', None)
        if code is None:
            warnings.warn('Could not extract a code object for the object %r' % (func,))
        else:
            self.code_map.add(code)

    def wrap_function(self, func):
        """func, profiled while it runs."""
        if inspect.iscoroutinefunction(func):
            async def wrapper(*args, **kwargs):
                self.enable_by_count()
                try:
                    return await func(*args, **kwargs)
                finally:
                    self.disable_by_count()
        else:
            def wrapper(*args, **kwargs):
                self.enable_by_count()
                try:
                    return func(*args, **kwargs)
                finally:
                    self.disable_by_count()
        return wrapper

    def runctx(self, cmd, globals, locals):
        """Profile a single executable statement in the given namespaces."""
        self.enable_by_count()
        try:
            exec(cmd, globals, locals)
        finally:
            self.disable_by_count()
        return self

    def run(self, cmd):
        import __main__
        return self.runctx(cmd, __main__.__dict__, __main__.__dict__)

    def enable_by_count(self):
        """Enable the profiler if it hasn't been enabled before."""
        if self.enable_count == 0:
            self.enable()
        self.enable_count += 1

    def disable_by_count(self):
        """Disable it when the disable requests match the enable requests."""
        if self.enable_count > 0:
            self.enable_count -= 1
            if self.enable_count == 0:
                self.disable()

    def trace_memory_usage(self, frame, event, arg):
        """The sys.settrace callback."""
        if frame.f_code in self.code_map:
            if event == 'call':
                self.prevlines.append(frame.f_lineno)
            elif event == 'line':
                self.code_map.trace(frame.f_code, self.prevlines[-1], self.prev_lineno)
                self.prev_lineno = self.prevlines[-1]
                self.prevlines[-1] = frame.f_lineno
            elif event == 'return':
                lineno = self.prevlines.pop()
                self.code_map.trace(frame.f_code, lineno, self.prev_lineno)
                self.prev_lineno = lineno
        if self._original_trace_function is not None:
            self._original_trace_function(frame, event, arg)
        return self.trace_memory_usage

    def __enter__(self):
        self.enable_by_count()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.disable_by_count()

    def enable(self):
        self._original_trace_function = sys.gettrace()
        sys.settrace(self.trace_memory_usage)

    def disable(self):
        sys.settrace(self._original_trace_function)

    def print_stats(self, stream=None, precision=1):
        """show_results(self): line_profiler's name for it."""
        show_results(self, stream=stream, precision=precision)


def show_results(prof, stream=None, precision=1):
    """Each measured function's table, in memory_profiler's layout, to stream (stdout)."""
    if stream is None:
        stream = sys.stdout
    template = '{0:>6} {1:>12} {2:>12}  {3:>10}   {4:<}'
    for filename, lines in prof.code_map.items():
        header = template.format('Line #', 'Mem usage', 'Increment', 'Occurrences',
                                 'Line Contents')
        stream.write('Filename: ' + filename + '\n\n')
        stream.write(header + '\n')
        stream.write('=' * len(header) + '\n')
        all_lines = linecache.getlines(filename)
        template_mem = '{0:%d.%df} MiB' % (precision + 4, precision)
        for lineno, mem in lines:
            if mem:
                inc, total, occurrences = (template_mem.format(mem[0]),
                                           template_mem.format(mem[1]), mem[2])
            else:
                inc = total = occurrences = ''
            source = all_lines[lineno - 1] if lineno <= len(all_lines) else '\n'
            stream.write(template.format(lineno, total, inc, occurrences, source))
        stream.write('\n\n')


class MemitResult:
    """What %memit measured (its -o returns it)."""

    def __init__(self, mem_usage, baseline, repeat, timeout, interval, include_children):
        self.mem_usage, self.baseline, self.repeat = mem_usage, baseline, repeat
        self.timeout, self.interval, self.include_children = timeout, interval, include_children

    def __str__(self):
        max_mem = max(self.mem_usage)
        return 'peak memory: %.02f MiB, increment: %.02f MiB' % (max_mem, max_mem - self.baseline)

    def _repr_pretty_(self, p, cycle):
        p.text('<MemitResult : ' + str(self) + '>')


def _magics(ip):
    """The Magics class of %mprun and %memit (IPython is imported only here)."""
    from IPython.core.error import UsageError
    from IPython.core.magic import Magics, line_cell_magic, magics_class
    from IPython.core.page import page
    from IPython.utils.ipstruct import Struct

    @magics_class
    class MemoryProfilerMagics(Magics):
        @line_cell_magic
        def mprun(self, parameter_s='', cell=None):
            """%mprun -f func1 [-f func2] [-T file] [-r] [-c] [-b backend] statement: run
            the statement with the functions' lines measured, and page their tables.
            -b (mprof's) picks the backend: 'mprof' for the exact heap; default RSS."""
            opts_def = Struct(T=[''], f=[], b=[None])
            parameter_s = parameter_s.replace('"', r'\"').replace("'", r"\'")
            opts, arg_str = self.parse_options(parameter_s, 'rf:T:cb:', list_all=True)
            opts.merge(opts_def)
            global_ns, local_ns = self.shell.user_global_ns, self.shell.user_ns
            if cell is not None:
                arg_str += '\n' + cell
            funcs = []
            for name in opts.f:
                try:
                    funcs.append(eval(name, global_ns, local_ns))
                except Exception as error:
                    raise UsageError('Could not find function %r.\n%s: %s'
                                     % (name, type(error).__name__, error))
            profile = LineProfiler(include_children='c' in opts, backend=opts.b[-1])
            for func in funcs:
                profile(func)
            saved = builtins.__dict__.get('profile')
            builtins.__dict__['profile'] = profile
            message = ''
            try:
                profile.runctx(arg_str, global_ns, local_ns)
            except SystemExit:
                message = '*** SystemExit exception caught in code being profiled.'
            except KeyboardInterrupt:
                message = '*** KeyboardInterrupt exception caught in code being profiled.'
            finally:
                if saved is not None:
                    builtins.__dict__['profile'] = saved
                else:
                    builtins.__dict__.pop('profile', None)
            import io
            trap = io.StringIO()
            show_results(profile, trap)
            output = trap.getvalue().rstrip()
            page(output)
            print(message)
            if opts.T[0]:
                with open(opts.T[0], 'w') as text_file:
                    text_file.write(output)
                print('\n*** Profile printout saved to text file %s. %s' % (opts.T[0], message))
            return profile if 'r' in opts else None

        @line_cell_magic
        def memit(self, line='', cell=None):
            """%memit [-r<R> -t<T> -i<I> -c -o -q -b<backend>] statement: the peak memory
            while it runs, and its increment over the memory before. RSS by default, as
            memory_profiler; -b mprof (mprof's) the exact heap, whose peak is exact."""
            mp = _mp()
            opts, stmt = self.parse_options(line, 'r:t:i:coqb:', posix=False, strict=False)
            setup = 'pass'
            if cell is not None:
                setup, stmt = stmt, cell
            repeat = max(int(getattr(opts, 'r', 1)), 1)
            timeout = int(getattr(opts, 't', 0)) or None
            interval = float(getattr(opts, 'i', 0.1))
            backend = getattr(opts, 'b', None)
            include_children = 'c' in opts
            import gc
            gc.collect()
            mp._func_exec(setup, self.shell.user_ns)
            baseline = mp.memory_usage(backend=backend)[0]
            mem_usage = [mp.memory_usage((mp._func_exec, (stmt, self.shell.user_ns)),
                                         timeout=timeout, interval=interval, max_usage=True,
                                         max_iterations=1, include_children=include_children,
                                         backend=backend)
                         for _ in range(repeat)]
            result = MemitResult(mem_usage, baseline, repeat, timeout, interval,
                                 include_children)
            if 'q' not in opts:
                print(result)
            return result if 'o' in opts else None

    return MemoryProfilerMagics


def load_ipython_extension(ip):
    """%load_ext memory_profiler: register %mprun and %memit."""
    ip.register_magics(_magics(ip))
