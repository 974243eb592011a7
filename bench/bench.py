"""bench.py — what profiling costs: each workload bare, under mprof, under Debian's
memory_profiler (`python3-mprof run`), and under heaptrack / memray when installed.

    python3 bench/bench.py BUILD_DIR [--rounds N]

The variants alternate within each round (bare, mprof, memory_profiler, ...), so a
machine that slows down for a while slows all of them alike. Printed per workload and
variant: the median wall time, the median of the per-round ratios to the bare run of
the same round, and for the .dat writers the output size per minute of run. The
targets from the issue are printed beside the figures; this script does not fail on
them (a timing is not a test), it reports them.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET_RATIO = {"python small objects": 1.10, "C churn": 1.5}
TARGET_DAT_BYTES_PER_MIN = 10 * 1024


def workloads(build):
    return [
        # (name, command): the same command in every variant.
        ("python small objects",
         ["python3", os.path.join(ROOT, "bench", "small_objects.py"), "3000000", "2"]),
        ("C churn",
         [os.path.join(build, "examples", "churn"), "2", "10000000"]),
    ]


def variants(build):
    mprof = os.path.join(build, "bin", "mprof")
    found = [
        ("bare", lambda cmd, out: cmd, None),
        ("mprof", lambda cmd, out: [mprof, "run", "-o", out + ".dat"] + cmd, ".dat"),
    ]
    if shutil.which("python3-mprof"):
        found.append(("memory_profiler",
                      lambda cmd, out: ["python3-mprof", "run", "-o", out + ".dat"] + cmd,
                      ".dat"))
    if shutil.which("heaptrack"):
        found.append(("heaptrack", lambda cmd, out: ["heaptrack", "-o", out] + cmd, None))
    if shutil.which("memray"):
        # memray profiles Python only; for other programs it has nothing to say.
        found.append(("memray",
                      lambda cmd, out: (["memray", "run", "-q", "-o", out + ".bin"] + cmd[1:]
                                        if cmd[0] == "python3" else None),
                      None))
    return found


def run_once(argv, workdir):
    started = time.perf_counter()
    completed = subprocess.run(argv, cwd=workdir, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    return elapsed, completed.returncode, completed.stderr.decode(errors="replace")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "5")))
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    jobs = workloads(build)
    kinds = variants(build)
    print("mprof bench: %d rounds, variants: %s (heaptrack/memray only when installed)"
          % (args.rounds, ", ".join(name for name, _, _ in kinds)))

    times = {}     # (workload, variant) -> [seconds]
    ratios = {}    # (workload, variant) -> [ratio to the bare run of the same round]
    rates = {}     # (workload, variant) -> [.dat bytes per minute]
    failures = {}
    workdir = tempfile.mkdtemp(prefix="mprof-bench.")
    try:
        for round_index in range(args.rounds):
            for job_name, command in jobs:
                bare_time = None
                for variant_name, wrap, suffix in kinds:
                    out = os.path.join(workdir, "r%d-%s-%s" % (
                        round_index, job_name.replace(" ", "_"), variant_name))
                    argv = wrap(command, out)
                    if argv is None:
                        continue
                    elapsed, status, stderr = run_once(argv, workdir)
                    key = (job_name, variant_name)
                    if status != 0:
                        failures[key] = "exit %d: %s" % (status, stderr.strip()[-200:])
                        continue
                    times.setdefault(key, []).append(elapsed)
                    if variant_name == "bare":
                        bare_time = elapsed
                    elif bare_time:
                        ratios.setdefault(key, []).append(elapsed / bare_time)
                    if suffix and os.path.exists(out + suffix):
                        size = os.path.getsize(out + suffix)
                        rates.setdefault(key, []).append(size / (elapsed / 60.0))
                    for leftover in os.listdir(workdir):
                        os.unlink(os.path.join(workdir, leftover))
            print("  round %d/%d done" % (round_index + 1, args.rounds), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print("%-22s %-16s %9s %9s %10s %14s %s" % (
        "workload", "variant", "median s", "ratio", "target", ".dat B/min", "target"))
    for job_name, _ in jobs:
        for variant_name, _, _ in kinds:
            key = (job_name, variant_name)
            if key in failures and key not in times:
                print("%-22s %-16s FAILED %s" % (job_name, variant_name, failures[key]))
                continue
            if key not in times:
                continue
            ratio = statistics.median(ratios[key]) if key in ratios else 1.0
            ratio_target = ""
            if variant_name == "mprof":
                limit = TARGET_RATIO[job_name]
                ratio_target = "<= %.2fx %s" % (limit, "ok" if ratio <= limit else "MISSED")
            rate = ""
            rate_target = ""
            if key in rates:
                value = statistics.median(rates[key])
                rate = "%.0f" % value
                if variant_name == "mprof":
                    rate_target = "<= 10 KB/min %s" % (
                        "ok" if value <= TARGET_DAT_BYTES_PER_MIN else "MISSED")
            print("%-22s %-16s %9.3f %8.2fx %10s %14s %s" % (
                job_name, variant_name, statistics.median(times[key]), ratio,
                ratio_target, rate, rate_target))
            if key in failures:
                print("%-22s %-16s (some runs failed: %s)" % ("", "", failures[key]))
    print()
    print("ratio = median over rounds of (variant time / bare time of the same round);")
    print(".dat B/min = bytes of .dat per minute of that run at the default 0.1 s interval.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
