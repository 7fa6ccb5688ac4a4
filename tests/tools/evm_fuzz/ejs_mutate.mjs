// Mutation differential of `parevm statetest` against EthereumJS: each case
// is a real state test (ethereum/tests' GeneralStateTests and the EEST state
// tests of the fixtures) with one of its transactions (data, gas and value
// index), run on one of its forks or a later one, after one to three random
// mutations:
//   - of a contract's code, instruction-aware: another opcode in place of
//     one (PUSH data then turns into code), a PUSH operand set to an
//     interesting value, a random snippet (program.mjs) inserted, an
//     instruction deleted, a run of instructions copied elsewhere, the code
//     cut short;
//   - of the pre-state: a storage slot, a balance, an account turned into an
//     EIP-7702 delegation (from Prague);
//   - of the transaction: its gas limit (out of gas at a new place), its
//     calldata, its value, its access list.
// The code written by people and compilers that the fixtures hold, bent a
// little, reaches states the generated programs of ejs.mjs do not (deep call
// trees, loops, init code, real precompile inputs). EthereumJS's post-state
// root and logs hash become the case's expectation, as in ejs.mjs; a case
// EthereumJS refuses, or that calls the point evaluation precompile (KZG is
// not set up for it), is skipped.
//
//   node ejs_mutate.mjs PAREVM --ejs DIR [--cases N] [--seed S] [--out DIR] [--tests DIR]...
//                       [--stm-threads N] [--trace]
//
// --trace: every case's EIP-3155 trace and structLogs are also compared step
// by step with EthereumJS's (ejs_trace.mjs).
// --tests: folders of state tests (default: the fixtures' GeneralStateTests
// and EEST state_tests). Exit status 0 when parevm passes every case.
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { generator } from "./program.mjs";
import { runStatetests } from "./statetests.mjs";
import { loadEjs, FORKS } from "./ejs_state.mjs";
import { TraceCheck } from "./ejs_trace.mjs";

const argv = process.argv.slice(2);
const parevm = argv[0];
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d; };
const CASES = Number(opt("--cases", 200));
const SEED = opt("--seed", String(Date.now()));
// the folder for the cases: --out, else a temporary one (removed when every case passed)
const outDir = opt("--out", null) ?? fs.mkdtempSync(path.join(os.tmpdir(), "ejs-mutate-"));
const ejsDir = opt("--ejs", null);
const trace = argv.includes("--trace") ? new TraceCheck(parevm) : null;
if (!parevm || !ejsDir) { console.error("usage: node ejs_mutate.mjs PAREVM --ejs DIR [--cases N] [--seed S] [--tests DIR]..."); process.exit(2); }
const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, "../../../../shared/fixtures");
let testDirs = argv.flatMap((a, i) => (a === "--tests" ? [argv[i + 1]] : []));
if (!testDirs.length) testDirs = [path.join(fixtures, "ethereum-tests/GeneralStateTests"), path.join(fixtures, "eest")];
fs.mkdirSync(outDir, { recursive: true });

// Tests too slow to run thousands of times in EthereumJS, or whose point is
// their size.
const SLOW = /stTimeConsuming|stQuadraticComplexityTest|stMemoryStressTest|stAttackTest|vmPerformance|stStaticCall\/static_Call50000|stCreate2\/Create2Recursive|Call1024|Callcode1024|CallRecursiveBomb|RevertDepth|stReturnDataTest\/returndatacopy_after_revert_in_staticcall|modexp_upper_bounds/;
function collect(dir, out) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) collect(p, out);
    else if (e.name.endsWith(".json") && !SLOW.test(p) && fs.statSync(p).size < (1 << 20)) out.push(p);
  }
  return out;
}
const files = testDirs.flatMap((d) => collect(d, [])).sort();
if (!files.length) { console.error("no state tests found"); process.exit(2); }

const { expectation } = await loadEjs(ejsDir);
const g = generator({ seed: SEED, maxOps: 5, skip: [10] });
const { ri, pick, rnd } = g;
const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, "0")).join("");
const bytes = (h) => { h = h.replace(/^0x/, ""); const u = new Uint8Array(h.length / 2); for (let i = 0; i < u.length; i++) u[i] = parseInt(h.substr(2 * i, 2), 16); return u; };
const q = (v) => "0x" + BigInt(v).toString(16);
const b32 = (v) => "0x" + BigInt(v).toString(16).padStart(64, "0");

// Instructions of code: [offset, length] (a PUSH with its data).
function instructions(code) {
  const out = [];
  for (let pc = 0; pc < code.length;) {
    const op = code[pc];
    const n = op >= 0x60 && op <= 0x7f ? op - 0x5f : 0;
    out.push([pc, Math.min(1 + n, code.length - pc)]);
    pc += 1 + n;
  }
  return out;
}
const OPCODES = [...Array(0x0c).keys(), ...[0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x20],
  ...Array.from({ length: 0x20 }, (_, i) => 0x30 + i), ...Array.from({ length: 0x0f }, (_, i) => 0x50 + i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x5f + i), ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i), 0xa0, 0xa1, 0xa2, 0xa3, 0xa4,
  0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xfa, 0xfd, 0xfe, 0xff, 0x0c, 0x21, 0xef, 0xb0];
function operand(n) {
  const u = new Uint8Array(n);
  switch (ri(6)) {
    case 0: break;
    case 1: u.fill(0xff); break;
    case 2: u[n - 1] = pick([1, 2, 0x20, 0x40, 0xff, ri(256)]); break;
    case 3: u[0] = 0x80; break;
    default: for (let i = 0; i < n; i++) u[i] = ri(256);
  }
  return u;
}
function mutateCode(code) {
  const ins = instructions(code);
  if (!ins.length) return bytes(g.program());
  const [pc, len] = pick(ins);
  const cat = (...parts) => { const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out; };
  switch (ri(7)) {
    case 0: case 1: { const c = code.slice(); c[pc] = pick(OPCODES); return c; }
    case 2: { const pushes = ins.filter(([p, l]) => l > 1); if (!pushes.length) return code;
              const [p, l] = pick(pushes); const c = code.slice(); c.set(operand(l - 1), p + 1); return c; }
    case 3: return cat(code.subarray(0, pc), bytes(g.program()), code.subarray(pc));
    case 4: return cat(code.subarray(0, pc), code.subarray(pc + len));
    case 5: { const [from] = pick(ins); const k = 1 + ri(6); const end = ins.findIndex(([p]) => p === from) + k;
              const to = end < ins.length ? ins[end][0] : code.length; return cat(code.subarray(0, pc), code.subarray(from, to), code.subarray(pc)); }
    default: return code.subarray(0, pc + ri(len + 1));
  }
}

function pickCase(file) {
  const all = JSON.parse(fs.readFileSync(file));
  const name = pick(Object.keys(all));
  const t = all[name];
  const posts = Object.entries(t.post || {}).filter(([f, e]) => FORKS.some(([p]) => p === f) && e.length);
  if (!posts.length) return null;
  const [fork, entries] = pick(posts);
  const e = pick(entries);
  let fi = FORKS.findIndex(([p]) => p === fork);
  if (fi >= 12 && ri(3) === 0) fi += ri(FORKS.length - fi); // Cancun's tests on Prague or Osaka too
  const { data: d, gas: gi, value: v } = e.indexes;
  const tx = { ...t.transaction, data: [t.transaction.data[d]], gasLimit: [t.transaction.gasLimit[gi]], value: [t.transaction.value[v]] };
  if (t.transaction.accessLists) tx.accessLists = [t.transaction.accessLists[d] || []];
  const test = { env: t.env, pre: structuredClone(t.pre), transaction: tx };
  if (t.config) test.config = t.config;
  return { name, fi, test };
}

function mutate(test, fi) {
  const done = [];
  const pre = test.pre, tx = test.transaction;
  const coded = Object.keys(pre).filter((a) => pre[a].code && pre[a].code !== "0x" && !pre[a].code.startsWith("0xef01"));
  const to = tx.to && pre[tx.to.toLowerCase()] ? tx.to.toLowerCase() : null;
  g.contracts = coded.length ? coded : Object.keys(pre);
  const n = 1 + ri(4);
  for (let i = 0; i < n; i++) {
    const k = ri(14);
    if (k < 6 && coded.length) {
      const a = to && coded.includes(to) && ri(2) ? to : pick(coded); // the called code runs for sure
      pre[a].code = "0x" + hex(mutateCode(bytes(pre[a].code)));
      done.push(`code ${a.slice(0, 8)}`);
    } else if (k === 12 && fi >= FORKS.findIndex(([p]) => p === "Prague")) {
      // an account turned into an EIP-7702 delegation to another of the case's accounts
      // not on a precompile: execution-specs then runs the delegate's code
      // (disable_precompiles), EthereumJS (and geth) the precompile; no
      // authorization can ever be signed for one
      const a = pick(Object.keys(pre));
      if (BigInt(a) <= 0x100n) continue;
      pre[a].code = "0xef0100" + pick([...Object.keys(pre), "0x0000000000000000000000000000000000000001"]).slice(2);
      pre[a].storage = ri(2) ? pre[a].storage : {};
      done.push(`delegation ${a.slice(0, 8)}`);
    } else if (k === 13 && tx.accessLists) {
      const list = tx.accessLists[0] = [...tx.accessLists[0]];
      list.push({ address: pick(Object.keys(pre)), storageKeys: Array.from({ length: ri(3) }, () => b32(ri(8))) });
      done.push("access list");
    } else if (k < 7) {
      const a = pick(Object.keys(pre)), slots = Object.keys(pre[a].storage);
      const slot = slots.length && ri(2) ? pick(slots) : b32(ri(8));
      pre[a].storage[slot] = b32(pick([0, 1, 2, ri(1 << 16)]));
      done.push(`storage ${a.slice(0, 8)}`);
    } else if (k < 8) {
      const a = pick(Object.keys(pre));
      pre[a].balance = q(pick([0n, 1n, BigInt(ri(1e9)), BigInt(pre[a].balance) / 2n]));
      done.push(`balance ${a.slice(0, 8)}`);
    } else if (k < 10) {
      const gas = BigInt(tx.gasLimit[0]);
      const room = BigInt(test.env.currentGasLimit); // EthereumJS runs without the block's gas check
      const want = 21000n + (gas * BigInt(ri(1000))) / 1000n;
      tx.gasLimit = [q(want < room ? want : room)];
      done.push("gas");
    } else if (k < 11) {
      const d = bytes(tx.data[0]);
      const c = d.length && ri(3) ? d.slice() : new Uint8Array(ri(100));
      if (c.length) c[ri(c.length)] = ri(256);
      tx.data = ["0x" + hex(ri(4) ? c : c.subarray(0, ri(c.length + 1)))];
      done.push("calldata");
    } else {
      tx.value = [q(pick([0, 1, ri(1e6)]))];
      done.push("value");
    }
  }
  return done;
}

let made = 0, skipped = 0;
const t0 = Date.now();
for (let c = 0; made < CASES && c < CASES * 4; c++) {
  const file = files[Math.floor(rnd() * files.length)];
  let picked;
  try { picked = pickCase(file); } catch { picked = null; }
  if (!picked) { skipped++; continue; }
  const { name, fi, test } = picked;
  const what = mutate(test, fi);
  const pname = FORKS[fi][0];
  // EthereumJS runs without the block's gas check
  if (BigInt(test.transaction.gasLimit[0]) > BigInt(test.env.currentGasLimit)) { skipped++; continue; }
  // a sender whose code starts like a delegation but is not one (a code
  // mutation after a delegation one): EthereumJS takes any 0xef0100 prefix
  // as a delegation and runs the transaction; execution-specs and geth
  // accept only the exact 23-byte designator and refuse it (EIP-3607,
  // EIP-7702), as parevm does. Campaign seed 29, case 5787.
  const sender = String(test.transaction.sender || "").toLowerCase();
  const senderCode = Object.entries(test.pre).find(([a]) => a.toLowerCase() === sender)?.[1]?.code || "0x";
  if (/^0xef0100/i.test(senderCode) && senderCode.length !== 2 + 2 * 23) { skipped++; continue; }
  // a mutated loop may burn all its gas: EthereumJS runs about 1 Mgas/s
  if (BigInt(test.transaction.gasLimit[0]) > 12000000n) test.transaction.gasLimit = [q(12000000n)];
  let exp, steps = null;
  try { ({ exp, steps } = trace ? await trace.run(expectation, fi, test) : { exp: await expectation(fi, test) }); }
  catch (e) { skipped++; if (process.env.DEBUG) console.log(e); continue; }
  test.post = { [pname]: [{ hash: exp.hash, logs: exp.logs, indexes: { data: 0, gas: 0, value: 0 } }] };
  // a mutation may break a second rule: which one a client names first is
  // an order execution-specs and geth (whose names the fixtures use) do
  // not share; that both refuse the transaction is what counts
  if (exp.exception) test.post[pname][0].expectException = [exp.exception, ...["INTRINSIC_GAS_TOO_LOW",
    "INSUFFICIENT_MAX_FEE_PER_GAS", "INSUFFICIENT_MAX_FEE_PER_BLOB_GAS"].map((n) => "TransactionException." + n)
    .filter((n) => n !== exp.exception)].join("|");
  test._info = { comment: `ejs_mutate case ${c}: ${path.relative(fixtures, file)} ${name}; mutated ${what.join(", ")}; EthereumJS gas ${exp.gas}` };
  const out = path.join(outDir, `case${c}_${pname}.json`);
  fs.writeFileSync(out, JSON.stringify({ [`case${c}_${pname}`]: test }, null, 1));
  made++;
  if (trace) trace.check(out, test, steps);
}
// --stm-threads N: each case also runs as blocks, sequentially and with
// Block-STM on N threads, which must agree (statetest --block-stm)
const stm = opt("--stm-threads", null);
const summary = runStatetests(parevm, outDir, stm ? ["--block-stm", stm] : []);
console.log(`${made} cases from ${files.length} state test files (${skipped} skipped); ${((Date.now() - t0) / 1000).toFixed(0)} s; cases in ${outDir}`);
console.log(summary);
if (trace) console.log(trace.summary());
const ok = made > 0 && made >= CASES * 0.9 && summary === `${made} passed, 0 failed` && (!trace || trace.ok(made));
if (ok && !opt("--out", null)) fs.rmSync(outDir, { recursive: true });
process.exit(ok ? 0 : 1);
