"""mp_func_names.py — a decorated method and a decorated nested function: memory_profiler
names their FUNC lines module.name (`__main__.m`, `__main__.inner`), not by their
qualified names; m holds 20,000,000 bytes for 0.3 s, for `mprof peak --func __main__.m`."""
import time


class A:
    @profile  # noqa: F821 (the builtin)
    def m(self):
        held = bytearray(20_000_000)
        time.sleep(0.3)
        return len(held)


def outer():
    @profile  # noqa: F821
    def inner():
        return 1
    return inner()


print('m', A().m(), 'inner', outer())
