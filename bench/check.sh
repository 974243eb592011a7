#!/usr/bin/env bash
# bench/check.sh BUILD_DIR — `mprof check` on a one-hour .dat (the default 0.1 s interval:
# 36,000 MEM and 36,000 HEAP lines and 100 TOP lines, made by check_hour.py): the wall
# time and the peak RSS of each way CI runs it, from /usr/bin/time, against the targets
# (under 1 s, under 20 MB). Exits 1 when one is missed. `make bench` runs it.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mprof=$(cd "$build" && pwd)/bin/mprof
[ -x "$mprof" ] || { echo "mprof: $mprof: not built (run make all)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "mprof: /usr/bin/time: missing (apt-get install time)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mprof-bench-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
/usr/bin/python3 "$root/bench/check_hour.py" base.dat
/usr/bin/python3 "$root/bench/check_hour.py" hour.dat 20000000
echo "mprof check on a one-hour .dat ($(grep -c '^MEM ' hour.dat) MEM, $(grep -c '^HEAP ' hour.dat) HEAP, $(grep -c '^TOP ' hour.dat) TOP lines, $(($(stat -c %s hour.dat) / 1024)) KiB): targets < 1 s, < 20 MB"
printf '%-62s %8s %10s %s\n' "command" "wall s" "max RSS" "exit"
status=0
measure() {
    local label=$1
    shift
    local exit_status=0
    /usr/bin/time -o time.txt -f %e,%M "$mprof" check "$@" >out.txt 2>err.txt || exit_status=$?
    local wall kib
    # time writes "Command exited with non-zero status N" first when the check fails.
    IFS=, read -r wall kib < <(tail -n 1 time.txt)
    printf '%-62s %8s %7s MB %s\n' "$label" "$wall" "$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')" "$exit_status"
    [ "$exit_status" -le 1 ] || { echo "  error: $(cat err.txt)"; status=1; }
    awk -v w="$wall" -v k="$kib" 'BEGIN { exit !(w < 1.0 && k < 20480) }' || { echo "  over the target"; status=1; }
}
measure "hour.dat --max-peak 1GiB" hour.dat --max-peak 1GiB
measure "hour.dat --baseline base.dat --max-growth 2% (fails, lines)" hour.dat --baseline base.dat --max-growth 2%
measure "... --max-growth 2% --max-leak 2MB --junit r.xml --json" hour.dat --baseline base.dat --max-growth 2% --max-leak 2MB --junit r.xml --json
measure "... --metric rss --max-growth 10% --update-baseline" hour.dat --baseline base.dat --metric rss --max-growth 10% --update-baseline
exit "$status"
