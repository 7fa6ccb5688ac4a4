#!/usr/bin/env bash
# The main job of `make demo`, part 1: a chain built by the benchmark
# builder (a genesis of accounts, an ERC-20-style token, swap pairs and
# filler contracts; full blocks of signed transfers, token transfers and
# swaps, every state root computed by a full rebuild), then
# parevm init + parevm import into a store, which verifies every block's
# state root incrementally; then queries of the store, an unwind and a
# resumed import, and an export that gives the chain file back.
# Usage: demo-import.sh PAREVM [ACCOUNTS] [SLOTS] [BLOCKS]
set -euo pipefail
parevm=$1
accounts=${2:-20000}
slots=${3:-200000}
blocks=${4:-60}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/parevm-demo-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
say() { printf '\n== %s\n' "$*"; }

say "building a chain: $accounts accounts, $slots storage slots, $blocks full blocks of 30 Mgas (mixed transactions)"
"$parevm" bench import --accounts "$accounts" --slots "$slots" --blocks "$blocks" --kind mixed --out "$tmp/chain"
ls -l "$tmp/chain"

say "parevm init: block 0 from the genesis file"
"$parevm" init --datadir "$tmp/db" "$tmp/chain/genesis.json"

say "parevm import: headers, bodies, senders, Block-STM execution, state root checked at every block"
"$parevm" import --datadir "$tmp/db" --threads 2 "$tmp/chain/chain.rlp"

say "parevm db head / block / account"
"$parevm" db --datadir "$tmp/db" head
"$parevm" db --datadir "$tmp/db" block "$blocks" | grep -v '^transactions \['
"$parevm" db --datadir "$tmp/db" account 0xc0ffee0000000000000000000000000000000000

say "parevm db root --full: the incremental root against a rebuild from the state rows"
"$parevm" db --datadir "$tmp/db" root --full

half=$((blocks / 2))
say "parevm db unwind $half, then import again: the store goes on from block $half"
"$parevm" db --datadir "$tmp/db" unwind "$half"
"$parevm" import --datadir "$tmp/db" --threads 2 --root-every 8 "$tmp/chain/chain.rlp"
"$parevm" db --datadir "$tmp/db" head | sed -n 1,3p

say "parevm export: the store's blocks 1..$blocks as a chain file again (gzip), the same bytes as the imported one"
"$parevm" export --datadir "$tmp/db" "$tmp/export.rlp.gz" 1
if gzip -dc "$tmp/export.rlp.gz" | cmp -s - "$tmp/chain/chain.rlp"; then
    echo "export.rlp.gz ($(stat -c %s "$tmp/export.rlp.gz") bytes) decompresses to chain.rlp ($(stat -c %s "$tmp/chain/chain.rlp") bytes), byte for byte"
else
    echo "the export differs from the imported chain file" >&2
    exit 1
fi
