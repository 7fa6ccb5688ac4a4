#!/usr/bin/env bash
# parevm node from the command line, what only its process shows: the
# store's writer lock (a second import, unwind or node on a datadir a node
# serves is refused, as geth's datadir lock; readers go on), and the Engine
# API port's request limit (geth's engineAPIBodyLimit: 128 MiB, a payload
# of a full block of calldata is over the open port's 5 MiB).
# Usage: node_cli.sh PAREVM
set -u
parevm=$1
. "$(dirname "$0")/cli_checks.sh"

printf '%064x\n' 7 >"$tmp/jwt"
"$parevm" node --dev --datadir "$tmp/d" --http.port 0 --authrpc.port 0 --authrpc.jwtsecret "$tmp/jwt" \
    >"$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 100); do
    grep -q "engine api listening" "$tmp/out" && grep -q "^Listening on" "$tmp/out" && break
    sleep 0.1
done
auth=$(sed -n 's/^engine api listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/out")
if [ -n "$auth" ]; then ok; else bad "node did not start: $(head -3 "$tmp/out")"; fi

# the writer lock: another writer is refused, a reader is served
: >"$tmp/empty.rlp"
expect_fail "in use by another" timeout 20 "$parevm" import --datadir "$tmp/d" "$tmp/empty.rlp"
expect_fail "in use by another" timeout 20 "$parevm" db --datadir "$tmp/d" unwind 0
expect_fail "in use by another" timeout 20 "$parevm" node --datadir "$tmp/d" --http.port 0 --authrpc.port 0
check "db head beside the node" "$parevm" db --datadir "$tmp/d" head

# a 6 MiB request on the Engine API port is read (a JSON-RPC answer), not 413
code=$(python3 - "$auth" "$tmp/jwt" <<'PY'
import base64, hashlib, hmac, http.client, json, sys, time
port, secret = int(sys.argv[1]), bytes.fromhex(open(sys.argv[2]).read().strip())
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b'=')
msg = b64(b'{"alg":"HS256","typ":"JWT"}') + b'.' + b64(json.dumps({"iat": int(time.time())}).encode())
token = msg + b'.' + b64(hmac.new(secret, msg, hashlib.sha256).digest())
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "engine_nothing", "params": ["0x" + "00" * (3 << 20)]})
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
c.request("POST", "/", body, {"Content-Type": "application/json", "Authorization": "Bearer " + token.decode()})
r = c.getresponse()
print(r.status, json.loads(r.read()).get("error", {}).get("code"))
PY
)
if [ "$code" = "200 -32601" ]; then ok; else bad "6 MiB engine request: $code"; fi

kill "$pid"
wait "$pid"
# once the node is gone, the store is free again
check "unwind after the node" "$parevm" db --datadir "$tmp/d" unwind 0
finish
