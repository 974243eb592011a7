#!/usr/bin/env bash
# tests/integration/plot.sh BUILD_DIR [TEST...] — `mprof plot` (mprof/cmd_plot.c,
# gnuplot.c, gnuplot_run.c): PNG, SVG and PDF by name, several files, --terminal, and a hostile .dat
# whose text must never reach gnuplot as code.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

register plot_png
t_plot_png() {
    write_fixture mprofile_20260101000000.dat
    expect_rc 0 mp plot
    is_png mprofile_20260101000000.png || fail "mprof plot made no mprofile_20260101000000.png beside the .dat ($(ls))"
    expect_rc 0 mp plot -o chosen.png mprofile_20260101000000.dat
    is_png chosen.png || fail "-o chosen.png is not a PNG"
    cp mprofile_20260101000000.dat second.dat
    expect_rc 0 mp plot -o two.png -t "two runs" mprofile_20260101000000.dat second.dat
    is_png two.png || fail "a plot of two files is not a PNG"
    expect_rc 0 mp plot -o plot.svg mprofile_20260101000000.dat
    grep -q '<svg' plot.svg || fail "-o plot.svg is not SVG"
    expect_rc 0 mp plot -o plot.pdf mprofile_20260101000000.dat
    [ "$(head -c 4 plot.pdf)" = "%PDF" ] || fail "-o plot.pdf is not PDF"
}

register plot_terminal
t_plot_terminal() {
    write_fixture mprofile_20260101000000.dat
    expect_rc 0 mp plot --terminal mprofile_20260101000000.dat
    grep -q 'time (in seconds)' out.txt || fail "--terminal output has no x label: $(head -c 300 out.txt)"
    # (gnuplot's dumb terminal cannot draw the rotated y label, so it is not asked for.)
    grep -Eq '^ *[0-9]+(\.[0-9]+)? [+|-]' out.txt || grep -Eq '[0-9] +\+' out.txt ||
        fail "--terminal output has no numbered axis"
    ls ./*.png >/dev/null 2>&1 && fail "--terminal wrote an image file"
    return 0
}

register plot_hostile
t_plot_hostile() {
    # A .dat comes from anyone: nothing in it may run or redirect gnuplot.
    {
        echo "CMDLINE \`touch pwned-backquote\` \"; system(\"touch pwned-system\"); set output 'hijack.png'; \" '"
        echo "MEM 1.000000 1767225600.0000"
        echo "FUNC evil\`touch\${IFS}pwned-func\`\"';system('touch\${IFS}pwned-func2');\" 1.0 1767225600.1 2.0 1767225600.2"
        echo "MEM 2.000000 1767225601.0000"
    } >mprofile_20260101000000.dat
    expect_rc 0 mp plot -o safe.png mprofile_20260101000000.dat
    is_png safe.png || fail "no PNG for a hostile .dat"
    local leaked
    leaked=$(find . -name '*pwned*' -o -name '*hijack*')
    [ -z "$leaked" ] || fail "the .dat's text reached gnuplot as code: $leaked"
    expect_rc 0 mp plot --terminal mprofile_20260101000000.dat
    leaked=$(find . -name '*pwned*' -o -name '*hijack*')
    [ -z "$leaked" ] || fail "--terminal: the .dat's text reached gnuplot as code: $leaked"
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
