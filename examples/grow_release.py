"""grow_release.py — grow a large buffer in steps, hold it, release it in steps.

    mprof run examples/grow_release.py [STEPS [STEP_MIB [STEP_SECONDS]]]
                                        default: 8 steps of 16 MiB, 0.25 s each

The plot is a staircase up to STEPS * STEP_MIB, a plateau, and a staircase down. The
heap line (exact bytes) has sharp steps; the RSS line follows it, a little later and
a little higher, as the pages are touched and returned.
"""
import sys
import time


def main(args):
    steps = int(args[0]) if len(args) > 0 else 8
    step_mib = float(args[1]) if len(args) > 1 else 16.0
    step_seconds = float(args[2]) if len(args) > 2 else 0.25
    chunks = []
    time.sleep(step_seconds)
    for _ in range(steps):
        # bytearray(n) is zero-filled, so the pages are touched and count in RSS too.
        chunks.append(bytearray(int(step_mib * 1048576)))
        time.sleep(step_seconds)
    time.sleep(2 * step_seconds)
    while chunks:
        chunks.pop()
        time.sleep(step_seconds)
    print("grew to %g MiB in %d steps and released it" % (steps * step_mib, steps))


if __name__ == "__main__":
    main(sys.argv[1:])
