// Randomized differential of `parevm statetest` against EthereumJS, for every
// fork from Frontier to Osaka: each case is a GeneralStateTests file whose
// pre-state holds random programs (program.mjs) and whose transaction calls
// the first of them or creates a random one; EthereumJS's VM runs it and its
// post-state root and logs hash become the file's expectation, the way the
// fixtures' expectations come from another client. `parevm statetest` then
// runs the folder; a failing case is a difference to look at (EthereumJS is a
// reference, not the spec). BLOCKHASH follows the state-test convention
// (keccak256 of the number in decimal).
//
// From Cancun some transactions carry blobs (versioned hashes, a blob fee,
// a random excess blob gas); from Prague some are EIP-7702 set-code
// transactions whose authorizations are signed by the sender or by two other
// keys, for the case's contracts, precompiles, the zero address (clearing)
// or each other, with right and wrong nonces and chain ids and the odd bad
// signature; those keys' accounts may already hold a delegation, and the
// programs call, inspect and destroy them.
//
// EthereumJS comes with the npm tools (scripts/install-npm-tools.sh); --ejs
// is the folder whose node_modules hold it (.npm-tools). Exit status 0 when
// parevm passes every case (the last line is statetest's "N passed, N failed").
//
// With --trace every case's EIP-3155 trace and structLogs are also compared,
// step by step, with EthereumJS's (ejs_trace.mjs).
//
//   node ejs.mjs PAREVM --ejs DIR [--cases N] [--seed S] [--fork NAME|all] [--ops N] [--out DIR] [--trace] [--arith]
// (--arith: programs with runs of field arithmetic on one modulus)
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { generator } from "./program.mjs";
import { runStatetests } from "./statetests.mjs";
import { loadEjs, FORKS, at, KEY } from "./ejs_state.mjs";
import { TraceCheck } from "./ejs_trace.mjs";

const argv = process.argv.slice(2);
const parevm = argv[0];
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d; };
const CASES = Number(opt("--cases", 100));
const SEED = opt("--seed", String(Date.now()));
const FORK = opt("--fork", "all");
// the folder for the cases: --out, else a temporary one (removed when every case passed)
const outDir = opt("--out", null) ?? fs.mkdtempSync(path.join(os.tmpdir(), "ejs-fuzz-"));
const ejsDir = opt("--ejs", null);
const trace = argv.includes("--trace") ? new TraceCheck(parevm) : null; // also compare every step
if (!parevm || !ejsDir) { console.error("usage: node ejs.mjs PAREVM --ejs DIR [--cases N] [--seed S] [--fork NAME|all]"); process.exit(2); }
fs.mkdirSync(outDir, { recursive: true });
const { expectation, U } = await loadEjs(ejsDir);
const forks = FORK === "all" ? FORKS : FORKS.filter(([p]) => p === FORK);
if (!forks.length) { console.error(`unknown fork ${FORK}`); process.exit(2); }

const SENDER = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b";
const COINBASE = "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba";
// the other signers of EIP-7702 authorizations
const AUTH_KEYS = ["0x" + "11".repeat(32), "0x" + "22".repeat(32)];
const AUTHORITIES = AUTH_KEYS.map((k) => U.createAddressFromPrivateKey(U.hexToBytes(k)).toString());
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const g = generator({ seed: SEED, sender: SENDER, maxOps: Number(opt("--ops", 22)), skip: [10], arith: argv.includes("--arith") }); // EthereumJS runs KZG only with a trusted setup
const { ri, pick, hexb, A } = g;
const q = (v) => "0x" + BigInt(v).toString(16);
const b32 = (v) => "0x" + hexb(v, 32);

// One EIP-7702 tuple, mostly valid: a signer (the sender or an authority),
// the nonce it will have when the tuple is processed (the sender's is
// already raised), chain id 1 or 0; now and then a stale or future nonce,
// the highest (refused), another chain, a high s or a flipped y parity
// (which recovers another address).
function authorization(pre, contracts) {
  const key = pick([KEY, AUTH_KEYS[0], AUTH_KEYS[1], AUTH_KEYS[0]]);
  const signer = key === KEY ? SENDER : AUTHORITIES[AUTH_KEYS.indexOf(key)];
  const stored = pre[signer] ? BigInt(pre[signer].nonce) : 0n;
  const nonce = ri(5) ? stored + (signer === SENDER ? 1n : 0n) : pick([stored, stored + 1n, stored + 2n, 0n, (1n << 64n) - 1n]);
  const chainId = pick([1n, 1n, 1n, 0n, 7n]);
  const address = pick([...contracts, contracts[0], A(0), A(pick(g.PRECOMPILES)), ...AUTHORITIES, g.EOA]);
  const [, , , y, r, s] = U.eoaCode7702SignAuthorization({ chainId: q(chainId), address, nonce: q(nonce) }, U.hexToBytes(key));
  let yParity = U.bytesToBigInt(y), sv = U.bytesToBigInt(s);
  const bad = ri(12);
  if (bad === 0) { sv = SECP256K1_N - sv; yParity ^= 1n; } // the same signer with a high s: refused
  else if (bad === 1) yParity ^= 1n;                     // another signer, or none
  return { chainId: q(chainId), address, nonce: q(nonce), yParity: q(yParity), v: q(yParity), r: q(U.bytesToBigInt(r)), s: q(sv), signer };
}

function makeCase(fi) {
  const contracts = g.contracts = [0, 1, 2].map((i) => A(0xc0de00n + BigInt(i)));
  const pre = {};
  for (const a of contracts) {
    const storage = {};
    for (let k = 0; k < 6; k++) if (ri(2)) storage[b32(k)] = b32(pick([1, 2, ri(1000)]));
    pre[a] = { balance: q(pick([0, 1, 1000, 10 ** 9])), nonce: q(pick([0, 1, 1, 5])), code: ri(8) ? g.program() : "0x", storage };
    if (pre[a].code === "0x" && ri(2)) pre[a].nonce = "0x0";
  }
  pre[SENDER] = { balance: q(10n ** 20n), nonce: q(pick([0, 1, 7])), code: "0x", storage: {} };
  if (ri(3) === 0) pre[g.EOA] = { balance: q(pick([0, 1, 5])), nonce: "0x0", code: "0x", storage: {} };
  // EIP-7702 authorities: absent, plain, or already delegating (to a
  // contract, a precompile, the other authority, nothing that exists)
  g.others = [];
  if (at(fi, "Prague") && ri(3)) {
    for (const a of AUTHORITIES) {
      g.others.push(a);
      if (!ri(3)) continue;
      const target = pick([...contracts, A(pick(g.PRECOMPILES)), ...AUTHORITIES, g.EOA, A(0xdead)]);
      pre[a] = { balance: q(pick([0, 1, 10 ** 6])), nonce: q(pick([0, 1, 3])), code: ri(3) ? "0xef0100" + target.slice(2) : "0x", storage: {} };
    }
  }
  // precompiles that exist, some empty (EIP-161 touches them away; RIPEMD-160's exception)
  for (const p of [1, 2, 3, 4]) if (ri(6) === 0) pre[A(p)] = { balance: q(pick([0, 0, 1])), nonce: "0x0", code: "0x", storage: {} };
  const create = ri(5) === 0;
  const to = pick([contracts[0], contracts[0], contracts[0], contracts[0], contracts[0], contracts[0], contracts[1],
                   A(pick([1, 2, 3, 4, 5, 9])), g.EOA, A(0xdead)]);
  const t = { data: [create ? g.program() : "0x" + Array.from({ length: ri(70) }, () => hexb(ri(256), 1)).join("")],
              gasLimit: [q(pick([100000, 300000, 1000000]))], value: [q(pick([0, 0, 5, 1000]))],
              nonce: pre[SENDER].nonce, secretKey: KEY, sender: SENDER, to: create ? "" : to };
  let kind = at(fi, "London") ? ri(3) : at(fi, "Berlin") ? ri(2) : 0;
  if (!create && at(fi, "Cancun") && ri(4) === 0) kind = 3;
  if (!create && at(fi, "Prague") && ri(3) === 0) kind = 4;
  if (kind >= 2) { t.maxFeePerGas = q(10n ** 10n); t.maxPriorityFeePerGas = q(pick([1, 2, 1000])); }
  else t.gasPrice = q(10n ** 10n);
  if (kind === 3) {
    t.maxFeePerBlobGas = q(pick([1, 100, 10 ** 9]));
    const max = at(fi, "Prague") && !at(fi, "Osaka") ? 9 : 6; // per transaction: the block's maximum, EIP-7594's 6 from Osaka
    t.blobVersionedHashes = Array.from({ length: 1 + ri(max) }, () => "0x01" + hexb(BigInt("0x" + Array.from({ length: 31 }, () => hexb(ri(256), 1)).join("")), 31));
  }
  if (kind === 4) t.authorizationList = Array.from({ length: 1 + ri(3) }, () => authorization(pre, contracts));
  if (kind >= 1) t.accessLists = [Array.from({ length: ri(3) }, () => ({ address: pick([...contracts, g.EOA, A(pick(g.PRECOMPILES))]),
                                                                          storageKeys: Array.from({ length: ri(3) }, () => b32(ri(6))) }))];
  // the coinbase: a plain address, or a contract the programs call (and may destroy)
  const env = { currentCoinbase: ri(4) ? COINBASE : pick([contracts[1], contracts[2], g.EOA]), currentDifficulty: "0x020000", currentGasLimit: "0x05f5e100",
                currentNumber: q(1 + ri(300)), currentTimestamp: "0x03e8", currentBaseFee: "0x07",
                currentRandom: b32(2), currentExcessBlobGas: q(at(fi, "Cancun") && ri(3) === 0 ? pick([ri(10 ** 7), 131072 * ri(60)]) : 0) };
  return { env, pre, transaction: t };
}

let made = 0, skipped = 0;
const t0 = Date.now();
for (let c = 0; c < CASES; c++) {
  const [pname] = forks[c % forks.length];
  const fi = FORKS.findIndex(([p]) => p === pname);
  const caseSeed = g.seed();
  const test = makeCase(fi);
  let exp, steps = null;
  try { ({ exp, steps } = trace ? await trace.run(expectation, fi, test) : { exp: await expectation(fi, test) }); }
  catch (e) { skipped++; if (process.env.DEBUG) console.log(e); continue; } // an invalid transaction
  test.post = { [pname]: [{ hash: exp.hash, logs: exp.logs, indexes: { data: 0, gas: 0, value: 0 } }] };
  if (exp.exception) test.post[pname][0].expectException = exp.exception;
  test._info = { comment: `anvil_fuzz ejs case ${c}, generator seed ${caseSeed}, EthereumJS gas ${exp.gas}` };
  const file = path.join(outDir, `case${c}_${pname}.json`);
  fs.writeFileSync(file, JSON.stringify({ [`case${c}_${pname}`]: test }, null, 1));
  made++;
  if (trace) trace.check(file, test, steps);
}
const summary = runStatetests(parevm, outDir);
console.log(`${made} cases over ${forks.length} forks (${skipped} skipped: EthereumJS refused them); ${((Date.now() - t0) / 1000).toFixed(0)} s; cases in ${outDir}`);
console.log(summary);
if (trace) console.log(trace.summary());
const ok = made > 0 && made >= CASES * 0.9 && summary === `${made} passed, 0 failed` && (!trace || trace.ok(made));
if (ok && !opt("--out", null)) fs.rmSync(outDir, { recursive: true });
process.exit(ok ? 0 : 1);
