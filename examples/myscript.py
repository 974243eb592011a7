"""myscript.py — the first script of the article mprof grew from.

A recursive function under @profile: each call keeps a list of 10**6 items (about
8 MB of pointers) and briefly builds one of 2 * 10**7 items (about 160 MB) that it
deletes again, then recurses. `mprof run myscript.py` then `mprof plot` shows a saw
that climbs by one small list per level.

Corrected from the article for Python 3: the original mixed tabs and spaces in one
block (a TabError on Python 3) and used the print statement.
"""

# For running without mprof (plain python3): mprof provides `profile` as a builtin,
# memory_profiler's `python -m memory_profiler` does too; otherwise it is a no-op.
try:
    profile
except NameError:
    def profile(func):
        return func


@profile
def my_func(i):
    a = [1] * (10 ** 6)
    b = [2] * (2 * 10 ** 7)
    del b
    if i > 0:
        my_func(i - 1)
    return a


if __name__ == "__main__":
    my_func(10)
