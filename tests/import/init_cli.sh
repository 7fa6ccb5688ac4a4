#!/usr/bin/env bash
# parevm init and import from the command line: mainnet's genesis hash,
# geth's genesis rules, re-initialising, and bad input (malformed genesis
# files and chain files give an error, never a crash).
# Usage: init_cli.sh PAREVM SOURCE_DIR
set -u
parevm=$1
src=$2
. "$(dirname "$0")/cli_checks.sh"

# Mainnet: geth's genesis allocation (8893 accounts) gives block 0's hash.
gunzip -c "$src/tests/data/mainnet-genesis.json.gz" >"$tmp/mainnet.json"
out=$("$parevm" init --datadir "$tmp/mainnet" "$tmp/mainnet.json")
if grep -q "genesis hash 0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3" <<<"$out" &&
    grep -q "state root 0xd7f8974fb5ac78d9ac099b9ad5018bedc2ce0a72dad1827a1709da30580f0544" <<<"$out"; then
    ok
else
    bad "mainnet genesis: $out"
fi
# the same genesis again: fine; another one: refused
if "$parevm" init --datadir "$tmp/mainnet" "$tmp/mainnet.json" >/dev/null; then ok; else bad "re-init with the same genesis"; fi
sed 's/"nonce":"0x42"/"nonce":"0x43"/' "$tmp/mainnet.json" >"$tmp/other.json"
expect_fail "another chain" "$parevm" init --datadir "$tmp/mainnet" "$tmp/other.json"
# the same header with another allocation: refused too (geth compares the
# whole genesis hash)
sed 's/"balance":"2/"balance":"3/' "$tmp/mainnet.json" >"$tmp/other-alloc.json"
expect_fail "another allocation" "$parevm" init --datadir "$tmp/mainnet" "$tmp/other-alloc.json"
# the terminal total difficulty as geth writes it (a bare JSON number past
# 2^63), and one account named twice (case apart): refused, not merged
sed 's/"terminalTotalDifficulty":"\([0-9]*\)"/"terminalTotalDifficulty":\1/' "$tmp/mainnet.json" >"$tmp/bare-ttd.json"
out=$("$parevm" init --datadir "$tmp/bare-ttd" "$tmp/bare-ttd.json" 2>&1)
if grep -q "genesis hash 0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3" <<<"$out"; then ok
else bad "mainnet genesis with a bare terminalTotalDifficulty: $out"; fi
printf '{"config":{"chainId":1},"gasLimit":"0x1","difficulty":"0x1","alloc":{"0x00000000000000000000000000000000000000aa":{"balance":"0x1"},"00000000000000000000000000000000000000AA":{"balance":"0x2"}}}' >"$tmp/dup.json"
expect_fail "names 0x00000000000000000000000000000000000000aa more than once" "$parevm" init --datadir "$tmp/dup" "$tmp/dup.json"
# a base fee given before London goes into the header, as geth's ToBlock
# copies it (hash from geth's rules); a fork after Osaka is refused, not
# run by Osaka's rules
printf '{"config":{"chainId":1337,"homesteadBlock":0,"eip150Block":0,"eip155Block":0,"eip158Block":0,"byzantiumBlock":0,"constantinopleBlock":0,"petersburgBlock":0,"istanbulBlock":0,"ethash":{}},"gasLimit":"0x1c9c380","difficulty":"0x1","alloc":{"0x1000000000000000000000000000000000000001":{"balance":"0x1"}},"baseFeePerGas":"0x3b9aca00"}' >"$tmp/prelondon-fee.json"
out=$("$parevm" init --datadir "$tmp/prelondon-fee" "$tmp/prelondon-fee.json" 2>&1)
if grep -q "genesis hash 0x7bc72dab39be61d7884cb8dac71690724770acb5756aaffe2435b0d8c333a2bd" <<<"$out"; then ok
else bad "a base fee before London: $out"; fi
printf '{"config":{"chainId":1,"homesteadBlock":0,"eip150Block":0,"eip155Block":0,"eip158Block":0,"byzantiumBlock":0,"constantinopleBlock":0,"petersburgBlock":0,"istanbulBlock":0,"berlinBlock":0,"londonBlock":0,"terminalTotalDifficulty":0,"shanghaiTime":0,"cancunTime":0,"pragueTime":0,"osakaTime":0,"amsterdamTime":100},"gasLimit":"0x1c9c380","difficulty":"0x0","alloc":{}}' >"$tmp/amsterdam.json"
expect_fail "amsterdamTime is set, and parevm does not implement forks after Osaka" "$parevm" init --datadir "$tmp/amsterdam" "$tmp/amsterdam.json"
if [ ! -e "$tmp/amsterdam" ]; then ok; else bad "a refused genesis left a datadir"; fi

# Mainnet's block 1 on it: its Ethash seal checked (--verify-seals, the
# genesis names "ethash"), the 5 ether reward in the state root; with its
# nonce one off, the seal fails and the store stays at block 0.
cp -r "$tmp/mainnet" "$tmp/mainnet2"
out=$("$parevm" import --datadir "$tmp/mainnet" --verify-seals "$src/tests/data/mainnet-block1.rlp" 2>&1)
if grep -q "head 1 0x88e96d4537bea4d9c05d12549907b32561d3bf31f45aae734cdc119f13406cb6" <<<"$out"; then ok
else bad "mainnet block 1: $out"; fi
cp "$src/tests/data/mainnet-block1.rlp" "$tmp/bad-seal.rlp"
size=$(wc -c <"$tmp/bad-seal.rlp")
printf '\xc5' | dd of="$tmp/bad-seal.rlp" bs=1 seek=$((size - 3)) conv=notrunc 2>/dev/null # nonce ...c4 -> ...c5
out=$("$parevm" import --datadir "$tmp/mainnet2" --verify-seals "$tmp/bad-seal.rlp" 2>&1)
if grep -q "invalid block 1 .*invalid mix digest" <<<"$out" && grep -q "^head 0 " <<<"$out"; then ok
else bad "mainnet block 1 with another nonce: $out"; fi
# without --verify-seals (a test chain's fake seals) the seal is not looked at
out=$("$parevm" import --datadir "$tmp/mainnet2" "$tmp/bad-seal.rlp" 2>&1)
if grep -q "^head 1 " <<<"$out"; then ok; else bad "an unchecked seal: $out"; fi
# init again on that chain (head 1) with forks moved: a fork not reached
# yet may move (geth's init schedules forks so), one reached may not
sed 's/"homesteadBlock":1150000/"homesteadBlock":1150001/; s/"pragueTime":1746612311/"pragueTime":1746612312/' "$tmp/mainnet.json" >"$tmp/later-forks.json"
if "$parevm" init --datadir "$tmp/mainnet" "$tmp/later-forks.json" >/dev/null; then ok; else bad "init scheduling forks anew"; fi
if "$parevm" init --datadir "$tmp/mainnet" "$tmp/mainnet.json" >/dev/null; then ok; else bad "init scheduling forks back"; fi
sed 's/"homesteadBlock":1150000/"homesteadBlock":1/' "$tmp/mainnet.json" >"$tmp/homestead-at-1.json"
expect_fail "another chain" "$parevm" init --datadir "$tmp/mainnet" "$tmp/homestead-at-1.json"

# A Cancun genesis without the optional fields: geth's defaults.
cat >"$tmp/cancun.json" <<'JSON'
{"config": {"chainId": 7, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0, "eip158Block": 0,
 "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0, "istanbulBlock": 0, "berlinBlock": 0,
 "londonBlock": 0, "terminalTotalDifficulty": 0, "shanghaiTime": 0, "cancunTime": 0},
 "alloc": {"0x00000000000000000000000000000000000000aa": {"balance": "1000", "code": "0x6001600055",
           "storage": {"0x01": "0x02"}}},
 "gasLimit": "30000000", "timestamp": 0}
JSON
out=$("$parevm" init --datadir "$tmp/cancun" "$tmp/cancun.json")
if grep -q "^genesis hash 0x" <<<"$out"; then ok; else bad "cancun genesis: $out"; fi

# Malformed genesis files.
printf '{"config": {"chainId": 1}, "alloc": {"0xzz": {"balance": "1"}}}' >"$tmp/g1.json"
expect_fail "alloc key" "$parevm" init --datadir "$tmp/g1" "$tmp/g1.json"
printf '{"config": {"chainId": 1}, "alloc": {"0x00000000000000000000000000000000000000aa": {}}}' >"$tmp/g2.json"
expect_fail "balance is missing" "$parevm" init --datadir "$tmp/g2" "$tmp/g2.json"
printf '{"alloc": {}}' >"$tmp/g3.json"
expect_fail "config is missing" "$parevm" init --datadir "$tmp/g3" "$tmp/g3.json"
printf '{"config": {"chainId": 1}, "extraData": "0x%0514d"}' 0 >"$tmp/g4.json"
expect_fail "extraData" "$parevm" init --datadir "$tmp/g4" "$tmp/g4.json"
printf '{"config": {"chainId": 1}, "number": "0x5"}' >"$tmp/g5.json"
expect_fail "number must be 0" "$parevm" init --datadir "$tmp/g5" "$tmp/g5.json"
printf '{"config": ' >"$tmp/g6.json"
expect_fail "invalid JSON" "$parevm" init --datadir "$tmp/g6" "$tmp/g6.json"
expect_fail "usage" "$parevm" init "$tmp/g6.json"
# a failed init leaves no store behind: not in a folder it made, nor in an
# empty one that was there
for g in g1 g2 g3 g4 g5 g6; do
    if [ -e "$tmp/$g" ]; then bad "init of $g.json left $tmp/$g"; else ok; fi
done
echo "a file" >"$tmp/afile"
expect_fail "not a directory" "$parevm" init --datadir "$tmp/afile" "$tmp/cancun.json"
# missing parent folders are created, as geth's datadir; a file in the
# way is still refused
if "$parevm" init --datadir "$tmp/deep/er/dd" "$tmp/cancun.json" >/dev/null && [ -f "$tmp/deep/er/dd/data.mdb" ]; then ok
else bad "init into a datadir whose parents are missing"; fi
expect_fail "cannot create the store directory" "$parevm" init --datadir "$tmp/afile/dd" "$tmp/cancun.json"
if [ "$(cat "$tmp/afile")" = "a file" ]; then ok; else bad "init changed a file given as the datadir"; fi
mkdir "$tmp/g7"
expect_fail "alloc key" "$parevm" init --datadir "$tmp/g7" "$tmp/g1.json"
if [ -d "$tmp/g7" ] && [ -z "$(ls -A "$tmp/g7")" ]; then ok; else bad "init left files in $tmp/g7"; fi

# Bad chain files: garbage, a truncated block, a block that does not decode.
printf 'hello' >"$tmp/garbage.rlp"
expect_fail "not an RLP list" "$parevm" import --datadir "$tmp/cancun" "$tmp/garbage.rlp"
printf '\xf9\x01\x00\xc0' >"$tmp/short.rlp"
expect_fail "truncated block" "$parevm" import --datadir "$tmp/cancun" "$tmp/short.rlp"
# a block header claiming 2 GiB that the file does not hold: read in parts, refused
printf '\xfb\x7f\xff\xff\xff\x01\x02' >"$tmp/huge.rlp"
expect_fail "truncated block" "$parevm" import --datadir "$tmp/cancun" "$tmp/huge.rlp"
printf '\xc3\x01\x02\x03' >"$tmp/nonblock.rlp"
expect_fail "invalid block 1 .*does not decode" "$parevm" import --datadir "$tmp/cancun" "$tmp/nonblock.rlp"
expect_fail "cannot open" "$parevm" import --datadir "$tmp/cancun" "$tmp/missing.rlp"
# a datadir without a store (a typo) is an error, and none is created there
expect_fail "empty: no store here" "$parevm" import --datadir "$tmp/empty" "$tmp/garbage.rlp"
expect_fail "empty: no store here" "$parevm" db --datadir "$tmp/empty" head
expect_fail "empty: no store here" "$parevm" node --datadir "$tmp/empty" --http.port 0
if [ -e "$tmp/empty" ]; then bad "a command created $tmp/empty"; else ok; fi
# --root-first takes on or off
expect_fail "usage: parevm import" "$parevm" import --datadir "$tmp/cancun" --root-first maybe "$tmp/garbage.rlp"
expect_fail "usage" "$parevm" import --datadir "$tmp/cancun" "$tmp/garbage.rlp" --root-first
# A block that does not follow (a gap, here block 5 left out) after blocks
# not yet written (--root-every 4): the blocks before it are kept, their
# root checked, and the summary's head is the store's
"$parevm" bench import --accounts 300 --slots 300 --blocks 8 --kind transfers --gas 2000000 --out "$tmp/small" >/dev/null
"$parevm" init --datadir "$tmp/full" "$tmp/small/genesis.json" >/dev/null &&
    "$parevm" import --datadir "$tmp/full" "$tmp/small/chain.rlp" >/dev/null
"$parevm" export --datadir "$tmp/full" "$tmp/gap.rlp" 1 4 >/dev/null
"$parevm" export --datadir "$tmp/full" "$tmp/gap.rlp" 6 8 >/dev/null
"$parevm" init --datadir "$tmp/gapped" "$tmp/small/genesis.json" >/dev/null
expect_fail "head 4 " "$parevm" import --datadir "$tmp/gapped" --root-every 3 "$tmp/gap.rlp"
out=$("$parevm" db --datadir "$tmp/gapped" head)
if grep -q "number 4" <<<"$out"; then ok; else bad "the blocks before a gap were not kept: $out"; fi

# after all of that the store is still at block 0
out=$("$parevm" import --datadir "$tmp/cancun" --json /dev/null)
if grep -q '"head": 0' <<<"$out"; then ok; else bad "head after bad input: $out"; fi

finish
