#!/usr/bin/env bash
# tests/long/run.sh BUILD_DIR [TEST...] — the stress suite (`make check-long`): the
# programs of stress.sh (threads x fork x exec, signals in malloc, dlopen, spawn and
# vfork, C++, Rust and jemalloc programs) and CPython's own regression tests under
# mprof (cpython.sh), each against its bare run. One runner, lib.sh's: a line per
# test, the interpreters' figures as indented lines beside them, and last the total,
# "N passed, N failed", alone. Each area also runs alone: bash tests/long/AREA.sh.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/stress.sh"
. "$HERE/cpython.sh"
# The areas' informative lines (cpython.sh's say) reach this output through fd 3.
exec 3>&1
run_tests "$@"
