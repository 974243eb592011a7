"""glue_builtin.py — what the @profile glue gives the program besides the decorator:
the `profile` builtin (mprof's decorator, and memory_profiler's LineProfiler when used
as an object) and the finders that give `import memory_profiler` mprof's module and
pytest mprof's plugin.

Run after glue.py, in the same namespace (the build joins the two into the one source
the plugin embeds), at start-up, as glue.py's _make is: it imports nothing but sys until
a module is asked for.
"""


def _profile_object(decorate):
    """The builtin profile, as `python -m memory_profiler` gives it: called, it is mprof's
    decorator (`decorate`, from _make); used as an object, a memory_profiler LineProfiler
    on the exact heap (`with profile:`, enable_by_count(), disable_by_count(),
    add_function(f), print_stats(), and the rest of LineProfiler's names), made by the
    memory_profiler module the first time it is asked for, which prints what it measured
    when the program ends unless print_stats() did."""

    class Profile:
        """memory_profiler's profile under mprof run: @profile gives mprof's exact line
        tables; with profile:, add_function and print_stats a LineProfiler's."""
        _lines = None
        _settings = {'backend': 'mprof'}
        _shown = False

        def __call__(self, func=None, stream=None, precision=1, backend=None):
            if func is None and stream is None:
                return self
            return decorate(func, stream, precision, backend)

        def timestamp(self, name='<block>'):
            """memory_profiler's TimeStamper.timestamp (what `mprof run` gives a script
            there): `with profile.timestamp(name):` is a FUNC bracket named '.' + name, as
            the original names it, in mprof's .dat."""
            return decorate.bracket('.' + name)

        def bracket(self, name):
            """A context manager: a FUNC bracket named `name` (whole) in mprof's .dat."""
            return decorate.bracket(name)

        def lines(self):
            """The LineProfiler behind the object's other names."""
            if self._lines is None:
                import atexit
                import memory_profiler
                self._lines = memory_profiler.LineProfiler(**self._settings)
                atexit.register(self.show_pending)
            return self._lines

        def configure(self, **settings):
            """The LineProfiler's settings (backend, include_children), before its first use."""
            self._settings = dict(self._settings, **settings)

        def __enter__(self):
            self.lines().enable_by_count()
            return self

        def __exit__(self, *exception):
            self.lines().disable_by_count()

        def print_stats(self, stream=None, precision=1):
            self._shown = True
            self.lines().print_stats(stream=stream, precision=precision)

        def show_pending(self, stream=None, precision=1):
            """The tables, when there are some and print_stats() has not printed them."""
            if self._lines is not None and not self._shown:
                self.print_stats(stream=stream, precision=precision)

        def __repr__(self):
            return "<memory_profiler's profile under mprof run>"

        def __getattr__(self, name):
            if name.startswith('_'):
                raise AttributeError(name)
            return getattr(self.lines(), name)

    return Profile()


def _module_finder(directory, profile):
    """What gives `import memory_profiler` mprof's module (directory/memory_profiler.py
    and its two helpers) even where the original package is installed: a finder for the
    front of sys.meta_path that knows those names alone, and hands `profile` (the builtin)
    to the module in its spec's loader_state. Nothing is read until they are imported."""
    names = ('memory_profiler', '_memory_profiler_lines', '_memory_profiler_calls')

    class MemoryProfilerFinder:
        def find_spec(self, name, path=None, target=None):
            if path is not None or name not in names:
                return None
            import importlib.util
            spec = importlib.util.spec_from_file_location(name, directory + '/' + name + '.py')
            spec.loader_state = {'profile': profile}
            return spec

    return MemoryProfilerFinder()


def _pytest_finder(directory):
    """What offers pytest mprof's plugin, with sys.path and the environment untouched:
    a finder for the end of sys.meta_path that knows the distribution mprof
    (directory/mprof.dist-info, whose pytest11 entry point is the module pytest_mprof)
    and that module (directory/pytest_mprof.py), asked only after every other finder
    has said no. It imports nothing until pytest (or anyone) asks."""

    class PytestPluginFinder:
        def find_spec(self, name, path=None, target=None):
            if name != 'pytest_mprof' or path is not None:
                return None
            import importlib.util
            return importlib.util.spec_from_file_location(name, directory + '/pytest_mprof.py')

        def find_distributions(self, context=None):
            name = getattr(context, 'name', None)
            if name is not None and name.lower() != 'mprof':
                return iter(())
            import importlib.metadata
            import pathlib
            return iter((importlib.metadata.PathDistribution(
                pathlib.Path(directory, 'mprof.dist-info')),))

    return PytestPluginFinder()
