"""profile_issue.py — the README's @profile example, plus the untouched bytes(30_000_000).

Truth, to the byte (CPython 3.11, 64-bit): bytearray(n) asks for n + 1 payload bytes
(its NUL) and a 56-byte object: +50,000,057, and `del` gives the same back;
[0] * 1_000_000 is one 8,000,000-byte item array plus a 56-byte list object, and the
list object normally comes from CPython's list free list (already counted, so +0);
bytes(n) is one n + 33 byte object, counted when asked for though its pages are never
touched (RSS barely moves).
"""
try:
    profile
except NameError:
    def profile(func):
        return func


@profile
def build():
    a = bytearray(50_000_000)
    b = [0] * 1_000_000
    del a
    c = bytes(30_000_000)
    return b, c


if __name__ == '__main__':
    build()
