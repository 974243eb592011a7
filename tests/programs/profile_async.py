"""profile_async.py — decorated coroutines (async def) under asyncio, for comparing
mprof's @profile tables with tracemalloc's (tmprofile.py) line by line: a coroutine
awaiting others (callees included), coroutines that suspend (asyncio.sleep(0)) and
resume, a method with a loop that suspends. Single-threaded, allocates through Python
only (tracemalloc sees what mprof sees), deterministic.

    python3 profile_async.py [--gather]

A coroutine's line ends when it suspends (as a generator's does at a yield) and no line
is open until it resumes: what the event loop and the other tasks allocate meanwhile is
no line's. With --gather, three fill() tasks also run at once under asyncio.gather, so
that each suspends while the others allocate.
"""
import asyncio
import gc
import sys

try:
    profile
except NameError:
    def profile(func):
        return func


@profile
async def fill(size):
    block = bytearray(size)
    await asyncio.sleep(0)
    text = 'y' * size
    await asyncio.sleep(0)
    del block
    return text


@profile
async def fill_three():
    first = await fill(100_000)
    second = await fill(200_000)
    sizes = [len(first), len(second), len(await fill(300_000))]
    del second
    return first, sizes


@profile
async def gather_three():
    texts = await asyncio.gather(fill(200_000), fill(300_000), fill(400_000))
    sizes = [len(text) for text in texts]
    del texts
    return sizes


class Cache:
    def __init__(self):
        self.entries = {}

    @profile
    async def load(self, count):
        for key in range(count):
            self.entries[key] = bytearray(1000 + key)
            if key % 10 == 0:
                await asyncio.sleep(0)
        return len(self.entries)


async def main(gather):
    first, sizes = await fill_three()
    cache = Cache()
    loaded = await cache.load(50)
    if gather:
        sizes += await gather_three()
    print('async done', len(first), sum(sizes), loaded)


if __name__ == '__main__':
    # The decorators' and asyncio's import garbage, collected before anything is
    # measured (see profile_shapes.py); and no collection while it runs: the event
    # loop leaves cyclic garbage, which a collection would free inside whichever line
    # it falls in, a different one under the tracer than under mprof.
    gc.collect()
    gc.disable()
    asyncio.run(main('--gather' in sys.argv[1:]))
