#!/usr/bin/env bash
# Builds every fuzz/fuzz_*.c as a libFuzzer target (clang, ASan+UBSan) into
# build-fuzz/. Run one with: build-fuzz/fuzz_NAME -max_total_time=300 CORPUS
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh clang
mkdir -p build-fuzz
# every layer and the CLI's commands (fuzz_fixtures drives them), not main.c
srcs=$(ls src/*/*.c | grep -v '^src/cli/main.c$')
flags="-O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -Isrc -Isrc/cli -std=gnu17"
libs="-lsecp256k1 -lcrypto -lgmp -ljansson -lmicrohttpd -llmdb -lpthread -lm"
for f in fuzz/fuzz_*.c; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .c)
    echo "fuzz: building $name"
    clang $flags -DPAREVM_FIXTURES_DEFAULT=\"\" -DPAREVM_SOURCE_DIR=\"$PWD\" "$f" $srcs $libs -o "build-fuzz/$name"
done
