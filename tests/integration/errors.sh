#!/usr/bin/env bash
# tests/integration/errors.sh BUILD_DIR [TEST...] — bad input gives one line
# `mprof: <input>: <what is wrong>` and a non-zero exit: programs that cannot run,
# unknown options and commands, unwritable outputs (mprof/main.c, cmd_run.c, target.c),
# -T values the library cannot honour (interval.c), empty, garbled and missing .dat files
# (dat_read.c, cmd_peak.c, cmd_plot.c), and gnuplot not installed (gnuplot_run.c).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

register bad_run_input
t_bad_run_input() {
    expect_error 'nosuch\.py: ' mp run nosuch.py
    expect_error 'nosuch-program-xyz: ' mp run nosuch-program-xyz
    echo 'echo hi' >notexec
    chmod 644 notexec
    expect_error '\./notexec: ' mp run ./notexec
    expect_error '.*--bogus' mp run --bogus "$PROGRAMS/hold" 0 0
    expect_error '.*bogus-command' mp bogus-command
    expect_error '/nonexistent-dir/x\.dat: ' mp run -o /nonexistent-dir/x.dat "$PROGRAMS/hold" 0 0
    local left
    left=$(ls mprofile_*.dat 2>/dev/null || true)
    [ -z "$left" ] || fail "failed runs left files: $left"
}

register bad_dat_input
t_bad_dat_input() {
    : >empty.dat
    expect_error 'empty\.dat: ' mp peak empty.dat
    expect_error 'empty\.dat: ' mp plot -o e.png empty.dat
    # A bad line: peak and plot use the lines before it and say which line stopped
    # them; report (tables are written last) refuses.
    printf 'CMDLINE x\nMEM 1.0 1767225600.0\nMEM abc\n' >garbage.dat
    expect_rc 0 mp peak garbage.dat
    [ "$(cat err.txt)" = "mprof: garbage.dat: line 3: MEM needs <MiB> <time>: the peaks are those of the lines before" ] ||
        fail "peak of a bad line: '$(cat err.txt)'"
    grep -q '^garbage\.dat	1\.000 MiB at 0\.000 s' out.txt || fail "peak of the valid part: '$(cat out.txt)'"
    expect_rc 0 mp plot -o g.png garbage.dat
    grep -q '^mprof: garbage\.dat: line 3: MEM needs <MiB> <time>: plotting the lines before$' err.txt ||
        fail "plot of a bad line: '$(cat err.txt)'"
    [ -s g.png ] || fail "no plot of the valid part"
    rm -f g.png
    expect_error 'garbage\.dat: line 3' mp report garbage.dat
    printf 'hello world\nthis is not a profile\n' >notdat.dat
    expect_error 'notdat\.dat: ' mp peak notdat.dat
    expect_error 'nosuch\.dat: ' mp peak nosuch.dat
    expect_error '.*--bogus' mp plot --bogus
    write_fixture good.dat
    expect_error '/nonexistent-dir/x\.png: ' mp plot -o /nonexistent-dir/x.png good.dat
    [ ! -e e.png ] && [ ! -e g.png ] || fail "a failed plot left an image"
}

register truncated_dat
t_truncated_dat() {
    # A real run's .dat cut anywhere (at a field boundary too: a cut-off table row
    # parses): report refuses every cut, peak and plot use what is there and say so. The
    # whole file is accepted by all three.
    expect_rc 0 mp run --lines -o whole.dat "$TEST_PYTHON" "$SOURCES/profile_issue.py"
    expect_rc 0 mp report whole.dat
    expect_rc 0 mp peak whole.dat
    [ ! -s err.txt ] || fail "peak of a whole file said: $(cat err.txt)"
    local size cut refused=0 step=13
    size=$(stat -c %s whole.dat)
    # Under valgrind (make check-valgrind) every 89th byte is enough, and 7x quicker.
    [ "${MPROF_VALGRIND:-0}" != 1 ] || step=89
    # Each byte of the end line counts: its newline, its number, the word itself.
    for cut in $((size - 1)) $((size - 3)) $((size - 4)) $(seq $((size - 6)) -$step $((size / 2))); do
        head -c "$cut" whole.dat >cut.dat
        mp report cut.dat >out.txt 2>err.txt && fail "report took a file cut at $cut of $size bytes"
        [ "$(wc -l <err.txt)" -eq 1 ] || fail "report at $cut: $(cat err.txt)"
        expect_rc 0 mp peak cut.dat
        grep -Eq '^mprof: cut\.dat: .*: the peaks are those of the lines before$' err.txt ||
            fail "peak at $cut said: '$(cat err.txt)'"
        refused=$((refused + 1))
    done
    [ "$refused" -gt 20 ] || fail "only $refused cuts tried"
}

register bad_no_dat
t_bad_no_dat() {
    expect_error '.*' mp peak
    expect_error '.*' mp plot
    grep -Eqi 'no .*dat|mprofile' err.txt || fail "mprof plot in an empty dir: '$(cat err.txt)' does not say no .dat"
}

register gnuplot_missing
t_gnuplot_missing() {
    write_fixture good.dat
    mkdir emptybin
    expect_error '.*gnuplot.*apt(-get)? install .*gnuplot' env PATH="$PWD/emptybin" "$MPROF" plot -o x.png good.dat
}

# Below the floor, zero, too fine or not a number: one line naming the value, no file.
register interval_refused
t_interval_refused() {
    local value
    for value in 0.0005 1e-9 0 abc -1 1e-05; do
        expect_error "run: -T $value: " mp run -T "$value" "$PROGRAMS/hold" 0 0
    done
    expect_error 'run: -T 0\.0005: below the 0\.001 s floor' mp run -T 0.0005 "$PROGRAMS/hold" 0 0
    expect_error 'run: -T abc: not a number of seconds' mp run --interval abc "$PROGRAMS/hold" 0 0
    local left
    left=$(ls mprofile_*.dat 2>/dev/null || true)
    [ -z "$left" ] || fail "refused runs left files: $left"
}

register usage_errors_one_style
t_usage_errors_one_style() {
    # Every subcommand says a usage error the same way: the command, the option as
    # typed, what is wrong, and its own --help.
    local command
    for command in run report plot peak rm check; do
        expect_error "$command: --bogus: unknown option \(see mprof $command --help\)\$" \
            mp "$command" --bogus
    done
    for command in list clean; do
        expect_error "$command: --bogus: unexpected argument \(see mprof $command --help\)\$" \
            mp "$command" --bogus
    done
    expect_error 'report: --top -1: not a number of lines \(1 or more\)$' mp report --top -1
    expect_error 'report: --top: needs a value \(see mprof report --help\)$' mp report --top
    expect_error 'plot: -w 3: needs XMIN,XMAX' mp plot -w 3
}

register endless_range
t_endless_range() {
    # 93 bytes whose table would print lines 0..2^32-1: refused at once, naming the line.
    printf 'MEM 1.000000 1.0000\nPROFILE_FUNC 1 1 0 4294967295 1 m.f f.py\nPROFILE_LINE 1 1 0 1 0 0 x = []\n' >endless.dat
    [ "$(wc -c <endless.dat)" -eq 93 ] || fail "endless.dat is not 93 bytes"
    expect_rc 1 mp report endless.dat
    [ "$(cat err.txt)" = "mprof: endless.dat: line 2: PROFILE_FUNC: lines 0-4294967295 are 4294967296 table rows: with those before it, 4294967296 rows no PROFILE_LINE gives, more than any source holds (1000000)" ] ||
        fail "report of an endless range: '$(head -c 300 err.txt)'"
    [ ! -s out.txt ] || fail "report printed $(wc -c <out.txt) bytes of an endless range"
}

register dat_text_escaped
t_dat_text_escaped() {
    # Escape sequences in the file's text (OSC 52 to the clipboard, OSC 0 to the window
    # title, CSI 2J, the 8-bit CSI U+009B, a carriage return): the .dat writes them
    # escaped and the reader undoes it; they are printed as text, the exact bytes.
    printf 'MEM 1.000000 1.0000\nPROFILE_FUNC 1 1 1 1 1 m.f\\x1b]0;title\\x07 /tmp/\\x1b]0;t\\x07.py\nPROFILE_LINE 1 1 1 1 0 1048576 x = "\\x1b]52;c;aGk=\\x07"\xc2\x9b2J\r;\nTOP 1 1048576 1 1 1 f\\x1b[2J \\x1b]0;t\\x07.py\n' >escapes.dat
    expect_rc 0 mp report escapes.dat
    printf 'Filename: /tmp/\\x1b]0;t\\x07.py\n\nLine #    Mem usage    Increment  Occurrences   Line Contents\n=============================================================\n     1      1.0 MiB      0.0 MiB           1   x = "\\x1b]52;c;aGk=\\x07"\\xc2\\x9b2J\\x0d;\n\n\n' >expected.txt
    cmp -s out.txt expected.txt || fail "report of escapes: $(od -c out.txt | head -5)"
    expect_rc 0 mp report --top 1 escapes.dat
    tail -n 1 out.txt >top.txt
    printf '     1        1.0 MiB             1             1   \\x1b]0;t\\x07.py:1 (f\\x1b[2J)\n' >expected.txt
    cmp -s top.txt expected.txt || fail "report --top of escapes: $(od -c top.txt | head -5)"
    if LC_ALL=C grep -q "$(printf '\x1b')" out.txt; then fail "an ESC reached the output"; fi
}

register run_tables_escaped
t_run_tables_escaped() {
    # A source line holding a raw escape sequence (OSC 0, the window title): mprof run's
    # own tables and mprof report show it as text.
    printf '@profile\ndef f():\n    x = "\x1b]0;owned\x07" * 1000\n    return x\n\nf()\n' >esc.py
    expect_rc 0 mp run -o esc.dat python3 esc.py
    grep -qF '    x = "\x1b]0;owned\x07" * 1000' err.txt || fail "run's table: $(od -c err.txt | head -20)"
    if LC_ALL=C grep -q "$(printf '\x1b')" err.txt; then fail "an ESC reached run's output"; fi
    expect_rc 0 mp report esc.dat
    grep -qF '    x = "\x1b]0;owned\x07" * 1000' out.txt || fail "report's table: $(od -c out.txt | head -20)"
    if LC_ALL=C grep -q "$(printf '\x1b')" out.txt; then fail "an ESC reached report's output"; fi
}

register full_disk
t_full_disk() {
    # A file size limit stands for a full disk: the run says it failed to write (and
    # not "wrote"), exits non-zero, and leaves whole lines that read as the valid part.
    ( ulimit -f 2; trap '' XFSZ
      exec "$MPROF" run --all-samples -T 0.01 -o full.dat "$PROGRAMS/hold" 4 1 ) >out.txt 2>err.txt
    local rc=$?
    [ "$rc" -ne 0 ] || fail "a run that could not write its file exited 0"
    grep -q '^mprof: full\.dat: write failed: File too large: it keeps the [0-9]* bytes of whole lines written before, not the run.s end$' err.txt ||
        fail "no write failure said: '$(cat err.txt)'"
    if grep -q 'wrote' err.txt; then fail "a failed write said 'wrote': '$(cat err.txt)'"; fi
    [ "$(tail -c 1 full.dat | od -An -c | tr -d ' ')" = '\n' ] || fail "full.dat ends in a cut line"
    expect_rc 0 mp peak full.dat
    if grep -q truncated err.txt; then fail "peak read a cut line: '$(cat err.txt)'"; fi
    grep -q '^full\.dat	' out.txt || fail "no peak of the valid part: '$(cat out.txt)'"
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
