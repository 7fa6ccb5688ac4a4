// Randomized differential of parevm's EVM against revm (Foundry's anvil):
// random programs, built so that most instructions get well-formed operands
// (interesting words, the scenario's own addresses, precompiles, small memory
// offsets), are installed in anvil with random storage and balances, called by
// one transaction, and traced by anvil (opcode logger without memory, and the
// prestate tracer in diff mode). `parevm trace` replays the same transaction on
// the same pre-state and block header; every step (op, pc, gas, gasCost,
// depth, stack), the result (gas, failed, returnValue) and the state diff must
// agree after the normalizations crosscheck.mjs documents. A case that differs
// is written to OUTDIR for a closer look; anvil is a reference, not the spec.
//
//   node fuzz.mjs PAREVM [--cases N] [--seed S] [--fork osaka|prague|cancun] [--out DIR]
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import os from "node:os";

const argv = process.argv.slice(2);
const parevm = argv[0];
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d; };
const CASES = Number(opt("--cases", 200));
let seed = BigInt(opt("--seed", String(Date.now())));
const FORK = opt("--fork", "osaka");
const outDir = opt("--out", fs.mkdtempSync(path.join(os.tmpdir(), "anvil-fuzz-")));
fs.mkdirSync(outDir, { recursive: true });
const anvilBin = opt("--anvil", path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../../.npm-tools/node_modules/.bin/anvil"));
if (!parevm) { console.error("usage: node fuzz.mjs PAREVM [--cases N] [--seed S]"); process.exit(2); }

// xorshift64*: reproducible from --seed
const M64 = (1n << 64n) - 1n;
function rnd() { seed ^= (seed << 13n) & M64; seed ^= seed >> 7n; seed ^= (seed << 17n) & M64; return Number(seed & 0xffffffffn) / 4294967296; }
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];
const hexb = (n, bytes) => BigInt(n).toString(16).padStart(bytes * 2, "0");
const A = (n) => "0x" + hexb(n, 20);

// fresh addresses every case: anvil keeps what earlier cases created
let CONTRACTS = [];
const EOA = A(0xe0a000);
const PRECOMPILES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 0x100];
const sender = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

function word() {
  switch (ri(12)) {
    case 0: return 0n;
    case 1: return 1n;
    case 2: return BigInt(ri(64));
    case 3: return (1n << 256n) - 1n;
    case 4: return 1n << 255n;
    case 5: return (1n << 256n) - BigInt(1 + ri(4));
    case 6: return BigInt(pick(CONTRACTS));
    case 7: return BigInt(pick(PRECOMPILES));
    case 8: return 1n << BigInt(ri(256));
    case 9: { let v = 0n; for (let i = 0; i < 32; i++) v = (v << 8n) | BigInt(ri(256)); return v; }
    case 10: return BigInt(ri(0x10000));
    default: return BigInt(ri(300));
  }
}
const small = () => BigInt(pick([0, 0, 1, 2, 31, 32, 33, 64, ri(200), ri(1024)]));
const offs = () => (ri(40) ? small() : pick([0xffffffffn, 1n << 32n, 0x100000n, (1n << 256n) - 1n]));
const len = () => (ri(30) ? BigInt(pick([0, 1, 4, 20, 32, 64, 96, 128, 192, ri(300)])) : pick([0x10000n, 1n << 40n]));
const gasArg = () => pick([0n, 1n, 2300n, BigInt(ri(100000)), (1n << 256n) - 1n, 50000n]);
const addrArg = () => (ri(4) ? BigInt(pick([...CONTRACTS, EOA, sender])) : BigInt(pick(PRECOMPILES)));

function push(v) {
  let h = v.toString(16);
  if (h.length % 2) h = "0" + h;
  if (v === 0n) return ri(2) ? "5f" : "6000";
  const n = h.length / 2;
  return (0x5f + n).toString(16) + h;
}

// op -> [opcode, operand makers (pushed last-first so the first is on top)]
const W = word;
const OPS = [
  [0x01, [W, W]], [0x02, [W, W]], [0x03, [W, W]], [0x04, [W, W]], [0x05, [W, W]], [0x06, [W, W]], [0x07, [W, W]],
  [0x08, [W, W, W]], [0x09, [W, W, W]], [0x0a, [W, W]], [0x0b, [() => BigInt(ri(34)), W]],
  [0x10, [W, W]], [0x11, [W, W]], [0x12, [W, W]], [0x13, [W, W]], [0x14, [W, W]], [0x15, [W]],
  [0x16, [W, W]], [0x17, [W, W]], [0x18, [W, W]], [0x19, [W]], [0x1a, [W, W]], [0x1b, [W, W]], [0x1c, [W, W]], [0x1d, [W, W]],
  [0x1e, [W]],
  [0x20, [offs, len]], [0x30, []], [0x31, [addrArg]], [0x32, []], [0x33, []], [0x34, []], [0x35, [W]], [0x36, []],
  [0x37, [small, small, len]], [0x38, []], [0x39, [small, small, len]], [0x3a, []], [0x3b, [addrArg]],
  [0x3c, [addrArg, small, small, len]], [0x3d, []], [0x3e, [small, small, () => BigInt(ri(40))]], [0x3f, [addrArg]],
[0x41, []], [0x42, []], [0x43, []], [0x44, []], [0x45, []], [0x46, []], [0x47, []], [0x48, []],
  [0x49, [() => BigInt(ri(3))]], [0x4a, []],
  [0x50, [W]], [0x51, [offs]], [0x52, [offs, W]], [0x53, [offs, W]], [0x54, [() => BigInt(ri(6))]], [0x55, [() => BigInt(ri(6)), () => BigInt(pick([0, 0, 1, 2, ri(1000)]))]],
  [0x58, []], [0x59, []], [0x5a, []], [0x5c, [() => BigInt(ri(4))]], [0x5d, [() => BigInt(ri(4)), W]], [0x5e, [small, small, len]],
  [0xa0, [small, len]], [0xa1, [small, len, W]], [0xa2, [small, len, W, W]], [0xa3, [small, len, W, W, W]], [0xa4, [small, len, W, W, W, W]],
  [0xf1, [gasArg, addrArg, () => BigInt(pick([0, 0, 0, 1, 7])), small, len, small, len]],
  [0xf2, [gasArg, addrArg, () => BigInt(pick([0, 1])), small, len, small, len]],
  [0xf4, [gasArg, addrArg, small, len, small, len]],
  [0xfa, [gasArg, addrArg, small, len, small, len]],
  [0xf0, [() => BigInt(pick([0, 0, 1])), small, len]],
  [0xf5, [() => BigInt(pick([0, 1])), small, len, W]],
];
const RARE = [[0xff, [addrArg]], [0xfd, [small, len]], [0xf3, [small, len]], [0x00, []], [0xfe, []]];

// A precompile called on structured input: memory words 0.. hold small
// numbers (MODEXP's lengths, BLAKE2F's rounds), BN254's generator, zeros
// (points at infinity) or random words; the output's first words and size go
// on the stack, where the trace compares them.
function precompileCall() {
  const p = pick(PRECOMPILES);
  const size = pick([0, 32, 64, 96, 97, 100, 128, 160, 192, 213, 256, 288, 384, 512, ri(600)]);
  let c = "";
  for (let off = 0; off < size; off += 32) {
    let v;
    switch (ri(7)) {
      case 0: v = 0n; break;
      case 1: v = BigInt(ri(70)); break;
      case 2: v = BigInt(pick([1, 2])); break;
      case 3: v = BigInt(ri(4)) << 248n; break;
      default: v = word();
    }
    if (p === 5 && off < 96) v = BigInt(pick([0, 1, 2, 31, 32, 33, 64, ri(70), ri(1100)]));
    c += push(v) + push(BigInt(off)) + "52";
  }
  const gas = pick([BigInt(ri(4000)), 100000n, (1n << 256n) - 1n]);
  // STATICCALL(gas, p, 0, size, 0x400, 0x60); then the output's words and size
  c += push(0x60n) + push(0x400n) + push(BigInt(size)) + push(0n) + push(BigInt(p)) + push(gas) + "fa";
  c += push(0x400n) + "51" + push(0x420n) + "51" + push(0x440n) + "51" + "3d";
  return c;
}

// Memory that init code may be copied from: a tiny constructor returning code.
const INIT = "6b" + "600160005560016000f3".padEnd(24, "0") + "6000526014600cf3"; // stores a small runtime
function program(depth) {
  let code = "";
  // some memory content so CREATE/CALL inputs are not all zero
  if (ri(2)) code += push(BigInt("0x" + INIT.padEnd(64, "0"))) + push(0n) + "52";
  const n = 3 + ri(20);
  const dests = [];
  for (let i = 0; i < n; i++) {
    if (ri(12) === 0) { dests.push(code.length / 2); code += "5b"; }
    if (ri(10) === 0 && dests.length) { // a forward/backward jump, guarded by a condition
      code += push(BigInt(ri(2))) + push(BigInt(pick(dests))) + "57";
      continue;
    }
    if (ri(8) === 0) { // stack shuffles on what is there
      code += push(W()) + push(W()) + pick(["80", "81", "90", "91", "50"]);
      continue;
    }
    if (ri(30) === 0) { // BLOCKHASH of the parent (the request gives only its hash), of itself, of the future
      code += pick(["6001430340", "4340", "6005430140", "610101430340"]);
      continue;
    }
    if (ri(6) === 0) { code += precompileCall(); continue; }
    const [op, args] = ri(25) ? pick(OPS) : pick(RARE);
    for (let j = args.length - 1; j >= 0; j--) code += push(args[j]());
    code += hexb(op, 1);
    if (ri(3) === 0) code += push(BigInt(ri(6))) + "55"; // keep a result in storage
    if (op === 0xfd || op === 0xf3 || op === 0x00 || op === 0xff || op === 0xfe) break;
  }
  // the result of RETURNDATA/memory as output
  if (ri(2)) code += push(64n) + push(0n) + "f3";
  return "0x" + code;
}

// ---- anvil ----
const port = 20000 + Math.floor(Math.random() * 20000);
const node = spawn(anvilBin, ["--port", String(port), "--hardfork", FORK, "--steps-tracing", "--silent",
                              "--gas-limit", "30000000"], { stdio: "ignore" });
process.on("exit", () => node.kill());
let id = 0;
async function rpc(method, params = []) {
  const r = await fetch(`http://127.0.0.1:${port}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }) });
  const j = await r.json();
  if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
  return j.result;
}
for (let i = 0; ; i++) {
  try { await rpc("eth_chainId"); break; } catch (e) { if (i > 100) throw e; await new Promise((r) => setTimeout(r, 100)); }
}
const hex = (v) => "0x" + BigInt(v).toString(16);

function diff(a, b, where, out) {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) { diff(a[k], b[k], `${where}.${k}`, out); if (out.length > 20) return; }
    return;
  }
  out.push(`${where}: anvil ${JSON.stringify(a)?.slice(0, 200)} parevm ${JSON.stringify(b)?.slice(0, 200)}`);
}
function normStruct(anv, ours) {
  const logs = anv.structLogs || [];
  for (let i = 0; i < logs.length; i++) {
    const e = logs[i];
    delete e.refund; if (ours.structLogs?.[i]) delete ours.structLogs[i].refund;
    if (e.returnData === "0x") delete e.returnData;
    if (Array.isArray(e.memory) && e.memory.length === 0) delete e.memory;
    delete e.error; if (ours.structLogs?.[i]) delete ours.structLogs[i].error;
    // a faulting step's gasCost is a tracer convention (revm: all it had; geth:
    // the cost as far as it got); what it consumed shows in the caller's gas
    const last = !logs[i + 1] || logs[i + 1].depth < e.depth;
    const fault = !["STOP", "RETURN", "REVERT", "SELFDESTRUCT"].includes(e.op) || e.gasCost === e.gas;
    if (last && fault && ours.structLogs?.[i]) { delete e.gasCost; delete ours.structLogs[i].gasCost; }
    if (e.op === "CREATE" || e.op === "CREATE2") { delete e.gasCost; if (ours.structLogs?.[i]) delete ours.structLogs[i].gasCost; }
  }
}
function normPrestate(anv, ours) {
  const strip = (m) => { for (const a of Object.values(m || {})) delete a.codeHash; };
  const dropEmpty = (m) => { for (const [k, a] of Object.entries(m || {})) if (JSON.stringify(a) === '{"balance":"0x0"}' || JSON.stringify(a) === "{}") delete m[k]; };
  strip(ours.pre); strip(ours.post); strip(anv.pre); strip(anv.post);
  dropEmpty(anv.pre); dropEmpty(ours.pre); dropEmpty(anv.post); dropEmpty(ours.post);
}

const PFORK = { osaka: "Osaka", prague: "Prague", cancun: "Cancun" }[FORK];
let bad = 0, steps = 0, failedTx = 0;
const t0 = Date.now();
for (let c = 0; c < CASES; c++) {
  const caseSeed = seed;
  CONTRACTS = [0, 1, 2].map(() => A(BigInt(1 + ri(0xffffffff)) << 40n | BigInt(ri(0xffffff))));
  const contracts = {};
  for (const a of CONTRACTS) {
    const storage = {};
    for (let k = 0; k < 6; k++) if (ri(2)) storage["0x" + hexb(k, 32)] = "0x" + hexb(BigInt(pick([1, 2, ri(1000)])), 32);
    contracts[a] = { code: ri(8) ? program() : "0x", balance: BigInt(pick([0, 1, 1000, 10 ** 9])), storage };
  }
  for (const [addr, ct] of Object.entries(contracts)) {
    await rpc("anvil_setCode", [addr, ct.code]);
    await rpc("anvil_setBalance", [addr, hex(ct.balance)]);
    // clear what earlier cases left, then set this case's storage
    for (let k = 0; k < 6; k++) {
      const key = "0x" + hexb(k, 32);
      await rpc("anvil_setStorageAt", [addr, key, ct.storage[key] || "0x" + hexb(0, 32)]);
    }
  }
  const parent = await rpc("eth_getBlockByNumber", ["latest", false]);
  // earlier cases may have sent value to the EOA and the precompiles
  const accounts = new Set([sender, parent.miner.toLowerCase(), ...CONTRACTS, EOA, ...PRECOMPILES.map(A)]);
  const pre = {};
  for (const a of accounts) {
    const storage = {};
    for (const k of Object.keys(contracts[a]?.storage || {})) storage[k] = await rpc("eth_getStorageAt", [a, k, "latest"]);
    pre[a] = { balance: await rpc("eth_getBalance", [a, "latest"]), nonce: await rpc("eth_getTransactionCount", [a, "latest"]), code: await rpc("eth_getCode", [a, "latest"]), storage };
  }
  const data = "0x" + Array.from({ length: ri(70) }, () => hexb(ri(256), 1)).join("");
  const gas = BigInt(pick([60000, 200000, 400000]));
  const txHash = await rpc("eth_sendTransaction", [{ from: sender, to: CONTRACTS[0], gas: hex(gas), value: hex(pick([0, 0, 5, 1000])), data, maxFeePerGas: hex(10n ** 10n), maxPriorityFeePerGas: hex(1n) }]);
  let receipt = null;
  for (let i = 0; !receipt && i < 200; i++) {
    receipt = await rpc("eth_getTransactionReceipt", [txHash]);
    if (!receipt) await new Promise((r) => setTimeout(r, 20));
  }
  if (receipt.status !== "0x1") failedTx++;
  const blk = await rpc("eth_getBlockByNumber", [receipt.blockNumber, false]);
  const raw = await rpc("eth_getRawTransactionByHash", [txHash]);
  const block = { number: blk.number, timestamp: blk.timestamp, gasLimit: blk.gasLimit, baseFee: blk.baseFeePerGas, coinbase: blk.miner, prevRandao: blk.mixHash, difficulty: blk.difficulty, parentHash: blk.parentHash, hash: blk.hash };
  if (blk.excessBlobGas) block.excessBlobGas = blk.excessBlobGas;
  const out = [];
  const files = [];
  for (const [cname, cfg] of [["structLogs", { disableStorage: true }], ["prestate", { tracer: "prestateTracer", tracerConfig: { diffMode: true } }]]) {
    const theirs = await rpc("debug_traceTransaction", [txHash, cfg]);
    const req = { fork: PFORK, chainId: 31337, pre, block, transactions: [raw], txIndex: 0, config: cfg };
    const file = path.join(outDir, `case${c}.${cname}.json`);
    fs.writeFileSync(file, JSON.stringify(req));
    let ours;
    try { ours = JSON.parse(execFileSync(parevm, ["trace", file], { maxBuffer: 1 << 30 }).toString()); }
    catch (e) { ours = { error: String(e.stdout || e) }; }
    if (ours.error) { out.push(`${cname}: parevm error ${JSON.stringify(ours.error).slice(0, 300)}`); continue; }
    if (cname === "structLogs") { normStruct(theirs, ours.result); steps += theirs.structLogs?.length || 0; }
    else normPrestate(theirs, ours.result);
    const before = out.length;
    diff(theirs, ours.result, cname, out);
    if (out.length > before) { fs.writeFileSync(file.replace(/\.json$/, ".anvil.json"), JSON.stringify(theirs)); files.push(file); }
    else fs.unlinkSync(file);
  }
  if (out.length) {
    bad++;
    console.log(`case ${c} (seed ${caseSeed}): ${out.length} differences; ${files.join(" ")}`);
    for (const l of out.slice(0, 8)) console.log("   " + l);
  }
}
console.log(`${CASES} cases, ${steps} steps, ${failedTx} failed transactions, ${bad} differ; ${((Date.now() - t0) / 1000).toFixed(0)} s; out ${outDir}`);
node.kill();
process.exit(0);
