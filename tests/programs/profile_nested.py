"""profile_nested.py — decorated functions three levels deep, each holding memory a
known while: outer (level 0) calls middle twice (level 1), each middle calls inner
(level 2). inner holds 20,000,000 B and middle 10,000,000 B, their pages touched."""
import time

try:
    profile
except NameError:
    def profile(func):
        return func


@profile
def inner():
    block = bytearray(20_000_000)
    block[::4096] = b'x' * len(block[::4096])
    time.sleep(0.3)
    return len(block)


@profile
def middle():
    held = bytearray(10_000_000)
    held[::4096] = b'x' * len(held[::4096])
    time.sleep(0.2)
    n = inner()
    time.sleep(0.2)
    return n + len(held)


@profile
def outer():
    time.sleep(0.2)
    total = middle()
    time.sleep(0.2)
    total += middle()
    time.sleep(0.2)
    return total


time.sleep(0.3)
outer()
time.sleep(0.3)
