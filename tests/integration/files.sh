#!/usr/bin/env bash
# tests/integration/files.sh BUILD_DIR [TEST...] — the .dat as a file: Debian's
# memory_profiler reads ours and we read theirs (mprof/dat_read.c, dat_write.c),
# `mprof peak` on a fixture and on the newest file, one peak in every command
# (dat_peak.c: run's summary, cmd_peak.c, gnuplot.c's marker), `mprof list`/`rm`/`clean`
# (cmd_list.c, cmd_rm.c, cmd_clean.c, profiles.c, dat_list.c), and an installed tree
# moved elsewhere (target.c finding libmprof.so beside itself, or where MPROF_LIBRARY
# says).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

register debian_reads_ours
t_debian_reads_ours() {
    expect_rc 0 mp run "$PROGRAMS/hold" 24 0.5
    find_dat
    local dat=$DAT
    expect_rc 0 python3-mprof peak "$dat"
    local theirs
    theirs=$(numbers_before_mib out.txt | head -n 1)
    [ -n "$theirs" ] || fail "python3-mprof peak printed no number: $(cat out.txt)"
    check "$dat" "abs(mem_peak - $theirs) <= 0.001"
    expect_rc 0 mp peak "$dat"
    has_number_near out.txt "$theirs" 0.01 ||
        fail "mprof peak '$(tr '\n' '|' <out.txt)' has no RSS peak near python3-mprof's $theirs MiB"
    # Their plot needs matplotlib (only recommended by python3-memory-profiler).
    if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
        expect_rc 0 env MPLBACKEND=Agg python3-mprof plot -o theirs.png "$dat"
        is_png theirs.png || fail "python3-mprof plot of our .dat made no PNG"
    fi
}

register ours_reads_debian
t_ours_reads_debian() {
    expect_rc 0 python3-mprof run -o theirs.dat /usr/bin/python3 "$SOURCES/hold.py" 24 0.5
    expect_rc 0 python3-mprof peak theirs.dat
    local theirs
    theirs=$(numbers_before_mib out.txt | head -n 1)
    [ -n "$theirs" ] || fail "python3-mprof peak printed no number: $(cat out.txt)"
    expect_rc 0 mp peak theirs.dat
    has_number_near out.txt "$theirs" 0.01 ||
        fail "mprof peak '$(tr '\n' '|' <out.txt)' does not match python3-mprof's $theirs MiB"
    expect_rc 0 mp plot -o theirs.png theirs.dat
    is_png theirs.png || fail "mprof plot of their .dat made no PNG"
}

register peak_fixture
t_peak_fixture() {
    write_fixture mprofile_20260101000000.dat
    expect_rc 0 mp peak mprofile_20260101000000.dat
    has_number_near out.txt 73.25 0.005 || fail "RSS peak 73.25 MiB not in '$(tr '\n' '|' <out.txt)'"
    has_number_near out.txt 47.684 0.005 || grep -q 50000057 out.txt ||
        fail "heap peak (50000057 B = 47.684 MiB) not in '$(tr '\n' '|' <out.txt)'"
    # No file named: the newest mprofile_*.dat.
    write_fixture mprofile_20260102000000.dat
    expect_rc 0 mp peak
    grep -q mprofile_20260102000000.dat out.txt || fail "mprof peak did not take the newest file: $(cat out.txt)"
    # A heap mark and no HEAP line to time it by: the figure, and no time.
    printf 'CMDLINE x\nMPROF version 2\nMEM 10.0 1767225600.0\nMEM 12.0 1767225601.0\nMPROF heap_peak_bytes 1048576\n' >marked.dat
    expect_rc 0 mp peak marked.dat
    [ "$(cat out.txt)" = "$(printf 'marked.dat\t12.000 MiB at 1.000 s\theap 1.000 MiB')" ] ||
        fail "mprof peak of a mark without HEAP lines: '$(cat out.txt)'"
}

register list_rm_clean
t_list_rm_clean() {
    write_fixture mprofile_20260101000000.dat
    write_fixture mprofile_20260102000000.dat
    write_fixture mprofile_20260103000000.dat
    echo keep >keep.txt
    expect_rc 0 mp list
    grep -Eq '^ *0 .*mprofile_20260101000000\.dat' out.txt &&
        grep -Eq '^ *2 .*mprofile_20260103000000\.dat' out.txt ||
        fail "mprof list does not number oldest first from 0: $(tr '\n' '|' <out.txt)"
    expect_rc 0 mp rm 0
    [ ! -e mprofile_20260101000000.dat ] || fail "mprof rm 0 kept the oldest file"
    expect_rc 0 mp rm mprofile_20260103000000.dat
    [ ! -e mprofile_20260103000000.dat ] || fail "mprof rm NAME kept the file"
    [ -e mprofile_20260102000000.dat ] || fail "mprof rm removed the wrong file"
    write_fixture mprofile_20260104000000.dat
    expect_rc 0 mp clean --dry-run
    [ -e mprofile_20260102000000.dat ] && [ -e mprofile_20260104000000.dat ] ||
        fail "clean --dry-run removed files"
    grep -q mprofile_20260102000000.dat out.txt || fail "clean --dry-run did not name the files"
    expect_rc 0 mp clean
    [ ! -e mprofile_20260102000000.dat ] && [ ! -e mprofile_20260104000000.dat ] ||
        fail "clean left mprofile files: $(ls)"
    [ -e keep.txt ] || fail "clean removed a file that is not mprof's"
}

register install_relocated
t_install_relocated() {
    # The layout `make install` makes (bin/mprof, lib/mprof/libmprof.so), then moved:
    # mprof finds its library relative to itself. MPROF_LIBRARY overrides that.
    mkdir -p first/bin first/lib/mprof lonely/bin
    install -m 755 "$MPROF" first/bin/mprof
    install -m 755 "$BUILD/lib/mprof/libmprof.so" first/lib/mprof/libmprof.so
    mv first moved
    expect_rc 0 timeout -k 5 "$TIMEOUT" moved/bin/mprof run -o moved.dat "$PROGRAMS/hold" 8 0.4
    check moved.dat "near(heap_peak - heap_before(4*MiB), 8*MiB, 0.01)"
    install -m 755 "$MPROF" lonely/bin/mprof
    expect_rc 0 env MPROF_LIBRARY="$PWD/moved/lib/mprof/libmprof.so" \
        timeout -k 5 "$TIMEOUT" lonely/bin/mprof run -o override.dat "$PROGRAMS/hold" 8 0.4
    check override.dat "near(heap_peak - heap_before(4*MiB), 8*MiB, 0.01)"
}

# One run, one answer: mprof run's closing line, mprof peak, the plot's marker and the
# .dat's MPROF lines give the same peak RSS and peak heap, and it is the true one: never
# below the highest sample nor below the process's own high-water mark.
register peaks_agree
t_peaks_agree() {
    # A 64 MiB block held for 10 ms, touched: a sample at 0.1 s is unlikely to see it, the
    # high-water marks always do. Each peak is the higher of its mark and its highest
    # sample, exactly (MEM's six decimals of MiB are within 2 bytes).
    expect_rc 0 mp run --all-samples -o spike.dat "$PROGRAMS/hold" 64 0.01
    check spike.dat "near(meta_int('heap_peak_bytes') - heap[0][1], 64*MiB, 0.01)" \
        "meta_int('heap_peak_bytes') >= heap_peak" \
        "meta_int('rss_hwm_bytes') >= 64*MiB" \
        "abs(meta_int('rss_peak_bytes') - max(meta_int('rss_hwm_bytes'), int(mem_peak * MiB))) <= 2"
    expect_rc 0 mp run --no-report -o run.dat "$ROOT/examples/myscript.py"
    cp err.txt run-err.txt
    check run.dat "meta_int('rss_peak_bytes') >= meta_int('rss_hwm_bytes')" \
        "meta_int('rss_peak_bytes') >= int(mem_peak * MiB) - 2" \
        "meta_int('heap_peak_bytes') >= heap_peak" "heap_peak > 0"
    expect_rc 0 mp peak run.dat
    cp out.txt peak-out.txt
    # The plot's script, as gnuplot reads it, on the way to the real gnuplot.
    mkdir fakebin
    printf '#!/bin/sh\ntee "%s/script.gp" | exec %s "$@"\n' "$PWD" "$(command -v gnuplot)" \
        >fakebin/gnuplot
    chmod +x fakebin/gnuplot
    expect_rc 0 env PATH="$PWD/fakebin:$PATH" "$MPROF" plot -o run.png run.dat
    is_png run.png || fail "no PNG through the script's tee"
    /usr/bin/python3 - run.dat run-err.txt peak-out.txt script.gp <<'PY' || fail "$(cat why.txt)"
import re, sys
dat, run_err, peak_out, script = (open(p).read() for p in sys.argv[1:])
meta = dict(l.split()[1:3] for l in dat.splitlines() if l.startswith("MPROF "))
rss = int(meta["rss_peak_bytes"]) / 1048576
heap = int(meta["heap_peak_bytes"]) / 1048576
problems = []
m = re.search(r"peak RSS ([0-9.]+) MiB, peak heap ([0-9.]+) MiB", run_err)
if not m or abs(float(m.group(1)) - rss) > 0.051 or abs(float(m.group(2)) - heap) > 0.051:
    problems.append("mprof run said %r, the .dat %.3f / %.3f MiB" % (m and m.group(0), rss, heap))
m = re.search(r"\t([0-9.]+) MiB at [0-9.]+ s\theap ([0-9.]+) MiB", peak_out)
if not m or abs(float(m.group(1)) - rss) > 0.0006 or abs(float(m.group(2)) - heap) > 0.0006:
    problems.append("mprof peak said %r, the .dat %.3f / %.3f MiB" % (peak_out, rss, heap))
m = re.search(r"set label 1 'RSS peak ([0-9.]+) MiB'", script)
arrow = re.search(r"set arrow 2 from graph 0, first ([0-9.]+) ", script)
if not m or not arrow or abs(float(m.group(1)) - rss) > 0.0006 or abs(float(arrow.group(1)) - rss) > 1e-5:
    problems.append("the plot marks %r / %r, the .dat %.6f MiB" % (m and m.group(0), arrow and arrow.group(0), rss))
open("why.txt", "w").write("; ".join(problems))
sys.exit(1 if problems else 0)
PY
}

register version_everywhere
t_version_everywhere() {
    # Every subcommand takes --version, as memory_profiler's mprof does; after the
    # program of a run it is the program's.
    expect_rc 0 mp --version
    local version command
    version=$(cat out.txt)
    [[ "$version" =~ ^mprof\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "mprof --version said '$version'"
    for command in run plot peak list clean rm report check; do
        expect_rc 0 mp "$command" --version
        [ "$(cat out.txt)" = "$version" ] && [ ! -s err.txt ] ||
            fail "mprof $command --version: '$(cat out.txt)' '$(cat err.txt)'"
    done
    ! ls mprofile_*.dat >/dev/null 2>&1 || fail "a --version made a .dat"
    expect_rc 0 mp run -o echo.dat /bin/echo --version
    grep -q '^echo (GNU coreutils)' out.txt || fail "the program's --version: $(cat out.txt)"
}

# func_fixture FILE: f's two calls (the later written first) hold the 30 MiB sample at
# 0.5 s and the one on the first call's end; the run's peak (50 MiB at 2 s) is outside;
# g's one call holds no sample.
func_fixture() {
    printf '%s\n' 'CMDLINE x' 'MEM 10.0 100.0' 'HEAP 100.0 1048576' 'MEM 30.0 100.5' \
        'HEAP 100.5 3145728' 'MEM 20.0 101.0' 'HEAP 101.0 9437184' 'MEM 50.0 102.0' \
        'HEAP 102.0 94371840' 'MEM 25.0 103.0' 'FUNC m.f 10.0 102.9 20.0 103.5 0' \
        'FUNC m.f 10.0 100.4 20.0 101.0 0' 'FUNC m.g 10.0 100.6 20.0 100.7 1' \
        'CHLD 0 5.0 100.5' 'CHLD 0 7.0 101.5' >"$1"
}

register peak_func_fixture
t_peak_func_fixture() {
    # cmd_peak.c, dat_func_peak.c: --func is the highest sample within the function's
    # calls, ends included, as memory_profiler's; the first field the same as its.
    func_fixture fx.dat
    expect_rc 0 mp peak --func m.f fx.dat
    [ "$(cat out.txt)" = "$(printf 'fx.dat\t30.000 MiB at 0.500 s\theap 9.000 MiB at 1.000 s\n  Child 0\t\t\t5.000 MiB at 0.500 s\theap n/a')" ] ||
        fail "peak --func m.f: '$(cat out.txt)'"
    [ ! -s err.txt ] || fail "peak --func m.f said: $(cat err.txt)"
    expect_rc 0 mp peak --func=m.f fx.dat
    [ "$(head -n 1 out.txt)" = "$(printf 'fx.dat\t30.000 MiB at 0.500 s\theap 9.000 MiB at 1.000 s')" ] ||
        fail "peak --func=m.f: '$(cat out.txt)'"
    expect_rc 0 python3-mprof peak --func m.f fx.dat
    [ "$(head -n 1 out.txt)" = "$(printf 'fx.dat\t30.000 MiB')" ] ||
        fail "python3-mprof peak --func m.f: '$(cat out.txt)'"
    # Absent: the original's "NaN MiB" line; the reason on stderr, and exit 1.
    expect_rc 1 mp peak --func f fx.dat
    [ "$(cat out.txt)" = "$(printf 'fx.dat\tNaN MiB')" ] || fail "peak --func f: '$(cat out.txt)'"
    [ "$(cat err.txt)" = "mprof: fx.dat: no call of f; the file's functions: m.f, m.g" ] ||
        fail "peak --func f said: '$(cat err.txt)'"
    expect_rc 0 python3-mprof peak --func f fx.dat
    [ "$(cat out.txt)" = "$(printf 'fx.dat\tNaN MiB')" ] || fail "python3-mprof peak --func f: '$(cat out.txt)'"
    # A call that no sample falls within: the original dies of max([]); we say why.
    expect_rc 1 mp peak --func m.g fx.dat
    [ "$(cat out.txt)" = "$(printf 'fx.dat\tNaN MiB')" ] || fail "peak --func m.g: '$(cat out.txt)'"
    [ "$(cat err.txt)" = "mprof: fx.dat: m.g: no sample within its 1 call (0.1000 s in all); record with a shorter interval (mprof run -T)" ] ||
        fail "peak --func m.g said: '$(cat err.txt)'"
    # No FUNC line at all, several files (each its line), and the option's own errors.
    write_fixture plain.dat
    expect_rc 1 mp peak --func m.f plain.dat fx.dat
    [ "$(cat out.txt)" = "$(printf 'plain.dat\tNaN MiB\nfx.dat\t30.000 MiB at 0.500 s\theap 9.000 MiB at 1.000 s\n  Child 0\t\t\t5.000 MiB at 0.500 s\theap n/a')" ] ||
        fail "peak --func over two files: '$(cat out.txt)'"
    [ "$(cat err.txt)" = "mprof: plain.dat: no call of m.f: the file has no FUNC lines (no @profile function ran)" ] ||
        fail "peak --func of a file without FUNC said: '$(cat err.txt)'"
    # Without --func, each line begins as the original's, the child's three tabs too.
    expect_rc 0 python3-mprof peak fx.dat
    cp out.txt theirs.txt
    expect_rc 0 mp peak fx.dat
    [ "$(cat out.txt)" = "$(printf 'fx.dat\t50.000 MiB at 2.000 s\theap 90.000 MiB at 2.000 s\n  Child 0\t\t\t7.000 MiB at 1.500 s\theap n/a')" ] ||
        fail "peak fx.dat: '$(cat out.txt)'"
    local n
    for n in 1 2; do
        local theirs_line ours_line
        theirs_line=$(sed -n "${n}p" theirs.txt)
        ours_line=$(sed -n "${n}p" out.txt)
        [ -n "$theirs_line" ] && [ "${ours_line#"$theirs_line"}" != "$ours_line" ] ||
            fail "line $n: ours '$ours_line' does not begin as python3-mprof's '$theirs_line'"
    done
    expect_error 'peak: --func: needs a function name' mp peak --func
    expect_error 'peak: --func: needs a function name' mp peak --func= fx.dat
    expect_rc 0 mp peak --help
    grep -q -- '--func FUNC' out.txt || fail "peak --help has no --func: $(cat out.txt)"
}

register peak_func_run
t_peak_func_run() {
    # A real run: the RSS within each function is memory_profiler's figure over the same
    # file, and the heap within inner holds its 20,000,000 B and middle's 10,000,000 B.
    expect_rc 0 mp run --no-report -o nested.dat "$TEST_PYTHON" "$SOURCES/profile_nested.py"
    local name ours theirs heap
    for name in __main__.inner __main__.middle __main__.outer; do
        expect_rc 0 mp peak --func "$name" nested.dat
        ours=$(cut -f 2 out.txt | grep -Eo '^[0-9]+\.[0-9]{3}')
        heap=$(grep -Eo 'heap [0-9.]+ MiB' out.txt | grep -Eo '[0-9.]+')
        [ "$name" != __main__.inner ] ||
            awk -v h="$heap" 'BEGIN { exit !(h >= 28.61 && h < 40) }' ||
            fail "heap within inner: '$(cat out.txt)'"
        expect_rc 0 python3-mprof peak --func "$name" nested.dat
        theirs=$(cut -f 2 out.txt | grep -Eo '^[0-9]+\.[0-9]{3}')
        [ -n "$ours" ] && [ "$ours" = "$theirs" ] ||
            fail "peak --func $name: ours '$ours', python3-mprof's '$theirs'"
    done
    # inner's calls hold its 20 MB: above the RSS before the first call of outer.
    expect_rc 0 mp peak --func __main__.inner nested.dat
    awk -F '\t' '{ split($2, f, " "); exit !(f[1] > 30) }' out.txt ||
        fail "RSS within inner not above 30 MiB: '$(cat out.txt)'"
}

register peak_func_reversed_call
t_peak_func_reversed_call() {
    # dat_func_peak.c: a call written end first holds no sample, as the original reads
    # it (start <= t <= end never holds; its max() of nothing then fails): alone, it is
    # the NaN line, the reason, exit 1. A sample between its two times is not counted.
    printf '%s\n' 'CMDLINE x' 'MEM 1.0 10.0' 'MEM 4.0 11.0' 'MEM 2.0 12.0' \
        'FUNC m.b 1 11.5 1 10.5 0' >rev.dat
    expect_rc 1 mp peak --func m.b rev.dat
    [ "$(cat out.txt)" = "$(printf 'rev.dat\tNaN MiB')" ] || fail "peak --func m.b: '$(cat out.txt)'"
    [ "$(cat err.txt)" = "mprof: rev.dat: m.b: no sample within its 1 call (0.0000 s in all); record with a shorter interval (mprof run -T)" ] ||
        fail "peak --func m.b said: '$(cat err.txt)'"
    python3-mprof peak --func m.b rev.dat >out.txt 2>err.txt && fail "python3-mprof found a peak in a reversed call"
    grep -q 'max() arg is an empty sequence' err.txt || fail "python3-mprof said: $(tail -n 1 err.txt)"
    # With a call the right way round too, only that call's samples count.
    printf '%s\n' 'FUNC m.b 1 11.9 1 12.0 0' >>rev.dat
    expect_rc 0 mp peak --func m.b rev.dat
    [ "$(cat out.txt)" = "$(printf 'rev.dat\t2.000 MiB at 2.000 s\theap n/a')" ] ||
        fail "peak --func m.b, two calls: '$(cat out.txt)'"
    expect_rc 0 python3-mprof peak --func m.b rev.dat
    [ "$(cat out.txt)" = "$(printf 'rev.dat\t2.000 MiB')" ] || fail "python3-mprof, two calls: '$(cat out.txt)'"
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
