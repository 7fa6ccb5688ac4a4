#!/usr/bin/env bash
# Concurrent readers: while parevm import runs (one commit per block, with
# fsync), parevm db queries on the same store must each see one whole
# block: the head's committed root is its header's, and the coinbase's
# balance at the block a query reports equals that account's balance after
# that block in a store that imported the chain beforehand (historical
# read through the change sets).
# Usage: readers.sh PAREVM [BLOCKS]
set -u
parevm=$1
blocks=${2:-240}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
pid=
failed=0
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
field() { awk -v k="$1" '$1 == k { print $2; exit }'; }
coinbase=0xc0ffee0000000000000000000000000000000000

"$parevm" bench import --accounts 1500 --slots 15000 --blocks "$blocks" --gas 1500000 --kind mixed \
    --out "$tmp/chain" >/dev/null || { echo "FAIL: building the chain"; exit 1; }
"$parevm" init --datadir "$tmp/ref" "$tmp/chain/genesis.json" >/dev/null || exit 1
"$parevm" import --datadir "$tmp/ref" --no-sync "$tmp/chain/chain.rlp" >/dev/null || exit 1
"$parevm" init --datadir "$tmp/d" "$tmp/chain/genesis.json" >/dev/null || exit 1
"$parevm" import --datadir "$tmp/d" --threads 2 "$tmp/chain/chain.rlp" >/dev/null &
pid=$!
queries=0
seen=""
while kill -0 $pid 2>/dev/null; do
    out=$("$parevm" db --datadir "$tmp/d" head 2>&1) || { bad "db head: $out"; continue; }
    [ "$(field consistent <<<"$out")" = true ] || bad "inconsistent head: $out"
    out=$("$parevm" db --datadir "$tmp/d" account $coinbase 2>&1) || { bad "db account: $out"; continue; }
    n=$(field block <<<"$out")
    got=$(field balance <<<"$out")
    want=$("$parevm" db --datadir "$tmp/ref" account $coinbase --at "$n" | field balance)
    [ "${got:-none}" = "${want:-none}" ] || bad "coinbase at block $n: $got during the import, $want in the reference"
    queries=$((queries + 1))
    seen="$seen $n"
done
wait $pid || bad "the import failed"
pid=
distinct=$(tr ' ' '\n' <<<"$seen" | sort -u | grep -c .)
echo "$queries queries during the import, at $distinct distinct blocks, $failed failures"
[ $distinct -ge 3 ] || bad "the queries saw only $distinct blocks (import too fast to test)"
[ $failed -eq 0 ]
