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

register py_small_objects_released
t_py_small_objects_released() {
    # A million small tuples built and dropped: bare, under tracemalloc (the truth), under
    # mprof (our allocator serves them) and under mprof with PYTHONMALLOC=pymalloc
    # (CPython's pymalloc kept, our hooks count around it). Each report line is
    # RSS_BEFORE RSS_TOP RSS_AFTER BLOCKS TRACED; the program leaves by os._exit, so the
    # last heap sample is the level after the drop.
    local program=$SOURCES/small_release.py
    expect_rc 0 python3 "$program" bare.txt
    expect_rc 0 python3 "$program" --truth truth.txt
    expect_rc 0 mp run -o ours.dat python3 "$program" ours.txt
    PYTHONMALLOC=pymalloc expect_rc 0 mp run -o kept.dat python3 "$program" kept.txt
    local bare truth ours kept
    read -ra bare <bare.txt && read -ra truth <truth.txt && read -ra ours <ours.txt &&
        read -ra kept <kept.txt || fail "a report is missing"
    local traced=${truth[4]} mib=1048576
    [ "$traced" -gt 110000000 ] || fail "tracemalloc saw only $traced bytes"
    # Every object counted at its requested size, as tracemalloc counts them.
    check ours.dat "abs(heap_peak - heap[-1][1] - $traced) <= $traced // 1000"
    check kept.dat "abs(heap_peak - heap[-1][1] - $traced) <= $traced // 1000"
    # The memory behaves as bare: it grows by the objects plus our 1/16 shadow, and all
    # of it goes back to the system when they are dropped (arenas are unmapped).
    local bare_growth=$((bare[1] - bare[0])) ours_growth=$((ours[1] - ours[0]))
    [ "$ours_growth" -le $((bare_growth + bare_growth / 10 + 4 * mib)) ] ||
        fail "RSS grew by $ours_growth bytes under mprof, $bare_growth bare"
    [ "$ours_growth" -ge $((bare_growth - 4 * mib)) ] ||
        fail "RSS grew by only $ours_growth bytes under mprof, $bare_growth bare"
    [ $((ours[2] - ours[0])) -le $((bare[2] - bare[0] + 4 * mib)) ] ||
        fail "RSS kept $((ours[2] - ours[0])) bytes after the drop, $((bare[2] - bare[0])) bare"
    # pymalloc's own block count: untouched by our allocator, CPython's when kept.
    [ "${ours[3]}" -eq 0 ] || fail "sys.getallocatedblocks() is ${ours[3]} under mprof, not 0"
    [ "${kept[3]}" -ge 3000000 ] && [ "${bare[3]}" -ge 3000000 ] ||
        fail "sys.getallocatedblocks(): ${kept[3]} with pymalloc kept, ${bare[3]} bare"
}

register py_tracemalloc_at_start
t_py_tracemalloc_at_start() {
    # tracemalloc started with the interpreter wraps whatever allocator is there when
    # it starts: ours must stay under it, every free must reach it (it ends each round
    # holding nothing), and nothing may recurse (this crashed with --lines once).
    local program=$SOURCES/tracemalloc_rounds.py python mode
    for python in python3 /usr/bin/python3; do
        expect_rc 0 "$python" -X tracemalloc "$program"
        for mode in "" --lines; do
            expect_rc 0 mp run $mode -o tm.dat "$python" -X tracemalloc "$program"
            grep -q '^4 ' out.txt || fail "$python $mode: no fifth round in: $(cat out.txt)"
            check tm.dat "heap_peak > 10*MiB"
            rm -f tm.dat
        done
        PYTHONMALLOC=pymalloc expect_rc 0 mp run -o tm.dat "$python" -X tracemalloc "$program"
        rm -f tm.dat
        PYTHONTRACEMALLOC=1 expect_rc 0 mp run -o tm.dat "$python" "$program"
        rm -f tm.dat
    done
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
    # The baseline before the threads start: flat but for a few hundred bytes the
    # process may allocate (864 B seen); the series is simplified, so heap_at()
    # interpolates across such a step and is not exactly the first sample.
    check "$DAT" \
        "abs(heap_at(0.15) - heap[0][1]) <= 16384" \
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

# ---- @profile tables (issue 4) ---------------------------------------------------------
# Increments are asserted in bytes within the issue's tolerance (close(): +-64 B) against
# truths derived in the programs' headers, or line by line against tracemalloc's count of
# the same program (tests/programs/tmprofile.py: an independent line profiler over the
# PyMem hooks, which see exactly the bytes mprof counts inside Python).

# issue_table PYTHON [ENV...]: the issue's script; .dat rows and the printed table exact.
issue_table() {
    local python=$1
    shift
    expect_rc 0 env "$@" "$MPROF" run --unit B -o issue.dat "$python" ${XOPT:-} "$SOURCES/profile_issue.py"
    # `[0] * 1_000_000` allocates an 8,000,000-byte item array and a 56-byte list object;
    # the object comes from CPython's list free list when it holds one (it normally
    # does: start-up frees lists), so +8,000,000, or +8,000,056 when the free list is
    # empty. bytes(30_000_000) is never touched (RSS barely moves): still +30,000,033.
    check issue.dat \
        "close(inc('build', 'bytearray(50_000_000)'), 50000057)" \
        "8000000 - 64 <= inc('build', '[0] * 1_000_000') <= 8000056 + 64" \
        "close(inc('build', 'del a'), -50000057)" \
        "close(inc('build', 'bytes(30_000_000)'), 30000033)" \
        "close(inc('build', 'return b, c'), 0)" \
        "all(occ('build', n) == 1 for n in (17, 19, 20, 21, 22, 23))" \
        "occ('build', 'def build') == 0" \
        "functions['__main__.build']['calls'] == 1" \
        "functions['__main__.build']['file'].endswith('tests/programs/profile_issue.py')" \
        "close(usage('build', 'bytearray') - inc('build', '@profile'), 50000057)" \
        "close(usage('build', '[0] * 1_000_000') - usage('build', 'del a'), 50000057)" \
        "close(usage('build', '@profile'), inc('build', '@profile'), 0)"
    # The printed table says what the .dat says, in bytes.
    local exact
    exact=$(grep -E '^PROFILE_LINE [0-9]+ [0-9]+ 19 ' issue.dat | cut -d' ' -f6)
    grep -Eq "^ +19 +[0-9]+ B +$exact B +1       a = bytearray\(50_000_000\)\$" out.txt ||
        fail "no bytearray row of $exact B in the printed table: $(grep -E '^ +19 ' out.txt)"
    grep -Eq '^ +18 {41}def build\(\):$' out.txt || fail "the def line is not blank in the table"
}

register profile_issue_exact
t_profile_issue_exact() {
    issue_table python3
    # The default unit: MiB with one decimal, as the issue shows.
    expect_rc 0 mp run -o default.dat "$SOURCES/profile_issue.py"
    grep -Eq '^ +19 +[0-9]+\.[0-9] MiB +47\.7 MiB +1       a = bytearray' out.txt ||
        fail "default table row is not '47.7 MiB': $(grep -E '^ +19 ' out.txt)"
    grep -Eq '^ +21 +[0-9]+\.[0-9] MiB +-47\.7 MiB +1       del a$' out.txt ||
        fail "del a is not '-47.7 MiB': $(grep -E '^ +21 ' out.txt)"
}

register profile_issue_debian
t_profile_issue_debian() {
    issue_table /usr/bin/python3
}

# Under PYTHONMALLOC=malloc every block ends in malloc: still exact. Under the debug
# hooks (PYTHONMALLOC=debug, -X dev) a block that ends in malloc (here the three big
# ones) carries two debug frames of 24 bytes (the OBJ/MEM domain's and the RAW
# domain's under it, both below mprof's PyMem hooks, so counted by the malloc layer):
# measured +48 bytes per big block, which the +-64 tolerance holds. Small pymalloc
# blocks stay exact.
register profile_malloc_modes
t_profile_malloc_modes() {
    local python
    for python in python3 /usr/bin/python3; do
        issue_table "$python" PYTHONMALLOC=malloc
        check issue.dat "inc('build', 'bytearray(50_000_000)') == 50000057" \
            "inc('build', 'bytes(30_000_000)') == 30000033"
        # Under the debug hooks a block can carry their 48 guard bytes; and with some
        # memory layouts (the build directory's path length changes it) the first
        # bytes() call frees a str that CPython made earlier, inside bytes_new (traced
        # to PyUnicode_Type, 48 bytes asked for, under /usr/bin/python3 -X dev). So: within
        # the issue's +-64 B of the truth, with or without the guard bytes.
        issue_table "$python" PYTHONMALLOC=debug
        check issue.dat "min(abs(inc('build', 'bytes(30_000_000)') - t) for t in (30000033, 30000033 + 48)) <= 64"
        XOPT="-X dev" issue_table "$python"
        check issue.dat "min(abs(inc('build', 'bytes(30_000_000)') - t) for t in (30000033, 30000033 + 48)) <= 64"
    done
}

# shapes_against_tracemalloc PYTHON: every line of every decorated function of
# profile_shapes.py against tracemalloc's count of the same run, plus closed forms.
shapes_against_tracemalloc() {
    local python=$1
    expect_rc 0 "$python" "$SOURCES/tmprofile.py" truth.txt "$SOURCES/profile_shapes.py"
    expect_rc 0 mp run --unit B -o shapes.dat "$python" "$SOURCES/profile_shapes.py"
    grep -q '^shapes done 5000000 1500 5$' out.txt || fail "the script's output is missing: $(head -c 300 out.txt)"
    # nested() is a recursion: each inner call's wrapper (mprof's, or the tracer's
    # frame object and trace function) nets a few hundred bytes differently in the
    # calling line, so it is held to closed forms instead: [1] * 100_000 is an
    # 800,000-byte array + a 56-byte list object (free list: see issue_table), 6 times.
    check shapes.dat \
        "agrees('truth.txt', skip=('nested',))" \
        "6 * 800000 - 64 <= inc('nested', '[1] * 100_000') <= 6 * 800056 + 64" \
        "occ('nested', '[1] * 100_000') == 6 and occ('nested', 'nested(depth - 1)') == 5" \
        "functions['__main__.nested']['calls'] == 6" \
        "abs(inc('nested', 'nested(depth - 1)')) < 6 * 1024" \
        "close(inc('chunks', 'bytearray(size)'), 5 * 1000057)" \
        "occ('chunks', 'for index') == 6 and occ('chunks', 'yield block') == 5" \
        "functions['__main__.chunks']['calls'] == 6" \
        "close(inc('strings', \"'x' * 1_000_000\"), 1000049)" \
        "close(inc('strings', 'del big'), -1000049)" \
        "functions['__main__.Store.fill']['calls'] == 2" \
        "occ('Store.fill', 'for i in range(count)') == 1000 + 1 + 500 + 1" \
        "occ('branches', 'while n > 0') == 11 and occ('branches', 'continue') == 5" \
        "occ('Store.fill', 'raise ValueError') == 0"
}

register profile_shapes_truth
t_profile_shapes_truth() {
    shapes_against_tracemalloc python3
}

register profile_shapes_debian
t_profile_shapes_debian() {
    shapes_against_tracemalloc /usr/bin/python3
}

register profile_loops_blank_lines
t_profile_loops_blank_lines() {
    expect_rc 0 mp run -o shapes.dat "$SOURCES/profile_shapes.py"
    # A loop header runs iterations + 1 times (the last test that ends it); lines that
    # never ran (a def line, an untaken branch, `else:`) have blank cells, as in
    # memory_profiler: the line number, 41 spaces, the source.
    check shapes.dat \
        "occ('lists', 'for i in range(10_000):') == 10001" \
        "occ('lists', 'items.append') == 10000" \
        "occ('strings', 'for i in range(2_000):') == 2001" \
        "occ('branches', 'while n > 0') == 11" \
        "occ('branches', 'n -= 1') == 10 and occ('branches', 'if n % 2') == 10" \
        "occ('branches', 'continue') == 5 and occ('branches', 'total += n') == 5" \
        "occ('branches', 'total += 1') == 1" \
        "occ('branches', 'total = [0] * 1000') == 0 and occ('branches', 'total = None') == 0"
    local line
    for line in '    83 {41}def branches\(n\):' '    90 {41}    else:' \
        '    93 {41}        total = \[0\] \* 1000' '    94 {41}        total = None' \
        '    70 {41}            raise ValueError\(.never.\)'; do
        grep -Eq "^$line\$" out.txt || fail "no blank row matching '$line' in the table"
    done
    grep -Eq '^ +85 +[0-9.]+ MiB +-?[0-9.]+ MiB +11       while n > 0:$' out.txt ||
        fail "while header row: $(grep -E '^ +85 ' out.txt)"
}

register profile_threads
t_profile_threads() {
    expect_rc 0 mp run --unit B -o threads.dat "$SOURCES/profile_threads.py"
    # A's wait line runs while B's 20 MB arrive, B's sleep line while A's 10 MB do: a
    # row that saw the other thread's bytes would be off by megabytes, so "near 0" is
    # a few KiB (the barrier's own locks and deques). Mem usage is the whole process's.
    check threads.dat \
        "close(inc('work_a', 'bytearray(10_000_000)'), 10000057)" \
        "close(inc('work_b', 'bytearray(20_000_000)'), 20000057)" \
        "close(inc('work_a', 'del a'), -10000057)" \
        "close(inc('work_b', 'del b'), -20000057)" \
        "abs(inc('work_a', 'both_hold.wait()')) < 4096" \
        "abs(inc('work_b', 'time.sleep(0.2)')) < 4096" \
        "abs(inc('work_b', 'both_hold.wait()')) < 4096" \
        "abs(inc('work_a', 'both_done.wait()')) < 4096" \
        "usage('work_a', 'both_hold.wait()') >= usage('work_a', '@profile') + 30000000 - 4096" \
        "usage('work_b', 'time.sleep') >= usage('work_b', '@profile') + 10000000 - 4096"
}

register profile_raises
t_profile_raises() {
    expect_rc 1 mp run --unit B -o raises.dat "$SOURCES/profile_raises.py"
    grep -q '^RuntimeError: boom$' err.txt || fail "no traceback on stderr: $(tail -n 3 err.txt | tr '\n' '|')"
    grep -Eq '^ +16 +[0-9]+ B +1000057 B +1       kept = bytearray\(1_000_000\)$' out.txt ||
        fail "the table of the lines that ran was not printed: $(head -c 600 out.txt | tr '\n' '|')"
    grep -Eq '^    19 {41}    never = bytearray\(5\)$' out.txt || fail "the line after the raise is not blank"
    check raises.dat \
        "close(inc('fail', 'bytearray(1_000_000)'), 1000057)" \
        "800000 - 64 <= inc('fail', '[0] * 100_000') <= 800056 + 64" \
        "occ('fail', 'raise RuntimeError') == 1" \
        "occ('fail', 'never = ') == 0 and occ('fail', 'return kept') == 0" \
        "meta_int('exit_status') == 1"
}

register profile_os_exit
t_profile_os_exit() {
    # os._exit skips atexit: the tables must still reach mprof (exit status 4).
    cat >exits.py <<'PY'
import os


@profile
def leave():
    kept = bytearray(1000)
    os._exit(4)


leave()
PY
    expect_rc 4 mp run --unit B -o exits.dat exits.py
    check exits.dat "close(inc('leave', 'bytearray(1000)'), 1057)" "occ('leave', 'os._exit') == 1"
    grep -Eq '^ +6 +[0-9]+ B +1057 B +1       kept = bytearray\(1000\)$' out.txt ||
        fail "no table printed for a program that left through os._exit: $(head -c 300 out.txt | tr '\n' '|')"
}

register profile_memory_profiler_import
t_profile_memory_profiler_import() {
    # Debian's /usr/bin/python3 has the original memory_profiler installed (the pyenv
    # python3 has not): under mprof run both get mprof's, which has no __file__.
    local python script size
    for python in python3 /usr/bin/python3; do
        for script in profile_mp_from:2000057 profile_mp_module:3000057; do
            size=${script#*:}
            script=${script%:*}
            expect_rc 0 mp run --unit B -o mp.dat "$python" "$SOURCES/$script.py"
            grep -q '^memory_profiler file: None$' out.txt ||
                fail "$python $script.py imported another memory_profiler: $(grep 'file:' out.txt)"
            grep -Eq "^ +[0-9]+ +[0-9]+ B +$size B +1       block = bytearray" out.txt ||
                fail "$python $script.py: no exact row in mprof's table: $(head -c 500 out.txt | tr '\n' '|')"
            check mp.dat "close(inc('grab', 'bytearray'), $size)"
        done
    done
}

register profile_memory_profiler_names
t_profile_memory_profiler_names() {
    # Names other than profile come from the original package: Debian's /usr/bin/python3
    # has it; the pyenv python3 has not, and the script's `from memory_profiler import
    # memory_usage` fails as it would without memory_profiler (an ImportError; a plain
    # attribute access gets an AttributeError that says why).
    expect_rc 0 mp run --unit B -o names.dat /usr/bin/python3 "$SOURCES/profile_mp_usage.py"
    grep -q '^memory_usage gave MiB: True$' out.txt ||
        fail "memory_usage from the original package did not run: $(tail -c 300 out.txt | tr '\n' '|') $(tail -c 300 err.txt | tr '\n' '|')"
    grep -Eq "^ +[0-9]+ +[0-9]+ B +4000057 B +1       block = bytearray" out.txt ||
        fail "no exact row in mprof's table: $(head -c 500 out.txt | tr '\n' '|')"
    expect_rc 1 mp run --unit B -o names.dat python3 "$SOURCES/profile_mp_usage.py"
    grep -q "^ImportError: cannot import name 'memory_usage' from 'memory_profiler'" err.txt ||
        fail "no ImportError without the original package: $(tail -c 300 err.txt | tr '\n' '|')"
    check names.dat "close(inc('grab', 'bytearray'), 4000057)"
}

register profile_fork_tables
t_profile_fork_tables() {
    expect_rc 0 mp run -M --unit B -o fork.dat python3 "$SOURCES/profile_fork_tables.py"
    # PROFILE_FUNC <pid> <id> <first> <last> <calls> <name> <file>: per pid, which
    # functions have a table and how many calls.
    local main child
    main=$(awk '$1 == "PROFILE_FUNC" { print $2; exit }' fork.dat)
    child=$(awk -v main="$main" '$1 == "PROFILE_FUNC" && $2 != main { print $2; exit }' fork.dat)
    [ -n "$child" ] || fail "no table from the child: $(grep PROFILE_FUNC fork.dat | tr '\n' '|')"
    local tables
    tables=$(awk -v main="$main" '$1 == "PROFILE_FUNC" { print ($2 == main ? "main" : "child"), $7, $6 }' fork.dat | sort | tr '\n' '|')
    [ "$tables" = "child __main__.child_work 1|child __main__.split 1|main __main__.child_work 0|main __main__.split 1|main __main__.work 1|" ] ||
        fail "tables per process: $tables"
    # The child's child_work row is exact, and its work() row absent: nothing of the
    # parent's 1,000,057 bytes is reported twice.
    grep -Eq "^PROFILE_LINE $child [0-9]+ [0-9]+ 1 2000057 " fork.dat ||
        fail "no exact child_work row for the child: $(grep "^PROFILE_LINE $child" fork.dat | tr '\n' '|')"
    [ "$(grep -Ec "^PROFILE_LINE $child [0-9]+ [0-9]+ 1 1000057 " fork.dat)" = 0 ] ||
        fail "the child reports the parent's work() row"
    grep -Eq "^PROFILE_LINE $main [0-9]+ [0-9]+ 1 1000057 " fork.dat ||
        fail "no exact work row for the parent"
}

register profile_several_files
t_profile_several_files() {
    expect_rc 0 mp run --unit B -o several.dat "$SOURCES/profile_several.py"
    # Tables in the order of first call: second, helper_grow (another file), first.
    local order
    order=$(grep -Eo 'def (first|second|helper_grow)' out.txt | tr '\n' ' ')
    [ "$order" = "def second def helper_grow def first " ] || fail "tables in the order '$order'"
    grep -q "^Filename: $SOURCES/profile_helper.py\$" out.txt || fail "no table under profile_helper.py"
    [ "$(grep -c "^Filename: $SOURCES/profile_several.py\$" out.txt)" -eq 2 ] ||
        fail "expected two tables under profile_several.py"
    check several.dat \
        "close(inc('second', 'bytearray(200_000)'), 200057)" \
        "close(inc('first', 'bytearray(100_000)'), 100057)" \
        "100 * 1057 <= inc('helper_grow', 'bytearray(1000)') <= 100 * 1057 + 1024" \
        "functions['profile_helper.helper_grow']['file'].endswith('profile_helper.py')"
}

register profile_article_recursion
t_profile_article_recursion() {
    # examples/myscript.py: my_func(10) recurses 11 levels; each keeps [1] * 10**6
    # (8,000,000 item bytes + a 56-byte list object) and builds then deletes
    # [2] * (2 * 10**7) (160,000,000 + 56). The list free list decides where the 56s
    # land: `del b` gives the object to the free list (not to the allocator: the
    # items array alone is freed), and the next list made takes it from there. So per
    # level: a = 8,000,000..8,000,056, b = 160,000,000..160,000,056, del b = -160,000,000
    # (-56 more only when the free list is full).
    expect_rc 0 mp run --unit B -o article.dat "$ROOT/examples/myscript.py"
    check article.dat \
        "11 * 8000000 - 64 <= inc('my_func', 'a = [1]') <= 11 * 8000056 + 64" \
        "11 * 160000000 - 64 <= inc('my_func', 'b = [2]') <= 11 * 160000056 + 64" \
        "-11 * 160000056 - 64 <= inc('my_func', 'del b') <= -11 * 160000000 + 64" \
        "occ('my_func', 'a = [1]') == 11 and occ('my_func', 'my_func(i - 1)') == 10" \
        "functions['__main__.my_func']['calls'] == 11" \
        "abs(inc('my_func', 'my_func(i - 1)')) < 10 * 1024"
}

register profile_safety
t_profile_safety() {
    # Threads, multiprocessing (fork, spawn), os.fork, subprocess, a signal handler, C
    # extensions: the same output and exit status (3) with and without mprof.
    local python
    for python in python3 /usr/bin/python3; do
        expect_rc 3 "$python" "$SOURCES/profile_safety.py"
        mv out.txt bare.txt
        expect_rc 3 mp run --no-report -o safety.dat "$python" "$SOURCES/profile_safety.py"
        cmp -s bare.txt out.txt ||
            fail "$python: output differs under mprof: $(diff bare.txt out.txt | head -c 600 | tr '\n' '|')"
        [ "$(wc -l <out.txt)" -eq 6 ] || fail "$python: expected 6 lines of output, got $(wc -l <out.txt)"
        check safety.dat "occ('extensions', 'json.dumps') == 1" "meta_int('exit_status') == 3"
    done
}

register profile_report
t_profile_report() {
    expect_rc 0 mp run -o issue.dat "$SOURCES/profile_issue.py"
    cp out.txt run-table.txt
    grep -q '^Filename: ' run-table.txt || fail "mprof run printed no table"
    expect_rc 0 mp report issue.dat
    cmp -s run-table.txt out.txt || fail "mprof report differs from mprof run's table: $(diff run-table.txt out.txt | head -c 400 | tr '\n' '|')"
    mv issue.dat mprofile_20260101000000.dat
    expect_rc 0 mp report
    cmp -s run-table.txt out.txt || fail "mprof report (newest .dat) differs from mprof run's table"
    expect_rc 0 mp report --unit B mprofile_20260101000000.dat
    grep -Eq '^ +19 +[0-9]+ B +50000057 B +1       a = bytearray' out.txt || fail "--unit B: $(grep -E '^ +19 ' out.txt)"
    grep -Eq '^ +22 +[0-9]+ B +30000033 B +1       c = bytes' out.txt || fail "--unit B: $(grep -E '^ +22 ' out.txt)"
    expect_rc 0 mp report --unit KiB --precision 3 mprofile_20260101000000.dat
    grep -Eq '^ +19 +[0-9]+\.[0-9]{3} KiB +48828\.181 KiB +1 ' out.txt || fail "--unit KiB --precision 3: $(grep -E '^ +19 ' out.txt)"
    expect_rc 0 mp report --precision 3 mprofile_20260101000000.dat
    grep -Eq '^ +21 +[0-9]+\.[0-9]{3} MiB +-47\.684 MiB +1 ' out.txt || fail "--precision 3: $(grep -E '^ +21 ' out.txt)"
    # --no-report: nothing printed, the tables still in the .dat.
    expect_rc 0 mp run --no-report -o quiet.dat "$SOURCES/profile_issue.py"
    [ ! -s out.txt ] || fail "--no-report printed: $(head -c 200 out.txt)"
    expect_rc 0 mp report quiet.dat
    grep -q 'a = bytearray(50_000_000)' out.txt || fail "mprof report of a --no-report run printed no table"
}

register profile_report_top
t_profile_report_top() {
    # Whole-program sites (mprof run --lines): at the peak, held 0.5 s, line 17 of
    # profile_top.py holds the bytearray (50,000,057 bytes, 2 blocks) and line 17 the
    # strings (10,000 x 1,049 B in 10,000 blocks, plus the list's own blocks; the
    # function named there is the list comprehension's).
    expect_rc 0 mp run --lines -o top.dat "$SOURCES/profile_top.py"
    check top.dat "len(top) >= 2" \
        "top[0][0] == 1 and close(top[0][1], 50000057) and top[0][2] == 2 and top[0][4] == 16" \
        "top[0][5] == 'build_strings' and top[0][6].endswith('profile_top.py')" \
        "top[1][4] == 17 and 10000 * 1049 <= top[1][1] <= 10000 * 1049 + 90000" \
        "10000 <= top[1][2] <= 10002"
    expect_rc 0 mp report --top 3 --unit B top.dat
    grep -Eq '50000057 B .*profile_top\.py:16 \(build_strings\)' out.txt ||
        fail "--top 3: no first row for profile_top.py:16: $(head -c 400 out.txt | tr '\n' '|')"
    [ "$(grep -Ec ':[0-9]+ \(' out.txt)" -eq 3 ] || fail "--top 3 printed $(grep -Ec ':[0-9]+ \(' out.txt) rows"
}

register profile_table_layout
t_profile_table_layout() {
    # A real run's table against Debian's memory_profiler (python3 -m memory_profiler)
    # on the same script: the same header and rule, byte for byte, the same rows, and
    # every row's columns at memory_profiler's positions ('{:>6} {:>12} {:>12}  {:>10}
    # {:<}': number 0-5, Mem usage 7-18, Increment 20-31, Occurrences 34-43, the source
    # from 47). Their numbers are RSS and differ: only the positions are compared.
    expect_rc 0 mp run -o layout.dat "$SOURCES/profile_issue.py"
    mv out.txt ours.txt
    expect_rc 0 /usr/bin/python3 -m memory_profiler "$SOURCES/profile_issue.py"
    mv out.txt theirs.txt
    /usr/bin/python3 - ours.txt theirs.txt >layout.txt 2>&1 <<'PY' || fail "$(head -c 600 layout.txt | tr '\n' '|')"
import re, sys
ours, theirs = (open(path).read().split('\n') for path in sys.argv[1:3])
def table(lines):
    start = next(i for i, line in enumerate(lines) if line.startswith('Filename: '))
    return lines[start:]
ours, theirs = table(ours), table(theirs)
header = 'Line #    Mem usage    Increment  Occurrences   Line Contents'
problems = []
for name, lines in (('ours', ours), ('theirs', theirs)):
    if lines[1] != '' or lines[2] != header or lines[3] != '=' * len(header):
        problems.append('%s header: %r' % (name, lines[1:4]))
if ours[0] != theirs[0]:
    problems.append('Filename lines differ: %r %r' % (ours[0], theirs[0]))
row = re.compile(r'^[ 0-9]{5}[0-9] [ 0-9.-]{7}[0-9] MiB [ 0-9.-]{7}[0-9] MiB  [ 0-9]{9}[0-9]   (.*)$')
blank = re.compile(r'^[ 0-9]{5}[0-9] {41}(.*)$')
ours_rows = [line for line in ours[4:] if line]
theirs_rows = [line for line in theirs[4:] if line]
if len(ours_rows) != len(theirs_rows):
    problems.append('%d rows, theirs %d' % (len(ours_rows), len(theirs_rows)))
for mine, other in zip(ours_rows, theirs_rows):
    if mine[:6] != other[:6] or mine[47:] != other[47:]:
        problems.append('row %r vs %r' % (mine, other))
    for who, line in (('ours', mine), ('theirs', other)):
        if not (row.match(line) or blank.match(line)):
            problems.append('%s: row %r is not in the layout' % (who, line))
# Two blank lines after a table, as memory_profiler prints them.
if ours[-3:] != ['', '', '']:
    problems.append('ours does not end with two blank lines: %r' % ours[-4:])
if problems:
    print('\n'.join(problems))
    sys.exit(1)
PY
}

# ---- the interval contract and the peaks ------------------------------------------------

# -T at the floor: the CLI's MEM ticks and the library's HEAP ticks come from one
# interval, so with -a their counts agree. 1.5 s at 1 ms is ~1,500 of each (1,453 to
# 1,514 measured, with two busy loops beside it: the CLI skips ticks it is late for);
# a library that fell back to another interval (100 ms gives ~15, 2 ms half as many)
# cannot come within the 20% asserted, nor reach the 500 each must have.
register interval_floor_agrees
t_interval_floor_agrees() {
    expect_rc 0 mp run -a -T 0.001 -o floor.dat "$PROGRAMS/hold" 8 1
    check floor.dat "meta['interval'] == '0.001'" "meta_int('library_interval_ns') is None" \
        "len(mem) >= 500" "len(heap) >= 500" \
        "abs(len(mem) - len(heap)) <= 0.20 * max(len(mem), len(heap))"
    grep -q 'library samples every' err.txt && fail "interval mismatch said: $(cat err.txt)"
    expect_rc 0 mp run -a -T 1e-2 -o centi.dat "$PROGRAMS/hold" 0 1
    check centi.dat "meta['interval'] == '0.01'" "60 <= len(mem) <= 200" "60 <= len(heap) <= 200"
}

# Below the floor, zero, too fine or not a number: one line naming the value, no file.
register interval_refused
t_interval_refused() {
    local value
    for value in 0.0005 1e-9 0 abc -1 1e-05; do
        expect_error "-T $value: " mp run -T "$value" "$PROGRAMS/hold" 0 0
    done
    expect_error '-T 0\.0005: below the 0\.001 s floor' mp run -T 0.0005 "$PROGRAMS/hold" 0 0
    expect_error '-T abc: not a number of seconds' mp run --interval abc "$PROGRAMS/hold" 0 0
    local left
    left=$(ls mprofile_*.dat 2>/dev/null || true)
    [ -z "$left" ] || fail "refused runs left files: $left"
}

# One run, one answer: mprof run's closing line, mprof peak, the plot's marker and the
# .dat's MPROF lines give the same peak RSS and peak heap, and it is the true one: never
# below the highest sample nor below the process's own high-water mark.
register peaks_agree
t_peaks_agree() {
    expect_rc 0 mp run --no-report -o run.dat "$ROOT/examples/myscript.py"
    cp err.txt run-err.txt
    check run.dat "meta_int('rss_peak_bytes') >= meta_int('rss_hwm_bytes')" \
        "meta_int('rss_peak_bytes') >= int(mem_peak * MiB) - 2" \
        "meta_int('heap_peak_bytes') >= heap_peak" "heap_peak > 0"
    expect_rc 0 mp peak run.dat
    cp out.txt peak-out.txt
    # The plot's script, as gnuplot reads it, on the way to the real gnuplot.
    mkdir fakebin
    printf '#!/bin/sh\ntee "%s/script.gp" | exec %s "$@"\n' "$PWD" "$(command -v gnuplot)" \
        >fakebin/gnuplot
    chmod +x fakebin/gnuplot
    expect_rc 0 env PATH="$PWD/fakebin:$PATH" "$MPROF" plot -o run.png run.dat
    is_png run.png || fail "no PNG through the script's tee"
    /usr/bin/python3 - run.dat run-err.txt peak-out.txt script.gp <<'PY' || fail "$(cat why.txt)"
import re, sys
dat, run_err, peak_out, script = (open(p).read() for p in sys.argv[1:])
meta = dict(l.split()[1:3] for l in dat.splitlines() if l.startswith("MPROF "))
rss = int(meta["rss_peak_bytes"]) / 1048576
heap = int(meta["heap_peak_bytes"]) / 1048576
problems = []
m = re.search(r"peak RSS ([0-9.]+) MiB, peak heap ([0-9.]+) MiB", run_err)
if not m or abs(float(m.group(1)) - rss) > 0.051 or abs(float(m.group(2)) - heap) > 0.051:
    problems.append("mprof run said %r, the .dat %.3f / %.3f MiB" % (m and m.group(0), rss, heap))
m = re.search(r"\t([0-9.]+) MiB at [0-9.]+ s\theap ([0-9.]+) MiB", peak_out)
if not m or abs(float(m.group(1)) - rss) > 0.0006 or abs(float(m.group(2)) - heap) > 0.0006:
    problems.append("mprof peak said %r, the .dat %.3f / %.3f MiB" % (peak_out, rss, heap))
m = re.search(r"set label 1 'peak ([0-9.]+) MiB'", script)
arrow = re.search(r"set arrow 2 from graph 0, first ([0-9.]+) ", script)
if not m or not arrow or abs(float(m.group(1)) - rss) > 0.0006 or abs(float(arrow.group(1)) - rss) > 1e-5:
    problems.append("the plot marks %r / %r, the .dat %.6f MiB" % (m and m.group(0), arrow and arrow.group(0), rss))
open("why.txt", "w").write("; ".join(problems))
sys.exit(1 if problems else 0)
PY
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
