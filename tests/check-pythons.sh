#!/usr/bin/env bash
# tests/check-pythons.sh BUILD_DIR — the Python integration areas (tests/integration's
# python.sh, profile.sh, versions.sh, check.sh (whose heap gates must hold on every
# version) and memory_profiler.sh) under every CPython this machine has, one run each:
#
#   - pyenv's 3.10, 3.11, 3.12 and 3.13 (the newest patch of each present under
#     $PYENV_ROOT/versions, default ~/.pyenv), against BUILD_DIR's build;
#   - Debian unstable's 3.13, 3.14 and 3.15 inside the sid tree (scripts/python-tree.sh,
#     built when absent, reused when present), against a build made there
#     (build/sid: the tree's glibc is newer than the host's).
#
# Each run prints its tests' lines and ends on its own "N passed, N failed" line; the
# tests of the default interpreters alone (Debian's static /usr/bin/python3, the pyenv
# shim: `make check` runs them) are listed as skipped. A version that is not here is
# said in one line and skipped; a tree that cannot be built is a failure, and so is a
# `make all` that fails there (then the library, the CLI and the test programs are
# built alone, and the areas still run, so that each version's results are seen). The
# last lines sum the runs; the exit status is non-zero when any failed.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
areas="python profile versions check memory_profiler"
pyenv_versions=${PYENV_ROOT:-$HOME/.pyenv}/versions
suite=sid
tree_pythons="python3.13 python3.14 python3.15"

runs_passed=0
runs_failed=0
summary=()

# record LABEL STATUS: count one run by its runner's exit status, with the seconds since
# the last one was recorded.
run_started=$SECONDS
record() {
    local took=$((SECONDS - run_started))
    run_started=$SECONDS
    if [ "$2" -eq 0 ]; then
        runs_passed=$((runs_passed + 1))
        summary+=("$1 ok (${took} s)")
    else
        runs_failed=$((runs_failed + 1))
        summary+=("$1 FAILED (${took} s)")
    fi
}

# newest_pyenv MINOR: the newest pyenv version 3.MINOR.* present, e.g. 3.12.1, or nothing.
newest_pyenv() {
    local dir
    for dir in "$pyenv_versions"/3."$1".*; do
        [[ ${dir##*/} =~ ^3\.$1\.[0-9]+$ ]] && [ -x "$dir/bin/python3.$1" ] && printf '%s\n' "${dir##*/}"
    done | sort -t. -k3,3n | tail -n 1
}

cd "$root" || exit 1
for minor in 10 11 12 13; do
    version=$(newest_pyenv "$minor")
    if [ -z "$version" ]; then
        echo "== 3.$minor: no pyenv CPython 3.$minor under $pyenv_versions: skipped"
        continue
    fi
    python=$pyenv_versions/$version/bin/python3.$minor
    echo "== pyenv $version ($python), build $build"
    MPROF_TEST_PYTHON=$python MPROF_TEST_AREAS=$areas bash tests/integration/run.sh "$build"
    record "pyenv $version" $?
done

# The tree: built (or reused), then mprof built inside it, then one run per interpreter.
tree_build=build/$suite
tree_log=$root/build/$suite-make.log
mkdir -p "$root/build"
in_tree() {
    bash scripts/python-tree.sh run "$suite" "$@"
}
echo "== $suite tree: scripts/python-tree.sh ensure $suite; make BUILD=$tree_build all inside it"
if [ "$(id -u)" -ne 0 ]; then
    # Not a failure of mprof's: a developer without root still gets the pyenv runs.
    echo "== $suite tree: skipped (building and entering it needs root)"
elif ! bash scripts/python-tree.sh ensure "$suite"; then
    echo "FAIL $suite tree: it could not be built"
    echo "0 passed, 1 failed"
    record "$suite tree" 1
else
    tree_built=1
    if ! in_tree make --no-print-directory -j2 BUILD="$tree_build" all >"$tree_log" 2>&1; then
        echo "FAIL $suite build: make BUILD=$tree_build all: $(grep -E '^mprof:|Error' "$tree_log" | head -n 2 | tr '\n' '|')"
        echo "0 passed, 1 failed"
        record "$suite make all" 1
        in_tree make --no-print-directory -j2 BUILD="$tree_build" "$tree_build/bin/mprof" \
            "$tree_build/lib/mprof/libmprof.so" programs >>"$tree_log" 2>&1 || tree_built=0
    fi
    if [ "$tree_built" -eq 1 ]; then
        echo "== $suite tree and build ready in $((SECONDS - run_started)) s"
        run_started=$SECONDS
        for python in $tree_pythons; do
            echo "== $suite $python, build $tree_build"
            in_tree env MPROF_TEST_PYTHON="$python" MPROF_TEST_AREAS="$areas" \
                bash tests/integration/run.sh "$tree_build"
            record "$suite $python" $?
        done
    else
        echo "FAIL $suite build: not even the library and the CLI build there (see $tree_log)"
        echo "0 passed, 1 failed"
    fi
fi

echo "check-pythons: $(IFS=';'; echo "${summary[*]}" | sed 's/;/; /g')"
echo "check-pythons: $runs_passed runs passed, $runs_failed failed, in $SECONDS s"
[ "$runs_failed" -eq 0 ]
