"""check_hour.py — write the .dat of a one-hour run at the default interval (0.1 s), for
bench/check.sh: what `mprof check` reads in CI after a long job, without waiting an hour.

    python3 check_hour.py OUT.dat [GROWTH_BYTES]

Every sample of the hour is there, as mprof run writes them: 36,000 MEM and 36,000 HEAP
lines (a heap that climbs and falls, with its peak in the last quarter), 100 TOP lines,
and the closing MPROF lines. GROWTH_BYTES (default 0) is added to the peak and to the
first TOP line, for a second file to check the first against.
"""
import sys

SAMPLES = 36_000
INTERVAL_S = 0.1
START_S = 1_767_225_600.0


def main(path, growth):
    peak_heap = 0
    peak_rss_mib = 0.0
    with open(path, "w") as out:
        out.write("CMDLINE python3 long_job.py\nMPROF version 2\nMPROF interval 0.1\n")
        for i in range(SAMPLES):
            t = START_S + i * INTERVAL_S
            # A sawtooth over a slow climb: 200 MB to 350 MB, the top at 3/4 of the hour.
            climb = 150_000_000 * min(i, 27_000) // 27_000
            heap = 200_000_000 + climb + (i % 600) * 50_000
            if i == 27_599:  # the top of the highest tooth
                heap += growth
            rss_mib = heap / 1048576 + 30.0
            peak_heap = max(peak_heap, heap)
            peak_rss_mib = max(peak_rss_mib, rss_mib)
            out.write(f"MEM {rss_mib:.6f} {t:.4f}\nHEAP {t:.4f} {heap}\n")
        for rank in range(1, 101):
            held = (200_000_000 // rank // 4) + (growth if rank == 1 else 0)
            out.write(f"TOP {rank} {held} {1000 // rank + 1} {5000 // rank + 1} {10 + rank} "
                      f"worker_{rank % 7} /srv/app/job/module_{rank % 13}.py\n")
        out.write(f"MPROF exit_status 0\nMPROF samples {SAMPLES}\n")
        out.write(f"MPROF rss_peak_bytes {int(peak_rss_mib * 1048576)}\n")
        out.write(f"MPROF heap_samples {SAMPLES}\nMPROF heap_peak_bytes {peak_heap}\n")
        out.write(f"MPROF heap_exit_bytes 1000000\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
