"""mp_magics_mod.py — functions in a file, for %mprun -f."""


def grow(n):
    a = bytearray(n)
    b = bytearray(n)
    del a
    return b


def pair(n):
    first = grow(n)
    second = grow(n)
    return len(first) + len(second)
