# shellcheck shell=bash
# tests/long/stress.sh — the stress programs of tests/long/programs/ (and jemalloc_mix
# of tests/programs/), each run bare and under mprof run: the same exit status, the
# same stdout, and the heap the .dat records exact to the byte where the program's
# design makes it exact (finish.h: what a `keep` run holds at exit beyond a `free` run,
# and each run's peak above its heap at exit).
#   bash tests/long/stress.sh BUILD_DIR [TEST...]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../integration/lib.sh"

# The kept set of finish.h: 100 blocks of 1,000 + 37 i bytes.
FINISH_KEPT_BYTES=283150
# The block finish.h asks for last, untouched, and frees.
FINISH_PEAK_BYTES=300000007

# meta FILE KEY: one MPROF value of a .dat.
meta() {
    sed -n "s/^MPROF $2 //p" "$1"
}

# run_pair PROGRAM ARGS...: PROGRAM keep ARGS bare (bare.out, bare.err) and under mprof
# run (keep.dat, keep.out), then PROGRAM free ARGS under mprof run (free.dat,
# free.out). Fails unless all three exit 0 (each program checks itself and exits
# non-zero on anything wrong), the mprof keep run's stdout is the bare run's byte for
# byte, the free run's is that too with nothing kept, and both .dat files end whole with
# the exit status and no heap lost and nothing dropped.
run_pair() {
    local program=$1 status
    shift
    "$program" keep "$@" >bare.out 2>bare.err
    status=$?
    [ "$status" -eq 0 ] || fail "bare ${program##*/} keep exited $status: $(head -c 400 bare.err | tr '\n' '|')"
    mp run -o keep.dat "$program" keep "$@" >keep.out 2>keep.err
    status=$?
    [ "$status" -eq 0 ] || fail "mprof run ${program##*/} keep exited $status (bare: 0): $(head -c 400 keep.err | tr '\n' '|')"
    cmp -s bare.out keep.out || fail "${program##*/} keep: stdout under mprof '$(cat keep.out)', bare '$(cat bare.out)'"
    mp run -o free.dat "$program" free "$@" >free.out 2>free.err
    status=$?
    [ "$status" -eq 0 ] || fail "mprof run ${program##*/} free exited $status: $(head -c 400 free.err | tr '\n' '|')"
    sed 's/; kept [0-9]* bytes$/; kept 0 bytes/' bare.out | cmp -s - free.out ||
        fail "${program##*/} free: stdout under mprof '$(cat free.out)', bare keep '$(cat bare.out)'"
    local dat
    for dat in keep.dat free.dat; do
        check "$dat" "meta.get('exit_status') == '0'" "'heap_lost' not in meta" \
            "meta.get('dropped_records', '0') == '0'" "'end' in meta"
    done
}

# said_number LABEL: the number after LABEL in the bare run's line ("kept", "ring of").
said_number() {
    sed -n "s/.*[;,] $1 \([0-9]*\) bytes.*/\1/p" bare.out
}

# exact_kept WANT: the program says it kept WANT bytes, and the keep run's heap at exit
# is exactly that above the free run's.
exact_kept() {
    local kept
    kept=$(said_number kept)
    [ "$kept" = "$1" ] || fail "the program says it kept '$kept' bytes, expected $1: $(cat bare.out)"
    local with without
    with=$(meta keep.dat heap_exit_bytes)
    without=$(meta free.dat heap_exit_bytes)
    [ -n "$with" ] && [ -n "$without" ] && [ $((with - without)) -eq "$1" ] ||
        fail "heap at exit: keep $with B, free $without B: not $1 B apart"
}

# exact_peak EXTRA [BOUND]: in both runs the peak heap is the heap at exit plus EXTRA;
# with BOUND, the free run's heap at exit (what the C library and the language's
# runtime keep: nothing of the stress) is under BOUND bytes.
exact_peak() {
    local dat
    for dat in keep.dat free.dat; do
        check "$dat" "meta_int('heap_peak_bytes') - meta_int('heap_exit_bytes') == $1"
    done
    [ -z "${2:-}" ] || check free.dat "meta_int('heap_exit_bytes') < $2"
}

register fork_threads
t_fork_threads() {
    # 8 threads churn malloc/realloc/calloc/free while the main thread forks 200 times
    # and every 4th child execs: every child's status comes back, nothing is held.
    run_pair "$BUILD/tests/long/programs/fork_threads" "$BUILD/tests/long/programs/fork_threads"
    grep -qx "fork_threads: 200 forks, 50 exec'd, 0 wrong statuses; kept $FINISH_KEPT_BYTES bytes" bare.out ||
        fail "fork_threads said: $(cat bare.out)"
    exact_kept "$FINISH_KEPT_BYTES"
    exact_peak "$FINISH_PEAK_BYTES" 65536
}

register signal_alloc
t_signal_alloc() {
    # A SIGALRM every 50 us whose handler mallocs and frees, inside a churning main
    # loop's own counting: not one byte drifts.
    run_pair "$BUILD/tests/long/programs/signal_alloc"
    local runs
    runs=$(sed -n 's/^signal_alloc: \([0-9]*\) handler runs$/\1/p' keep.err)
    [ "${runs:-0}" -ge 2000 ] || fail "only '$runs' handler runs under mprof: $(cat keep.err)"
    exact_kept "$FINISH_KEPT_BYTES"
    exact_peak "$FINISH_PEAK_BYTES" 65536
}

register dlopen_loop
t_dlopen_loop() {
    # 300 dlopen/dlclose of a library that allocates 55,000 B in its constructor and
    # frees them in its destructor: nothing of it stays (300 x 55,000 B would).
    run_pair "$BUILD/tests/long/programs/dlopen_loop" "$BUILD/tests/long/programs/libctor_alloc.so"
    grep -qx "dlopen_loop: 300 rounds, 0 wrong; kept $FINISH_KEPT_BYTES bytes" bare.out ||
        fail "dlopen_loop said: $(cat bare.out)"
    exact_kept "$FINISH_KEPT_BYTES"
    exact_peak "$FINISH_PEAK_BYTES" 65536
}

register spawn_exec
t_spawn_exec() {
    # 100 posix_spawn (half with file actions) and 100 vfork + exec children, a thread
    # churning beside: each child's own image runs the library and exits as it should.
    run_pair "$BUILD/tests/long/programs/spawn_exec" "$BUILD/tests/long/programs/spawn_exec"
    grep -qx "spawn_exec: 100 posix_spawn, 100 vfork, 0 wrong; kept $FINISH_KEPT_BYTES bytes" bare.out ||
        fail "spawn_exec said: $(cat bare.out)"
    exact_kept "$FINISH_KEPT_BYTES"
    exact_peak "$FINISH_PEAK_BYTES" 65536
}

register aligned_mix
t_aligned_mix() {
    # memalign, valloc, pvalloc, aligned_alloc, posix_memalign, malloc, calloc and
    # realloc mixed: the heap's peak holds the last round's 256 blocks at the sizes
    # asked for (pvalloc's whole pages), to the byte.
    run_pair "$BUILD/tests/long/programs/aligned_mix"
    local ring
    ring=$(said_number 'ring of')
    [ -n "$ring" ] && [ "$ring" -gt 1000000 ] || fail "aligned_mix said: $(cat bare.out)"
    grep -q '^aligned_mix: 80000 rounds, 16000 reallocs, 0 misaligned;' bare.out || fail "aligned_mix said: $(cat bare.out)"
    exact_kept "$FINISH_KEPT_BYTES"
    # The ring's peak (600,000,011 B more) is above finish.h's.
    exact_peak $((ring + 600000011)) 65536
}

register cxx_new_delete
t_cxx_new_delete() {
    # Every form of C++ new and delete (sized, aligned, array, nothrow) from 4 threads:
    # the set held at the peak is counted at the sizes operator new was asked for.
    run_pair "$BUILD/tests/long/programs/cxx_new_delete"
    grep -qx "cxx_new_delete: 4 threads x 200000 rounds, 0 wrong; held 19321 bytes under a peak of 600000011; kept $FINISH_KEPT_BYTES bytes" bare.out ||
        fail "cxx_new_delete said: $(cat bare.out)"
    exact_kept "$FINISH_KEPT_BYTES"
    # libstdc++ keeps its 72,704 B exception pool for good.
    exact_peak $((19321 + 600000011)) 131072
}

register rust_alloc
t_rust_alloc() {
    # A Rust program (Vec, Box, String, HashMap, std::alloc at alignments 64 and 4096,
    # 4 threads): the heap is its allocations, to the byte.
    [ -x "$BUILD/tests/long/programs/rust_alloc" ] ||
        skip_test "no Rust program built: Debian's rustc is not installed (apt-get install rustc)"
    run_pair "$BUILD/tests/long/programs/rust_alloc"
    grep -qx "rust_alloc: 4 threads x 100000 rounds, 0 wrong; held 7133 bytes under a peak of 600000011; kept 285550 bytes" bare.out ||
        fail "rust_alloc said: $(cat bare.out)"
    # The 100 blocks and the list that holds them (100 x 24 B).
    exact_kept $((FINISH_KEPT_BYTES + 2400))
    exact_peak $((7133 + 600000011)) 65536
}

register jemalloc_linked
t_jemalloc_linked() {
    # jemalloc_mix (tests/programs/), linked with jemalloc, its whole API and every new
    # and delete: as bare, and the 241,127 B it keeps to the byte.
    local mode status
    "$BUILD/tests/long/programs/jemalloc_mix" keep >bare.out 2>bare.err || fail "bare jemalloc_mix keep failed: $(cat bare.err)"
    for mode in keep free; do
        mp run -o "$mode.dat" "$BUILD/tests/long/programs/jemalloc_mix" "$mode" >"$mode.out" 2>"$mode.err"
        status=$?
        [ "$status" -eq 0 ] || fail "mprof run jemalloc_mix $mode exited $status: $(head -c 400 "$mode.err" | tr '\n' '|')"
        cmp -s bare.out "$mode.out" || fail "jemalloc_mix $mode: stdout '$(cat "$mode.out")', bare '$(cat bare.out)'"
        check "$mode.dat" "meta.get('exit_status') == '0'" "'heap_lost' not in meta"
    done
    local with without
    with=$(meta keep.dat heap_exit_bytes)
    without=$(meta free.dat heap_exit_bytes)
    [ -n "$with" ] && [ -n "$without" ] && [ $((with - without)) -eq 241127 ] ||
        fail "heap at exit: keep $with B, free $without B: not 241,127 B apart"
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
