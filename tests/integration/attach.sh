# shellcheck shell=bash
# tests/integration/attach.sh — following a process mprof did not start (mprof attach,
# mprof run -a), and the run options memory_profiler has beside it: -t/--timeout,
# --backend, --python MODULE. Real processes, their real /proc figures.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"

# running PID: PID is there and not a zombie (a child of ours that ended is one until
# bash reaps it, and kill -0 still reaches it).
running() {
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$state" ] && [ "$state" != Z ]
}

register attach_pid
t_attach_pid() {
    # A process started without mprof: its command line, a MEM sample every interval
    # until it ends by itself, its RSS (32 MiB touched), and exit status 0.
    "$PROGRAMS/hold" 32 2 &
    local pid=$!
    sleep 0.8
    expect_rc 0 mp attach --all-samples -T 0.05 -o a.dat "$pid"
    [ "$(head -1 err.txt)" = "mprof: attach: recording $pid ($PROGRAMS/hold 32 2) every 0.05 s until it ends, Ctrl-C or 3600 s" ] ||
        fail "first line: $(head -1 err.txt)"
    [ "$(wc -l <err.txt)" -eq 2 ] || fail "stderr: $(cat err.txt)"
    grep -Eq "^mprof: wrote a\.dat \([0-9]+ samples, peak RSS 3[2-4]\.[0-9] MiB; $pid ended\)$" err.txt ||
        fail "summary: $(cat err.txt)"
    # 1.7 s left of the program at 0.05 s: 34 samples, give or take a loaded machine.
    check a.dat "cmdline == '$PROGRAMS/hold 32 2'" "20 <= len(mem) <= 36" \
        "32 <= mem_peak <= 35" "meta_int('attached_pid') == $pid" \
        "'exit_status' not in meta" "len(heap) == 0" "'end' in meta"
    [ "$(wc -l <out.txt)" -eq 0 ] || fail "stdout: $(cat out.txt)"
}

register attach_by_name_timeout
t_attach_by_name_timeout() {
    # By a piece of its name, as memory_profiler finds it (the lowest pid whose name
    # contains it), through mprof run -a; the timeout stops the recording, never the
    # process, and the status is 0.
    cp "$PROGRAMS/hold" ./mprofattachme
    ./mprofattachme 0 6 &
    local pid=$!
    sleep 0.3
    expect_rc 0 mp run -a -t 1 -o n.dat attachme
    running "$pid" || fail "the attached process was ended"
    kill "$pid"
    grep -q "; stopped at the 1 s timeout)$" err.txt || fail "summary: $(cat err.txt)"
    check n.dat "cmdline == './mprofattachme 0 6'" "meta['timeout'] == '1'" \
        "meta_int('attached_pid') == $pid" "meta_int('samples') <= 11" "t_end <= 1.1"
}

register attach_stop_signals
t_attach_stop_signals() {
    # Ctrl-C, SIGTERM and SIGHUP to mprof attach end the recording with status 0 and
    # a whole file; the process goes on. SIGKILL leaves the samples taken so far.
    "$PROGRAMS/hold" 8 30 &
    local pid=$! signal mprof_pid
    sleep 0.6
    for signal in INT TERM HUP KILL; do
        "$MPROF" attach --all-samples -T 0.05 -o "$signal.dat" "$pid" >"$signal.out" 2>"$signal.err" &
        mprof_pid=$!
        sleep 0.6
        kill -s "$signal" "$mprof_pid"
        wait "$mprof_pid"
        local rc=$?
        running "$pid" || fail "SIG$signal to mprof ended the attached process"
        if [ "$signal" = KILL ]; then
            [ "$rc" -eq 137 ] || fail "SIGKILL: status $rc"
            check KILL.dat "len(mem) >= 5" "mem_peak >= 8"
            expect_rc 0 mp peak KILL.dat
        else
            [ "$rc" -eq 0 ] || fail "SIG$signal: status $rc, $(cat "$signal.err")"
            grep -q "; stopped by a signal)$" "$signal.err" || fail "SIG$signal: $(cat "$signal.err")"
            check "$signal.dat" "'end' in meta" "5 <= len(mem) <= 14" "mem_peak >= 8" \
                "'timeout' not in meta"
        fi
    done
    kill "$pid"
}

register attach_without_pidfd
t_attach_without_pidfd() {
    # Under valgrind, which has no pidfd_open (as Linux before 5.3), the end of the
    # process is learned from /proc; memcheck-clean, as the file readers are.
    command -v valgrind >/dev/null || skip_test "no valgrind"
    [[ $(ldd "$MPROF") != *libasan* ]] || skip_test "an ASan build, which valgrind cannot run"
    # (5 s: valgrind's start-up alone can take 2 s on a busy machine.)
    "$PROGRAMS/hold" 8 5 &
    local pid=$!
    sleep 0.7
    expect_rc 0 timeout -k 5 60 valgrind --quiet --error-exitcode=97 --leak-check=full \
        --errors-for-leak-kinds=definite "$MPROF" attach -C -M --backend psutil_pss -o v.dat "$pid"
    grep -q "; $pid ended)$" err.txt || fail "$(cat err.txt)"
    check v.dat "mem_peak >= 8" "meta['backend'] == 'psutil_pss'" "'end' in meta"
}

register attach_escapes_its_command_line
t_attach_escapes_its_command_line() {
    # The command line is the process's own text: no ESC of it reaches the terminal.
    bash -c 'exec -a "evil$(printf "\033")[2J" "$0" 0 2' "$PROGRAMS/hold" &
    local pid=$!
    sleep 0.3
    expect_rc 0 mp attach -t 0.3 -o e.dat "$pid"
    if LC_ALL=C grep -q "$(printf '\x1b')" err.txt; then fail "an ESC reached stderr"; fi
    grep -q "^mprof: attach: recording $pid (" err.txt || fail "$(cat err.txt)"
    kill "$pid"
}

register attach_children
t_attach_children() {
    # -C sums the attached process's descendants into MEM; -M gives each its series.
    sh -c "\"$PROGRAMS/hold\" 48 3; :" &
    local pid=$!
    sleep 0.9
    expect_rc 0 mp attach -C -t 0.6 -o sum.dat "$pid"
    expect_rc 0 mp attach -M -t 0.6 -o each.dat "$pid"
    expect_rc 0 mp attach -t 0.6 -o alone.dat "$pid"
    check sum.dat "mem_peak >= 48"
    check each.dat "len(chld) == 1" "max(v for t, v in chld['0']) >= 48" "mem_peak < 10"
    check alone.dat "mem_peak < 10" "len(chld) == 0"
    kill "$pid"
}

register attach_errors
t_attach_errors() {
    expect_error 'attach: no process given: a PID or a process name \(see mprof attach --help\)$' \
        mp attach
    expect_error 'run: no process given: a PID or a process name \(see mprof run --help\)$' \
        mp run -a
    expect_error 'attach: 2147483647: no such process$' mp attach 2147483647
    expect_error 'attach: 99999999999: not a pid \(1 to 2147483647\)$' mp attach 99999999999
    expect_error 'attach: 0: not a pid \(1 to 2147483647\)$' mp attach 0
    expect_error 'run: zz-no-such-process-qq: no such process: not a pid, nor part of the name of a running process$' \
        mp run -a zz-no-such-process-qq
    expect_error 'attach: 2: a kernel thread, which has no memory of its own to record$' mp attach 2
    expect_error 'attach: 1 2: one process only, a PID or a process name \(see mprof attach --help\)$' \
        mp attach 1 2
    expect_error 'attach: --backend tracemalloc: the heap of a running process cannot be read from outside it \(psutil, psutil_pss, psutil_uss or posix\)$' \
        mp attach --backend tracemalloc 1
    # Its own pid: exec keeps the shell's.
    expect_error "attach: ([0-9]+): that is this mprof itself$" sh -c "exec \"$MPROF\" attach \$\$"
    # Another user's process: its smaps_rollup is its owner's to read (statm is not).
    if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        sleep 5 &
        local root_pid=$!
        expect_error "attach: $root_pid: cannot read its memory \\(/proc/$root_pid/smaps_rollup\\): Permission denied$" \
            setpriv --reuid=65534 --regid=65534 --clear-groups "$MPROF" attach --backend psutil_pss "$root_pid"
        kill "$root_pid"
    fi
    [ ! -e mprofile_*.dat ] 2>/dev/null || fail "an error left a .dat: $(ls)"
}

register attach_help
t_attach_help() {
    expect_rc 0 mp attach --help
    [ "$(head -1 out.txt)" = 'usage: mprof attach [options] PID|NAME' ] || fail "$(head -1 out.txt)"
    grep -q '^  -t, --timeout SECONDS   stop recording after SECONDS (default 3600)$' out.txt ||
        fail "no -t in: $(cat out.txt)"
    expect_rc 0 mp run --help
    grep -q '^  -a, --attach  ' out.txt || fail "run --help has no -a, --attach"
    grep -q '^      --all-samples  ' out.txt || fail "run --help has no long-only --all-samples"
    grep -q '^  -t, --timeout SECONDS  ' out.txt || fail "run --help has no -t"
    grep -q '^      --backend NAME  ' out.txt || fail "run --help has no --backend"
    expect_rc 0 mp --help
    grep -q '^  mprof attach \[options\] PID|NAME$' out.txt || fail "mprof --help: $(cat out.txt)"
    expect_rc 0 mp attach --version
    grep -Eq '^mprof [0-9]' out.txt || fail "$(cat out.txt)"
    # -a is --attach now: what followed it is a process to find, not a program to run.
    expect_error 'run: \./prog: no such process: not a pid, nor part of the name of a running process$' \
        mp run -a ./prog
}

# run_target RUN_PID NAME: the pid of RUN_PID's child NAME once it runs (empty if never).
run_target() {
    local pid="" tries=0
    while [ -z "$pid" ] && [ "$tries" -lt 50 ]; do
        sleep 0.05
        pid=$(pgrep -P "$1" "$2")
        tries=$((tries + 1))
    done
    echo "$pid"
}

# no_new_heap OUTER INNER: every HEAP line of OUTER (attach's) is one INNER (the run's)
# has, to the byte and the time: attach made none up.
no_new_heap() {
    comm -23 <(grep '^HEAP ' "$1" | sort) <(grep '^HEAP ' "$2" | sort) >extra.txt
    [ ! -s extra.txt ] || fail "HEAP lines the run never had: $(head -3 extra.txt)"
}

register attach_under_library
t_attach_under_library() {
    # A process that runs under mprof run already: attach records its RSS and its exact
    # heap, read from the run's shared page, and takes nothing from the other run, whose
    # heap stays exact.
    "$MPROF" run --all-samples -o inner.dat "$PROGRAMS/hold" 16 2.5 >inner.out 2>inner.err &
    local run_pid=$! pid
    pid=$(run_target "$run_pid" hold)
    [ -n "$pid" ] || fail "hold never started under mprof run"
    sleep 0.8
    expect_rc 0 mp attach -t 1 -o outer.dat "$pid"
    [ "$(wc -l <err.txt)" -eq 2 ] || fail "stderr: $(cat err.txt)"
    grep -Eq "^mprof: wrote outer\.dat \([0-9]+ samples, peak RSS [0-9.]+ MiB, peak heap 16\.0 MiB; stopped at the 1 s timeout\)$" err.txt ||
        fail "summary: $(cat err.txt)"
    wait "$run_pid" || fail "the inner run failed: $(cat inner.err)"
    check outer.dat "mem_peak >= 16" "meta_int('heap_samples') >= 5" "len(heap) >= 2" \
        "all(v == 16 * MiB for t, v in heap)" "heap_peak == 16 * MiB" \
        "meta_int('heap_peak_bytes') == 16 * MiB" "'notice' not in meta"
    check inner.dat "heap_peak == 16 * MiB" "len(heap) >= 25"
    no_new_heap outer.dat inner.dat
}

register attach_heap_peak_between_samples
t_attach_heap_peak_between_samples() {
    # A 48 MiB spike between two of attach's samples (0.5 s apart) is its peak all the
    # same, from the library's high-water mark, as it is the run's; the last sample,
    # sent at the program's exit, is the file's last HEAP.
    "$MPROF" run --all-samples -o inner.dat "$PROGRAMS/hold" 16 1 48 0.02 16 1 >inner.out 2>inner.err &
    local run_pid=$! pid
    pid=$(run_target "$run_pid" hold)
    [ -n "$pid" ] || fail "hold never started under mprof run"
    sleep 0.7
    expect_rc 0 mp attach --all-samples -T 0.5 -o outer.dat "$pid"
    grep -Eq "peak heap 48\.0 MiB; $pid ended\)$" err.txt || fail "summary: $(cat err.txt)"
    wait "$run_pid" || fail "the inner run failed: $(cat inner.err)"
    check inner.dat "meta_int('heap_peak_bytes') == 48 * MiB"
    check outer.dat "meta_int('heap_peak_bytes') == 48 * MiB" "len(heap) >= 3" "heap[-1][1] == 0" \
        "all(v in (0, 16 * MiB, 48 * MiB) for t, v in heap)" "16 * MiB in [v for t, v in heap]"
    no_new_heap outer.dat inner.dat
}

register attach_library_without_page
t_attach_library_without_page() {
    # The library without its run's page: loaded by hand (no run), or under a run whose
    # program closed the page's descriptor. RSS is recorded, and why the heap is not.
    local why
    LD_PRELOAD=$BUILD/lib/mprof/libmprof.so "$PROGRAMS/hold" 8 2 &
    local pid=$!
    sleep 0.8
    expect_rc 0 mp attach -t 0.6 -o hand.dat "$pid"
    why="$pid runs libmprof.so, but its heap cannot be read: it holds no mprof-counters page (not started by this mprof's run, or it closed the descriptor); this file has its RSS only"
    grep -qxF "mprof: $why" err.txt || fail "no notice: $(cat err.txt)"
    grep -qxF "MPROF notice $why" hand.dat || fail "no notice in the .dat: $(grep MPROF hand.dat)"
    check hand.dat "mem_peak >= 8" "len(heap) == 0"
    kill "$pid"
    "$MPROF" run -o inner.dat /usr/bin/python3 -c 'import os, time
os.close(int(os.environ["MPROF_COUNTERS"].split(":")[0]))
block = bytearray(24 << 20)
time.sleep(2.5)' >inner.out 2>inner.err &
    local run_pid=$!
    pid=$(run_target "$run_pid" python3)
    [ -n "$pid" ] || fail "python3 never started under mprof run"
    sleep 0.8
    expect_rc 0 mp attach -t 0.6 -o closed.dat "$pid"
    why="$pid runs libmprof.so, but its heap cannot be read: it holds no mprof-counters page (not started by this mprof's run, or it closed the descriptor); this file has its RSS only"
    grep -qxF "mprof: $why" err.txt || fail "no notice: $(cat err.txt)"
    grep -qxF "MPROF notice $why" closed.dat || fail "no notice in the .dat: $(grep MPROF closed.dat)"
    check closed.dat "mem_peak >= 24" "len(heap) == 0"
    wait "$run_pid" || fail "the inner run failed: $(cat inner.err)"
    # The run itself keeps the heap: the page stays mapped in the library.
    check inner.dat "heap_peak >= 24 * MiB"
    # A child of a run without -C holds the page but reports nothing, so has no slot;
    # with -C it reports, and its heap is read.
    local children
    for children in "" -C; do
        "$MPROF" run $children -o "run$children.dat" /bin/sh -c "\"$PROGRAMS/hold\" 12 2.5; :" \
            >tree.out 2>tree.err &
        run_pid=$!
        local shell_pid
        shell_pid=$(run_target "$run_pid" sh)
        pid=$(run_target "$shell_pid" hold)
        [ -n "$pid" ] || fail "hold never started under mprof run $children"
        sleep 0.8
        expect_rc 0 mp attach -t 0.6 -o "attach$children.dat" "$pid"
        wait "$run_pid" || fail "the run $children failed: $(cat tree.err)"
        if [ -z "$children" ]; then
            why="$pid runs libmprof.so, but its heap cannot be read: its library publishes no heap (a child process of a run without -C or -M, or every slot taken); this file has its RSS only"
            grep -qxF "mprof: $why" err.txt || fail "no notice: $(cat err.txt)"
            check attach.dat "mem_peak >= 12" "len(heap) == 0"
        else
            check attach-C.dat "mem_peak >= 12" "heap_peak == 12 * MiB" \
                "meta_int('heap_peak_bytes') == 12 * MiB" "'notice' not in meta"
            check run-C.dat "meta_int('heap_peak_bytes') >= 12 * MiB"  # with the shell's own
        fi
    done
    # Another user's run: its maps and descriptors are its owner's to read.
    if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        "$MPROF" run -o root.dat "$PROGRAMS/hold" 8 2.5 >root.out 2>root.err &
        run_pid=$!
        pid=$(run_target "$run_pid" hold)
        [ -n "$pid" ] || fail "hold never started under mprof run"
        sleep 0.6
        local other
        other=$(mktemp -d)
        chmod 777 "$other"
        expect_rc 0 setpriv --reuid=65534 --regid=65534 --clear-groups "$MPROF" attach -t 0.6 \
            -o "$other/other.dat" "$pid"
        grep -qxF "mprof: /proc/$pid/maps cannot be read (Permission denied: another user's process): its heap, if it runs libmprof.so, is not recorded; this file has its RSS only" err.txt ||
            fail "no notice: $(cat err.txt)"
        check "$other/other.dat" "mem_peak >= 8" "len(heap) == 0"
        rm -rf "$other"
        wait "$run_pid" || fail "the root run failed: $(cat root.err)"
    fi
}

register run_timeout
t_run_timeout() {
    # -t stops the program: SIGTERM at the timeout, the profile whole, status 124, and
    # its own status (143) in the .dat and the summary.
    local start end
    start=$(date +%s%N)
    expect_rc 124 mp run -t 1 -o t.dat "$PROGRAMS/hold" 8 20
    end=$(date +%s%N)
    [ $(((end - start) / 1000000)) -lt 2500 ] || fail "took $(((end - start) / 1000000)) ms"
    grep -Eq "^mprof: wrote t\.dat \([0-9]+ samples, peak RSS [0-9.]+ MiB, peak heap 8\.0 MiB; stopped at the 1 s timeout, exit status 143\)$" err.txt ||
        fail "summary: $(cat err.txt)"
    check t.dat "meta['timeout'] == '1'" "meta['exit_status'] == '143'" "meta['signal'] == '15'" \
        "heap_peak == 8 * MiB" "t_end <= 1.2" "'end' in meta"
    # One that ignores SIGTERM gets SIGKILL 2 s later.
    start=$(date +%s%N)
    expect_rc 124 mp run -t 0.5 -o k.dat /usr/bin/python3 -c \
        'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(30)'
    end=$(date +%s%N)
    local took=$(((end - start) / 1000000))
    [ "$took" -ge 2400 ] && [ "$took" -lt 4500 ] || fail "SIGKILL after $took ms"
    check k.dat "meta['signal'] == '9'" "meta['exit_status'] == '137'" "meta['timeout'] == '0.5'"
    # A program that ends first is not touched: its own status, no timeout.
    expect_rc 3 mp run -t 5 -o early.dat /bin/sh -c 'exit 3'
    check early.dat "'timeout' not in meta" "meta['exit_status'] == '3'"
    expect_error 'run: -t 0: not a number of seconds above 0 \(at most a year; see mprof run --help\)$' \
        mp run -t 0 /bin/true
    expect_error 'run: -t soon: not a number of seconds above 0 \(at most a year; see mprof run --help\)$' \
        mp run --timeout soon /bin/true
}

# backend_peak FILE: the highest MEM of FILE in bytes.
backend_peak() {
    /usr/bin/python3 -c 'import sys
print(max(int(round(float(l.split()[1]) * 1048576)) for l in open(sys.argv[1]) if l.startswith("MEM ")))' "$1"
}

register run_backends
t_run_backends() {
    # What MEM holds: RSS (psutil, posix), PSS, USS of the same 64 MiB touched, the
    # exact heap (tracemalloc); each named in the .dat, the default not.
    local backend
    for backend in psutil posix psutil_pss psutil_uss tracemalloc; do
        expect_rc 0 mp run --backend "$backend" -o "$backend.dat" "$PROGRAMS/hold" 64 1
        cp err.txt "$backend.err"
    done
    check psutil.dat "'backend' not in meta"
    check posix.dat "meta['backend'] == 'posix'" "64 <= mem_peak <= 68"
    check psutil_pss.dat "meta['backend'] == 'psutil_pss'" "64 <= mem_peak <= 68" \
        "'rss_hwm_bytes' not in meta"
    check psutil_uss.dat "meta['backend'] == 'psutil_uss'" "64 <= mem_peak <= 68"
    grep -q 'peak PSS 6[4-8]\.[0-9] MiB' psutil_pss.err || fail "$(cat psutil_pss.err)"
    grep -q 'peak USS 6[4-8]\.[0-9] MiB' psutil_uss.err || fail "$(cat psutil_uss.err)"
    local rss pss uss
    rss=$(backend_peak psutil.dat)
    pss=$(backend_peak psutil_pss.dat)
    uss=$(backend_peak psutil_uss.dat)
    # Three runs of one program: the shared pages add to RSS, a share of them to PSS,
    # none to USS; the private 64 MiB are in each.
    [ "$uss" -le "$pss" ] && [ "$pss" -le "$rss" ] || fail "USS $uss, PSS $pss, RSS $rss"
    # The heap, to the byte: hold allocates nothing but its block.
    check tracemalloc.dat "meta['backend'] == 'tracemalloc'" "mem_peak == 64" \
        "meta_int('rss_peak_bytes') == 64 * MiB" "heap_peak == 64 * MiB" \
        "len(mem) == len(heap)"
    grep -Eq '^mprof: wrote tracemalloc\.dat \([0-9]+ samples, peak heap 64\.0 MiB\)$' tracemalloc.err ||
        fail "$(cat tracemalloc.err)"
    # A plot says what MEM is: PSS's peak is labelled so, RSS stays RSS.
    expect_rc 0 mp plot --terminal psutil_pss.dat
    grep -Eq 'PSS peak 6[4-8]\.[0-9]{3} MiB at' out.txt || fail "no PSS peak: $(cat out.txt)"
    if grep -q 'RSS' out.txt; then fail "a PSS plot says RSS: $(grep RSS out.txt)"; fi
    expect_rc 0 mp plot --terminal psutil.dat
    grep -q 'RSS peak' out.txt || fail "no RSS peak: $(cat out.txt)"
    expect_error 'run: --backend rss: not a backend \(psutil, psutil_pss, psutil_uss, posix or tracemalloc; see mprof run --help\)$' \
        mp run --backend rss /bin/true
}

register attach_pss_matches_smaps
t_attach_pss_matches_smaps() {
    # PSS and USS as the kernel gives them for that process at that moment.
    "$PROGRAMS/hold" 40 4 &
    local pid=$!
    sleep 1
    local kib_pss kib_uss
    kib_pss=$(awk '$1 == "Pss:" { print $2 }' "/proc/$pid/smaps_rollup")
    kib_uss=$(awk '$1 ~ /^Private_/ { s += $2 } END { print s }' "/proc/$pid/smaps_rollup")
    expect_rc 0 mp attach --backend psutil_pss --all-samples -t 0.5 -o pss.dat "$pid"
    expect_rc 0 mp attach --backend psutil_uss --all-samples -t 0.5 -o uss.dat "$pid"
    check pss.dat "all(abs(v * 1024 - $kib_pss) <= 256 for t, v in mem)" "len(mem) >= 4"
    check uss.dat "all(abs(v * 1024 - $kib_uss) <= 256 for t, v in mem)" \
        "max(v for t, v in mem) <= min(v for t, v in mem) + 0.25"
    [ "$kib_uss" -le "$kib_pss" ] || fail "USS $kib_uss kB above PSS $kib_pss kB"
    kill "$pid"
}

register run_python_module
t_run_python_module() {
    # memory_profiler's "Option 4": --python MODULE is python3 -m MODULE; a file that is
    # not .py still runs as a script.
    printf '{"b": [1, 2]}\n' >in.json
    expect_rc 0 mp run --python -o m.dat json.tool in.json
    [ "$(cat out.txt)" = "$(python3 -m json.tool in.json)" ] || fail "stdout: $(cat out.txt)"
    check m.dat "cmdline == 'python3 -m json.tool in.json'" "len(heap) >= 1"
    printf 'import sys\nprint("script", sys.argv[1])\n' >plainscript
    expect_rc 0 mp run --python -o s.dat plainscript x
    [ "$(cat out.txt)" = "script x" ] || fail "stdout: $(cat out.txt)"
    check s.dat "cmdline == 'python3 plainscript x'"
    expect_rc 1 mp run --python -o bad.dat no_such_module_qq
    grep -q 'No module named no_such_module_qq' err.txt || fail "$(cat err.txt)"
}

register run_python_package_directory
t_run_python_package_directory() {
    # --python NAME where NAME is a package directory here runs it as the module it is
    # (python3 -m NAME, as memory_profiler does), so its relative imports work; named
    # with a '/', it is a directory python runs as given.
    mkdir -p apkg
    printf 'VALUE = 42\n' >apkg/util.py
    : >apkg/__init__.py
    printf 'from .util import VALUE\nprint("ok", VALUE)\n' >apkg/__main__.py
    expect_rc 0 mp run --python -o pkg.dat apkg
    [ "$(cat out.txt)" = "ok 42" ] || fail "stdout: $(cat out.txt); stderr: $(cat err.txt)"
    check pkg.dat "cmdline == 'python3 -m apkg'"
    expect_rc 1 mp run --python -o pkg2.dat ./apkg
    grep -q 'ImportError' err.txt || fail "./apkg: $(cat err.txt)"
    check pkg2.dat "cmdline == 'python3 ./apkg'"
}

register run_child_hint_is_rss_against_rss
t_run_child_hint_is_rss_against_rss() {
    # The "a child process peaked" hint sets the children's RSS against the program's own
    # RSS peak under every backend: PSS, USS and the heap are below RSS by nature, and a
    # program with no child has no hint. One with a 48 MiB child has it under each.
    local backend
    for backend in psutil psutil_pss psutil_uss posix tracemalloc; do
        expect_rc 0 mp run --backend "$backend" -o nochild.dat /usr/bin/python3 -c 'import time; time.sleep(0.3)'
        if grep -q 'a child process peaked' err.txt; then fail "$backend, no child: $(cat err.txt)"; fi
        expect_rc 0 mp run --backend "$backend" -o child.dat /bin/sh -c "/usr/bin/python3 -c 'x = bytearray(48 << 20)'"
        grep -q 'a child process peaked at [5-9][0-9]\.[0-9] MiB RSS' err.txt || fail "$backend, child: $(cat err.txt)"
    done
}

register attach_refuses_program_options
t_attach_refuses_program_options() {
    # What only a started program has (python3, the @profile tables) is refused by attach,
    # in either spelling, with one line and the usage status.
    local option
    for option in --python --nopython --no-report "--unit KiB" "--report-file r.txt" "--precision 2"; do
        # shellcheck disable=SC2086 # the option and its value are two words
        expect_error "attach: ${option%% *}: for a program mprof starts \(the @profile tables, python3\), not one attached to \(see mprof attach --help\)$" \
            mp attach $option 1
        [ "$(wc -l <err.txt)" -eq 1 ] || fail "$option: $(cat err.txt)"
        # shellcheck disable=SC2086
        expect_error "run: ${option%% *}: for a program mprof starts" mp run $option -a 1
    done
}

register attach_write_failure_stops
t_attach_write_failure_stops() {
    # A full disk (a file size limit) ends the recording at the first failed write, with
    # the error, status 1, and a file of whole lines; the process goes on.
    "$PROGRAMS/hold" 4 12 &
    local pid=$! start end
    sleep 0.3
    start=$(date +%s%N)
    ( ulimit -f 2; trap '' XFSZ
      exec "$MPROF" attach --all-samples -T 0.005 -o full.dat "$pid" ) >out.txt 2>err.txt
    local rc=$?
    end=$(date +%s%N)
    running "$pid" || fail "the attached process was ended"
    kill "$pid"
    [ "$rc" -eq 1 ] || fail "status $rc: $(cat err.txt)"
    grep -q '^mprof: full\.dat: write failed: File too large: it keeps the [0-9]* bytes of whole lines written before, not the end$' err.txt ||
        fail "no write failure said: '$(cat err.txt)'"
    if grep -q 'wrote' err.txt; then fail "a failed write said 'wrote': '$(cat err.txt)'"; fi
    [ "$(tail -c 1 full.dat | od -An -c | tr -d ' ')" = '\n' ] || fail "full.dat ends in a cut line"
    # 2 KiB of samples at 5 ms take well under 6 s; polling on would last the 12 s.
    [ $(( (end - start) / 1000000 )) -lt 6000 ] || fail "went on after the failure: $(( (end - start) / 1000000 )) ms"
    expect_rc 0 mp peak full.dat
}

register run_write_failure_beats_timeout
t_run_write_failure_beats_timeout() {
    # The write failure wins over -t's 124 and the program's own status: 1.
    ( ulimit -f 2; trap '' XFSZ
      exec "$MPROF" run --all-samples -T 0.005 -t 2 -o full.dat "$PROGRAMS/hold" 4 20 ) >out.txt 2>err.txt
    local rc=$?
    [ "$rc" -eq 1 ] || fail "status $rc: $(cat err.txt)"
    grep -q '^mprof: full\.dat: write failed: File too large' err.txt || fail "$(cat err.txt)"
}

register attach_children_skip_this_mprof
t_attach_children_skip_this_mprof() {
    # Attached to its own shell with -M, mprof is not one of the shell's children: only
    # the sleep is.
    expect_rc 0 timeout 20 sh -c 'sleep 3 & sleep 0.2; "$0" attach -M --all-samples -T 0.05 -t 1 -o self.dat $$; wait' "$MPROF"
    check self.dat "len(chld) == 1" "meta_int('attached_pid') > 0"
}

register attach_error_names_what_was_typed
t_attach_error_names_what_was_typed() {
    # Found by a name, the process is named by it and the pid it found.
    if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then skip_test "needs root and setpriv"; fi
    cp "$PROGRAMS/hold" ./mprofnamedhold
    ./mprofnamedhold 0 5 &
    local pid=$!
    sleep 0.2
    expect_error "attach: namedhold \\(process $pid\\): cannot read its memory \\(/proc/$pid/smaps_rollup\\): Permission denied$" \
        setpriv --reuid=65534 --regid=65534 --clear-groups "$MPROF" attach --backend psutil_pss namedhold
    kill "$pid"
}

register run_timeout_ends_the_group
t_run_timeout_ends_the_group() {
    # As timeout(1): the program runs in a process group of its own, which the timeout
    # signals whole, so what it started does not outlive it.
    expect_rc 124 mp run -t 1 -o grp.dat sh -c 'sleep 37 & echo $! >sleeper.pid; sleep 38; echo hi'
    local sleeper
    sleeper=$(cat sleeper.pid)
    sleep 0.2
    if running "$sleeper"; then kill "$sleeper"; fail "the program's child outlived the timeout"; fi
    [ "$(cat out.txt)" = "" ] || fail "stdout: $(cat out.txt)"
}

# A Python program that runs mprof run ARGS... on a new terminal, types Ctrl-C at it
# after 1 s, and prints what the terminal showed and "status N".
PTY_CTRL_C='
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "run", *sys.argv[2:]])
time.sleep(1.0)
os.write(fd, b"\x03")
out = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
status = os.waitpid(pid, 0)[1]
sys.stdout.write(out.decode(errors="replace"))
print("status", os.waitstatus_to_exitcode(status))
'

register run_timeout_keeps_ctrl_c
t_run_timeout_keeps_ctrl_c() {
    # At a terminal, the program's group has it under -t: Ctrl-C reaches the program (and
    # what it started) as without -t, and mprof writes the file and passes the status on.
    local option
    for option in "" "-t 20"; do
        # shellcheck disable=SC2086 # no option, or -t and its value
        "$TEST_PYTHON" -c "$PTY_CTRL_C" "$MPROF" $option -o int.dat sh -c 'sleep 30; echo after' \
            >pty.txt 2>&1 || fail "${option:-no -t}: $(cat pty.txt)"
        grep -q '^status 130' pty.txt || fail "${option:-no -t}: $(cat pty.txt)"
        grep -q 'mprof: wrote int\.dat' pty.txt || fail "${option:-no -t}: $(cat pty.txt)"
        if grep -q after pty.txt; then fail "${option:-no -t}: the program went on: $(cat pty.txt)"; fi
    done
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
