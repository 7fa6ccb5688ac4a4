// Randomized differential of parevm's EVM against revm (Foundry's anvil):
// random programs (program.mjs) are installed in anvil with random storage and balances, called by
// one transaction, and traced by anvil (opcode logger without memory, the
// prestate tracer in diff mode, callTracer with logs, Parity's
// trace_replayBlockTransactions with trace and stateDiff, and Otterscan's
// ots_traceTransaction, ots_getInternalOperations and
// ots_getTransactionError). `parevm trace`
// replays the same transaction on the same pre-state and block header; every
// step (op, pc, gas, gasCost, depth, stack), the result (gas, failed,
// returnValue), the state diff and the call tree (frames, gas, input,
// output, revert reasons, logs) must agree, and the receipt's gas with parevm's, after the normalizations below
// and crosscheck.mjs's. A case that differs is written to OUTDIR for a
// closer look; anvil is a reference, not the spec. Exit status 1 if any
// case differs.
//
// From Prague some transactions are EIP-7702 set-code transactions: their
// authorizations, signed by the sender or by two other keys, delegate to
// the case's contracts, precompiles or each other, or clear (the zero
// address), with right and wrong nonces and chain ids and the odd flipped
// y parity; those keys' accounts may already delegate, and the programs
// call and inspect them.
//
// anvil runs forks before London with some later rules (Berlin with London's
// refunds, Istanbul with Berlin's storage costs): those forks are left to
// ejs.mjs.
//
//   node anvil.mjs PAREVM [--cases N] [--seed S] [--fork london|...|osaka] [--out DIR] [--anvil BIN] [--arith]
// (--arith: programs with runs of field arithmetic on one modulus)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { startAnvil } from "../anvil_node.mjs";
import path from "node:path";
import os from "node:os";
import { generator } from "./program.mjs";
import { createRequire } from "node:module";

const argv = process.argv.slice(2);
const parevm = argv[0];
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d; };
const CASES = Number(opt("--cases", 200));
const SEED = opt("--seed", String(Date.now()));
const FORK = opt("--fork", "osaka");
// the folder for the cases: --out, else a temporary one (removed when every case passed)
const outDir = opt("--out", null) ?? fs.mkdtempSync(path.join(os.tmpdir(), "anvil-fuzz-"));
fs.mkdirSync(outDir, { recursive: true });
const anvilBin = opt("--anvil", path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../../.npm-tools/node_modules/.bin/anvil"));
if (!parevm) { console.error("usage: node anvil.mjs PAREVM [--cases N] [--seed S]"); process.exit(2); }
// EIP-7702 signatures: EthereumJS's util, from the same npm tools as anvil
const U = await import(createRequire(path.resolve(path.dirname(anvilBin), "../../package.json")).resolve("@ethereumjs/util"));
const SENDER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"; // anvil's first account
const AUTH_KEYS = ["0x" + "11".repeat(32), "0x" + "22".repeat(32)];
const AUTHORITIES = AUTH_KEYS.map((k) => U.createAddressFromPrivateKey(U.hexToBytes(k)).toString());


// the trace types of the Parity comparison
const PARITY_TYPES = ["trace", "stateDiff", "vmTrace"];
// step traces longer than this are not compared (see the case loop)
const MAX_STEPS = 400000;

// ---- anvil ----
const { rpc, node } = await startAnvil(anvilBin, ["--hardfork", FORK, "--steps-tracing", "--silent", "--gas-limit", "30000000"]);
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
    const erred = e.error != null; // revm's halt reason, e.g. "Some(MemoryOOG)"
    delete e.error; if (ours.structLogs?.[i]) delete ours.structLogs[i].error;
    // a faulting step's gasCost is a tracer convention (revm: all it had, or 0
    // for a memory expansion it could not pay; geth: the cost as far as it
    // got); what it consumed shows in the caller's gas
    const last = !logs[i + 1] || logs[i + 1].depth < e.depth;
    const fault = erred || !["STOP", "RETURN", "REVERT", "SELFDESTRUCT"].includes(e.op) || e.gasCost === e.gas;
    if (last && fault && ours.structLogs?.[i]) { delete e.gasCost; delete ours.structLogs[i].gasCost; }
    // an undefined opcode: revm-inspectors says "Unknown"; parevm names it as
    // geth does ("opcode 0x.. not defined", or the EOF name geth keeps: RJUMPV...)
    if (e.op === "Unknown" && ours.structLogs?.[i]) e.op = ours.structLogs[i].op;
    if (e.op === "CREATE" || e.op === "CREATE2") { delete e.gasCost; if (ours.structLogs?.[i]) delete ours.structLogs[i].gasCost; }
  }
}
function normPrestate(anv, ours) {
  const strip = (m) => { for (const a of Object.values(m || {})) delete a.codeHash; };
  const dropEmpty = (m) => { for (const [k, a] of Object.entries(m || {})) if (JSON.stringify(a) === '{"balance":"0x0"}' || JSON.stringify(a) === "{}") delete m[k]; };
  strip(ours.pre); strip(ours.post); strip(anv.pre); strip(anv.post);
  // geth keeps a self-destructed account's zero slots in pre; revm-inspectors drops them
  for (const m of [anv.pre, ours.pre]) for (const a of Object.values(m || {})) {
    for (const [k, v] of Object.entries(a.storage || {})) if (/^0x0*$/.test(v)) delete a.storage[k];
    if (a.storage && !Object.keys(a.storage).length) delete a.storage;
  }
  // ... and every slot such an account's transaction touched (geth's diff
  // mode drops unchanged slots from pre except for deleted accounts);
  // revm-inspectors only those it changed
  for (const [addr, a] of Object.entries(ours.pre || {})) {
    if ((ours.post || {})[addr] || !a.storage) continue;
    const theirs = (anv.pre || {})[addr]?.storage || {};
    for (const k of Object.keys(a.storage)) if (!(k in theirs)) delete a.storage[k];
    if (!Object.keys(a.storage).length) delete a.storage;
  }
  // an account whose SELFDESTRUCT ran and was then undone (its frame or an
  // outer one failed): geth marked it deleted at the opcode and keeps its
  // pre entry (in diff mode only deleted accounts stay in pre without a
  // post entry); revm-inspectors reports the final state, where nothing
  // happened to it (anvil campaign, seed 79444)
  if (ours.post) // diff mode only
    for (const addr of Object.keys(ours.pre || {}))
      if (!ours.post[addr] && !(anv.pre || {})[addr] && !(anv.post || {})[addr]) delete ours.pre[addr];
  // geth (v1.17.3 on, its eip7702_deauth case) writes code that a delegation
  // reset cleared as "0x" in post; revm-inspectors leaves it out
  for (const [k, a] of Object.entries(ours.post || {}))
    if (a.code === "0x" && !(anv.post && anv.post[k] && "code" in anv.post[k])) delete a.code;
  dropEmpty(anv.pre); dropEmpty(ours.pre); dropEmpty(anv.post); dropEmpty(ours.post);
}

function normCall(anv, ours) {
  // the top frame's gas: geth's is the transaction's limit, revm-inspectors'
  // what is left after the intrinsic gas
  delete anv.gas; delete ours.gas;
  // a log's index: revm-inspectors counts the logs of frames that failed
  // before it; in geth a revert takes its logs back from the block's count.
  // The case's transaction is alone in its block, so the logs that stay
  // are numbered from 0 in the order they ran (a log at position p follows
  // the frame's first p calls)
  let next = 0;
  const number = (f, failed) => {
    failed = failed || !!f.error;
    const calls = f.calls || [], logs = f.logs || [];
    let li = 0;
    for (let ci = 0; ci <= calls.length; ci++) {
      for (; li < logs.length && Number(logs[li].position) === ci; li++)
        if (!failed) logs[li].index = hex(next++);
      if (ci < calls.length) number(calls[ci], failed);
    }
  };
  number(anv, false);
  const walk = (a, o, parentFailed) => {
    if (!a || !o) return;
    // revm names a failure its own way ("StackUnderflow", "precompiled
    // failed"); parevm uses geth's words: only whether a frame failed counts
    const failed = !!(a.error || o.error);
    if (a.error && o.error) { delete a.error; delete o.error; }
    // geth drops the logs of a failed frame and of everything under it
    if (parentFailed || failed) { delete a.logs; delete o.logs; }
    // a self-destruct to itself that destroys nothing (Cancun on): the
    // anvil here reads revm's stale journal entry (see normParity) and
    // writes a zero sender, no beneficiary and no value, or the last value
    // transfer into the account (often the transaction's: its sender and
    // value); geth's frame is the account to itself with its balance
    const stale = a.type === "SELFDESTRUCT" && o.type === "SELFDESTRUCT" && o.from === o.to &&
      ((a.from === "0x0000000000000000000000000000000000000000" && !("to" in a)) || (atLeast("cancun") && a.to === o.to));
    if (stale) {
      a.from = o.from; a.to = o.to; a.value = o.value;
    }
    (a.calls || []).forEach((c, i) => walk(c, o.calls?.[i], parentFailed || failed));
  };
  walk(anv, ours, false);
}

function normParity(anv, ours) {
  // RETURNDATACOPY out of bounds with too little gas for its copy: revm
  // checks the bounds first (OutOfOffset, the static cost 3 in vmTrace);
  // geth and execution-specs charge the copy first, so parevm's frame ends
  // "Out of gas" with the op costing the gas that was left. Same state.
  (anv.trace || []).forEach((t, i) => {
    const o = ours.trace?.[i];
    if (t.error !== "OutOfOffset" || o?.error !== "Out of gas") return;
    t.error = o.error;
    let a = anv.vmTrace, b = ours.vmTrace;
    for (const k of t.traceAddress || []) { // the frame's own vmTrace
      const pick = (v) => (v?.ops || []).filter((op) => op.sub)[k]?.sub;
      a = pick(a); b = pick(b);
    }
    const la = a?.ops?.[a.ops.length - 1], lb = b?.ops?.[b.ops.length - 1];
    if (la && lb && la.pc === lb.pc) la.cost = lb.cost;
  });
  // A self-destruct that neither destroys nor moves a balance (Cancun on, a
  // pre-existing account, its own beneficiary) journals nothing; the anvil
  // here reads revm's last journal entry anyway, often the transaction's
  // value transfer. revm 54b4bf451 (#3805) reads only the instruction's own
  // entries and reports the zeros parevm writes.
  const zero = "0x0000000000000000000000000000000000000000";
  (anv.trace || []).forEach((t, i) => {
    const o = ours.trace?.[i];
    if (t.type !== "suicide" || o?.type !== "suicide") return;
    const a = o.action;
    if (a.address === zero && a.refundAddress === zero && BigInt(a.balance) === 0n) t.action = { ...a };
  });
}
// anvil's hardfork -> parevm's fixture network name; the forks in order
const FORKS = [["frontier", "Frontier"], ["homestead", "Homestead"], ["tangerine", "EIP150"], ["spuriousdragon", "EIP158"],
  ["byzantium", "Byzantium"], ["constantinople", "Constantinople"], ["petersburg", "ConstantinopleFix"],
  ["istanbul", "Istanbul"], ["berlin", "Berlin"], ["london", "London"], ["paris", "Paris"], ["shanghai", "Shanghai"],
  ["cancun", "Cancun"], ["prague", "Prague"], ["osaka", "Osaka"]];
const FI = FORKS.findIndex(([a]) => a === FORK);
if (FI < 0) { console.error(`unknown fork ${FORK}`); process.exit(2); }
const PFORK = FORKS[FI][1];
const atLeast = (f) => FI >= FORKS.findIndex(([a]) => a === f);
const g = generator({ seed: SEED, push0: atLeast("shanghai"), arith: argv.includes("--arith") });
const { ri, pick, hexb, A, program, EOA, PRECOMPILES, sender } = g;
g.others = atLeast("prague") ? [...AUTHORITIES] : []; // the programs call and inspect them too
let bad = 0, steps = 0, failedTx = 0, huge = 0;
const t0 = Date.now();
for (let c = 0; c < CASES; c++) {
  const caseSeed = g.seed();
  // fresh addresses every case: anvil keeps what earlier cases created
  const CONTRACTS = g.contracts = [0, 1, 2].map(() => A(BigInt(1 + ri(0xffffffff)) << 40n | BigInt(ri(0xffffff))));
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
  // the sender, delegated by an earlier case's authorization, may have had
  // its balance sent away by the code it delegates to: top it up
  if (BigInt(await rpc("eth_getBalance", [sender, "latest"])) < 10n ** 21n) await rpc("anvil_setBalance", [sender, hex(10n ** 22n)]);
  // EIP-7702 authorities: plain or delegating, whatever earlier cases left
  if (atLeast("prague")) {
    for (const a of AUTHORITIES) {
      const target = pick([...CONTRACTS, A(pick(PRECOMPILES)), ...AUTHORITIES, EOA]);
      await rpc("anvil_setCode", [a, ri(3) ? "0x" : "0xef0100" + target.slice(2)]);
      await rpc("anvil_setNonce", [a, hex(pick([0, 1, 3]))]);
      await rpc("anvil_setBalance", [a, hex(pick([0, 1, 10 ** 6]))]);
    }
  }
  const parent = await rpc("eth_getBlockByNumber", ["latest", false]);
  // earlier cases may have sent value to the EOA and the precompiles
  const accounts = new Set([sender, parent.miner.toLowerCase(), ...CONTRACTS, EOA, ...PRECOMPILES.map(A), ...g.others]);
  const pre = {};
  for (const a of accounts) {
    const storage = {};
    for (const k of Object.keys(contracts[a]?.storage || {})) storage[k] = await rpc("eth_getStorageAt", [a, k, "latest"]);
    pre[a] = { balance: await rpc("eth_getBalance", [a, "latest"]), nonce: await rpc("eth_getTransactionCount", [a, "latest"]), code: await rpc("eth_getCode", [a, "latest"]), storage };
  }
  // a delegation's target (an earlier case's contract, or sender's key
  // delegating in an earlier case) runs its code here: in the pre-state too
  for (const [a, acct] of Object.entries({ ...pre })) {
    if (!/^0xef0100[0-9a-f]{40}$/.test(acct.code)) continue;
    // its code runs on the account's storage: the slots the programs use
    for (let k = 0; k < 6; k++) {
      const key = "0x" + hexb(k, 32), v = await rpc("eth_getStorageAt", [a, key, "latest"]);
      if (BigInt(v)) acct.storage[key] = v;
    }
    const t = "0x" + acct.code.slice(8);
    if (!pre[t]) pre[t] = { balance: await rpc("eth_getBalance", [t, "latest"]), nonce: await rpc("eth_getTransactionCount", [t, "latest"]), code: await rpc("eth_getCode", [t, "latest"]), storage: {} };
  }
  const data = "0x" + Array.from({ length: ri(70) }, () => hexb(ri(256), 1)).join("");
  const gas = BigInt(pick([60000, 200000, 400000]));
  // the transaction: a call or a creation (its init code a random program);
  // EIP-1559, EIP-2930 with a random access list, or legacy
  const txo = { from: sender, to: CONTRACTS[0], gas: hex(gas), value: hex(pick([0, 0, 5, 1000])), data };
  if (ri(5) === 0) { delete txo.to; txo.data = program(); txo.gas = hex(400000n); } // above any intrinsic gas
  // 0: legacy, 1: EIP-2930, 2: EIP-1559, 3: EIP-1559 with an access list
  const kind = atLeast("london") ? ri(4) : atLeast("berlin") ? ri(2) : 0;
  if (kind <= 1) txo.gasPrice = hex(10n ** 10n);
  else { txo.maxFeePerGas = hex(10n ** 10n); txo.maxPriorityFeePerGas = hex(1n); }
  if (kind === 1 || kind === 3) {
    txo.accessList = Array.from({ length: ri(3) }, () => ({ address: pick([...CONTRACTS, EOA, A(pick(PRECOMPILES))]),
      storageKeys: Array.from({ length: ri(3) }, () => "0x" + hexb(ri(6), 32)) }));
  }
  if (txo.to && atLeast("prague") && ri(3) === 0) { // a set-code transaction
    if (!txo.maxFeePerGas) { delete txo.gasPrice; txo.maxFeePerGas = hex(10n ** 10n); txo.maxPriorityFeePerGas = hex(1n); }
    txo.authorizationList = Array.from({ length: 1 + ri(3) }, () => {
      const key = pick([SENDER_KEY, ...AUTH_KEYS, AUTH_KEYS[0]]);
      const signer = key === SENDER_KEY ? sender : AUTHORITIES[AUTH_KEYS.indexOf(key)];
      const stored = BigInt(pre[signer].nonce);
      const nonce = ri(5) ? stored + (signer === sender ? 1n : 0n) : pick([stored, stored + 1n, stored + 2n, 0n]);
      const chainId = pick([31337n, 31337n, 31337n, 0n, 7n]);
      const address = pick([...CONTRACTS, CONTRACTS[0], A(0), A(pick(PRECOMPILES)), ...AUTHORITIES, EOA]);
      const [, , , y, r, s] = U.eoaCode7702SignAuthorization({ chainId: hex(chainId), address, nonce: hex(nonce) }, U.hexToBytes(key));
      let yParity = U.bytesToBigInt(y);
      if (ri(12) === 0) yParity ^= 1n; // another signer, or none
      return { chainId: hex(chainId), address, nonce: hex(nonce), yParity: hex(yParity), r: hex(U.bytesToBigInt(r)), s: hex(U.bytesToBigInt(s)) };
    });
    txo.gas = hex(BigInt(txo.gas) + 25000n * BigInt(txo.authorizationList.length)); // above the intrinsic gas
    // the accounts the tuples name, in the pre-state too: anvil's state
    // takes an account it never saw for an existing empty one (an
    // authorization to it earns the refund of an existing authority), so
    // they enter it as such
    for (const t of txo.authorizationList) {
      let a;
      try { a = U.eoaCode7702RecoverAuthority(t).toString(); } catch { continue; }
      if (!pre[a]) pre[a] = { balance: await rpc("eth_getBalance", [a, "latest"]), nonce: await rpc("eth_getTransactionCount", [a, "latest"]), code: await rpc("eth_getCode", [a, "latest"]), storage: {} };
    }
  }
  const txHash = await rpc("eth_sendTransaction", [txo]);
  // anvil mines at once, but traces every step: on a loaded two-core
  // machine that took over 4 s for one case, so wait up to 60 s
  let receipt = null;
  for (const until = Date.now() + 60000; !receipt && Date.now() < until;) {
    receipt = await rpc("eth_getTransactionReceipt", [txHash]);
    if (!receipt) await new Promise((r) => setTimeout(r, 20));
  }
  if (!receipt) { console.log(`case ${c}: anvil mined no block in 60 s for ${JSON.stringify(txo).slice(0, 300)}`); process.exit(1); }
  if (receipt.status !== "0x1") failedTx++;
  const blk = await rpc("eth_getBlockByNumber", [receipt.blockNumber, false]);
  const raw = await rpc("eth_getRawTransactionByHash", [txHash]);
  // accounts the transaction reached that the case did not set up (code an
  // earlier case left behind, reached through a delegation that survives
  // in anvil's chain) go into the pre-state as anvil had them
  for (const [a, acct] of Object.entries(await rpc("debug_traceTransaction", [txHash, { tracer: "prestateTracer" }]))) {
    if (pre[a]) continue;
    pre[a] = { balance: acct.balance || "0x0", nonce: hex(acct.nonce || 0), code: acct.code || "0x", storage: acct.storage || {} };
  }
  const block = { number: blk.number, timestamp: blk.timestamp, gasLimit: blk.gasLimit, baseFee: blk.baseFeePerGas, coinbase: blk.miner, prevRandao: blk.mixHash, difficulty: blk.difficulty, parentHash: blk.parentHash, hash: blk.hash };
  if (blk.excessBlobGas) block.excessBlobGas = blk.excessBlobGas;
  const out = [];
  const files = [];
  let parityOutput = null; // parevm's, for ots_getTransactionError
  let tooBig = false;
  for (const [cname, cfg] of [["structLogs", { disableStorage: true }], ["prestate", { tracer: "prestateTracer", tracerConfig: { diffMode: true } }], ["call", { tracer: "callTracer", tracerConfig: { withLog: true } }], ["parity", null],
                              ["otsTrace", "trace"], ["otsOperations", "operations"]]) {
    const ots = typeof cfg === "string";
    const req = { fork: PFORK, chainId: 31337, pre, block, transactions: [raw], txIndex: 0, config: cfg };
    if (!cfg) { delete req.config; req.traceTypes = PARITY_TYPES; }
    if (ots) { delete req.config; req.otterscan = cfg; }
    const file = path.join(outDir, `case${c}.${cname}.json`);
    fs.writeFileSync(file, JSON.stringify(req));
    // parevm first: a step trace it finds too long is not asked of anvil,
    // which holds the whole trace in memory (over 20 GB for some cases,
    // until the kernel killed it and the run with it)
    let ours;
    try { ours = JSON.parse(execFileSync(parevm, ["trace", file], { maxBuffer: 1 << 30 }).toString()); }
    catch (e) { ours = ["ENOBUFS", "ERR_STRING_TOO_LONG"].includes(e.code) ? { huge: true } : { error: String(e.stdout || e) }; }
    if (ours.huge || (cname === "structLogs" && ours.result?.structLogs?.length > MAX_STEPS)) { fs.unlinkSync(file); tooBig = true; break; }
    let theirs;
    try {
      if (ots) theirs = await rpc(cfg === "trace" ? "ots_traceTransaction" : "ots_getInternalOperations", [txHash]);
      else if (cfg) theirs = await rpc("debug_traceTransaction", [txHash, cfg]);
      else { // Parity's trace_replayTransaction, as reth answers it
        [theirs] = await rpc("trace_replayBlockTransactions", [receipt.blockNumber, PARITY_TYPES]);
        delete theirs.transactionHash;
      }
    }
    catch (e) {
      // a trace past what node can hold as one string (over 512 MiB), or
      // as one buffer (4 GiB), is not compared
      if (e.code !== "ERR_STRING_TOO_LONG" && e.code !== "ERR_OUT_OF_RANGE") throw e;
      fs.unlinkSync(file);
      tooBig = true;
      break;
    }
    if (ours.error) { out.push(`${cname}: parevm error ${JSON.stringify(ours.error).slice(0, 300)}`); continue; }
    const rawTheirs = JSON.stringify(theirs); // saved as anvil answered, before the normalizations
    if (cname === "parity") parityOutput = ours.result.output;
    if (cname === "structLogs") {
      // what the block really charged (anvil's tracer may replay on another spec)
      if (BigInt(receipt.gasUsed) !== BigInt(ours.result.gas)) out.push(`receipt gasUsed ${BigInt(receipt.gasUsed)} parevm ${ours.result.gas}`);
      normStruct(theirs, ours.result); steps += theirs.structLogs?.length || 0;
    }
    else if (ots) {
      // Otterscan's views come from the Parity frames; anvil's trace lists
      // only the calls (parevm's the creations and self-destructs too)
      ours.result = ours.result.trace.filter((e) => cfg !== "trace" || !/^(CREATE|SELFDESTRUCT)/.test(e.type));
      // a self-destruct to itself of a contract not created in the
      // transaction (Cancun on) leaves revm no journal entry: anvil then
      // reports the last entry's beneficiary and value (another transfer's)
      // or zeros; parevm the beneficiary and the balance, as Erigon does
      if (cfg === "operations" && atLeast("cancun") && Array.isArray(theirs))
        ours.result.forEach((e, i) => {
          if (e.type === 1 && e.from === e.to && theirs[i]?.type === 1) { theirs[i].to = e.to; theirs[i].value = e.value; }
        });
    }
    else if (cname === "call") normCall(theirs, ours.result);
    else if (cfg) normPrestate(theirs, ours.result);
    else if (atLeast("cancun")) normParity(theirs, ours.result);
    const before = out.length;
    diff(theirs, ours.result, cname, out);
    if (out.length > before) { fs.writeFileSync(file.replace(/\.json$/, ".anvil.json"), rawTheirs); files.push(file); }
    else fs.unlinkSync(file);
  }
  if (tooBig) { huge++; continue; }
  // ots_getTransactionError: a failed transaction's revert data ("0x" for a
  // success or a halt), what parevm's node answers from the same replay
  if (parityOutput !== null) {
    const theirs = await rpc("ots_getTransactionError", [txHash]);
    const ours = receipt.status === "0x1" ? "0x" : parityOutput;
    if (theirs !== ours) out.push(`ots_getTransactionError: anvil ${theirs.slice(0, 140)} parevm ${ours.slice(0, 140)}`);
  }
  if (out.length) {
    bad++;
    console.log(`case ${c} (seed ${caseSeed}): ${out.length} differences; ${files.join(" ")}`);
    for (const l of out.slice(0, 8)) console.log("   " + l);
  }
}
console.log(`${CASES} cases, ${steps} steps, ${failedTx} failed transactions, ${huge} with a trace too large to compare, ${bad} differ; ${((Date.now() - t0) / 1000).toFixed(0)} s; out ${outDir}`);
console.log(`${CASES - bad - huge} passed, ${bad} failed`);
node.kill();
if (!bad && !opt("--out", null)) fs.rmSync(outDir, { recursive: true });
process.exit(bad ? 1 : 0);
