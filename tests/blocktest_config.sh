#!/usr/bin/env bash
# execution-spec-tests' BlockchainTests carry the filler's chain id and blob
# schedule in "config" (config.chainid, config.blobSchedule); blocktest and
# chaintest run the chain under them. A transaction signed for chain 1 is
# refused when config.chainid says 2; a malformed config is a clear FAIL.
# Usage: blocktest_config.sh PAREVM FIXTURES
set -u
parevm=$1
src=$2/ethereum-tests/BlockchainTests/ValidBlocks/bcExample/basefeeExample.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# check WANT_STATUS PATTERN command...: the exit status (0 or nonzero) and the output
check() {
    local want=$1 pattern=$2
    shift 2
    local out rc
    out=$(timeout 120 "$@" 2>&1)
    rc=$?
    if [ $rc -ge 124 ] || { [ "$want" = 0 ] && [ $rc -ne 0 ]; } || { [ "$want" != 0 ] && [ $rc -eq 0 ]; } ||
        ! grep -qE "$pattern" <<<"$out"; then
        echo "FAIL: $* (exit $rc), wanted /$pattern/, got:"
        echo "$out" | tail -5
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
}

# with_config NAME CONFIG: the fixture with "config": CONFIG beside its network
with_config() {
    sed "s/\"network\" : \"Cancun\",/\"network\" : \"Cancun\", \"config\" : $2,/" "$src" >"$tmp/$1.json"
}

with_config chain1 '{"network": "Cancun", "chainid": "0x01", "blobSchedule": {"Cancun": {"target": "0x03", "max": "0x06", "baseFeeUpdateFraction": "0x32f0ed"}}}'
with_config chain2 '{"network": "Cancun", "chainid": "0x02"}'
with_config badid '{"chainid": "two"}'
with_config notobject '"Cancun"'
with_config badblobs '{"chainid": "0x01", "blobSchedule": {"Cancun": {"target": "0x07", "max": "0x06", "baseFeeUpdateFraction": "0x1"}}}'

for mode in "" "--threads 2"; do
    # shellcheck disable=SC2086
    check 0 "1 passed, 0 failed" "$parevm" blocktest $mode "$tmp/chain1.json"
    # shellcheck disable=SC2086
    check 1 "FAIL.*chain id" "$parevm" blocktest $mode "$tmp/chain2.json"
done
check 0 "1 passed, 0 failed" "$parevm" chaintest "$tmp/chain1.json"
check 1 "FAIL.*basefeeExample" "$parevm" chaintest "$tmp/chain2.json"
check 1 "FAIL.*malformed fixture: config: .*chainid" "$parevm" blocktest "$tmp/badid.json"
check 1 "FAIL.*malformed fixture: .*blobSchedule.cancun.target is above its max" "$parevm" blocktest "$tmp/badblobs.json"
check 1 "FAIL.*malformed fixture: config: .*chainid" "$parevm" chaintest "$tmp/badid.json"
check 1 "FAIL.*malformed fixture: config: not an object" "$parevm" blocktest "$tmp/notobject.json"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
