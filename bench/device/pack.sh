#!/bin/sh
# Packs what a benchmark run on a lent many-core machine needs into .devrun/
# (ignored by git, carried by the device tool): that machine has none of our
# Debian libraries and reaches no registry. Binaries built here (glibc 2.36)
# run on its newer glibc; the shared libraries they link beyond glibc travel
# beside them, and the mainnet fixtures travel compressed.
#
#   bench/device/pack.sh [NAME=BINARY ...]   default: parevm=build/parevm
#
# Several binaries (say base=/tmp/base/parevm parevm=build/parevm) let one
# run alternate before and after on the same machine.
set -eu
FIXTURES=${FIXTURES:-../shared/fixtures}
out=.devrun
rm -rf "$out"
mkdir -p "$out/lib" "$out/bin"
[ $# -gt 0 ] || set -- parevm=build/parevm
for spec in "$@"; do
    name=${spec%%=*}
    bin=${spec#*=}
    cp "$bin" "$out/bin/$name"
    ldd "$bin" | awk '/=> \//{print $3}' |
        grep -v -E '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' |
        while read -r lib; do cp -L "$lib" "$out/lib/"; done
done
tar -C "$FIXTURES" -cf - mainnet | xz -T0 -6 >"$out/mainnet.tar.xz"
du -sh "$out"
