"""regrtest_outcomes.py — what CPython's regression tests did in one run, and how two
runs of the same list differ.

    regrtest_outcomes.py outcomes OUTPUT JUNIT MODULE...
        One line per test module and per test case: "<outcome> <name>", outcome one of
        ok, fail, skip, env (the module altered the execution environment), none (ran
        no tests). Modules come from the summary regrtest prints at the end of OUTPUT
        (the lists under "N tests failed:" and the like); cases from the JUnit file it
        wrote (--junit-xml). A module the summary does not list ran and passed.
    regrtest_outcomes.py compare BARE MPROF KNOWN VERSION
        BARE and MPROF are two files the first form wrote. Prints "ok|skip|fail ... NAME"
        for every module or case that was ok in BARE and is not ok in MPROF (a
        difference), marked "documented" when KNOWN (lines "VERSION NAME  # why";
        VERSION may be *) lists it for VERSION; exit status 1 when any undocumented
        difference is left, else 0. What failed bare too is the machine's, not ours.
Runs on any Python 3; reads only what regrtest of 3.8 .. 3.15 writes.
"""
import re
import sys
import xml.etree.ElementTree as ElementTree

HEADER = re.compile(r"^(?:\d+ )?tests? (.+):$")
NAME = re.compile(r"^test[A-Za-z0-9_.]*$")


def category(header):
    """The outcome a summary list names, or None for lists of no interest (re-runs)."""
    if "failed again" in header or "re-run" in header or "rerun" in header:
        return None
    if "failed" in header:
        return "fail"
    if "skipped" in header:
        return "skip"
    if "altered the execution environment" in header or "env changed" in header:
        return "env"
    if "run no tests" in header or "no tests ran" in header or "had no tests" in header:
        return "none"
    if "crashed" in header or "timed out" in header or "interrupted" in header:
        return "fail"
    return None


def module_outcomes(output_path):
    """Module name -> outcome, from the last summary in the output."""
    outcomes, current = {}, None
    with open(output_path, encoding="utf-8", errors="replace") as stream:
        lines = stream.read().splitlines()
    # The summary starts after the last "== Tests result" line (3.10: before it): read
    # every list, the later ones winning.
    for line in lines:
        match = HEADER.match(line.strip()) if not line.startswith(" ") else None
        if match:
            current = category(match.group(1))
            continue
        if line.startswith("    ") and current is not None:
            names = line.split()
            if names and all(NAME.match(name) for name in names):
                for name in names:
                    outcomes[name] = current
                continue
        if line.strip():
            current = None
    return outcomes


def case_outcomes(junit_path):
    """Test case id -> outcome, from the JUnit file (empty when there is none)."""
    try:
        tree = ElementTree.parse(junit_path)
    except (OSError, ElementTree.ParseError):
        return {}
    outcomes = {}
    for case in tree.iter("testcase"):
        name = case.get("name") or ""
        tags = {child.tag for child in case}
        if "failure" in tags or "error" in tags:
            outcome = "fail"
        elif "skipped" in tags or case.get("status") == "skipped":
            outcome = "skip"
        else:
            outcome = "ok"
        # A case re-run keeps its worst outcome.
        if outcomes.get(name) != "fail":
            outcomes[name] = outcome
    return outcomes


def write_outcomes(output_path, junit_path, ran):
    modules = module_outcomes(output_path)
    for name in ran:
        print(modules.get(name, "ok"), name)
    for name, outcome in sorted(case_outcomes(junit_path).items()):
        print(outcome, name)


def read_outcomes(path):
    outcomes = {}
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            outcome, _, name = line.strip().partition(" ")
            if name:
                outcomes[name] = outcome
    return outcomes


def read_known(path, version):
    known = {}
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            text, _, why = line.partition("#")
            fields = text.split()
            if len(fields) == 2 and fields[0] in ("*", version):
                known[fields[1]] = why.strip()
    return known


def module_of(name):
    """test.test_os.FileTests.test_x -> test_os; a module's own name is itself."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "test" else parts[0]


def compare(bare_path, mprof_path, known_path, version):
    bare, mprof = read_outcomes(bare_path), read_outcomes(mprof_path)
    known = read_known(known_path, version)
    differences = [(name, mprof.get(name, "missing")) for name, outcome in sorted(bare.items())
                   if outcome == "ok" and mprof.get(name, "missing") != "ok"]
    # A module whose differing cases are all documented differs by them alone.
    cases_by_module = {}
    for name, _ in differences:
        if "." in name:
            cases_by_module.setdefault(module_of(name), []).append(name)
    left = 0
    for name, under in differences:
        cases = cases_by_module.get(name, [])
        if name in known:
            print(f"documented {under} {name}: {known[name]}")
        elif "." not in name and cases and all(case in known for case in cases):
            print(f"documented {under} {name}: by its cases above")
        else:
            # A case missing under mprof is one whose module crashed: its line says so.
            print(f"{under} {name}")
            left += 1
    return 1 if left else 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "outcomes":
        write_outcomes(argv[2], argv[3], argv[4:])
        return 0
    if len(argv) == 6 and argv[1] == "compare":
        return compare(argv[2], argv[3], argv[4], argv[5])
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
