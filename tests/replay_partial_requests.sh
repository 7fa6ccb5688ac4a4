#!/usr/bin/env bash
# A mainnet block folder's pre-state holds what the block's transactions
# touch; a Prague block also calls the EIP-7002 and EIP-7251 contracts,
# which such a pre-state may lack. replay then cannot know the block's
# requests: the block passes on gasUsed, logsBloom and receiptsRoot, and the
# requests hash is reported unchecked. With the contracts in the pre-state
# the hash is checked (a wrong one fails the block).
# Usage: replay_partial_requests.sh PAREVM
set -u
parevm=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() { # check NAME WANT(pass|PATTERN) [ARGS...]
    local name=$1 want=$2 out rc
    shift 2
    out=$(timeout 60 "$parevm" replay "$@" "$tmp/blk" 2>&1)
    rc=$?
    case $want in
    pass) [ $rc -eq 0 ] && grep -q '^1 passed, 0 failed' <<<"$out" ;;
    *) grep -qE "$want" <<<"$out" ;;
    esac && { passed=$((passed + 1)); return; }
    echo "FAIL: $name (exit $rc):"
    echo "$out" | tail -4
    failed=$((failed + 1))
}
z32=0x$(printf '00%.0s' $(seq 32))
block() { # block REQUESTS_HASH: an empty Prague block as eth_getBlockByNumber shows it
    cat >"$tmp/blk/block.json" <<EOF
{"number":"0x1579b2d","hash":"$z32","parentHash":"0x$(printf 'ab%.0s' $(seq 32))",
 "sha3Uncles":"0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
 "miner":"0x95222290dd7278aa3ddd389cc1e1d165cc4bafe5","stateRoot":"$z32",
 "transactionsRoot":"0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
 "receiptsRoot":"0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
 "logsBloom":"0x$(printf '00%.0s' $(seq 256))","difficulty":"0x0","gasLimit":"0x2255100","gasUsed":"0x0",
 "timestamp":"0x681b3a5b","extraData":"0x","mixHash":"0x$(printf '11%.0s' $(seq 32))","nonce":"0x0000000000000000",
 "baseFeePerGas":"0x3b9aca00","withdrawals":[],
 "withdrawalsRoot":"0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
 "blobGasUsed":"0x0","excessBlobGas":"0x0","parentBeaconBlockRoot":"0x$(printf 'be%.0s' $(seq 32))",
 "requestsHash":"$1","transactions":[],"uncles":[]}
EOF
}
mkdir "$tmp/blk"
# sha256 of no requests at all
empty=0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
wrong=0x$(printf '22%.0s' $(seq 32))
echo '{}' >"$tmp/blk/pre_state.json"
block "$wrong"
check "no request contracts: passes" pass
check "no request contracts: reported" "requests hash unchecked on 1 block"
check "no request contracts: in the JSON" '"requests_checked":false' --json
check "no request contracts: Block-STM too" pass --mode both --threads 2 --no-fallback
# the contracts (STOP: no requests) in the pre-state: the hash is checked
stop='{"basic":{"balance":"0x0","nonce":1},"code":{"bytecode":"0x00","original_len":1},"storage":{}}'
printf '{"0x00000961ef480eb55e80d19ad83579a64c007002":%s,"0x0000bbddc7ce488642fb579f8b00f3a590007251":%s}' \
    "$stop" "$stop" >"$tmp/blk/pre_state.json"
check "contracts there, wrong hash" "requests hash does not match"
block "$empty"
check "contracts there, right hash" pass
check "contracts there: checked in the JSON" '"requests_checked":true' --json
# one contract there, the other not: still unknown
printf '{"0x00000961ef480eb55e80d19ad83579a64c007002":%s}' "$stop" >"$tmp/blk/pre_state.json"
block "$wrong"
check "one contract missing: passes" pass
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
