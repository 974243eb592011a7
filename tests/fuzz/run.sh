#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD_DIR SECONDS TARGET... — make fuzz: the seed corpus from real
# runs (seeds.sh, once per build directory), then each libFuzzer target for SECONDS, its
# corpus kept in BUILD_DIR/fuzz/corpus/<target> so the next run starts where this one
# stopped. A crash, leak, sanitizer finding or slow input fails the run; the input that
# found it is left in BUILD_DIR/fuzz/findings/ (replay: TARGET FILE) and becomes a unit
# test.
set -uo pipefail
build=$1
seconds=$2
shift 2
fuzz=$build/fuzz
here=$(dirname "${BASH_SOURCE[0]}")
if [ ! -d "$fuzz/seeds/dat" ] || [ -z "$(ls -A "$fuzz/seeds/wire" 2>/dev/null)" ]; then
    echo "mprof: fuzz: seed corpus from real runs into $fuzz/seeds" >&2
    bash "$here/seeds.sh" "$build" "$fuzz/seeds"
fi
mkdir -p "$fuzz/findings"
status=0
for target in "$@"; do
    name=$(basename "$target")
    case $name in
        fuzz_dat) seeds=$fuzz/seeds/dat ;;
        fuzz_wire) seeds=$fuzz/seeds/wire ;;
        *) seeds= ;;
    esac
    corpus=$fuzz/corpus/$name
    mkdir -p "$corpus"
    echo "mprof: fuzz: $name for ${seconds}s" >&2
    # -timeout: one input taking 10 s is a finding (an endless table was one).
    if ! "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$fuzz/findings/$name-" \
            "$corpus" ${seeds:+"$seeds"} </dev/null >"$fuzz/$name.log" 2>&1; then
        echo "mprof: fuzz: $name found a problem: $(grep -m1 -E 'ERROR|runtime error|Test unit written' "$fuzz/$name.log")" >&2
        tail -n 30 "$fuzz/$name.log" >&2
        status=1
        continue
    fi
    echo "mprof: fuzz: $name: $(grep -m1 -E '^stat::number_of_executed_units' "$fuzz/$name.log" | awk '{print $2}') inputs, no finding" >&2
done
exit $status
