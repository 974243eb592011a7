"""mp_magics_mod.py — a function in a file, for %mprun -f."""


def grow(n):
    a = bytearray(n)
    b = bytearray(n)
    del a
    return b
