#!/usr/bin/env bash
# bench/run.sh BUILD_DIR — `make bench`: the cost of profiling, side by side with the bare
# run and with Debian's memory_profiler (and heaptrack/memray when they are installed),
# then the same cost on every CPython version present, each against its own bare run,
# what the pytest plugin adds to 1,000 trivial tests under mprof run, and the time and
# memory `mprof check` takes on a one-hour .dat (check.sh).
# The work is in bench.py, versions.py and pytest_plugin.py; BENCH_ROUNDS=N changes the
# number of rounds (default 9, 5 and 9: on a machine whose speed wanders by half from one
# run to the next, five medians did not agree), BENCH_TREE=0 leaves out the versions of
# the Debian unstable tree, BENCH_CALLGRIND=0 the instruction counts per version.
set -euo pipefail
build=${1:-build}
shift || true
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for needed in "$build/bin/mprof" "$build/examples/churn"; do
    [ -x "$needed" ] || { echo "mprof: $needed: not built (run make all)" >&2; exit 1; }
done
status=0
/usr/bin/python3 "$root/bench/bench.py" "$build" "$@" || status=$?
/usr/bin/python3 "$root/bench/versions.py" "$build" "$@" || status=$?
/usr/bin/python3 "$root/bench/pytest_plugin.py" "$build" "$@" || status=$?
bash "$root/bench/check.sh" "$build" || status=$?
exit "$status"
