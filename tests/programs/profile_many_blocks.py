"""profile_many_blocks.py — 5,000 differently named timed blocks (the original writes 5,000
FUNC lines), then a decorated function: the blocks have a table of their own, so neither
they nor the function fail (the 4,097th name raised "more than 4096 functions")."""
for i in range(5000):
    with profile.timestamp('step%d' % i):  # noqa: F821 (the builtin under mprof run)
        pass


@profile  # noqa: F821
def after():
    return 7


print('after', after())
