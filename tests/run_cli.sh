#!/usr/bin/env bash
# parevm run (geth's evm run): outputs of hand-assembled code, the message's
# context (sender, receiver, block fields from --prestate), warm accounts
# and gas by EIP-2929/3651, value and creation rules, the trace, --dump, and
# bad arguments refused with a message and exit status 2, never a crash.
# Usage: run_cli.sh PAREVM
set -u
parevm=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# check NAME WANT-STATUS PATTERN command...: WANT-STATUS is ok (0) or bad (2);
# PATTERN is a Perl regex over the whole of stdout and stderr
check() {
    local name=$1 want=$2 pattern=$3
    shift 3
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if { [ "$want" = ok ] && [ $rc -ne 0 ]; } || { [ "$want" = bad ] && [ $rc -ne 2 ]; } ||
        ! grep -qzP -- "(?s)$pattern" <<<"$out"; then
        echo "FAIL $name (exit $rc), wanted /$pattern/, got:"
        echo "$out" | head -5
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
}
word() { printf '%064x' "$1"; }
sender=000000000000000000000000000073656e646572   # geth's defaults: "sender", "receiver"
receiver=0000000000000000000000007265636569766572

# MSTORE 42, RETURN 32 bytes
check return ok "^0x$(word 42)\n$" "$parevm" run 0x602a60005260206000f3
check revert ok '^0x\n error: execution reverted\n$' "$parevm" run 0x60006000fd
check invalid ok ' error: invalid opcode' "$parevm" run fe
check stack-underflow ok ' error: stack underflow' "$parevm" run 01
check out-of-gas ok ' error: out of gas' "$parevm" run --gas 1000 0x5b600056
# CALLDATACOPY the input, RETURN it
echo0=0x366000600037366000f3
check input ok '^0xdeadbeef\n$' "$parevm" run --input 0xdeadbeef $echo0
printf ' deadbeef01 \n' >"$tmp/input.hex"
check inputfile ok '^0xdeadbeef01\n$' "$parevm" run --inputfile "$tmp/input.hex" $echo0
printf '0x%s\n' "${echo0#0x}" >"$tmp/code.hex"
check codefile ok '^0xab\n$' "$parevm" run --codefile "$tmp/code.hex" --input ab
check codefile-stdin ok '^0xab\n$' "$parevm" run --codefile - --input ab <"$tmp/code.hex"
# CALLER, ORIGIN, ADDRESS
who=0x33600052326020523060405260606000f3
check defaults ok "^0x0{24}${sender}0{24}${sender}0{24}${receiver}\n$" "$parevm" run $who
check addresses ok "^0x0{24}0{35}a11ce0{24}0{35}a11ce0{24}0{37}b0b\n$" "$parevm" run --sender 0xa11ce --receiver 0xb0b $who
# GASLIMIT is --gas; BASEFEE 1 gwei; CHAINID 1 (each MSTOREd, RETURN 96 bytes)
check block-defaults ok "^0x$(word 12345)$(word 1000000000)$(word 1)\n$" \
    "$parevm" run --gas 12345 0x45600052486020524660405260606000f3

# EIP-2929: the sender, the receiver and precompiles are warm (BALANCE 100),
# others cold (2600); EIP-3651: the coinbase warm from Shanghai
check warm-sender ok 'EVM gas used: +102\n' "$parevm" run --statdump 0x3331
check warm-self ok 'EVM gas used: +102\n' "$parevm" run --statdump 0x3031
check warm-precompile ok 'EVM gas used: +103\n' "$parevm" run --statdump 0x600931
check cold ok 'EVM gas used: +2603\n' "$parevm" run --statdump 0x61dead31
check coinbase-shanghai ok 'EVM gas used: +102\n' "$parevm" run --statdump --fork Shanghai 0x4131
check coinbase-london ok 'EVM gas used: +2602\n' "$parevm" run --statdump --fork London 0x4131
check istanbul-balance ok 'EVM gas used: +702\n' "$parevm" run --statdump --fork Istanbul 0x3331
# forks: PUSH0 from Shanghai, SHL from Constantinople
check push0-paris ok ' error: invalid opcode' "$parevm" run --fork Paris 0x5f
check push0-shanghai ok '^0x\n$' "$parevm" run --fork Shanghai 0x5f
check shl-byzantium ok ' error: invalid opcode' "$parevm" run --fork Byzantium 0x600160011b
check shl-constantinople ok '^0x\n$' "$parevm" run --fork Constantinople 0x600160011b

# --prestate: alloc and block fields. NUMBER TIMESTAMP CHAINID COINBASE
# GASLIMIT DIFFICULTY BASEFEE SELFBALANCE, each MSTOREd, RETURN 256 bytes
cat >"$tmp/genesis.json" <<EOF
{"config": {"chainId": 5, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0, "eip158Block": 0,
            "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0, "istanbulBlock": 0,
            "berlinBlock": 0, "londonBlock": 0},
 "number": "0x10", "timestamp": "0x1234", "gasLimit": "0x1c9c380", "difficulty": "0x20000",
 "coinbase": "0x00000000000000000000000000000000000000cc", "baseFeePerGas": "0x7",
 "alloc": {"0x$sender": {"balance": "0x100"},
           "0x0000000000000000000000000000000000000bbb": {"balance": "0x5", "code": "0x6001600055"},
           "0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0": {"balance": "0x0", "nonce": "0x1"},
           "0x0000000000000000000000000000000000000eee": {"balance": "0x0", "nonce": "0xffffffffffffffff"}}}
EOF
fields=0x43600052426020524660405241606052456080524460a0524860c0524760e0526101006000f3
check prestate-block ok "^0x$(word 16)$(word 4660)$(word 5)$(word 204)$(word 30000000)$(word 131072)$(word 7)$(word 7)\n$" \
    "$parevm" run --prestate "$tmp/genesis.json" --value 7 $fields
# London at block 16: PUSH0 undefined; the fork option wins
check prestate-fork ok ' error: invalid opcode' "$parevm" run --prestate "$tmp/genesis.json" 0x5f
check prestate-fork-option ok '^0x\n$' "$parevm" run --prestate "$tmp/genesis.json" --fork Shanghai 0x5f
# the value moves; the receiver's code runs with its balance and storage
# kept; --dump is geth's state dump (balance in decimal, storage root, code
# hash, the address and its hash), printed before the output
check dump ok '"0x0000000000000000000000000000000000000bbb": \{\s+"balance": "6",\s+"nonce": 0,\s+"root": "0x[0-9a-f]{64}",\s+"codeHash": "0x[0-9a-f]{64}",\s+"code": "0x6001600055",\s+"storage": \{\s+"0x0{64}": "01"\s+\},\s+"address": "0x0{37}bbb",\s+"key": "0x[0-9a-f]{64}"' \
    "$parevm" run --prestate "$tmp/genesis.json" --receiver 0xbbb --value 1 --dump
check dump-sender ok "\"0x$sender\": \\{\\s+\"balance\": \"255\"" \
    "$parevm" run --prestate "$tmp/genesis.json" --receiver 0xbbb --value 1 --dump
# geth's own: the receiver holding 0x6040, with geth's state root and hashes
check dump-geth ok '^\{\n    "root": "b444481d1367188172f8c6091e948aaa68bae763fd26d6b9e994306a66bf69f9",\n    "accounts": \{\n        "0x0000000000000000000000007265636569766572": \{\n            "balance": "0",\n            "nonce": 0,\n            "root": "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",\n            "codeHash": "0x3e48ef54b89079a075f3b8fc253c657a86b110a7aed3568c1517b10edf2c3eb6",\n            "code": "0x6040",\n            "address": "0x0000000000000000000000007265636569766572",\n            "key": "0x30d7a0694cb29af31b982480e11d7ebb003a3fca4026939149071f014689b142"\n        \}\n    \}\n\}\n0x\n$' \
    "$parevm" run --dump 0x6040
# a prestate without config: the default fork (PUSH0 defined), the alloc
printf '{"alloc": {"0x%s": {"balance": "0x10"}}}' "$sender" >"$tmp/noconfig.json"
check prestate-noconfig ok "^0x$(word 16)\n$" "$parevm" run --prestate "$tmp/noconfig.json" 0x33315f5260205ff3
check value-too-much ok '^0x\n error: insufficient balance for transfer\n$' \
    "$parevm" run --prestate "$tmp/genesis.json" --value 0x101 00
check value-none ok ' error: insufficient balance for transfer' "$parevm" run --value 1 00

# --create: code + input is init code (this one returns one byte: 0x2a);
# the address is keccak(rlp(sender, nonce)), the well-known example's
init=0x602a60005360016000f3
check create ok '^0x2a\n.*contract address: 0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d' \
    "$parevm" run --create --sender 0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0 $init
check create-nonce ok 'contract address: 0x343c43a37d37dff08ae8c4a11544c718abb4fcf8' \
    "$parevm" run --create --prestate "$tmp/genesis.json" --sender 0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0 $init
check create-dump ok '"0x343c43a37d37dff08ae8c4a11544c718abb4fcf8": \{\s+"balance": "0",\s+"nonce": 1,.*"code": "0x2a",' \
    "$parevm" run --create --dump --prestate "$tmp/genesis.json" --sender 0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0 $init
check create-input ok '^0x2a\n' "$parevm" run --create --input 0x60016000f3 0x602a600053
check create-nonce-overflow ok ' error: nonce uint64 overflow' \
    "$parevm" run --create --prestate "$tmp/genesis.json" --sender 0xeee $init
check create-ef ok ' error: contract validation failed' "$parevm" run --create 0x60ef60005360016000f3

# the EIP-3155 trace: every step, then the summary with the output and gas
# (18 for the code, 200 for the one byte deposited)
check trace ok '"pc":0,"op":96,"gas":"0x2540be400","gasCost":"0x3".*"opName":"PUSH1".*\{"output":"2a","gasUsed":"0xda"\}\n$' \
    "$parevm" run --trace $init --create
# geth's trace of the same code, line for line
check trace-geth ok '^\{"pc":0,"op":96,"gas":"0x2540be400","gasCost":"0x3","memSize":0,"stack":\[\],"depth":1,"refund":0,"opName":"PUSH1"\}\n\{"pc":2,"op":0,"gas":"0x2540be3fd","gasCost":"0x0","memSize":0,"stack":\["0x40"\],"depth":1,"refund":0,"opName":"STOP"\}\n\{"output":"","gasUsed":"0x3"\}\n$' \
    "$parevm" run --json 6040
check trace-format ok '"opName":"STOP"' "$parevm" run --trace --trace.format=json 6040
check trace-format-md bad 'only json' "$parevm" run --trace --trace.format=md 6040
check trace-nostack ok '"stack":null' "$parevm" run --trace.nostack 0x6001
check trace-error ok '\{"output":"","gasUsed":"0x2540be400","error":"invalid opcode"\}' "$parevm" run --json fe
check bench ok 'runs: +[0-9]+\nMgas/s' "$parevm" run --bench --gas 100000 0x5b600056

# bad arguments: exit 2 with a message
check odd-hex bad 'CODE: not hex of whole bytes' "$parevm" run 0x6
check not-hex bad 'CODE: not hex' "$parevm" run 0xzz
check bad-input bad '--input: not hex' "$parevm" run --input 0x1 00
check gas-range bad '--gas 9223372036854775808' "$parevm" run --gas 9223372036854775808 00
check gas-text bad '--gas x' "$parevm" run --gas x 00
check value-text bad '--value -1' "$parevm" run --value -1 00
check sender-long bad '--sender: not an address' "$parevm" run --sender 0x$sender$sender 00
check unknown-fork bad 'unknown fork' "$parevm" run --fork Nope 00
check unknown-option bad 'unknown option --nope' "$parevm" run --nope 00
check two-codes bad 'more than one CODE' "$parevm" run 00 00
check code-and-file bad 'CODE and --codefile' "$parevm" run --codefile "$tmp/code.hex" 00
check no-codefile bad 'cannot open' "$parevm" run --codefile "$tmp/absent"
check dir-codefile bad 'cannot open' "$parevm" run --codefile "$tmp"
check bench-trace bad 'do not go together' "$parevm" run --bench --trace 00
printf '{"alloc": ' >"$tmp/truncated.json"
check prestate-json bad 'invalid JSON' "$parevm" run --prestate "$tmp/truncated.json" 00
printf '{"config": {"chainId": 1}, "alloc": {"0xzz": {"balance": "0"}}}' >"$tmp/badalloc.json"
check prestate-alloc bad 'prestate' "$parevm" run --prestate "$tmp/badalloc.json" 00
printf '{"config": {"chainId": 1}, "number": "x", "alloc": {}}' >"$tmp/badnumber.json"
check prestate-number bad 'number' "$parevm" run --prestate "$tmp/badnumber.json" 00

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
