#!/usr/bin/env bash
# scripts/python-tree.sh — the CPython versions this machine's Debian does not have
# (3.14, 3.15, a newer 3.13), from Debian's unstable suite, as a root file-system tree
# in a folder of the project's; and commands run inside it.
#
#   python-tree.sh path SUITE             print the tree's folder
#   python-tree.sh ensure SUITE           build the tree unless it is already there
#   python-tree.sh run SUITE COMMAND...   run COMMAND inside the tree, at /src (this
#                                          checkout), as root
#
# The tree's glibc is newer than the host's, so what runs there is built there too
# (`make BUILD=build/SUITE`). Building it and each run get a private mount namespace
# (mmdebstrap mounts /proc, /sys and /dev/* in the tree while it works): what is mounted
# there lives and dies with the namespace, so nothing stays mounted on the host. A run
# mounts /proc, a /dev/shm of its own and the checkout, never the host's /dev. The
# trees live outside the checkout, so no `rm -rf` of a build folder (inside the tree or
# out) reaches one, and a fresh clone reuses them. Needs root.
#
# The archive is the one this machine's apt already uses (read from its sources, never
# written here). The unstable suite's Release file is often past its Valid-Until date
# on a mirror: that is accepted, the packages are still checked against their keys.
# MPROF_TREES changes where the trees live (default: mprof/trees in the user's cache,
# ~/.cache unless XDG_CACHE_HOME says otherwise).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
trees=${MPROF_TREES:-${XDG_CACHE_HOME:-$HOME/.cache}/mprof/trees}
# What the tests need in the tree: a compiler, each interpreter with its headers, the
# python3 that the test helpers (datcheck.py) run on; and valgrind, for `make bench`'s
# instruction counts there.
packages=gcc,make,libc6-dev,procps,python3,python3.13-dev,python3.14-dev,python3.15-dev,valgrind

die() {
    echo "mprof: python-tree: $*" >&2
    exit 1
}

suite_name() {
    [[ ${1:-} =~ ^[a-z]+$ ]] || die "${1:-(none)}: not a Debian suite's codename"
    printf '%s\n' "$1"
}

# The first plain Debian archive in apt's sources (deb822 .sources files or the old
# one-line format), not the security one.
archive_address() {
    local file address
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] || continue
        address=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$file" |
            grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true)
        [ -z "$address" ] || { printf '%s\n' "$address"; return; }
    done
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$file" ] || continue
        address=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$file" |
            grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true)
        [ -z "$address" ] || { printf '%s\n' "$address"; return; }
    done
    die "no Debian archive in /etc/apt/sources.list*: cannot build a tree"
}

ensure() {
    local suite dir address
    suite=$(suite_name "$1")
    dir=$trees/$suite
    # The stamp names what was asked for: a tree built with other packages is rebuilt.
    if [ -f "$dir/.mprof-tree" ] && [ "$(cat "$dir/.mprof-tree")" = "$packages" ]; then
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || die "building the $suite tree needs root"
    if ! command -v mmdebstrap >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap </dev/null >/dev/null ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap </dev/null >/dev/null; } ||
            die "cannot install mmdebstrap"
    fi
    address=$(archive_address)
    mkdir -p "$trees"
    # One build at a time; a second `ensure` waits, then finds the tree made.
    exec 9>"$trees/.$suite.lock"
    flock 9
    if [ -f "$dir/.mprof-tree" ] && [ "$(cat "$dir/.mprof-tree")" = "$packages" ]; then
        return 0
    fi
    echo "mprof: building the $suite tree in $dir (about half a minute, 0.7 GB)" >&2
    remove_tree "$dir.partial"
    unshare --mount --propagation private -- mmdebstrap --quiet --variant=apt \
        --include="$packages" --aptopt='Acquire::Check-Valid-Until "false"' \
        "$suite" "$dir.partial" "$address" >"$trees/$suite.log" 2>&1 ||
        die "mmdebstrap of $suite failed; its log: $trees/$suite.log"
    printf '%s\n' "$packages" >"$dir.partial/.mprof-tree"
    remove_tree "$dir"
    mv "$dir.partial" "$dir"
}

# rm -rf of a tree, refused while anything is mounted inside it (a mount made outside a
# private namespace, by hand or by an older mmdebstrap run: its /dev would be the host's).
remove_tree() {
    [ -e "$1" ] || return 0
    if findmnt -rno TARGET | awk -v tree="$1" 'index($0, tree) == 1 &&
            (length($0) == length(tree) || substr($0, length(tree) + 1, 1) == "/") { found = 1 }
            END { exit !found }'; then
        die "$1: something is mounted inside it (see findmnt); unmount it (umount -R $1) first"
    fi
    rm -rf --one-file-system "$1"
}

run() {
    local suite dir
    suite=$(suite_name "$1")
    shift
    [ $# -gt 0 ] || die "run $suite: no command given"
    dir=$trees/$suite
    [ -f "$dir/.mprof-tree" ] || die "$dir: no tree there (run: $0 ensure $suite)"
    [ "$(id -u)" -eq 0 ] || die "running in the $suite tree needs root"
    mkdir -p "$dir/src"
    # The mounts live and die with this namespace. The command's words are passed as
    # arguments, never pasted into the inner shell's text.
    unshare --mount --propagation private -- /bin/sh -euc '
        dir=$1; src=$2; shift 2
        mount -t proc proc "$dir/proc"
        mount -t tmpfs -o mode=1777,nosuid,nodev shm "$dir/dev/shm"
        mount --bind "$src" "$dir/src"
        exec chroot "$dir" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root \
            LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" /bin/sh -c "cd /src && exec \"\$@\"" sh "$@"
    ' sh "$dir" "$root" "$@"
}

case ${1:-} in
path) printf '%s\n' "$trees/$(suite_name "${2:-}")" ;;
ensure) ensure "${2:-}" ;;
run) shift; run "$@" ;;
*) die "usage: $0 path|ensure|run SUITE [COMMAND...]" ;;
esac
