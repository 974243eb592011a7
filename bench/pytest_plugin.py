"""pytest_plugin.py — what the pytest plugin (python/pytest_mprof.py) adds to a suite of
1,000 trivial tests, under `mprof run /usr/bin/python3 -m pytest -q`.

    python3 bench/pytest_plugin.py BUILD_DIR [--rounds N]

Three variants, all under mprof run on Debian's /usr/bin/python3 (the one with
python3-pytest), alternating within each round (so a machine that slows down for a while
slows all of them alike; each round starts with the next one):
- "plugin off": `-p no:mprof`, the suite as pytest runs it without the plugin;
- "plugin": as pytest loads it, with no flag (no test has a marker: each costs the
  plugin's hooks and nothing else);
- "every test measured": `--most-allocations=10`, a heap window around every test.
Each is measured twice: in wall time, and in the CPU time (user + system) of the process
tree (mprof run, pytest), which other work on this shared 2-core machine disturbs far
less (two wall-time benches of the same code gave the plugin 0.98x and 1.11x). A round's
figure is the fastest of BEST_OF runs in a row. Printed: the medians, the median of the
per-round ratios to "plugin off" of the same round, and the fastest-to-fastest ratio.
Then, when valgrind is here (and BENCH_CALLGRIND is not 0), the instructions each
variant executes (callgrind, one run each, with the library preloaded quiet: no CLI, the
counting and the mprof module as under mprof run), which no load on the machine moves:
the target (at most 5% for the plugin) is read there.
A timing is not a test: this reports the figures, it does not fail on them.
"""
import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTEST_PYTHON = "/usr/bin/python3"
TESTS = 1000
TESTS_PER_FILE = 100
TARGET_RATIO = 1.05
# A run is about a second, and this machine's speed wanders by a third from one run to
# the next: each variant runs this many times in a row per round and its fastest counts,
# timeit's way (interference only ever adds time).
BEST_OF = 3
WALL, CPU = "wall", "cpu"
VARIANTS = [
    ("plugin off", ["-p", "no:mprof"]),
    ("plugin", []),
    ("every test measured", ["--most-allocations=10"]),
]


def write_suite(directory):
    """TESTS trivial tests, TESTS_PER_FILE to a file, each a line of arithmetic."""
    for first in range(0, TESTS, TESTS_PER_FILE):
        with open(os.path.join(directory, "test_trivial_%04d.py" % first), "w") as out:
            for number in range(first, first + TESTS_PER_FILE):
                out.write("def test_%d():\n    assert %d + 1 == %d\n\n"
                          % (number, number, number + 1))


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fastest_run(command, workdir, env):
    """((wall s, CPU s) of the fastest of BEST_OF runs by CPU, None), or (None, why)
    when one failed."""
    fastest = None
    for _ in range(BEST_OF):
        cpu_before = children_cpu_seconds()
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=workdir, env=env)
        figures = (time.perf_counter() - started, children_cpu_seconds() - cpu_before)
        if result.returncode != 0 or "%d passed" % TESTS not in result.stdout:
            output = (result.stdout + result.stderr).strip()
            return None, "exit %d: %s" % (result.returncode, output[-300:])
        if fastest is None or figures[1] < fastest[1]:
            fastest = figures
    return fastest, None


def instructions(command, workdir, env):
    """The instructions one run of command executes (all threads), or None with why."""
    result = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
                            + command, capture_output=True, text=True, cwd=workdir, env=env)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or found is None or "%d passed" % TESTS not in result.stdout:
        return None, "exit %d: %s" % (result.returncode, result.stderr.strip()[-300:])
    return int(found.group(1)), None


def print_instructions(build, suite, workdir, env):
    """The callgrind table: each variant's instructions and its ratio to "plugin off"."""
    library = os.path.join(os.path.abspath(build), "lib", "mprof", "libmprof.so")
    # (A fixed hash seed: the same dict and set orders, run after run.)
    quiet = dict(env, LD_PRELOAD=library, PYTHONHASHSEED="0")
    print()
    print("%-22s %16s %9s  %s" % ("pytest, 1,000 tests", "instructions", "ratio", "target"))
    counts = {}
    for name, options in VARIANTS:
        command = [PYTEST_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + options \
            + [suite]
        count, failure = instructions(command, workdir, quiet)
        if failure:
            print("%-22s FAILED %s" % (name, failure))
            continue
        counts[name] = count
        off_count = counts.get(VARIANTS[0][0])
        ratio = count / off_count if off_count else float("nan")
        target = ""
        if name == "plugin":
            target = "<= %.2fx %s" % (TARGET_RATIO, "ok" if ratio <= TARGET_RATIO else "MISSED")
        print("%-22s %16s %8.3fx  %s" % (name, "{:,}".format(count), ratio, target))
    print("instructions: valgrind --tool=callgrind, one run, the library preloaded quiet.")
    return len(counts) == len(VARIANTS)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "9")))
    args = parser.parse_args()
    mprof = os.path.join(os.path.abspath(args.build), "bin", "mprof")
    if subprocess.run([PYTEST_PYTHON, "-c", "import pytest"], capture_output=True).returncode:
        print("pytest plugin: %s has no pytest (Debian's python3-pytest): skipped" % PYTEST_PYTHON)
        return 0
    # mprof run offers pytest the plugin; "plugin off" turns it off by name.
    env = dict(os.environ)
    workdir = tempfile.mkdtemp(prefix="mprof-bench-pytest.")
    # figures[(variant, WALL or CPU)]: one per round; ratios the same, to "plugin off".
    figures, ratios, failures = {}, {}, {}
    off = VARIANTS[0][0]
    try:
        suite = os.path.join(workdir, "suite")
        os.mkdir(suite)
        write_suite(suite)
        print("pytest plugin: %d trivial tests under mprof run %s -m pytest -q, %d rounds"
              % (TESTS, PYTEST_PYTHON, args.rounds), flush=True)
        for round_index in range(args.rounds):
            # Each round starts with another variant: the first run of a round was seen
            # faster or slower than the rest, and that must not fall on one variant.
            start = round_index % len(VARIANTS)
            this_round = {}
            for name, options in VARIANTS[start:] + VARIANTS[:start]:
                command = [mprof, "run", "-o", os.path.join(workdir, "run.dat"), PYTEST_PYTHON,
                           "-m", "pytest", "-q", "-p", "no:cacheprovider"] + options + [suite]
                measured, failure = fastest_run(command, workdir, env)
                if failure:
                    failures[name] = failure
                    continue
                this_round[name] = measured
            for name, measured in this_round.items():
                for kind, value in zip((WALL, CPU), measured):
                    figures.setdefault((name, kind), []).append(value)
                    if off in this_round and name != off:
                        ratios.setdefault((name, kind), []).append(
                            value / this_round[off][kind == CPU])
            print("  round %d/%d done" % (round_index + 1, args.rounds), flush=True)
        print_table(figures, ratios, failures)
        if shutil.which("valgrind") and os.environ.get("BENCH_CALLGRIND", "1") != "0":
            if not print_instructions(args.build, suite, workdir, env):
                failures["instructions"] = "a callgrind run failed"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failures else 0


def print_table(figures, ratios, failures):
    """The wall and CPU table: medians, ratios, fastest-to-fastest ratios."""
    off = VARIANTS[0][0]
    print()
    print("%-22s %-5s %9s %9s %9s %10s" % ("pytest, 1,000 tests", "time", "median s",
                                           "min s", "ratio", "min ratio"))
    for name, _ in VARIANTS:
        if (name, WALL) not in figures:
            print("%-22s FAILED %s" % (name, failures.get(name, "")))
            continue
        for kind in (CPU, WALL):
            values = figures[(name, kind)]
            ratio = statistics.median(ratios[(name, kind)]) if name != off else 1.0
            min_ratio = min(values) / min(figures[(off, kind)]) if (off, kind) in figures \
                else float("nan")
            print("%-22s %-5s %9.3f %9.3f %8.3fx %9.3fx" % (
                name if kind == CPU else "", kind, statistics.median(values), min(values),
                ratio, min_ratio))
        if name in failures:
            print("%-22s (some runs failed: %s)" % ("", failures[name]))
    print("cpu = user + system time of mprof run and pytest; wall = elapsed time.")
    print("ratio = median over rounds of (variant / \"plugin off\" of the same round);")
    print("min ratio = fastest variant run / fastest \"plugin off\" run.")


if __name__ == "__main__":
    sys.exit(main())
