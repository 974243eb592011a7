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
         'load_ipython_extension', 'run', 'CodeMap', 'MemitResult', 'LogFile', 'TimeStamper',
         'MemTimer')
print('names:', all(hasattr(memory_profiler, name) for name in names))
print('profile is the builtin:', memory_profiler.profile is profile)  # noqa: F821

import logging
logging.basicConfig(stream=sys.stdout, level=logging.INFO, format='log %(name)s: %(message)s')
log = memory_profiler.LogFile('mplog', reportIncrementFlag=True)
log.write('     5   38.816 MiB    7.676 MiB           1       a = [1] * (10 ** 6)')
log.write('     7   46.629 MiB -152.488 MiB           1       del b')
log.write('Line #    Mem usage    Increment  Occurrences   Line Contents')
log.flush()
