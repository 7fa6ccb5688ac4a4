#!/usr/bin/env bash
# Bad input never crashes the CLI: malformed fixtures give a clear error that
# names the file (and field), the run goes on, and the exit status says so.
# Usage: cli_bad_input.sh PAREVM
set -u
parevm=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# expect STATUS-CLASS PATTERN -- command...: runs it, checks it did not crash
# (signal), that the exit status is non-zero, and that the output matches.
expect() {
    local pattern=$1
    shift
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ $rc -ge 128 ] || [ $rc -eq 0 ] || ! grep -qE "$pattern" <<<"$out"; then
        echo "FAIL: $* (exit $rc), wanted /$pattern/, got:"
        echo "$out" | head -5
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
}

printf '{"t": {"env": ' >"$tmp/truncated.json"
printf '[1, 2, 3]' >"$tmp/array.json"
printf '{"t": {"env": {}, "pre": {}, "transaction": {}, "post": {}}}' >"$tmp/missing.json"
printf '{"t": {"env": {"currentCoinbase": "0xzz"}, "pre": {}, "transaction": {"data": [], "gasLimit": [], "value": []}, "post": {"Cancun": []}}}' >"$tmp/badhex.json"
cp "$tmp/truncated.json" "$tmp/z_last.json"

expect "invalid JSON" "$parevm" statetest "$tmp/truncated.json"
expect "malformed fixture" "$parevm" statetest "$tmp/array.json"
expect "malformed fixture.*(env|transaction)" "$parevm" statetest "$tmp/missing.json"
expect "currentCoinbase" "$parevm" statetest "$tmp/badhex.json"
expect "cannot access" "$parevm" statetest "$tmp/no-such-file.json"
# a folder with several bad files: every one is reported, the run goes on
expect "truncated.json.*|z_last.json" "$parevm" statetest "$tmp"

printf '{"t": {"txbytes": "0xf8", "result": {"Cancun": {"hash": "0x00"}}}}' >"$tmp/tx.json"
expect "FAIL" "$parevm" txtest "$tmp/tx.json"
expect "invalid JSON" "$parevm" txtest "$tmp/truncated.json"

printf '{"t": {"network": "Cancun", "pre": {}, "genesisRLP": "0x00", "blocks": [], "lastblockhash": "0x00"}}' >"$tmp/bt.json"
expect "FAIL" "$parevm" blocktest "$tmp/bt.json"
printf '{"t": {"network": "NoSuchFork", "pre": {}, "blocks": []}}' >"$tmp/bt2.json"
expect "unknown network" "$parevm" blocktest "$tmp/bt2.json"
# a block whose RLP is cut short, and one whose transactions are garbage
printf '{"t": {"network": "Cancun", "pre": {}, "genesisRLP": "0xf90200", "blocks": [{"rlp": "0xf90201c0"}], "lastblockhash": "0x00"}}' >"$tmp/bt3.json"
expect "FAIL.*genesisRLP" "$parevm" blocktest --threads 2 "$tmp/bt3.json"
expect "usage" "$parevm" blocktest --threads 0 "$tmp/bt.json"

printf '{"g": {"Homestead": {"t1": {"parentTimestamp": "0x0"}}}}' >"$tmp/diff.json"
expect "FAIL.*t1.*malformed fixture" "$parevm" difficultytest "$tmp/diff.json"
printf '{"g": {"Homestead": [1]}}' >"$tmp/diff2.json"
expect "not an object" "$parevm" difficultytest "$tmp/diff2.json"
expect "invalid JSON" "$parevm" difficultytest "$tmp/truncated.json"

mkdir -p "$tmp/block/1"
printf '{"number": "0x1"}' >"$tmp/block/1/block.json"
printf '{}' >"$tmp/block/1/pre_state.json"
expect "block.json.*parentHash" "$parevm" replay "$tmp/block/1"
printf 'not json' >"$tmp/block/1/pre_state.json"
expect "pre_state.json" "$parevm" replay "$tmp/block/1"
expect "not a block folder|no block folders" "$parevm" replay "$tmp/array.json"

expect "usage" "$parevm" replay --mode nonsense "$tmp"
expect "unknown command" "$parevm" frobnicate

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
