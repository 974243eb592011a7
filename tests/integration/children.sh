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

register child_peak_hinted
t_child_peak_hinted() {
    # Without -C/-M the children are not recorded; when one of them held far more than
    # the program (forker's child touches 32 MiB, the parent 8), the closing line says
    # so and names the options. With them, or when no child is bigger, it says nothing.
    expect_rc 0 mp run -o hint.dat "$PROGRAMS/forker"
    local child_mib
    child_mib=$(sed -En 's/^mprof: wrote hint\.dat \(.*; a child process peaked at ([0-9]+\.[0-9]) MiB RSS, not recorded: -C adds children in, -M records each\)$/\1/p' err.txt)
    [ -n "$child_mib" ] && awk -v mib="$child_mib" 'BEGIN { exit !(mib >= 32 && mib < 48) }' ||
        fail "no hint of the child's 32 MiB: $(cat err.txt)"
    local option
    for option in -C -M; do
        expect_rc 0 mp run "$option" -o hint.dat "$PROGRAMS/forker"
        ! grep -q 'a child process peaked' err.txt || fail "$option: hinted: $(cat err.txt)"
    done
    expect_rc 0 mp run -o hint.dat "$PROGRAMS/hold" 16 0.2
    ! grep -q 'a child process peaked' err.txt || fail "no child, but hinted: $(cat err.txt)"
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
