#!/usr/bin/env bash
# Install, from Debian's packages, whatever mprof's build, demo, tests, fuzz targets
# (clang: libFuzzer), stress suite (rustc: its Rust program) and bench need and the
# machine lacks. Quiet and quick when everything is there already.
set -euo pipefail
packages=(gcc g++ make pkg-config check gnuplot-nox libjemalloc-dev python3 python3-dev python3-memory-profiler
          python3-pytest valgrind time clang rustc)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "mprof: missing packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "mprof: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
