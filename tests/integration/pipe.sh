#!/usr/bin/env bash
# tests/integration/pipe.sh BUILD_DIR [TEST...] — the library's pipe to mprof run: the
# library writes into the very pipe mprof run made or nowhere (preload/wire/writer.c,
# preload/lifecycle/init.c, mprof/run_channel.c), its environment numbers are read
# within their ranges, a main process that goes on without the library or its pipe is
# said in the summary and the .dat (mprof/recorder_losses.c), and a stopped mprof run
# holds the program a bounded time, what was dropped counted and said.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3
LOST_CLAUSE="heap known for the first [0-9]+\\.[0-9]{2} s only: the program went on without mprof's library or its pipe \\(closed descriptors, a cleared environment, an LD_PRELOAD of its own\\)"

# reader_of FIFO OUT: a reader that copies FIFO into OUT until its last writer is gone;
# its pid in READER.
reader_of() {
    mkfifo "$1"
    cat "$1" >"$2" &
    READER=$!
}

# expect_summary FILE CLAUSE: err.txt's last line is mprof run's summary for FILE with
# CLAUSE (an extended regex) after the peaks, and nothing else.
expect_summary() {
    local last
    last=$(tail -n 1 err.txt)
    [[ $last =~ ^mprof:\ wrote\ $1\ \([0-9]+\ samples,\ peak\ RSS\ [0-9.]+\ MiB,\ (peak\ heap\ [0-9.]+\ MiB|no\ heap\ data)$2\)$ ]] ||
        fail "summary '$last' does not end in '$2'"
}

register exec_never_writes_into_the_programs_pipe
t_exec_never_writes_into_the_programs_pipe() {
    # The program puts a pipe of its own at our descriptor's number, then execs: the new
    # image finds a FIFO there, but not ours, and writes nothing into it.
    reader_of theirs theirs.bin
    expect_rc 0 mp run -o ours.dat bash -c \
        'eval "exec $MPROF_FD>&-; exec $MPROF_FD>theirs"; exec /bin/echo hi'
    wait "$READER"
    cmp -s theirs.bin /dev/null || fail "the program's pipe got $(stat -c %s theirs.bin) bytes of ours: $(od -c theirs.bin | head -n 2)"
    [ "$(cat out.txt)" = hi ] || fail "stdout '$(cat out.txt)', expected 'hi'"
    [ "$(wc -l <err.txt)" -eq 2 ] || fail "stderr has $(wc -l <err.txt) lines: $(tr '\n' '|' <err.txt)"
    grep -Eqx "mprof: descriptor [0-9]+ \\(MPROF_FD\\) is not the pipe mprof run made \\(closed, reused or set by the program\\): pid [0-9]+ is not profiled" \
        <(head -n 1 err.txt) || fail "no notice of the foreign pipe: $(head -n 1 err.txt)"
    expect_summary ours.dat "; $LOST_CLAUSE"
    check ours.dat "'heap_lost' in meta" "meta_int('exit_status') == 0"
    # Said once per process, however many images it execs after.
    expect_rc 0 mp run -o chain.dat bash -c \
        'eval "exec $MPROF_FD>&-"; exec bash -c "exec bash -c \"exec /bin/echo hi\""'
    [ "$(cat out.txt)" = hi ] || fail "stdout '$(cat out.txt)', expected 'hi'"
    [ "$(grep -c 'is not the pipe mprof run made' err.txt)" -eq 1 ] &&
        [ "$(wc -l <err.txt)" -eq 2 ] || fail "not one notice: $(tr '\n' '|' <err.txt)"
    expect_summary chain.dat "; $LOST_CLAUSE"
}

register children_never_write_into_the_programs_pipe
t_children_never_write_into_the_programs_pipe() {
    # subprocess closes every descriptor above 2 in the child; the child reuses our
    # number for a pipe of its own and execs. With -C and -M children report, through
    # our pipe only: theirs stays empty, and the children are quiet about it.
    local mode
    for mode in -C -M; do
        reader_of "theirs$mode" "theirs$mode.bin"
        expect_rc 0 mp run "$mode" -o "ours$mode.dat" "$PY" -c '
import os, subprocess, sys
fd = os.environ["MPROF_FD"]
subprocess.run(["bash", "-c", "exec %s>%s; exec /bin/echo hi" % (fd, sys.argv[1])], check=True)
' "theirs$mode"
        wait "$READER"
        cmp -s "theirs$mode.bin" /dev/null ||
            fail "$mode: the child's pipe got $(stat -c %s "theirs$mode.bin") bytes of ours"
        [ "$(cat out.txt)" = hi ] || fail "$mode: stdout '$(cat out.txt)', expected 'hi'"
        [ "$(wc -l <err.txt)" -eq 1 ] || fail "$mode: stderr has more than the summary: $(tr '\n' '|' <err.txt)"
        expect_summary "ours$mode.dat" ""
    done
}

register environment_numbers_in_range
t_environment_numbers_in_range() {
    # A hand-set MPROF_FD never makes the library write into stdout (here a pipe):
    # 4294967297 is no descriptor (not 1 cut to 32 bits), and 1 is not our pipe.
    local fd
    for fd in 1 4294967297 -1 5x; do
        mp run -o "fd$fd.dat" env MPROF_FD="$fd" /bin/echo hi 2>err.txt | cat >out.bin
        [ "${PIPESTATUS[0]}" -eq 0 ] || fail "MPROF_FD=$fd: mprof run failed: $(tr '\n' '|' <err.txt)"
        cmp -s out.bin <(printf 'hi\n') || fail "MPROF_FD=$fd: stdout is $(od -c out.bin | head -n 3)"
        grep -Eq "^mprof: (descriptor 1 \\(MPROF_FD\\) is not the pipe mprof run made|MPROF_FD is no descriptor number \\(0 to 2147483647\\))" err.txt ||
            fail "MPROF_FD=$fd: not said: $(tr '\n' '|' <err.txt)"
        expect_summary "fd$fd.dat" "; $LOST_CLAUSE"
    done
    # An interval outside protocol.h's bounds is not sampled at: the library takes its
    # default, which its echo shows.
    local ns
    for ns in 1 18446744073709551616 86400000000001; do
        expect_rc 0 mp run -T 0.01 -o "ns$ns.dat" env MPROF_INTERVAL_NS=$ns "$PROGRAMS/hold" 0 0.3
        grep -Eq '^mprof: [0-9]+: the library samples every 0\.1 s, not the 0\.01 s asked for' err.txt ||
            fail "MPROF_INTERVAL_NS=$ns: $(tr '\n' '|' <err.txt)"
        check "ns$ns.dat" "meta_int('library_interval_ns') == 100000000"
    done
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

register stopped_cli_never_holds_the_program
t_stopped_cli_never_holds_the_program() {
    # mprof run is stopped from the start: at 1 ms the pipe fills within 1.2 s. The
    # program ends at 2.5 s and must be gone (a zombie) at once: the library waited 1 s
    # at most for room, then dropped and counted what did not fit.
    "$MPROF" run -T 0.001 -o stop.dat bash -c 'sleep 2.5; : >ended' >out.txt 2>err.txt &
    local run=$! target="" state="" i
    for i in $(seq 500); do
        target=$(pgrep -P "$run" bash) && break
        sleep 0.01
    done
    kill -STOP "$run"
    [ -n "$target" ] || { kill -CONT "$run"; fail "no target found under mprof run"; }
    for i in $(seq 200); do
        [ -e ended ] && break
        sleep 0.05
    done
    [ -e ended ] || { kill -CONT "$run"; fail "the program did not end its work"; }
    # 2 s: twice the longest wait, so a loaded machine does not fail it; a blocked write
    # (the old behaviour) waits for as long as mprof run is stopped.
    for i in $(seq 40); do
        state=$(awk '{ print $3 }' "/proc/$target/stat" 2>/dev/null)
        [ "$state" = Z ] || [ -z "$state" ] && break
        sleep 0.05
    done
    local wchan
    wchan=$(cat "/proc/$target/wchan" 2>/dev/null)
    kill -CONT "$run"
    wait "$run"
    local rc=$?
    [ "$state" = Z ] || [ -z "$state" ] ||
        fail "the program was still there ($state, in $wchan) 2 s after its end, mprof run stopped"
    [ "$rc" -eq 0 ] || fail "mprof run exited $rc: $(tr '\n' '|' <err.txt)"
    local records bytes
    records=$(sed -n 's/^MPROF dropped_records //p' stop.dat)
    bytes=$(sed -n 's/^MPROF dropped_bytes //p' stop.dat)
    [ -n "$records" ] && [ "$records" -gt 0 ] || fail "no dropped records said: $(grep MPROF stop.dat | tr '\n' '|')"
    # Samples (56 B) and the last BYE (16 B) are what a stopped reader loses.
    [ "$bytes" -le $((records * 56)) ] && [ "$bytes" -ge $((records * 16)) ] ||
        fail "$records records in $bytes B"
    expect_summary stop.dat "; $records records \\($bytes B\\) dropped: mprof run did not read them in time \\(stopped or too slow\\)"
    check stop.dat "'heap_lost' not in meta" "meta_int('exit_status') == 0"
    if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
        expect_rc 0 env MPLBACKEND=Agg python3-mprof plot -o stop.png stop.dat
        is_png stop.png || fail "python3-mprof plot of a .dat with dropped_records made no PNG"
    fi
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
