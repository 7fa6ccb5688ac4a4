// Transactions as parevm t9n and EthereumJS's transaction library decode and
// check them, compared one by one: random signed transactions of every type
// a fork takes, Frontier to Osaka, then changed at the level of their RLP
// fields (an edge value, a leading zero, a list for a string, a field too
// many or too few, the signature's v, r and s set to edges, s mirrored
// above n/2) or of their bytes (cut short, a byte appended, another type
// byte). A changed field leaves the signature over other data, so most
// changes give another sender: both sides must recover the same one.
//
//   node ejs_tx.mjs PAREVM --ejs DIR [--cases N] [--seed S] [--out DIR]
//
// For each case both must agree whether the transaction is valid (decoding,
// signature, chain id, fork, the static rules: intrinsic gas and EIP-7623's
// floor against the gas limit, EIP-3860's initcode size, EIP-7825's gas
// cap); where both find it valid, on the sender, the hash and the intrinsic
// gas. The rules EthereumJS checks only with state or a block (nonce,
// balance, fee against the base fee, blob count per block) are left to the
// other differentials. Prints "N passed, N failed"; the failing cases'
// inputs go to --out (else a temporary folder, removed when all pass).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { FORKS, at } from "./ejs_state.mjs";

const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d; };
const parevm = argv[0];
const ejsDir = opt("--ejs");
const CASES = Number(opt("--cases", 400));
const SEED = opt("--seed", String(Date.now()));
if (!parevm || !ejsDir) { console.error("usage: node ejs_tx.mjs PAREVM --ejs DIR [--cases N] [--seed S] [--out DIR]"); process.exit(2); }
const outDir = opt("--out") || fs.mkdtempSync(path.join(os.tmpdir(), "ejs_tx-"));
fs.mkdirSync(outDir, { recursive: true });

const req = createRequire(path.join(path.resolve(ejsDir), "package.json"));
const load = (m) => import(req.resolve(m));
const { Common, Mainnet } = await load("@ethereumjs/common");
const TX = await load("@ethereumjs/tx");
const U = await load("@ethereumjs/util");
const { RLP } = await load("@ethereumjs/rlp");

// xorshift64*, as program.mjs
let seed = BigInt(SEED) || 1n;
const M64 = (1n << 64n) - 1n;
function rnd() { seed ^= (seed << 13n) & M64; seed ^= seed >> 7n; seed ^= (seed << 17n) & M64; return Number(seed & 0xffffffffn) / 4294967296; }
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];
const bytes = (n) => Uint8Array.from({ length: n }, () => ri(256));
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const KEYS = ["0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8",
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"];
const big = (b) => (b instanceof Uint8Array && b.length ? U.bytesToBigInt(b) : 0n);
const be = (v) => U.bigIntToUnpaddedBytes(((v % (1n << 256n)) + (1n << 256n)) % (1n << 256n)); // mod 2^256

// Blob transactions need a KZG object, though without blobs nothing calls it
const kzg = new Proxy({}, { get: () => () => { throw new Error("KZG is not available here"); } });
const commonFor = (fi) => new Common({ chain: Mainnet, hardfork: FORKS[fi][1], customCrypto: { kzg } });

// An edge value for an integer field
function edge() {
  return pick([0n, 1n, 2n, 27n, 28n, 35n, 36n, 37n, 38n, 0x7fn, 0x80n, 21000n, 53000n, (1n << 24n), (1n << 24n) + 1n,
    (1n << 63n) - 1n, (1n << 64n) - 2n, (1n << 64n) - 1n, 1n << 64n, (1n << 256n) - 1n, N / 2n, N / 2n + 1n, N - 1n, N, N + 1n]);
}

// A random transaction that EthereumJS builds and signs for fork fi
function baseTx(fi) {
  // EthereumJS will not make a transaction over EIP-7825's cap at Osaka: made
  // with Prague's rules, it is refused (or not) when decoded
  const common = commonFor(Math.min(fi, FORKS.findIndex(([p]) => p === "Prague")));
  const types = [0];
  if (at(fi, "Berlin")) types.push(1);
  if (at(fi, "London")) types.push(2, 2);
  if (at(fi, "Cancun")) types.push(3);
  if (at(fi, "Prague")) types.push(4);
  const type = pick(types);
  const create = type < 3 && ri(5) === 0;
  const dataLen = create && ri(8) === 0 ? pick([49152, 49153]) : pick([0, 0, 1, 4, 36, 100, ri(600)]);
  const data = Uint8Array.from(bytes(dataLen).map((b) => (ri(3) ? b : 0))); // zero and non-zero bytes cost differently
  const base = {
    nonce: pick([0n, 1n, BigInt(ri(1000)), (1n << 64n) - 2n]),
    gasLimit: pick([21000n, 53000n, 100000n, BigInt(21000 + ri(200000)), 1n << 24n, 30000000n, BigInt(ri(60000))]),
    value: pick([0n, 1n, 10n ** 18n]),
    data, to: create ? undefined : U.bytesToHex(bytes(20)),
  };
  const accessList = Array.from({ length: ri(3) }, () => ({ address: U.bytesToHex(bytes(20)),
    storageKeys: Array.from({ length: ri(3) }, () => U.bytesToHex(bytes(32))) }));
  const fees = { maxFeePerGas: pick([10n ** 9n, 10n ** 12n]), maxPriorityFeePerGas: pick([0n, 1n, 10n ** 9n]), accessList, chainId: 1n };
  const key = U.hexToBytes(pick(KEYS));
  const opts = { common, allowUnlimitedInitCodeSize: true };
  let tx;
  if (type === 4) {
    const authorizationList = Array.from({ length: 1 + ri(2) }, () => {
      const [c, a, n, y, r, s] = U.eoaCode7702SignAuthorization({ chainId: pick(["0x", "0x01", "0x07"]), address: U.bytesToHex(bytes(20)),
        nonce: pick(["0x", "0x05"]) }, U.hexToBytes(pick(KEYS)));
      return [c, a, n, y, r, s];
    });
    tx = TX.createEOACode7702Tx({ ...base, ...fees, authorizationList }, opts);
  } else if (type === 3) {
    const blobVersionedHashes = Array.from({ length: 1 + ri(6) }, () => "0x01" + U.bytesToHex(bytes(31)).slice(2));
    tx = TX.createBlob4844Tx({ ...base, ...fees, maxFeePerBlobGas: 10n ** 9n, blobVersionedHashes }, opts);
  } else if (type === 2) tx = TX.createFeeMarket1559Tx({ ...base, ...fees }, opts);
  else if (type === 1) tx = TX.createAccessList2930Tx({ ...base, gasPrice: 10n ** 9n, accessList, chainId: 1n }, opts);
  else tx = TX.createLegacyTx({ ...base, gasPrice: 10n ** 9n }, opts);
  return { type, fields: tx.sign(key).raw() };
}

// Legacy transactions signed without EIP-155 (v 27/28) now and then
function preEip155(fi) {
  const common = commonFor(Math.min(fi, 2)); // before Spurious Dragon
  const tx = TX.createLegacyTx({ nonce: 1n, gasPrice: 10n ** 9n, gasLimit: 21000n + BigInt(ri(3) * 1000), to: U.bytesToHex(bytes(20)), value: 1n },
    { common });
  return { type: 0, fields: tx.sign(U.hexToBytes(KEYS[0])).raw() };
}

// The index of v, r, s in a type's field list (last three)
function sigIndex(fields) { return fields.length - 3; }

// One change of the fields (a list of Uint8Array / nested lists)
function mutateFields(t) {
  const f = t.fields;
  const i = ri(f.length);
  switch (ri(12)) {
    case 0: f[i] = be(edge()); return `field ${i} = edge`;
    case 1: if (f[i] instanceof Uint8Array && f[i].length) { f[i] = U.concatBytes(new Uint8Array([0]), f[i]); return `field ${i} leading zero`; } return "none";
    case 2: f[i] = []; return `field ${i} = empty list`;
    case 3: if (Array.isArray(f[i])) { f[i] = new Uint8Array(0); return `field ${i} list -> string`; } f[i] = bytes(ri(34)); return `field ${i} = random bytes`;
    case 4: if (ri(2)) { f.push(new Uint8Array(0)); return "a field more"; } f.pop(); return "a field less";
    case 5: { const s = sigIndex(f); f[s] = be(pick([0n, 1n, 2n, 27n, 28n, 29n, 35n, 36n, 37n, 38n, 39n, 40n, 41n, 2709n, 2710n])); return "v edge"; }
    case 6: { const s = sigIndex(f) + 2; f[s] = be(N - big(f[s])); if (t.type === 0 || ri(2)) { const v = big(f[s - 2]); f[s - 2] = be(t.type ? v ^ 1n : v <= 28n ? 55n - v : (v - 35n) % 2n ? v - 1n : v + 1n); } return "s mirrored (high s), the same signer"; }
    case 7: { const s = sigIndex(f) + 1 + ri(2); f[s] = be(pick([0n, 1n, N - 1n, N, N + 1n, (1n << 256n) - 1n])); return "r or s edge"; }
    case 8: { // an EIP-2930 access list or EIP-7702 authorization entry changed
      const li = f.findIndex((x) => Array.isArray(x) && x.length && Array.isArray(x[0]));
      if (li < 0) return "none";
      const e = f[li][ri(f[li].length)];
      if (!Array.isArray(e) || !e.length) return "none";
      const j = ri(e.length);
      e[j] = pick([new Uint8Array(0), bytes(ri(33)), [], be(edge())]);
      return `list ${li} entry field ${j}`;
    }
    case 9: { // blob versioned hashes: none, a wrong version, many
      if (t.type !== 3) return "none";
      f[10] = pick([[], [U.concatBytes(new Uint8Array([2]), bytes(31))], Array.from({ length: 7 + ri(3) }, () => U.concatBytes(new Uint8Array([1]), bytes(31)))]);
      return "blob hashes";
    }
    case 10: { // EIP-7702: an empty authorization list, a y parity above 1, a high s
      if (t.type !== 4) return "none";
      const a = f[9];
      if (!Array.isArray(a) || !a.length || ri(3) === 0) { f[9] = []; return "no authorizations"; }
      const e = a[ri(a.length)];
      if (!Array.isArray(e) || e.length < 6) return "none";
      if (ri(2)) { e[3] = be(pick([2n, 27n, 255n])); return "authorization y parity"; }
      e[5] = be(N - big(e[5])); return "authorization high s";
    }
    default: { const c = f[0]; f[0] = be(pick([0n, 1n, 5n, (1n << 64n) - 1n, 1n << 64n])); return t.type ? `chain id ${big(c)} -> ${big(f[0])}` : "nonce edge"; }
  }
}

function serialize(t) {
  const body = RLP.encode(t.fields);
  return t.type ? U.concatBytes(new Uint8Array([t.type]), body) : body;
}

// Byte-level changes to a typed transaction
function mutateBytes(raw) {
  switch (ri(4)) {
    case 0: return [raw.slice(0, Math.max(1, raw.length - 1 - ri(4))), "cut short"];
    case 1: return [U.concatBytes(raw, new Uint8Array([ri(256)])), "a byte appended"];
    case 2: { const r = raw.slice(); r[0] = pick([0, 1, 2, 3, 4, 5, 0x7f]); return [r, `type byte ${r[0]}`]; }
    default: { const r = raw.slice(); const i = 1 + ri(r.length - 1); r[i] ^= 1 << ri(8); return [r, `bit flipped at ${i}`]; }
  }
}

// The fields' shapes by the EIPs, checked here because EthereumJS lets some
// through (an integer with a leading zero in a typed transaction's chain id,
// an access list entry whose storage keys are not a list): null or why not
const INT = "int", ADDR = "address", TO = "to", DATA = "bytes", AL = "access list", HASHES = "blob hashes", AUTHS = "authorizations";
const SHAPES = {
  0: [INT, INT, INT, TO, INT, DATA, INT, INT, INT],
  1: [INT, INT, INT, INT, TO, INT, DATA, AL, INT, INT, INT],
  2: [INT, INT, INT, INT, INT, TO, INT, DATA, AL, INT, INT, INT],
  3: [INT, INT, INT, INT, INT, ADDR, INT, DATA, AL, INT, HASHES, INT, INT, INT],
  4: [INT, INT, INT, INT, INT, ADDR, INT, DATA, AL, AUTHS, INT, INT, INT],
};
const isBytes = (x) => x instanceof Uint8Array;
function shapeOf(kind, x) {
  const list = (ok) => Array.isArray(x) && x.every(ok);
  switch (kind) {
    case INT: return isBytes(x) && x.length <= 32 && (x.length === 0 || x[0] !== 0);
    case ADDR: return isBytes(x) && x.length === 20;
    case TO: return isBytes(x) && (x.length === 20 || x.length === 0);
    case DATA: return isBytes(x);
    case AL: return list((e) => Array.isArray(e) && e.length === 2 && shapeOf(ADDR, e[0]) && Array.isArray(e[1]) && e[1].every((k) => isBytes(k) && k.length === 32));
    case HASHES: return list((h) => isBytes(h) && h.length === 32);
    case AUTHS: return list((a) => Array.isArray(a) && a.length === 6 && [INT, ADDR, INT, INT, INT, INT].every((k, i) => shapeOf(k, a[i])));
  }
  return false;
}
function shapeError(raw) {
  let type = 0, body = raw;
  if (raw.length && raw[0] < 0x80) { type = raw[0]; body = raw.subarray(1); }
  if (!SHAPES[type]) return null; // an unknown type: EthereumJS refuses it too
  let f;
  try { f = RLP.decode(body); } catch { return null; } // not RLP: EthereumJS refuses it too
  if (!Array.isArray(f)) return null;
  if (f.length !== SHAPES[type].length) return null;
  const i = SHAPES[type].findIndex((k, i) => !shapeOf(k, f[i]));
  return i < 0 ? null : `field ${i} is no ${SHAPES[type][i]}`;
}

// EthereumJS's verdict: {error} or {sender, hash, intrinsic}
function ejsVerdict(raw, fi) {
  const common = commonFor(fi);
  let tx;
  try {
    tx = TX.createTxFromRLP(raw, { common });
    if (!tx.isSigned()) return { error: "unsigned" };
    const sender = tx.getSenderAddress().toString();
    const errors = tx.getValidationErrors();
    if (errors.length) return { error: errors.join("; ") };
    // EIP-3860 (EthereumJS checks it when the transaction is made, unless allowUnlimitedInitCodeSize)
    return { sender, hash: U.bytesToHex(tx.hash()), intrinsic: tx.getIntrinsicGas() };
  } catch (e) {
    return { error: String(e.message || e).split("\n")[0].slice(0, 160) };
  }
}

// Cases by fork, each one t9n run
const byFork = new Map();
for (let c = 0; c < CASES; c++) {
  const fi = ri(FORKS.length);
  const t = ri(10) === 0 ? preEip155(fi) : baseTx(fi);
  const what = [];
  for (let m = ri(3); m > 0; m--) what.push(mutateFields(t));
  let raw = serialize(t);
  if (t.type && ri(6) === 0) { let w; [raw, w] = mutateBytes(raw); what.push(w); }
  if (!byFork.has(fi)) byFork.set(fi, []);
  byFork.get(fi).push({ c, raw, what: what.join(", ") || "as signed", type: t.type });
}

let passed = 0, failed = 0, valid = 0, bySchema = 0;
const senders = new Set(), reasons = new Map();
const failures = [];
for (const [fi, cases] of byFork) {
  // t9n takes the transactions as one RLP list: typed ones as strings, legacy
  // ones as their list (a legacy one that is not a whole RLP list runs alone)
  const items = cases.map((k) => {
    if (k.type && k.raw[0] < 0x80) return k.raw;
    try { return RLP.decode(k.raw); } catch { return k.raw; }
  });
  const file = path.join(outDir, `txs_${FORKS[fi][0]}.rlp`);
  fs.writeFileSync(file, JSON.stringify(U.bytesToHex(RLP.encode(items))));
  let ours;
  try {
    ours = JSON.parse(execFileSync(parevm, ["t9n", "--input.txs", file, "--state.fork", FORKS[fi][0], "--state.chainid", "1"],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 }));
  } catch (e) {
    console.log(`${FORKS[fi][0]}: t9n failed: ${String(e.stderr || e.message).slice(0, 300)}`);
    failed += cases.length;
    continue;
  }
  cases.forEach((k, i) => {
    const o = ours[i] || {};
    const shape = shapeError(k.raw);
    const e = shape ? { error: `by the EIPs: ${shape}` } : ejsVerdict(k.raw, fi);
    let diff = null;
    if (!!o.error !== !!e.error) diff = `valid: parevm ${o.error ? "no (" + o.error + ")" : "yes"}, EthereumJS ${e.error ? "no (" + e.error + ")" : "yes"}`;
    else if (!e.error) {
      if (o.address?.toLowerCase() !== e.sender) diff = `sender ${o.address} vs ${e.sender}`;
      else if (o.hash !== e.hash) diff = `hash ${o.hash} vs ${e.hash}`;
      else if (BigInt(o.intrinsicGas) !== e.intrinsic) diff = `intrinsic gas ${BigInt(o.intrinsicGas)} vs ${e.intrinsic}`;
    }
    if (!e.error) { valid++; senders.add(e.sender); }
    if (shape) bySchema++;
    if (e.error) { const r = e.error.split(" (tx type")[0].replace(/[0-9]+/g, "#").slice(0, 90); reasons.set(r, (reasons.get(r) || 0) + 1); }
    if (diff) { failed++; failures.push(`case ${k.c} ${FORKS[fi][0]} type ${k.type} (${k.what}): ${diff}\n  ${U.bytesToHex(k.raw)}`); }
    else passed++;
  });
}
for (const f of failures.slice(0, 40)) console.log(f.length > 600 ? f.slice(0, 600) + "..." : f); // whole in failures.txt
if (failures.length) fs.writeFileSync(path.join(outDir, "failures.txt"), failures.join("\n") + "\n");
else if (!opt("--out")) fs.rmSync(outDir, { recursive: true, force: true });
if (argv.includes("--reasons")) for (const [r, n] of [...reasons].sort((a, b) => b[1] - a[1])) console.log(`  ${n} ${r}`);
console.log(`${valid} valid (${senders.size} senders), ${CASES - valid} refused (${bySchema} by the fields' shapes alone)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
