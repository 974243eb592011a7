#!/usr/bin/env bash
# tests/integration/versions.sh BUILD_DIR [TEST...] — what an interpreter gets that mprof
# has no @profile plugin for (preload/python/attach.c, fallback.c, plugin_load.c): the
# script runs as it does bare (`profile` exists and leaves functions undecorated), one
# notice says what is recorded and why, and `report --top` quotes why --lines has nothing.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# old_pythons: pyenv's 3.8 and 3.9 interpreters, where they are (pymalloc's layout
# before 3.10 differs: no small objects, no plugin).
old_pythons() {
    local python
    for python in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.[89].*/bin/python3.[89]; do
        [ -x "$python" ] && printf '%s\n' "$python"
    done
}

# runs_as_bare PYTHON NOTICE_REGEX: profiled_plain.py under mprof prints and exits as it
# does bare with a `profile` that leaves functions undecorated, and mprof's stderr is
# exactly the one notice (and where the file went).
runs_as_bare() {
    local python=$1 notice=$2
    expect_rc 3 mp run -o plain.dat "$python" "$SOURCES/profiled_plain.py"
    [ "$(cat out.txt)" = "1000 45 3" ] || fail "$python: output '$(cat out.txt)'"
    grep -v '^mprof: wrote ' err.txt >notices.txt
    [ "$(wc -l <notices.txt)" -eq 1 ] || fail "$python: notices: $(tr '\n' '|' <notices.txt)"
    grep -Eq "^mprof: Python 3\.[0-9]+\.[0-9]+[a-z0-9]*: $notice" notices.txt ||
        fail "$python: notice '$(cat notices.txt)' does not match '$notice'"
    grep -q "^MPROF notice Python 3" plain.dat || fail "$python: the notice is not in the .dat"
    check plain.dat "heap_peak > 0" "meta_int('exit_status') == 3"
}

register_default version_old_runs_as_bare
t_version_old_runs_as_bare() {
    local python found=0
    while read -r python; do
        found=1
        runs_as_bare "$python" \
            "heap counts malloc only \(mprof knows pymalloc's layout on 3\.10-3\.15\) and @profile runs functions unprofiled$"
    done < <(old_pythons)
    [ "$found" -eq 1 ] || skip_test "no pyenv 3.8 or 3.9 here"
}

register_default version_old_lines_said
t_version_old_lines_said() {
    local python found=0
    while read -r python; do
        found=1
        expect_rc 3 mp run --lines -o lines.dat "$python" "$SOURCES/profiled_plain.py"
        grep -q "^mprof: --lines: no line attribution on Python 3\.[89]\.[0-9]* in this build; no lines are recorded$" err.txt ||
            fail "$python: no --lines notice in: $(tr '\n' '|' <err.txt)"
        expect_error "lines\.dat: no whole-program line data: no line attribution on Python 3\.[89]\.[0-9]+ in this build; no lines are recorded$" \
            mp report --top 5 lines.dat
        rm -f lines.dat
    done < <(old_pythons)
    [ "$found" -eq 1 ] || skip_test "no pyenv 3.8 or 3.9 here"
}

register version_plugin_missing
t_version_plugin_missing() {
    # A build made without the interpreter's python3.X-config: the library alone, beside
    # no plugin.
    local python=$TEST_PYTHON minor
    minor=$("$python" -c 'import sys; print(sys.version_info[1])') || fail "$python does not run"
    mkdir lib
    cp "$BUILD/lib/mprof/libmprof.so" lib/
    MPROF_LIBRARY=$PWD/lib/libmprof.so runs_as_bare "$python" \
        "this mprof was built without its @profile plugin \(no python3\.$minor-config when it was built\): @profile runs functions unprofiled, no --lines; the heap is counted whole$"
    # The heap is still counted whole: a million small objects are in it.
    MPROF_LIBRARY=$PWD/lib/libmprof.so expect_rc 0 mp run -o small.dat "$python" -c \
        "x = [(i, float(i)) for i in range(1000000)]"
    check small.dat "meta_int('heap_peak_bytes') > 110*MiB"
}

# parallel_pythons: the interpreters here whose subinterpreters may each have a GIL of
# their own (3.12+): the one under test when it is one, else (under the default) pyenv's.
parallel_pythons() {
    local python
    if ! is_default_python; then
        "$TEST_PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 12))' &&
            printf '%s\n' "$TEST_PYTHON"
        return 0
    fi
    for python in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9].*/bin/python3; do
        [ -x "$python" ] && printf '%s\n' "$python"
    done
}

register version_subinterpreters_in_parallel
t_version_subinterpreters_in_parallel() {
    # Three subinterpreters with their own GIL and pymalloc, and the main one, build and
    # drop 200,000 tuples five times each, at once: every arena they take comes from our
    # slots in parallel. Each free is counted (the heap ends where it began, not tens of
    # MiB up as when the slot list raced), and the peak holds at least one round.
    local python found=0
    while read -r python; do
        found=1
        expect_rc 0 mp run -o sub.dat "$python" "$SOURCES/subinterpreters.py" 5
        [ "$(cat out.txt)" = "ok 5" ] || fail "$python: output '$(cat out.txt)'"
        check sub.dat "heap[-1][1] < 8*MiB" "meta_int('heap_peak_bytes') > 22*MiB"
        rm -f sub.dat
        # --lines: the main interpreter's lines alone (a site keeps its code object,
        # which a destroyed subinterpreter would free under it); theirs are on no line.
        expect_rc 0 mp run --lines -o lines.dat "$python" "$SOURCES/subinterpreters.py" 5
        expect_rc 0 mp report --top 5 lines.dat
        [ "$(grep -c '<string>:2 (<module>)' out.txt)" -eq 1 ] ||
            fail "$python: the work's line is not there once: $(tr '\n' '|' <out.txt)"
        rm -f lines.dat
    done < <(parallel_pythons)
    [ "$found" -eq 1 ] || skip_test "no CPython 3.12 or newer under test"
}

register version_mimalloc_counted
t_version_mimalloc_counted() {
    # PYTHONMALLOC=mimalloc (3.13+) puts mimalloc under every domain: nothing reaches
    # malloc or pymalloc's arenas. A million (int, float) tuples are still counted, at
    # their requested sizes, against tracemalloc's peak traced from the start; only the
    # interpreter's start-up (before the entry point: ~1.5 MB) is missing.
    local python mode truth
    cat >tuples.py <<'PY'
import sys
kept = [(i, float(i)) for i in range(1000000)]
if len(sys.argv) > 1:
    import tracemalloc
    print(tracemalloc.get_traced_memory()[1])
PY
    cat >raw_blocks.py <<'PY'
import ctypes
allocate = ctypes.pythonapi.PyMem_RawMalloc
allocate.restype = ctypes.c_void_p
allocate.argtypes = [ctypes.c_size_t]
blocks = [allocate(1 << 20) for _ in range(100)]
assert all(blocks)
PY
    local found=0
    while read -r python; do
        "$python" -c 'import sys; sys.exit(sys.version_info < (3, 13))' || continue
        found=1
        truth=$(PYTHONMALLOC=mimalloc PYTHONTRACEMALLOC=1 "$python" tuples.py truth) ||
            fail "$python: the tracemalloc run failed"
        [ "$truth" -gt 110000000 ] || fail "$python: tracemalloc saw only $truth bytes"
        for mode in mimalloc mimalloc_debug; do
            PYTHONMALLOC=$mode expect_rc 0 mp run -o mi.dat "$python" tuples.py
            check mi.dat "$truth * 0.97 <= meta_int('heap_peak_bytes') <= $truth * 1.005" \
                "heap[-1][1] < 4*MiB"
            rm -f mi.dat
            # The RAW domain stays malloc's under mimalloc: 100 MiB of PyMem_RawMalloc
            # are counted once (by the malloc hooks), not twice.
            PYTHONMALLOC=$mode expect_rc 0 mp run -o raw.dat "$python" raw_blocks.py
            check raw.dat "100*MiB <= meta_int('heap_peak_bytes') < 108*MiB"
            rm -f raw.dat
        done
    done < <(parallel_pythons)
    [ "$found" -eq 1 ] || skip_test "no CPython 3.13 or newer under test"
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
