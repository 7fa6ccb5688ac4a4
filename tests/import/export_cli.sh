#!/usr/bin/env bash
# parevm export and gzip chain files: a store's canonical blocks come back
# byte for byte as the chain file they were imported from (plain, gzip, a
# range appended as a second gzip member), another store imports the export
# to the same head and root, and a gzip file cut short imports the blocks
# before the cut, then reports the damage.
# Usage: export_cli.sh PAREVM
set -u
parevm=$1
. "$(dirname "$0")/cli_checks.sh"
head_of() { "$parevm" db --datadir "$1" head | awk '$1 == "hash" || $1 == "state_root" { print $2 }'; }

"$parevm" bench import --accounts 500 --slots 3000 --blocks 30 --gas 1500000 --kind mixed --seed 11 \
    --out "$tmp/chain" >/dev/null || { echo "FAIL: building the chain"; exit 1; }
chain=$tmp/chain/chain.rlp
"$parevm" init --datadir "$tmp/a" "$tmp/chain/genesis.json" >/dev/null || exit 1
"$parevm" import --datadir "$tmp/a" --no-sync "$chain" >/dev/null || { echo "FAIL: import"; exit 1; }
want=$(head_of "$tmp/a")

# blocks 1..head are the imported file, byte for byte
check "export 1.." "$parevm" export --datadir "$tmp/a" "$tmp/part.rlp" 1
if cmp -s "$tmp/part.rlp" "$chain"; then ok; else bad "export 1.. differs from the imported file"; fi
# the whole chain, gzip: block 0 (the genesis, which import skips as known) first
check "export all .gz" "$parevm" export --datadir "$tmp/a" "$tmp/all.rlp.gz"
if gzip -t "$tmp/all.rlp.gz" 2>/dev/null; then ok; else bad "all.rlp.gz is not valid gzip"; fi
check "export 0..0" "$parevm" export --datadir "$tmp/a" "$tmp/all.want" 0 0
cat "$chain" >>"$tmp/all.want"
if zcat "$tmp/all.rlp.gz" | cmp -s - "$tmp/all.want"; then ok; else bad "all.rlp.gz is not block 0 + the chain"; fi
# exporting the whole chain again replaces the file
check "export all again" "$parevm" export --datadir "$tmp/a" "$tmp/all.rlp.gz"
if zcat "$tmp/all.rlp.gz" | cmp -s - "$tmp/all.want"; then ok; else bad "a second whole export appended"; fi
# a range is appended: two gzip members read as one file
check "export 1..10" "$parevm" export --datadir "$tmp/a" "$tmp/two.rlp.gz" 1 10
check "export 11.." "$parevm" export --datadir "$tmp/a" "$tmp/two.rlp.gz" 11
if zcat "$tmp/two.rlp.gz" | cmp -s - "$chain"; then ok; else bad "two appended ranges differ from the chain"; fi

# import reads gzip files as well as plain ones: same head and root
for f in all.rlp.gz two.rlp.gz; do
    "$parevm" init --datadir "$tmp/$f.d" "$tmp/chain/genesis.json" >/dev/null
    check "import $f" "$parevm" import --datadir "$tmp/$f.d" --no-sync "$tmp/$f"
    got=$(head_of "$tmp/$f.d")
    if [ "$got" = "$want" ]; then ok; else bad "import of $f: head/root $got, wanted $want"; fi
done

# a gzip file cut short: the blocks before the cut are imported, the error
# says so, and the whole file then completes the chain
size=$(stat -c %s "$tmp/two.rlp.gz")
head -c $((size / 2)) "$tmp/two.rlp.gz" >"$tmp/cut.rlp.gz"
"$parevm" init --datadir "$tmp/c" "$tmp/chain/genesis.json" >/dev/null
expect_fail "corrupt or truncated gzip" "$parevm" import --datadir "$tmp/c" --no-sync "$tmp/cut.rlp.gz"
n=$("$parevm" db --datadir "$tmp/c" head | awk '$1 == "number" { print $2 }')
if [ "${n:-0}" -gt 0 ] && [ "$n" -lt 30 ]; then ok; else bad "after the cut file the head is ${n:-none}"; fi
check "import after the cut" "$parevm" import --datadir "$tmp/c" --no-sync "$tmp/two.rlp.gz"
if [ "$(head_of "$tmp/c")" = "$want" ]; then ok; else bad "head after the cut file and the whole one"; fi
printf '\x1f\x8b\x08\x00garbage, not deflate' >"$tmp/bad.gz"
expect_fail "corrupt or truncated gzip" "$parevm" import --datadir "$tmp/c" "$tmp/bad.gz"

# bad requests
expect_fail "LAST is above the head" "$parevm" export --datadir "$tmp/a" "$tmp/x.rlp" 5 99
expect_fail "FIRST is above the head" "$parevm" export --datadir "$tmp/a" "$tmp/x.rlp" 31
expect_fail "usage" "$parevm" export --datadir "$tmp/a" "$tmp/x.rlp" 7 3
expect_fail "usage" "$parevm" export --datadir "$tmp/a" "$tmp/x.rlp" -1
expect_fail "usage" "$parevm" export --datadir "$tmp/a"
expect_fail "cannot open the file" "$parevm" export --datadir "$tmp/a" "$tmp/no/such/dir.rlp"
# a full disk: a write error, and the device is left alone
if [ -c /dev/full ]; then
    expect_fail "write error" "$parevm" export --datadir "$tmp/a" /dev/full
    if [ -c /dev/full ]; then ok; else bad "export removed /dev/full"; fi
else
    echo "no /dev/full here: the write error case is not run"
fi
expect_fail "no store here" "$parevm" export --datadir "$tmp/none" "$tmp/x.rlp"
if [ -e "$tmp/none" ] || [ -e "$tmp/x.rlp" ]; then bad "a failed export created files"; else ok; fi

finish
