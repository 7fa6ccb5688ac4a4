#!/usr/bin/env bash
# Crash safety of parevm import: a chain is imported while being killed
# with SIGKILL at random moments (KILLS times; an import that finished
# before its kill is unwound to a random earlier block so that there is
# work again), with random --root-every / --batch / --threads. After every
# kill the store must be consistent (its committed root is its header's),
# and at the end the head and state root must equal those of an
# uninterrupted import, with the root equal to a full rebuild.
# Usage: crash.sh PAREVM [KILLS] [BLOCKS] [SEED]
set -u
parevm=$1
kills=${2:-20}
blocks=${3:-120}
RANDOM=${4:-$$}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
field() { awk -v k="$1" '$1 == k { print $2; exit }'; }

"$parevm" bench import --accounts 1500 --slots 15000 --blocks "$blocks" --gas 1500000 --kind mixed \
    --seed "$RANDOM" --out "$tmp/chain" >/dev/null || { echo "FAIL: building the chain"; exit 1; }
"$parevm" init --datadir "$tmp/ref" "$tmp/chain/genesis.json" >/dev/null || exit 1
"$parevm" import --datadir "$tmp/ref" --no-sync "$tmp/chain/chain.rlp" >/dev/null || { echo "FAIL: reference import"; exit 1; }
want_head=$("$parevm" db --datadir "$tmp/ref" head | field hash)
want_root=$("$parevm" db --datadir "$tmp/ref" head | field state_root)

"$parevm" init --datadir "$tmp/d" "$tmp/chain/genesis.json" >/dev/null || exit 1
killed=0
finished=0
for ((i = 0; killed < kills && i < 10 * kills; i++)); do
    every=$((1 + RANDOM % 3 * 3)) # 1, 4 or 7
    batch=$((1 + RANDOM % 4))
    threads=$((1 + RANDOM % 2))
    sync=""
    [ $((RANDOM % 4)) -eq 0 ] || sync="--no-sync"
    "$parevm" import --datadir "$tmp/d" --root-every $every --batch $batch --threads $threads $sync \
        "$tmp/chain/chain.rlp" >/dev/null 2>"$tmp/err" &
    pid=$!
    sleep "0.$((RANDOM % 40 + 2))"
    if kill -9 $pid 2>/dev/null; then
        wait $pid 2>/dev/null
        killed=$((killed + 1))
    else
        wait $pid
        rc=$?
        [ $rc -eq 0 ] || bad "import exited with $rc: $(head -2 "$tmp/err")"
        finished=$((finished + 1))
        head=$("$parevm" db --datadir "$tmp/d" head | field number)
        to=$((RANDOM % (head > 0 ? head : 1)))
        "$parevm" db --datadir "$tmp/d" unwind $to >/dev/null || bad "unwind to $to"
    fi
    out=$("$parevm" db --datadir "$tmp/d" head) || bad "db head after a kill"
    [ "$(field consistent <<<"$out")" = true ] || bad "inconsistent store after a kill: $out"
done
"$parevm" import --datadir "$tmp/d" --no-sync "$tmp/chain/chain.rlp" >/dev/null 2>"$tmp/err" ||
    bad "final import: $(head -2 "$tmp/err")"
got_head=$("$parevm" db --datadir "$tmp/d" head | field hash)
[ "$got_head" = "$want_head" ] || bad "head $got_head, uninterrupted $want_head"
out=$("$parevm" db --datadir "$tmp/d" root --full) || bad "root --full: $out"
[ "$(field root <<<"$out")" = "$want_root" ] || bad "root $(field root <<<"$out"), uninterrupted $want_root"
echo "$killed kills, $finished imports finished before their kill (then unwound), $failed failures"
[ $killed -ge "$kills" ] || bad "only $killed kills"
[ $failed -eq 0 ]
