"""mp_stream_raise.py LOG — @profile(stream=fp) on a function and on a coroutine whose
calls raise: the original writes a call's table only after it returns, so LOG gets the
table of the one call that returned, and none of those that raised."""
import asyncio
import sys

from memory_profiler import profile

log = open(sys.argv[1], 'w')


@profile(stream=log)
def fails(n):
    held = [0] * n
    if n > 1000:
        raise ValueError(len(held))
    return len(held)


@profile(stream=log)
async def fails_later(n):
    held = [0] * n
    await asyncio.sleep(0)
    raise KeyError(len(held))


async def main():
    try:
        await fails_later(2000)
    except KeyError as error:
        print('coroutine raised', error)

for n in (5000, 10):
    try:
        print('returned', fails(n))
    except ValueError as error:
        print('raised', error)
asyncio.run(main())
log.close()
