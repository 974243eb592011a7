"""profile_calls_crowded.py — 10,002 uses of one timed block, then one call of a decorated
g that holds 30,000,000 bytes for half a second: the block's calls fill the 10,000 kept
for the plot's brackets, g's first (and only) call is kept all the same, so `mprof peak
--func __main__.g` finds the 30 MB, and the 2 calls left out are said."""
import time

for _ in range(10002):
    with profile.timestamp('tick'):  # noqa: F821 (the builtin under mprof run)
        pass


@profile  # noqa: F821
def g():
    held = bytearray(30_000_000)
    time.sleep(0.5)
    return len(held)


print('g', g())
