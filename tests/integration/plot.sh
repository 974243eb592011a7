#!/usr/bin/env bash
# tests/integration/plot.sh BUILD_DIR [TEST...] — `mprof plot` (mprof/cmd_plot.c,
# gnuplot*.c, term_size.c): PNG, SVG and PDF by name, several files, --terminal, and a hostile .dat
# whose text must never reach gnuplot as code; then the pictures themselves, as the real
# gnuplot draws them: the legend's text to the last underscore, its place, the peaks'
# marks, -w, --log/--no-heap/--no-rss, and the text plot at the terminal's size.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PNGREAD=(/usr/bin/python3 "$ROOT/tests/integration/pngread.py")

# plot_capturing ARGS...: mprof plot ARGS with the script it gives gnuplot kept in
# script.gp (a gnuplot on PATH that tees it to the real one); out.txt, err.txt as expect_rc.
plot_capturing() {
    if [ ! -x fakebin/gnuplot ]; then
        mkdir -p fakebin
        printf '#!/bin/sh\ntee "%s/script.gp" | exec %s "$@"\n' "$PWD" "$(command -v gnuplot)" \
            >fakebin/gnuplot
        chmod +x fakebin/gnuplot
    fi
    env PATH="$PWD/fakebin:$PATH" timeout -k 5 "$TIMEOUT" "$MPROF" plot "$@" >out.txt 2>err.txt
}

# svg_texts FILE: every text an SVG shows, one per line.
svg_texts() {
    grep -o '<text[^>]*>[^<]*</text>' "$1" | sed -e 's/<[^>]*>//g' -e 's/^ *//' \
        -e 's/&amp;/\&/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e "s/&apos;/'/g" -e 's/&quot;/"/g'
}

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

# A legend's last entry keeps its underscores in a PNG (pngcairo once cut the bottom of
# the last key line): a name of 32 underscores is drawn as one dark run exactly as long
# as gnuplot draws the same text alone, with the same terminal line.
register plot_legend_underscores
t_plot_legend_underscores() {
    write_fixture f.dat
    local t=1767225600 name=________________________________
    echo "FUNC __main__.my_func 10.0 $t.1000 60.0 $t.4000 0" >>f.dat
    echo "FUNC $name 60.0 $t.6000 20.0 $t.9000 0" >>f.dat
    plot_capturing -o u.png f.dat || fail "mprof plot exited $?: $(cat err.txt)"
    is_png u.png || fail "no PNG"
    local terminal
    terminal=$(grep '^set terminal' script.gp) || fail "no terminal line in the script"
    printf "%s\\nunset border\\nunset tics\\nunset key\\nset label '%s 0.300s' at screen 0.3, screen 0.5\\nplot [0:1][0:1] -1 notitle\\n" \
        "$terminal" "$name" | gnuplot -d >alone.png || fail "gnuplot drew no reference"
    local length
    length=$("${PNGREAD[@]}" runs alone.png 100 1000 | awk '{ print $3 }' | sort -n | tail -1)
    [ -n "$length" ] || fail "the reference shows no underscores"
    grep -q . <<<"$("${PNGREAD[@]}" runs u.png "$((length - 1))" "$((length + 1))")" ||
        fail "the legend's last entry lost its underscores: no dark run of $length px in u.png"
    expect_rc 0 mp plot -o u.svg f.dat
    grep -qx "__main__.my_func 0.300s" <<<"$(svg_texts u.svg)" || fail "SVG legend: $(svg_texts u.svg | tr '\n' '|')"
    grep -qx "$name 0.300s" <<<"$(svg_texts u.svg)" || fail "SVG legend lost the last entry"
}

# The picture: the legend below the frame (the frame spans the width), the RSS line
# called RSS, both peaks marked and named, x from 0; PNG, SVG and PDF one page alike.
register plot_layout
t_plot_layout() {
    write_fixture f.dat
    plot_capturing -o f.png f.dat || fail "mprof plot exited $?: $(cat err.txt)"
    sed "s|/tmp/[^']*|DATA|; s|[^ ]*/mprof-plot-[A-Za-z0-9]*|DATA|g" script.gp >png.gp
    grep -qx 'set xrange \[0:\*\]' script.gp || fail "x does not start at 0: $(grep xrange script.gp)"
    [ "$("${PNGREAD[@]}" size f.png)" = "1260 540" ] || fail "PNG size $("${PNGREAD[@]}" size f.png)"
    # The frame's top border: the highest row with a dark run of 300 px or more (a key
    # box, were there one, is lower), from its first dark run to its last (a peak line
    # crossing it cuts it in two).
    local frame
    frame=$("${PNGREAD[@]}" runs f.png 20 2000 | awk '
        $3 >= 300 && (top == "" || $1 < top) { top = $1 }
        { row[NR] = $1; start[NR] = $2; end[NR] = $2 + $3 }
        END {
            for (i in row)
                if (row[i] == top) {
                    if (l == "" || start[i] < l) l = start[i]
                    if (end[i] > r) r = end[i]
                }
            print r - l
        }')
    [ "${frame:-0}" -ge 1100 ] || fail "the frame is ${frame:-0} px of 1260 wide: the legend takes the rest"
    plot_capturing -o f.svg f.dat || fail "SVG: $(cat err.txt)"
    sed "s|[^ ']*/mprof-plot-[A-Za-z0-9]*|DATA|g" script.gp >svg.gp
    svg_texts f.svg >texts.txt
    for text in RSS heap "RSS peak 73.250 MiB" "heap peak 47.684 MiB" "python3 fixture.py"; do
        grep -qxF "$text" texts.txt || fail "the SVG does not show '$text': $(tr '\n' '|' <texts.txt)"
    done
    grep -q 'width="1260" height="540"' f.svg || fail "SVG size: $(grep -o 'width="[^"]*" height="[^"]*"' f.svg | head -1)"
    plot_capturing -o f.pdf f.dat || fail "PDF: $(cat err.txt)"
    sed "s|[^ ']*/mprof-plot-[A-Za-z0-9]*|DATA|g" script.gp >pdf.gp
    grep -aq 'MediaBox \[ *0 0 945 405 *\]' f.pdf || fail "PDF page: $(grep -ao 'MediaBox[^]]*]' f.pdf | head -1)"
    # One picture: the scripts differ in their terminal line only.
    sed "s|[^ ']*/mprof-plot-[A-Za-z0-9]*|DATA|g" png.gp | grep -v '^set terminal' >a.gp
    grep -v '^set terminal' svg.gp >b.gp
    grep -v '^set terminal' pdf.gp >c.gp
    cmp -s a.gp b.gp && cmp -s a.gp c.gp || fail "PNG, SVG and PDF scripts differ: $(diff a.gp c.gp | head -5 | tr '\n' '|')"
    # Text of the same size on the page: the title is as wide in the PDF (at 96 per inch,
    # the PNG's resolution) as in the PNG, to within 3 px.
    if command -v pdftoppm >/dev/null; then
        pdftoppm -png -r 96 f.pdf page || fail "pdftoppm failed"
        [ "$("${PNGREAD[@]}" size page-1.png)" = "1260 540" ] || fail "PDF at 96 dpi: $("${PNGREAD[@]}" size page-1.png)"
        local png_title pdf_title
        png_title=$("${PNGREAD[@]}" box f.png 0 30 | awk '{ print $3 - $1 }')
        pdf_title=$("${PNGREAD[@]}" box page-1.png 0 30 | awk '{ print $3 - $1 }')
        [ -n "$png_title" ] && [ -n "$pdf_title" ] && [ $((png_title - pdf_title)) -le 3 ] &&
            [ $((pdf_title - png_title)) -le 3 ] ||
            fail "the title is ${png_title:-?} px wide in the PNG, ${pdf_title:-?} px in the PDF"
    fi
    # Several files: each line says which file it is.
    cp f.dat g.dat
    expect_rc 0 mp plot -o two.svg f.dat g.dat
    svg_texts two.svg >texts.txt
    for text in "RSS f.dat" "heap f.dat" "RSS g.dat" "heap g.dat"; do
        grep -qxF "$text" texts.txt || fail "two files: no '$text' in $(tr '\n' '|' <texts.txt)"
    done
}

# -w: y fits the window (the lines drawn to its edges: RSS 50.4 and 68.41 MiB, heap 38.35
# and 43.44 there, RSS peak 73.25 inside); a peak outside is not marked; an empty window
# is an error that names it.
register plot_window
t_plot_window() {
    write_fixture f.dat
    plot_capturing -o w.png -w 0.4,1.0 f.dat || fail "mprof plot -w exited $?: $(cat err.txt)"
    grep -qxF 'set yrange [36.601867:76.042239]' script.gp || fail "-w 0.4,1.0: $(grep yrange script.gp)"
    grep -q "^set label 1 'RSS peak 73.250 MiB'" script.gp || fail "the peak inside the window is not marked"
    plot_capturing -o w.png -w 1.0,2.5 f.dat || fail "mprof plot -w 1.0,2.5 exited $?: $(cat err.txt)"
    ! grep -q '^set arrow\|^set label [12] ' script.gp || fail "a peak outside the window is marked: $(grep '^set arrow\|^set label' script.gp | tr '\n' '|')"
    is_png w.png || fail "no PNG for -w 1.0,2.5"
    rm -f w.png
    expect_error '-w 5,6: no samples between 5 s and 6 s \(the profile runs from 0 to 2\.000 s\)$' mp plot -o w.png -w 5,6 f.dat
    [ ! -e w.png ] || fail "an empty window left w.png"
    expect_error '-w 5,6: no samples' mp plot --terminal -w 5,6 f.dat
}

# For a heap far from RSS: --log, and either series left out (its peak too).
register plot_log_and_hide
t_plot_log_and_hide() {
    write_fixture f.dat
    plot_capturing -o l.png --log f.dat || fail "--log exited $?: $(cat err.txt)"
    grep -qx 'set logscale y 10' script.gp || fail "--log: no log scale"
    grep -qxF 'set yrange [0.666666667:117.200000]' script.gp || fail "--log: $(grep yrange script.gp)"
    is_png l.png || fail "--log: no PNG"
    expect_rc 0 mp plot -o n.svg --no-heap f.dat
    svg_texts n.svg >texts.txt
    grep -qxF RSS texts.txt && grep -qxF "RSS peak 73.250 MiB" texts.txt || fail "--no-heap lost RSS"
    ! grep -q heap texts.txt || fail "--no-heap still shows: $(grep heap texts.txt | tr '\n' '|')"
    expect_rc 0 mp plot -o r.svg --no-rss f.dat
    svg_texts r.svg >texts.txt
    grep -qxF heap texts.txt && grep -qxF "heap peak 47.684 MiB" texts.txt || fail "--no-rss lost the heap"
    ! grep -q RSS texts.txt || fail "--no-rss still shows: $(grep RSS texts.txt | tr '\n' '|')"
    expect_error 'plot: --no-heap and --no-rss leave nothing to plot$' mp plot --no-heap --no-rss f.dat
    grep -v '^HEAP' f.dat >rss-only.dat
    expect_error 'nothing to plot: rss-only\.dat has no heap series to show$' mp plot -o x.png --no-rss rss-only.dat
    expect_rc 0 mp plot --help
    for option in --log --no-heap --no-rss; do
        grep -q -- "$option " out.txt || fail "mprof plot --help does not name $option"
        grep -q -- "${option//-/\\\\-}" "$ROOT/doc/mprof.1" || fail "doc/mprof.1 does not name $option"
        grep -q -- "$option" "$ROOT/README.md" || fail "README.md does not name $option"
    done
}

# --terminal: as big as the terminal (asked with TIOCGWINSZ; $COLUMNS/$LINES where there
# is none), the peak lines inside the frame and off the title, a y unit, x from 0.
register plot_terminal_size
t_plot_terminal_size() {
    write_fixture f.dat
    /usr/bin/python3 - "$MPROF" f.dat <<'PY' || fail "under a 77x33 terminal: $(cat err.txt 2>/dev/null)"
import fcntl, os, pty, struct, subprocess, sys, termios
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 77, 0, 0))
env = {k: v for k, v in os.environ.items() if k not in ('COLUMNS', 'LINES')}
with open('err.txt', 'wb') as err:
    child = subprocess.Popen([sys.argv[1], 'plot', '--terminal', sys.argv[2]], stdout=slave,
                             stderr=err, env=env)
os.close(slave)
out = b''
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.exit(child.wait() or open('tty.txt', 'wb').write(out.replace(b'\r\n', b'\n')) * 0)
PY
    tr -d '\f' <tty.txt >tty-plot.txt
    local size
    size=$(awk '{ if (length($0) != 77) bad++ } END { print NR, bad + 0 }' tty-plot.txt)
    [ "$size" = "33 0" ] || fail "a 77x33 terminal got a plot of (lines, lines not 77 wide) $size"
    expect_rc 0 env COLUMNS=70 LINES=20 "$MPROF" plot --terminal f.dat
    tr -d '\f' <out.txt >plot.txt
    size=$(awk '{ if (length($0) != 70) bad++ } END { print NR, bad + 0 }' plot.txt)
    [ "$size" = "20 0" ] || fail "COLUMNS=70 LINES=20 without a terminal gave (lines, not 70 wide) $size"
    /usr/bin/python3 - tty-plot.txt <<'PY' || fail "$(cat why.txt)"
import re, sys
lines = open(sys.argv[1]).read().split('\n')[:-1]
problems = []
border = re.compile(r'^ *(-?[0-9.]+ )?\+-+\+ *$')
top = next(i for i, l in enumerate(lines) if border.match(l))
bottom = next(i for i in range(top + 1, len(lines)) if border.match(lines[i]))
left, right = lines[top].index('+'), lines[top].rindex('+')
title = next(l for l in lines[:top] if 'python3 fixture.py' in l)
if title.replace('python3 fixture.py', '').replace('MiB', '').strip():
    problems.append('the title line is crossed: %r' % title)
if not re.match(r'^ *MiB ', title):
    problems.append('no y unit above the axis: %r' % title)
for row in lines[top:bottom + 1]:
    if row[right] not in '|+' or row[right + 1:].strip():
        problems.append('a line runs past the right border: %r' % row)
        break
tics = lines[bottom + 1].split()
if not tics or tics[0] != '0' or lines[bottom + 1].index('0') != left:
    problems.append('the x axis does not start at 0 at the frame: %r' % lines[bottom + 1])
legend = '\n'.join(lines[bottom + 2:])
for text in ('RSS peak 73.250 MiB at 0.900 s', 'heap peak 47.684 MiB at 0.500 s'):
    if text not in legend:
        problems.append('no %r below the plot' % text)
open('why.txt', 'w').write('; '.join(problems))
sys.exit(1 if problems else 0)
PY
}

# A title is shown as written: gnuplot takes '@' and a backquote in a quoted literal as
# text (and nothing runs: plot_hostile).
register plot_title_literal
t_plot_title_literal() {
    write_fixture f.dat
    expect_rc 0 mp plot -o t.svg -t 'mail@host `uname` $HOME' f.dat
    grep -qxF 'mail@host `uname` $HOME' <<<"$(svg_texts t.svg)" ||
        fail "the title reads '$(svg_texts t.svg | grep host)'"
    sed -i 's/^CMDLINE .*/CMDLINE python3 at@mark.py `x`/' f.dat
    expect_rc 0 mp plot -o c.svg f.dat
    grep -qxF 'python3 at@mark.py `x`' <<<"$(svg_texts c.svg)" || fail "the CMDLINE title reads '$(svg_texts c.svg | grep mark)'"
}

# Times no date can hold never reach a time_t: the reader stops at them by name, and the
# plot draws the lines before (a file of nothing else has nothing to draw).
register plot_time_out_of_range
t_plot_time_out_of_range() {
    printf 'CMDLINE x\nMEM 2 1767225600\nMEM 1 -1e30\n' >far.dat
    expect_rc 0 mp plot -o far.png far.dat
    [ "$(cat err.txt)" = "mprof: far.dat: line 3: MEM: <time> is not within -100000000000..100000000000: '-1e30': plotting the lines before" ] ||
        fail "stderr: $(cat err.txt)"
    is_png far.png || fail "no plot of the line before"
    printf 'CMDLINE x\nMEM 1 -1e30\n' >far.dat
    expect_error "far\.dat: " mp plot -o far2.png far.dat
    [ ! -e far2.png ] || fail "a plot was written"
}

register plot_signal_cleanup
t_plot_signal_cleanup() {
    # mprof plot ended by SIGTERM or SIGHUP while gnuplot draws: it ends as the signal
    # would, gnuplot with it, and neither its data file nor the picture's temporary
    # file beside the destination stays behind. (SIGINT is handled alike, but a shell
    # starts background jobs with it ignored, which mprof plot then leaves ignored.)
    python3 - big.dat <<'PY'
import sys
with open(sys.argv[1], 'w') as out:
    out.write('CMDLINE big\nMPROF version 3\nMPROF interval 0.01\n')
    for i in range(1_500_000):
        t = 1700000000 + i * 0.01
        out.write('MEM %.6f %.4f\nHEAP %.4f %d\n' % (10 + (i % 977) / 10, t, t, 1000000 + (i % 7919) * 100))
PY
    reseal_dat big.dat
    local signal
    for signal in TERM HUP; do
        mkdir -p "tmp$signal" "out$signal"
        TMPDIR=$PWD/tmp$signal "$MPROF" plot -o "out$signal/big.png" big.dat >/dev/null 2>"err$signal.txt" &
        local cli=$! gnuplot="" waited=0
        while [ -z "$gnuplot" ] && [ "$waited" -lt 600 ] && kill -0 "$cli" 2>/dev/null; do
            gnuplot=$(pgrep -P "$cli" -x gnuplot || true)
            sleep 0.05
            waited=$((waited + 1))
        done
        [ -n "$gnuplot" ] || fail "SIG$signal: gnuplot never ran under mprof plot ($(cat "err$signal.txt"))"
        kill -"$signal" "$cli"
        local status=0
        wait "$cli" || status=$?
        [ "$status" -eq $((128 + $(kill -l "$signal"))) ] || fail "SIG$signal: mprof plot ended with $status"
        waited=0
        while kill -0 "$gnuplot" 2>/dev/null && [ "$waited" -lt 40 ]; do sleep 0.05; waited=$((waited + 1)); done
        ! kill -0 "$gnuplot" 2>/dev/null || fail "SIG$signal: gnuplot $gnuplot still runs"
        [ -z "$(ls -A "tmp$signal")" ] || fail "SIG$signal: left in TMPDIR: $(ls -A "tmp$signal")"
        [ -z "$(ls -A "out$signal")" ] || fail "SIG$signal: left beside the output: $(ls -A "out$signal")"
    done
}

register plot_edges
t_plot_edges() {
    # A flat series in a window between two samples (gnuplot cannot autoscale it).
    printf 'CMDLINE x\nMEM 5.0 100.0\nMEM 5.0 101.0\nMEM 5.0 102.0\n' >flat.dat
    expect_rc 0 mp plot -w 0.5,0.6 -o flat.png flat.dat
    [ -s flat.png ] || fail "no flat.png"
    expect_rc 0 mp plot --terminal -w 0.2,0.3 flat.dat
    # A window narrower than 10 microseconds is refused, not handed to gnuplot.
    expect_error 'plot: -w 1\.0000001,1\.0000002: needs XMIN,XMAX, two numbers with XMIN < XMAX \(10 microseconds apart at least\)' \
        mp plot -w 1.0000001,1.0000002 -o narrow.png flat.dat
    # A C1 control (U+009B, CSI) in a title never reaches the terminal of a text plot.
    printf 'CMDLINE python3 \302\2332J x\nMEM 5.0 100.0\nMEM 6.0 101.0\n' >c1.dat
    expect_rc 0 mp plot --terminal c1.dat
    ! LC_ALL=C grep -q "$(printf '\302\233')" out.txt || fail "a C1 CSI reached the text plot"
    # A HEAP sample before the first MEM: drawn from 0, its peak at 0 s, not off the frame.
    printf 'CMDLINE x\nMPROF version 3\nHEAP 99.990 5000000\nMEM 1.0 100.0\nMEM 2.0 100.5\nHEAP 100.6 10000\nMEM 3.0 101.0\n' >early.dat
    expect_rc 0 mp plot --terminal early.dat
    grep -q 'heap peak 4\.768 MiB at 0\.000 s' out.txt || fail "early heap peak: $(grep -i peak out.txt)"
}

# plot_scripts ARGS...: mprof plot ARGS with each script it gives gnuplot kept, in the
# order run, as script-1.gp, script-2.gp, ... (a JPEG takes two runs).
plot_scripts() {
    mkdir -p fakebin-n
    cat >fakebin-n/gnuplot <<EOF
#!/bin/sh
n=1
while [ -e "$PWD/script-\$n.gp" ]; do n=\$((n + 1)); done
tee "$PWD/script-\$n.gp" | exec $(command -v gnuplot) "\$@"
EOF
    chmod +x fakebin-n/gnuplot
    rm -f script-*.gp
    env PATH="$PWD/fakebin-n:$PATH" timeout -k 5 "$TIMEOUT" "$MPROF" plot "$@" >out.txt 2>err.txt
}

# jpeg_size FILE: "WIDTH HEIGHT" from a JPEG's start-of-frame marker.
jpeg_size() {
    /usr/bin/python3 - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
if data[:3] != b'\xff\xd8\xff':
    sys.exit('not a JPEG')
pos = 2
while pos + 4 <= len(data):
    marker, length = data[pos + 1], struct.unpack('>H', data[pos + 2:pos + 4])[0]
    if marker in (0xc0, 0xc1, 0xc2):
        height, width = struct.unpack('>HH', data[pos + 5:pos + 9])
        print(width, height)
        sys.exit(0)
    pos += 2 + length
sys.exit('no frame')
PY
}

# image_difference A B: "WORST MEAN", the largest and the mean difference of a channel
# between two pictures of the same size (PNG or JPEG, by their names), decoded by gnuplot.
image_difference() {
    local file
    for file in "$1" "$2"; do
        local type=png
        case $file in *.jpg | *.JPG | *.jpeg) type=jpeg ;; esac
        gnuplot -e "set table '$file.txt'; plot '$file' binary filetype=$type with rgbimage" \
            2>&1 || return 1
    done
    # The same raster order in both: x y red green blue alpha, line by line.
    paste "$1.txt" "$2.txt" | awk '
        NF == 14 && $1 ~ /^[0-9]/ {
            if ($1 != $8 || $2 != $9) { print "pixel " $1 "," $2 " against " $8 "," $9; bad = 1; exit }
            n++
            for (i = 3; i <= 5; i++) { d = $i - $(i + 7); d = d < 0 ? -d : d; sum += d; if (d > worst) worst = d }
        }
        END {
            if (bad) exit 1
            if (n == 0) { print "no pixels"; exit 1 }
            printf "%d %.3f\n", worst, sum / (3 * n)
        }'
}

# same_picture WORST MEAN: whether two pictures differ only by JPEG's loss: no channel
# of a pixel by more than 80, under 1.5 a channel on average (the JPEG of a PNG: at most
# about 50, and 0.3; the same picture moved by one pixel: 255, and 2.6 to 4.8).
same_picture() {
    [ "$1" -le 80 ] && awk -v mean="$2" 'BEGIN { exit !(mean < 1.5) }'
}

register plot_jpeg_eps
t_plot_jpeg_eps() {
    # -o x.jpg and -o x.eps (cmd_plot.c, gnuplot_jpeg.c): the PNG's and the PDF's picture.
    write_fixture f.dat
    mkdir tmp
    plot_scripts -o f.png f.dat || fail "PNG: $(cat err.txt)"
    sed "s|[^ ']*/mprof-plot-[A-Za-z0-9]*|DATA|g" script-1.gp >png.gp
    TMPDIR=$PWD/tmp plot_scripts -o f.jpg f.dat || fail "JPEG: $(cat err.txt)"
    [ "$(cat out.txt)" = "wrote f.jpg" ] || fail "JPEG said '$(cat out.txt)'"
    [ -e script-2.gp ] && [ ! -e script-3.gp ] || fail "a JPEG is not two gnuplot runs: $(ls script-*.gp)"
    # The first run draws the PNG's very script; the second re-encodes that picture.
    sed "s|[^ ']*/mprof-plot-[A-Za-z0-9]*|DATA|g" script-1.gp | cmp -s - png.gp ||
        fail "the JPEG's drawing differs from the PNG's: $(sed "s|[^ ']*/mprof-plot-[A-Za-z0-9]*|DATA|g" script-1.gp | diff png.gp - | head -5 | tr '\n' '|')"
    grep -qx 'set terminal jpeg size 1260,540' script-2.gp || fail "re-encoding script: $(tr '\n' '|' <script-2.gp)"
    grep -Eq "^plot '$PWD/tmp/mprof-plot-png-[A-Za-z0-9]{6}' binary filetype=png with rgbimage notitle$" script-2.gp ||
        fail "re-encoding script's plot: $(grep '^plot' script-2.gp)"
    [ "$(jpeg_size f.jpg)" = "1260 540" ] || fail "JPEG size: $(jpeg_size f.jpg 2>&1)"
    [ "$(stat -c %s f.jpg)" -gt 20000 ] || fail "JPEG of $(stat -c %s f.jpg) bytes"
    [ -z "$(ls -A tmp)" ] || fail "left in TMPDIR: $(ls -A tmp)"
    # Pixel for pixel the PNG, but for JPEG's quantisation: both decoded by gnuplot.
    local difference
    difference=$(image_difference f.png f.jpg) || fail "decoding the PNG and the JPEG: $difference"
    same_picture $difference || fail "the JPEG is not the PNG's picture (worst, mean difference: $difference)"
    expect_rc 0 mp plot -o F.JPEG f.dat
    [ "$(jpeg_size F.JPEG)" = "1260 540" ] || fail ".JPEG: $(jpeg_size F.JPEG 2>&1)"
    # EPS: the PDF's script but for the terminal, a page of 945 x 405 points.
    plot_scripts -o f.pdf f.dat || fail "PDF: $(cat err.txt)"
    sed "s|[^ ']*/mprof-plot-[A-Za-z0-9]*|DATA|g" script-1.gp >pdf.gp
    plot_scripts -o f.eps f.dat || fail "EPS: $(cat err.txt)"
    sed "s|[^ ']*/mprof-plot-[A-Za-z0-9]*|DATA|g" script-1.gp >eps.gp
    grep -qxF "set terminal epscairo size 13.125in,5.625in noenhanced font 'sans,10' fontscale 0.72 linewidth 1.5" eps.gp ||
        fail "EPS terminal: $(grep '^set terminal' eps.gp)"
    diff <(grep -v '^set terminal' pdf.gp) <(grep -v '^set terminal' eps.gp) >/dev/null ||
        fail "EPS and PDF scripts differ beyond the terminal"
    [ "$(head -n 1 f.eps)" = '%!PS-Adobe-3.0 EPSF-3.0' ] || fail "EPS header: $(head -n 1 f.eps)"
    grep -qx '%%BoundingBox: 0 0 945 405' f.eps || fail "EPS box: $(grep BoundingBox f.eps)"
    # An unknown extension names every known one.
    expect_error "x\.gif: unknown output format '\.gif' \(use \.png, \.svg, \.pdf, \.jpg, \.jpeg or \.eps\)$" \
        mp plot -o x.gif f.dat
    expect_error "noext: unknown output format 'no extension' \(use \.png, \.svg, \.pdf, \.jpg, \.jpeg or \.eps\)$" \
        mp plot -o noext f.dat
    [ ! -e x.gif ] && [ ! -e noext ] || fail "a refused format left a file"
}

# flame_fixture FILE: outer (level 0, 0.4-2.4 s) calls middle twice (level 1), each
# middle calls inner (level 2); memory climbs to 50 MiB in the first inner.
flame_fixture() {
    local t=1767225600
    {
        echo "CMDLINE python3 nested.py"
        local i
        for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28; do
            local mib=10
            [ "$i" -ge 6 ] && [ "$i" -le 13 ] && mib=25
            [ "$i" -ge 8 ] && [ "$i" -le 11 ] && mib=50
            [ "$i" -ge 16 ] && [ "$i" -le 22 ] && mib=30
            printf 'MEM %d.000000 %d.%d000\n' "$mib" "$((t + i / 10))" "$((i % 10))"
        done
        echo "FUNC __main__.inner 25.0 $t.8000 50.0 $((t + 1)).1000 2"
        echo "FUNC __main__.middle 10.0 $t.6000 25.0 $((t + 1)).3000 1"
        echo "FUNC __main__.inner 30.0 $((t + 1)).8000 30.0 $((t + 2)).0000 2"
        echo "FUNC __main__.middle 10.0 $((t + 1)).5000 30.0 $((t + 2)).2000 1"
        echo "FUNC __main__.outer 10.0 $t.4000 10.0 $((t + 2)).4000 0"
    } >"$1"
}

register plot_flame
t_plot_flame() {
    # --flame (gnuplot_flame.c): each call a bar at its level of a second axis from 0 to
    # levels + 1, memory_profiler's colours (red and orange by turns, paler deeper, as
    # its alpha 0.5 shows on white), the names inside, the curves over them.
    flame_fixture f.dat
    plot_capturing -f -o f.png f.dat || fail "--flame exited $?: $(cat err.txt)"
    [ ! -s err.txt ] && [ "$(cat out.txt)" = "wrote f.png" ] || fail "--flame said '$(cat out.txt)' '$(cat err.txt)'"
    grep -qx 'set y2range \[0:4\]' script.gp || fail "levels axis: $(grep y2 script.gp)"
    # (in tag order: the script gives them last tag first, each object before its label)
    grep -E '^set (object|label) 10[0-9]{2} ' script.gp | sort -s -k3,3n >bars.txt
    cat >want.txt <<'EOF'
set object 1000 rect from first 0.400000, second 0 to first 2.400000, second 1 fc rgb '#ff8080' fs solid 1.0 border lc rgb '#ffffff' lw 0.5 back
set label 1000 'outer' at first 1.400000, second 0.500000 center front noenhanced
set object 1001 rect from first 0.600000, second 1 to first 1.300000, second 2 fc rgb '#ff9f9f' fs solid 1.0 border lc rgb '#ffffff' lw 0.5 back
set label 1001 'middle' at first 0.950000, second 1.500000 center front noenhanced
set object 1002 rect from first 1.500000, second 1 to first 2.200000, second 2 fc rgb '#ffd99f' fs solid 1.0 border lc rgb '#ffffff' lw 0.5 back
set label 1002 'middle' at first 1.850000, second 1.500000 center front noenhanced
set object 1003 rect from first 0.800000, second 2 to first 1.100000, second 3 fc rgb '#ffbfbf' fs solid 1.0 border lc rgb '#ffffff' lw 0.5 back
set label 1003 'inner' at first 0.950000, second 2.500000 center front noenhanced
set object 1004 rect from first 1.800000, second 2 to first 2.000000, second 3 fc rgb '#ffe6bf' fs solid 1.0 border lc rgb '#ffffff' lw 0.5 back
set label 1004 'inner' at first 1.900000, second 2.500000 center front noenhanced
EOF
    diff want.txt bars.txt >/dev/null || fail "the bars: $(diff want.txt bars.txt | head -6 | tr '\n' '|')"
    ! grep -q '__main__.outer' script.gp || fail "a bracket's legend entry under --flame"
    # In the picture: each bar's colour over thousands of pixels, the deeper the fewer.
    local counts
    counts=$("${PNGREAD[@]}" count f.png ff8080 ff9f9f ffd99f ffbfbf ffe6bf | tr '\n' ' ')
    read -r outer middle1 middle2 inner1 inner2 <<<"$counts"
    [ "$outer" -gt 40000 ] && [ "$middle1" -gt 10000 ] && [ "$middle2" -gt 10000 ] &&
        [ "$inner1" -gt 4000 ] && [ "$inner2" -gt 2000 ] && [ "$outer" -gt "$middle1" ] &&
        [ "$middle1" -gt "$inner1" ] && [ "$inner1" -gt "$inner2" ] ||
        fail "bar colours' pixels (outer, middle, middle, inner, inner): $counts"
    expect_rc 0 mp plot -o plain.png f.dat
    # (Without bars a colour is only a few pixels of a red line's smoothed edge.)
    counts=$("${PNGREAD[@]}" count plain.png ff8080 ff9f9f ffd99f | tr '\n' ' ')
    read -r outer middle1 middle2 <<<"$counts"
    [ "$outer" -lt 100 ] && [ "$middle1" -lt 100 ] && [ "$middle2" -lt 100 ] ||
        fail "bar colours without --flame: $counts"
    # -n: no bars, as the original's; -w: bars cut at the window's edges.
    plot_capturing --flame -n -o n.png f.dat || fail "--flame -n: $(cat err.txt)"
    ! grep -q '^set object' script.gp || fail "--flame -n drew bars"
    plot_capturing --flame -w 1,2 -o w.png f.dat || fail "--flame -w: $(cat err.txt)"
    grep -qF "set object 1000 rect from first 1.000000, second 0 to first 2.000000, second 1 fc rgb '#ff8080'" script.gp ||
        fail "-w 1,2: outer's bar $(grep 'object 1000' script.gp)"
    grep -qF "set object 1001 rect from first 1.000000, second 1 to first 1.300000, second 2" script.gp ||
        fail "-w 1,2: middle's bar $(grep 'object 1001' script.gp)"
    # The same bars in every format: SVG, PDF, EPS and the JPEG's PNG.
    local format
    plot_capturing --flame -o f.png f.dat
    sed "s|[^ ']*/mprof-plot-[A-Za-z0-9]*|DATA|g" script.gp | grep -v '^set terminal' >png.gp
    for format in svg pdf eps; do
        plot_capturing --flame -o "f.$format" f.dat || fail "--flame -o f.$format: $(cat err.txt)"
        sed "s|[^ ']*/mprof-plot-[A-Za-z0-9]*|DATA|g" script.gp | grep -v '^set terminal' | cmp -s - png.gp ||
            fail "--flame: the $format script differs from the PNG's"
    done
    svg_texts f.svg >texts.txt
    for text in outer middle inner; do
        grep -qxF "$text" texts.txt || fail "the SVG shows no '$text': $(tr '\n' '|' <texts.txt)"
    done
    expect_rc 0 mp plot -f -o f.jpg f.dat
    [ "$(jpeg_size f.jpg)" = "1260 540" ] || fail "--flame JPEG: $(jpeg_size f.jpg 2>&1)"
    # matplotlib's --backend is taken, and changes nothing.
    plot_capturing --flame --backend Agg -o b.png f.dat || fail "--backend Agg: $(cat err.txt)"
    sed "s|[^ ']*/mprof-plot-[A-Za-z0-9]*|DATA|g" script.gp | grep -v '^set terminal' | cmp -s - png.gp ||
        fail "--backend changed the script"
    expect_error 'plot: --backend: needs a value' mp plot --backend
}

register plot_flame_text_and_notices
t_plot_flame_text_and_notices() {
    # The text plot draws the bars' outlines (the dumb terminal fills nothing), named.
    flame_fixture f.dat
    expect_rc 0 env COLUMNS=110 LINES=32 "$MPROF" plot --flame --terminal f.dat
    [ ! -s err.txt ] || fail "--flame --terminal said: $(cat err.txt)"
    local name
    for name in outer middle inner; do
        grep -Eq " $name " out.txt || fail "the text plot names no '$name': $(head -c 3000 out.txt)"
    done
    [ "$(grep -o 'middle' out.txt | wc -l)" -eq 2 ] || fail "middle's two calls: $(grep -o middle out.txt | wc -l) names"
    grep -Eq '\+-{10,}\+' out.txt || fail "no bar outline in the text plot"
    # No FUNC line: the memory alone, as the original draws it, and why on stderr.
    write_fixture plain.dat
    plot_capturing --flame -o plain.png plain.dat || fail "--flame of a file without FUNC exited $?"
    [ "$(cat err.txt)" = "mprof: plain.dat: --flame: no FUNC lines (no @profile function ran): no bars to draw" ] ||
        fail "--flame without FUNC said '$(cat err.txt)'"
    is_png plain.png || fail "--flame without FUNC made no PNG"
    ! grep -q '^set object' script.gp || fail "bars from a file without FUNC"
    # Several files: their curves, no bars (as the original), and said.
    plot_capturing --flame -o two.png f.dat plain.dat || fail "--flame of two files exited $?"
    [ "$(cat err.txt)" = "mprof: plot: --flame: 2 files: the bars are drawn for one file only" ] ||
        fail "--flame of two files said '$(cat err.txt)'"
    ! grep -q '^set object' script.gp || fail "bars with two files"
    expect_rc 0 mp plot --help
    grep -q -- '-f, --flame' out.txt && grep -q -- '--backend NAME' out.txt &&
        grep -q '.jpg (.jpeg) or .eps' out.txt || fail "plot --help: $(cat out.txt)"
}

register plot_flame_window_colours
t_plot_flame_window_colours() {
    # gnuplot_flame.c: a call's colour is its turn among its level's calls, whatever the
    # window: with the first middle and inner left of -w 1.6,2.8, the second ones are
    # still orange, as in the whole picture (and as the original colours them).
    flame_fixture f.dat
    plot_capturing --flame -w 1.6,2.8 -o w.png f.dat || fail "--flame -w: $(cat err.txt)"
    grep -qF "rect from first 1.600000, second 1 to first 2.200000, second 2 fc rgb '#ffd99f' " script.gp ||
        fail "-w 1.6,2.8: the second middle $(grep 'second 1 to' script.gp)"
    grep -qF "rect from first 1.800000, second 2 to first 2.000000, second 3 fc rgb '#ffe6bf' " script.gp ||
        fail "-w 1.6,2.8: the second inner $(grep 'second 2 to' script.gp)"
    ! grep -Eq "'#ff9f9f'|'#ffbfbf'" script.gp || fail "-w 1.6,2.8: a red bar at level 1 or 2"
}

register plot_jpeg_is_the_png
t_plot_jpeg_is_the_png() {
    # The comparison t_plot_jpeg_eps makes: a JPEG of the PNG's picture passes it; one of
    # the picture moved by a pixel, or of another picture, does not.
    write_fixture f.dat
    expect_rc 0 mp plot -o f.png f.dat
    expect_rc 0 mp plot -o f.jpg f.dat
    local difference worst mean
    difference=$(image_difference f.png f.jpg) || fail "decoding: $difference"
    read -r worst mean <<<"$difference"
    [ "$worst" -gt 0 ] && awk -v m="$mean" 'BEGIN { exit !(m > 0) }' ||
        fail "the JPEG is its PNG exactly: the comparison compares nothing? $difference"
    same_picture $difference || fail "the JPEG against its PNG: $difference"
    # The re-encoding's own script, the picture one pixel right, then one pixel up.
    local origin
    for origin in '(1,0)' '(0,1)'; do
        local move="set terminal jpeg size 1260,540; set output 'moved.jpg'; "
        move+="set lmargin at screen 0; set rmargin at screen 1; set tmargin at screen 1; "
        move+="set bmargin at screen 0; unset border; unset tics; unset key; "
        move+="set xrange [0:1259]; set yrange [1:540]; "
        move+="plot 'f.png' binary filetype=png origin=$origin with rgbimage notitle"
        gnuplot -e "$move" || fail "gnuplot could not move the picture to $origin"
        difference=$(image_difference f.png moved.jpg) || fail "decoding the moved picture: $difference"
        ! same_picture $difference || fail "the picture moved to $origin passed: $difference"
    done
    expect_rc 0 mp plot -o other.png -t 'Another title' f.dat
    difference=$(image_difference f.png other.png) || fail "decoding another picture: $difference"
    ! same_picture $difference || fail "another picture passed: $difference"
}

[ "${BASH_SOURCE[0]}" != "$0" ] || run_tests "$@"
