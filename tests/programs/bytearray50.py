"""bytearray50.py — one bytearray(50_000_000) held for 0.8 s after a 0.5 s baseline.

The truth: 50,000,000 payload bytes + 1 NUL + the object header (56 bytes on 64-bit
CPython 3.11), counted once however many allocator layers it passes through.
"""
import time

time.sleep(0.5)
block = bytearray(50_000_000)
time.sleep(0.8)
del block
time.sleep(0.2)
