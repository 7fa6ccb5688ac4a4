#!/usr/bin/env bash
# The block hashes of a mainnet block folder (block_hashes.json) are read by
# their number in decimal, as the fixtures write it, or as a 0x quantity, as
# pevm's older snapshots do; they reach BLOCKHASH (a wrong hash fails the
# block's receipts), and a key that is neither is an error naming the file.
# A requestsHash in block.json (Prague) is parsed and checked.
# Usage: replay_block_hashes.sh PAREVM MAINNET_FIXTURES
set -u
parevm=$1
src=$2/8889776 # Istanbul: its receipts root depends on BLOCKHASH of three blocks
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() { # check NAME WANT(pass|fail|PATTERN)
    local out rc
    out=$(timeout 60 "$parevm" replay "$tmp/8889776" 2>&1)
    rc=$?
    case $2 in
    pass) [ $rc -eq 0 ] && grep -q '^1 passed, 0 failed' <<<"$out" ;;
    fail) [ $rc -eq 1 ] && grep -q 'receipts\|bloom\|gas used' <<<"$out" ;;
    *) [ $rc -eq 1 ] && grep -qE "$2" <<<"$out" ;;
    esac && { passed=$((passed + 1)); return; }
    echo "FAIL: $1 (exit $rc):"
    echo "$out" | tail -3
    failed=$((failed + 1))
}
cp -r "$src" "$tmp/"
hashes=$tmp/8889776/block_hashes.json
orig=$(cat "$hashes")
check "decimal keys" pass
# the same hashes under 0x keys
for k in $(grep -oE '"[0-9]+":' "$hashes" | tr -d '":'); do sed -i "s/\"$k\":/\"$(printf '0x%x' "$k")\":/" "$hashes"; done
grep -q '"0x' "$hashes" || { echo "FAIL: no 0x key written"; failed=$((failed + 1)); }
check "0x keys" pass
# wrong hashes: BLOCKHASH really reads the map
sed -i -E 's/:"0x[0-9a-f]{64}"/:"0x'"$(printf '11%.0s' $(seq 32))"'"/g' "$hashes"
grep -q '0x1111' "$hashes" || { echo "FAIL: no hash replaced"; failed=$((failed + 1)); }
check "wrong hashes" fail
for key in '0x' '0x1g' '12a' '' '-1' '0x10000000000000000'; do
    printf '{"%s": "0x%s"}' "$key" "$(printf '11%.0s' $(seq 32))" >"$hashes"
    check "key \"$key\"" "block_hashes.json: bad entry"
done
echo "$orig" >"$hashes"
check "decimal keys again" pass
# a requestsHash in block.json (Prague's header field) is read and checked:
# this Istanbul block has no requests, so any value is wrong
blk=$tmp/8889776/block.json
cp "$blk" "$tmp/block.orig"
sed -i 's/"stateRoot"/"requestsHash":"0x'"$(printf '22%.0s' $(seq 32))"'","stateRoot"/' "$blk"
grep -q requestsHash "$blk" || { echo "FAIL: no requestsHash written"; failed=$((failed + 1)); }
check "requestsHash checked" "requests hash"
sed -i 's/"requestsHash":"0x[0-9a-f]*"/"requestsHash":"0x2"/' "$blk"
check "requestsHash malformed" "requestsHash"
cp "$tmp/block.orig" "$blk"
check "block.json restored" pass
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
