// BlockchainTests through the Engine API: every test of a network from the
// Merge on is rewritten as a blockchain_test_engine fixture (each block's
// RLP as an engine_newPayloadV<N> entry with the version and forkchoice
// version of the block's fork, an invalid block's expectException as its
// validationError) and run by `parevm enginetest`, which must give what
// `blocktest` gives on the same chains: every valid block VALID and made
// the head, every invalid one refused, the head at lastblockhash with the
// post state. It puts the node's payload path (payload to block, blockHash,
// versioned hashes, beacon root, the version per fork) under the many
// hand-made chains of ethereum/tests and execution-spec-tests.
//
// Not converted, and counted as such (never silently):
//   - tests of a network before the Merge (no Engine API);
//   - tests with a valid block whose requestsHash is not the empty list's
//     and whose requests `parevm blocktest --requests` did not give: the
//     fixtures hold the hash, not the execution requests newPayloadV4 needs.
//     blocktest gives them for every block it accepts, and they hash to the
//     header's requestsHash (it checks that), so the node gets the block's
//     real requests and must derive the fixture's block hash from them;
//   - invalid blocks a payload cannot carry: RLP that does not decode into
//     a header, transactions and withdrawals, a header with fields a
//     payload has no room for (ommers, difficulty, nonce, a field the fork
//     does not have), withdrawal fields over 64 bits, or a parent that is
//     not the genesis or an earlier block of the test (the node must answer
//     SYNCING there). They are dropped from the chain (they must not become
//     the head anyway).
//
// Every 16th test from Cancun on starts with its first payload sent as
// newPayloadV2, which must fail with errorCode -38005 (written as a number
// or as its text, as fixtures write it).
//
// A block on another branch than the head may be answered ACCEPTED;
// enginetest then makes it the head by a forkchoice update, which must
// answer VALID (or INVALID for an invalid block).
//
//   node blocktests_engine.mjs PAREVM --ejs DIR [--out DIR] [--threads N] [--preroot auto|on|off] PATH...
//
// --ejs: the folder whose node_modules hold EthereumJS (RLP, keccak): the npm
// tools' (.npm-tools). Ends with "N passed, N failed"; exit status 0 when
// enginetest passes every converted test.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { createRequire } from "node:module";

const argv = process.argv.slice(2);
const parevm = argv[0];
const opts = new Set(["--ejs", "--out", "--threads", "--preroot"]);
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d; };
const paths = argv.slice(1).filter((a, i, all) => !a.startsWith("--") && !opts.has(all[i - 1]));
const ejsDir = opt("--ejs", null);
if (!parevm || !ejsDir || !paths.length) {
  console.error("usage: node blocktests_engine.mjs PAREVM --ejs DIR [--out DIR] [--threads N] PATH...");
  process.exit(2);
}
// the folder for the cases: --out, else a temporary one (removed when every case passed)
const outDir = opt("--out", null) ?? fs.mkdtempSync(path.join(os.tmpdir(), "blocktests-engine-"));
fs.mkdirSync(outDir, { recursive: true });
const req = createRequire(path.join(path.resolve(ejsDir), "package.json"));
const { RLP } = await import(req.resolve("@ethereumjs/rlp"));
const { keccak_256: keccak256 } = await import(createRequire(req.resolve("@ethereumjs/util")).resolve("@noble/hashes/sha3.js"));

// The Engine API's forks: newPayload and forkchoiceUpdated versions, header fields.
const ENGINE = { Paris: [1, 1, 16], Merge: [1, 1, 16], Shanghai: [2, 2, 17], Cancun: [3, 3, 20], Prague: [4, 3, 21],
                 Osaka: [4, 3, 21], BPO1: [4, 3, 21], BPO2: [4, 3, 21], BPO3: [4, 3, 21], BPO4: [4, 3, 21], BPO5: [4, 3, 21] };
// the fork of a block: a network's single fork, or its two around a switch at time 15k
function forkAt(network, timestamp) {
  const m = /^(\w+?)To(\w+)AtTime15k$/.exec(network);
  if (!m) return ENGINE[network] ? network : null;
  if (!ENGINE[m[1]] || !ENGINE[m[2]]) return null;
  return timestamp >= 15000n ? m[2] : m[1];
}

const hex = (b) => "0x" + Buffer.from(b).toString("hex");
const big = (b) => (b.length ? BigInt(hex(b)) : 0n);
const q = (b) => "0x" + big(b).toString(16);
const EMPTY_OMMERS = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";
const EMPTY_REQUESTS = "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// A block's RLP as a newPayload entry, or why a payload cannot carry it;
// requests: block hash -> its execution requests (blocktest's).
function payloadOf(rlpHex, network, requests) {
  let h, txs, ommers, withdrawals;
  try {
    const d = RLP.decode(Buffer.from(rlpHex.replace(/^0x/, ""), "hex"));
    if (!Array.isArray(d) || !Array.isArray(d[0]) || !Array.isArray(d[1])) return { why: "not a block" };
    [h, txs, ommers, withdrawals] = d;
  } catch { return { why: "RLP" }; }
  if (h.length < 16 || h.some((f) => Array.isArray(f))) return { why: "header" };
  const fork = forkAt(network, big(h[11]));
  if (!fork) return { why: "fork" };
  const [version, fcu, fields] = ENGINE[fork];
  if (h.length !== fields || hex(h[1]) !== EMPTY_OMMERS || big(h[7]) !== 0n || hex(h[14]) !== "0x0000000000000000" ||
      (ommers && ommers.length) || (version >= 2) !== Array.isArray(withdrawals))
    return { why: "header fields a payload has no room for" };
  const blockHash = hex(keccak256(RLP.encode(h)));
  const executionRequests = version < 4 || hex(h[20]) === EMPTY_REQUESTS ? [] : requests.get(blockHash);
  if (!executionRequests) return { why: "requests", requests: true };
  const p = { parentHash: hex(h[0]), feeRecipient: hex(h[2]), stateRoot: hex(h[3]), receiptsRoot: hex(h[5]), logsBloom: hex(h[6]),
              prevRandao: hex(h[13]), blockNumber: q(h[8]), gasLimit: q(h[9]), gasUsed: q(h[10]), timestamp: q(h[11]),
              extraData: hex(h[12]), baseFeePerGas: q(h[15]), blockHash,
              transactions: txs.map((t) => hex(Array.isArray(t) ? RLP.encode(t) : t)) };
  if (version >= 2) {
    // WithdrawalV1's fields are 64-bit quantities and an address
    if (withdrawals.some((w) => !Array.isArray(w) || w.length !== 4 || w.some((f) => Array.isArray(f)) ||
                              w[0].length > 8 || w[1].length > 8 || w[2].length !== 20 || w[3].length > 8))
      return { why: "withdrawals" };
    p.withdrawals = withdrawals.map(([index, validatorIndex, address, amount]) =>
      ({ index: q(index), validatorIndex: q(validatorIndex), address: hex(address), amount: q(amount) }));
  }
  const params = [p];
  if (version >= 3) {
    p.blobGasUsed = q(h[17]);
    p.excessBlobGas = q(h[18]);
    let hashes;
    try {
      hashes = txs.filter((t) => !Array.isArray(t) && t[0] === 3).flatMap((t) => RLP.decode(t.subarray(1))[10].map(hex));
    } catch { return { why: "blob transaction" }; }
    params.push(hashes, hex(h[19]));
  }
  if (version >= 4) params.push(executionRequests);
  return { entry: { params, newPayloadVersion: String(version), forkchoiceUpdatedVersion: String(fcu) } };
}

function files(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return [p];
  return fs.readdirSync(p).sort().flatMap((f) => (f.startsWith(".") ? [] : f.endsWith(".json") || fs.statSync(path.join(p, f)).isDirectory() ? files(path.join(p, f)) : []));
}

// Whether a block of doc has a requestsHash that is not the empty list's.
function hasRequests(doc) {
  for (const t of Object.values(doc))
    for (const b of (t && Array.isArray(t.blocks) ? t.blocks : [])) {
      try {
        const h = RLP.decode(Buffer.from((b.rlp || "").replace(/^0x/, ""), "hex"))[0];
        if (Array.isArray(h) && h.length >= 21 && !Array.isArray(h[20]) && hex(h[20]) !== EMPTY_REQUESTS) return true;
      } catch { /* payloadOf names it */ }
    }
  return false;
}

// The requests of the blocks of file that blocktest accepts (a failing
// test still gives those of its blocks before the failure).
function requestsOf(file) {
  const out = path.join(outDir, "requests.jsonl");
  try { execFileSync(parevm, ["blocktest", "--requests", out, file], { stdio: "ignore" }); } catch { /* see above */ }
  const m = new Map();
  for (const line of fs.existsSync(out) ? fs.readFileSync(out, "utf8").split("\n") : [])
    if (line) { const r = JSON.parse(line); m.set(r.hash, r.requests); }
  fs.rmSync(out, { force: true });
  count["blocks given their requests"] += m.size;
  return m;
}

const count = { converted: 0, "wrong-version payloads": 0, "before the Merge": 0, "with execution requests": 0, unreadable: 0, "invalid blocks dropped": 0,
                "blocks given their requests": 0 };
let n = 0;
for (const file of paths.flatMap(files)) {
  let doc;
  try { doc = JSON.parse(fs.readFileSync(file)); } catch { count.unreadable++; continue; }
  const requests = hasRequests(doc) ? requestsOf(file) : new Map();
  const out = {};
  for (const [name, t] of Object.entries(doc)) {
    if (!t || !Array.isArray(t.blocks) || !t.genesisBlockHeader) { count.unreadable++; continue; }
    if (!forkAt(t.network, 0n) && !forkAt(t.network, 15000n)) { count["before the Merge"]++; continue; }
    const payloads = [];
    const known = new Set([t.genesisBlockHeader.hash]); // the node answers SYNCING for a block of an unknown parent
    let skip = null, dropped = 0;
    for (const b of t.blocks) {
      const r = payloadOf(b.rlp || "", t.network, requests);
      if (r.entry && !known.has(r.entry.params[0].parentHash)) r.entry = null;
      if (!r.entry && !b.expectException) { // a valid block must be carried, or the test is not converted
        skip = r.requests ? "with execution requests" : "with a valid block no payload carries";
        break;
      }
      if (!r.entry) { dropped++; continue; }
      // every 16th test's first Cancun-or-later payload comes first as V2
      // (without the blob fields), which the node must refuse: -38005
      // (unsupported fork), as errorCode the number or its text in turn
      if (!payloads.length && Number(r.entry.newPayloadVersion) >= 3 && count.converted % 16 === 0) {
        const { blobGasUsed, excessBlobGas, ...v2 } = r.entry.params[0];
        payloads.push({ params: [v2], newPayloadVersion: "2", forkchoiceUpdatedVersion: "2",
                        errorCode: count.converted % 32 ? "-38005" : -38005 });
        count["wrong-version payloads"]++;
      }
      known.add(r.entry.params[0].blockHash);
      payloads.push(b.expectException ? { ...r.entry, validationError: b.expectException } : r.entry);
    }
    if (skip) { count[skip] = (count[skip] || 0) + 1; continue; }
    count["invalid blocks dropped"] += dropped;
    const { blocks, genesisRLP, sealEngine, ...rest } = t;
    out[name] = { ...rest, engineNewPayloads: payloads };
    count.converted++;
  }
  if (Object.keys(out).length) fs.writeFileSync(path.join(outDir, `t${n++}_${path.basename(file)}`), JSON.stringify(out));
}
console.log(Object.entries(count).map(([k, v]) => `${v} ${k}`).join(", ") + ` (in ${outDir})`);
if (!count.converted) { console.log("0 passed, 1 failed (nothing converted)"); process.exit(1); }
let out, status = 0;
try {
  out = execFileSync(parevm, ["enginetest", "--threads", opt("--threads", "2"), "--preroot", opt("--preroot", "auto"), outDir], { maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "pipe"] }).toString();
} catch (e) { out = String(e.stdout || "") + String(e.stderr || ""); status = e.status ?? 1; }
for (const l of out.split("\n").filter((l) => /^FAIL/.test(l)).slice(0, 30)) console.log(l);
const summary = out.split("\n").filter((l) => /^\d+ passed, \d+ failed$/.test(l)).pop();
const m = summary && /^(\d+) passed, (\d+) failed$/.exec(summary);
const ok = m && Number(m[1]) === count.converted && m[2] === "0" && !status;
if (ok && !opt("--out", null)) fs.rmSync(outDir, { recursive: true });
console.log(m ? `${m[1]} passed, ${ok ? 0 : Math.max(Number(m[2]), 1)} failed` : "0 passed, 1 failed (no enginetest summary)");
process.exit(ok ? 0 : 1);
