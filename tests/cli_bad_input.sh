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

# expect PATTERN command...: runs it, checks it did not crash (signal), hang
# (timeout) or trip a sanitizer, that the exit status is non-zero, and that
# the output matches.
expect() {
    local pattern=$1
    shift
    local out rc
    out=$(timeout 60 "$@" 2>&1)
    rc=$?
    # a sanitizer report (a leak on an error path...) is a failure too
    if [ $rc -ge 124 ] || [ $rc -eq 0 ] || ! grep -qE "$pattern" <<<"$out" ||
        grep -qE "Sanitizer|runtime error" <<<"$out"; then
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

# strict hex and field sizes, as geth reads them (one valid test, then one
# field broken at a time)
st() { # st NAME ENV PRE TX POST: writes $tmp/NAME.json
    printf '{"t": {"env": %s, "pre": %s, "transaction": %s, "post": %s}}' "$2" "$3" "$4" "$5" >"$tmp/$1.json"
}
env='{"currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba", "currentDifficulty": "0x020000", "currentGasLimit": "0xff112233445566", "currentNumber": "0x01", "currentTimestamp": "0x03e8", "currentBaseFee": "0x0a"}'
sender='"0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b": {"balance": "0x0de0b6b3a7640000", "code": "0x", "nonce": "0x00", "storage": {}}'
pre="{$sender, \"0x095e7baea6a6c7c4c2dfeb977efac326af552d87\": {\"balance\": \"0x00\", \"code\": \"0x600160015500\", \"nonce\": \"0x00\", \"storage\": {}}}"
tx='{"data": ["0x"], "gasLimit": ["0x0186a0"], "gasPrice": "0x0a", "nonce": "0x00", "secretKey": "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8", "to": "0x095e7baea6a6c7c4c2dfeb977efac326af552d87", "value": ["0x00"]}'
post='{"Cancun": [{"hash": "0x1111111111111111111111111111111111111111111111111111111111111111", "logs": "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347", "indexes": {"data": 0, "gas": 0, "value": 0}}]}'
st ok "$env" "$pre" "$tx" "$post"
expect "FAIL.*expected root" "$parevm" statetest "$tmp/ok.json" # well-formed, wrong root
# an unfilled test (a zero root, as goevmlab generates them): no expectation,
# exit 0, the root reported as geth's evm statetest reports it
st unfilled "$env" "$pre" "$tx" "${post/0x1111111111111111111111111111111111111111111111111111111111111111/0x0000000000000000000000000000000000000000000000000000000000000000}"
out=$("$parevm" statetest "$tmp/unfilled.json" 2>"$tmp/unfilled.err")
if [ $? -eq 0 ] && grep -qE '^\{"name": "t", "fork": "Cancun", "pass": true, "stateRoot": "0x[0-9a-f]{64}"\}$' <<<"$out" &&
    grep -qE '^\{"stateRoot": "0x[0-9a-f]{64}"\}$' "$tmp/unfilled.err"; then
    passed=$((passed + 1))
else
    echo "FAIL: statetest of an unfilled test: $out"
    failed=$((failed + 1))
fi
# a transaction refused before execution (its nonce too high) writes no
# summary line under --trace, as geth's and evmone's: only the state root
st refused "$env" "$pre" "${tx/\"nonce\": \"0x00\"/\"nonce\": \"0x05\"}" "${post/0x1111111111111111111111111111111111111111111111111111111111111111/0x0000000000000000000000000000000000000000000000000000000000000000}"
"$parevm" statetest --trace "$tmp/refused.json" >/dev/null 2>"$tmp/refused.err"
if grep -q '"nonce": "0x05"' "$tmp/refused.json" && [ "$(wc -l <"$tmp/refused.err")" -eq 1 ] &&
    grep -qE '^\{"stateRoot": "0x[0-9a-f]{64}"\}$' "$tmp/refused.err"; then
    passed=$((passed + 1))
else
    echo "FAIL: statetest --trace of a refused transaction: $(cat "$tmp/refused.err")"
    failed=$((failed + 1))
fi
# the summary's error in geth's words (VMErrorFromErr): a REVERT
st reverted "$env" "${pre/0x600160015500/0x60006000fd}" "$tx" "${post/0x1111111111111111111111111111111111111111111111111111111111111111/0x0000000000000000000000000000000000000000000000000000000000000000}"
"$parevm" statetest --trace "$tmp/reverted.json" >/dev/null 2>"$tmp/reverted.err"
if grep -qx '{"output":"","gasUsed":"0x6","error":"execution reverted"}' "$tmp/reverted.err"; then
    passed=$((passed + 1))
else
    echo "FAIL: statetest --trace of a reverted transaction: $(grep -v '"pc"' "$tmp/reverted.err")"
    failed=$((failed + 1))
fi
# a creation: "to" is "", missing (evmone's exported tests) or null, the same
# root each way, as geth and evmone read it; any other non-string is refused
zero=0x0000000000000000000000000000000000000000000000000000000000000000
create_tx=${tx/\"0x095e7baea6a6c7c4c2dfeb977efac326af552d87\"/\"\"}
st create_empty "$env" "$pre" "$create_tx" "${post/0x1111111111111111111111111111111111111111111111111111111111111111/$zero}"
st create_missing "$env" "$pre" "${create_tx/, \"to\": \"\"/}" "${post/0x1111111111111111111111111111111111111111111111111111111111111111/$zero}"
st create_null "$env" "$pre" "${create_tx/\"to\": \"\"/\"to\": null}" "${post/0x1111111111111111111111111111111111111111111111111111111111111111/$zero}"
roots=$(for c in empty missing null; do "$parevm" statetest "$tmp/create_$c.json" 2>&1 >/dev/null || echo "$c failed"; done)
if [ "$(wc -l <<<"$roots")" -eq 3 ] && [ "$(sort -u <<<"$roots" | wc -l)" -eq 1 ] && grep -qE '^\{"stateRoot": "0x[0-9a-f]{64}"\}$' <<<"$roots" &&
    ! grep -q '"to"' "$tmp/create_missing.json" && grep -q '"to": null' "$tmp/create_null.json"; then
    passed=$((passed + 1))
else
    echo "FAIL: a creation's \"to\" as \"\", missing or null: $roots"
    failed=$((failed + 1))
fi
st create_number "$env" "$pre" "${create_tx/\"to\": \"\"/\"to\": 5}" "$post"
expect "malformed fixture.*\"to\" is not a string" "$parevm" statetest "$tmp/create_number.json"
st oddcode "$env" "${pre/0x600160015500/0x60016001550}" "$tx" "$post"
expect "malformed fixture.*code" "$parevm" statetest "$tmp/oddcode.json"
st shortaddr "$env" "${pre/0x095e7baea6a6c7c4c2dfeb977efac326af552d87/0x095e}" "$tx" "$post"
expect "malformed fixture.*0x095e.*not an address" "$parevm" statetest "$tmp/shortaddr.json"
st shortcoinbase "${env/0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba/0x2adc}" "$pre" "$tx" "$post"
expect "malformed fixture.*currentCoinbase" "$parevm" statetest "$tmp/shortcoinbase.json"
st shorthash "$env" "$pre" "$tx" "${post/0x1111111111111111111111111111111111111111111111111111111111111111/0x00}"
expect "malformed fixture.*hash" "$parevm" statetest "$tmp/shorthash.json"
st emptynonce "$env" "$pre" "${tx/\"nonce\": \"0x00\"/\"nonce\": \"0x\"}" "$post"
expect "malformed fixture.*nonce" "$parevm" statetest "$tmp/emptynonce.json"
st emptybalance "$env" "${pre/\"balance\": \"0x00\"/\"balance\": \"0x\"}" "$tx" "$post"
expect "malformed fixture.*balance" "$parevm" statetest "$tmp/emptybalance.json"
nodata='"data": ["0x"]'
st odddata "$env" "$pre" "${tx/"$nodata"/\"data\": [\"0x600\"]}" "$post"
expect "malformed fixture.*data" "$parevm" statetest "$tmp/odddata.json"
st bigindex "$env" "$pre" "$tx" "${post/\"data\": 0/\"data\": 4294967296}"
expect "malformed fixture.*indexes.data" "$parevm" statetest "$tmp/bigindex.json"
st forkobject "$env" "$pre" "$tx" '{"Cancun": {}}'
expect "malformed fixture.*post.Cancun is not an array" "$parevm" statetest "$tmp/forkobject.json"
st nocases "$env" "$pre" "$tx" '{"Cancun": []}'
expect "no test ran" "$parevm" statetest "$tmp/nocases.json"
st storagearray "$env" "${pre/\"storage\": \{\}\}\}/\"storage\": [1]\}\}}" "$tx" "$post"
expect "malformed fixture.*storage" "$parevm" statetest "$tmp/storagearray.json"
st storagenum "$env" "${pre/\"storage\": \{\}\}\}/\"storage\": \{\"0x01\": 1\}\}\}}" "$tx" "$post"
expect "malformed fixture.*storage" "$parevm" statetest "$tmp/storagenum.json"
st badexc "$env" "$pre" "$tx" "${post/\"indexes\"/\"expectException\": \"TR_NoSuchThing\", \"indexes\"}"
expect "unknown exception name \"TR_NoSuchThing\"" "$parevm" statetest "$tmp/badexc.json"
# expected to be rejected for too little intrinsic gas, it is not rejected
st wrongexc "$env" "$pre" "$tx" "${post/\"indexes\"/\"expectException\": \"TransactionException.INTRINSIC_GAS_TOO_LOW\", \"indexes\"}"
expect "FAIL.*expected exception TransactionException.INTRINSIC_GAS_TOO_LOW" "$parevm" statetest "$tmp/wrongexc.json"
# rejected, but for its nonce, not its intrinsic gas
st otherexc "$env" "$pre" "${tx/\"nonce\": \"0x00\"/\"nonce\": \"0x05\"}" "${post/\"indexes\"/\"expectException\": \"TransactionException.INTRINSIC_GAS_TOO_LOW\", \"indexes\"}"
expect "FAIL.*rejection for another reason: nonce too high" "$parevm" statetest "$tmp/otherexc.json"
expect "no test ran.*--run" "$parevm" statetest --run nothing-matches "$tmp/ok.json"
expect "one regular expression" "$parevm" statetest --run a --run b "$tmp/ok.json"
mkdir -p "$tmp/empty"
expect "no .json fixture file" "$parevm" statetest "$tmp/empty"
# a FIFO would block the reader forever: refused (the expect timeout guards)
mkfifo "$tmp/fifo.json"
expect "not a regular file" "$parevm" statetest "$tmp/fifo.json"
expect "not a regular file" "$parevm" blocktest "$tmp/fifo.json"
expect "not a regular file" "$parevm" statetest /dev/null
rm -f "$tmp/fifo.json"
# another suite's files are no difficulty tests
expect "no test ran" "$parevm" difficultytest "$tmp/ok.json"
expect "usage" "$parevm" blocktest --threads 2x "$tmp/ok.json"
printf 'junk' >"$tmp/junk.json"
expect "invalid JSON" "$parevm" bench evm "$tmp/junk.json"
expect "not a state test|no benchmark" "$parevm" bench evm "$tmp/array.json"

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
# --requests: a file that cannot be made, and the option given twice
expect "cannot write" "$parevm" blocktest --requests "$tmp/no/such/dir/r.jsonl" "$tmp/bt.json"
expect "usage" "$parevm" blocktest --requests "$tmp/r1.jsonl" --requests "$tmp/r2.jsonl" "$tmp/bt.json"
printf '{"t": {"network": "Cancun", "pre": {}, "genesisRLP": "0xf90200", "blocks": {}, "lastblockhash": "0x00"}}' >"$tmp/bt4.json"
expect "FAIL" "$parevm" blocktest "$tmp/bt4.json"

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
# wrong-typed withdrawals, block hashes and storage are errors, not ignored
printf '{}' >"$tmp/block/1/pre_state.json"
printf '[1]' >"$tmp/block/1/block_hashes.json"
expect "block_hashes.json" "$parevm" replay "$tmp/block/1"
rm "$tmp/block/1/block_hashes.json"
printf '{"0x095e7baea6a6c7c4c2dfeb977efac326af552d87": {"basic": {"balance": "0x0", "nonce": 0}, "storage": [1]}}' >"$tmp/block/1/pre_state.json"
expect "pre_state.json|block.json" "$parevm" replay "$tmp/block/1"

expect "usage" "$parevm" replay --mode nonsense "$tmp"
expect "unknown command" "$parevm" frobnicate

# --help anywhere on a command line: that command's usage on stdout, status
# 0, and nothing else run (blocktest does not look at its path); --version
expect_help() {
    local pattern=$1
    shift
    local out rc
    out=$(timeout 60 "$@" 2>/dev/null </dev/null)
    rc=$?
    if [ $rc -ne 0 ] || ! grep -qE "$pattern" <<<"$out" || grep -q "cannot access" <<<"$out"; then
        echo "FAIL: $* (exit $rc), wanted /$pattern/ on stdout, got:"
        echo "$out" | head -3
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
}
expect_help "^usage: parevm statetest" "$parevm" statetest --help
expect_help "^usage: parevm blocktest" "$parevm" blocktest "$tmp/absent" -h
expect_help "^usage: parevm bench evm" "$parevm" bench evm --help
expect_help "^usage: parevm bench precompiles" "$parevm" bench precompiles --help
expect_help "Cancun, Prague, Osaka" "$parevm" t8n --help
expect_help "^usage: parevm run" "$parevm" run 0x00 --help
expect_help "^usage: parevm run" sh -c '"$0" run --help | head -1' "$parevm"
expect_help "bench mainnet \[replay's options\]" "$parevm" bench mainnet --help
expect_help "^parevm version [0-9]+\.[0-9]+\.[0-9]+$" "$parevm" --version

# enginetest: a plain BlockchainTests file, an unknown network, a genesis
# that is not one, malformed payload entries, bad options
printf '{"t": {"network": "Cancun", "blocks": [], "pre": {}}}' >"$tmp/et1.json"
printf '{"t": {"network": "Nowhere", "engineNewPayloads": []}}' >"$tmp/et2.json"
printf '{"t": {"network": "Cancun", "engineNewPayloads": [{"params": 5}], "genesisBlockHeader": {"hash": "0x12"}, "pre": {}}}' >"$tmp/et3.json"
expect "FAIL.*not a blockchain_test_engine fixture" "$parevm" enginetest "$tmp/et1.json"
expect "FAIL.*unknown network" "$parevm" enginetest "$tmp/et2.json"
expect "FAIL.*(hash|genesis)" "$parevm" enginetest "$tmp/et3.json"
expect "invalid JSON" "$parevm" enginetest "$tmp/truncated.json"
expect "usage" "$parevm" enginetest --threads 0 "$tmp/et1.json"
expect "usage" "$parevm" enginetest

# node --dev --init (--dev.genesis): a file that is missing, not JSON, not
# a genesis, or a chain the dev node cannot seal; --init without --dev. The
# node must stop with the reason before it serves anything.
printf '{"config": {"chainId": "x"}}' >"$tmp/g1.json"
printf '{"config": {"chainId": 9, "homesteadBlock": 0, "terminalTotalDifficulty": 5}}' >"$tmp/g2.json"
printf '{"config": {"chainId": 9}, "alloc": {"0x12": {}}}' >"$tmp/g3.json"
expect "unable to open .*absent.json" "$parevm" node --dev --port 0 --init "$tmp/absent.json"
expect "truncated.json: invalid JSON" "$parevm" node --dev --port 0 --init "$tmp/truncated.json"
expect "g1.json: .*chainId" "$parevm" node --dev --port 0 --init "$tmp/g1.json"
expect "terminalTotalDifficulty is above 0" "$parevm" node --dev --port 0 --init "$tmp/g2.json"
expect "g3.json: .*alloc" "$parevm" node --dev --port 0 --dev.genesis "$tmp/g3.json"
expect "needs --dev" "$parevm" node --port 0 --init "$tmp/g1.json"
expect "bad or missing value for --dev.genesis" "$parevm" node --dev --init
# --ws.api other than --http.api (one method table serves both); a bad port
expect "ws.api must name" "$parevm" node --dev --port 0 --ws.api eth
expect "ws.api must name" "$parevm" node --dev --port 0 --http.api eth,net --ws.api eth
expect "bad or missing value for --ws.port" "$parevm" node --dev --port 0 --ws.port 70000
# geth's --miner.* settings: extra data over 32 bytes, a price that is no number
expect "bad or missing value for --miner.extradata" "$parevm" node --dev --port 0 --miner.extradata 0123456789012345678901234567890123
expect "bad or missing value for --miner.gasprice" "$parevm" node --dev --port 0 --miner.gasprice lots
expect "bad or missing value for --miner.pending.feeRecipient" "$parevm" node --dev --port 0 --miner.pending.feeRecipient 0x12
# --derivation-path, --config-out and --print-traces: without --dev, a path that is none,
# a file that cannot be written
expect "need --dev" "$parevm" node --derivation-path "m/44'/60'/1'/0"
expect "need --dev" "$parevm" node --config-out "$tmp/c.json"
expect "need --dev" "$parevm" node --print-traces
expect "need --dev" "$parevm" node --dev.print-traces --datadir "$tmp/none"
expect "cannot derive the dev accounts" "$parevm" node --dev --port 0 --derivation-path "m/44'/x"
expect "config-out: cannot write $tmp/no/such/dir/c.json" "$parevm" node --dev --port 0 --config-out "$tmp/no/such/dir/c.json"
# mnemonics: no BIP-39 phrase (an unknown word, a bad checksum, a double
# space, 11 words), a bad word count, a seed that is no number, two ways at
# once, none of them without --dev
expect "not a BIP-39 phrase: the word \"foo\"" "$parevm" node --dev --port 0 --mnemonic "foo bar"
expect "not a BIP-39 phrase: the checksum" "$parevm" node --dev --port 0 -m "test test test test test test test test test test test test"
expect "not a BIP-39 phrase: an empty word" "$parevm" node --dev --port 0 -m "test  test test test test test test test test test test junk"
expect "not a BIP-39 phrase: a phrase has 12" "$parevm" node --dev --port 0 -m "test test test test test test test test test test junk"
expect "bad or missing value for --dev.mnemonic-random" "$parevm" node --dev --port 0 --mnemonic-random 13
expect "bad or missing value for --dev.mnemonic-seed-unsafe" "$parevm" node --dev --port 0 --mnemonic-seed-unsafe -1
expect "bad or missing value for --dev.mnemonic-seed-unsafe" "$parevm" node --dev --port 0 --mnemonic-seed-unsafe 18446744073709551616
expect "exclude each other" "$parevm" node --dev --port 0 --mnemonic-random --mnemonic-seed-unsafe 1
expect "exclude each other" "$parevm" node --dev --port 0 -m "$(printf 'test %.0s' $(seq 1 11))junk" --mnemonic-random
expect "need --dev" "$parevm" node --port 0 --mnemonic-seed-unsafe 1
# a number option with its value missing at the end (this crashed), or
# negative (strtoull would take -1 as 2^64-1)
expect "bad or missing value for --dev.base-fee" "$parevm" node --dev --port 0 --dev.base-fee
expect "bad or missing value for --ws.port" "$parevm" node --dev --port 0 --ws.port
expect "bad or missing value for --dev.base-fee" "$parevm" node --dev --port 0 --dev.base-fee -1
expect "bad or missing value for --dev.gas-price" "$parevm" node --dev --port 0 --dev.gas-price 0x10000000000000000
expect "usage: parevm import" "$parevm" import --datadir "$tmp/none" --threads -1 "$tmp/none.rlp"
expect "usage: parevm import" "$parevm" import --datadir "$tmp/none" --root-every 0 "$tmp/none.rlp"
expect "usage: parevm bench import" "$parevm" bench import --accounts -5
# the block gas limit both disabled and set; a request size of 0 or past 1 GiB
expect "exclude each other" "$parevm" node --dev --port 0 --disable-block-gas-limit --gas-limit 30000000
expect "bad or missing value for --rpc.max-request-size" "$parevm" node --dev --port 0 --rpc.max-request-size 0
expect "bad or missing value for --rpc.max-request-size" "$parevm" node --dev --port 0 --rpc.max-request-size 1025
# anvil's flags with no effect still want their values
expect "bad or missing value for --transaction-block-keeper" "$parevm" node --dev --port 0 --transaction-block-keeper x
expect "bad or missing value for --max-persisted-states" "$parevm" node --dev --port 0 --max-persisted-states
expect "bad or missing value for --max-transactions" "$parevm" node --dev --port 0 --max-transactions 0
expect "bad or missing value for --memory-limit" "$parevm" node --dev --port 0 --memory-limit 1e6
expect "bad or missing value for --cache-path" "$parevm" node --dev --port 0 --cache-path
expect "bad or missing value for --color" "$parevm" node --dev --port 0 --color red
expect "bad or missing value for --jobs" "$parevm" node --dev --port 0 -j 300
expect "unknown option -vvvvvv" "$parevm" node --dev -vvvvvv --port 0
# anvil's options parevm does not have: refused with why, not as unknown
expect "anvil's --fork-url is not supported: forking a remote chain" "$parevm" node --dev --fork-url http://127.0.0.1:1
expect "anvil's -f is not supported" "$parevm" node --dev -f
expect "anvil's --fork-block-number is not supported" "$parevm" node --dev --fork-block-number 5
expect "anvil's --number is not supported: a dev chain's genesis is block 0" "$parevm" node --dev --number 7
expect "anvil's --json is not supported" "$parevm" node --dev --json
expect "anvil's --disable-pool-balance-checks is not supported" "$parevm" node --dev --disable-pool-balance-checks
expect "anvil's -n is not supported: only Ethereum's rules" "$parevm" node --dev -n celo
# --ipcpath: no value, a missing folder, a path too long for a Unix socket,
# a file that is not a socket (left as it was)
expect "bad or missing value for --ipcpath" "$parevm" node --dev --port 0 --ipcpath
expect "ipcpath: $tmp/no/such/dir/x.ipc" "$parevm" node --dev --port 0 --ipcpath "$tmp/no/such/dir/x.ipc"
expect "IPC path too long" "$parevm" node --dev --port 0 --ipcpath "$tmp/$(printf 'a%.0s' $(seq 1 120)).ipc"
echo keep > "$tmp/not-a-socket"
expect "not a socket" "$parevm" node --dev --port 0 --ipc "$tmp/not-a-socket"
if grep -qx keep "$tmp/not-a-socket"; then passed=$((passed + 1)); else
    echo "FAIL: the file at --ipcpath was changed"
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
