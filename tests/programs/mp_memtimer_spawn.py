"""mp_memtimer_spawn.py METHOD — memory_profiler's MemTimer started under the `spawn` or
`forkserver` start method (both pickle the process: a class made inside a function
could not be), and bound by `from memory_profiler import *` as the original's is."""
import multiprocessing
import os
import sys
import time

from memory_profiler import *  # noqa: F401,F403

if __name__ == '__main__':
    multiprocessing.set_start_method(sys.argv[1])
    ours, its = multiprocessing.Pipe()
    timer = MemTimer(os.getpid(), .02, its, 'psutil', timestamps=True)  # noqa: F405
    timer.start()
    if not ours.poll(30):
        sys.exit('MemTimer: no word from the process')
    started = ours.recv()
    time.sleep(.2)
    ours.send(0)
    samples, count = ours.recv(), ours.recv()
    timer.join()
    print('MemTimer:', sys.argv[1], started, len(samples) == count, count > 4,
          type(samples[0]).__name__, timer.exitcode)
