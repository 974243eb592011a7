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

# The interpreter with pytest (Debian's python3-pytest is for it alone).
PYTEST_PYTHON=/usr/bin/python3

# need_pytest: end the test as skipped when /usr/bin/python3 has no pytest; copy the
# suite here (pytest writes its cache beside it).
need_pytest() {
    "$PYTEST_PYTHON" -c 'import pytest' 2>/dev/null ||
        skip_test "$PYTEST_PYTHON has no pytest (Debian's python3-pytest)"
    cp "$SOURCES/pytest_limits/"*.py .
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
    grep -Eq '^5 passed in ' out.txt || fail "expected 5 passed: $(tr '\n' '|' <out.txt)"
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
    grep -Eq '^5 passed in ' out.txt || fail "expected 5 passed: $(tr '\n' '|' <out.txt)"
    # The control: without the plugin pytest does not know the markers (a collection
    # error: exit 2, interrupted), so the runs above pass by the plugin's registering them.
    PYTHONPATH=$PWD/alone expect_rc 2 "$PYTEST_PYTHON" -m pytest -q --strict-markers test_limits.py
    grep -q "'limit_memory' not found in \`markers\` configuration option" out.txt ||
        fail "without the plugin, no unknown-marker error: $(tr '\n' '|' <out.txt)"
    # And -p no:mprof turns the entry point off.
    PYTHONPATH=$(plugin_path) expect_rc 0 "$PYTEST_PYTHON" -m pytest -q -p no:mprof test_limits.py
    expect_count out.txt "not enforced" 0
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
