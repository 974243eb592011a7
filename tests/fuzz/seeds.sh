#!/usr/bin/env bash
# tests/fuzz/seeds.sh BUILD_DIR OUT_DIR — the fuzz targets' seed corpus, from real runs
# of this build: OUT_DIR/dat/ holds the .dat files mprof run wrote, OUT_DIR/wire/ the
# byte streams the library sent down the pipe in the same runs, each behind the two
# bytes fuzz_wire.c reads first (the children mode and a split seed).
#
# A stream is caught the way mprof run hands the pipe over (MPROF_FD and the variables
# of include/mprof/protocol.h, the library preloaded), with a FIFO whose reader keeps
# the bytes. Each run is a few seconds at most: a C program that holds heap, one that
# forks, CPython with @profile tables and with --lines.
set -uo pipefail
build=$(cd "$1" && pwd)
mkdir -p "$2/dat" "$2/wire"
out=$(cd "$2" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mprof=$build/bin/mprof
library=$build/lib/mprof/libmprof.so
programs=$build/tests/programs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# seed NAME MODE CHILDREN LINES PROGRAM...: one run through mprof run (the .dat) and
# one with the pipe caught (the stream). MODE is fuzz_wire's first byte.
seed() {
    local name=$1 mode=$2 children=$3 lines=$4
    shift 4
    local options=(-T 0.02)
    [ "$children" = 1 ] && options+=(-M)
    [ "$lines" = 1 ] && options+=(--lines)
    (cd "$root/tests/programs" && "$mprof" run "${options[@]}" -o "$out/dat/$name.dat" "$@") \
        >/dev/null 2>&1 || echo "mprof: seed $name: mprof run failed" >&2
    rm -f "$work/pipe"
    mkfifo "$work/pipe"
    cat "$work/pipe" >"$work/$name.stream" &
    local reader=$!
    (
        cd "$root/tests/programs" || exit 1
        exec 7>"$work/pipe"
        # The library writes only into the pipe MPROF_PIPE_ID names (its st_dev:st_ino).
        export MPROF_FD=7 MPROF_INTERVAL_NS=20000000 MPROF_TARGET_PID=$BASHPID
        MPROF_PIPE_ID=$(stat -L -c '%d:%i' "$work/pipe") || exit 1
        export MPROF_PIPE_ID
        export LD_PRELOAD=$library
        [ "$children" = 1 ] && export MPROF_CHILDREN=1
        [ "$lines" = 1 ] && export MPROF_LINES=1
        exec "$@"
    ) >/dev/null 2>&1
    wait "$reader"
    if [ -s "$work/$name.stream" ]; then
        { printf "\\x$(printf %02x "$mode")\\x5a"; cat "$work/$name.stream"; } >"$out/wire/$name"
    else
        echo "mprof: seed $name: the library sent nothing down the pipe" >&2
    fi
}

seed hold 0 0 0 "$programs/hold" 8 0.2 2 0.2
seed hold_all 4 0 0 "$programs/hold" 4 0.1
seed forker 2 1 0 "$programs/forker"
seed forker_sum 1 1 0 "$programs/forker"
seed profile_several 0 0 0 python3 profile_several.py
seed profile_top 0 0 1 python3 profile_top.py
