"""pytest_plugin.py — what the pytest plugin (python/pytest_mprof.py) adds to a suite of
1,000 trivial tests, under `mprof run /usr/bin/python3 -m pytest -q`.

    python3 bench/pytest_plugin.py BUILD_DIR [--rounds N]

Three variants, alternating within each round (so a machine that slows down for a while
slows all of them alike), all under mprof run on Debian's /usr/bin/python3 (the one with
python3-pytest):
- "plugin off": `-p no:mprof`, the suite as pytest runs it without the plugin;
- "plugin": as pytest loads it, with no flag (no test has a marker: each costs the
  plugin's hooks and nothing else);
- "every test measured": `--most-allocations=10`, a heap window around every test.
Printed: each variant's median wall time (a round's is its fastest of BEST_OF runs) and
the median of the per-round ratios to "plugin off" of the same round, against the target
(at most 5% for the plugin).
A timing is not a test: this reports the figures, it does not fail on them.
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
PYTEST_PYTHON = "/usr/bin/python3"
TESTS = 1000
TESTS_PER_FILE = 100
TARGET_RATIO = 1.05
# A run is about a second, and this machine's speed wanders by a third from one run to
# the next: each variant runs this many times in a row per round and its fastest counts,
# timeit's way (interference only ever adds time).
BEST_OF = 3
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


def fastest_run(command, workdir, env):
    """(the fastest of BEST_OF runs in seconds, None), or (None, why) when one failed."""
    fastest = None
    for _ in range(BEST_OF):
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=workdir, env=env)
        elapsed = time.perf_counter() - started
        if result.returncode != 0 or "%d passed" % TESTS not in result.stdout:
            output = (result.stdout + result.stderr).strip()
            return None, "exit %d: %s" % (result.returncode, output[-300:])
        fastest = elapsed if fastest is None else min(fastest, elapsed)
    return fastest, None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "9")))
    args = parser.parse_args()
    mprof = os.path.join(os.path.abspath(args.build), "bin", "mprof")
    if subprocess.run([PYTEST_PYTHON, "-c", "import pytest"], capture_output=True).returncode:
        print("pytest plugin: %s has no pytest (Debian's python3-pytest): skipped" % PYTEST_PYTHON)
        return 0
    # The plugin's directory on PYTHONPATH, as any installed pytest plugin's (every
    # variant alike: "plugin off" turns it off by name).
    plugin_directory = os.path.join(os.path.abspath(args.build), "lib", "mprof", "python")
    env = dict(os.environ, PYTHONPATH=plugin_directory)
    workdir = tempfile.mkdtemp(prefix="mprof-bench-pytest.")
    times, ratios, failures = {}, {}, {}
    try:
        suite = os.path.join(workdir, "suite")
        os.mkdir(suite)
        write_suite(suite)
        print("pytest plugin: %d trivial tests under mprof run %s -m pytest -q, %d rounds"
              % (TESTS, PYTEST_PYTHON, args.rounds), flush=True)
        for round_index in range(args.rounds):
            off_time = None
            for name, options in VARIANTS:
                command = [mprof, "run", "-o", os.path.join(workdir, "run.dat"), PYTEST_PYTHON,
                           "-m", "pytest", "-q", "-p", "no:cacheprovider"] + options + [suite]
                elapsed, failure = fastest_run(command, workdir, env)
                if failure:
                    failures[name] = failure
                    continue
                times.setdefault(name, []).append(elapsed)
                if off_time is None:
                    off_time = elapsed
                else:
                    ratios.setdefault(name, []).append(elapsed / off_time)
            print("  round %d/%d done" % (round_index + 1, args.rounds), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print("%-22s %9s %9s %9s %10s  %s" % ("pytest, 1,000 tests", "median s", "min s", "ratio",
                                          "min ratio", "target"))
    off_times = times.get(VARIANTS[0][0])
    for name, _ in VARIANTS:
        if name not in times:
            print("%-22s FAILED %s" % (name, failures.get(name, "")))
            continue
        ratio = statistics.median(ratios[name]) if name in ratios else 1.0
        min_ratio = min(times[name]) / min(off_times) if off_times else float("nan")
        target = ""
        if name == "plugin":
            target = "<= %.2fx %s" % (TARGET_RATIO, "ok" if ratio <= TARGET_RATIO else "MISSED")
        print("%-22s %9.3f %9.3f %8.3fx %9.3fx  %s" % (
            name, statistics.median(times[name]), min(times[name]), ratio, min_ratio, target))
        if name in failures:
            print("%-22s (some runs failed: %s)" % ("", failures[name]))
    print("ratio = median over rounds of (variant time / \"plugin off\" time of the same round);")
    print("min ratio = fastest variant run / fastest \"plugin off\" run.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
