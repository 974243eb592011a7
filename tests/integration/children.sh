#!/usr/bin/env bash
# tests/integration/children.sh BUILD_DIR [TEST...] — a program that forks, under
# `mprof run`, plain, -M (each child's series of its own: CHLD lines, mprof/proc.c's
# process tree, the library's hooks in the child) and -C (children summed into MEM).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

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

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
