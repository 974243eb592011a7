"""profiled_plain.py — a script written for memory_profiler: @profile with no import,
bare and with arguments. Under an interpreter mprof has no plugin for, it must run as it
would with a `profile` that changes nothing: prints "1000 45 3", exits with status 3."""
import sys


@profile
def build(count):
    return len([str(i) for i in range(count)])


@profile(precision=3)
def total(values):
    return sum(values)


print(build(1000), total(range(10)), profile(None)(len)("abc"))
sys.exit(3)
