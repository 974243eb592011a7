"""versions.py — `make bench`'s speed per CPython version: the same three Python
workloads on every interpreter present, each against its own bare run.

    python3 bench/versions.py BUILD_DIR [--rounds N] [--no-tree] [--no-callgrind]

BENCH_ROUNDS=N, BENCH_TREE=0 and BENCH_CALLGRIND=0 do the same from `make bench`.

The interpreters: pyenv's 3.10 and newer (PYENV_ROOT, default ~/.pyenv), the system's
(/usr/bin/python3.X: Debian's static 3.11 here), and those of the Debian unstable tree (scripts/python-tree.sh: 3.13, 3.14, 3.15), which this script
builds when it is absent and enters: the tree's glibc is newer than the host's, so the
library is built there (BUILD=build/sid) and this same script runs there, handing its
rows back as JSON (--json). Workloads and targets (the README's):
  small objects      bench/small_objects.py 3000000 2, `mprof run`           <= 1.10x
  @profile hot loop  bench/line_table.py 7000000, `mprof run` (its table)    <= 1.50x
  --lines            bench/attribution.py, `mprof run --lines` (TOP lines)   <= 1.50x
Each profiled run is checked for what it is to give (the table, the TOP records): on a
version the library gives no @profile there, the row says so instead of timing a run
that did nothing. Bare and profiled runs alternate within each round; the ratio is the
median of the per-round ratios. Beside it, the instruction ratio of bench/callgrind.sh
on the same interpreter (smaller inputs; the tree has its own valgrind).
A timing is not a test: rows over their target are marked, not failed.
"""
import argparse
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TREE_SUITE = "sid"
TREE_BUILD = "build/sid"
WANTED_MINORS = (10, 11, 12, 13, 14, 15)
# (name, script and its arguments, mprof's options, what a profiled run must leave,
#  target ratio, callgrind.sh's name for it)
WORKLOADS = [
    ("small objects", ["small_objects.py", "3000000", "2"], [], None, 1.10, "python"),
    ("@profile hot loop", ["line_table.py", "7000000"], [], "table", 1.50, "@profile"),
    ("--lines", ["attribution.py"], ["--lines"], "top", 1.50, "--lines"),
]


def host_pythons():
    """[(program, where)]: pyenv's interpreters, then the system's (Debian's static 3.11)."""
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = []
    for folder in glob.glob(os.path.join(pyenv, "versions", "3.*")):
        match = re.match(r"3\.(\d+)\.\d+$", os.path.basename(folder))
        program = os.path.join(folder, "bin", "python3.%s" % (match.group(1) if match else ""))
        if match and int(match.group(1)) in WANTED_MINORS and os.access(program, os.X_OK):
            found.append((program, "pyenv"))
    found.sort(key=lambda pair: int(pair[0].rsplit(".", 1)[1]))
    return found + system_pythons("debian")


def system_pythons(where):
    return [(p, where) for p in ("/usr/bin/python3.%d" % minor for minor in WANTED_MINORS)
            if os.access(p, os.X_OK)]


def describe(python, where):
    """("3.12.1", "3.12.1 pyenv shared"): the version and a row's label."""
    # Linked with libpython or not: what the running process maps says (Debian's
    # interpreters are static although their sysconfig says Py_ENABLE_SHARED).
    probe = ("import sys; print(sys.version.split()[0], 'shared' if any("
             "'/libpython3' in line for line in open('/proc/self/maps')) else 'static')")
    version, linkage = subprocess.check_output([python, "-c", probe], text=True).split()
    return version, "%s %s %s" % (version, where, linkage)


def run_once(argv, workdir):
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=workdir, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return time.perf_counter() - started, done


def profiled_gave(must_leave, done, dat_path):
    """None when the profiled run gave what it is for, else why not (its notice)."""
    if done.returncode != 0:
        return "exit %d: %s" % (done.returncode, done.stderr.decode(errors="replace")[-200:])
    if must_leave == "table":
        gave = b"Line #" in done.stderr  # the tables follow the closing line there
    elif must_leave == "top":
        with open(dat_path, "rb") as dat:
            gave = any(line.startswith(b"TOP ") for line in dat)
    else:
        return None
    if gave:
        return None
    notices = [line for line in done.stderr.decode(errors="replace").splitlines()
               if not line.startswith("mprof: wrote ")]
    # "mprof: Python 3.12: no @profile support in this build (why)": the first clause.
    return (notices[0].replace("mprof: ", "", 1).split(" (")[0] if notices
            else "ran, but gave no %s" % must_leave)


def measure(build, pythons, rounds, stage):
    """Rows of wall-clock figures, one per (interpreter, workload)."""
    mprof = os.path.join(build, "bin", "mprof")
    rows = []
    for python, where in pythons:
        version, label = describe(python, where)
        for name, script, options, must_leave, target, cg_name in WORKLOADS:
            rows.append({"python": python, "version": version, "label": label,
                         "workload": name, "target": target, "callgrind": cg_name,
                         "bare": [], "mprof": [], "ratios": [], "cannot": None,
                         "argv": [python, os.path.join(ROOT, "bench", script[0])] + script[1:],
                         "options": options, "must_leave": must_leave})
    workdir = tempfile.mkdtemp(prefix="mprof-bench-versions.")
    try:
        for round_index in range(rounds):
            for row in rows:
                if row["cannot"]:
                    continue
                dat = os.path.join(workdir, "run.dat")
                bare, done = run_once(row["argv"], workdir)
                if done.returncode != 0:
                    row["cannot"] = "bare run: exit %d" % done.returncode
                    continue
                profiled, done = run_once([mprof, "run"] + row["options"] + ["-o", dat]
                                          + row["argv"], workdir)
                row["cannot"] = profiled_gave(row["must_leave"], done, dat)
                for leftover in os.listdir(workdir):
                    os.unlink(os.path.join(workdir, leftover))
                if not row["cannot"]:
                    row["bare"].append(bare)
                    row["mprof"].append(profiled)
                    row["ratios"].append(profiled / bare)
            print("  %s: round %d/%d done" % (stage, round_index + 1, rounds),
                  file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def add_instruction_ratios(build, rows):
    """Sets each runnable row's "ir" from bench/callgrind.sh on its own interpreter."""
    if not shutil.which("valgrind"):
        return "valgrind is not installed: no instruction ratios"
    for python in dict.fromkeys(row["python"] for row in rows):
        mine = [row for row in rows if row["python"] == python and not row["cannot"]]
        if not mine:
            continue
        env = dict(os.environ, MPROF_BENCH_PYTHON=python,
                   CALLGRIND_ONLY=" ".join(row["callgrind"] for row in mine))
        done = subprocess.run(["bash", os.path.join(ROOT, "bench", "callgrind.sh"), build],
                              env=env, stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            return "bench/callgrind.sh failed on %s (exit %d)" % (python, done.returncode)
        ratios = dict(re.findall(r"^(\S+(?: \S+)*?)\s+bare .* ([\d.]+)x$", done.stdout, re.M))
        for row in mine:
            name = next((n for n in ratios if n.split()[0].lower() == row["callgrind"]), None)
            row["ir"] = float(ratios[name]) if name else None
        print("  callgrind: %s done" % python, file=sys.stderr, flush=True)
    return None


def tree_rows(rounds, callgrind):
    """Rows measured inside the Debian unstable tree, or ([], why not)."""
    tree = ["bash", os.path.join(ROOT, "scripts", "python-tree.sh")]
    if subprocess.run(tree + ["ensure", TREE_SUITE]).returncode != 0:
        return [], "the %s tree could not be built: no 3.14/3.15 rows" % TREE_SUITE
    run = tree + ["run", TREE_SUITE]
    built = subprocess.run(run + ["make", "-j2", "--no-print-directory", "BUILD=" + TREE_BUILD,
                                  "all"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
    if built.returncode != 0:
        # A plugin that does not build there leaves the library, which still measures the
        # small objects.
        why = (built.stderr.strip().splitlines() or ["?"])[-1]
        print("  %s tree: `make all` failed (%s); building the CLI and library alone"
              % (TREE_SUITE, why), file=sys.stderr)
        if subprocess.run(run + ["make", "-j2", "--no-print-directory", "BUILD=" + TREE_BUILD,
                                 TREE_BUILD + "/bin/mprof",
                                 TREE_BUILD + "/lib/mprof/libmprof.so"],
                          stdout=subprocess.DEVNULL).returncode != 0:
            return [], "mprof could not be built in the %s tree" % TREE_SUITE
    inner = run + ["python3", "bench/versions.py", TREE_BUILD, "--inside-tree", "--json",
                   "--rounds", str(rounds)] + ([] if callgrind else ["--no-callgrind"])
    done = subprocess.run(inner, stdout=subprocess.PIPE, text=True)
    if done.returncode not in (0, 1) or not done.stdout.strip():
        return [], "the benchmark failed inside the %s tree (exit %d)" % (
            TREE_SUITE, done.returncode)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["rows"], answer["note"]


def print_table(rows, notes):
    print("%-26s %-18s %8s %8s %7s %9s %8s %9s %s" % (
        "version", "workload", "bare s", "mprof s", "ratio", "min ratio", "Ir ratio",
        "target", "verdict"))
    over, cannot = [], []
    for row in rows:
        if row["cannot"]:
            cannot.append(row)
            print("%-26s %-18s cannot run: %s" % (row["label"], row["workload"], row["cannot"]))
            continue
        ratio = statistics.median(row["ratios"])
        min_ratio = min(row["mprof"]) / min(row["bare"])
        ir = row.get("ir")
        misses = [what for what, value in (("wall", ratio), ("Ir", ir))
                  if value is not None and value > row["target"]]
        if misses:
            over.append("%s %s (%s)" % (row["version"], row["workload"], ", ".join(misses)))
        print("%-26s %-18s %8.3f %8.3f %6.2fx %8.2fx %8s %9s %s" % (
            row["label"], row["workload"], statistics.median(row["bare"]),
            statistics.median(row["mprof"]), ratio, min_ratio,
            "%.3fx" % ir if ir is not None else "-", "<= %.2fx" % row["target"],
            "OVER (%s)" % ", ".join(misses) if misses else "ok"))
    print()
    print("ratio = median of the per-round (mprof / bare) times; min ratio = fastest mprof")
    print("run / fastest bare run; Ir ratio = instructions (bench/callgrind.sh, same interpreter).")
    for note in notes:
        if note:
            print(note)
    present = {int(row["version"].split(".")[1]) for row in rows}
    missing = ["3.%d" % minor for minor in WANTED_MINORS if minor not in present]
    if missing:
        print("not present here (skipped): %s" % ", ".join(missing))
    not_run = {}
    for row in cannot:
        not_run.setdefault(row["version"], []).append(row["workload"])
    print("summary: %d rows measured, %d over target%s; %d cannot run%s" % (
        len(rows) - len(cannot), len(over), (": " + "; ".join(over)) if over else "",
        len(cannot), (": " + "; ".join("%s %s" % (version, ", ".join(names))
                                       for version, names in not_run.items()))
        if cannot else ""))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "5")))
    parser.add_argument("--no-tree", action="store_true",
                        default=os.environ.get("BENCH_TREE") == "0")
    parser.add_argument("--no-callgrind", action="store_true",
                        default=os.environ.get("BENCH_CALLGRIND") == "0")
    parser.add_argument("--inside-tree", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    pythons = system_pythons(TREE_SUITE) if args.inside_tree else host_pythons()
    rows = measure(build, pythons, args.rounds,
                   TREE_SUITE + " tree" if args.inside_tree else "host")
    notes = [None if args.no_callgrind else add_instruction_ratios(build, rows)]
    if args.json:
        print(json.dumps({"rows": rows, "note": "; ".join(n for n in notes if n)}))
        return 0
    if not args.no_tree:
        more, note = tree_rows(args.rounds, not args.no_callgrind)
        rows += more
        notes.append(note)
    print()
    print("Speed per CPython version (%d rounds)" % args.rounds)
    print_table(rows, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
