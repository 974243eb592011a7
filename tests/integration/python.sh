#!/usr/bin/env bash
# tests/integration/python.sh BUILD_DIR [TEST...] — CPython under `mprof run`: scripts
# by name, -m, the pyenv shim and Debian's /usr/bin/python3 (mprof/target.c finding the
# interpreter), the preload library's PyMem hooks and small-object allocator
# (preload/python/: exact sizes, memory given back, pymalloc kept, every small object
# counted in each allocator mode), and tracemalloc started before or beside them. The
# interpreter under test is MPROF_TEST_PYTHON's (lib.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

register py_hold
t_py_hold() {
    # A script given by name runs with the python3 on PATH (here a pyenv bash shim);
    # another interpreter under test is named.
    local python=()
    is_default_python || python=("$TEST_PYTHON")
    cp "$SOURCES/hold.py" .
    expect_rc 0 mp run ${python[@]+"${python[@]}"} hold.py 64 1 16 1
    find_dat
    # bytearray(64 MiB): 67,108,864 payload bytes and BYTEARRAY_EXTRA (lib.sh: 1 NUL + 56
    # bytes of object header up to 3.14).
    check "$DAT" \
        "'hold.py' in (cmdline or '')" \
        "near(heap_peak - heap_before(32*MiB), 64*MiB + $BYTEARRAY_EXTRA, 0.01)" \
        "near(meta_int('heap_peak_bytes') - heap_before(32*MiB), 64*MiB + $BYTEARRAY_EXTRA, 0.01)" \
        "0.3 <= heap_peak_t <= 2.0" \
        "any(near(v - heap_before(32*MiB), 16*MiB + $BYTEARRAY_EXTRA, 0.01) for t, v in heap if t > heap_peak_t + 0.5)" \
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
    expect_rc 0 "$TEST_PYTHON" "$program" bare.txt
    expect_rc 0 "$TEST_PYTHON" "$program" --truth truth.txt
    expect_rc 0 mp run -o ours.dat "$TEST_PYTHON" "$program" ours.txt
    PYTHONMALLOC=pymalloc expect_rc 0 mp run -o kept.dat "$TEST_PYTHON" "$program" kept.txt
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

# Every small object counted, in each allocator mode: the peak heap of a million (int,
# float) tuples (small_peak.py: ~120 MB in 3 million small blocks) within 1% of
# tracemalloc's peak on the same script in the same mode, traced from the interpreter's
# start (PYTHONTRACEMALLOC=1). What tracemalloc cannot see (the interpreter's start-up
# before tracing begins, C's own mallocs: 0.9 MB on 3.11, 1.4 MB on 3.12, over 1% of
# 120 MB) is taken out on both sides: the same script with no objects gives each side's
# start-up peak. A library that missed the small objects would be ~110 MB short.
small_peak_in_mode() {
    local label=$1 option=$2 count truth=()
    shift 2
    for count in 0 1000000; do
        env "$@" PYTHONTRACEMALLOC=1 "$TEST_PYTHON" $option "$SOURCES/small_peak.py" truth.txt $count ||
            fail "$label: the run under tracemalloc failed"
        truth+=("$(cat truth.txt)")
        expect_rc 0 env "$@" "$MPROF" run --no-report -o "ours$count.dat" \
            "$TEST_PYTHON" $option "$SOURCES/small_peak.py" ours.txt $count
    done
    local start_up objects=$((truth[1] - truth[0]))
    [ "$objects" -gt 110000000 ] || fail "$label: tracemalloc saw only $objects bytes of objects"
    start_up=$(awk '$1 == "MPROF" && $2 == "heap_peak_bytes" { print $3 }' ours0.dat)
    [ -n "$start_up" ] || fail "$label: no heap peak in the run without objects"
    check ours1000000.dat \
        "abs(meta_int('heap_peak_bytes') - $start_up - $objects) <= $objects // 100"
}

register py_small_objects_peak
t_py_small_objects_peak() {
    small_peak_in_mode "our allocator" ""
    small_peak_in_mode "PYTHONMALLOC=malloc" "" PYTHONMALLOC=malloc
    small_peak_in_mode "PYTHONMALLOC=pymalloc" "" PYTHONMALLOC=pymalloc
    small_peak_in_mode "-X dev" "-X dev"
    # Under -X tracemalloc, tracemalloc keeps seeing what it sees bare (mprof's heap is
    # more: it counts tracemalloc's own tables as well).
    PYTHONTRACEMALLOC=1 expect_rc 0 "$TEST_PYTHON" "$SOURCES/small_peak.py" bare.txt
    expect_rc 0 mp run --no-report -o traced.dat "$TEST_PYTHON" -X tracemalloc "$SOURCES/small_peak.py" traced.txt
    local bare traced
    bare=$(cat bare.txt) traced=$(cat traced.txt)
    [ "$bare" -gt 110000000 ] || fail "tracemalloc saw only $bare bytes bare"
    check traced.dat "abs($traced - $bare) <= $bare // 100" "meta_int('heap_peak_bytes') >= $traced"
}

register py_tracemalloc_at_start
t_py_tracemalloc_at_start() {
    # tracemalloc started with the interpreter wraps whatever allocator is there when
    # it starts: ours must stay under it, every free must reach it (it ends each round
    # holding nothing), and nothing may recurse (this crashed with --lines once).
    local program=$SOURCES/tracemalloc_rounds.py python mode
    for python in "${TEST_PYTHONS[@]}"; do
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
    # -m runs the python3 on PATH, as a script by name does (py_hold).
    local python=()
    is_default_python || python=("$TEST_PYTHON")
    cp "$SOURCES/hold.py" holdmod.py
    expect_rc 0 mp run ${python[@]+"${python[@]}"} -m holdmod 8 0.6
    find_dat
    check "$DAT" \
        "'holdmod' in (cmdline or '')" \
        "near(heap_peak - heap_before(6*MiB), 8*MiB + $BYTEARRAY_EXTRA, 0.01)"
}

python_bytearray() {
    expect_rc 0 mp run "$1" "$SOURCES/bytearray50.py"
    find_dat
    check "$DAT" \
        "heap_peak >= 50000000" \
        "near(heap_peak - heap_before(40000000), 50000000 + $BYTEARRAY_EXTRA, 0.01)" \
        "heap_at(t_end) < 40000000"
}

register_default python_path_shim
t_python_path_shim() {
    python_bytearray python3
}

register_default python_debian
t_python_debian() {
    [ -x /usr/bin/python3 ] || fail "/usr/bin/python3 is not installed"
    python_bytearray /usr/bin/python3
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
