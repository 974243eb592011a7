"""mp_usage_forms.py — memory_usage in each form memory_profiler accepts, with figures a
test can hold to: the exact heap (backend 'mprof', and 'tracemalloc' mapped to it) to the
byte against the `mprof` module's own, RSS against /proc/self/statm."""
import os
import subprocess
import sys
import time

import mprof
from memory_profiler import memory_usage

TWO_20 = 2 ** 20


def hold(n, seconds=0.0):
    block = bytearray(n)
    time.sleep(seconds)
    del block
    return 'done'


def statm_mib():
    with open('/proc/self/statm') as statm:
        return int(statm.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / TWO_20


for backend in ('mprof', 'tracemalloc'):
    live = mprof.heap_live_bytes()
    peak, returned = memory_usage((hold, (50_000_000,), {}), backend=backend, max_usage=True,
                                  retval=True)
    print(backend, 'peak equals the window:', round(peak * TWO_20) == mprof.heap_peak_bytes())
    print(backend, 'peak above live:', round(peak * TWO_20) - live, returned)

samples = memory_usage(-1, interval=0.01, timeout=0.1)
print('self samples:', len(samples), all(abs(s - statm_mib()) < 4 for s in samples))
print('self one sample:', len(memory_usage(-1)), len(memory_usage(os.getpid())))
samples = memory_usage((hold, (60_000_000, 0.5)), interval=0.05)
print('callable RSS rose:', max(samples) - samples[0] > 50)
samples = memory_usage(lambda: hold(1000), interval=0.05)
print('bare callable:', len(samples) >= 2)
heap = memory_usage((hold, (1000, 0.1)), backend='mprof', interval=0.01, max_iterations=1,
                    timestamps=True)
print('timestamps:', all(len(s) == 2 and s[1] > 1e9 for s in heap))
child = subprocess.Popen([sys.executable, '-c', 'import time; b = bytearray(40_000_000); time.sleep(0.6)'])
samples = memory_usage(child, interval=0.05)
child.wait()
print('popen samples:', len(samples) >= 3, max(samples) > 38)
child = subprocess.Popen(['sleep', '0.5'])
print('pid form:', len(memory_usage(child.pid)), memory_usage(child.pid)[0] > 0)
with open('popen.dat', 'w') as stream:
    child2 = subprocess.Popen(['sleep', '0.3'])
    print('stream returns:', memory_usage(child2, interval=0.05, stream=stream))
child.wait()
print('stream lines:', all(line.startswith('MEM ') for line in open('popen.dat')),
      sum(1 for _ in open('popen.dat')) >= 3)
uss = memory_usage(-1, backend='psutil_uss')[0]
pss = memory_usage(-1, backend='psutil_pss')[0]
rss = memory_usage(-1)[0]  # read one after another: what moves in between is slack
print('pss uss:', 0 < uss <= pss + 1 and pss <= rss + 2, rss, pss, uss)
print('children:', memory_usage(-1, include_children=True)[0] >= memory_usage(-1)[0] - 1)
print('max_usage RSS:', isinstance(memory_usage(-1, max_usage=True), float))
try:
    memory_usage(os.getppid(), backend='mprof')
except ValueError as error:
    print('heap of another process:', error)
