#!/usr/bin/env bash
# bench/callgrind.sh BUILD_DIR — instruction counts (valgrind --tool=callgrind), which do
# not drift with the machine's load: each workload bare and with the library preloaded,
# quiet (no MPROF_FD: the counting runs, the sampler and the pipe do not), so that two
# builds of the library can be compared to the instruction.
#   python small objects: bench/small_objects.py 300000 (pyenv's 3.11)
#   C churn:              examples/churn 2 2000000
#   @profile hot loop:    bench/line_table.py 1000000 (Debian's 3.11, as make bench runs it)
#   --lines:              bench/attribution.py with MPROF_LINES=1 (pyenv's 3.11)
# Prints one line per workload: bare, preloaded, and the ratio. CALLGRIND_ONLY=NAME (the
# first word of a workload's name, lowercase) runs one workload alone.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
library=$build/lib/mprof/libmprof.so
python=${MPROF_BENCH_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3.11}
for needed in "$library" "$build/examples/churn" "$python"; do
    [ -x "$needed" ] || [ -f "$needed" ] || { echo "mprof: $needed: not found" >&2; exit 1; }
done
command -v valgrind >/dev/null || { echo "mprof: valgrind: not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# instructions LABEL PRELOAD ENV COMMAND...: the total Ir of one run (all threads).
# PRELOAD and ENV (NAME=VALUE, or "" for none) are set in valgrind's own environment,
# with a fixed PYTHONHASHSEED (a random one moves Python's counts by tenths of a percent),
# which it hands to the program (valgrind's launcher loads the library too, before it
# execs the tool: that costs the program nothing).
instructions() {
    local out=$work/callgrind.$1
    env -u MPROF_FD PYTHONHASHSEED=0 LD_PRELOAD="$2" ${3:+"$3"} valgrind --tool=callgrind \
        --callgrind-out-file="$out" "${@:4}" >/dev/null 2>"$work/log.$1" ||
        { cat "$work/log.$1" >&2; exit 1; }
    awk '/^summary:/ { print $2 }' "$out"
}

# measure LABEL ENV COMMAND...
measure() {
    local name=${1// /_} label=$1 extra_env=$2
    shift 2
    local only=${CALLGRIND_ONLY:-}
    [ -z "$only" ] || [ "$only" = "$(echo "${label%% *}" | tr 'A-Z' 'a-z')" ] || return 0
    local bare preloaded
    bare=$(instructions "$name.bare" "" "$extra_env" "$@")
    preloaded=$(instructions "$name.preloaded" "$library" "$extra_env" "$@")
    awk -v n="$label" -v b="$bare" -v p="$preloaded" \
        'BEGIN { printf "%-22s bare %14.0f  mprof %14.0f  %.3fx\n", n, b, p, p / b }'
}

measure "python small objects" "" "$python" "$root/bench/small_objects.py" 300000
measure "C churn" "" "$build/examples/churn" 2 2000000
measure "@profile hot loop" "" /usr/bin/python3 "$root/bench/line_table.py" 1000000
measure "--lines" MPROF_LINES=1 "$python" "$root/bench/attribution.py"
