#!/usr/bin/env bash
# scripts/demo.sh BUILD_DIR — `make demo`: profile two examples with BUILD_DIR/bin/mprof,
# plot them, and print a text plot and where the files are.
#
# Everything goes to demo-output/ at the top of the tree (ignored by git), so a demo never
# mixes its files with the user's own mprofile_*.dat in the current directory. Each demo
# starts by removing the previous demo's mprofile_* files there, and nothing else.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mprof=$build/bin/mprof
out=$root/demo-output
for needed in "$mprof" "$build/examples/heap_vs_rss"; do
    [ -x "$needed" ] || { echo "mprof: $needed: not built (run make all)" >&2; exit 1; }
done
mkdir -p "$out"
cd "$out"
rm -f mprofile_*.dat mprofile_*.png demo.png

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Python: a buffer that grows in 8 steps of 16 MiB and is released again"
echo "\$ mprof run examples/grow_release.py"
"$mprof" run "$root/examples/grow_release.py"
runs=(mprofile_*.dat)
python_dat=${runs[-1]} # the names sort by their timestamp
sleep 1 # the default names carry the second: keep the next one distinct

step "C: 4 blocks of 16 MiB asked for, then touched, then freed: the heap leads, RSS follows"
echo "\$ mprof run $build/examples/heap_vs_rss"
"$mprof" run "$build/examples/heap_vs_rss"
runs=(mprofile_*.dat)
c_dat=${runs[-1]}

step "The runs in this directory, and their peaks"
echo "\$ mprof list"
"$mprof" list
echo "\$ mprof peak $python_dat $c_dat"
"$mprof" peak "$python_dat" "$c_dat"

step "Plots (PNG beside each .dat)"
"$mprof" plot "$python_dat"
"$mprof" plot "$c_dat"
"$mprof" plot -o demo.png -t "mprof demo: examples/grow_release.py" "$python_dat"

step "Text plots of both runs"
echo "\$ mprof plot --terminal $python_dat"
"$mprof" plot --terminal "$python_dat"
echo "\$ mprof plot --terminal $c_dat"
"$mprof" plot --terminal "$c_dat"

step "Files"
for file in "$python_dat" "${python_dat%.dat}.png" "$c_dat" "${c_dat%.dat}.png" demo.png; do
    printf '  %s\n' "$out/$file"
done
