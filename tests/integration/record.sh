#!/usr/bin/env bash
# tests/integration/record.sh BUILD_DIR [TEST...] — `mprof run` over native programs and
# the examples: what a run records (mprof/cmd_run.c, watch.c, recorder.c, simplify.c,
# envelope.c, dat_write.c) from what the preload library's malloc hooks and sampler send
# (preload/core/, lifecycle/), however the program ends (exit, _exit, abort, SIGKILL),
# with threads, statically linked (no hooks: one warning, RSS only), with --all-samples and -T (one
# interval for the CLI and the library: interval.c) and without, and the .dat's default
# and chosen names.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

register c_hold
t_c_hold() {
    expect_rc 0 mp run "$PROGRAMS/hold" 64 1 16 1
    find_dat
    check "$DAT" \
        "heap_before(32*MiB) is not None" \
        "near(heap_peak - heap_before(32*MiB), 64*MiB, 0.01)" \
        "near(meta_int('heap_peak_bytes') - heap_before(32*MiB), 64*MiB, 0.01)" \
        "0.3 <= heap_peak_t <= 1.6" \
        "any(near(v - heap_before(32*MiB), 16*MiB, 0.01) for t, v in heap if t > heap_peak_t + 0.5)" \
        "heap_at(heap_peak_t + 1.3) < heap_before(32*MiB) + 20*MiB" \
        "mem_peak >= 64" \
        "meta_int('rss_peak_bytes') >= 64*MiB" \
        "meta_int('exit_status') == 0" \
        "t_end >= 2.2"
}

register sigkill
t_sigkill() {
    # die kill: 8 MiB held, SIGKILL to itself after 1.2 s; every sample before it is kept.
    expect_rc 137 mp run "$PROGRAMS/die" kill
    find_dat
    check "$DAT" \
        "t_end >= 0.9" \
        "len(mem) >= 2" \
        "near(heap_peak - heap_before(4*MiB), 8*MiB, 0.01)" \
        "meta_int('exit_status') == 137" \
        "meta_int('heap_exit_bytes') is None"
}

register abort
t_abort() {
    expect_rc 134 mp run "$PROGRAMS/die" abort
    find_dat
    check "$DAT" "len(mem) >= 2" "meta_int('exit_status') == 134" \
        "meta_int('heap_exit_bytes') is None"
}

register exit3
t_exit3() {
    expect_rc 3 mp run "$PROGRAMS/die" exit 3
    find_dat
    # The 8 MiB block is never freed: exactly the heap the program left at exit.
    check "$DAT" "len(mem) >= 2" "meta_int('exit_status') == 3" \
        "meta_int('heap_exit_bytes') == 8*MiB"
}

register underscore_exit
t_underscore_exit() {
    # _exit skips atexit and stdio: the samples must already be with the CLI.
    expect_rc 5 mp run "$PROGRAMS/die" _exit 5
    find_dat
    check "$DAT" "t_end >= 0.2" "near(heap_peak - heap_before(4*MiB), 8*MiB, 0.01)" \
        "meta_int('heap_exit_bytes') == 8*MiB"
}

register threads4
t_threads4() {
    # 4 threads hold 4 x 4,096,000 bytes at once, churn together, free everything.
    expect_rc 0 mp run "$PROGRAMS/threads4"
    find_dat
    # The baseline before the threads start: flat but for a few hundred bytes the
    # process may allocate (864 B seen); the series is simplified, so heap_at()
    # interpolates across such a step and is not exactly the first sample.
    check "$DAT" \
        "abs(heap_at(0.15) - heap[0][1]) <= 16384" \
        "any(near(v - heap_at(0.15), 4*4096000, 0.01) for t, v in heap)" \
        "heap_peak > heap_at(0.15) + 4*4096000" \
        "abs(heap[-1][1] - heap_at(0.15)) <= 16384" \
        "heap[-1][0] >= t_end - 0.2"
}

register static_binary
t_static_binary() {
    gcc -static -O2 -std=c11 -D_GNU_SOURCE "$SOURCES/hold.c" -o hold_static 2>gcc.txt ||
        fail "gcc -static failed: $(head -c 300 gcc.txt)"
    expect_rc 0 mp run --all-samples ./hold_static 16 0.8
    # One warning line, whatever summary lines mprof run prints besides.
    local warnings
    warnings=$(grep -Eic '^mprof: .*static' err.txt)
    [ "$warnings" -eq 1 ] && ! grep -qv '^mprof: ' err.txt ||
        fail "expected one 'mprof: ... static ...' warning on stderr, got: $(tr '\n' '|' <err.txt)"
    find_dat
    check "$DAT" "len(mem) >= 8" "len(heap) == 0" "mem_peak >= 16"
    # MEM as the heap cannot be had from a static program: refused before it runs.
    rm -f "$DAT"
    expect_error '\./hold_static: statically linked: --backend tracemalloc needs the heap, which only the preload library counts$' \
        mp run --backend tracemalloc ./hold_static 16 0.8
    [ ! -e mprofile_*.dat ] 2>/dev/null || fail "a refused run left a .dat"
}

register simplify_and_all
t_simplify_and_all() {
    # A flat 1.5 s: every sample with --all-samples (and -T 0.05), few lines without.
    mkdir all simplified
    (cd all && expect_rc 0 mp run --all-samples -T 0.05 "$PROGRAMS/hold" 0 1) || exit 1
    (cd simplified && expect_rc 0 mp run "$PROGRAMS/hold" 0 1) || exit 1
    find_dat all
    check "$DAT" "len(mem) >= 20" "t_end >= 1.3"
    find_dat simplified
    check "$DAT" "2 <= len(mem) <= 10" "t_end >= 1.3"
}

register output_names
t_output_names() {
    expect_rc 0 mp run "$PROGRAMS/hold" 0 0.2
    find_dat
    local dat=${DAT##*/}
    [[ $dat =~ ^mprofile_[0-9]{14}\.dat$ ]] || fail "default name '$dat' is not mprofile_YYYYMMDDhhmmss.dat"
    check "$DAT" "'hold' in (cmdline or '')" "meta_int('heap_peak_bytes') is not None" \
        "meta_int('rss_peak_bytes') > 0" "meta_int('exit_status') == 0"
    expect_rc 0 mp run -o custom.dat "$PROGRAMS/hold" 0 0.2
    [ -s custom.dat ] || fail "-o custom.dat wrote nothing"
    check custom.dat "len(mem) >= 1"
}

register examples
t_examples() {
    local script
    for script in myscript.py myscript2.py; do
        python3 "$ROOT/examples/$script" >/dev/null 2>plain.txt ||
            fail "python3 examples/$script fails without mprof: $(tail -n 2 plain.txt)"
        mkdir "run-$script"
        (cd "run-$script" && expect_rc 0 mp run "$ROOT/examples/$script") || exit 1
    done
    # myscript.py: each level builds [2] * (2 * 10**7), a list of 160,000,056 bytes.
    find_dat run-myscript.py
    check "$DAT" "heap_peak >= 160000000"
    mkdir grow
    (cd grow && expect_rc 0 mp run "$ROOT/examples/grow_release.py" 4 8 0.2) || exit 1
    find_dat grow
    check "$DAT" \
        "near(heap_peak - heap_before(6*MiB), 32*MiB + 4*57, 0.01)" \
        "heap_at(t_end) < heap_before(6*MiB) + 4*MiB"
    mkdir churn
    (cd churn && expect_rc 0 mp run "$EXAMPLES/churn" 2 1000000) || exit 1
    find_dat churn
    check "$DAT" "len(heap) >= 1" "heap[-1][1] < 1*MiB"
    # make demo's C example: 4 x 16 MiB asked for (the heap has all of it while RSS
    # has none), then touched (RSS meets the heap), then freed.
    expect_rc 0 mp run -o heap_vs_rss.dat "$EXAMPLES/heap_vs_rss"
    grep -qx 'heap_vs_rss: 4 blocks of 16 MiB, checksum 10' out.txt || fail "heap_vs_rss said: $(cat out.txt)"
    check heap_vs_rss.dat "64*MiB <= heap_peak <= 64*MiB + 64*1024" \
        "[t for t, v in heap if v >= 64*MiB and max(m for tm, m in mem if tm <= t) < 16]" \
        "mem_peak >= 64" "heap[-1][1] < 1*MiB"
}

# -T at the floor: the CLI's MEM ticks and the library's HEAP ticks come from one
# interval, so with --all-samples their counts agree. 1.5 s at 1 ms is ~1,500 of each (1,453 to
# 1,514 measured, with two busy loops beside it: the CLI skips ticks it is late for);
# a library that fell back to another interval (100 ms gives ~15, 2 ms half as many)
# cannot come within the 20% asserted, nor reach the 500 each must have.
register jemalloc_programs
t_jemalloc_programs() {
    # A C++ program linked with jemalloc, using its whole API (mallocx ... nallocx) and
    # every form of new and delete, runs as bare and is counted to the byte: what it
    # leaves live at exit with `keep` is the 241,127 B jemalloc_mix.cpp says.
    g++ -O2 -std=c++17 -Wall -Wextra -Werror "$SOURCES/jemalloc_mix.cpp" -o jemalloc_mix -ljemalloc ||
        fail "g++ could not build jemalloc_mix.cpp"
    local mode
    for mode in keep free; do
        expect_rc 0 ./jemalloc_mix "$mode"
        expect_rc 0 mp run -o "$mode.dat" ./jemalloc_mix "$mode"
        grep -qx 'jemalloc_mix: done' out.txt || fail "jemalloc_mix $mode said: $(cat out.txt err.txt)"
    done
    local kept freed
    kept=$(sed -n 's/^MPROF heap_exit_bytes //p' keep.dat)
    freed=$(sed -n 's/^MPROF heap_exit_bytes //p' free.dat)
    [ -n "$kept" ] && [ -n "$freed" ] && [ $((kept - freed)) -eq 241127 ] ||
        fail "heap at exit: keep $kept B, free $freed B: not 241,127 B apart"
    # jemalloc preloaded by the user, under a C program: the block is counted exactly.
    # (A CLI built with ASan cannot itself run with another allocator preloaded: then
    # the program alone gets it, after the library, as mprof run would put it.)
    local jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
    # (Not `ldd | grep -q`: under pipefail, grep's early exit can kill ldd with SIGPIPE.)
    if [[ $(ldd "$MPROF") == *libasan* ]]; then
        expect_rc 0 mp run -o preloaded.dat sh -c 'LD_PRELOAD="$LD_PRELOAD $1" exec "$2" 64 1' sh "$jemalloc" "$PROGRAMS/hold"
    else
        LD_PRELOAD=$jemalloc expect_rc 0 mp run -o preloaded.dat "$PROGRAMS/hold" 64 1
    fi
    check preloaded.dat "meta_int('heap_peak_bytes') - meta_int('heap_exit_bytes') == 64*MiB"

    # mallocx(MALLOCX_ZERO) leaves fresh pages untouched, as jemalloc does: 512 MiB
    # asked for and zeroed add to the heap, not to RSS.
    cat >zero.c <<'C'
#include <jemalloc/jemalloc.h>
#include <stdio.h>
int main(void)
{
    char *block = mallocx((size_t)512 << 20, MALLOCX_ZERO);
    if (block == NULL || block[12345] != 0)
        return 1;
    FILE *statm = fopen("/proc/self/statm", "r");
    long size, resident;
    if (statm == NULL || fscanf(statm, "%ld %ld", &size, &resident) != 2)
        return 1;
    printf("resident %ld KiB\n", resident * 4);
    dallocx(block, 0);
    return 0;
}
C
    gcc -O2 zero.c -o zero -ljemalloc || fail "gcc could not build zero.c"
    expect_rc 0 mp run -o zero.dat ./zero
    local resident
    resident=$(sed -n 's/^resident \([0-9]*\) KiB$/\1/p' out.txt)
    [ -n "$resident" ] && [ "$resident" -lt 65536 ] || fail "mallocx(512 MiB, MALLOCX_ZERO) made RSS '$resident' KiB"
    check zero.dat "meta_int('heap_peak_bytes') >= 512*MiB"

    # A program that replaces only operator new(size_t) and operator delete(void *):
    # the sized, array and nothrow forms reach its own, as libstdc++'s defaults do.
    cat >replaced.cpp <<'CXX'
#include <cstdio>
#include <cstdlib>
#include <new>
static long live, calls;
void *operator new(std::size_t n)
{
    char *p = static_cast<char *>(std::malloc(n + 16));
    if (p == nullptr)
        throw std::bad_alloc();
    *reinterpret_cast<std::size_t *>(p) = n;
    live += static_cast<long>(n);
    calls++;
    return p + 16;
}
void operator delete(void *p) noexcept
{
    if (p == nullptr)
        return;
    char *b = static_cast<char *>(p) - 16;
    live -= static_cast<long>(*reinterpret_cast<std::size_t *>(b));
    std::free(b);
}
struct S { long a[4]; };
int main()
{
    S *s = new S;
    delete s;                        // sized delete: _ZdlPvm
    int *a = new int[10];
    delete[] a;                      // _Znam, _ZdaPv
    int *n = new (std::nothrow) int;
    delete n;
    std::printf("live %ld calls %ld\n", live, calls);
    return 0;
}
CXX
    g++ -O2 -std=c++17 replaced.cpp -o replaced || fail "g++ could not build replaced.cpp"
    expect_rc 0 ./replaced
    cp out.txt bare.txt
    expect_rc 0 mp run -o replaced.dat ./replaced
    cmp -s bare.txt out.txt && grep -qx 'live 0 calls 3' out.txt ||
        fail "a replaced operator new: bare '$(cat bare.txt)', under mprof '$(cat out.txt)'"
}

register signal_handlers_exact
t_signal_handlers_exact() {
    # A signal handler that allocates, run thousands of times inside the main thread's
    # counting, changes no byte of the heap at exit (signal_churn.c frees everything).
    expect_rc 0 mp run -o quiet.dat "$PROGRAMS/signal_churn" quiet
    local quiet run runs
    quiet=$(sed -n 's/^MPROF heap_exit_bytes //p' quiet.dat)
    [ -n "$quiet" ] || fail "quiet run: no heap_exit_bytes"
    for run in 1 2 3; do
        expect_rc 0 mp run -o "signals$run.dat" "$PROGRAMS/signal_churn" signals
        runs=$(sed -n 's/^signal_churn: \([0-9]*\) handler runs$/\1/p' err.txt)
        [ "${runs:-0}" -ge 500 ] || fail "run $run: only '${runs}' handler runs: $(cat err.txt)"
        [ "$(sed -n 's/^MPROF heap_exit_bytes //p' "signals$run.dat")" = "$quiet" ] ||
            fail "run $run ($runs handler runs): heap at exit $(sed -n 's/^MPROF heap_exit_bytes //p' "signals$run.dat") B, quiet $quiet B"
    done
}

register cmdline_pastes_back
t_cmdline_pastes_back() {
    # The recorded command line is what a shell takes back as the same arguments.
    local script="my scr'ipt \"é\".py" line
    printf 'import sys\nprint(sys.argv[1:])\n' >"$script"
    expect_rc 0 mp run -o quoted.dat /usr/bin/python3 "$script" "a  b" "'" '$HOME' ""
    line=$(sed -n 's/^CMDLINE //p' quoted.dat)
    local -a args
    eval "args=($line)"
    [ "${#args[@]}" -eq 6 ] && [ "${args[0]}" = /usr/bin/python3 ] && [ "${args[1]}" = "$script" ] &&
        [ "${args[2]}" = "a  b" ] && [ "${args[3]}" = "'" ] && [ "${args[4]}" = '$HOME' ] &&
        [ -z "${args[5]}" ] || fail "CMDLINE $line reads back as ${args[*]}"
}

register lines_on_native_program_said
t_lines_on_native_program_said() {
    # --lines charges Python's lines; a program that runs no Python hears so at the end
    # of the run, and report --top quotes it instead of asking for --lines.
    expect_rc 0 mp run --lines -o native.dat "$PROGRAMS/hold" 1 0.1
    grep -q '^mprof: --lines: the program ran no Python: --lines charges Python source lines only' err.txt ||
        fail "not said: $(cat err.txt)"
    grep -q '^MPROF notice --lines: the program ran no Python' native.dat || fail "not in the .dat"
    expect_error 'native.dat: no whole-program line data: the program ran no Python' \
        mp report --top 3 native.dat
    # A bash script that execs python3 runs Python in its last image: nothing to say.
    printf '#!/bin/bash\nexec /usr/bin/python3 -c "x = 1"\n' >shim.sh
    chmod +x shim.sh
    expect_rc 0 mp run --lines -o shim.dat ./shim.sh
    ! grep -q 'ran no Python' err.txt || fail "said for a Python image: $(cat err.txt)"
}

register cli_killed_keeps_samples
t_cli_killed_keeps_samples() {
    # kill -9 of mprof run: the program does not run on orphaned (the kernel sends it
    # SIGTERM), and the .dat holds every sample up to the last interval, the points the
    # filters held back included: hold's 8 MiB plateau runs to the kill, not 2 samples.
    "$MPROF" run -o killed.dat "$PROGRAMS/hold" 8 4 >out.txt 2>err.txt &
    local cli=$! program=""
    sleep 2
    program=$(pgrep -f -P "$cli" "$PROGRAMS/hold 8 4" || true)
    [ -n "$program" ] || fail "no program under mprof run"
    kill -9 "$cli"
    wait "$cli" 2>/dev/null || true
    local waited=0
    while kill -0 "$program" 2>/dev/null && [ "$waited" -lt 20 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    ! kill -0 "$program" 2>/dev/null || { kill -9 "$program"; fail "the program outlived mprof run"; }
    # The plateau started at 0.5 s and the kill came at 2 s: its end is on disk.
    check killed.dat "t_end >= 1.7" "heap_at(t_end) >= 8*MiB" "near(heap_peak, 8*MiB, 0.01)"
    expect_rc 0 mp peak killed.dat
}

register interval_floor_agrees
t_interval_floor_agrees() {
    expect_rc 0 mp run --all-samples -T 0.001 -o floor.dat "$PROGRAMS/hold" 8 1
    check floor.dat "meta['interval'] == '0.001'" "meta_int('library_interval_ns') is None" \
        "len(mem) >= 500" "len(heap) >= 500" \
        "abs(len(mem) - len(heap)) <= 0.20 * max(len(mem), len(heap))"
    grep -q 'library samples every' err.txt && fail "interval mismatch said: $(cat err.txt)"
    expect_rc 0 mp run --all-samples -T 1e-2 -o centi.dat "$PROGRAMS/hold" 0 1
    check centi.dat "meta['interval'] == '0.01'" "60 <= len(mem) <= 200" "60 <= len(heap) <= 200"
}

# A library that samples at another interval than it was asked is named, not trusted:
# here the target changes MPROF_INTERVAL_NS before it execs, as a library of another
# build reading another variable would sample at its own default.
register interval_echo_checked
t_interval_echo_checked() {
    expect_rc 0 mp run -T 0.1 -o echo.dat env MPROF_INTERVAL_NS=200000000 "$PROGRAMS/hold" 0 1
    grep -Eq '^mprof: [0-9]+: the library samples every 0\.2 s, not the 0\.1 s asked for' err.txt ||
        fail "no interval mismatch said: $(tr '\n' '|' <err.txt)"
    check echo.dat "meta_int('library_interval_ns') == 200000000" "meta['interval'] == '0.1'"
    expect_rc 0 mp run -T 0.1 -o same.dat "$PROGRAMS/hold" 0 1
    grep -q 'the library samples every' err.txt && fail "a mismatch said when there is none"
    check same.dat "meta_int('library_interval_ns') is None"
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
