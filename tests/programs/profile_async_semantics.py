"""profile_async_semantics.py — what decorated coroutines and async generators do is
what the undecorated ones do: values sent and returned, exceptions thrown and raised,
close, cancellation, `async with`, `async for`, concurrent tasks, and the function's
identity. Prints the same lines with and without mprof run (the test compares them).
"""
import asyncio
import inspect
import types

try:
    profile
except NameError:
    def profile(func):
        return func


@types.coroutine
def exchange(value):
    """Yields `value` to whoever drives the coroutine, returns what it is sent back."""
    return (yield value)


@profile
async def echo(first):
    """Sends values up and back."""
    got = await exchange(first)
    again = await exchange(got * 2)
    return got, again


@profile
async def catches():
    try:
        await exchange('waiting')
    except KeyError as error:
        caught = 'caught %r' % (error,)
    await exchange(caught)
    return 'after'


@profile
async def guarded(log):
    try:
        await exchange('open')
    finally:
        log.append('finally ran')


@profile
async def raises():
    await asyncio.sleep(0)
    raise ValueError('from the coroutine')


@profile
async def sleeper(log):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        log.append('cancelled')
        raise


class Resource:
    def __init__(self, log):
        self.log = log

    async def __aenter__(self):
        await asyncio.sleep(0)
        self.log.append('enter')
        return self

    async def __aexit__(self, *exc):
        await asyncio.sleep(0)
        self.log.append('exit %s' % (exc[0].__name__ if exc[0] else None))
        return exc[0] is KeyError


@profile
async def uses(log, fail):
    async with Resource(log) as resource:
        if fail:
            raise KeyError('inside')
        log.append('body %s' % type(resource).__name__)
    return 'used'


@profile
async def counts(limit):
    for number in range(limit):
        await asyncio.sleep(0)
        sent = yield number
        if sent is not None:
            yield 'sent %s' % sent


@profile
async def consumes(limit):
    return [number async for number in counts(limit)]


def drive_by_hand():
    lines = []
    coroutine = echo(5)
    lines.append(('first yield', coroutine.send(None)))
    lines.append(('second yield', coroutine.send(21)))
    try:
        coroutine.send('x')
    except StopIteration as end:
        lines.append(('returned', end.value))
    coroutine = catches()
    lines.append(('yielded', coroutine.send(None)))
    lines.append(('after throw', coroutine.throw(KeyError('k'))))
    try:
        coroutine.send(None)
    except StopIteration as end:
        lines.append(('returned', end.value))
    log = []
    coroutine = guarded(log)
    coroutine.send(None)
    coroutine.close()
    lines.append(('closed', log, inspect.getcoroutinestate(coroutine)))
    return lines


async def with_loop():
    lines = []
    try:
        await raises()
    except ValueError as error:
        lines.append(('raised', str(error)))
    log = []
    task = asyncio.ensure_future(sleeper(log))
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        lines.append(('task cancelled', log, task.cancelled()))
    log = []
    lines.append(('async with', await uses(log, False), await uses(log, True), log))
    lines.append(('async for', await consumes(4)))
    generator = counts(3)
    lines.append(('asend', await generator.__anext__(), await generator.asend('s')))
    lines.append(('athrow', await generator.__anext__()))
    try:
        await generator.athrow(IndexError('i'))
    except IndexError as error:
        lines.append(('athrow raised', str(error)))
    generator = counts(3)
    await generator.__anext__()
    await generator.aclose()
    lines.append(('aclosed', generator.ag_running))
    lines.append(('gathered', await asyncio.gather(echo_task(1), echo_task(2), echo_task(3))))
    return lines


@profile
async def echo_task(n):
    await asyncio.sleep(0)
    block = bytearray(1000 * n)
    await asyncio.sleep(0)
    return len(block)


def identity():
    return [(function.__name__, function.__qualname__, function.__doc__,
             inspect.iscoroutinefunction(function), inspect.isasyncgenfunction(function),
             inspect.unwrap(function).__name__, hasattr(function, '__wrapped__') or 'bare')
            for function in (echo, counts)]


if __name__ == '__main__':
    for line in drive_by_hand() + asyncio.run(with_loop()):
        print(*line)
    for line in identity():
        print(*line[:6])
