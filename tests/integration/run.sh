#!/usr/bin/env bash
# tests/integration/run.sh BUILD_DIR [TEST...] — run real programs under BUILD_DIR/bin/mprof
# and check the numbers they leave: exact heap sizes, exit statuses, files that Debian's
# memory_profiler reads, plots that are real images, one-line errors for bad input.
#
# Each test runs in its own temporary directory, in a subshell, and prints one line:
# "ok NAME" or "FAIL NAME: why". The last line is "N passed, N failed" alone; the exit
# status is non-zero when anything failed. Failing tests' directories are kept (their
# path is printed on stderr) so the .dat and the captured output can be read.
#
# Ground truth lives in the programs (tests/programs/*.c, *.py): they hold known sizes
# for known times. Sizes are asserted within 1% where the truth is exact, as ranges a
# wrong implementation cannot meet elsewhere. The .dat is read by datcheck.py, which is
# independent of mprof's own reader on purpose.
set -uo pipefail

BUILD=$(cd "${1:-build}" && pwd) || { echo "usage: run.sh BUILD_DIR [TEST...]" >&2; exit 2; }
shift || true
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MPROF=$BUILD/bin/mprof
PROGRAMS=$BUILD/tests/programs
EXAMPLES=$BUILD/examples
SOURCES=$ROOT/tests/programs
# The checker runs on Debian's interpreter: it starts fast and is never the one profiled.
DATCHECK=(/usr/bin/python3 "$ROOT/tests/integration/datcheck.py")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mprof-integration.XXXXXX")
TIMEOUT=${MPROF_TEST_TIMEOUT:-90}

# ---- helpers (they run inside a test's subshell; fail ends the test) -------------------

fail() {
    printf '%s\n' "$*" >"$TEST_DIR/.why"
    exit 1
}

# mp ARGS...: mprof with a deadline, so a hang fails one test instead of the suite.
mp() {
    timeout -k 5 "$TIMEOUT" "$MPROF" "$@"
}

# expect_rc STATUS COMMAND...: run it with stdout in out.txt, stderr in err.txt.
expect_rc() {
    local want=$1
    shift
    "$@" >out.txt 2>err.txt
    local got=$?
    [ "$got" -eq "$want" ] ||
        fail "'$*' exited $got, expected $want; stderr: $(head -c 400 err.txt | tr '\n' '|')"
}

# expect_error REGEX COMMAND...: non-zero exit, exactly one stderr line matching
# ^mprof: REGEX (extended regex).
expect_error() {
    local pattern=$1
    shift
    "$@" >out.txt 2>err.txt
    local got=$?
    [ "$got" -ne 0 ] || fail "'$*' exited 0, expected an error"
    [ "$got" -ne 124 ] && [ "$got" -le 128 ] ||
        fail "'$*' exited $got (timeout or signal), expected an error"
    local lines
    lines=$(wc -l <err.txt)
    [ "$lines" -eq 1 ] ||
        fail "'$*' wrote $lines stderr lines, expected 1: $(head -c 400 err.txt | tr '\n' '|')"
    grep -Eq "^mprof: $pattern" err.txt ||
        fail "'$*' stderr '$(cat err.txt)' does not match '^mprof: $pattern'"
}

# check FILE EXPRESSION...: assertions on a .dat (see datcheck.py for the names).
check() {
    local out
    out=$("${DATCHECK[@]}" "$@") || fail "$1: $out"
}

# find_dat [DIR]: set DAT to the one mprofile_*.dat in DIR (default: here).
find_dat() {
    local dir=${1:-.}
    local files=("$dir"/mprofile_*.dat)
    [ ${#files[@]} -eq 1 ] && [ -f "${files[0]}" ] ||
        fail "expected one mprofile_*.dat in $dir, found: $(ls "$dir" | tr '\n' ' ')"
    DAT=${files[0]}
}

# write_fixture FILE: a .dat with known peaks (RSS 73.25 MiB, heap 50,000,057 bytes).
write_fixture() {
    {
        echo "CMDLINE python3 fixture.py"
        echo "MPROF version 1"
        echo "MPROF interval 0.1"
        local t=1767225600
        echo "MEM 10.000000 $t.0000"
        echo "HEAP 1.000000 $t.0000 1048576"
        echo "MEM 60.500000 $t.5000"
        echo "HEAP 47.683770 $t.5000 50000057"
        echo "MEM 73.250000 $t.9000"
        echo "HEAP 47.683770 $t.9000 50000057"
        echo "MEM 20.000000 $((t + 2)).0000"
        echo "HEAP 1.000000 $((t + 2)).0000 1048576"
        echo "MPROF heap_peak_bytes 50000057"
        echo "MPROF rss_peak_bytes 76808192"
        echo "MPROF exit_status 0"
    } >"$1"
}

# numbers_before_mib FILE: every number printed just before "MiB", one per line.
numbers_before_mib() {
    grep -Eo '[0-9]+(\.[0-9]+)? ?MiB' "$1" | grep -Eo '^[0-9]+(\.[0-9]+)?'
}

# has_number_near FILE VALUE TOLERANCE: some "<x> MiB" in FILE is within TOLERANCE.
has_number_near() {
    numbers_before_mib "$1" | awk -v want="$2" -v tol="$3" \
        '{ d = $1 - want; if (d < 0) d = -d; if (d <= tol) found = 1 } END { exit !found }'
}

is_png() {
    [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]
}

# ---- the tests -------------------------------------------------------------------------

TESTS=()
register() { TESTS+=("$1"); }

register c_hold
t_c_hold() {
    expect_rc 0 mp run "$PROGRAMS/hold" 64 1 16 1
    find_dat
    check "$DAT" \
        "heap_before(32*MiB) is not None" \
        "near(heap_peak - heap_before(32*MiB), 64*MiB, 0.01)" \
        "near(meta_int('heap_peak_bytes') - heap_before(32*MiB), 64*MiB, 0.01)" \
        "0.3 <= heap_peak_t <= 1.6" \
        "any(near(v - heap_before(32*MiB), 16*MiB, 0.01) for t, v in heap if t > heap_peak_t + 0.5)" \
        "heap_at(heap_peak_t + 1.3) < heap_before(32*MiB) + 20*MiB" \
        "mem_peak >= 64" \
        "meta_int('rss_peak_bytes') >= 64*MiB" \
        "meta_int('exit_status') == 0" \
        "t_end >= 2.2"
}

register py_hold
t_py_hold() {
    # A script given by name runs with the python3 on PATH (here a pyenv bash shim).
    cp "$SOURCES/hold.py" .
    expect_rc 0 mp run hold.py 64 1 16 1
    find_dat
    # bytearray(64 MiB): 67,108,864 payload bytes + 1 NUL + 56 bytes of object header.
    check "$DAT" \
        "'hold.py' in (cmdline or '')" \
        "near(heap_peak - heap_before(32*MiB), 64*MiB + 57, 0.01)" \
        "near(meta_int('heap_peak_bytes') - heap_before(32*MiB), 64*MiB + 57, 0.01)" \
        "0.3 <= heap_peak_t <= 2.0" \
        "any(near(v - heap_before(32*MiB), 16*MiB + 57, 0.01) for t, v in heap if t > heap_peak_t + 0.5)" \
        "mem_peak >= 64"
}

register py_module
t_py_module() {
    cp "$SOURCES/hold.py" holdmod.py
    expect_rc 0 mp run -m holdmod 8 0.6
    find_dat
    check "$DAT" \
        "'holdmod' in (cmdline or '')" \
        "near(heap_peak - heap_before(6*MiB), 8*MiB + 57, 0.01)"
}

python_bytearray() {
    expect_rc 0 mp run "$1" "$SOURCES/bytearray50.py"
    find_dat
    check "$DAT" \
        "heap_peak >= 50000000" \
        "near(heap_peak - heap_before(40000000), 50000057, 0.01)" \
        "heap_at(t_end) < 40000000"
}

register python_path_shim
t_python_path_shim() {
    python_bytearray python3
}

register python_debian
t_python_debian() {
    [ -x /usr/bin/python3 ] || fail "/usr/bin/python3 is not installed"
    python_bytearray /usr/bin/python3
}

register sigkill
t_sigkill() {
    # die kill: 8 MiB held, SIGKILL to itself after 1.2 s; every sample before it is kept.
    expect_rc 137 mp run "$PROGRAMS/die" kill
    find_dat
    check "$DAT" \
        "t_end >= 0.9" \
        "len(mem) >= 2" \
        "near(heap_peak - heap_before(4*MiB), 8*MiB, 0.01)" \
        "meta_int('exit_status') == 137"
}

register abort
t_abort() {
    expect_rc 134 mp run "$PROGRAMS/die" abort
    find_dat
    check "$DAT" "len(mem) >= 2" "meta_int('exit_status') == 134"
}

register exit3
t_exit3() {
    expect_rc 3 mp run "$PROGRAMS/die" exit 3
    find_dat
    check "$DAT" "len(mem) >= 2" "meta_int('exit_status') == 3"
}

register underscore_exit
t_underscore_exit() {
    # _exit skips atexit and stdio: the samples must already be with the CLI.
    expect_rc 5 mp run "$PROGRAMS/die" _exit 5
    find_dat
    check "$DAT" "t_end >= 0.2" "near(heap_peak - heap_before(4*MiB), 8*MiB, 0.01)"
}

register fork_children
t_fork_children() {
    # forker: the child holds 32 MiB for 1 s, the parent 8 MiB meanwhile.
    mkdir plain multi summed
    (cd plain && expect_rc 0 mp run "$PROGRAMS/forker") || exit 1
    find_dat plain
    check "$DAT" \
        "len(chld) == 0" "mem_peak < 30" "near(heap_peak, 8*MiB, 0.01)"
    (cd multi && expect_rc 0 mp run -M "$PROGRAMS/forker") || exit 1
    find_dat multi
    check "$DAT" \
        "len(chld) == 1" \
        "max(v for s in chld.values() for t, v in s) >= 32" \
        "len(chldheap) == 1" \
        "near(max(v for s in chldheap.values() for t, v in s), 32*MiB, 0.01)" \
        "near(heap_peak, 8*MiB, 0.01)"
    (cd summed && expect_rc 0 mp run -C "$PROGRAMS/forker") || exit 1
    find_dat summed
    check "$DAT" "len(chld) == 0" "mem_peak >= 40"
}

register threads4
t_threads4() {
    # 4 threads hold 4 x 4,096,000 bytes at once, churn together, free everything.
    expect_rc 0 mp run "$PROGRAMS/threads4"
    find_dat
    check "$DAT" \
        "heap_at(0.15) == heap[0][1]" \
        "any(near(v - heap_at(0.15), 4*4096000, 0.01) for t, v in heap)" \
        "heap_peak > heap_at(0.15) + 4*4096000" \
        "abs(heap[-1][1] - heap_at(0.15)) <= 16384" \
        "heap[-1][0] >= t_end - 0.2"
}

register static_binary
t_static_binary() {
    gcc -static -O2 -std=c11 -D_GNU_SOURCE "$SOURCES/hold.c" -o hold_static 2>gcc.txt ||
        fail "gcc -static failed: $(head -c 300 gcc.txt)"
    expect_rc 0 mp run -a ./hold_static 16 0.8
    # One warning line, whatever summary lines mprof run prints besides.
    local warnings
    warnings=$(grep -Eic '^mprof: .*static' err.txt)
    [ "$warnings" -eq 1 ] && ! grep -qv '^mprof: ' err.txt ||
        fail "expected one 'mprof: ... static ...' warning on stderr, got: $(tr '\n' '|' <err.txt)"
    find_dat
    check "$DAT" "len(mem) >= 8" "len(heap) == 0" "mem_peak >= 16"
}

register simplify_and_all
t_simplify_and_all() {
    # A flat 1.5 s: every sample with -a (and -T 0.05), few lines without.
    mkdir all simplified
    (cd all && expect_rc 0 mp run -a -T 0.05 "$PROGRAMS/hold" 0 1) || exit 1
    (cd simplified && expect_rc 0 mp run "$PROGRAMS/hold" 0 1) || exit 1
    find_dat all
    check "$DAT" "len(mem) >= 20" "t_end >= 1.3"
    find_dat simplified
    check "$DAT" "2 <= len(mem) <= 10" "t_end >= 1.3"
}

register output_names
t_output_names() {
    expect_rc 0 mp run "$PROGRAMS/hold" 0 0.2
    find_dat
    local dat=${DAT##*/}
    [[ $dat =~ ^mprofile_[0-9]{14}\.dat$ ]] || fail "default name '$dat' is not mprofile_YYYYMMDDhhmmss.dat"
    check "$DAT" "'hold' in (cmdline or '')" "meta_int('heap_peak_bytes') is not None" \
        "meta_int('rss_peak_bytes') > 0" "meta_int('exit_status') == 0"
    expect_rc 0 mp run -o custom.dat "$PROGRAMS/hold" 0 0.2
    [ -s custom.dat ] || fail "-o custom.dat wrote nothing"
    check custom.dat "len(mem) >= 1"
}

register examples
t_examples() {
    local script
    for script in myscript.py myscript2.py; do
        python3 "$ROOT/examples/$script" >/dev/null 2>plain.txt ||
            fail "python3 examples/$script fails without mprof: $(tail -n 2 plain.txt)"
        mkdir "run-$script"
        (cd "run-$script" && expect_rc 0 mp run "$ROOT/examples/$script") || exit 1
    done
    # myscript.py: each level builds [2] * (2 * 10**7), a list of 160,000,056 bytes.
    find_dat run-myscript.py
    check "$DAT" "heap_peak >= 160000000"
    mkdir grow
    (cd grow && expect_rc 0 mp run "$ROOT/examples/grow_release.py" 4 8 0.2) || exit 1
    find_dat grow
    check "$DAT" \
        "near(heap_peak - heap_before(6*MiB), 32*MiB + 4*57, 0.01)" \
        "heap_at(t_end) < heap_before(6*MiB) + 4*MiB"
    mkdir churn
    (cd churn && expect_rc 0 mp run "$EXAMPLES/churn" 2 1000000) || exit 1
    find_dat churn
    check "$DAT" "len(heap) >= 1" "heap[-1][1] < 1*MiB"
}

register debian_reads_ours
t_debian_reads_ours() {
    expect_rc 0 mp run "$PROGRAMS/hold" 24 0.5
    find_dat
    local dat=$DAT
    expect_rc 0 python3-mprof peak "$dat"
    local theirs
    theirs=$(numbers_before_mib out.txt | head -n 1)
    [ -n "$theirs" ] || fail "python3-mprof peak printed no number: $(cat out.txt)"
    check "$dat" "abs(mem_peak - $theirs) <= 0.001"
    expect_rc 0 mp peak "$dat"
    has_number_near out.txt "$theirs" 0.01 ||
        fail "mprof peak '$(tr '\n' '|' <out.txt)' has no RSS peak near python3-mprof's $theirs MiB"
    # Their plot needs matplotlib (only recommended by python3-memory-profiler).
    if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
        expect_rc 0 env MPLBACKEND=Agg python3-mprof plot -o theirs.png "$dat"
        is_png theirs.png || fail "python3-mprof plot of our .dat made no PNG"
    fi
}

register ours_reads_debian
t_ours_reads_debian() {
    expect_rc 0 python3-mprof run -o theirs.dat /usr/bin/python3 "$SOURCES/hold.py" 24 0.5
    expect_rc 0 python3-mprof peak theirs.dat
    local theirs
    theirs=$(numbers_before_mib out.txt | head -n 1)
    [ -n "$theirs" ] || fail "python3-mprof peak printed no number: $(cat out.txt)"
    expect_rc 0 mp peak theirs.dat
    has_number_near out.txt "$theirs" 0.01 ||
        fail "mprof peak '$(tr '\n' '|' <out.txt)' does not match python3-mprof's $theirs MiB"
    expect_rc 0 mp plot -o theirs.png theirs.dat
    is_png theirs.png || fail "mprof plot of their .dat made no PNG"
}

register peak_fixture
t_peak_fixture() {
    write_fixture mprofile_20260101000000.dat
    expect_rc 0 mp peak mprofile_20260101000000.dat
    has_number_near out.txt 73.25 0.005 || fail "RSS peak 73.25 MiB not in '$(tr '\n' '|' <out.txt)'"
    has_number_near out.txt 47.684 0.005 || grep -q 50000057 out.txt ||
        fail "heap peak (50000057 B = 47.684 MiB) not in '$(tr '\n' '|' <out.txt)'"
    # No file named: the newest mprofile_*.dat.
    write_fixture mprofile_20260102000000.dat
    expect_rc 0 mp peak
    grep -q mprofile_20260102000000.dat out.txt || fail "mprof peak did not take the newest file: $(cat out.txt)"
}

register plot_png
t_plot_png() {
    write_fixture mprofile_20260101000000.dat
    expect_rc 0 mp plot
    is_png mprofile_20260101000000.png || fail "mprof plot made no mprofile_20260101000000.png beside the .dat ($(ls))"
    expect_rc 0 mp plot -o chosen.png mprofile_20260101000000.dat
    is_png chosen.png || fail "-o chosen.png is not a PNG"
    cp mprofile_20260101000000.dat second.dat
    expect_rc 0 mp plot -o two.png -t "two runs" mprofile_20260101000000.dat second.dat
    is_png two.png || fail "a plot of two files is not a PNG"
    expect_rc 0 mp plot -o plot.svg mprofile_20260101000000.dat
    grep -q '<svg' plot.svg || fail "-o plot.svg is not SVG"
    expect_rc 0 mp plot -o plot.pdf mprofile_20260101000000.dat
    [ "$(head -c 4 plot.pdf)" = "%PDF" ] || fail "-o plot.pdf is not PDF"
}

register plot_terminal
t_plot_terminal() {
    write_fixture mprofile_20260101000000.dat
    expect_rc 0 mp plot --terminal mprofile_20260101000000.dat
    grep -q 'time (in seconds)' out.txt || fail "--terminal output has no x label: $(head -c 300 out.txt)"
    # (gnuplot's dumb terminal cannot draw the rotated y label, so it is not asked for.)
    grep -Eq '^ *[0-9]+(\.[0-9]+)? [+|-]' out.txt || grep -Eq '[0-9] +\+' out.txt ||
        fail "--terminal output has no numbered axis"
    ls ./*.png >/dev/null 2>&1 && fail "--terminal wrote an image file"
    return 0
}

register plot_hostile
t_plot_hostile() {
    # A .dat comes from anyone: nothing in it may run or redirect gnuplot.
    {
        echo "CMDLINE \`touch pwned-backquote\` \"; system(\"touch pwned-system\"); set output 'hijack.png'; \" '"
        echo "MEM 1.000000 1767225600.0000"
        echo "FUNC evil\`touch\${IFS}pwned-func\`\"';system('touch\${IFS}pwned-func2');\" 1.0 1767225600.1 2.0 1767225600.2"
        echo "MEM 2.000000 1767225601.0000"
    } >mprofile_20260101000000.dat
    expect_rc 0 mp plot -o safe.png mprofile_20260101000000.dat
    is_png safe.png || fail "no PNG for a hostile .dat"
    local leaked
    leaked=$(find . -name '*pwned*' -o -name '*hijack*')
    [ -z "$leaked" ] || fail "the .dat's text reached gnuplot as code: $leaked"
    expect_rc 0 mp plot --terminal mprofile_20260101000000.dat
    leaked=$(find . -name '*pwned*' -o -name '*hijack*')
    [ -z "$leaked" ] || fail "--terminal: the .dat's text reached gnuplot as code: $leaked"
}

register list_rm_clean
t_list_rm_clean() {
    write_fixture mprofile_20260101000000.dat
    write_fixture mprofile_20260102000000.dat
    write_fixture mprofile_20260103000000.dat
    echo keep >keep.txt
    expect_rc 0 mp list
    grep -Eq '^ *0 .*mprofile_20260101000000\.dat' out.txt &&
        grep -Eq '^ *2 .*mprofile_20260103000000\.dat' out.txt ||
        fail "mprof list does not number oldest first from 0: $(tr '\n' '|' <out.txt)"
    expect_rc 0 mp rm 0
    [ ! -e mprofile_20260101000000.dat ] || fail "mprof rm 0 kept the oldest file"
    expect_rc 0 mp rm mprofile_20260103000000.dat
    [ ! -e mprofile_20260103000000.dat ] || fail "mprof rm NAME kept the file"
    [ -e mprofile_20260102000000.dat ] || fail "mprof rm removed the wrong file"
    write_fixture mprofile_20260104000000.dat
    expect_rc 0 mp clean --dry-run
    [ -e mprofile_20260102000000.dat ] && [ -e mprofile_20260104000000.dat ] ||
        fail "clean --dry-run removed files"
    grep -q mprofile_20260102000000.dat out.txt || fail "clean --dry-run did not name the files"
    expect_rc 0 mp clean
    [ ! -e mprofile_20260102000000.dat ] && [ ! -e mprofile_20260104000000.dat ] ||
        fail "clean left mprofile files: $(ls)"
    [ -e keep.txt ] || fail "clean removed a file that is not mprof's"
}

register bad_run_input
t_bad_run_input() {
    expect_error 'nosuch\.py: ' mp run nosuch.py
    expect_error 'nosuch-program-xyz: ' mp run nosuch-program-xyz
    echo 'echo hi' >notexec
    chmod 644 notexec
    expect_error '\./notexec: ' mp run ./notexec
    expect_error '.*--bogus' mp run --bogus "$PROGRAMS/hold" 0 0
    expect_error '.*bogus-command' mp bogus-command
    expect_error '/nonexistent-dir/x\.dat: ' mp run -o /nonexistent-dir/x.dat "$PROGRAMS/hold" 0 0
    local left
    left=$(ls mprofile_*.dat 2>/dev/null || true)
    [ -z "$left" ] || fail "failed runs left files: $left"
}

register bad_dat_input
t_bad_dat_input() {
    : >empty.dat
    expect_error 'empty\.dat: ' mp peak empty.dat
    expect_error 'empty\.dat: ' mp plot -o e.png empty.dat
    printf 'CMDLINE x\nMEM 1.0 1767225600.0\nMEM abc\n' >garbage.dat
    expect_error 'garbage\.dat: .*line 3' mp peak garbage.dat
    expect_error 'garbage\.dat: .*line 3' mp plot -o g.png garbage.dat
    printf 'hello world\nthis is not a profile\n' >notdat.dat
    expect_error 'notdat\.dat: ' mp peak notdat.dat
    expect_error 'nosuch\.dat: ' mp peak nosuch.dat
    expect_error '.*--bogus' mp plot --bogus
    write_fixture good.dat
    expect_error '/nonexistent-dir/x\.png: ' mp plot -o /nonexistent-dir/x.png good.dat
    [ ! -e e.png ] && [ ! -e g.png ] || fail "a failed plot left an image"
}

register bad_no_dat
t_bad_no_dat() {
    expect_error '.*' mp peak
    expect_error '.*' mp plot
    grep -Eqi 'no .*dat|mprofile' err.txt || fail "mprof plot in an empty dir: '$(cat err.txt)' does not say no .dat"
}

register gnuplot_missing
t_gnuplot_missing() {
    write_fixture good.dat
    mkdir emptybin
    expect_error '.*gnuplot.*apt(-get)? install .*gnuplot' env PATH="$PWD/emptybin" "$MPROF" plot -o x.png good.dat
}

register install_relocated
t_install_relocated() {
    # The layout `make install` makes (bin/mprof, lib/mprof/libmprof.so), then moved:
    # mprof finds its library relative to itself. MPROF_LIBRARY overrides that.
    mkdir -p first/bin first/lib/mprof lonely/bin
    install -m 755 "$MPROF" first/bin/mprof
    install -m 755 "$BUILD/lib/mprof/libmprof.so" first/lib/mprof/libmprof.so
    mv first moved
    expect_rc 0 timeout -k 5 "$TIMEOUT" moved/bin/mprof run -o moved.dat "$PROGRAMS/hold" 8 0.4
    check moved.dat "near(heap_peak - heap_before(4*MiB), 8*MiB, 0.01)"
    install -m 755 "$MPROF" lonely/bin/mprof
    expect_rc 0 env MPROF_LIBRARY="$PWD/moved/lib/mprof/libmprof.so" \
        timeout -k 5 "$TIMEOUT" lonely/bin/mprof run -o override.dat "$PROGRAMS/hold" 8 0.4
    check override.dat "near(heap_peak - heap_before(4*MiB), 8*MiB, 0.01)"
}

# ---- the runner ------------------------------------------------------------------------

[ -x "$MPROF" ] || { echo "FAIL setup: $MPROF is not built"; echo "0 passed, 1 failed"; exit 1; }
selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${TESTS[@]}")

passed=0
failed=0
kept=()
for name in "${selected[@]}"; do
    if ! declare -F "t_$name" >/dev/null; then
        echo "FAIL $name: no such test"
        failed=$((failed + 1))
        continue
    fi
    TEST_DIR=$(mktemp -d "$WORK/$name.XXXX")
    (cd "$TEST_DIR" && "t_$name") </dev/null >"$TEST_DIR/.log" 2>&1
    status=$?
    if [ $status -eq 0 ]; then
        echo "ok $name"
        passed=$((passed + 1))
        rm -rf "$TEST_DIR"
    else
        why=$(cat "$TEST_DIR/.why" 2>/dev/null || echo "exited $status: $(tail -n 3 "$TEST_DIR/.log" | tr '\n' '|')")
        echo "FAIL $name: $why"
        failed=$((failed + 1))
        kept+=("$TEST_DIR")
    fi
done
if [ ${#kept[@]} -eq 0 ]; then
    rm -rf "$WORK"
else
    echo "failing tests' files are kept in $WORK" >&2
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
