#!/usr/bin/env bash
# tests/integration/run.sh BUILD_DIR [TEST...] — run real programs under BUILD_DIR/bin/mprof
# and check the numbers they leave: exact heap sizes, exit statuses, files that Debian's
# memory_profiler reads, plots that are real images, one-line errors for bad input.
#
# The tests live by area, one file each beside this one (record.sh, children.sh,
# python.sh, profile.sh, pytest.sh, plot.sh, files.sh, errors.sh), over the helpers and
# runner in lib.sh; each area runs alone as
# `bash tests/integration/AREA.sh BUILD_DIR [TEST...]`. This runs them all (or the named
# tests, whichever area holds them) in one runner, so that its last line, "N passed, N
# failed", is the total. `make integration` calls it.
# MPROF_TEST_AREAS (area names, e.g. "python profile") limits it to those areas; with
# MPROF_TEST_PYTHON (lib.sh) that is how tests/check-pythons.sh runs each interpreter.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"

# Every .sh here but lib.sh and this file is an area: a new area is picked up by its file.
for area in "$HERE"/*.sh; do
    case ${area##*/} in
    lib.sh | run.sh) ;;
    *)
        name=${area##*/}
        name=${name%.sh}
        [ -z "${MPROF_TEST_AREAS:-}" ] || [[ " $MPROF_TEST_AREAS " == *" $name "* ]] || continue
        . "$area"
        ;;
    esac
done
unset area name

run_tests "$@"
