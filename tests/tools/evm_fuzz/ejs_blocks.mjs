// Randomized block-level differential of parevm against EthereumJS, from
// Frontier to BPO2 and across the fixtures' transition networks (a fork at
// block 5 or at time 15,000, with the chain crossing it). Each case is a
// BlockchainTests file whose chain EthereumJS's block builder made. Its
// genesis holds random programs (program.mjs), four senders (now and then the
// last one without funds until a transaction pays it), the
// system contracts (EIP-4788, EIP-2935, EIP-7002, EIP-7251, their runtime
// code as the dev chain's genesis holds it) and, from Prague, a deposit
// contract that emits well-formed EIP-6110 deposit logs. Each of its 1 to 4
// blocks (5 or 6 across a fork at block 5) carries 0 to 12 transactions,
// now and then up to 52, from several senders (every type the fork takes:
// blob hashes, EIP-7702 authorizations signed by the senders or other keys,
// gas limits at EIP-7825's cap), calls to the request contracts with and
// without their fee, withdrawals, a random beacon root, coinbase and
// prevRandao. Before some blocks comes a sibling that must be rejected: the
// block with a transaction that EthereumJS refused appended, or with a
// header field changed (a root, the gas used, the bloom, the base fee, the
// blob gas fields, the timestamp, the requests). EthereumJS executes the
// blocks and writes their headers: state, receipts and requests roots, gas
// used, bloom, blob gas.
//
// parevm must accept every built block, reject every sibling (blocktest
// checks the reason too) and end at the same state, run four ways:
// `blocktest` sequentially, `blocktest --threads 2` (Block-STM with no
// sequential fallback; --stm-threads), `chaintest --stateless` (init +
// import into an LMDB store, then every block checked again from its
// execution witness alone, as parevm stateless does) and, for the chains from the Merge on written as
// blockchain_test_engine fixtures (in DIR/engine: the execution requests,
// now and then a payload of the wrong version or with a field missing),
// `enginetest` (engine_newPayloadVN through a node), again as
// blockchain_test_engine_x fixtures (DIR/engine_x: each pre-state a shared
// group in pre_alloc/, the genesis built from its environment; the chains
// without a transition), and block by block
// through `parevm t8n` as the execution-spec-tests' fillers drive a client
// (../t8n_chain.mjs: every result against the header). The sequential
// blocktest also writes each block's execution requests (--requests): those
// of every block from Prague on must be EthereumJS's. EthereumJS is a
// reference, not the spec: a failing case is a difference to look at.
//
// EthereumJS comes with the npm tools (scripts/install-npm-tools.sh); --ejs
// is the folder whose node_modules hold it (.npm-tools). Exit status 0 when
// every case passes all six runs.
//
//   node ejs_blocks.mjs PAREVM --ejs DIR [--cases N] [--seed S] [--fork NETWORK|all] [--ops N]
//                       [--stm-threads N (2)] [--out DIR]
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { generator } from "./program.mjs";

const argv = process.argv.slice(2);
const parevm = argv[0];
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d; };
const CASES = Number(opt("--cases", 40));
const SEED = opt("--seed", String(Date.now()));
const FORK = opt("--fork", "all");
const STM_THREADS = opt("--stm-threads", "2");
// the folder for the cases: --out, else a temporary one (removed when every case passed)
const outDir = opt("--out", null) ?? fs.mkdtempSync(path.join(os.tmpdir(), "ejs-blocks-"));
const ejsDir = opt("--ejs", null);
if (!parevm || !ejsDir) { console.error("usage: node ejs_blocks.mjs PAREVM --ejs DIR [--cases N] [--seed S] [--fork NAME|all]"); process.exit(2); }
fs.mkdirSync(outDir, { recursive: true });
const req = createRequire(path.join(path.resolve(ejsDir), "package.json"));
const load = (m) => import(req.resolve(m));
const { createVM, buildBlock } = await load("@ethereumjs/vm");
const { Common, Mainnet } = await load("@ethereumjs/common");
const { createLegacyTx, createAccessList2930Tx, createFeeMarket1559Tx, createBlob4844Tx, createEOACode7702Tx } = await load("@ethereumjs/tx");
const U = await load("@ethereumjs/util");
const { createBlock, genTransactionsTrieRoot } = await load("@ethereumjs/block");
const { RLP } = await load("@ethereumjs/rlp");
// keccak from the @noble/hashes EthereumJS itself uses (the tools' top-level one is older)
const { keccak_256: keccak256 } = await import(createRequire(req.resolve("@ethereumjs/util")).resolve("@noble/hashes/sha3.js"));
const { MerklePatriciaTrie } = await load("@ethereumjs/mpt");
const { MerkleStateManager } = await load("@ethereumjs/statemanager");

// parevm's network name, EthereumJS's hardfork
const FORKS = [["Frontier", "chainstart"], ["Homestead", "homestead"], ["EIP150", "tangerineWhistle"],
  ["EIP158", "spuriousDragon"], ["Byzantium", "byzantium"], ["Constantinople", "constantinople"],
  ["ConstantinopleFix", "petersburg"], ["Istanbul", "istanbul"], ["Berlin", "berlin"], ["London", "london"], ["Paris", "paris"], ["Shanghai", "shanghai"], ["Cancun", "cancun"], ["Prague", "prague"],
  ["Osaka", "osaka"], ["BPO1", "bpo1"], ["BPO2", "bpo2"]];
// the fixtures' transition networks: [name, fork before, fork after, block number or timestamp]
const OSAKA_CAP = 1n << 24n; // EIP-7825's transaction gas limit cap
const TRANSITIONS = [["FrontierToHomesteadAt5", "Frontier", "Homestead", 5], ["HomesteadToEIP150At5", "Homestead", "EIP150", 5],
  ["EIP158ToByzantiumAt5", "EIP158", "Byzantium", 5], ["ByzantiumToConstantinopleFixAt5", "Byzantium", "ConstantinopleFix", 5],
  ["ConstantinopleFixToIstanbulAt5", "ConstantinopleFix", "Istanbul", 5], ["BerlinToLondonAt5", "Berlin", "London", 5],
  ["ParisToShanghaiAtTime15k", "Paris", "Shanghai", 15000], ["ShanghaiToCancunAtTime15k", "Shanghai", "Cancun", 15000],
  ["CancunToPragueAtTime15k", "Cancun", "Prague", 15000], ["PragueToOsakaAtTime15k", "Prague", "Osaka", 15000],
  ["OsakaToBPO1AtTime15k", "Osaka", "BPO1", 15000], ["BPO1ToBPO2AtTime15k", "BPO1", "BPO2", 15000]];
const NETWORKS = [...FORKS.map(([p]) => [p, p, p, 0]), ...TRANSITIONS];
const networks = FORK === "all" ? NETWORKS : NETWORKS.filter(([p]) => p === FORK);
if (!networks.length) { console.error(`unknown fork ${FORK}`); process.exit(2); }
const forkIndex = (name) => FORKS.findIndex(([p]) => p === name);
const at = (fi, name) => fi >= forkIndex(name);
const byTime = (fi) => at(fi, "Shanghai");

// EthereumJS's Common for a network: its forks up to the first at genesis,
// the rest up to the second at the transition (the DAO fork left out)
function networkCommon([, first, second, when]) {
  const names = FORKS.map(([, h]) => h), last = forkIndex(second);
  const hardforks = Mainnet.hardforks.filter(({ name }) => name !== "dao" && name !== "mergeNetsplitBlock").flatMap(({ name }) => {
    let i = names.indexOf(name);
    if (i < 0) { // a difficulty-bomb delay: with the fork before it
      const order = Mainnet.hardforks.map((h) => h.name);
      i = names.findLastIndex((h) => order.indexOf(h) < order.indexOf(name)) + 0.5;
    }
    if (i > last) return [];
    const t = i <= forkIndex(first) ? 0 : when;
    return [byTime(Math.ceil(i)) ? { name, block: null, timestamp: t } : { name, block: t }];
  });
  const kzg = new Proxy({}, { get: () => () => { throw new Error("KZG is not available here"); } });
  return new Common({ chain: { ...Mainnet, hardforks }, hardfork: FORKS[forkIndex(first)][1], customCrypto: { kzg } });
}

// The system contracts' runtime code: the dev chain's genesis table in parevm's source
const here = path.dirname(fileURLToPath(import.meta.url));
const devSource = fs.readFileSync(path.join(here, "../../../src/node/node_dev.c"), "utf8");
const SYSTEM = Object.fromEntries([...devSource.matchAll(/\{"([0-9a-f]{40})",\s*((?:"[0-9a-f]+"\s*)+)\}/g)]
  .map(([, a, parts]) => ["0x" + a, "0x" + parts.replace(/[^0-9a-f]/g, "")]));
const BEACON_ROOTS = "0x000f3df6d732807ef1319fb7b8bb8522d0beac02", HISTORY = "0x0000f90827f1c53a10cb7a02335b175320002935";
const WITHDRAWALS = "0x00000961ef480eb55e80d19ad83579a64c007002", CONSOLIDATIONS = "0x0000bbddc7ce488642fb579f8b00f3a590007251";
const DEPOSITS = "0x00000000219ab540356cbb839cbe05303d7705fa"; // mainnet's deposit contract, which Prague's EIP-6110 watches
if (Object.keys(SYSTEM).length !== 4 || !SYSTEM[WITHDRAWALS]) { console.error("system contract table not found in node_dev.c"); process.exit(2); }

const KEYS = ["0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8", "0x" + "33".repeat(32),
  "0x" + "44".repeat(32), "0x" + "55".repeat(32)];
const SENDERS = KEYS.map((k) => U.createAddressFromPrivateKey(U.hexToBytes(k)).toString());
const AUTH_KEYS = [...KEYS, "0x" + "11".repeat(32), "0x" + "22".repeat(32)];
const AUTHORITIES = AUTH_KEYS.map((k) => U.createAddressFromPrivateKey(U.hexToBytes(k)).toString());
const g = generator({ seed: SEED, sender: SENDERS[0], maxOps: Number(opt("--ops", 22)), skip: [10] }); // EthereumJS runs KZG only with a trusted setup
const { ri, pick, hexb, A } = g;
const q = (v) => "0x" + BigInt(v).toString(16);
const b32 = (v) => "0x" + hexb(v, 32);
const randomBytes = (n) => "0x" + Array.from({ length: n }, () => hexb(ri(256), 1)).join("");

// A deposit contract: copies a DepositEvent's 576 data bytes (EIP-6110's
// layout) from its code, puts the call data's first 48 bytes in the pubkey,
// logs them under the deposit topic.
function depositContract() {
  const word = (v) => hexb(v, 32);
  const padded = (hex, n) => word(n) + hex.padEnd(Math.ceil(n / 32) * 64, "0");
  const field = (n) => randomBytes(n).slice(2);
  const data = word(160) + word(256) + word(320) + word(384) + word(512) + padded(field(48), 48) + padded(field(32), 32) +
               padded(field(8), 8) + padded(field(96), 96) + padded(field(8), 8);
  const topic = "649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5";
  // PUSH2 576 PUSH2 0x35 PUSH0 CODECOPY; PUSH1 48 PUSH0 PUSH1 0xc0 CALLDATACOPY;
  // PUSH32 topic PUSH2 576 PUSH0 LOG1 STOP; then the data, at 0x35
  const prefix = "610240" + "610035" + "5f39" + "60305f60c037" + "7f" + topic + "6102405fa100";
  if (prefix.length / 2 !== 0x35) throw new Error("deposit contract layout");
  return "0x" + prefix + data;
}

function makeGenesis(fi) {
  const contracts = g.contracts = [0, 1, 2, 3].map((i) => A(0xc0de00n + BigInt(i)));
  const pre = {};
  for (const a of contracts) {
    const storage = {};
    for (let k = 0; k < 6; k++) if (ri(2)) storage[b32(k)] = b32(pick([1, 2, ri(1000)]));
    pre[a] = { balance: q(pick([0, 1, 1000, 10 ** 9])), nonce: q(pick([1, 1, 5])), code: g.program(), storage };
  }
  for (const s of SENDERS) pre[s] = { balance: q(10n ** 24n), nonce: q(pick([0, 1, 7])), code: "0x", storage: {} };
  // now and then the last sender starts with nothing: its transactions come after another pays it (the
  // builder drops the ones before), and Block-STM may run them first, invalid, then again
  if (!ri(3)) pre[SENDERS[3]].balance = "0x0";
  const system = [];
  if (at(fi, "Cancun")) system.push(BEACON_ROOTS);
  if (at(fi, "Prague")) system.push(HISTORY, WITHDRAWALS, CONSOLIDATIONS);
  for (const a of system) pre[a] = { balance: "0x0", nonce: "0x1", code: SYSTEM[a], storage: {} };
  if (at(fi, "Prague")) pre[DEPOSITS] = { balance: "0x0", nonce: "0x1", code: depositContract(), storage: {} };
  // the other EIP-7702 authorities: absent, plain, or already delegating
  if (at(fi, "Prague"))
    for (const a of AUTHORITIES.slice(4)) {
      if (!ri(2)) continue;
      const target = pick([...contracts, A(pick(g.PRECOMPILES)), ...AUTHORITIES, A(0xdead)]);
      pre[a] = { balance: q(pick([1, 10 ** 6])), nonce: q(pick([0, 1, 3])), code: ri(3) ? "0xef0100" + target.slice(2) : "0x", storage: {} };
    }
  g.others = [...SENDERS.slice(1), ...AUTHORITIES.slice(4), ...system, ...(at(fi, "Prague") ? [DEPOSITS] : [])];
  return pre;
}

// One EIP-7702 tuple, mostly valid for the nonce its signer will have.
async function authorization(sm, sender) {
  const i = ri(AUTH_KEYS.length);
  const signer = AUTHORITIES[i];
  const acc = await sm.getAccount(U.createAddressFromString(signer));
  const stored = acc ? acc.nonce : 0n;
  const nonce = ri(5) ? stored + (signer === sender ? 1n : 0n) : pick([stored, stored + 1n, stored + 2n, 0n]);
  const chainId = pick([1n, 1n, 1n, 0n, 7n]);
  const address = pick([...g.contracts, A(0), A(pick(g.PRECOMPILES)), ...AUTHORITIES, DEPOSITS, WITHDRAWALS]);
  const [, , , y, r, s] = U.eoaCode7702SignAuthorization({ chainId: q(chainId), address, nonce: q(nonce) }, U.hexToBytes(AUTH_KEYS[i]));
  let yParity = U.bytesToBigInt(y);
  if (ri(12) === 0) yParity ^= 1n; // another signer, or none
  return { chainId: q(chainId), address, nonce: q(nonce), yParity: q(yParity), r: q(U.bytesToBigInt(r)), s: q(U.bytesToBigInt(s)) };
}

// A random transaction from sender k with its current nonce.
async function makeTx(fi, blockCommon, sm, k) {
  const sender = SENDERS[k];
  const nonce = (await sm.getAccount(U.createAddressFromString(sender)))?.nonce ?? 0n;
  const create = ri(8) === 0;
  const request = at(fi, "Prague") && ri(5) === 0;
  let to = pick([...g.contracts, g.contracts[0], A(pick([1, 2, 3, 4, 5, 9])), g.EOA, pick(SENDERS), A(0xdead)]);
  let data = randomBytes(ri(70)), value = BigInt(pick([0, 0, 5, 1000]));
  if (SENDERS.includes(to) && !ri(3)) value = 10n ** 20n; // enough to fund a sender that started with nothing
  if (request) { // a withdrawal or consolidation request (56 or 96 bytes), a deposit, or a fee query
    to = pick([WITHDRAWALS, CONSOLIDATIONS, DEPOSITS]);
    data = pick([randomBytes(to === WITHDRAWALS ? 56 : 96), randomBytes(to === WITHDRAWALS ? 56 : 96), "0x", randomBytes(48)]);
    value = BigInt(pick([0, 1, 2, 1000, 10 ** 6]));
  }
  // now and then at EIP-7825's cap (2^24) or just above it
  const gasLimit = BigInt(ri(40) ? pick([21000, 60000, 100000, 300000, 1000000]) : pick([1 << 24, (1 << 24) + 1]));
  // EthereumJS will not even make one over the cap at Osaka: made as Prague's, refused below
  let common = blockCommon;
  if (gasLimit > OSAKA_CAP && at(fi, "Osaka")) { common = blockCommon.copy(); common.setHardfork("prague"); }
  const base = { nonce, gasLimit, value, data: create ? g.program() : data, to: create ? undefined : to };
  let kind = at(fi, "London") ? ri(3) : at(fi, "Berlin") ? ri(2) : 0;
  if (!create && at(fi, "Cancun") && ri(5) === 0) kind = 3;
  if (!create && at(fi, "Prague") && ri(4) === 0) kind = 4;
  const accessList = Array.from({ length: ri(3) }, () => ({ address: pick([...g.contracts, g.EOA, A(pick(g.PRECOMPILES))]),
    storageKeys: Array.from({ length: ri(3) }, () => b32(ri(6))) }));
  const fees = { maxFeePerGas: 10n ** 12n, maxPriorityFeePerGas: BigInt(pick([0, 1, 2, 1000, 10 ** 9])), accessList, chainId: 1n };
  let tx;
  if (kind === 4) tx = createEOACode7702Tx({ ...base, ...fees, authorizationList: await Promise.all(Array.from({ length: 1 + ri(3) }, () => authorization(sm, sender))) }, { common });
  else if (kind === 3) {
    const max = at(fi, "Osaka") ? 6 : at(fi, "Prague") ? 9 : 6;
    const blobVersionedHashes = Array.from({ length: 1 + ri(max) }, () => "0x01" + randomBytes(31).slice(2));
    tx = createBlob4844Tx({ ...base, ...fees, maxFeePerBlobGas: BigInt(pick([10 ** 3, 10 ** 9, 10 ** 12])), blobVersionedHashes }, { common });
  } else if (kind === 2) tx = createFeeMarket1559Tx({ ...base, ...fees }, { common });
  else if (kind === 1) tx = createAccessList2930Tx({ ...base, gasPrice: 10n ** 12n, accessList, chainId: 1n }, { common });
  else tx = createLegacyTx({ ...base, gasPrice: 10n ** 12n }, { common });
  return tx.sign(U.hexToBytes(KEYS[k]));
}

// EthereumJS's refusals of a transaction when building, whether it is a blob
// transaction, and the fixtures' names for the block that holds it anyway.
// The block checks come first in EthereumJS, so a transaction over the
// block's limits may also have too little gas for its intrinsic cost.
const INTRINSIC = "TransactionException.INTRINSIC_GAS_TOO_LOW";
const REFUSALS = [[/^INTRINSIC_GAS_TOO_LOW/, false, INTRINSIC],
  [/higher gas limit than the remaining gas in the block/, false, `TransactionException.GAS_ALLOWANCE_EXCEEDED|${INTRINSIC}`],
  [/block blob gas limit reached/, true, "TransactionException.TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED|" +
                                          `BlockException.INCORRECT_BLOB_GAS_USED|BlockException.BLOB_GAS_USED_ABOVE_LIMIT|${INTRINSIC}`]];

// The block's RLP with tx appended to its transactions (and their root): the
// rest of the header describes the block without it.
async function withTransaction(common, block, tx) {
  const raw = block.raw();
  const txs = [...block.transactions, tx];
  raw[0] = [...raw[0]];
  raw[0][4] = await genTransactionsTrieRoot(txs, new MerklePatriciaTrie({ common }));
  raw[1] = txs.map((t) => (t.type === 0 ? t.raw() : t.serialize()));
  return U.bytesToHex(RLP.encode(raw));
}

// A header field changed so that the block must be rejected: [name, the
// header's field index (RLP order), the new value from the old, the fixtures'
// name for the rejection, the first fork with the field]
const bump = (v, d) => U.bigIntToUnpaddedBytes(U.bytesToBigInt(v) + BigInt(d));
const TAMPERS = [
  ["stateRoot", 3, () => U.hexToBytes(randomBytes(32)), "BlockException.INVALID_STATE_ROOT", "Frontier"],
  ["receiptTrie", 5, () => U.hexToBytes(randomBytes(32)), "BlockException.INVALID_RECEIPTS_ROOT", "Frontier"],
  ["logsBloom", 6, (v) => { const b = new Uint8Array(v); b[ri(256)] ^= 1 << ri(8); return b; }, "BlockException.INVALID_LOG_BLOOM", "Frontier"],
  ["gasUsed", 10, (v) => bump(v, 1), "BlockException.INVALID_GAS_USED", "Frontier"],
  ["timestamp", 11, () => null, "BlockException.INVALID_BLOCK_TIMESTAMP_OLDER_THAN_PARENT", "Frontier"],
  ["difficulty", 7, (v) => bump(v, 1), "BlockException.INVALID_DIFFICULTY", "Frontier"],
  ["baseFeePerGas", 15, (v) => bump(v, 1), "BlockException.INVALID_BASEFEE_PER_GAS", "London"],
  ["withdrawalsRoot", 16, () => U.hexToBytes(randomBytes(32)), "BlockException.INVALID_WITHDRAWALS_ROOT", "Shanghai"],
  ["blobGasUsed", 17, (v) => bump(v, 131072), "BlockException.INCORRECT_BLOB_GAS_USED|BlockException.BLOB_GAS_USED_ABOVE_LIMIT", "Cancun"],
  ["excessBlobGas", 18, (v) => bump(v, 1), "BlockException.INCORRECT_EXCESS_BLOB_GAS", "Cancun"],
  ["requestsHash", 20, null, "BlockException.INVALID_REQUESTS", "Prague"],
];

// The block's RLP with one header field changed (the timestamp to the
// parent's, the requests hash to that of other requests, which the Engine
// API's payload carries instead); the requests it stands for.
function tampered(block, parent, [, index, change], requests) {
  const raw = block.raw();
  raw[0] = [...raw[0]];
  if (index === 20) requests = otherRequests(requests);
  raw[0][index] = index === 11 ? parent.raw()[0][11] : index === 20 ? requestsHash(requests) : change(raw[0][index]);
  return { rlp: U.bytesToHex(RLP.encode(raw)), requests };
}

// EIP-7685's commitment to [type, data] requests (the empty ones left out)
const sha256 = (...parts) => new Uint8Array(crypto.createHash("sha256").update(Buffer.concat(parts)).digest());
const requestsHash = (list) => sha256(...list.filter(([, d]) => d.length).map(([t, d]) => sha256(Buffer.from([t]), d)));

// Requests that differ from list: a byte changed, or one request more.
function otherRequests(list) {
  const l = list.map(([t, d]) => [t, new Uint8Array(d)]);
  const full = l.filter(([, d]) => d.length);
  if (full.length && ri(2)) { const [, d] = pick(full); d[ri(d.length)] ^= 1 << ri(8); return l; }
  const t = ri(3), extra = U.hexToBytes(randomBytes([192, 76, 116][t]));
  const at = l.find(([x]) => x === t);
  if (at) at[1] = new Uint8Array([...at[1], ...extra]);
  else l.push([t, extra]);
  return l.sort((a, b) => a[0] - b[0]);
}

// engine_newPayloadV<version> and its parameters for a block (its RLP) of
// fork fi, with its requests (Prague on), as execution-spec-tests'
// blockchain_test_engine fixtures write it; null before the Merge, or for a
// header the payload cannot carry (a withdrawals root of its own), or one
// whose tampered timestamp falls in the fork before (its payload would be of
// the wrong version: -32602).
function enginePayload(rlpHex, fi, requests, tamper, transition) {
  if (!at(fi, "Paris") || tamper === "withdrawalsRoot" || (tamper === "timestamp" && transition)) return null;
  const [h, txs, , withdrawals] = RLP.decode(U.hexToBytes(rlpHex));
  const qty = (b) => q(U.bytesToBigInt(b));
  const hex = (b) => U.bytesToHex(b);
  const p = { parentHash: hex(h[0]), feeRecipient: hex(h[2]), stateRoot: hex(h[3]), receiptsRoot: hex(h[5]), logsBloom: hex(h[6]),
              prevRandao: hex(h[13]), blockNumber: qty(h[8]), gasLimit: qty(h[9]), gasUsed: qty(h[10]), timestamp: qty(h[11]),
              extraData: hex(h[12]), baseFeePerGas: qty(h[15]), blockHash: hex(keccak256(RLP.encode(h))),
              transactions: txs.map((t) => hex(Array.isArray(t) ? RLP.encode(t) : t)) };
  const version = at(fi, "Prague") ? 4 : at(fi, "Cancun") ? 3 : at(fi, "Shanghai") ? 2 : 1;
  if (version >= 2) p.withdrawals = withdrawals.map(([index, validatorIndex, address, amount]) =>
    ({ index: qty(index), validatorIndex: qty(validatorIndex), address: hex(address), amount: qty(amount) }));
  const params = [p];
  if (version >= 3) {
    p.blobGasUsed = qty(h[17]);
    p.excessBlobGas = qty(h[18]);
    const hashes = txs.filter((t) => !Array.isArray(t) && t[0] === 3).flatMap((t) => RLP.decode(t.subarray(1))[10].map(hex));
    params.push(hashes, hex(h[19]));
  }
  if (version >= 4) params.push(requests.filter(([, d]) => d.length).map(([t, d]) => hex(new Uint8Array([t, ...d]))));
  return { params, newPayloadVersion: String(version), forkchoiceUpdatedVersion: String(Math.min(version, 3)) };
}

async function makeCase(network) {
  const common = networkCommon(network);
  const transition = network[1] !== network[2];
  let fi = forkIndex(network[1]);
  const pre = makeGenesis(forkIndex(network[2]));
  const sm = new MerkleStateManager({ common });
  for (const [a, acc] of Object.entries(pre)) {
    const address = U.createAddressFromString(a);
    await sm.putAccount(address, U.createAccount({ nonce: BigInt(acc.nonce), balance: BigInt(acc.balance) }));
    if (acc.code !== "0x") await sm.putCode(address, U.hexToBytes(acc.code));
    for (const [k, v] of Object.entries(acc.storage))
      await sm.putStorage(address, U.setLengthLeft(U.hexToBytes(k), 32), U.unpadBytes(U.hexToBytes(v)));
  }
  // a transition by time comes within the first blocks
  const genesisTime = transition && byTime(forkIndex(network[2])) ? BigInt(network[3] - pick([1, 12, 30, 100])) : 1000n;
  // from the Merge on, without a transition, the genesis EEST builds from an environment (timestamp 0,
  // extraData 0x00, no mixHash): the engine fixture is then written as blockchain_test_engine_x too
  const eestGenesis = !transition && at(fi, "Paris");
  const mixHash = b32(ri(1000));
  const gh = { number: 0n, gasLimit: BigInt(pick([30_000_000, 36_000_000, 60_000_000])), timestamp: eestGenesis ? 0n : genesisTime,
               difficulty: at(fi, "Paris") ? 0n : 0x20000n, stateRoot: await sm.getStateRoot(),
               mixHash: eestGenesis ? b32(0) : mixHash, ...(eestGenesis ? { extraData: "0x00" } : {}) };
  if (at(fi, "London")) gh.baseFeePerGas = BigInt(pick([7, 10 ** 9, 3 * 10 ** 10]));
  if (at(fi, "Cancun")) gh.excessBlobGas = BigInt(pick([0, 0, 131072 * ri(40), ri(10 ** 7)]));
  const genesis = createBlock({ header: gh }, { common, skipConsensusFormatValidation: true });
  const chain = [genesis];
  const blockchain = { getBlock: async (n) => chain[Number(n)], putBlock: async () => {}, shallowCopy() { return this; },
                       validateHeader: async () => {} };
  let vm = await createVM({ common, stateManager: sm, blockchain });
  let rejected = 0;
  const blocks = []; // the blocks of the file: before a built block, now and then a sibling that must be rejected
  const payloads = []; // the same as Engine API payloads (from the Merge on)
  const nBlocks = transition && !byTime(forkIndex(network[2])) ? network[3] + ri(2) : 1 + ri(4);
  for (let b = 1; b <= nBlocks; b++) {
    const parent = chain[b - 1];
    const timestamp = parent.header.timestamp + BigInt(pick([1, 12, 12, 100]));
    const before = common.hardfork();
    common.setHardforkBy({ blockNumber: BigInt(b), timestamp });
    fi = forkIndex(FORKS.find(([, h]) => h === common.hardfork())[0]);
    // a new VM at a fork: EthereumJS's EVM sets up its BLS12-381 backend (EIP-2537) only when made
    if (common.hardfork() !== before) vm = await createVM({ common, stateManager: sm, blockchain });
    const headerData = { timestamp, mixHash: b32(ri(1 << 30)),
                         coinbase: pick(["0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba", "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
                                         g.contracts[1], SENDERS[1]]) };
    if (at(fi, "Cancun")) headerData.parentBeaconBlockRoot = randomBytes(32);
    // EIP-1559's fork block doubles the gas limit (the builder means to, but keeps the parent's)
    if (common.hardforkBlock("london") === BigInt(b)) headerData.gasLimit = parent.header.gasLimit * 2n;
    const withdrawals = at(fi, "Shanghai") ? Array.from({ length: ri(4) }, (_, i) => ({
      index: BigInt(b * 16 + i), validatorIndex: BigInt(ri(1000)), amount: BigInt(pick([1, 1000, 32 * 10 ** 9, ri(10 ** 6)])),
      address: pick([...g.contracts, ...SENDERS, A(0xbeef00 + ri(3)), WITHDRAWALS, A(pick(g.PRECOMPILES))]) })) : undefined;
    // before the Merge the difficulty follows the parent's (the proof of work is not checked: NoProof)
    const blockOpts = { putBlockIntoBlockchain: false, ...(at(fi, "Paris") ? {} : { calcDifficultyFromHeader: parent.header }) };
    const builder = await buildBlock(vm, { parentBlock: parent, headerData, withdrawals, blockOpts });
    const nTx = ri(5) ? ri(13) : 13 + ri(40); // now and then a fuller block, for Block-STM's conflicts
    let bad = null;
    for (let t = 0; t < nTx; t++) {
      const tx = await makeTx(fi, common, sm, ri(SENDERS.length));
      if (tx.gasLimit > OSAKA_CAP && at(fi, "Osaka")) { bad = { tx, exception: "TransactionException.GAS_LIMIT_EXCEEDS_MAXIMUM" }; continue; }
      try { await builder.addTransaction(tx, { allowNoBlobs: true }); }
      catch (e) {
        rejected++;
        if (process.env.DEBUG) console.log(e.message);
        const refusal = REFUSALS.find(([re, blob]) => re.test(e.message) && blob === (tx.type === 3));
        if (refusal) bad = { tx, exception: refusal[2] };
      }
    }
    const { block, requests: built } = await builder.build();
    const requests = (built || []).map((r) => [r.type, r.data]);
    // its nonce must still be the sender's after the block (no later transaction or authorization took it)
    if (bad && bad.tx.nonce !== (await sm.getAccount(bad.tx.getSenderAddress()))?.nonce) bad = null;
    // each block of the file, and its payload for the Engine API file
    const add = (rlp, reqs, expectException, tamper) => {
      blocks.push(expectException ? { rlp, expectException } : { rlp });
      const e = enginePayload(rlp, fi, reqs, tamper, transition);
      // now and then first with the version of the fork before or after: -38005 (Unsupported fork)
      if (e && e.newPayloadVersion >= "3" && ri(6) === 0)
        payloads.push({ ...e, params: e.newPayloadVersion === "4" ? e.params.slice(0, 3) : [...e.params, []],
                        newPayloadVersion: e.newPayloadVersion === "4" ? "3" : "4", errorCode: -38005 });
      // or with a field of the payload missing: -32602 (Invalid params)
      if (e && ri(12) === 0) {
        const { [pick(Object.keys(e.params[0]))]: gone, ...rest } = e.params[0];
        payloads.push({ ...e, params: [rest, ...e.params.slice(1)], errorCode: -32602 });
      }
      if (e) payloads.push(expectException ? { ...e, validationError: expectException } : e);
      if (expectException) stats["invalid blocks"]++;
    };
    if (bad) add(await withTransaction(common, block, bad.tx), requests, bad.exception); // the refused transaction appended
    const tamper = pick(TAMPERS.filter(([name, , , , from]) => at(fi, from) && (name !== "difficulty" || !at(fi, "Paris"))));
    if (ri(3) === 0) {
      const t = tampered(block, parent, tamper, requests);
      add(t.rlp, t.requests, tamper[3], tamper[0]);
    }
    add(U.bytesToHex(block.serialize()), requests);
    if (at(fi, "Prague")) // what blocktest --requests must give for it
      ejsRequests.set(U.bytesToHex(block.hash()), requests.filter(([, d]) => d.length).map(([t, d]) => U.bytesToHex(new Uint8Array([t, ...d]))));
    for (const [type, data] of requests) stats[["deposits", "withdrawal requests", "consolidations"][type]] += data.length / [192, 76, 116][type];
    for (const tx of block.transactions) if (tx.type === 3 || tx.type === 4) stats[tx.type === 3 ? "blob txs" : "set-code txs"]++;
    if (pre[SENDERS[3]].balance === "0x0")
      stats["txs of a sender paid in the block"] += block.transactions.filter((tx) => tx.getSenderAddress().toString() === SENDERS[3]).length;
    stats.withdrawals += block.withdrawals ? block.withdrawals.length : 0;
    chain.push(block);
  }
  const last = chain[chain.length - 1];
  // what both formats hold; then BlockchainTests' blocks, the engine fixtures' payloads (from the Merge on)
  const shared = { network: network[0], pre, genesisBlockHeader: { ...genesis.header.toJSON(), hash: U.bytesToHex(genesis.hash()) },
                    lastblockhash: U.bytesToHex(last.hash()), postStateHash: U.bytesToHex(last.header.stateRoot) };
  const test = { ...shared, sealEngine: "NoProof", genesisRLP: U.bytesToHex(genesis.serialize()), blocks };
  const engine = at(forkIndex(network[1]), "Paris") ? { ...shared, engineNewPayloads: payloads, config: { network: network[0] } } : null;
  // engine_x: the pre-state and the genesis environment in a shared group file, the test naming it by preHash
  let engineX = null;
  if (engine && eestGenesis) {
    const gj = genesis.header.toJSON();
    const environment = { currentCoinbase: gj.coinbase, currentGasLimit: gj.gasLimit, currentNumber: "0x00", currentTimestamp: "0x00",
                          currentDifficulty: "0x00", currentBaseFee: gj.baseFeePerGas,
                          ...(gj.excessBlobGas !== undefined ? { currentExcessBlobGas: gj.excessBlobGas, currentBlobGasUsed: "0x00" } : {}) };
    const group = { network: network[0], environment, pre };
    const preHash = "0x" + crypto.createHash("sha256").update(JSON.stringify(group)).digest("hex").slice(0, 16);
    engineX = { group, test: { network: network[0], preHash, engineNewPayloads: payloads, lastblockhash: shared.lastblockhash,
                               config: { network: network[0] } } };
  }
  const txs = chain.slice(1).reduce((n, blk) => n + blk.transactions.length, 0);
  return { test, engine, engineX, txs, rejected };
}

let made = 0, engineMade = 0, engineXMade = 0, txs = 0, rejected = 0;
const engineDir = path.join(outDir, "engine");
fs.mkdirSync(engineDir, { recursive: true });
// the tests one folder below their groups: enginetest looks upwards for pre_alloc/
const engineXDir = path.join(outDir, "engine_x");
fs.mkdirSync(path.join(engineXDir, "tests"), { recursive: true });
fs.mkdirSync(path.join(engineXDir, "pre_alloc"), { recursive: true });
const ejsRequests = new Map(); // block hash -> its requests as EthereumJS made them (Prague on)
const stats = { "invalid blocks": 0, "blob txs": 0, "set-code txs": 0, withdrawals: 0, deposits: 0, "withdrawal requests": 0, consolidations: 0,
                "txs of a sender paid in the block": 0 };
const t0 = Date.now();
for (let c = 0; c < CASES; c++) {
  const network = networks[c % networks.length], pname = network[0];
  const caseSeed = g.seed();
  const r = await makeCase(network);
  txs += r.txs; rejected += r.rejected;
  r.test._info = { comment: `ejs_blocks case ${c}, generator seed ${caseSeed}` };
  fs.writeFileSync(path.join(outDir, `case${c}_${pname}.json`), JSON.stringify({ [`case${c}_${pname}`]: r.test }, null, 1));
  if (r.engine) {
    fs.writeFileSync(path.join(engineDir, `case${c}_${pname}.json`), JSON.stringify({ [`case${c}_${pname}`]: { ...r.engine, _info: r.test._info } }, null, 1));
    engineMade++;
  }
  if (r.engineX) {
    const name = `case${c}_${pname}`;
    fs.writeFileSync(path.join(engineXDir, "pre_alloc", `${r.engineX.test.preHash}.json`),
                     JSON.stringify({ testIds: [name], ...r.engineX.group }, null, 1));
    fs.writeFileSync(path.join(engineXDir, "tests", `${name}.json`), JSON.stringify({ [name]: { ...r.engineX.test, _info: r.test._info } }, null, 1));
    engineXMade++;
  }
  made++;
}
console.log(`${made} cases over ${networks.length} networks, ${txs} transactions in blocks (${rejected} that EthereumJS refused left out); ` +
            `${((Date.now() - t0) / 1000).toFixed(0)} s; cases in ${outDir}`);
console.log("  of them: " + Object.entries(stats).map(([k, v]) => `${v} ${k}`).join(", "));
let ok = true, total = 0, totalFailed = 0;
const blockFiles = fs.readdirSync(outDir).filter((f) => f.endsWith(".json")).map((f) => path.join(outDir, f));
const t8nChain = path.join(here, "..", "t8n_chain.mjs");
const requestsFile = path.join(outDir, "requests.jsonl");
for (const [label, args, want, cmd] of [["blocktest", ["blocktest", "--requests", requestsFile, ...blockFiles], made],
                                   [`blocktest --threads ${STM_THREADS}`, ["blocktest", "--threads", STM_THREADS, ...blockFiles], made],
                                   ["chaintest --stateless", ["chaintest", "--stateless", ...blockFiles], made], ["enginetest", ["enginetest", engineDir], engineMade],
                                   ["enginetest (engine_x)", ["enginetest", engineXDir], engineXMade],
                                   ["t8n", [t8nChain, parevm, ...blockFiles], made, process.execPath]]
                                   .filter(([, , want]) => want > 0)) { // a --fork before the Merge makes no engine fixture
  let out, exited = 0;
  try { out = execFileSync(cmd || parevm, args, { maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "pipe"] }).toString(); }
  catch (e) { out = String(e.stdout || "") + String(e.stderr || ""); exited = e.status ?? 1; }
  const failures = out.split("\n").filter((l) => /FAIL|fail/.test(l) && !/^\d+ passed/.test(l));
  for (const l of failures.slice(0, 20)) console.log(`  ${label}: ${l}`);
  const summary = out.split("\n").filter((l) => /^\d+ passed, \d+ failed$/.test(l)).pop() || "(no summary)";
  const m = /^(\d+) passed, (\d+) failed$/.exec(summary);
  console.log(`${label}: ${summary}`);
  if (!m || Number(m[1]) !== want || Number(m[2]) !== 0 || exited) ok = false;
  if (exited && m && m[2] === "0") console.log(`${label}: exit status ${exited}: ${out.split("\n").filter((l) => /Sanitizer|ERROR/.test(l)).slice(0, 3).join(" | ")}`);
  if (m) { total += Number(m[1]) + Number(m[2]); totalFailed += Number(m[2]); }
}
// blocktest --requests: every Prague block's requests as EthereumJS made them
{
  const ours = new Map();
  for (const line of fs.existsSync(requestsFile) ? fs.readFileSync(requestsFile, "utf8").split("\n") : [])
    if (line) { const r = JSON.parse(line); ours.set(r.hash, r.requests); }
  let differ = 0;
  for (const [hash, want] of ejsRequests) {
    const got = ours.get(hash);
    if (JSON.stringify(got) === JSON.stringify(want)) continue;
    if (differ++ < 5) console.log(`  blocktest --requests: block ${hash}: ${JSON.stringify(got)?.slice(0, 200)}, EthereumJS ${JSON.stringify(want).slice(0, 200)}`);
  }
  console.log(`blocktest --requests: ${ejsRequests.size - differ} passed, ${differ} failed (blocks from Prague on)`);
  if (differ) ok = false;
  total += ejsRequests.size;
  totalFailed += differ;
}
if (ok && !opt("--out", null)) fs.rmSync(outDir, { recursive: true });
console.log(`${total - totalFailed} passed, ${ok ? totalFailed : Math.max(totalFailed, 1)} failed`);
process.exit(ok ? 0 : 1);
