"""myscript2.py — the second script of the article mprof grew from.

The same allocations as myscript.py, measured from inside the program instead of from
the command line.

Corrected from the article: it called `memory_profiler.run(...)`, which memory_profiler
has never had (the article mixed it up with `profile.run`/`cProfile.run`). The function
that exists is `memory_profiler.memory_usage((func, args, kwargs))`: it runs the call
and returns the RSS samples taken meanwhile. memory_profiler is optional here, so the
script also runs with a bare python3 and under `mprof run`, which records the heap from
outside the code anyway. Tabs and spaces were mixed in the original; this file uses
spaces only.
"""

# For running without mprof (plain python3): mprof provides `profile` as a builtin,
# memory_profiler's `python -m memory_profiler` does too; otherwise it is a no-op.
try:
    profile
except NameError:
    def profile(func):
        return func


@profile
def my_func():
    a = [1] * (10 ** 6)
    b = [2] * (2 * 10 ** 7)
    del b
    return a


def main():
    try:
        from memory_profiler import memory_usage
    except ImportError:
        memory_usage = None
    if memory_usage is None:
        a = my_func()
        print("my_func kept a list of %d items (memory_profiler not installed: "
              "run `mprof run myscript2.py` for the time series)" % len(a))
        return
    samples = memory_usage((my_func, (), {}), interval=0.1)
    print("memory_profiler: RSS from %.1f to %.1f MiB while my_func ran"
          % (min(samples), max(samples)))


if __name__ == "__main__":
    main()
