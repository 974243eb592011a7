"""profile_several.py — decorated functions in two files (this one and
profile_helper.py), called in the order second, helper, first: mprof prints the
tables in the order the functions were first called, each under its own file name.
"""
from profile_helper import helper_grow

try:
    profile
except NameError:
    def profile(func):
        return func


@profile
def first():
    return bytearray(100_000)


@profile
def second():
    return bytearray(200_000)


if __name__ == '__main__':
    kept = [second(), helper_grow(100), first()]
    print('several done')
