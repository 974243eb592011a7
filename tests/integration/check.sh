#!/usr/bin/env bash
# tests/integration/check.sh BUILD_DIR [TEST...] — `mprof check`, the memory budget for
# CI (mprof/cmd_check.c, check_eval.c, check_lines.c, check_text.c, check_json.c,
# check_junit.c, limit.c, file_copy.c): real `mprof run` runs held to budgets with
# exact exit codes (0 within, 1 over, 2 bad input), every bad input refused (missing,
# empty, truncated, malformed, memory_profiler's own file), JUnit XML and JSON parsed by
# Python, --update-baseline, and the stability of a heap gate: the same program passes
# a 2% growth gate 10 runs out of 10, and a copy with 20% more on one line fails it 10
# out of 10, naming that line first.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# expect_check_error REGEX COMMAND...: exit status 2 (usage or input error), exactly one
# stderr line matching ^mprof: REGEX.
expect_check_error() {
    local pattern=$1
    shift
    "$@" >out.txt 2>err.txt
    local got=$?
    [ "$got" -eq 2 ] || fail "'$*' exited $got, expected 2; stderr: $(head -c 400 err.txt | tr '\n' '|')"
    [ "$(wc -l <err.txt)" -eq 1 ] || fail "'$*' wrote $(wc -l <err.txt) stderr lines, expected 1: $(tr '\n' '|' <err.txt)"
    grep -Eq "^mprof: $pattern" err.txt || fail "'$*' stderr '$(cat err.txt)' does not match '^mprof: $pattern'"
}

# json_get FILE EXPRESSION: print EXPRESSION of the JSON object in FILE (as j); fails the
# test when FILE is not valid JSON.
json_get() {
    /usr/bin/python3 -c 'import json, sys; j = json.load(open(sys.argv[1], "rb")); print(eval(sys.argv[2]))' \
        "$1" "$2" || fail "$1 is not valid JSON (or has no $2): $(head -c 300 "$1")"
}

# app_run DAT [CACHE_BYTES]: record tests/programs/check_app.py, copied here as app.py
# (so that every run names the same file), with --lines.
app_run() {
    [ -f app.py ] || cp "$SOURCES/check_app.py" app.py
    expect_rc 0 mp run --lines -o "$1" "$TEST_PYTHON" app.py ${2:+"$2"}
}

# write_check_dat FILE HEAP_PEAK [HEAP_EXIT]: a complete .dat of ours with that heap peak
# (and heap at exit), and two TOP lines.
write_check_dat() {
    {
        echo "CMDLINE python3 app.py"
        echo "MPROF version 2"
        echo "MEM 10.000000 1767225600.0000"
        echo "HEAP 1767225600.0000 1000"
        echo "MEM 30.000000 1767225600.1000"
        echo "HEAP 1767225600.1000 $2"
        echo "TOP 1 $(($2 / 2)) 1 1 88 load app/cache.py"
        echo "TOP 2 1000 1 1 12 parse app/io.py"
        echo "MPROF exit_status 0"
        echo "MPROF samples 2"
        echo "MPROF rss_peak_bytes 31457280"
        echo "MPROF heap_peak_bytes $2"
        [ -z "${3:-}" ] || echo "MPROF heap_exit_bytes $3"
    } >"$1"
}

register check_help
t_check_help() {
    expect_rc 0 mp check --help
    grep -q '^usage: mprof check FILE|INDEX' out.txt || fail "mprof check --help: $(head -n 1 out.txt)"
    grep -q 'Exit status: 0 within budget, 1 over budget, 2 usage or input error' out.txt ||
        fail "mprof check --help does not give the exit statuses"
    expect_rc 0 mp --help
    grep -q '^  mprof check FILE|INDEX' out.txt || fail "mprof --help does not list check"
}

# A real run's peak, exact: the limit at the peak passes, one byte under it fails; the
# figure is the one mprof peak prints.
register check_max_peak
t_check_max_peak() {
    app_run new.dat
    expect_rc 0 mp check new.dat --max-peak 1GiB --json
    local peak
    peak=$(json_get out.txt 'j["checks"][0]["value"]')
    local mark
    mark=$(sed -n 's/^MPROF heap_peak_bytes //p' new.dat)
    [ "$peak" -ge "$mark" ] && [ "$peak" -gt 6000000 ] && [ "$peak" -lt 40000000 ] ||
        fail "peak $peak: not at least heap_peak_bytes $mark, or not the program's 6 MB and a few"
    expect_rc 0 mp peak new.dat
    grep -q "heap $(awk -v b="$peak" 'BEGIN { printf "%.3f", b / 1048576 }') MiB" out.txt ||
        fail "mprof peak '$(cat out.txt)' does not print check's $peak B"

    expect_rc 0 mp check new.dat --max-peak "$peak"
    grep -Eq "^PASS max-peak: peak heap [0-9.]+ MiB \\($peak B\\), within [0-9.]+ MiB \\($peak B\\)$" out.txt ||
        fail "passing line: $(cat out.txt)"
    [ "$(wc -l <out.txt)" -eq 1 ] || fail "a pass printed more than its line: $(cat out.txt)"
    expect_rc 1 mp check new.dat --max-peak "$((peak - 1))"
    grep -Eq "^FAIL max-peak: .* by 1 B \\(1 B\\)$" out.txt || fail "failing line: $(head -n 1 out.txt)"
    # Without a baseline, the report lists the run's lines that held the most.
    grep -q '^lines holding the most heap at the peak:$' out.txt || fail "no top lines: $(cat out.txt)"
    sed -n '/^lines holding/{n;p}' out.txt | grep -Eq '^ +3\.8 MiB  .*/app\.py:16 load_cache\(\)$' ||
        fail "first top line is not load_cache's 3.8 MiB: $(cat out.txt)"
    [ "$(sed -n '/^lines holding/,$p' out.txt | wc -l)" -eq 11 ] || fail "not 10 top lines: $(cat out.txt)"
    expect_rc 0 mp check new.dat --max-peak 0.5GB
    expect_rc 1 mp check new.dat --max-peak 6MB
    expect_rc 1 mp check new.dat --max-peak=1KiB
    # INDEX as mprof list numbers them.
    cp new.dat mprofile_20260101000000.dat
    expect_rc 1 mp check -1 --max-peak 1KiB
    expect_rc 0 mp check 0 --max-peak 1GiB
}

register check_rss
t_check_rss() {
    app_run new.dat
    expect_rc 0 mp check new.dat --metric rss --max-peak 1GiB
    grep -Eq '^PASS max-peak: peak RSS ' out.txt || fail "rss line: $(cat out.txt)"
    expect_rc 1 mp check new.dat --metric rss --max-peak 1MiB
    expect_rc 0 mp check new.dat --metric rss --max-peak 1GiB --json
    local rss mark
    rss=$(json_get out.txt 'j["checks"][0]["value"]')
    mark=$(sed -n 's/^MPROF rss_hwm_bytes //p' new.dat)
    [ "$rss" -ge "$mark" ] || fail "RSS peak $rss below the run's VmHWM $mark"
    [ "$(json_get out.txt 'j["checks"][0]["metric"]')" = rss ] || fail "metric is not rss"
}

# Against a baseline: the same program passes a 0.1% gate (the heap is exact, the
# interpreter's own start-up moves by a block or two), a copy with
# a bigger cache fails 2% and passes 50%, and the report names the line that grew.
register check_growth
t_check_growth() {
    app_run base.dat
    app_run same.dat
    # The same program again: its heap is the same to within a block or two (the
    # interpreter's own start-up moves that much on 3.10, and the first run's .dat is in
    # the second's directory), so a 0.1% gate passes, and the growth is a few KiB at most.
    expect_rc 0 mp check same.dat --baseline base.dat --max-growth 0.1% --json
    local same_growth
    same_growth=$(json_get out.txt 'j["checks"][0]["growth"]')
    [ "${same_growth#-}" -le 4096 ] || fail "same program grew by $same_growth B"
    expect_rc 0 mp check same.dat --baseline base.dat --max-growth 0.1%
    grep -Eq '^PASS max-growth: .*, within the 0\.1% allowed' out.txt ||
        fail "same program, 0.1% gate: $(cat out.txt)"
    app_run big.dat 4800000
    expect_rc 1 mp check big.dat --baseline base.dat --max-growth 2%
    grep -q '^FAIL max-growth: ' out.txt || fail "no FAIL line: $(cat out.txt)"
    grep -Eq '^ +baseline +new +growth$' out.txt || fail "no side-by-side peaks: $(cat out.txt)"
    # 800,000 B of cache, and the interpreter's own start-up, which moves by up to a
    # few KiB between two runs of different programs (3.10 once: -1,898 B).
    grep -Eq '^peak heap +[0-9.]+ MiB +[0-9.]+ MiB +\+(77[6-9]|78[0-4])\.[0-9] KiB \(\+[5-9]\.[0-9]{2}%\)$' out.txt ||
        fail "no peak row: $(cat out.txt)"
    sed -n '/^lines whose heap/{n;p}' out.txt | grep -Eq '^ *\+781\.2 KiB  .*/app\.py:16 load_cache\(\)$' ||
        fail "first grown line is not load_cache's +781.2 KiB: $(cat out.txt)"
    expect_rc 0 mp check big.dat --baseline base.dat --max-growth 50%
    expect_rc 0 mp check big.dat --baseline base.dat --max-growth 1MB
    expect_rc 1 mp check big.dat --baseline base.dat --max-growth 700KB
    expect_rc 1 mp check big.dat --baseline base.dat --max-growth 790000
    # Shrinking passes any gate.
    expect_rc 0 mp check base.dat --baseline big.dat --max-growth 0%
    # Both checks at once: the worse verdict is the exit status.
    expect_rc 1 mp check big.dat --baseline base.dat --max-growth 50% --max-peak 1MiB
    grep -q '^PASS max-growth' out.txt && grep -q '^FAIL max-peak' out.txt ||
        fail "one check each way: $(cat out.txt)"
    # A baseline without TOP lines: said, not guessed.
    expect_rc 0 mp run -o nolines.dat "$TEST_PYTHON" app.py
    expect_rc 1 mp check big.dat --baseline nolines.dat --max-growth 2%
    grep -qx '(record both runs with mprof run --lines to see which lines grew)' out.txt ||
        fail "no hint about --lines: $(cat out.txt)"
}

register check_json
t_check_json() {
    app_run base.dat
    app_run big.dat 4800000
    expect_rc 1 mp check big.dat --baseline base.dat --max-growth 2% --max-peak 1GiB --json
    [ "$(json_get out.txt 'j["exit_status"], j["passed"], j["metric"], j["error"]')" = "(1, False, 'heap', None)" ] ||
        fail "summary fields: $(head -c 300 out.txt)"
    [ "$(json_get out.txt '[c["name"] for c in j["checks"]]')" = "['max-peak', 'max-growth']" ] ||
        fail "checks: $(json_get out.txt 'j["checks"]')"
    local base new
    base=$(json_get out.txt 'j["checks"][1]["baseline_value"]')
    new=$(json_get out.txt 'j["checks"][1]["value"]')
    [ "$(json_get out.txt 'j["checks"][1]["growth"]')" -eq "$((new - base))" ] || fail "growth is not new - baseline"
    [ "$(json_get out.txt 'j["checks"][1]["allowed_growth"]')" -eq "$((base * 2 / 100))" ] ||
        fail "2% allowed is not floor(baseline * 2 / 100)"
    [ "$(json_get out.txt 'j["checks"][1]["limit"]')" -eq "$((base + base * 2 / 100))" ] || fail "limit"
    [ "$(json_get out.txt 'j["checks"][1]["passed"], j["checks"][0]["passed"]')" = "(False, True)" ] || fail "passed"
    [ "$(json_get out.txt 'j["lines"][0]["function"], j["lines"][0]["line"], j["lines"][0]["growth_bytes"]')" = "('load_cache', 16, 800000)" ] ||
        fail "first grown line: $(json_get out.txt 'j["lines"][0]')"
    # Valid JSON whatever the .dat holds: control bytes, quotes, backslashes, bad UTF-8.
    write_check_dat odd.dat 5000000
    printf 'TOP 3 4000000 1 1 7 f\\x01"q\\\\ a\\x02"\\xff<&>.py\n' >>odd.dat
    expect_rc 1 mp check odd.dat --max-peak 1MB --json
    [ "$(json_get out.txt 'j["lines"][0]["file"]')" = "$(printf 'a\002"\\xff<&>.py')" ] ||
        fail "odd file name: $(json_get out.txt 'repr(j["lines"][0]["file"])')"
    [ "$(json_get out.txt 'j["lines"][0]["function"]')" = "$(printf 'f\001"q\\')" ] || fail "odd function name"
    # An input error is JSON too.
    : >empty.dat
    expect_rc 2 mp check empty.dat --max-peak 1MB --json
    [ "$(json_get out.txt 'j["exit_status"], j["checks"]')" = "(2, [])" ] || fail "error JSON: $(cat out.txt)"
    grep -q 'empty.dat: empty file' <<<"$(json_get out.txt 'j["error"]')" || fail "error JSON has no reason"
}

register check_junit
t_check_junit() {
    app_run base.dat
    app_run big.dat 4800000
    expect_rc 1 mp check big.dat --baseline base.dat --max-growth 2% --max-peak 1GiB --junit report.xml
    /usr/bin/python3 - report.xml >parsed.txt <<'PY' || fail "report.xml: $(cat parsed.txt)"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "0"), root.attrib
cases = root.findall("testsuite/testcase")
assert [c.get("name") for c in cases] == ["max-peak (heap)", "max-growth (heap)"], cases
assert cases[0].find("failure") is None
failure = cases[1].find("failure")
assert failure.get("message").startswith("FAIL max-growth: peak heap "), failure.get("message")
assert "app.py:16 load_cache()" in failure.text, failure.text
print("ok")
PY
    # Markup and control bytes from the .dat never reach the XML raw.
    write_check_dat odd.dat 5000000
    printf 'TOP 3 4000000 1 1 7 f\\x01"q\\\\ a\\x02]]>\\xff\\xef\\xbf\\xbf<&>.py\n' >>odd.dat
    expect_rc 1 mp check odd.dat --max-peak 1MB --junit odd.xml
    /usr/bin/python3 - odd.xml >parsed.txt <<'PY' || fail "odd.xml: $(cat parsed.txt)"
import sys
import xml.etree.ElementTree as ET
failure = ET.parse(sys.argv[1]).getroot().find("testsuite/testcase/failure")
assert 'a\\x02]]>\\xff\\xef\\xbf\\xbf<&>.py:7 f\\x01"q\\()' in failure.text, failure.text
print("ok")
PY
    ! LC_ALL=C grep -q "$(printf '[\001\002]')" odd.xml || fail "a control byte reached odd.xml"
    # An input error is one testcase with an <error>.
    head -c 200 big.dat >cut.dat
    expect_rc 2 mp check cut.dat --max-peak 1MB --junit cut.xml
    /usr/bin/python3 - cut.xml >parsed.txt <<'PY' || fail "cut.xml: $(cat parsed.txt)"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.get("errors") == "1", root.attrib
error = root.find("testsuite/testcase/error")
message = error.get("message")
assert message.startswith("cut.dat: ") and ("truncated" in message or "not a whole profile" in message), message
print("ok")
PY
    expect_check_error '/nonexistent-dir/r\.xml: ' mp check big.dat --max-peak 1GiB --junit /nonexistent-dir/r.xml
}

# Nothing bad is ever "within budget": each is exit 2 with one line saying why.
register check_bad_input
t_check_bad_input() {
    app_run good.dat
    expect_check_error 'nosuch\.dat: No such file' mp check nosuch.dat --max-peak 1GiB
    : >empty.dat
    expect_rc 2 mp check empty.dat --max-peak 1GiB
    expect_check_error 'empty\.dat: empty file' mp check empty.dat --max-peak 1GiB
    # Cut inside a line, and cut at a line's end (the closing MPROF lines lost).
    head -c "$(($(grep -b -m 1 '^TOP 2 ' good.dat | cut -d: -f1) + 9))" good.dat >cut.dat
    expect_rc 2 mp check cut.dat --max-peak 1GiB
    grep -q '^mprof: cut\.dat: line [0-9]*: truncated' err.txt || fail "cut.dat: $(cat err.txt)"
    grep -v '^MPROF \(samples\|exit_status\|rss_\|heap_\)' good.dat >unfinished.dat
    expect_rc 2 mp check unfinished.dat --max-peak 1GiB
    expect_check_error 'unfinished\.dat: MPROF end at line [0-9]+ of [0-9]+ does not stand where it was written .*: not a whole profile' mp check unfinished.dat --max-peak 1GiB
    # And cut at a line's end with the end line gone too: the closing lines are missing.
    grep -v '^MPROF end ' unfinished.dat >unended.dat
    expect_check_error 'unended\.dat: ends at line [0-9]+ without MPROF end .*: not a whole profile' mp check unended.dat --max-peak 1GiB
    expect_rc 2 mp check good.dat --baseline unfinished.dat --max-growth 5%
    printf 'CMDLINE x\nMEM 1.0 1767225600.0\nMEM abc\n' >garbage.dat
    expect_rc 2 mp check garbage.dat --max-peak 1GiB
    expect_check_error 'garbage\.dat: line 3' mp check garbage.dat --max-peak 1GiB
    printf 'hello world\nthis is not a profile\n' >notdat.dat
    expect_rc 2 mp check notdat.dat --max-peak 1GiB
    head -c 4096 /dev/urandom >binary.dat
    expect_rc 2 mp check binary.dat --max-peak 1GiB
    # A missing baseline without --update-baseline is an error, not a pass.
    expect_check_error 'nobase\.dat: No such file' mp check good.dat --baseline nobase.dat --max-growth 5%
}

# memory_profiler's own file (Debian's python3-mprof run) has RSS only: the heap checks
# say so and name --metric rss, and it never becomes a heap baseline.
register check_memory_profiler_file
t_check_memory_profiler_file() {
    command -v python3-mprof >/dev/null || skip_test "no python3-mprof (apt-get install python3-memory-profiler)"
    app_run good.dat
    expect_rc 0 python3-mprof run -o theirs.dat /usr/bin/python3 "$SOURCES/hold.py" 8 0.2
    expect_rc 2 mp check theirs.dat --max-peak 1GiB
    expect_check_error 'theirs\.dat: no heap data \(no HEAP lines: memory_profiler wrote it.*use --metric rss' \
        mp check theirs.dat --max-peak 1GiB
    expect_rc 0 mp check theirs.dat --max-peak 1GiB --metric rss
    expect_rc 1 mp check theirs.dat --max-peak 1MiB --metric rss
    expect_rc 2 mp check good.dat --baseline theirs.dat --max-growth 5%
    expect_rc 0 mp check good.dat --baseline theirs.dat --max-growth 1000% --metric rss
    expect_check_error 'theirs\.dat: records no heap at exit' mp check theirs.dat --max-leak 1GiB
    expect_rc 2 mp check theirs.dat --baseline new-base.dat --max-growth 2% --update-baseline
    [ ! -e new-base.dat ] || fail "memory_profiler's file became a heap baseline"
    expect_rc 0 mp check theirs.dat --baseline rss-base.dat --max-growth 2% --metric rss --update-baseline
    cmp -s theirs.dat rss-base.dat || fail "memory_profiler's file did not become an RSS baseline"
}

register check_usage_errors
t_check_usage_errors() {
    write_check_dat good.dat 5000000
    local bad
    for bad in 12XB -5MiB 99999999999GiB 1.MiB 5% ''; do
        expect_rc 2 mp check good.dat --max-peak "$bad"
        expect_check_error "check: --max-peak $bad: " mp check good.dat --max-peak "$bad"
    done
    expect_check_error 'check: --max-peak 12XB: not a size \(a number, then B, KiB, MiB, GiB, KB, MB or GB\)$' \
        mp check good.dat --max-peak 12XB
    expect_check_error 'check: --max-peak -5MiB: a size cannot be negative$' mp check good.dat --max-peak -5MiB
    expect_check_error 'check: --max-peak 99999999999GiB: too large' mp check good.dat --max-peak 99999999999GiB
    expect_check_error 'check: --max-leak x: not a size' mp check good.dat --max-leak x
    expect_check_error 'check: --max-growth 5\.5\.5%: not a percentage' mp check good.dat --baseline good.dat --max-growth 5.5.5%
    expect_check_error 'check: --max-growth -5%: a percentage cannot be negative' mp check good.dat --baseline good.dat --max-growth -5%
    expect_check_error 'check: --metric vms: not a metric \(heap or rss\)' mp check good.dat --max-peak 1MB --metric vms
    expect_check_error 'check: no check given' mp check good.dat
    expect_check_error 'check: which \.dat\?' mp check --max-peak 1MB
    expect_check_error 'check: --max-growth 5% needs --baseline' mp check good.dat --max-growth 5%
    expect_check_error 'check: --baseline good\.dat needs --max-growth' mp check good.dat --baseline good.dat
    expect_check_error 'check: --update-baseline needs --baseline' mp check good.dat --update-baseline --max-peak 1MB
    expect_check_error 'check: --max-peak: needs a value \(see mprof check --help\)$' mp check good.dat --max-peak
    expect_check_error 'check: --bogus: unknown option \(see mprof check --help\)$' mp check good.dat --bogus
    expect_check_error 'check: one FILE\|INDEX at a time' mp check good.dat good.dat --max-peak 1MB
    expect_rc 2 mp check good.dat --bogus
    expect_rc 2 mp check good.dat
    # The spellings that are sizes.
    expect_rc 0 mp check good.dat --max-peak 5000000
    expect_rc 1 mp check good.dat --max-peak 4999999B
    expect_rc 0 mp check good.dat --max-peak "5 MB"
    expect_rc 0 mp check good.dat --max-peak 4.77MiB   # 5,001,707 bytes
    expect_rc 1 mp check good.dat --max-peak 4.76MiB   # 4,991,222 bytes
}

# --max-leak: the heap still live at exit, from MPROF heap_exit_bytes.
register check_leak_fixture
t_check_leak_fixture() {
    write_check_dat leak.dat 5000000 3000057
    expect_rc 0 mp check leak.dat --max-leak 3000057
    grep -Eq '^PASS max-leak: heap at exit 2\.9 MiB \(3000057 B\), within 2\.9 MiB \(3000057 B\)$' out.txt ||
        fail "leak line: $(cat out.txt)"
    expect_rc 1 mp check leak.dat --max-leak 3MB
    grep -Eq '^FAIL max-leak: heap at exit 2\.9 MiB \(3000057 B\), over 2\.9 MiB \(3000000 B\) by 57 B \(57 B\)$' out.txt ||
        fail "leak failure: $(cat out.txt)"
    write_check_dat noexit.dat 5000000
    expect_check_error 'noexit\.dat: records no heap at exit \(no MPROF heap_exit_bytes\)' mp check noexit.dat --max-leak 1GiB
    { cat noexit.dat; echo "MPROF signal 9"; } >killed.dat
    expect_check_error 'killed\.dat: records no heap at exit .*signal' mp check killed.dat --max-leak 1GiB
}

# --max-leak on real runs: a Python global that keeps a 3,000,000-byte bytearray leaves
# exactly its buffer more live at exit than one that keeps bytearray(0) (3,000,001 bytes
# up to 3.14; 3.15 keeps them in a bytes object: the interpreter says how many); a C program
# that never frees its 8 MiB malloc (die exit 3) leaves exactly 8 MiB; one a signal ends
# leaves no figure, and the check says so.
register check_leak_run
t_check_leak_run() {
    run_keep_pair
    local buffer
    buffer=$(keep_pair_buffer)
    [ "$buffer" -ge 3000001 ] && [ "$buffer" -le 3000064 ] || fail "bytearray's buffer: $buffer"
    expect_rc 0 mp check k0.dat --max-leak 1GiB --json
    local empty
    empty=$(json_get out.txt 'j["checks"][0]["value"]')
    [ "$(json_get out.txt 'j["checks"][0]["name"]')" = max-leak ] || fail "not max-leak"
    # The kept bytearray's buffer (within keep_pair_holds' margin); the gate on the
    # figure recorded is then exact.
    local kept
    kept=$(sed -n 's/^MPROF heap_exit_bytes //p' k1.dat)
    keep_pair_holds "$kept" "$empty" "$buffer" ||
        fail "k1 left $kept B, k0 $empty B: not the buffer's $buffer B"
    expect_rc 0 mp check k1.dat --max-leak "$kept"
    grep -Eq "^PASS max-leak: heap at exit [0-9.]+ MiB \($kept B\)" out.txt ||
        fail "k1 leak line: $(cat out.txt)"
    expect_rc 1 mp check k1.dat --max-leak "$((kept - 1))"
    grep -Eq '^FAIL max-leak: .* by 1 B \(1 B\)$' out.txt || fail "k1 over by 1 B: $(cat out.txt)"

    expect_rc 3 mp run -o c.dat "$PROGRAMS/die" exit 3
    expect_rc 0 mp check c.dat --max-leak 8MiB
    expect_rc 1 mp check c.dat --max-leak 8388607
    grep -Eq '^FAIL max-leak: heap at exit 8\.0 MiB \(8388608 B\), over 8\.0 MiB \(8388607 B\) by 1 B \(1 B\)$' out.txt ||
        fail "C leak line: $(cat out.txt)"
    expect_rc 137 mp run -o killed.dat "$PROGRAMS/die" kill
    expect_check_error 'killed\.dat: records no heap at exit \(no MPROF heap_exit_bytes\): the program was ended by a signal' \
        mp check killed.dat --max-leak 1GiB
    # The peak checks still hold for it: its samples are whole.
    expect_rc 0 mp check killed.dat --max-peak 8MiB
    sed 's/^MPROF heap_exit_bytes .*/MPROF heap_exit_bytes -5/' c.dat >negative.dat
    reseal_dat negative.dat
    expect_check_error 'negative\.dat: MPROF heap_exit_bytes -5 is not a byte count' \
        mp check negative.dat --max-leak 1GiB
}

register check_update_baseline
t_check_update_baseline() {
    app_run first.dat
    # The first run of a CI job: no baseline yet. It is created, the growth check skipped.
    expect_rc 2 mp check first.dat --baseline kept/base.dat --max-growth 2% --update-baseline
    expect_check_error 'kept/base\.dat: No such file or directory \(the baseline is unchanged\)' \
        mp check first.dat --baseline kept/base.dat --max-growth 2% --update-baseline
    mkdir kept
    expect_rc 0 mp check first.dat --baseline kept/base.dat --max-growth 2% --update-baseline --junit r.xml
    cmp -s first.dat kept/base.dat || fail "the baseline was not created from first.dat"
    grep -qx 'SKIP max-growth: no baseline yet (kept/base.dat does not exist)' out.txt || fail "no SKIP: $(cat out.txt)"
    grep -q '^baseline kept/base.dat created from first.dat' out.txt || fail "not said: $(cat out.txt)"
    /usr/bin/python3 -c 'import sys, xml.etree.ElementTree as ET; r = ET.parse(sys.argv[1]).getroot(); assert r.get("skipped") == "1", r.attrib' r.xml ||
        fail "r.xml: no skipped testcase"
    # Over budget, asked to update: the baseline becomes the new run, the status stays 1.
    app_run big.dat 4800000
    expect_rc 1 mp check big.dat --baseline kept/base.dat --max-growth 2% --update-baseline
    cmp -s big.dat kept/base.dat || fail "the baseline was not updated"
    grep -q '^baseline kept/base.dat updated: it is now a copy of big.dat$' out.txt || fail "not said: $(cat out.txt)"
    expect_rc 0 mp check big.dat --baseline kept/base.dat --max-growth 0% --update-baseline --json
    [ "$(json_get out.txt 'j["baseline_update"]')" = updated ] || fail "json baseline_update"
    # Not asked: never touched.
    expect_rc 1 mp check first.dat --baseline kept/base.dat --max-peak 1KiB --max-growth 2%
    cmp -s big.dat kept/base.dat || fail "the baseline changed without --update-baseline"
    # A bad new run never becomes the baseline.
    head -c 300 first.dat >cut.dat
    expect_rc 2 mp check cut.dat --baseline kept/base.dat --max-growth 2% --update-baseline
    grep -v '^MPROF samples' first.dat >unfinished.dat
    expect_rc 2 mp check unfinished.dat --baseline kept/base.dat --update-baseline
    cmp -s big.dat kept/base.dat || fail "a bad run replaced the baseline"
    # --update-baseline alone never reads the old baseline: a damaged one is replaced.
    printf 'garbage\n' >kept/base.dat
    expect_rc 0 mp check big.dat --baseline kept/base.dat --update-baseline
    cmp -s big.dat kept/base.dat || fail "a damaged baseline was not replaced"
    chmod 640 kept/base.dat
    expect_rc 0 mp check first.dat --baseline kept/base.dat --update-baseline
    cmp -s first.dat kept/base.dat || fail "the baseline was not updated with no check"
    [ "$(stat -c %a kept/base.dat)" = 640 ] || fail "the baseline lost its mode: $(stat -c %a kept/base.dat)"
    expect_rc 0 mp check kept/base.dat --baseline kept/base.dat --update-baseline
    grep -q 'left as it is' out.txt || fail "same file: $(cat out.txt)"
    [ -z "$(ls kept | grep -v '^base\.dat$')" ] || fail "left behind: $(ls kept)"
}

# Heap gates do not flap: 10 runs of the same program all pass a 2% growth gate against
# the first, and 10 runs of a copy with 20% more on one line (load_index's bytearray,
# 2,000,000 -> 2,400,000 bytes) all fail it, naming that line first with its 400,000.
register check_stability
t_check_stability() {
    cp "$SOURCES/check_app.py" app.py
    expect_rc 0 mp run --lines -o first.dat "$TEST_PYTHON" app.py
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        expect_rc 0 mp run --lines -o "same$i.dat" "$TEST_PYTHON" app.py
        expect_rc 0 mp check "same$i.dat" --baseline first.dat --max-growth 2%
    done
    sed 's/bytearray(2_000_000)/bytearray(2_400_000)/' "$SOURCES/check_app.py" >app.py
    ! cmp -s app.py "$SOURCES/check_app.py" || fail "the copy did not change"
    for i in 1 2 3 4 5 6 7 8 9 10; do
        expect_rc 0 mp run --lines -o "more$i.dat" "$TEST_PYTHON" app.py
        expect_rc 1 mp check "more$i.dat" --baseline first.dat --max-growth 2% --json
        [ "$(json_get out.txt 'j["lines"][0]["function"], j["lines"][0]["line"], j["lines"][0]["growth_bytes"]')" = "('load_index', 20, 400000)" ] ||
            fail "run $i: first grown line is $(json_get out.txt 'j["lines"][0]')"
        expect_rc 1 mp check "more$i.dat" --baseline first.dat --max-growth 2%
        sed -n '/^lines whose heap/{n;p}' out.txt | grep -Eq '^ *\+390\.6 KiB  .*/app\.py:20 load_index\(\)$' ||
            fail "run $i: the report does not name load_index first: $(cat out.txt)"
    done
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
