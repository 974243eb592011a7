"""profile_top.py — whole-program sites for `mprof report --top`, no decorator: at the
peak, line 16 holds 50,000,057 bytes in 2 blocks (a bytearray's object and payload)
and line 17 holds 10,000 strings of 1,000 characters (10,000 x 1,049 bytes, plus the
list's own blocks). The peak is held for 0.5 s so that samples see it.
"""
import time


def build():
    keep = []
    keep.append(build_strings())
    return keep


def build_strings():
    block = bytearray(50_000_000)
    strings = [str(i).zfill(1000) for i in range(10_000)]
    time.sleep(0.5)
    return block, strings


if __name__ == '__main__':
    build()
