# shellcheck shell=bash
# tests/long/cpython.sh — CPython's own regression tests (`python -m test`, the suite
# each interpreter ships) under mprof run against a bare run of the same list, on each
# interpreter found: pyenv's 3.8 .. 3.13 (~/.pyenv/versions; 3.8 and 3.9 run with the
# heap malloc's only, as README says). Any test that passes bare and not under mprof
# fails its interpreter's test, unless cpython_differences.txt documents it (README,
# "What mprof guarantees", says why each one differs).
#   bash tests/long/cpython.sh BUILD_DIR [TEST...]
#
# CPYTHON_TESTS: the test modules (default: CPYTHON_DEFAULT_TESTS below; "all": each
# interpreter's whole suite, from `python -m test --list-tests`). A module the
# interpreter does not ship (pyenv's 3.11.7 and 3.12.1 lack the multiprocessing suites
# and test_concurrent_futures) is left out, and said. Both runs use regrtest's -j2 (each
# module in a worker process of its own, under mprof a child that runs the library
# too), with a per-module timeout: the same for both, so the comparison stays fair.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../integration/lib.sh"

# What a profiler inside the process could disturb: the allocator and the garbage
# collector, threads, fork/exec/subprocess/multiprocessing, signals, the os and sys
# modules, mmap, ctypes, tracemalloc, weakrefs, resource limits, faulthandler, atexit,
# the C API's memory tests, stdio and pickling's buffers. test_concurrent_futures is
# left out of it for time (2.5 minutes a run, alone, on 3.8): CPYTHON_TESTS=all has it.
# The longest first (test_multiprocessing_fork: a minute), so that -j2 runs the rest
# beside them.
CPYTHON_DEFAULT_TESTS="test_multiprocessing_fork test_signal test_subprocess test_gc
test_weakref test_finalization test_threading test_thread test_threading_local test_fork1
test_wait3 test_wait4 test_os test_posix test_sys test_mmap test_ctypes test_tracemalloc
test_resource test_faulthandler test_atexit test_capi test_memoryview test_bytes
test_pickle test_select test_pty"
CPYTHON_JOBS=${CPYTHON_JOBS:-2}
# Seconds per module (regrtest's --timeout) and for a whole run.
CPYTHON_MODULE_TIMEOUT=${CPYTHON_MODULE_TIMEOUT:-900}
CPYTHON_RUN_TIMEOUT=${CPYTHON_RUN_TIMEOUT:-7200}
PYENV_VERSIONS=${PYENV_ROOT:-$HOME/.pyenv}/versions

# say TEXT: a line for the runner's own output (fd 3, opened by run.sh), beside the
# "ok NAME" lines; nothing when the area runs without it.
say() {
    { printf '  %s\n' "$*" >&3; } 2>/dev/null || true
}

# regrtest PYTHON NAME [-- MPROF...]: run the selected modules (tests.txt) once, into
# NAME.log and NAME.xml, and their outcomes into NAME.outcomes; NAME.rc the status.
regrtest() {
    local python=$1 name=$2
    shift 2
    local -a modules
    mapfile -t modules <tests.txt
    timeout -k 10 "$CPYTHON_RUN_TIMEOUT" "$@" "$python" -m test -j"$CPYTHON_JOBS" --timeout "$CPYTHON_MODULE_TIMEOUT" \
        --junit-xml "$PWD/$name.xml" "${modules[@]}" >"$name.log" 2>&1
    echo $? >"$name.rc"
    /usr/bin/python3 "$HERE/regrtest_outcomes.py" outcomes "$name.log" "$name.xml" "${modules[@]}" >"$name.outcomes" ||
        fail "$name: cannot read regrtest's results"
}

# cpython_suite VERSION: the test of one interpreter.
cpython_suite() {
    local version=$1 python
    python=$(ls -d "$PYENV_VERSIONS/$version".*/bin/python"$version" 2>/dev/null | tail -n 1)
    [ -n "$python" ] && [ -x "$python" ] || skip_test "no pyenv CPython $version in $PYENV_VERSIONS"
    local testdir
    testdir=$("$python" -c 'import os, test; print(os.path.dirname(test.__file__))' 2>/dev/null) &&
        [ -f "$testdir/regrtest.py" ] || skip_test "$python ships no regression tests (no test package)"
    local -a wanted=() missing=()
    local module
    if [ "${CPYTHON_TESTS:-}" = all ]; then
        "$python" -m test --list-tests >tests.txt 2>list.err || fail "$python -m test --list-tests: $(head -c 300 list.err)"
    else
        read -r -d "" -a wanted <<<"${CPYTHON_TESTS:-$CPYTHON_DEFAULT_TESTS}" || true
        : >tests.txt
        for module in "${wanted[@]}"; do
            if [ -f "$testdir/$module.py" ] || [ -d "$testdir/$module" ]; then
                echo "$module" >>tests.txt
            else
                missing+=("$module")
            fi
        done
    fi
    [ -s tests.txt ] || skip_test "$python ships none of: ${wanted[*]}"
    [ ${#missing[@]} -eq 0 ] || say "cpython $version: not shipped, left out: ${missing[*]}"

    local started=$SECONDS
    regrtest "$python" bare
    local bare_seconds=$((SECONDS - started))
    started=$SECONDS
    regrtest "$python" mprof "$MPROF" run -o run.dat
    local mprof_seconds=$((SECONDS - started))
    local modules cases
    modules=$(wc -l <tests.txt)
    cases=$(grep -c ' test\.' bare.outcomes)
    say "cpython $version: $modules modules, $cases cases; bare ${bare_seconds} s (status $(cat bare.rc)), mprof ${mprof_seconds} s (status $(cat mprof.rc));" \
        "failing bare too: $(awk '$1 == "fail" && $2 !~ /\./ { printf "%s ", $2 }' bare.outcomes)"
    # The profile of the whole run is whole, with the runner's status and its heap.
    [ -s run.dat ] || fail "mprof run wrote no run.dat: $(tail -n 5 mprof.log | tr '\n' '|')"
    check run.dat "meta.get('exit_status') == '$(cat mprof.rc)'" "'heap_lost' not in meta" \
        "meta_int('heap_peak_bytes') > 1000000" "'end' in meta"

    /usr/bin/python3 "$HERE/regrtest_outcomes.py" compare bare.outcomes mprof.outcomes \
        "$HERE/cpython_differences.txt" "$version" >differences.txt
    local status=$?
    grep '^documented ' differences.txt | while read -r line; do say "cpython $version: $line"; done
    [ "$status" -eq 0 ] && return 0
    # Passed bare, not under mprof: each such module again, alone, both ways, so that a
    # test that fails now and then (by load or timing) is not taken for ours.
    local -a again
    mapfile -t again < <(grep -v '^documented ' differences.txt | awk '{ print $2 }' |
        sed -E 's/^test\.(test_[A-Za-z0-9_]+).*/\1/' | sort -u)
    printf '%s\n' "${again[@]}" >tests.txt
    regrtest "$python" bare-again
    regrtest "$python" mprof-again "$MPROF" run -o again.dat
    /usr/bin/python3 "$HERE/regrtest_outcomes.py" compare bare-again.outcomes mprof-again.outcomes \
        "$HERE/cpython_differences.txt" "$version" >differences-again.txt && {
        say "cpython $version: passed bare, not under mprof, but not again when run alone: $(grep -v '^documented ' differences.txt | tr '\n' ';')"
        return 0
    }
    fail "passes bare, not under mprof (twice): $(grep -v '^documented ' differences-again.txt | head -n 20 | tr '\n' ';')"
}

for cpython_version in 3.8 3.9 3.10 3.11 3.12 3.13; do
    register "cpython_${cpython_version/./_}"
    eval "t_cpython_${cpython_version/./_}() { cpython_suite $cpython_version; }"
done
unset cpython_version

[ "${BASH_SOURCE[0]}" != "$0" ] || { exec 3>&1; run_tests "$@"; }
