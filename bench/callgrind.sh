#!/usr/bin/env bash
# bench/callgrind.sh BUILD_DIR — instruction counts (valgrind --tool=callgrind), which do
# not drift with the machine's load: each workload bare and with the library preloaded,
# quiet (no MPROF_FD: the counting runs, the sampler and the pipe do not), so that two
# builds of the library can be compared to the instruction.
#   python small objects: bench/small_objects.py 300000 (pyenv's 3.11)
#   C churn:              examples/churn 2 2000000
#   @profile hot loop:    bench/line_table.py 1000000 (Debian's 3.11, as make bench runs it)
#   --lines:              bench/attribution.py with MPROF_LINES=1 (pyenv's 3.11)
# Prints one line per workload: bare, preloaded, and the ratio. CALLGRIND_ONLY="NAME..."
# (the first word of a workload's name, lowercase: python, c, @profile, --lines) runs
# those workloads alone. MPROF_BENCH_PYTHON=PROGRAM runs all three Python workloads on
# that one interpreter (bench/versions.py does, once per version).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
library=$build/lib/mprof/libmprof.so
python=${MPROF_BENCH_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3.11}
hot_loop_python=${MPROF_BENCH_PYTHON:-/usr/bin/python3}
only=${CALLGRIND_ONLY:-}

# wanted LABEL: whether CALLGRIND_ONLY leaves the workload LABEL in.
wanted() {
    local word
    word=$(echo "${1%% *}" | tr 'A-Z' 'a-z')
    [ -z "$only" ] || [[ " $only " == *" $word "* ]]
}

needed=("$library")
! wanted "C churn" || needed+=("$build/examples/churn")
! wanted "python" && ! wanted "--lines" || needed+=("$python")
! wanted "@profile" || needed+=("$hot_loop_python")
for file in "${needed[@]}"; do
    [ -x "$file" ] || [ -f "$file" ] || { echo "mprof: $file: not found" >&2; exit 1; }
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
    wanted "$label" || return 0
    local bare preloaded
    bare=$(instructions "$name.bare" "" "$extra_env" "$@")
    preloaded=$(instructions "$name.preloaded" "$library" "$extra_env" "$@")
    awk -v n="$label" -v b="$bare" -v p="$preloaded" \
        'BEGIN { printf "%-22s bare %14.0f  mprof %14.0f  %.3fx\n", n, b, p, p / b }'
}

measure "python small objects" "" "$python" "$root/bench/small_objects.py" 300000
measure "C churn" "" "$build/examples/churn" 2 2000000
measure "@profile hot loop" "" "$hot_loop_python" "$root/bench/line_table.py" 1000000
measure "--lines" MPROF_LINES=1 "$python" "$root/bench/attribution.py"
