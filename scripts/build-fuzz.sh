#!/usr/bin/env bash
# Builds every fuzz/fuzz_*.c as a libFuzzer target (clang, ASan+UBSan) into
# build-fuzz/. Run one with: build-fuzz/fuzz_NAME -max_total_time=300 CORPUS
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh clang
mkdir -p build-fuzz
srcs=$(ls src/util/*.c src/crypto/*.c src/evm/*.c src/block/*.c src/exec/tx*.c src/chain/*.c src/rpc/rpc_*.c src/rpc/jwt.c 2>/dev/null || true)
flags="-O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -Isrc -std=gnu17"
libs="-lsecp256k1 -lcrypto -lgmp -ljansson -lmicrohttpd -lpthread -lm"
for f in fuzz/fuzz_*.c; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .c)
    echo "fuzz: building $name"
    clang $flags -DPAREVM_FIXTURES_DEFAULT=\"\" "$f" $srcs $libs -o "build-fuzz/$name"
done
