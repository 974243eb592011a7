"""mp_usage_both.py — memory_usage in each form memory_profiler's README and docstring
give, printing what it returned (its type and shape, not the MiB, which differ): the
same lines under memory_profiler and under mprof run's module. Then exit status 4."""
import io
import os
import subprocess
import sys
import time

from memory_profiler import memory_usage


def f(a=1, n=100):
    b = [a] * n
    time.sleep(0.25)
    return len(b)


def floats(values):
    return all(isinstance(value, float) and value > 0 for value in values)


def sleeper(seconds, spawn=False):
    code = 'import time; time.sleep(%r)' % seconds
    if spawn:
        code = ('import subprocess, time; child = subprocess.Popen(["sleep", "%r"]); '
                'time.sleep(%r); child.wait()' % (seconds, seconds))
    return subprocess.Popen([sys.executable, '-c', code])


usage = memory_usage(-1, interval=.2, timeout=1)
print('this process, a second at .2:', type(usage).__name__, len(usage), floats(usage))
usage = memory_usage()
print('this process, once:', len(usage), floats(usage))
usage = memory_usage(os.getpid(), interval=.05, timeout=.2)
print('a pid, .2 s at .05:', len(usage), floats(usage))
usage = memory_usage(os.getpid(), max_usage=True)
print('a pid, max_usage:', type(usage).__name__, usage > 0)
usage = memory_usage((f, (1,), {'n': 10 ** 6}))
print('(f, args, kw):', type(usage).__name__, len(usage) > 4, floats(usage))
usage = memory_usage((f, (1,)), interval=.05)
print('(f, args):', len(usage) > 4, floats(usage))
usage = memory_usage(f)
print('f alone:', len(usage) > 4, floats(usage))
usage = memory_usage((f, (1,), {'n': 10}), max_usage=True)
print('max_usage:', type(usage).__name__, usage > 0)
usage = memory_usage((f, (1,), {'n': 10}), max_usage=True, retval=True)
print('max_usage, retval:', type(usage).__name__, type(usage[0]).__name__, usage[1])
usage = memory_usage((f, (2,), {'n': 20}), retval=True)
print('retval:', type(usage[0]).__name__, floats(usage[0]), usage[1])
usage = memory_usage((f, (1,)), timestamps=True, interval=.05)
print('timestamps:', all(type(pair) is tuple and len(pair) == 2 and pair[1] > 1e9
                         for pair in usage))
usage = memory_usage((f, (1,)), include_children=True)
print('include_children:', floats(usage))
child = sleeper(0.6)
usage = memory_usage(child, interval=.1)
print('a Popen:', len(usage) >= 3, floats(usage), child.wait())
child = sleeper(0.6)
usage = memory_usage(child, interval=.1, timeout=.3)
print('a Popen, timeout:', len(usage), floats(usage), child.wait())
child = sleeper(0.5)
usage = memory_usage(child, interval=.1, max_usage=True)
print('a Popen, max_usage:', type(usage).__name__, usage > 0, child.wait())
child = sleeper(0.5)
stream = io.StringIO()
print('a Popen, stream:', memory_usage(child, interval=.1, stream=stream), child.wait())
lines = stream.getvalue().splitlines()
print('its lines:', len(lines) >= 3,
      all(line.startswith('MEM ') and len(line.split()) == 3 for line in lines))
child = sleeper(1.5, spawn=True)
time.sleep(0.6)
usage = memory_usage(child, interval=.1, timeout=.3, multiprocess=True)
print('multiprocess:', len(usage), all(type(row) is list and len(row) == 2 for row in usage))
stream = io.StringIO()
memory_usage(child.pid, interval=.1, timeout=.2, multiprocess=True, stream=stream)
words = [line.split()[0] for line in stream.getvalue().splitlines()]
print('multiprocess stream:', words)
usage = memory_usage(child.pid, interval=.1, timeout=.2, include_children=True)
print('a pid, include_children:', len(usage), floats(usage), child.wait())
# MemTimer, the process memory_usage ran (its protocol: 0 when it starts, samples until
# told to stop, then the samples and their count).
from memory_profiler import MemTimer  # noqa: E402
from multiprocessing import Pipe  # noqa: E402
ours, its = Pipe()
timer = MemTimer(os.getpid(), .05, its, 'psutil', timestamps=True)
timer.start()
started = ours.recv()
time.sleep(0.4)
ours.send(0)
samples, count = ours.recv(), ours.recv()
timer.join()
print('MemTimer:', started, len(samples) == count, count > 4,
      all(len(pair) == 2 and pair[0] > 0 for pair in samples), timer.exitcode)
ours, its = Pipe()
timer = MemTimer(os.getpid(), .05, its, 'psutil', max_usage=True)
timer.start()
ours.recv()
ours.send(0)
samples, count = ours.recv(), ours.recv()
timer.join()
print('MemTimer, max_usage:', len(samples), type(samples[0]).__name__, count >= 2)
sys.exit(4)
