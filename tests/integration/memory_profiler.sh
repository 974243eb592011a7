#!/usr/bin/env bash
# tests/integration/memory_profiler.sh BUILD_DIR [TEST...] — mprof's memory_profiler module
# under `mprof run` (python/memory_profiler.py and its halves, found first by the finder
# the plugin's glue installs): a real module importlib finds, even on Debian's
# /usr/bin/python3 where the original package is installed; memory_usage in every form,
# exact to the byte on the heap backend against the `mprof` module's own figures; the
# profile builtin as a LineProfiler object; show_results; `python -m memory_profiler`
# printing the tables `mprof run` prints, with the same exit status; run()'s rows; and
# the IPython magics in a real IPython session (pyenv's 3.11.7 has IPython 8.12).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The module's file in the build under test.
mp_module_file() {
    printf '%s\n' "$BUILD/lib/mprof/python/memory_profiler.py"
}

# expect_out_line TEXT: out.txt has a line that is exactly TEXT.
expect_out_line() {
    grep -qxF -- "$1" out.txt || fail "no line '$1' in the output: $(head -c 1200 out.txt | tr '\n' '|') $(tail -c 400 err.txt | tr '\n' '|')"
}

# out_field PREFIX N: the Nth word after PREFIX on out.txt's line that starts with it.
out_field() {
    grep -F -- "$1" out.txt | head -n 1 | sed "s/^$1 *//" | awk -v n="$2" '{ print $n }'
}

# within VALUE LOW HIGH WHAT: LOW <= VALUE <= HIGH, or the test fails saying WHAT.
within() {
    [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ] || fail "$4: $1, expected $2 to $3"
}

register mp_module_found
t_mp_module_found() {
    # importlib finds it by a spec with a loader (it raised ValueError on a spec of None),
    # it reloads, it is the file beside the library, and it has every public name.
    local python
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 0 mp run --no-report -o found.dat "$python" "$SOURCES/mp_found.py"
        expect_out_line "spec origin: $(mp_module_file)"
        expect_out_line "file: $(mp_module_file)"
        expect_out_line "loader: SourceFileLoader True"
        expect_out_line "same spec: True"
        expect_out_line "reloaded: True"
        expect_out_line "names: True"
        expect_out_line "profile is the builtin: True"
        # LogFile, with reportIncrementFlag: the growing line and the header, not the del.
        expect_out_line "log mplog:      5   38.816 MiB    7.676 MiB           1       a = [1] * (10 ** 6)"
        expect_out_line "log mplog: Line #    Mem usage    Increment  Occurrences   Line Contents"
        ! grep -q 'del b' out.txt || fail "LogFile logged a line that shrank: $(cat out.txt)"
    done
}

register mp_memory_usage_forms
t_mp_memory_usage_forms() {
    # Every form memory_usage accepts: (f, args, kw) on the exact heap, max_usage being
    # the window's exact peak (the mprof module's own figure) and 50 MB above the heap
    # before (the bytearray's 50,000,000 B and its object, and what the first call of
    # a function caches); 'tracemalloc' is that heap too. RSS from /proc for -1, a PID,
    # a Popen (with its stream of MEM lines), a callable; PSS and USS; children; the
    # heap of another process refused with a ValueError that says so.
    local python above backend
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 0 mp run --no-report -o usage.dat "$python" "$SOURCES/mp_usage_forms.py"
        for backend in mprof tracemalloc; do
            expect_out_line "$backend peak equals the window: True"
            above=$(out_field "$backend peak above live:" 1)
            within "$above" $((50000000 + BYTEARRAY_EXTRA)) $((50000000 + BYTEARRAY_EXTRA + 1024)) \
                "$python: $backend peak above the heap before"
            [ "$(out_field "$backend peak above live:" 2)" = done ] || fail "$python: retval lost"
        done
        expect_out_line "self samples: 10 True"
        expect_out_line "self one sample: 1 1"
        expect_out_line "callable RSS rose: True"
        expect_out_line "bare callable: True"
        expect_out_line "timestamps: True"
        expect_out_line "popen samples: True True"
        expect_out_line "pid form: 1 True"
        expect_out_line "stream returns: None"
        expect_out_line "stream lines: True True"
        grep -q '^pss uss: True ' out.txt || fail "$python: $(grep '^pss uss' out.txt)"
        expect_out_line "children: True"
        expect_out_line "max_usage RSS: True"
        grep -Eq '^heap of another process: backend mprof reads the heap of this process only, not of PID [0-9]+$' out.txt ||
            fail "$python: the heap backend on another PID: $(tail -n 2 out.txt | tr '\n' '|')"
    done
}

# increment_bytes FILE LINE: the Increment column (MiB, 6 digits) of the table row for
# LINE in FILE, in bytes.
increment_bytes() {
    awk -v line="$2" '$1 == line && $3 == "MiB" { printf "%d\n", $4 * 1048576 + 0.5; exit }' "$1"
}

register mp_profile_object
t_mp_profile_object() {
    # The profile builtin used as an object (TypeError and AttributeError before):
    # add_function, `with profile:`, enable_by_count/disable_by_count, print_stats, on
    # the exact heap: two calls of fill(10 MB) make its two bytearray lines 2 x 10 MB up;
    # LineProfiler(backend='mprof') with show_results the same for one call of 3 MB; the
    # default LineProfiler reads RSS, as memory_profiler's.
    local python inc
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 0 mp run --no-report -o object.dat "$python" "$SOURCES/mp_object.py"
        sed -n '/^object tables:/,/^exact tables:/p' out.txt >object.txt
        sed -n '/^exact tables:/,/^rss backend:/p' out.txt >exact.txt
        sed -n '/^rss backend:/,$p' out.txt >rss.txt
        grep -qxF 'Line #    Mem usage    Increment  Occurrences   Line Contents' object.txt ||
            fail "$python: no table header: $(head -c 600 out.txt | tr '\n' '|')"
        grep -qxF "Filename: $SOURCES/mp_object.py" object.txt || fail "$python: no Filename line"
        inc=$(increment_bytes object.txt 10)
        within "$inc" $((2 * (10000000 + BYTEARRAY_EXTRA))) $((2 * (10000000 + BYTEARRAY_EXTRA) + 1024)) \
            "$python: kept = bytearray(n), twice"
        grep -Eq '^ +10 +[0-9.]+ MiB +[0-9.]+ MiB +2       kept = bytearray\(n\)$' object.txt ||
            fail "$python: kept row: $(grep -E '^ +10 ' object.txt)"
        inc=$(increment_bytes object.txt 12)
        within "$((-inc))" $((2 * (10000000 + BYTEARRAY_EXTRA) - 1024)) $((2 * (10000000 + BYTEARRAY_EXTRA) + 1024)) \
            "$python: del spare, twice"
        inc=$(increment_bytes exact.txt 11)
        within "$inc" $((3000000 + BYTEARRAY_EXTRA)) $((3000000 + BYTEARRAY_EXTRA + 1024)) \
            "$python: LineProfiler(backend='mprof'): spare = bytearray(n)"
        grep -qxF 'rss backend: psutil' rss.txt || fail "$python: LineProfiler's default is not RSS"
        [ "$(grep -cE '^ +(9|10|11|12|13) +[0-9.]+ MiB +-?[0-9.]+ MiB +1   ' rss.txt)" -eq 5 ] ||
            fail "$python: show_results of the RSS LineProfiler: $(tr '\n' '|' <rss.txt)"
    done
}

# table_rows FILE: a @profile table's rows but for the Mem usage column and the first
# row's Increment (both the whole heap, which the module's import adds to), with the
# Filename lines.
table_rows() {
    grep -E '^(Filename: | +[0-9]+ )' "$1" | sed -E 's/^( +[0-9]+) +[0-9]+ B /\1 /' |
        sed -E 's/^( +[0-9]+) +[0-9]+ B( +[0-9]+   @profile)/\1\2/'
}

register mp_dash_m_tables
t_mp_dash_m_tables() {
    # `python -m memory_profiler script.py` under mprof run prints the tables that
    # `mprof run script.py` prints (rows and increments; the Mem usage column is the
    # whole heap, which the module's import adds to) with the script's exit status, 3.
    # So does a module given by name. On Debian's /usr/bin/python3 the original package
    # is installed: ours is run, and prints as many tables as the original prints for
    # the same script.
    local python
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 3 mp run --unit B -o plain.dat "$python" "$SOURCES/mp_tables.py"
        table_rows err.txt >plain.txt
        expect_rc 3 mp run --unit B -o dashm.dat "$python" -m memory_profiler "$SOURCES/mp_tables.py"
        table_rows err.txt >dashm.txt
        [ "$(grep -c '^Filename: ' plain.txt)" -eq 2 ] || fail "$python: $(grep -c '^Filename: ' plain.txt) tables, expected 2"
        diff plain.txt dashm.txt >tables.diff || fail "$python: the tables differ: $(head -c 800 tables.diff | tr '\n' '|')"
        grep -Eq "^ +8 +$((2 * (3000000 + BYTEARRAY_EXTRA))) B +2       block = bytearray" dashm.txt ||
            fail "$python: grow's row: $(grep -E '^ +8 ' dashm.txt)"
        check dashm.dat "meta_int('exit_status') == 3" "functions['__main__.grow']['calls'] == 2"
        # A module by name (memory_profiler's run_module_with_profiler): the same rows.
        cp "$SOURCES/mp_tables.py" .
        expect_rc 3 mp run --unit B -o module.dat "$python" -m memory_profiler mp_tables
        table_rows err.txt | sed "s|^Filename: $PWD/|Filename: $SOURCES/|" >module.txt
        diff plain.txt module.txt >module.diff || fail "$python: -m memory_profiler MODULE: $(head -c 800 module.diff | tr '\n' '|')"
    done
    if is_default_python; then
        expect_rc 3 /usr/bin/python3 -m memory_profiler "$SOURCES/mp_tables.py"
        [ "$(grep -c '^Filename: ' out.txt)" -eq 2 ] ||
            fail "the original printed $(grep -c '^Filename: ' out.txt) tables"
    fi
}

register mp_run_rows
t_mp_run_rows() {
    # memory_profiler.run(statement): work(5 MB) keeps 5 MB (its net) and rises 25 MB
    # (its 5 MB and a 20 MB scratch) above where it began; leaf is called 4 times, its
    # peak the 5 MB call. Each figure is the exact heap's, within the bookkeeping of
    # the callback's rows (a few hundred bytes).
    local python
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 0 mp run --no-report -o rows.dat "$python" "$SOURCES/mp_run_rows.py"
        grep -Eq '^ +ncalls +net \(B\) +peak \(B\)  filename:lineno\(function\)$' out.txt ||
            fail "$python: no header: $(head -c 600 out.txt | tr '\n' '|')"
        grep -Eq "^ +1 +[0-9]+ +[0-9]+  $SOURCES/mp_run_rows.py:10\(work\)\$" out.txt ||
            fail "$python: no row for work: $(head -c 900 out.txt | tr '\n' '|')"
        [ "$(out_field 'row work' 1)" = 1 ] || fail "$python: work's calls"
        within "$(out_field 'row work' 2)" $((5000000 + BYTEARRAY_EXTRA)) $((5000000 + BYTEARRAY_EXTRA + 1024)) "$python: work's net"
        within "$(out_field 'row work' 3)" $((25000000 + 2 * BYTEARRAY_EXTRA)) $((25000000 + 2 * BYTEARRAY_EXTRA + 2048)) "$python: work's peak"
        [ "$(out_field 'row leaf' 1)" = 4 ] || fail "$python: leaf's calls: $(grep 'row leaf' out.txt)"
        within "$(out_field 'row leaf' 3)" $((5000000 + BYTEARRAY_EXTRA)) $((5000000 + BYTEARRAY_EXTRA + 1024)) "$python: leaf's peak"
    done
}

register_default mp_ipython_magics
t_mp_ipython_magics() {
    # %load_ext memory_profiler in a real IPython session under mprof run: %memit prints
    # memory_profiler's line (RSS, 30 MB up), -b mprof -o returns the exact heap's peak
    # (20 MB above the baseline), %mprun pages the function's table (RSS and -b mprof).
    # IPython is installed for pyenv's 3.11.7 (python3 on PATH) only.
    python3 -c 'import IPython' 2>/dev/null || skip_test "python3 has no IPython"
    cp "$SOURCES/mp_magics_mod.py" .
    cat >magics.ipy <<'IPY'
%load_ext memory_profiler
from mp_magics_mod import grow
%memit x = bytearray(30_000_000)
r = %memit -o -q -b mprof z = bytearray(20_000_000)
print('memit heap increment', round(max(r.mem_usage) * 2**20) - round(r.baseline * 2**20))
%mprun -f grow grow(10_000_000)
%mprun -b mprof -f grow grow(10_000_000)
IPY
    expect_rc 0 mp run --no-report -o magics.dat python3 -m IPython --no-banner --colors=NoColor magics.ipy
    grep -Eq '^peak memory: [0-9]+\.[0-9]{2} MiB, increment: (2[89]|3[0-9])\.[0-9]{2} MiB$' out.txt ||
        fail "%memit: $(head -c 600 out.txt | tr '\n' '|') $(tail -c 600 err.txt | tr '\n' '|')"
    within "$(out_field 'memit heap increment' 1)" $((20000000 + BYTEARRAY_EXTRA)) $((20000000 + BYTEARRAY_EXTRA + 65536)) "%memit -b mprof"
    [ "$(grep -c "^Filename: $PWD/mp_magics_mod.py\$" out.txt)" -eq 2 ] || fail "%mprun: $(tr '\n' '|' <out.txt)"
    # The exact heap's table (-b mprof) has these rows whatever RSS does.
    grep -Eq '^ +7 +[0-9.]+ MiB +-9\.5 MiB +1       del a$' out.txt ||
        fail "%mprun -b mprof: del a: $(grep -E '^ +7 ' out.txt | tr '\n' '|')"
    grep -Eq '^ +6 +[0-9.]+ MiB +9\.5 MiB +1       b = bytearray\(n\)$' out.txt ||
        fail "%mprun: b = bytearray(n): $(grep -E '^ +6 ' out.txt | tr '\n' '|')"
}

# ---- against the original: memory_profiler 0.61 (Debian's, for /usr/bin/python3) -------
# Each way its README documents a script to use it is run under the original and under
# mprof run, and compared: exit status, how many tables, and each table's line numbers,
# Occurrences and Line Contents (not the MiB: ours are heap bytes, the original's RSS).

# table_shape FILE: the memory_profiler tables in FILE as they are compared: each
# Filename line, and each row as line|Occurrences|Line Contents.
table_shape() {
    sed -nE -e '/^Filename: /p' -e 's/^ *([0-9]+) .{12} .{12}  (.{10})   (.*)$/\1|\2|\3/p' "$1" |
        sed -E 's/\| +/|/'
}

# same_tables OURS ORIGINAL COUNT WHAT: ORIGINAL has COUNT tables and OURS the same ones.
same_tables() {
    table_shape "$1" >ours.shape
    table_shape "$2" >original.shape
    [ "$(grep -c '^Filename: ' original.shape)" -eq "$3" ] ||
        fail "$4: the original printed $(grep -c '^Filename: ' original.shape) tables, expected $3: $(head -c 600 "$2" | tr '\n' '|')"
    diff original.shape ours.shape >shape.diff ||
        fail "$4: the tables differ from the original's: $(head -c 900 shape.diff | tr '\n' '|')"
}

# have_original: /usr/bin/python3 imports the original package. Debian's own, on the
# host, always does (scripts/install-deps.sh); inside the sid tree (check-pythons) the
# python3 there does not, and a test that compares with the original is skipped there.
have_original() {
    /usr/bin/python3 -c 'import memory_profiler' 2>/dev/null
}

# original_rc STATUS NAME COMMAND...: COMMAND (the original) exits STATUS; its stdout
# and stderr are kept as NAME.out and NAME.err.
original_rc() {
    local status=$1 name=$2
    shift 2
    have_original || skip_test "/usr/bin/python3 has no memory_profiler (the original) here"
    expect_rc "$status" "$@"
    cp out.txt "$name.out"
    cp err.txt "$name.err"
}

# no_tables FILE...: no memory_profiler table in any of them.
no_tables() {
    ! grep -q '^Filename: ' "$@" || fail "a table where the original prints none: $(grep -h '^Filename: ' "$@" | head -n 3 | tr '\n' '|')"
}

# func_levels FILE: the FUNC lines of FILE as name and stack level, in their order.
func_levels() {
    awk '$1 == "FUNC" { print $2, $7 }' "$1"
}

register mp_timestamp_brackets
t_mp_timestamp_brackets() {
    # Timestamps (what the original's `mprof run` gives a script, and `python -m
    # memory_profiler --timestamp`): under mprof run, `with profile.timestamp(name):` is
    # a FUNC bracket '.name' in the .dat, nested with the decorated calls at the levels
    # the original gives (load 0, work 1, inner 2), with no table of its own. With
    # --timestamp, profile is a TimeStamper: no tables, the FUNC lines in -o's file as
    # the original writes them (names and levels, in its order), and the same brackets in
    # mprof's .dat.
    local python
    original_rc 2 original /usr/bin/python3 -m memory_profiler --timestamp -o original.func \
        "$SOURCES/mp_timestamp.py"
    func_levels original.func >original.levels
    [ "$(tr '\n' '|' <original.levels)" = "__main__.work 1|__main__.work 0|.load 0|.inner 2|.inner 1|" ] ||
        fail "the original's FUNC lines: $(tr '\n' '|' <original.func)"
    sort original.levels >original.sorted
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 2 mp run -o plain.dat "$python" "$SOURCES/mp_timestamp.py"
        func_levels plain.dat | sort >plain.sorted
        diff original.sorted plain.sorted >levels.diff || fail "$python: the .dat's brackets: $(tr '\n' '|' <levels.diff)"
        [ "$(grep -c '^Filename: ' err.txt)" -eq 1 ] || fail "$python: tables: $(grep '^Filename: ' err.txt | tr '\n' '|')"
        ! grep -q '^PROFILE_FUNC .* \.load ' plain.dat || fail "$python: a table for a block"
        # .load's bracket holds the first call of work, which holds the first .inner.
        awk '$1 == "FUNC" && !seen[$2]++ { start[$2] = $4; end[$2] = $6 }
             END { exit !(start[".load"] <= start["__main__.work"] && end["__main__.work"] <= end[".load"] &&
                          start["__main__.work"] <= start[".inner"] && end[".inner"] <= end["__main__.work"]) }' plain.dat ||
            fail "$python: the brackets do not nest: $(grep '^FUNC' plain.dat | tr '\n' '|')"
        rm -f ours.func
        expect_rc 2 mp run -o stamped.dat "$python" -m memory_profiler --timestamp -o ours.func \
            "$SOURCES/mp_timestamp.py"
        no_tables out.txt err.txt
        func_levels ours.func >ours.levels
        diff original.levels ours.levels >func.diff || fail "$python: -o's FUNC lines: $(tr '\n' '|' <func.diff)"
        grep -Eq '^FUNC __main__\.work [0-9]+\.[0-9]{4} [0-9]{10}\.[0-9]{4} [0-9]+\.[0-9]{4} [0-9]{10}\.[0-9]{4} 1$' ours.func ||
            fail "$python: a FUNC line's format: $(head -n 1 ours.func)"
        func_levels stamped.dat | sort >stamped.sorted
        diff original.sorted stamped.sorted >stamped.diff || fail "$python: --timestamp's brackets in the .dat: $(tr '\n' '|' <stamped.diff)"
    done
}

register mp_dash_o_file
t_mp_dash_o_file() {
    # `python -m memory_profiler -o FILE script.py` appends the tables to FILE (it was
    # left empty), the original's tables line for line, with the script's exit status;
    # nothing is printed.
    local python
    original_rc 5 original /usr/bin/python3 -m memory_profiler -o original.tables "$SOURCES/mp_dash_o.py"
    for python in "${TEST_PYTHONS[@]}"; do
        rm -f ours.tables
        expect_rc 5 mp run --no-report -o dasho.dat "$python" -m memory_profiler -o ours.tables "$SOURCES/mp_dash_o.py"
        same_tables ours.tables original.tables 2 "$python: -o FILE"
        no_tables out.txt err.txt
    done
}

register mp_stream_decorator
t_mp_stream_decorator() {
    # The README's REPORTING: @profile(stream=fp) writes each call's table to fp (it
    # wrote nothing), at its precision (4 digits); @profile(precision=4) of the same
    # import prints its table (ours by mprof at exit, on the exact heap).
    local python
    original_rc 0 original /usr/bin/python3 "$SOURCES/mp_stream.py" original.log
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 0 mp run -o stream.dat "$python" "$SOURCES/mp_stream.py" ours.log
        same_tables ours.log original.log 2 "$python: @profile(stream=fp)"
        grep -Eq '^ +13 +[0-9]+\.[0-9]{4} MiB +[0-9]+\.[0-9]{4} MiB +1       a = ' ours.log ||
            fail "$python: precision=4: $(grep -E '^ +13 ' ours.log | head -n 1)"
        same_tables err.txt original.out 1 "$python: @profile(precision=4)"
    done
}

register mp_readme_decorators
t_mp_readme_decorators() {
    # The README's first ways: @profile with no import under `python -m memory_profiler`
    # (its example, and a script with two functions and an exit status of its own), and
    # `from memory_profiler import profile` run as a plain script: the original's tables.
    local python
    original_rc 0 bare /usr/bin/python3 -m memory_profiler "$SOURCES/mp_readme.py"
    original_rc 0 imported /usr/bin/python3 "$SOURCES/mp_readme.py" import
    original_rc 3 two /usr/bin/python3 -m memory_profiler "$SOURCES/mp_tables.py"
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 0 mp run -o bare.dat "$python" -m memory_profiler "$SOURCES/mp_readme.py"
        same_tables err.txt bare.out 1 "$python: -m memory_profiler, the README's example"
        expect_rc 0 mp run -o imported.dat "$python" "$SOURCES/mp_readme.py" import
        same_tables err.txt imported.out 1 "$python: from memory_profiler import profile"
        expect_rc 3 mp run -o two.dat "$python" -m memory_profiler "$SOURCES/mp_tables.py"
        same_tables err.txt two.out 2 "$python: -m memory_profiler, two functions"
    done
}

register mp_object_ways
t_mp_object_ways() {
    # profile as the LineProfiler `python -m memory_profiler` makes it: add_function,
    # `with profile:`, nested enable_by_count/disable_by_count; one table at exit, with
    # the calls inside counted (3) and the one outside not.
    local python
    original_rc 6 original /usr/bin/python3 -m memory_profiler "$SOURCES/mp_object_both.py"
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 6 mp run --no-report -o object.dat "$python" -m memory_profiler "$SOURCES/mp_object_both.py"
        same_tables out.txt original.out 1 "$python: profile as an object"
        grep -q '^8|3|    kept = bytearray(n)$' ours.shape || fail "$python: occurrences: $(tr '\n' '|' <ours.shape)"
    done
}

register mp_usage_ways
t_mp_usage_ways() {
    # memory_usage in each form (-1, a PID, (f, args, kw), f, a Popen; interval,
    # timeout, max_usage, retval, timestamps, include_children, multiprocess, stream),
    # and MemTimer, the process it ran, by its pipe protocol: what they return has the
    # same type and shape as the original's, line for line, and the exit status is the
    # script's.
    local python
    original_rc 4 original /usr/bin/python3 "$SOURCES/mp_usage_both.py"
    grep -qxF "multiprocess stream: ['MEM', 'CHLD', 'MEM', 'CHLD']" original.out ||
        fail "the original: $(tr '\n' '|' <original.out)"
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 4 mp run --no-report -o usage.dat "$python" "$SOURCES/mp_usage_both.py"
        diff original.out out.txt >usage.diff || fail "$python: memory_usage differs: $(tr '\n' '|' <usage.diff)"
    done
}

register_default mp_magics_ways
t_mp_magics_ways() {
    # The magics in a real IPython 8.12 session (pyenv's 3.11.7): %memit and %%memit
    # print the original's line, %mprun -f and %%mprun with two -f its tables (rows,
    # Occurrences, contents), -T FILE saves them; the original is Debian's module, given
    # to the same interpreter (with the psutil it needs) by PYTHONPATH. (A .ipy file is
    # one cell: the cell magics run as cells of their own, by run_cell.)
    python3 -c 'import IPython' 2>/dev/null || skip_test "python3 has no IPython"
    mkdir original_site
    ln -s /usr/lib/python3/dist-packages/memory_profiler.py original_site/
    ln -s /usr/lib/python3/dist-packages/psutil original_site/
    cp "$SOURCES/mp_magics_mod.py" .
    cat >magics.ipy <<'IPY'
%load_ext memory_profiler
from mp_magics_mod import grow, pair
%memit x = bytearray(30_000_000)
get_ipython().run_cell('%%memit n = 1000\ny = bytearray(n)\n')
%mprun -f grow grow(10_000_000)
get_ipython().run_cell('%%mprun -f grow -f pair\npair(1_000_000)\n')
%mprun -T saved.txt -f grow grow(1_000_000)
IPY
    PYTHONPATH=$PWD/original_site expect_rc 0 timeout 60 python3 -m IPython --no-banner --colors=NoColor magics.ipy
    cp out.txt original.out
    cp saved.txt original.saved
    [ "$(grep -cE '^peak memory: [0-9]+\.[0-9]{2} MiB, increment: -?[0-9]+\.[0-9]{2} MiB$' original.out)" -eq 2 ] ||
        fail "the original's %memit: $(head -c 600 original.out | tr '\n' '|') $(tail -c 600 err.txt | tr '\n' '|')"
    rm saved.txt
    expect_rc 0 mp run --no-report -o magics.dat python3 -m IPython --no-banner --colors=NoColor magics.ipy
    [ "$(grep -cE '^peak memory: [0-9]+\.[0-9]{2} MiB, increment: -?[0-9]+\.[0-9]{2} MiB$' out.txt)" -eq 2 ] ||
        fail "%memit: $(head -c 600 out.txt | tr '\n' '|') $(tail -c 600 err.txt | tr '\n' '|')"
    same_tables out.txt original.out 4 "%mprun"
    same_tables saved.txt original.saved 1 "%mprun -T"
}

register mp_logger_ways
t_mp_logger_ways() {
    # The README's "Reporting via logger Module": sys.stdout sent to a LogFile before
    # decorating with the imported profile: each call's table goes to the logger's file,
    # as the original's do (they went to mprof's report), and mprof prints none.
    local python
    original_rc 0 original /usr/bin/python3 "$SOURCES/mp_logger.py" original.log
    sed 's/^.* - memory_profile_log - INFO - //' original.log >original.logged
    for python in "${TEST_PYTHONS[@]}"; do
        rm -f ours.log
        expect_rc 0 mp run -o logger.dat "$python" "$SOURCES/mp_logger.py" ours.log
        sed 's/^.* - memory_profile_log - INFO - //' ours.log >ours.logged
        same_tables ours.logged original.logged 2 "$python: LogFile as sys.stdout"
        no_tables out.txt err.txt
    done
}

register mp_memtimer_start_methods
t_mp_memtimer_start_methods() {
    # MemTimer is a module-level class that `from memory_profiler import *` binds, as the
    # original's is, and that pickles: under spawn and forkserver (3.14's default) it
    # started (it failed: "Can't pickle local object"). Their child imports
    # memory_profiler afresh, outside the plugin: Debian's python3, which has the
    # original installed, runs them; every interpreter runs fork.
    local python method
    have_original || skip_test "/usr/bin/python3 has no memory_profiler (the original) here"
    for method in spawn forkserver; do
        expect_rc 0 mp run --no-report -o timer.dat /usr/bin/python3 "$SOURCES/mp_memtimer_spawn.py" "$method"
        expect_out_line "MemTimer: $method 0 True True tuple 0"
    done
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 0 mp run --no-report -o timer.dat "$python" "$SOURCES/mp_memtimer_spawn.py" fork
        expect_out_line "MemTimer: fork 0 True True tuple 0"
    done
}

register mp_stream_raised_calls
t_mp_stream_raised_calls() {
    # @profile(stream=fp) writes a call's table after it returns, and none for a call
    # that raised (a function's and a coroutine's), as the original: it wrote all three.
    local python
    original_rc 0 original /usr/bin/python3 "$SOURCES/mp_stream_raise.py" original.log
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 0 mp run --no-report -o raise.dat "$python" "$SOURCES/mp_stream_raise.py" ours.log
        expect_out_line "raised 5000"
        expect_out_line "returned 10"
        expect_out_line "coroutine raised 2000"
        same_tables ours.log original.log 1 "$python: @profile(stream=fp) of calls that raised"
    done
}

register mp_func_bracket_names
t_mp_func_bracket_names() {
    # A method's and a nested function's FUNC lines are named module.name, as the
    # original's (they were module.qualname: `__main__.A.m`, and `peak --func
    # __main__.m` said NaN); their tables keep the qualified name in their header.
    local python
    original_rc 0 original /usr/bin/python3 -m memory_profiler --timestamp -o original.func \
        "$SOURCES/mp_func_names.py"
    [ "$(awk '$1 == "FUNC" { print $2 }' original.func | sort | tr '\n' ' ')" = "__main__.inner __main__.m " ] ||
        fail "the original's names: $(tr '\n' '|' <original.func)"
    for python in "${TEST_PYTHONS[@]}"; do
        expect_rc 0 mp run -o names.dat "$python" "$SOURCES/mp_func_names.py"
        expect_out_line "m 20000000 inner 1"
        [ "$(awk '$1 == "FUNC" { print $2 }' names.dat | sort | tr '\n' ' ')" = "__main__.inner __main__.m " ] ||
            fail "$python: the .dat's names: $(grep '^FUNC' names.dat | tr '\n' '|')"
        grep -q '^PROFILE_FUNC .* __main__\.A\.m ' names.dat || fail "$python: m's table: $(grep '^PROFILE_FUNC' names.dat)"
        grep -q '^PROFILE_FUNC .* __main__\.outer\.<locals>\.inner ' names.dat ||
            fail "$python: inner's table: $(grep '^PROFILE_FUNC' names.dat)"
        expect_rc 0 mp peak --func __main__.m names.dat
        awk '{ exit !($2 >= 19.0) }' out.txt || fail "$python: peak --func __main__.m: $(cat out.txt)"
    done
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
