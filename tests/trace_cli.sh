#!/usr/bin/env bash
# parevm trace and statetest --tracer: a known call traced (the revert reason
# of a call that reverts with Error("nope"), gas written down by hand in
# tests/test_trace.c), and bad requests give an error, never a crash; and
# statetest's batch mode, driven as a process that waits for each result.
# Usage: trace_cli.sh PAREVM SOURCE_DIR
set -u
parevm=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# check NAME WANT-STATUS PATTERN -- command...
check() {
    local name=$1 want=$2 pattern=$3
    shift 3
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ $rc -ge 128 ] || { [ "$want" = ok ] && [ $rc -ne 0 ]; } || { [ "$want" = fail ] && [ $rc -eq 0 ]; } ||
        ! grep -qE "$pattern" <<<"$out"; then
        echo "FAIL $name (exit $rc), wanted /$pattern/, got:"
        echo "$out" | head -5
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
}

check call ok '"gasUsed":"0x6522".*"gasUsed":"0x42".*"revertReason":"nope"' "$parevm" trace "$src/tests/trace/call_revert.json"
check statetest-tracer ok '"case":.*"result":\{"from"' "$parevm" statetest --tracer callTracer "$src/tests/statetests/delegation_chain_one_hop.json"
check statetest-check ok '[1-9][0-9]* passed, 0 failed' "$parevm" statetest --check-trace "$src/tests/statetests"
# statetest --trace ends each case with geth's {"stateRoot": "0x.."} line: the root --json reports
one_hop=$src/tests/statetests/delegation_chain_one_hop.json
root=$("$parevm" statetest --json "$one_hop" | grep -o '"stateRoot": "0x[0-9a-f]*"' | head -1 | cut -d'"' -f4)
check statetest-trace-root ok "\\{\"stateRoot\": \"${root:-none}\"\\}" "$parevm" statetest --trace "$one_hop"
# geth's --trace.* options: memory as hex, no stack (null)
check statetest-trace-options ok '"memory":"0x[0-9a-f]+","memSize":[1-9][0-9]*,"stack":null' \
    "$parevm" statetest --trace.memory --trace.nostack=true "$src/tests/statetests/delegation_to_precompiles.json"
check statetest-trace-option-value fail 'usage' "$parevm" statetest --trace.nostack=maybe "$one_hop"
# geth's evm flags as goevmlab passes them: the same trace, memory and return data off
check statetest-trace-geth-flags ok '"opName":"STOP"' "$parevm" statetest --trace --trace.format=json \
    --trace.nomemory=true --trace.noreturndata=true "$one_hop"
check statetest-trace-geth-nomemory ok '"memory":"0x' "$parevm" statetest --trace --trace.nomemory=false \
    "$src/tests/statetests/delegation_to_precompiles.json"
check statetest-trace-geth-format fail 'usage' "$parevm" statetest --trace --trace.format md "$one_hop"

# BLOCKHASH: the parent's from block.parentHash, older ones from blockHashes
h1=0x$(printf '11%.0s' {1..32}) h2=0x$(printf '22%.0s' {1..32})
printf '{"fork": "Cancun", "pre": {"0x00000000000000000000000000000000000000c0": {"balance": "0", "code": "0x600143034060024303400000"}},
 "block": {"number": "0xa", "parentHash": "%s"}, "blockHashes": {"8": "%s"},
 "call": {"to": "0x00000000000000000000000000000000000000c0"}}' "$h1" "$h2" >"$tmp/blockhash.json"
check blockhash ok "\"$h1\".*\"$h2\"" "$parevm" trace "$tmp/blockhash.json"
for bad in '"blockHashes": []' '"blockHashes": {"x": "'"$h1"'"}' '"blockHashes": {"8": "0x12"}' '"blockHashes": {"8": 5}'; do
    printf '{"fork": "Cancun", "pre": {}, %s, "call": {}}' "$bad" >"$tmp/badhashes.json"
    check "badhashes $bad" fail 'blockHashes' "$parevm" trace "$tmp/badhashes.json"
done

printf '{"fork": ' >"$tmp/truncated.json"
printf '{"fork": "Nope", "pre": {}, "call": {}}' >"$tmp/badfork.json"
printf '{"fork": "Cancun", "pre": {"0xzz": {}}, "call": {}}' >"$tmp/badpre.json"
printf '{"fork": "Cancun", "pre": {}, "transactions": ["0xf8"]}' >"$tmp/badtx.json"
printf '{"fork": "Cancun", "pre": {}, "call": {"to": 5}}' >"$tmp/badcall.json"
printf '{"fork": "Cancun", "pre": {}, "call": {}, "config": {"tracer": "jsTracer"}}' >"$tmp/badtracer.json"
printf '{"fork": "Cancun", "pre": {}, "transactions": [], "txIndex": 3}' >"$tmp/badindex.json"
printf '{"fork": "Cancun", "pre": {}}' >"$tmp/nothing.json"
check truncated fail '"error"' "$parevm" trace "$tmp/truncated.json"
check badfork fail 'fork' "$parevm" trace "$tmp/badfork.json"
check badpre fail 'not an address' "$parevm" trace "$tmp/badpre.json"
check badtx fail 'transactions\[0\]' "$parevm" trace "$tmp/badtx.json"
check badcall fail '"error"' "$parevm" trace "$tmp/badcall.json"
check badtracer fail 'tracer not found' "$parevm" trace "$tmp/badtracer.json"
check badindex fail 'out of range' "$parevm" trace "$tmp/badindex.json"
check nothing fail 'neither' "$parevm" trace "$tmp/nothing.json"
check usage fail 'usage' "$parevm" trace
check badconfig fail 'tracer-config' "$parevm" statetest --tracer-config '{' "$src/tests/statetests"

# batch mode (geth's evm statetest without a path): paths on stdin, each
# one's results and summary line flushed before the next is read, as a
# driving process waits for them; a bad path counts, the end of stdin ends it
batch() {
    local want=$1 line got=""
    printf '%s\n' "$2" >&"${ST[1]}"
    while read -r -t 30 line <&"${ST[0]}"; do
        got+="$line;"
        [[ $line =~ ^[0-9]+\ passed ]] && break
    done
    if grep -qE "$want" <<<"$got"; then passed=$((passed + 1)); else
        echo "FAIL statetest batch $2: wanted /$want/, got: $got"
        failed=$((failed + 1))
    fi
}
coproc ST { "$parevm" statetest --json 2>&1; }
st_pid=$ST_PID
batch '^\{"name": "delegation_chain_one_hop", "fork": "Prague", "pass": true.*;2 passed, 0 failed;$' "$one_hop"
batch 'cannot access;0 passed, 0 failed;$' "$tmp/absent.json"
batch '"pass": true.*[1-9][0-9]* passed, 0 failed;$' "$src/tests/statetests"
exec {st_in}>&"${ST[1]}"- # the end of stdin ends the run: exit 1 for the bad path
exec {st_in}>&-
wait "$st_pid"
check statetest-batch-exit ok '^1$' echo $?
# traced, the EIP-3155 lines (stderr, buffered) of each path come out before
# its summary, and so does the error of a bad path
coproc ST { "$parevm" statetest --trace 2>&1; }
st_pid=$ST_PID
batch '^\{"pc":0,.*\{"stateRoot": "0x[0-9a-f]{64}"\};.*;2 passed, 0 failed;$' "$one_hop"
batch 'cannot access;0 passed, 0 failed;$' "$tmp/absent.json"
exec {st_in}>&"${ST[1]}"-
exec {st_in}>&-
wait "$st_pid"
check statetest-trace-batch-exit ok '^1$' echo $?

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
