#!/usr/bin/env bash
# The state root computed while each block executes (db_preroot, rounds on
# the transactions final so far): a built chain (its roots come from the
# builder's full rebuilds) imported with the importer committing each block
# before the next one (every block then runs on the store's head, as
# newPayload does), sequentially and on Block-STM, must verify every root,
# run intermediate rounds, and end at the same head as an import without
# the rounds; `db root --full` agrees with the incremental root after it.
# Then with the pipeline, where a block whose parent is still being written
# has its rounds chained on the parent's unwritten state, and with senders
# recovered ahead of the importer (import --senders-ahead).
# Usage: preroot.sh PAREVM
set -u
parevm=$1
. "$(dirname "$0")/cli_checks.sh"
field() { sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$2" | head -n 1; }

for kind in mixed erc20; do
    "$parevm" bench import --accounts 3000 --slots 30000 --blocks 6 --kind $kind --gas 15000000 \
        --out "$tmp/$kind" >/dev/null 2>&1 || bad "$kind: building the chain"
    "$parevm" init --datadir "$tmp/$kind/ref" "$tmp/$kind/genesis.json" >/dev/null || bad "$kind: init"
    "$parevm" import --datadir "$tmp/$kind/ref" --preroot off --json "$tmp/$kind/chain.rlp" >"$tmp/ref.json" ||
        bad "$kind: import without rounds"
    want=$(field head_hash "$tmp/ref.json")
    intermediate=0
    for mode in "--no-pipeline --preroot on" "--no-pipeline --sequential --preroot on" "--no-pipeline --threads 1 --preroot on"; do
        dir="$tmp/$kind/d$RANDOM"
        "$parevm" init --datadir "$dir" "$tmp/$kind/genesis.json" >/dev/null || bad "$kind $mode: init"
        # shellcheck disable=SC2086
        if ! "$parevm" import --datadir "$dir" $mode --json "$tmp/$kind/chain.rlp" >"$tmp/out.json"; then
            bad "$kind $mode: import failed: $(head -c 300 "$tmp/out.json")"
            continue
        fi
        blocks=$(field preroot_blocks "$tmp/out.json")
        rounds=$(field preroot_rounds "$tmp/out.json")
        guessed=$(field preroot_as_guessed "$tmp/out.json")
        got=$(field head_hash "$tmp/out.json")
        if [ "$got" = "$want" ] && [ -n "$want" ]; then ok; else bad "$kind $mode: head $got, want $want"; fi
        if [ "$blocks" = 6 ]; then ok; else bad "$kind $mode: $blocks blocks had their root computed while executing, want 6"; fi
        # every block's final round counts, unless the last update's guess was
        # the block; the rounds before it are counted over the three modes
        # below (on a loaded machine one run may see its rounds start late)
        if [ -n "$guessed" ] && [ -n "$rounds" ]; then ok; intermediate=$((intermediate + rounds + guessed - 6))
        else bad "$kind $mode: no round counts ($rounds rounds, $guessed finals skipped)"; fi
        # the time after execution: waiting for the round running then, and the final round
        tail=$(field root_after_execution "$tmp/out.json")
        wait=$(field root_after_execution_waiting "$tmp/out.json")
        if awk -v t="${tail:-x}" -v w="${wait:-x}" 'BEGIN { exit !(t > 0 && w >= 0 && w <= t) }'; then ok
        else bad "$kind $mode: root after execution $tail s, of it waiting $wait s"; fi
        full=$("$parevm" db --datadir "$dir" root --full 2>&1)
        if grep -qi "match" <<<"$full" && ! grep -qi "mismatch" <<<"$full"; then ok; else bad "$kind $mode: db root --full: $full"; fi
    done
    if [ "$intermediate" -gt 0 ]; then ok; else bad "$kind: no intermediate round ran in any of the three imports"; fi
    # with the pipeline, a block whose parent is still being written has its
    # rounds chained on the parent's unwritten state (how many of them is a
    # matter of timing; every block has rounds either way)
    dir="$tmp/$kind/pipe"
    "$parevm" init --datadir "$dir" "$tmp/$kind/genesis.json" >/dev/null || bad "$kind pipeline: init"
    if "$parevm" import --datadir "$dir" --preroot on --json "$tmp/$kind/chain.rlp" >"$tmp/out.json"; then
        got=$(field head_hash "$tmp/out.json")
        blocks=$(field preroot_blocks "$tmp/out.json")
        if [ "$got" = "$want" ] && [ -n "$want" ]; then ok; else bad "$kind pipeline: head $got, want $want"; fi
        if [ "$blocks" = 6 ]; then ok; else bad "$kind pipeline: $blocks blocks had their root computed while executing, want 6"; fi
        full=$("$parevm" db --datadir "$dir" root --full 2>&1)
        if grep -qi "match" <<<"$full" && ! grep -qi "mismatch" <<<"$full"; then ok; else bad "$kind pipeline: db root --full: $full"; fi
    else
        bad "$kind pipeline: import failed: $(head -c 300 "$tmp/out.json")"
    fi
    # senders recovered by threads of their own on the blocks read ahead
    # (how many before the importer reaches them is a matter of timing)
    for mode in "--senders-ahead 2" "--senders-ahead 1 --sequential --no-pipeline"; do
        dir="$tmp/$kind/a$RANDOM"
        "$parevm" init --datadir "$dir" "$tmp/$kind/genesis.json" >/dev/null || bad "$kind $mode: init"
        # shellcheck disable=SC2086
        if "$parevm" import --datadir "$dir" $mode --json "$tmp/$kind/chain.rlp" >"$tmp/out.json"; then
            got=$(field head_hash "$tmp/out.json")
            known=$(field senders_ahead "$tmp/out.json")
            txs=$(field txs "$tmp/out.json")
            if [ "$got" = "$want" ] && [ -n "$want" ]; then ok; else bad "$kind $mode: head $got, want $want"; fi
            if [ -n "$known" ] && [ "$known" -le "${txs:-0}" ]; then ok; else bad "$kind $mode: senders_ahead $known of $txs"; fi
        else
            bad "$kind $mode: import failed: $(head -c 300 "$tmp/out.json")"
        fi
    done
    # a file cut inside its last block: the blocks read ahead before the cut
    # are imported, then the cut is reported
    sz=$(stat -c %s "$tmp/$kind/chain.rlp")
    head -c $((sz - 100)) "$tmp/$kind/chain.rlp" >"$tmp/cut.rlp"
    dir="$tmp/$kind/cut"
    "$parevm" init --datadir "$dir" "$tmp/$kind/genesis.json" >/dev/null || bad "$kind cut: init"
    if "$parevm" import --datadir "$dir" --senders-ahead 2 "$tmp/cut.rlp" >"$tmp/out.txt" 2>&1; then
        bad "$kind cut: a truncated file was accepted"
    elif grep -q "truncated block" "$tmp/out.txt" && "$parevm" db --datadir "$dir" head | grep -q "^number 5$"; then
        ok
    else
        bad "$kind cut: $(head -c 300 "$tmp/out.txt"); head $("$parevm" db --datadir "$dir" head | head -1)"
    fi
done
finish
