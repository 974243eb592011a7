"""mp_found.py — mprof's memory_profiler is a real module under mprof run: importlib finds
it by a spec with a loader, it reloads, and it is the same module that `import` gives."""
import importlib
import importlib.util
import sys

spec = importlib.util.find_spec('memory_profiler')
import memory_profiler

print('spec origin:', spec.origin)
print('loader:', type(spec.loader).__name__, spec.loader is not None)
print('same spec:', memory_profiler.__spec__.origin == spec.origin)
print('file:', memory_profiler.__file__)
print('reloaded:', importlib.reload(memory_profiler) is sys.modules['memory_profiler'])
names = ('profile', 'memory_usage', 'LineProfiler', 'show_results', 'choose_backend',
         'load_ipython_extension', 'run', 'CodeMap', 'MemitResult')
print('names:', all(hasattr(memory_profiler, name) for name in names))
print('profile is the builtin:', memory_profiler.profile is profile)  # noqa: F821
