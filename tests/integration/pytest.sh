#!/usr/bin/env bash
# tests/integration/pytest.sh BUILD_DIR [TEST...] — the pytest plugin
# (python/pytest_mprof.py, installed in lib/mprof/python/ with its entry point) under
# Debian's real python3-pytest on /usr/bin/python3: pytest-memray's markers enforced on
# the exact heap under `mprof run`, the figures and lines its failures and its summary
# print, and, outside mprof run, the markers registered and not enforced with one line
# that says so. The suite is tests/programs/pytest_limits/, whose tests allocate known
# byte counts. Every test here runs /usr/bin/python3 (registered with register_default)
# and is skipped where its pytest is not installed.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# pytest writes its summary lines whole, not cut to the terminal's width, when it sees
# CI or BUILD_NUMBER in the environment (.ci/run sets CI): the same suite must print
# the same here as on a developer's machine.
unset CI BUILD_NUMBER

# The interpreter with pytest (Debian's python3-pytest is for it alone).
PYTEST_PYTHON=/usr/bin/python3

# need_pytest: end the test as skipped when /usr/bin/python3 has no pytest; copy the
# suite here (pytest writes its cache beside it).
need_pytest() {
    "$PYTEST_PYTHON" -c 'import pytest' 2>/dev/null ||
        skip_test "$PYTEST_PYTHON has no pytest (Debian's python3-pytest)"
    cp "$SOURCES/pytest_limits/"*.py .
    # What a bytearray(n) takes beyond its n bytes there (lib.sh's BYTEARRAY_EXTRA is the
    # interpreter under test's): 57 on 3.11.
    PYTEST_BYTEARRAY_EXTRA=$("$PYTEST_PYTHON" -c 'import sys; print(sys.getsizeof(bytearray(1000)) - 1000)')
}

# plugin_path: the directory the plugin and its entry point are installed in.
plugin_path() {
    printf '%s\n' "$BUILD/lib/mprof/python"
}

# expect_line FILE TEXT: FILE has a line that is exactly TEXT.
expect_line() {
    grep -qxF -- "$2" "$1" || fail "no line '$2' in $1: $(head -c 1500 "$1" | tr '\n' '|')"
}

# expect_count FILE TEXT N: exactly N lines of FILE contain TEXT.
expect_count() {
    local got
    got=$(grep -cF -- "$2" "$1")
    [ "$got" -eq "$3" ] || fail "$got lines of $1 contain '$2', expected $3: $(head -c 1500 "$1" | tr '\n' '|')"
}

# The line that says, outside mprof run, that the limits are not enforced.
NOT_ENFORCED="mprof: limit_memory and limit_leaks are not enforced here; run under mprof to enforce them: mprof run /usr/bin/python3 -m pytest ..."

register_default pytest_outside_entry_point
t_pytest_outside_entry_point() {
    # Outside mprof run, with the plugin's directory on PYTHONPATH, pytest finds the
    # entry point itself: the markers are known (--strict-markers passes), nothing is
    # enforced (the 30 MB and the 2 MB tests pass), and the session's first line says so.
    need_pytest
    PYTHONPATH=$(plugin_path) expect_rc 0 "$PYTEST_PYTHON" -m pytest -q --strict-markers test_limits.py
    [ "$(head -n 1 out.txt)" = "$NOT_ENFORCED" ] ||
        fail "first line: '$(head -n 1 out.txt)', expected '$NOT_ENFORCED'"
    expect_count out.txt "not enforced" 1
    grep -Eq '^6 passed in ' out.txt || fail "expected 6 passed: $(tr '\n' '|' <out.txt)"
    # In the header, when there is one: the distribution that provides the plugin.
    PYTHONPATH=$(plugin_path) expect_rc 0 "$PYTEST_PYTHON" -m pytest --strict-markers test_limits.py
    expect_line out.txt "plugins: mprof-$("$MPROF" --version | cut -d' ' -f2)"
    expect_count out.txt "not enforced" 1
}

register_default pytest_outside_dash_p
t_pytest_outside_dash_p() {
    # `-p pytest_mprof` (the module by name, as a pytest.ini's addopts may have it) is the
    # same plugin as the entry point: loaded once, no "already registered" error. A
    # directory holding the module alone (no entry point) works with -p too.
    need_pytest
    PYTHONPATH=$(plugin_path) expect_rc 0 "$PYTEST_PYTHON" -m pytest -q --strict-markers \
        -p pytest_mprof test_limits.py
    expect_count out.txt "not enforced" 1
    mkdir alone && cp "$(plugin_path)/pytest_mprof.py" alone/
    PYTHONPATH=$PWD/alone expect_rc 0 "$PYTEST_PYTHON" -m pytest -q --strict-markers test_limits.py \
        -p pytest_mprof
    expect_count out.txt "not enforced" 1
    grep -Eq '^6 passed in ' out.txt || fail "expected 6 passed: $(tr '\n' '|' <out.txt)"
    # The control: without the plugin pytest does not know the markers (a collection
    # error: exit 2, interrupted), so the runs above pass by the plugin's registering them.
    PYTHONPATH=$PWD/alone expect_rc 2 "$PYTEST_PYTHON" -m pytest -q --strict-markers test_limits.py
    grep -q "'limit_memory' not found in \`markers\` configuration option" out.txt ||
        fail "without the plugin, no unknown-marker error: $(tr '\n' '|' <out.txt)"
    # And -p no:mprof turns the entry point off.
    PYTHONPATH=$(plugin_path) expect_rc 0 "$PYTEST_PYTHON" -m pytest -q -p no:mprof test_limits.py
    expect_count out.txt "not enforced" 0
}

# under_mprof ARGS...: pytest on /usr/bin/python3 under mprof run (its profile in run.dat),
# which offers pytest the plugin by itself.
under_mprof() {
    mp run -o run.dat "$PYTEST_PYTHON" -m pytest -p no:cacheprovider "$@"
}

# junit_outcomes FILE: "NAME OUTCOME" per test case of pytest's JUnit XML, in its order
# (OUTCOME: passed, failure, error or skipped).
junit_outcomes() {
    "$PYTEST_PYTHON" - "$1" <<'PY'
import sys
import xml.etree.ElementTree as tree
for case in tree.parse(sys.argv[1]).getroot().iter('testcase'):
    kinds = [child.tag for child in case if child.tag in ('failure', 'error', 'skipped')]
    print(case.get('name'), kinds[0] if kinds else 'passed')
PY
}

# figure_of FILE TEXT: the exact byte count printed right after TEXT ("1,234 B" -> 1234).
figure_of() {
    local line
    line=$(grep -F -- "$2" "$1" | head -n 1)
    [ -n "$line" ] || fail "no '$2' in $1: $(head -c 1500 "$1" | tr '\n' '|')"
    line=${line#*"$2"}
    line=${line%% B*}
    printf '%s\n' "${line//,/}"
}

# with_commas N: 30000057 -> 30,000,057, as the plugin prints its figures.
with_commas() {
    sed -E ':again; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; t again' <<<"$1"
}

# expect_between VALUE LOW HIGH WHAT
expect_between() {
    [ "$1" -ge "$2" ] && [ "$1" -le "$3" ] || fail "$4: $1, expected $2 to $3"
}

# The test function's line that allocates N bytes, in the suite.
line_of() {
    grep -nF -- "$1" test_limits.py | head -n 1 | cut -d: -f1
}

# What pytest itself holds in a test's window beside the test's own bytes (the call's
# arguments, the window's own start figure: about a hundred bytes on 3.11), at most.
HARNESS_BYTES=1024

register_default pytest_loaded_by_itself
t_pytest_loaded_by_itself() {
    # Under mprof run pytest loads the plugin with no flag, no conftest.py and nothing in
    # the environment (the library offers the entry point, at the end of sys.meta_path);
    # -p no:mprof turns it off; -p pytest_mprof is the same plugin, loaded once.
    need_pytest
    expect_rc 1 env -u PYTHONPATH "$MPROF" run -o run.dat "$PYTEST_PYTHON" -m pytest -p no:cacheprovider \
        test_limits.py
    expect_line out.txt "plugins: mprof-$("$MPROF" --version | cut -d' ' -f2)"
    expect_line out.txt "mprof: limit_memory and limit_leaks enforced on the exact heap of the whole process; failures name no lines: mprof run --lines ... for them"
    grep -Eq '^=+ 3 failed, 3 passed in ' out.txt || fail "expected 3 failed, 3 passed: $(tail -n 3 out.txt | tr '\n' '|')"
    expect_rc 0 env -u PYTHONPATH "$MPROF" run -o run.dat "$PYTEST_PYTHON" -m pytest -p no:cacheprovider \
        -q -p no:mprof test_limits.py
    grep -Eq '^6 passed, [0-9]+ warnings in ' out.txt || fail "expected 6 passed: $(tail -n 3 out.txt | tr '\n' '|')"
    expect_count out.txt "mprof:" 0
    expect_rc 1 env -u PYTHONPATH "$MPROF" run -o run.dat "$PYTEST_PYTHON" -m pytest -p no:cacheprovider \
        -q -p pytest_mprof test_limits.py
    grep -Eq '^3 failed, 3 passed in ' out.txt || fail "with -p pytest_mprof: $(tail -n 3 out.txt | tr '\n' '|')"
    # Nothing of it reaches the program's environment or its sys.path.
    expect_rc 0 env -u PYTHONPATH "$MPROF" run -o run.dat "$PYTEST_PYTHON" -c \
        'import os, sys; print(os.environ.get("PYTHONPATH"), os.environ.get("PYTEST_PLUGINS"), any("mprof" in p for p in sys.path))'
    expect_line out.txt "None None False"
}

register_default pytest_limits_enforced
t_pytest_limits_enforced() {
    # Under mprof run the limits hold: 30,000,000 bytes in the test, or in a thread it
    # starts, is over limit_memory("24 MB") (25,165,824 B, as pytest-memray reads it);
    # 2,000,000 left in a global list is over limit_leaks("1 MB"); the other three pass.
    need_pytest
    expect_rc 1 under_mprof -q --strict-markers --junitxml=report.xml test_limits.py
    grep -Eq '^3 failed, 3 passed in ' out.txt || fail "expected 3 failed, 3 passed: $(tail -n 3 out.txt | tr '\n' '|')"
    junit_outcomes report.xml >outcomes.txt || fail "report.xml: not pytest's JUnit XML"
    printf '%s\n' "test_over_memory_limit failure" "test_under_memory_limit passed" \
        "test_leaves_two_million failure" "test_frees_everything passed" "test_unmarked passed" \
        "test_thread_over_memory_limit failure" >want.txt
    diff want.txt outcomes.txt >/dev/null || fail "outcomes: $(tr '\n' '|' <outcomes.txt)"
    # pytest-memray's letter for a memory failure, in the progress line.
    expect_line out.txt "M.M..M                                                                   [100%]"
    # The figures: the bytearray is N + PYTEST_BYTEARRAY_EXTRA bytes (57 on 3.11), and
    # pytest's own share of the window is at most HARNESS_BYTES.
    local peak left
    peak=$(figure_of out.txt "mprof: the test's own peak heap was ")
    expect_between "$peak" $((30000000 + PYTEST_BYTEARRAY_EXTRA)) $((30000000 + PYTEST_BYTEARRAY_EXTRA + HARNESS_BYTES)) "own peak of bytearray(30,000,000)"
    grep -qE "^mprof: the test's own peak heap was [0-9,]+ B \(28\.6 MiB\), over its limit_memory\(\"24 MB\"\) of 25,165,824 B \(24\.0 MiB\)$" out.txt ||
        fail "no limit_memory failure line: $(grep -F 'mprof:' out.txt | tr '\n' '|')"
    # The list's 4 slots (32 B) beside the bytearray.
    left=$(figure_of out.txt "mprof: the test left ")
    expect_between "$left" $((2000000 + PYTEST_BYTEARRAY_EXTRA + 32)) $((2000000 + PYTEST_BYTEARRAY_EXTRA + 32 + HARNESS_BYTES)) "left live by the list"
    expect_line out.txt "mprof: the test left $(with_commas "$left") B (1.9 MiB) of heap live (after gc.collect()), over its limit_leaks(\"1 MB\") of 1,048,576 B (1.0 MiB)"
    expect_count out.txt "mprof: the test's own peak heap was " 2
    # Without --lines each failure says how to have its lines.
    expect_count out.txt "    the lines that allocated most are named under mprof run --lines /usr/bin/python3 -m pytest ..." 3
    expect_count out.txt "MEMORY PROBLEMS test_limits.py::" 3
}

register_default pytest_lines_named
t_pytest_lines_named() {
    # Under mprof run --lines a failure names the lines that allocated most in the test,
    # to the byte: the bytearray's object and buffer, 30,000,057 B in 2 allocations on
    # 3.11; the kept one with the list's slots, 2,000,089 B in 3. pytest's own lines are
    # left out, so the test's is the first named.
    need_pytest
    expect_rc 1 mp run --lines -o run.dat "$PYTEST_PYTHON" -m pytest -p no:cacheprovider -q test_limits.py
    grep -Eq '^3 failed, 3 passed in ' out.txt || fail "expected 3 failed, 3 passed: $(tail -n 3 out.txt | tr '\n' '|')"
    local big=$((30000000 + PYTEST_BYTEARRAY_EXTRA)) kept=$((2000000 + PYTEST_BYTEARRAY_EXTRA + 32))
    grep -A 2 -F "mprof: the test's own peak heap was" out.txt | head -n 3 >first.txt
    expect_line first.txt "    lines that allocated most during the test:"
    expect_line first.txt "        $(printf '%14s' "$(with_commas "$big") B") in       2 allocations  test_limits.py:$(line_of 'bytearray(30_000_000)') test_over_memory_limit"
    grep -A 2 -F "mprof: the test left" out.txt >kept.txt
    expect_line kept.txt "        $(printf '%14s' "$(with_commas "$kept") B") in       3 allocations  test_limits.py:$(line_of 'KEPT.append') test_leaves_two_million"
    expect_count out.txt "named under mprof run --lines" 0
    expect_count out.txt "_pytest/" 0
    expect_count out.txt "pluggy/" 0
}

register_default pytest_most_allocations
t_pytest_most_allocations() {
    # --most-allocations=N: the N highest own peaks, highest first, with what each left
    # live; 0 for every test; --memray alone as pytest-memray, 5; none without either,
    # nor with --hide-memray-summary.
    need_pytest
    expect_rc 1 under_mprof -q --most-allocations=3 test_limits.py
    grep -Eq '^=+ mprof: the 3 tests with the highest own peak heap =+$' out.txt ||
        fail "no summary of 3: $(tail -n 12 out.txt | tr '\n' '|')"
    grep -A 3 -F "mprof: the 3 tests with the highest" out.txt | tail -n 3 >summary.txt
    local names
    names=$(awk '{ print $NF }' summary.txt | tr '\n' ' ')
    # The thread's start (its stack's bookkeeping) puts it a few KiB above the test that
    # allocates the same bytes itself.
    [ "$names" = "test_limits.py::test_thread_over_memory_limit test_limits.py::test_over_memory_limit test_limits.py::test_under_memory_limit " ] ||
        fail "summary's tests: $names"
    local peak
    peak=$(sed -n 3p summary.txt | awk '{ print $1 }' | tr -d ,)
    expect_between "$peak" $((10000000 + PYTEST_BYTEARRAY_EXTRA)) $((10000000 + PYTEST_BYTEARRAY_EXTRA + HARNESS_BYTES)) "own peak of bytearray(10,000,000)"
    grep -qE '^ +[0-9,]+ B peak +[0-9,]+ B left live  test_limits.py::test_under_memory_limit$' summary.txt ||
        fail "summary line: $(sed -n 3p summary.txt)"
    expect_rc 1 under_mprof -q --most-allocations=0 test_limits.py
    grep -Eq '^=+ mprof: the 6 tests with the highest own peak heap =+$' out.txt ||
        fail "no summary of 6: $(tail -n 12 out.txt | tr '\n' '|')"
    expect_count out.txt " B left live" 6
    # The collected tests say so; the kept one's left-live figure is its list's.
    grep -qE '^ +[0-9,]+ B peak +2,000,[0-9]{3} B left live \(collected\)  test_limits.py::test_leaves_two_million$' out.txt ||
        fail "no leaves_two_million summary line: $(grep -F 'left live' out.txt | tr '\n' '|')"
    expect_rc 1 under_mprof -q --memray test_limits.py
    grep -Eq '^=+ mprof: the 5 tests with the highest own peak heap =+$' out.txt ||
        fail "no summary of 5: $(tail -n 12 out.txt | tr '\n' '|')"
    expect_count out.txt " B left live" 5
    expect_rc 1 under_mprof -q --memray --hide-memray-summary test_limits.py
    expect_count out.txt "highest own peak heap" 0
    expect_rc 1 under_mprof -q --most-allocations=2 --hide-memray-summary test_limits.py
    expect_count out.txt "highest own peak heap" 0
    expect_rc 1 under_mprof -q --memray --most-allocations=2 test_limits.py
    expect_count out.txt " B left live" 2
    expect_rc 1 under_mprof -q test_limits.py
    expect_count out.txt "highest own peak heap" 0
}

register_default pytest_other_items
t_pytest_other_items() {
    # A unittest method is measured around pytest's whole runtest (unittest's own result
    # bookkeeping is in it: at most 4 KiB more); pytest-memray's current_thread_only and
    # filter_fn are taken, not applied, and a failure says so.
    need_pytest
    expect_rc 1 under_mprof -q --strict-markers --junitxml=report.xml test_other_items.py
    grep -Eq '^3 failed, 1 passed in ' out.txt || fail "expected 3 failed, 1 passed: $(tail -n 3 out.txt | tr '\n' '|')"
    junit_outcomes report.xml >outcomes.txt || fail "report.xml: not pytest's JUnit XML"
    printf '%s\n' "test_method_over_memory_limit failure" "test_method_under_memory_limit passed" \
        "test_current_thread_only failure" "test_filter_fn failure" >want.txt
    diff want.txt outcomes.txt >/dev/null || fail "outcomes: $(tr '\n' '|' <outcomes.txt)"
    local peak
    peak=$(figure_of out.txt "mprof: the test's own peak heap was ")
    expect_between "$peak" $((30000000 + PYTEST_BYTEARRAY_EXTRA)) $((30000000 + PYTEST_BYTEARRAY_EXTRA + 4096)) "own peak of the unittest method"
    expect_line out.txt "    (current_thread_only: not applied by mprof, which counts the whole process's heap)"
    expect_line out.txt "    (filter_fn: not applied by mprof, which counts the whole process's heap)"
}

register_default pytest_bad_limits
t_pytest_bad_limits() {
    # A marker that is no limit errors its test at setup, with the marker as written.
    need_pytest
    expect_rc 1 under_mprof -q test_bad_sizes.py
    grep -Eq '^3 errors in ' out.txt || fail "expected 3 errors: $(tail -n 3 out.txt | tr '\n' '|')"
    expect_line out.txt "mprof: @pytest.mark.limit_memory('24 XB'): '24 XB' is not a size: a number and a unit: B, KB, MB, GB, TB, PB or KiB, MiB, GiB, TiB, PiB (KB = KiB = 1024 B, as pytest-memray reads them)"
    expect_line out.txt "mprof: @pytest.mark.limit_leaks(): takes one limit, e.g. \"24 MB\"; got 0"
    expect_line out.txt "mprof: @pytest.mark.limit_memory('1 MB', size='2 MB'): unexpected argument size (it takes limit, current_thread_only)"
}

register_default pytest_sizes_parsed
t_pytest_sizes_parsed() {
    # pytest-memray's sizes, to the byte: KB is 1024 B there; a fraction is rounded up.
    need_pytest
    PYTHONPATH=$(plugin_path) expect_rc 0 "$PYTEST_PYTHON" - <<'PY'
from pytest_mprof import parse_size
sizes = {'24 MB': 25165824, '24MB': 25165824, '1 KiB': 1024, '1 kb': 1024, '512 B': 512,
         '1.5 GiB': 1610612736, '2 gb': 2147483648, '+3 MB': 3145728, '0.1 KB': 103,
         '.5 KB': 512, ' 1 TB ': 1099511627776, '1 PiB': 1125899906842624, 4096: 4096}
for text, want in sizes.items():
    got = parse_size(text)
    assert got == want, (text, got, want)
for text in ('24 XB', 'MB', '1.', '', '24 MB extra', '-1 MB', '1 MiBB', -1, True, None, 1.5):
    try:
        parse_size(text)
    except ValueError as error:
        assert repr(text) in str(error), error
    else:
        raise AssertionError('%r parsed' % (text,))
PY
}

register_default pytest_installed
t_pytest_installed() {
    # `make install` puts the plugin and its entry point in PREFIX/lib/mprof/python/, and
    # the installed mprof run offers it to pytest from there, beside its library.
    need_pytest
    # (A make of its own: not the options of a make check that may be running this.)
    expect_rc 0 env -u MAKEFLAGS -u MAKELEVEL make -C "$ROOT" --no-print-directory BUILD="$BUILD" \
        install PREFIX="$PWD/prefix"
    local file
    for file in pytest_mprof.py mprof.dist-info/METADATA mprof.dist-info/entry_points.txt; do
        [ -f "prefix/lib/mprof/python/$file" ] || fail "make install did not install lib/mprof/python/$file"
    done
    expect_line prefix/lib/mprof/python/mprof.dist-info/entry_points.txt "pytest_mprof = pytest_mprof"
    expect_rc 1 timeout -k 5 "$TIMEOUT" prefix/bin/mprof run \
        -o run.dat "$PYTEST_PYTHON" -m pytest -q -p no:cacheprovider test_limits.py
    grep -Eq '^3 failed, 3 passed in ' out.txt || fail "expected 3 failed, 3 passed: $(tail -n 3 out.txt | tr '\n' '|')"
}

register_default pytest_plugin_missing_said
t_pytest_plugin_missing_said() {
    # A library copied without lib/mprof/python beside it: one notice says pytest runs
    # without the plugin (else pytest would only warn of unknown marks).
    mkdir libcopy
    cp "$BUILD"/lib/mprof/*.so libcopy/
    MPROF_LIBRARY=$PWD/libcopy/libmprof.so expect_rc 0 mp run -o alone.dat /usr/bin/python3 -c pass
    grep -qx "mprof: no python/pytest_mprof.py beside this library: pytest runs without mprof's plugin" err.txt ||
        fail "not said: $(cat err.txt)"
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
