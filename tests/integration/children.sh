#!/usr/bin/env bash
# tests/integration/children.sh BUILD_DIR [TEST...] — a program that forks, under
# `mprof run`, plain, -M (each child's series of its own: CHLD lines, mprof/proc.c's
# process tree, the library's hooks in the child) and -C (children summed into MEM and
# HEAP, and the peaks of the sums: mprof/dat_peak.c, recorder.c).
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
    # Summed, the peaks are the highest summed samples (the main process's own marks,
    # 8 MiB and its RSS, are below them: they do not add up over a tree).
    check "$DAT" "near(heap_peak, 40*MiB, 0.01)" "meta_int('heap_peak_bytes') == heap_peak" \
        "meta_int('rss_hwm_bytes') < int(mem_peak * MiB)" \
        "abs(meta_int('rss_peak_bytes') - int(mem_peak * MiB)) <= 2"
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
