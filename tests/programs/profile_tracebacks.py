"""profile_tracebacks.py [plain] — exceptions out of decorated functions of every kind
(plain, method, recursive, generator, coroutine, async generator), each traceback printed
to stdout: under mprof run they must be the program's own, exactly as bare (where
`profile` hands the function back), with no frame of mprof's. With `plain`, only the
plain function, method and recursion (3.10 keeps the frames of the generator and
coroutine wrappers: it re-raises the traceback it caught)."""
import asyncio
import sys
import traceback

try:
    profile
except NameError:
    def profile(func):
        return func


@profile
def plain(x):
    return 1 / x


class Box:
    @profile
    def open(self):
        raise LookupError('shut')


@profile
def recurse(depth):
    if depth == 0:
        raise RecursionError('bottom')
    return recurse(depth - 1)


@profile
def generator():
    yield 1
    raise KeyError('generator')


@profile
async def coroutine():
    await asyncio.sleep(0)
    raise ValueError('coroutine')


@profile
async def async_generator():
    yield 1
    raise TypeError('async generator')


async def drain():
    async for _ in async_generator():
        pass


def show(call):
    try:
        call()
    except Exception:
        print(traceback.format_exc(), end='')


show(lambda: plain(0))
show(lambda: Box().open())
show(lambda: recurse(3))
if sys.argv[1:] != ['plain']:
    show(lambda: list(generator()))
    show(lambda: asyncio.run(coroutine()))
    show(lambda: asyncio.run(drain()))
