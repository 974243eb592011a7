"""profile_raises.py — a decorated function raises: the program ends with the
traceback and status 1, and the table still has the lines that ran.

Truth: bytearray(1_000_000) is +1,000,057; [0] * 100_000 is +800,000 (+56 when the
list free list is empty); the line after the raise never runs.
"""
try:
    profile
except NameError:
    def profile(func):
        return func


@profile
def fail():
    kept = bytearray(1_000_000)
    data = [0] * 100_000
    raise RuntimeError('boom')
    never = bytearray(5)
    return kept, data, never


if __name__ == '__main__':
    fail()
