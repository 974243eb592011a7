#!/usr/bin/env bash
# tests/integration/pipe.sh BUILD_DIR [TEST...] — the library's pipe to mprof run: a
# main process that goes on without the library or its pipe is said in the summary and
# the .dat (mprof/recorder_losses.c).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3
LOST_CLAUSE="heap known for the first [0-9]+\\.[0-9]{2} s only: the program went on without mprof's library or its pipe \\(closed descriptors, a cleared environment, an LD_PRELOAD of its own\\)"

# expect_summary FILE CLAUSE: err.txt's last line is mprof run's summary for FILE with
# CLAUSE (an extended regex) after the peaks, and nothing else.
expect_summary() {
    local last
    last=$(tail -n 1 err.txt)
    [[ $last =~ ^mprof:\ wrote\ $1\ \([0-9]+\ samples,\ peak\ RSS\ [0-9.]+\ MiB,\ (peak\ heap\ [0-9.]+\ MiB|no\ heap\ data)$2\)$ ]] ||
        fail "summary '$last' does not end in '$2'"
}

register lost_library_is_said
t_lost_library_is_said() {
    # The program holds 40 MiB each time, but after the library or its pipe is gone:
    # the heap recorded stays below it, and the summary and the .dat say why.
    local hold='import time; x = bytearray(40 << 20); time.sleep(0.3)'
    expect_rc 0 mp run -o whole.dat "$PY" -c "$hold"
    check whole.dat "heap_peak >= 40*MiB" "'heap_lost' not in meta"
    expect_summary whole.dat ""
    expect_rc 0 mp run -o closed.dat "$PY" -c "import os; os.closerange(3, 1024); $hold"
    expect_summary closed.dat "; $LOST_CLAUSE"
    expect_rc 0 mp run -o cleared.dat env -i "$PY" -c "$hold"
    expect_summary cleared.dat "; $LOST_CLAUSE"
    expect_rc 0 mp run -o preload.dat env LD_PRELOAD=libm.so.6 "$PY" -c "$hold"
    expect_summary preload.dat "; $LOST_CLAUSE"
    expect_rc 0 mp run -o empty.dat "$PY" -c \
        "import os; os.execve('$PY', ['python3', '-c', '$hold'], {})"
    expect_summary empty.dat "; $LOST_CLAUSE"
    local name
    for name in closed cleared preload empty; do
        check "$name.dat" "heap_peak < 40*MiB" "mem_peak >= 40" "meta_int('exit_status') == 0"
        grep -Eq '^MPROF heap_lost [0-9]+\.[0-9]{4}$' "$name.dat" ||
            fail "$name: $(grep heap_lost "$name.dat")"
    done
    # Ended by a signal, no image says BYE: that is no loss.
    expect_rc 137 mp run -o killed.dat "$PROGRAMS/die" kill
    check killed.dat "'heap_lost' not in meta"
    # memory_profiler's own reader skips the line.
    if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
        expect_rc 0 env MPLBACKEND=Agg python3-mprof plot -o closed.png closed.dat
        is_png closed.png || fail "python3-mprof plot of a .dat with heap_lost made no PNG"
    fi
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
