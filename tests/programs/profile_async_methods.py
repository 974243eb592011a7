"""profile_async_methods.py — more decorated shapes for comparing mprof's tables with
tracemalloc's (tmprofile.py): a coroutine awaited three times, an async generator, a
method and a static method whose comprehensions are nested code (whose qualified names
CPython 3.10 keeps among the method's constants), and a closure. Single-threaded,
allocates through Python only, deterministic. The loops stay below 256, whose ints are
the interpreter's own: from 3.14 on, where the next int comes from depends on what
filled the int free list before (the decorator's own work, which differs between mprof's
and tracemalloc's), so a truth per line would not be one.
"""
import asyncio
try:
    profile
except NameError:
    def profile(func):
        return func


@profile
async def coro(n):
    a = bytearray(100_000)
    await asyncio.sleep(0)
    b = bytearray(n)
    del a
    return b


@profile
async def agen(count):
    for i in range(count):
        x = bytearray(10_000)
        yield x
        del x


class Box:
    @profile
    def method(self, k):
        self.items = [str(i) * 10 for i in range(k)]
        return len(self.items)

    @staticmethod
    @profile
    def static(k):
        return {i: i for i in range(k)}


@profile
def with_closure(k):
    seen = []

    def inner(v):
        seen.append(v * 2)
    for i in range(k):
        inner(i)
    return seen


async def main():
    kept = [await coro(8000) for _ in range(3)]
    got = [x async for x in agen(4)]
    return kept, got


if __name__ == '__main__':
    kept, got = asyncio.run(main())
    items = Box().method(200)
    table = Box.static(200)
    seen = with_closure(100)
    print('async methods done', len(kept), len(got), items, len(table), len(seen))
