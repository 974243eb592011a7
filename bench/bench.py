"""bench.py — what profiling costs: each workload bare, under mprof, under Debian's
memory_profiler (`python3-mprof run`), and under heaptrack / memray when installed.

    python3 bench/bench.py BUILD_DIR [--rounds N]

The variants alternate within each round (bare, mprof, memory_profiler, ...), so a
machine that slows down for a while slows all of them alike. Printed per workload and
variant: the median wall time, the median of the per-round ratios to the bare run of
the same round (and the fastest run, the figure least disturbed by other work on the
machine). Then the output size per minute of run at the default interval, measured on
two runs (a short run says little: its fixed lines dominate), one of about 20 s where
memory moves in steps and holds (the staircase of examples/grow_release.py) and one of
about a minute where it never holds still (small objects built and dropped over and
over, a new heap level at every sample: what the series budget is for).
The targets (the README's) are printed beside the figures; this script does not fail
on them (a timing is not a test), it reports them.

Two more workloads have variants of their own (printed in a second table):
- "@profile hot loop" (line_table.py: `items.append(str(i))` N times inside a decorated
  function), all on Debian's /usr/bin/python3 so that its memory_profiler can run it:
  bare (the decorator is the identity), `mprof run` (prints its table), and
  `python3 -m memory_profiler` (the original's line tracer). The original reads RSS at
  every line, several hundred times slower here, so it runs N / LINE_TABLE_MP_DIVISOR
  iterations and its time at N is estimated as bare(N) + (its time(n) - bare(n)) * N / n,
  with bare(n) measured in the same round; the table says so.
- "python whole-program lines" (attribution.py: small objects from several lines, no
  decorator): bare, `mprof run`, and `mprof run --lines` (every allocation charged to
  its line, for `mprof report --top`).
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
TARGET_DAT_BYTES_PER_MIN = 10 * 1000  # "10 KB"; 10 KiB would be the looser reading
SYSTEM_PYTHON = "/usr/bin/python3"
LINE_TABLE_N = 7_000_000            # about 1 s bare here
LINE_TABLE_MP_DIVISOR = 350         # memory_profiler runs 20,000 iterations (~1.7 s)
# (workload, variant) -> (limit, what we aim at)
TARGET_SPECIAL = {
    ("@profile hot loop", "mprof"): (2.0, "aim 1.5x"),
    ("python whole-program lines", "mprof --lines"): (1.5, ""),
}


# A run this short (C churn is 0.1-0.3 s bare here) is mostly scheduling noise on a
# 2-core VM: bare runs of the same binary took 0.08 s to 0.28 s back to back. Each
# variant then runs this many times in a row per round and its fastest run counts,
# timeit's way: interference only ever adds time.
SHORT_RUN_BEST_OF = 5


def workloads(build):
    return [
        # (name, command, runs per variant per round): the same command in every variant.
        ("python small objects",
         ["python3", os.path.join(ROOT, "bench", "small_objects.py"), "3000000", "2"], 1),
        ("C churn",
         [os.path.join(build, "examples", "churn"), "2", "10000000"], SHORT_RUN_BEST_OF),
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


def special_workloads(build):
    """[(workload, [(variant, argv-maker(out))])]: the
    workloads whose variants are not one command wrapped (see the module doc)."""
    mprof = os.path.join(build, "bin", "mprof")
    line_table = os.path.join(ROOT, "bench", "line_table.py")
    attribution = os.path.join(ROOT, "bench", "attribution.py")
    small_n = LINE_TABLE_N // LINE_TABLE_MP_DIVISOR
    hot = [
        ("bare", lambda out: [SYSTEM_PYTHON, line_table, str(LINE_TABLE_N)]),
        ("mprof", lambda out: [mprof, "run", "-o", out + ".dat", SYSTEM_PYTHON, line_table,
                               str(LINE_TABLE_N)]),
    ]
    if subprocess.run([SYSTEM_PYTHON, "-c", "import memory_profiler"],
                      stderr=subprocess.DEVNULL).returncode == 0:
        hot += [
            ("bare, n = N/%d" % LINE_TABLE_MP_DIVISOR,
             lambda out: [SYSTEM_PYTHON, line_table, str(small_n)]),
            ("memory_profiler", lambda out: [SYSTEM_PYTHON, "-m", "memory_profiler",
                                             line_table, str(small_n)]),
        ]
    whole = [
        ("bare", lambda out: ["python3", attribution]),
        ("mprof", lambda out: [mprof, "run", "-o", out + ".dat", "python3", attribution]),
        ("mprof --lines", lambda out: [mprof, "run", "--lines", "-o", out + ".dat", "python3",
                                       attribution]),
    ]
    return [("@profile hot loop", hot), ("python whole-program lines", whole)]


def run_special_round(jobs, workdir, round_index, times, ratios, failures):
    for job_name, job_variants in jobs:
        elapsed_of = {}
        for variant_name, make_argv in job_variants:
            out = os.path.join(workdir, "s%d-%s" % (round_index, variant_name.split()[0]))
            elapsed, status, stderr = run_once(make_argv(out), workdir)
            for leftover in os.listdir(workdir):
                os.unlink(os.path.join(workdir, leftover))
            if status != 0:
                failures[(job_name, variant_name)] = "exit %d: %s" % (status, stderr.strip()[-200:])
                continue
            elapsed_of[variant_name] = elapsed
        bare = elapsed_of.get("bare")
        if not bare:
            continue
        for variant_name, elapsed in elapsed_of.items():
            if variant_name == "memory_profiler":
                small_bare = next((t for name, t in elapsed_of.items()
                                   if name.startswith("bare, n =")), None)
                if small_bare is None:
                    continue
                # Its time at N, from its cost per iteration over the bare run's.
                elapsed = bare + (elapsed - small_bare) * LINE_TABLE_MP_DIVISOR
            if variant_name.startswith("bare, n ="):
                continue
            times.setdefault((job_name, variant_name), []).append(elapsed)
            if variant_name != "bare":
                ratios.setdefault((job_name, variant_name), []).append(elapsed / bare)


def print_special(jobs, times, ratios, failures):
    print("%-28s %-16s %9s %9s %9s %9s %s" % (
        "workload", "variant", "median s", "min s", "ratio", "min ratio", "target"))
    for job_name, job_variants in jobs:
        bare = times.get((job_name, "bare"))
        for variant_name, _ in job_variants:
            key = (job_name, variant_name)
            if variant_name.startswith("bare, n ="):
                continue
            if key not in times:
                if key in failures:
                    print("%-28s %-16s FAILED %s" % (job_name, variant_name, failures[key]))
                continue
            ratio = statistics.median(ratios[key]) if key in ratios else 1.0
            min_ratio = min(times[key]) / min(bare) if bare else float("nan")
            target = ""
            if key in TARGET_SPECIAL:
                limit, aim = TARGET_SPECIAL[key]
                target = "<= %.1fx %s%s" % (limit, "ok" if ratio <= limit else "MISSED",
                                           (" (%s)" % aim) if aim else "")
            elif variant_name == "memory_profiler":
                target = "estimated at N from n = N/%d (see below)" % LINE_TABLE_MP_DIVISOR
            print("%-28s %-16s %9.3f %9.3f %8.2fx %8.2fx %s" % (
                job_name, variant_name, statistics.median(times[key]), min(times[key]),
                ratio, min_ratio, target))
            if key in failures:
                print("%-28s %-16s (some runs failed: %s)" % ("", "", failures[key]))
    print()
    print("@profile hot loop: N = %d iterations of items.append(str(i)) in one decorated"
          % LINE_TABLE_N)
    print("function, on %s for every variant. memory_profiler ran n = N/%d = %d iterations"
          % (SYSTEM_PYTHON, LINE_TABLE_MP_DIVISOR, LINE_TABLE_N // LINE_TABLE_MP_DIVISOR))
    print("(at N it would take minutes); its time at N = bare(N) + (its time(n) - bare(n)) x %d."
          % LINE_TABLE_MP_DIVISOR)


def measure_output_rates(build, kinds, workdir):
    """One run per shape and .dat writer: [(shape, variant, seconds, bytes)]."""
    shapes = [
        ("steps and plateaus (grow_release)",
         ["python3", os.path.join(ROOT, "examples", "grow_release.py"), "8", "16", "1.0"]),
        ("always moving (small objects x250)",
         ["python3", os.path.join(ROOT, "bench", "small_objects.py"), "1000000", "250"]),
    ]
    rows = []
    for name, command in shapes:
        for variant_name, wrap, suffix in kinds:
            if suffix != ".dat":
                continue
            out = os.path.join(workdir, "rate-" + variant_name)
            elapsed, status, stderr = run_once(wrap(command, out), workdir)
            if status == 0 and os.path.exists(out + suffix):
                rows.append((name, variant_name, elapsed, os.path.getsize(out + suffix)))
            else:
                print("output run %s / %s failed: exit %d %s"
                      % (name, variant_name, status, stderr.strip()[-200:]))
            for leftover in os.listdir(workdir):
                os.unlink(os.path.join(workdir, leftover))
    print("  output-size runs done", flush=True)
    return rows


def run_once(argv, workdir):
    started = time.perf_counter()
    completed = subprocess.run(argv, cwd=workdir, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    return elapsed, completed.returncode, completed.stderr.decode(errors="replace")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "9")))
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    jobs = workloads(build)
    kinds = variants(build)
    print("mprof bench: %d rounds, variants: %s (heaptrack/memray only when installed)"
          % (args.rounds, ", ".join(name for name, _, _ in kinds)))

    special = special_workloads(build)
    special_times, special_ratios = {}, {}
    times = {}     # (workload, variant) -> [seconds]
    ratios = {}    # (workload, variant) -> [ratio to the bare run of the same round]
    sizes = {}     # (workload, variant) -> [.dat bytes]
    failures = {}
    workdir = tempfile.mkdtemp(prefix="mprof-bench.")
    try:
        for round_index in range(args.rounds):
            for job_name, command, best_of in jobs:
                bare_time = None
                for variant_name, wrap, suffix in kinds:
                    out = os.path.join(workdir, "r%d-%s-%s" % (
                        round_index, job_name.replace(" ", "_"), variant_name))
                    argv = wrap(command, out)
                    if argv is None:
                        continue
                    runs = [run_once(argv, workdir) for _ in range(best_of)]
                    elapsed = min(run[0] for run in runs)
                    status, stderr = max((run[1], run[2]) for run in runs)
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
                        sizes.setdefault(key, []).append(os.path.getsize(out + suffix))
                    for leftover in os.listdir(workdir):
                        os.unlink(os.path.join(workdir, leftover))
            run_special_round(special, workdir, round_index, special_times, special_ratios,
                              failures)
            print("  round %d/%d done" % (round_index + 1, args.rounds), flush=True)

        rate_rows = measure_output_rates(build, kinds, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print("%-22s %-16s %9s %9s %9s %9s %-18s %9s" % (
        "workload", "variant", "median s", "min s", "ratio", "min ratio", "target", ".dat B"))
    for job_name, _, _ in jobs:
        bare = times.get((job_name, "bare"))
        for variant_name, _, _ in kinds:
            key = (job_name, variant_name)
            if key not in times:
                if key in failures:
                    print("%-22s %-16s FAILED %s" % (job_name, variant_name, failures[key]))
                continue
            ratio = statistics.median(ratios[key]) if key in ratios else 1.0
            min_ratio = min(times[key]) / min(bare) if bare else float("nan")
            target = ""
            if variant_name == "mprof":
                limit = TARGET_RATIO[job_name]
                target = "<= %.2fx %s" % (limit, "ok" if ratio <= limit else "MISSED")
            size = "%.0f" % statistics.median(sizes[key]) if key in sizes else ""
            print("%-22s %-16s %9.3f %9.3f %8.2fx %8.2fx %-18s %9s" % (
                job_name, variant_name, statistics.median(times[key]), min(times[key]),
                ratio, min_ratio, target, size))
            if key in failures:
                print("%-22s %-16s (some runs failed: %s)" % ("", "", failures[key]))
    print()
    print("ratio = median over rounds of (variant time / bare time of the same round);")
    print("min ratio = fastest variant run / fastest bare run; .dat B = median file size.")
    print("C churn: a round's time per variant is its fastest of %d runs in a row (0.1-0.3 s"
          % SHORT_RUN_BEST_OF)
    print("runs are mostly scheduling noise here).")
    print()
    print_special(special, special_times, special_ratios, failures)
    print()
    print("%-34s %-16s %9s %9s %12s %s" % (
        "output, default interval", "variant", "run s", ".dat B", "B per min", "target"))
    for name, variant_name, elapsed, size in rate_rows:
        per_minute = size / (elapsed / 60.0)
        target = ""
        if variant_name == "mprof":
            target = "<= 10 KB/min %s" % (
                "ok" if per_minute <= TARGET_DAT_BYTES_PER_MIN else "MISSED")
        print("%-34s %-16s %9.1f %9d %12.0f %s" % (
            name, variant_name, elapsed, size, per_minute, target))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
