#!/usr/bin/env bash
# bench/run.sh BUILD_DIR — `make bench`: the cost of profiling, side by side with the bare
# run and with Debian's memory_profiler (and heaptrack/memray when they are installed).
# The work is in bench.py; BENCH_ROUNDS=N changes the number of rounds (default 9: on a
# machine whose speed wanders by half from one run to the next, five medians did not agree).
set -euo pipefail
build=${1:-build}
shift || true
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for needed in "$build/bin/mprof" "$build/examples/churn"; do
    [ -x "$needed" ] || { echo "mprof: $needed: not built (run make all)" >&2; exit 1; }
done
exec /usr/bin/python3 "$root/bench/bench.py" "$build" "$@"
