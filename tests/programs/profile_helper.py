"""profile_helper.py — a module with a decorated function, imported by
profile_several.py: tables for functions in several files."""
try:
    profile
except NameError:
    def profile(func):
        return func


@profile
def helper_grow(count):
    items = [bytearray(1000) for _ in range(count)]
    return items
