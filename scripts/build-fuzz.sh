#!/usr/bin/env bash
# Builds every fuzz/fuzz_*.c as a libFuzzer target (clang, ASan+UBSan) into
# build-fuzz/. The library sources (every layer under src/, the CLI but main.c) are
# compiled once, in parallel, into build-fuzz/libparevm-fuzz.a, and only
# sources newer than their object are recompiled; each target then links
# against it. Run one with: build-fuzz/fuzz_NAME -max_total_time=300 CORPUS
#   FUZZ_JOBS=N   parallel compilations (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh clang
out=build-fuzz
mkdir -p "$out/obj"
jobs=${FUZZ_JOBS:-$(nproc)}
# the trie engine hashes its deferred queue every 256 bytes, not 1 MiB:
# the flushes in the middle of a task run on small inputs
common="-O1 -g -Iinclude -Isrc -Isrc/cli -std=gnu17 -DPAREVM_FIXTURES_DEFAULT=\"\" -DPAREVM_SOURCE_DIR=\"$PWD\" -DPAREVM_HASH_DEFER_BYTES=256"
lib_flags="$common -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
target_flags="$common -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
libs="-lsecp256k1 -lcrypto -lgmp -ljansson -lmicrohttpd -llmdb -lz -lpthread -lm"

# the library: every layer and the CLI's commands (fuzz_fixtures drives
# them), not main.c; one object per source, rebuilt when the source or a
# header changed
srcs=$(find src -name '*.c' -not -path src/cli/main.c | sort)
newest_header=$(find include src -name '*.h' -o -name '*.inc' -o -name '*.def' | xargs ls -t | sed -n 1p)
stale=()
for s in $srcs; do
    o="$out/obj/$(echo "$s" | tr / _).o"
    if [ ! -e "$o" ] || [ "$s" -nt "$o" ] || [ "$newest_header" -nt "$o" ]; then stale+=("$s"); fi
done
if [ ${#stale[@]} -gt 0 ]; then
    echo "fuzz: compiling ${#stale[@]} library sources ($jobs at a time)"
    export out lib_flags
    printf '%s\n' "${stale[@]}" |
        xargs -P "$jobs" -I{} sh -c 'clang $lib_flags -c "{}" -o "$out/obj/$(echo "{}" | tr / _).o"'
    rm -f "$out/libparevm-fuzz.a"
fi
if [ ! -e "$out/libparevm-fuzz.a" ]; then
    objs=()
    for s in $srcs; do objs+=("$out/obj/$(echo "$s" | tr / _).o"); done
    ar rcs "$out/libparevm-fuzz.a" "${objs[@]}"
fi

for f in fuzz/fuzz_*.c; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .c)
    if [ -e "$out/$name" ] && [ ! "$f" -nt "$out/$name" ] && [ ! "$out/libparevm-fuzz.a" -nt "$out/$name" ]; then
        continue
    fi
    echo "fuzz: linking $name"
    clang $target_flags "$f" "$out/libparevm-fuzz.a" $libs -o "$out/$name"
done
