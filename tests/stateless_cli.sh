#!/usr/bin/env bash
# parevm stateless: a chain of mixed blocks (token and ETH transfers, new
# accounts) imported into a store; each block's execution witness and RLP
# come from parevm db (the node's debug_executionWitness and
# debug_getRawBlock, in process) and the block must check as valid from them
# alone, sequentially and with Block-STM. Then what a stateless client must
# refuse: a block whose state root or receipts root was changed (invalid,
# exit 1), and witnesses that cannot decide (exit 2): a trie node or the
# headers taken out, another block's witness, malformed files.
# Usage: stateless_cli.sh PAREVM
set -u
parevm=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
passed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
blocks=5

"$parevm" bench import --accounts 400 --slots 2000 --blocks $blocks --gas 1500000 --kind mixed \
    --out "$tmp/chain" >/dev/null || { echo "FAIL: building the chain"; exit 1; }
"$parevm" init --datadir "$tmp/d" "$tmp/chain/genesis.json" >/dev/null || exit 1
"$parevm" import --datadir "$tmp/d" --no-sync "$tmp/chain/chain.rlp" >/dev/null || exit 1
genesis=$tmp/chain/genesis.json

# expect STATUS TEXT ARGS...: parevm stateless ARGS exits with STATUS and
# prints TEXT (a fixed string) on stdout or stderr
expect() {
    local want=$1 text=$2
    shift 2
    out=$("$parevm" stateless "$@" 2>&1)
    local rc=$?
    if [ $rc -ne "$want" ]; then bad "stateless $* exited $rc, not $want: $out"; return; fi
    if ! grep -qF -- "$text" <<<"$out"; then bad "stateless $*: no \"$text\" in: $out"; return; fi
    ok
}

for n in $(seq 1 $blocks); do
    "$parevm" db --datadir "$tmp/d" witness "$n" >"$tmp/w$n.json" || bad "db witness $n"
    "$parevm" db --datadir "$tmp/d" rawblock "$n" >"$tmp/b$n.hex" || bad "db rawblock $n"
    expect 0 "block $n " --genesis "$genesis" "$tmp/w$n.json" "$tmp/b$n.hex"
    expect 0 ": valid (" --genesis "$genesis" --threads 2 "$tmp/w$n.json" "$tmp/b$n.hex"
done
# the RLP as bytes too, and the JSON verdict
perl -ne 's/^0x//; s/\s+//g; print pack("H*", $_)' "$tmp/b3.hex" >"$tmp/b3.rlp"
expect 0 '"valid":true' --genesis "$genesis" --json "$tmp/w3.json" "$tmp/b3.rlp"
root=$("$parevm" db --datadir "$tmp/d" block 3 | awk '$1 == "state_root" { print $2 }')
expect 0 "state root $root" --genesis "$genesis" "$tmp/w3.json" "$tmp/b3.rlp"

# a header whose state root or receipts root is not the block's: invalid
for field in state_root receipts_root; do
    v=$("$parevm" db --datadir "$tmp/d" block 3 | awk -v k=$field '$1 == k { print substr($2, 3) }')
    [ ${#v} -eq 64 ] || { bad "db block 3 gave no $field"; continue; }
    sed "s/$v/$(printf '1%.0s' $(seq 64))/" "$tmp/b3.hex" >"$tmp/bad.hex"
    cmp -s "$tmp/bad.hex" "$tmp/b3.hex" && { bad "$field not found in the block's RLP"; continue; }
    if [ $field = state_root ]; then
        expect 1 "INVALID: state root mismatch" --genesis "$genesis" "$tmp/w3.json" "$tmp/bad.hex"
    else
        expect 1 "INVALID: receipts root does not match the header" --genesis "$genesis" "$tmp/w3.json" "$tmp/bad.hex"
        expect 1 '"valid":false' --genesis "$genesis" --json "$tmp/w3.json" "$tmp/bad.hex"
    fi
done

# witnesses that cannot decide: exit 2, saying why
node=$(sed 's/.*"state":\["\([^"]*\)".*/\1/' "$tmp/w3.json")
[ ${#node} -gt 64 ] || bad "no state node found in the witness"
sed "s/\"$node\",\?//" "$tmp/w3.json" >"$tmp/cut.json"
expect 2 "the witness lacks a trie node (0x" --genesis "$genesis" "$tmp/cut.json" "$tmp/b3.hex"
sed 's/"headers":\[[^]]*\]/"headers":[]/' "$tmp/w3.json" >"$tmp/nohdr.json"
expect 2 "unusable witness" --genesis "$genesis" "$tmp/nohdr.json" "$tmp/b3.hex"
expect 2 "not the child of the witness's last header" --genesis "$genesis" "$tmp/w2.json" "$tmp/b3.hex"
printf '{"state": [' >"$tmp/broken.json"
expect 2 "invalid JSON" --genesis "$genesis" "$tmp/broken.json" "$tmp/b3.hex"
echo '{"state": ["0xzz"], "codes": [], "headers": []}' >"$tmp/badhex.json"
expect 2 '"state"[0] is not hex data' --genesis "$genesis" "$tmp/badhex.json" "$tmp/b3.hex"
echo '{"jsonrpc": "2.0", "id": 1, "result": {"codes": []}}' >"$tmp/nostate.json"
expect 2 '"state" is missing' --genesis "$genesis" "$tmp/nostate.json" "$tmp/b3.hex"
echo 0x12345678 >"$tmp/short.hex"
expect 2 "not a block" --genesis "$genesis" "$tmp/w3.json" "$tmp/short.hex"
: >"$tmp/empty"
expect 2 "empty file" --genesis "$genesis" "$tmp/w3.json" "$tmp/empty"
expect 2 "unknown chain" --chain Nowhere "$tmp/w3.json" "$tmp/b3.hex"
mkfifo "$tmp/fifo"
expect 2 "not a regular file" --genesis "$genesis" "$tmp/fifo" "$tmp/b3.hex"
expect 2 "not a regular file" --genesis "$genesis" "$tmp/w3.json" "$tmp/fifo"
expect 2 "cannot open" --genesis "$genesis" "$tmp/w3.json" "$tmp/nothing.hex"
expect 2 "usage" --chain Cancun --genesis "$genesis" "$tmp/w3.json" "$tmp/b3.hex"
# another chain's rules: mainnet's fork at this block number is Frontier
expect 1 "INVALID" "$tmp/w3.json" "$tmp/b3.hex"
# a JSON-RPC response around the witness is accepted as the witness
printf '{"jsonrpc":"2.0","id":7,"result":%s}' "$(cat "$tmp/w3.json")" >"$tmp/resp.json"
expect 0 ": valid (" --genesis "$genesis" "$tmp/resp.json" "$tmp/b3.hex"

"$parevm" db --datadir "$tmp/d" witness 0 >/dev/null 2>&1 && bad "db witness 0 (the genesis) succeeded"
"$parevm" db --datadir "$tmp/d" witness 99 >/dev/null 2>&1 && bad "db witness of a missing block succeeded"
"$parevm" db --datadir "$tmp/d" rawblock x >/dev/null 2>&1 && bad "db rawblock x succeeded"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
