#!/usr/bin/env bash
# parevm t8n as geth's evm t8n is driven: files and stdin/stdout, a
# transaction signed from its secretKey, one rejected (nonce reused) while
# the block goes on, the same block from the RLP list of its transactions
# (same roots), EIP-3155 traces per transaction, and bad input: each error
# with geth's exit code (3 configuration, 4 missing block hash, 10 JSON,
# 11 I/O, 12 RLP) and an ERROR line, never a crash. Then t9n and b11r,
# geth's transaction checker and block builder.
# Usage: t8n_cli.sh PAREVM
set -u
parevm=$(readlink -f "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }

# expect STATUS PATTERN -- ARGS...: parevm t8n ARGS exits STATUS, output matches PATTERN
expect() {
    local want=$1 pattern=$2
    shift 2
    local out rc
    out=$(cd "$tmp" && "$parevm" t8n "$@" 2>&1)
    rc=$?
    if [ $rc -ne "$want" ]; then bad "t8n $* exited $rc, not $want: $(head -3 <<<"$out")"; return; fi
    if ! grep -qE -- "$pattern" <<<"$out"; then bad "t8n $*: no /$pattern/ in: $(head -5 <<<"$out")"; return; fi
    ok
}

sender=0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b
key=0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8
# the callee stores 1 at slot 0 and reads BLOCKHASH(0)
cat >"$tmp/alloc.json" <<EOF
{"$sender": {"balance": "0x5ffd4878be161d74", "nonce": "0xac"},
 "0x8a8eafb1cf62bfbeb1741769dae1a9dd47996192": {"balance": "0xfeedbead", "code": "0x600160005560004050"}}
EOF
hash0=0x5e20a0453cecd065ea59c37ac63e079ee08998b6045136a8ce6635c7912ec0b6
env() { # env [BLOCKHASHES]
    printf '{"currentCoinbase": "0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b", "currentDifficulty": "0x20000",
 "currentGasLimit": "0x750a163df65e8a", "currentNumber": "1", "currentTimestamp": "1000", "currentBaseFee": "0x10"%s}' "$1"
}
env ", \"blockHashes\": {\"0\": \"$hash0\"}" >"$tmp/env.json"
tx='{"gas": "0x186a0", "gasPrice": "0x20", "input": "0x", "nonce": "0xac", "to": "0x8a8eafb1cf62bfbeb1741769dae1a9dd47996192", "value": "0x1", "v": "0x0", "r": "0x0", "s": "0x0", "secretKey": "'$key'"}'
echo "[$tx, $tx]" >"$tmp/txs.json"

expect 0 '' --state.fork London --output.body body.json
grep -q '"rejected"' "$tmp/result.json" && grep -q '"index": 1' "$tmp/result.json" && grep -q 'nonce too low' "$tmp/result.json" &&
    ok || bad "the second transaction (nonce reused) is not rejected: $(cat "$tmp/result.json")"
grep -q '"nonce": "0xad"' "$tmp/alloc.json" && grep -q '"0x0000000000000000000000000000000000000000000000000000000000000001"' "$tmp/alloc.json" &&
    ok || bad "post-state alloc: $(cat "$tmp/alloc.json")"
# geth's core text with its values, as geth's t8n writes it (testdata/1)
grep -q 'nonce too low: address 0xa94f5374Fce5edBC8E2a8697C15331677e6EbF0B, tx: 172 state: 173' "$tmp/result.json" &&
    ok || bad "the nonce error lacks geth's values: $(cat "$tmp/result.json")"
root=$(grep -o '"stateRoot": "0x[0-9a-f]*"' "$tmp/result.json" | cut -d'"' -f4)
txroot=$(grep -o '"txRoot": "0x[0-9a-f]*"' "$tmp/result.json" | cut -d'"' -f4)
[ ${#root} -eq 66 ] && ok || bad "no stateRoot in result.json"

# the same block again from the body's RLP list: the same roots, nothing rejected
cat >"$tmp/alloc.json" <<EOF
{"$sender": {"balance": "0x5ffd4878be161d74", "nonce": "0xac"},
 "0x8a8eafb1cf62bfbeb1741769dae1a9dd47996192": {"balance": "0xfeedbead", "code": "0x600160005560004050"}}
EOF
cp "$tmp/alloc.json" "$tmp/pre.json"
cp "$tmp/body.json" "$tmp/txs.rlp"
expect 0 "\"stateRoot\": \"$root\"" --state.fork London --input.alloc pre.json --input.txs txs.rlp --output.result stdout --output.alloc post.json
expect 0 "\"txRoot\": \"$txroot\"" --state.fork London --input.alloc pre.json --input.txs txs.rlp --output.result stdout --output.alloc post.json
# everything through stdin and stdout, one object each way
printf '{"alloc": %s, "env": %s, "txs": [%s]}' "$(cat "$tmp/pre.json")" "$(cat "$tmp/env.json")" "$tx" >"$tmp/in.json"
out=$(cd "$tmp" && "$parevm" t8n --input.alloc stdin --input.env stdin --input.txs stdin --output.result stdout \
    --output.alloc stdout --state.fork London <"$tmp/in.json")
grep -q "\"stateRoot\": \"$root\"" <<<"$out" && grep -q '"alloc": {' <<<"$out" && ok || bad "stdin to stdout: $out"
# a transaction already signed keeps its signature, even beside a secretKey
# (execution-spec-tests send both; geth signs only where v, r and s are 0):
# here an unprotected legacy one, which re-signing with EIP-155 would make
# invalid before Spurious Dragon, and one whose signature is no valid one
signed='{"type": "0x0", "nonce": "0x0", "gasPrice": "0xa", "gas": "0x186a0", "to": "0x00000000000000000000000000000000000000aa",
 "value": "0x1", "input": "0x", "v": "0x1c", "r": "0xfd8787b210529543e0c66704277d61fa0e1f1561f6bee93d8eee707122d759fb",
 "s": "0x0d2830857fa3ae2b071f83d939c8d8fcb35689bbbd98f9a8cc803ead01e2581b", "secretKey": "'$key'"}'
alloc0="{\"$sender\": {\"balance\": \"0x3635c9adc5dea00000\", \"nonce\": \"0x0\"}}"
printf '{"alloc": %s, "env": %s, "txs": [%s]}' "$alloc0" "$(env "")" "$signed" >"$tmp/signed.json"
expect 0 '"transactionHash": "0x240f46ad' --state.fork Homestead --input.alloc stdin --input.env stdin --input.txs stdin \
    --output.result stdout <"$tmp/signed.json"
badsig=${signed/0xfd8787b210529543e0c66704277d61fa0e1f1561f6bee93d8eee707122d759fb/0x1}
badsig=${badsig/0x0d2830857fa3ae2b071f83d939c8d8fcb35689bbbd98f9a8cc803ead01e2581b/0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a1}
printf '{"alloc": %s, "env": %s, "txs": [%s]}' "$alloc0" "$(env "")" "$badsig" >"$tmp/badsig.json"
expect 0 '"error": "invalid transaction v, r, s values"' --state.fork Byzantium --input.alloc stdin --input.env stdin --input.txs stdin \
    --output.result stdout <"$tmp/badsig.json"
# no transactions (null): an empty block
printf '{"alloc": %s, "env": %s, "txs": null}' "$(cat "$tmp/pre.json")" "$(cat "$tmp/env.json")" >"$tmp/in-empty.json"
expect 0 '"gasUsed": "0x0"' --input.alloc stdin --input.env stdin --input.txs stdin --output.result stdout \
    --output.alloc post.json --state.fork London <"$tmp/in-empty.json"
# an EIP-3155 trace per transaction, ending with its summary
expect 0 '' --state.fork London --input.alloc pre.json --output.alloc post.json --trace
trace=$(ls "$tmp"/trace-0-0x*.jsonl 2>/dev/null | head -1)
[ -n "$trace" ] && grep -q '"opName":"SSTORE"' "$trace" && tail -1 "$trace" | grep -q '"gasUsed"' && ok ||
    bad "no EIP-3155 trace of transaction 0: $(ls "$tmp")"
# the summary has the gas the top-level frame used, as geth's OnExit at depth
# 0: 3 PUSH1, a cold SSTORE of a new slot, BLOCKHASH, POP (22131),
# not the transaction's 43131 with its intrinsic gas
[ -n "$trace" ] && [ "$(tail -1 "$trace")" = '{"output":"","gasUsed":"0x5673"}' ] && ok ||
    bad "trace summary: $(tail -1 "$trace")"
# geth numbers the trace files by the transactions included before each: a
# rejected first one (nonce too high) and the included one after it are
# both trace-0 (execution-spec-tests' fill reads them back so)
txhigh=${tx/\"nonce\": \"0xac\"/\"nonce\": \"0xad\"}
echo "[$txhigh, $tx]" >"$tmp/txs2.json"
rm -f "$tmp"/trace-*.jsonl
expect 0 '' --state.fork London --input.alloc pre.json --input.txs txs2.json --output.alloc post.json --trace
[ "$(ls "$tmp"/trace-0-0x*.jsonl 2>/dev/null | wc -l)" -eq 2 ] && ! ls "$tmp"/trace-1-* >/dev/null 2>&1 && ok ||
    bad "trace files not numbered by included transactions: $(ls "$tmp")"
# geth's trace options: no stack, memory and return data where there are any;
# --opcode.count: how often each instruction ran (one included transaction)
rm -f "$tmp"/trace-*.jsonl
expect 0 '' --state.fork London --input.alloc pre.json --output.alloc post.json --trace --trace.nostack \
    --trace.memory --trace.returndata=true --opcode.count ops.json --verbosity 3
trace=$(ls "$tmp"/trace-0-0x*.jsonl 2>/dev/null | head -1)
[ -n "$trace" ] && grep -q '"stack":null,"depth"' "$trace" && ! grep -q '"stack":\[' "$trace" && ok ||
    bad "--trace.nostack: $(head -2 "$trace")"
grep -q '"SSTORE": 1' "$tmp/ops.json" && grep -q '"PUSH1": 3' "$tmp/ops.json" && grep -q '"BLOCKHASH": 1' "$tmp/ops.json" &&
    ok || bad "--opcode.count: $(cat "$tmp/ops.json")"
expect 2 'usage' --trace.memory=maybe
# --trace.tracer: a geth tracer's result per transaction, as geth's t8n writes it
expect 0 '' --state.fork London --input.alloc pre.json --output.alloc post.json --trace.tracer callTracer
trace=$(ls "$tmp"/trace-0-0x*.json 2>/dev/null | head -1)
[ -n "$trace" ] && grep -q '"to":"0x8a8eafb1cf62bfbeb1741769dae1a9dd47996192"' "$trace" && grep -q '"type":"CALL"}$' "$trace" &&
    ok || bad "--trace.tracer callTracer: $(cat "$trace" 2>/dev/null)"
rm -f "$tmp"/trace-*.json
expect 0 '' --state.fork London --input.alloc pre.json --output.alloc post.json --trace.tracer flatCallTracer \
    --trace.jsonconfig '{"convertParityErrors":true}'
trace=$(ls "$tmp"/trace-0-0x*.json 2>/dev/null | head -1)
[ -n "$trace" ] && grep -q '"blockHash":null,"blockNumber":0,"result":{"gasUsed":' "$trace" &&
    grep -q '"traceAddress":\[\],"transactionHash":null,"transactionPosition":0,"type":"call"}\]$' "$trace" &&
    ok || bad "--trace.tracer flatCallTracer: $(cat "$trace" 2>/dev/null)"
expect 3 'failed instantiating tracer: tracer not found' --state.fork London --input.alloc pre.json --trace.tracer nope
expect 3 'failed instantiating tracer: --trace.jsonconfig' --state.fork London --input.alloc pre.json \
    --trace.tracer callTracer --trace.jsonconfig '{oops'
expect 3 'native.callTracerConfig' --state.fork London --input.alloc pre.json --trace.tracer callTracer \
    --trace.jsonconfig '{"withLog":"yes"}'
expect 2 'usage' --verbosity loud
# a reward of 2 ether goes to the coinbase, with the tips (43,131 gas at 16 wei);
# -1 pays none
expect 0 '"0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b": \{' --state.fork London --input.alloc pre.json --input.txs txs.rlp \
    --state.reward 2000000000000000000 --output.alloc stdout --output.result result.json
expect 0 '"balance": "0x1bc16d674ed287b0"' --state.fork London --input.alloc pre.json --input.txs txs.rlp \
    --state.reward 2000000000000000000 --output.alloc stdout --output.result result.json
expect 0 '"balance": "0xa87b0"' --state.fork London --input.alloc pre.json --input.txs txs.rlp --state.reward -1 \
    --output.alloc stdout --output.result result.json

# errors, with geth's exit codes
env "" >"$tmp/env-nohash.json"
expect 4 'ERROR\(4\): getHash\(0\) invoked' --state.fork London --input.alloc pre.json --input.env env-nohash.json
expect 3 'ERROR\(3\): unsupported fork "Nowhere"' --state.fork Nowhere --input.alloc pre.json
echo '{"currentCoinbase": "0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b", "currentGasLimit": "0x1000000", "currentNumber": "1", "currentTimestamp": "1000"}' >"$tmp/env-nobase.json"
expect 3 "ERROR\\(3\\): EIP-1559 config but missing 'parentBaseFee'" --state.fork London --input.alloc pre.json \
    --input.env <(sed 's/}$/, "currentDifficulty": "0x20000"}/' "$tmp/env-nobase.json")
expect 3 "ERROR\\(3\\): post-merge requires currentRandom" --state.fork Paris --input.alloc pre.json --input.env env-nohash.json
expect 3 "ERROR\\(3\\): Shanghai config but missing 'withdrawals'" --state.fork Shanghai --input.alloc pre.json \
    --input.env <(env ', "currentRandom": "0x00000000000000000000000000000000000000000000000000000000000000aa", "currentDifficulty": "0x0"')
expect 3 'ERROR\(3\): currentDifficulty was not provided' --state.fork Berlin --input.alloc pre.json --input.env env-nobase.json
expect 11 'ERROR\(11\): .*absent.json: cannot open' --input.alloc absent.json
printf '{"x": ' >"$tmp/broken.json"
expect 10 'ERROR\(10\): .*broken.json: invalid JSON' --input.alloc broken.json
expect 10 'ERROR\(10\): env: field "currentNumber" is missing' --state.fork London --input.alloc pre.json --input.env <(echo '{"currentCoinbase": "0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b", "currentGasLimit": "1"}')
expect 10 'ERROR\(10\): txs\[0\]: field "nonce"' --state.fork London --input.alloc pre.json --input.txs <(echo '[{"gas": "0x1"}]')
expect 10 'ERROR\(10\): alloc: "0x12" is not an address' --input.alloc <(echo '{"0x12": {"balance": "0x1"}}')
# a transaction that does not decode is rejected and the block goes on, as geth's
echo '"0xc3010203"' >"$tmp/bad.rlp"
expect 0 '"index": 2' --state.fork London --input.alloc pre.json --input.txs bad.rlp --output.result stdout
# an empty output name writes nothing (geth's "ignore")
expect 0 '' --state.fork London --input.alloc pre.json --output.basedir "$tmp/quiet" --output.result "" --output.alloc ""
[ -z "$(ls -A "$tmp/quiet")" ] && ok || bad "empty output names wrote: $(ls "$tmp/quiet")"
# an ommer's reward is (8 - delta)/8 of the block's, even past block 0 (geth's)
printf '{"currentCoinbase": "0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b", "currentDifficulty": "0x20000", "currentGasLimit": "0x750a163df65e8a",
 "currentNumber": "1", "currentTimestamp": "1000", "ommers": [{"delta": 2, "address": "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}]}' >"$tmp/env-ommer.json"
echo '[]' >"$tmp/no-txs.json"
out=$(cd "$tmp" && "$parevm" t8n --state.fork Byzantium --state.reward 0x80 --input.alloc pre.json --input.env env-ommer.json \
    --input.txs no-txs.json --output.alloc stdout --output.result "")
grep -A1 '"0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"' <<<"$out" | grep -q '"balance": "0x60"' && ok || bad "ommer reward: $(head -c 600 <<<"$out")"
sed 's/"delta": 2/"delta": 9/' "$tmp/env-ommer.json" >"$tmp/env-ommer9.json"
expect 10 'ERROR\(10\): env: ommers\[0\]: delta 9 is more than 8 blocks back' --state.fork Byzantium --input.alloc pre.json \
    --input.env env-ommer9.json --input.txs no-txs.json
# after the Merge: currentRandom is a number (decimal here), the result has no
# difficulty and, before Prague, null requests; receipts name the block
printf '{"currentCoinbase": "0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b", "currentRandom": "2", "currentGasLimit": "0x750a163df65e8a",
 "currentNumber": "1", "currentTimestamp": "1000", "currentBaseFee": "0x10", "blockHashes": {"0": "%s"}}' "$hash0" >"$tmp/env-merge.json"
out=$(cd "$tmp" && "$parevm" t8n --state.fork Paris --input.alloc pre.json --input.env env-merge.json --output.result stdout --output.alloc "")
grep -q '"currentDifficulty": null' <<<"$out" && grep -q '"requests": null' <<<"$out" &&
    grep -q '"blockNumber": "0x1"' <<<"$out" && ok || bad "post-merge result: $(head -c 600 <<<"$out")"
echo '"0x12"' >"$tmp/notlist.rlp"
expect 12 'ERROR\(12\): txs: not an RLP list' --state.fork London --input.alloc pre.json --input.txs notlist.rlp
# the output folder is made as geth makes it; a file in its way is an error
expect 0 '' --state.fork London --input.alloc pre.json --output.basedir "$tmp/new/out"
[ -s "$tmp/new/out/result.json" ] && ok || bad "no result.json in the new output folder"
expect 11 'ERROR\(11\): failed creating output basedir' --state.fork London --input.alloc pre.json --output.basedir pre.json/x
expect 2 'usage' --state.chainid x
expect 2 'usage' --no-such-option

# t9n (geth's evm t9n): each transaction of an RLP list checked against a
# fork's rules. The EIP-155 example (key 0x4646..46, chain id 1) is valid
# from Spurious Dragon; with its gas limit cut to 20000 the intrinsic gas
# is too low (the sender recovered is then another); a type-2 transaction
# is not one before London.
# expect_tool CMD STATUS PATTERN ARGS...: parevm CMD ARGS exits STATUS, and
# its output matches the Perl regex PATTERN
expect_tool() {
    local cmd=$1 want=$2 pattern=$3
    shift 3
    local out rc
    out=$(cd "$tmp" && "$parevm" "$cmd" "$@" 2>&1)
    rc=$?
    if [ $rc -ne "$want" ]; then bad "$cmd $* exited $rc, not $want: $(head -3 <<<"$out")"; return; fi
    if ! grep -qzP -- "(?s)$pattern" <<<"$out"; then bad "$cmd $*: no /$pattern/ in: $(head -8 <<<"$out")"; return; fi
    ok
}
expect9() { expect_tool t9n "$@"; }
eip155=f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83
lowgas=${eip155/825208/824e20}
type2=a402e2018001018252089435353535353535353535353535353535353535358080c0800101
printf '"0xf90101%s%s%s"' "$eip155" "$lowgas" "$type2" >"$tmp/txs.rlp"
expect9 0 '^\[\s+\{\s+"address": "0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f",\s+"hash": "0x[0-9a-f]{64}",\s+"intrinsicGas": "0x5208"\s+\},\s+\{\s+"error": "intrinsic gas too low: have 20000, want 21000",\s+"address": "0x[0-9a-f]{40}",' \
    --state.fork London
expect9 0 '\{\s+"error": "transaction type not supported",\s+"hash": "0x[0-9a-f]{64}"\s+\}\s+\]' --state.fork Berlin
expect9 0 '^\[\s+\{\s+"error": "invalid chain id for signer",\s+"hash"' --state.fork London --state.chainid 5
expect9 0 '^\[\s+\{\s+"error": "invalid transaction v, r, s values"' --state.fork Homestead
expect9 0 '"address": "0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f"' --state.fork BerlinToLondonAt5
echo '{"txsRlp": "0xc0"}' >"$tmp/empty.json"
expect9 0 '^\[\]' --input.txs stdin <"$tmp/empty.json"
expect9 3 'ERROR\(3\): unsupported fork' --state.fork Nope
expect9 11 'ERROR\(11\).*only rlp' --input.txs txs.json
expect9 11 'ERROR\(11\).*cannot open' --input.txs absent.rlp
printf '"0xc1"' >"$tmp/trunc.rlp"
expect9 11 'ERROR\(11\): the input is not an RLP list' --input.txs trunc.rlp
printf '"0xzz"' >"$tmp/nothex.rlp"
expect9 11 'ERROR\(11\).*not 0x-hex' --input.txs nothex.rlp
expect9 10 'ERROR\(10\).*invalid JSON' --input.txs stdin <"$tmp/trunc.rlp"
printf '"0xc3010203"' >"$tmp/garbage.rlp"
expect9 0 '"error": "typed transaction too short".*"error": "typed transaction too short"' --input.txs garbage.rlp
expect9 2 'usage' --state.chainid 0

# b11r (geth's evm b11r): blocks assembled from header fields and a body.
# Mainnet's genesis and block 1, from their well-known header fields, give
# their well-known hashes.
expect11() { expect_tool b11r "$@"; }
mkdir -p "$tmp/b11r"
cat >"$tmp/b11r/genesis.json" <<'EOF2'
{"stateRoot": "0xd7f8974fb5ac78d9ac099b9ad5018bedc2ce0a72dad1827a1709da30580f0544", "difficulty": "0x400000000",
 "number": "0x0", "gasLimit": "0x1388", "timestamp": "0x0", "nonce": "0x0000000000000042",
 "extraData": "0x11bbe8db4e347b4e8c937c1c8370e4b5ed33adb3db69cbdb7a38e1e50b1b82fa"}
EOF2
cat >"$tmp/b11r/block1.json" <<'EOF2'
{"parentHash": "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3",
 "miner": "0x05a56e2d52c817161883f50c441c3228cfe54d9f",
 "stateRoot": "0xd67e4d450343046425ae4271474353857ab860dbc0a1dde64b41b5cd3a532bf3", "difficulty": "0x3ff800000",
 "number": "0x1", "gasLimit": "0x1388", "timestamp": "0x55ba4224", "nonce": "0x539bd4979fef1ec4",
 "extraData": "0x476574682f76312e302e302f6c696e75782f676f312e342e32",
 "mixHash": "0x969b900de27b6ac6a67742365dd65f55a0526c41fd18e1b16f1a1215c2e66f59"}
EOF2
echo '"0xc0"' >"$tmp/b11r/txs.rlp"
echo '[]' >"$tmp/b11r/ommers.json"
expect11 0 '"hash": "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"' \
    --input.header b11r/genesis.json --input.txs b11r/txs.rlp --input.ommers b11r/ommers.json --output.block stdout
(cd "$tmp" && "$parevm" b11r --input.header b11r/block1.json --input.txs b11r/txs.rlp --input.ommers b11r/ommers.json \
    --output.basedir b11r --output.block out.json)
if grep -q '"hash": "0x88e96d4537bea4d9c05d12549907b32561d3bf31f45aae734cdc119f13406cb6"' "$tmp/b11r/out.json"; then ok; else
    bad "b11r block 1: $(cat "$tmp/b11r/out.json" 2>&1 | head -3)"; fi
# stdin; the genesis as block 1's ommer: the ommers hash is computed, the body holds it
genesis_rlp=$(cd "$tmp" && "$parevm" b11r --input.header b11r/genesis.json --input.txs b11r/txs.rlp \
    --input.ommers b11r/ommers.json --output.block stdout | grep -o '0xf9[0-9a-f]*')
printf '{"header": %s, "txs": "c0", "ommers": ["%s"]}' "$(cat "$tmp/b11r/block1.json")" "$genesis_rlp" >"$tmp/b11r/in.json"
expect11 0 '"rlp": "0xf9042ff90211a0d4e56740[0-9a-f]{56}a0(?!1dcc4de8)[0-9a-f]{64}.*c0f90217f90214a00{64}a01dcc4de8' \
    --input.header stdin --input.txs stdin --input.ommers stdin --output.block stdout <"$tmp/b11r/in.json"
# Shanghai: the withdrawals root brings the base fee, the body its list
printf '{"header": {"stateRoot": "0x%064x", "number": "1", "gasLimit": "30000000", "timestamp": "1",
  "withdrawalsRoot": "0x%064x"}, "txs": "0xc0", "withdrawals": [{"index": "0x1", "validatorIndex": "0x2",
  "address": "0x%040x", "amount": "0x3"}]}' 1 2 3 >"$tmp/b11r/shanghai.json"
expect11 0 '"rlp": "0xf9023.*80a00{63}2c0c0d9d80102940{39}303"' --input.header stdin --input.txs stdin \
    --input.ommers stdin --input.withdrawals stdin --output.block stdout <"$tmp/b11r/shanghai.json"
expect11 11 'ERROR\(11\).*cannot open' --input.header b11r/absent.json --output.block stdout
printf '{"number": ' >"$tmp/b11r/trunc.json"
expect11 10 'ERROR\(10\).*invalid JSON' --input.header b11r/trunc.json --output.block stdout
echo '{"number": "1", "gasLimit": "1", "timestamp": "1"}' >"$tmp/b11r/noroot.json"
expect11 10 'ERROR\(10\).*stateRoot' --input.header b11r/noroot.json --input.txs b11r/txs.rlp \
    --input.ommers b11r/ommers.json --output.block stdout
echo '"0xc3010203"' >"$tmp/b11r/badtxs.rlp"
expect11 12 'ERROR\(12\): unable to decode transaction' --input.header b11r/genesis.json --input.txs b11r/badtxs.rlp \
    --input.ommers b11r/ommers.json --output.block stdout
echo '["0xc0"]' >"$tmp/b11r/badommer.json"
expect11 12 'ERROR\(12\): unable to decode ommer 0' --input.header b11r/genesis.json --input.txs b11r/txs.rlp \
    --input.ommers b11r/badommer.json --output.block stdout
expect11 3 'ERROR\(3\): clique' --seal.clique clique.json
expect11 2 'usage' --no-such-option

# called through a link named evm, as harnesses written for geth's tool
# call it: execution-spec-tests' fill recognises "evm version"; geth's
# flags before the command (--verbosity N dropped) are taken
ln -s "$parevm" "$tmp/evm"
out=$("$tmp/evm" -v) && grep -qE '^evm version [0-9]' <<<"$out" && ok || bad "evm -v: $out"
out=$("$parevm" --version) && grep -qE '^parevm version [0-9]' <<<"$out" && ok || bad "parevm --version: $out"
out=$(cd "$tmp" && "$tmp/evm" --verbosity 100 t8n --input.alloc stdin --input.env stdin --input.txs stdin \
    --output.result stdout --output.alloc stdout --state.fork London <"$tmp/in.json")
grep -q "\"stateRoot\": \"$root\"" <<<"$out" && ok || bad "evm --verbosity 100 t8n: $out"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
