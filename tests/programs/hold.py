"""hold.py — hold known heap sizes for known times (the Python twin of hold.c).

    python3 hold.py [MIB SECONDS]...      default: 64 1 16 1

Sleeps 0.5 s first so the profile has a baseline, then for each pair holds a
bytearray of MIB MiB (MIB * 1048576 payload bytes + 1 NUL + the object header)
for SECONDS, and drops it before the next.
"""
import sys
import time


def main(args):
    pairs = args or ["64", "1", "16", "1"]
    time.sleep(0.5)
    for i in range(0, len(pairs) - 1, 2):
        mib, seconds = float(pairs[i]), float(pairs[i + 1])
        block = bytearray(int(mib * 1048576)) if mib > 0 else None
        time.sleep(seconds)
        del block


if __name__ == "__main__":
    main(sys.argv[1:])
