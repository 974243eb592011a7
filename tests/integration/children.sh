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

register child_marks_between_samples
t_child_marks_between_samples() {
    # A child's 32 MB that lives a few microseconds, between two samples: its own
    # high-water marks see it, so -M gives the child that peak and -C the tree.
    cat >spike.py <<'PY'
import os
import time

time.sleep(0.3)
pid = os.fork()
if pid == 0:
    time.sleep(0.1)  # after the child's first sample, long before its second
    block = bytearray(32_000_000)
    del block
    time.sleep(0.5)
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(0.2)
PY
    # The interpreter itself, not pyenv's python3 shim: the shim's own helper processes
    # would be children too, and which is child 0 would depend on the machine's load.
    local python
    python=$("$TEST_PYTHON" -c 'import sys; print(sys.executable)')
    expect_rc 0 mp run -M -T 0.25 -o spike.dat "$python" spike.py
    local marks
    marks=$(sed -n 's/^MPROF child_peak 0 //p' spike.dat)
    [ -n "$marks" ] || fail "no child_peak line: $(grep '^MPROF' spike.dat | tr '\n' '|')"
    [ "${marks#* }" -ge 32000057 ] || fail "the child's heap mark is ${marks#* }"
    check spike.dat "max(v for t, v in chldheap['0']) < 32000000"
    expect_rc 0 mp peak spike.dat
    local child_heap
    child_heap=$(sed -En 's/^  Child 0\t.*\theap ([0-9.]+) MiB.*/\1/p' out.txt)
    awk -v mib="$child_heap" 'BEGIN { exit !(mib >= 30.5) }' || fail "mprof peak: $(cat out.txt)"
    expect_rc 0 mp run -C -T 0.25 -o spiked.dat "$python" spike.py
    check spiked.dat "meta_int('heap_peak_bytes') >= 32000057"
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
    # A program killed at its peak sent no last VmHWM: the kernel's figure is its own,
    # not a child's.
    expect_rc 137 mp run -o killed.dat "$TEST_PYTHON" -c 'import os; b = b"x" * 100_000_000; os.kill(os.getpid(), 9)'
    ! grep -q 'a child process peaked' err.txt || fail "a killed program, hinted: $(cat err.txt)"
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
