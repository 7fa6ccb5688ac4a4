// Replays BlockchainTests chains through `parevm t8n`, as the
// execution-spec-tests' fillers drive a client: each block of a chain becomes
// one t8n run (the previous run's post-state alloc, an env made from the
// block's header and its ancestors' hashes, the block's transactions as an
// RLP list), and everything t8n reports must equal the header the fixture
// gives: state, transactions, receipts and withdrawals roots, logs bloom, gas
// used, requests hash, and the fields t8n derives from the parent's (the
// difficulty before the Merge, the base fee, the excess blob gas), with no
// transaction rejected. Only chains whose valid blocks are each the child of
// the one before are taken (invalid blocks are left out; no side branches).
// Usage: node t8n_chain.mjs PAREVM [--max-chains N] PATH...   (files or folders)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const parevm = args.shift();
let maxChains = Infinity;
const paths = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--max-chains') maxChains = Number(args[++i]);
  else paths.push(args[i]);
}
if (!parevm || !paths.length) {
  console.error('usage: node t8n_chain.mjs PAREVM [--max-chains N] PATH...');
  process.exit(2);
}

// ---- RLP and Keccak-256: just enough to take blocks apart ----
function rlpItem(buf, pos) {
  const b = buf[pos];
  const len = (n, at) => { let v = 0; for (let k = 0; k < n; k++) v = v * 256 + buf[at + k]; return v; };
  if (b < 0x80) return { list: false, start: pos, dataStart: pos, end: pos + 1 };
  if (b < 0xb8) return { list: false, start: pos, dataStart: pos + 1, end: pos + 1 + b - 0x80 };
  if (b < 0xc0) { const n = b - 0xb7, l = len(n, pos + 1); return { list: false, start: pos, dataStart: pos + 1 + n, end: pos + 1 + n + l }; }
  if (b < 0xf8) return { list: true, start: pos, dataStart: pos + 1, end: pos + 1 + b - 0xc0 };
  const n = b - 0xf7, l = len(n, pos + 1);
  return { list: true, start: pos, dataStart: pos + 1 + n, end: pos + 1 + n + l };
}
function rlpChildren(buf, item) {
  const out = [];
  for (let p = item.dataStart; p < item.end;) { const c = rlpItem(buf, p); out.push(c); p = c.end; }
  return out;
}
const hexOf = (buf, it) => '0x' + buf.subarray(it.dataStart, it.end).toString('hex');
const rawOf = (buf, it) => buf.subarray(it.start, it.end);
const quantity = (buf, it) => { const v = hexOf(buf, it); return '0x' + (v === '0x' ? 0n : BigInt(v)).toString(16); };

const RC = [1n, 0x8082n, 0x800000000000808an, 0x8000000080008000n, 0x808bn, 0x80000001n, 0x8000000080008081n,
  0x8000000000008009n, 0x8an, 0x88n, 0x80008009n, 0x8000000an, 0x8000808bn, 0x800000000000008bn, 0x8000000000008089n,
  0x8000000000008003n, 0x8000000000008002n, 0x8000000000000080n, 0x800an, 0x800000008000000an, 0x8000000080008081n,
  0x8000000000008080n, 0x80000001n, 0x8000000080008008n];
const ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];
const M = (1n << 64n) - 1n;
const rol = (x, n) => (n ? ((x << BigInt(n)) | (x >> BigInt(64 - n))) & M : x);
function keccakF(a) {
  for (const rc of RC) {
    const c = [0, 1, 2, 3, 4].map((x) => a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20]);
    for (let x = 0; x < 5; x++) { const d = c[(x + 4) % 5] ^ rol(c[(x + 1) % 5], 1); for (let y = 0; y < 25; y += 5) a[x + y] ^= d; }
    const b = new Array(25);
    for (let x = 0; x < 5; x++) for (let y = 0; y < 5; y++) b[y + 5 * ((2 * x + 3 * y) % 5)] = rol(a[x + 5 * y], ROT[x + 5 * y]);
    for (let x = 0; x < 5; x++) for (let y = 0; y < 25; y += 5) a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & M & b[(x + 2) % 5 + y]);
    a[0] ^= rc;
  }
}
function keccak256(data) {
  const rate = 136, msg = Buffer.alloc(Math.floor(data.length / rate) * rate + rate);
  data.copy(msg);
  msg[data.length] ^= 1;
  msg[msg.length - 1] ^= 0x80;
  const a = new Array(25).fill(0n);
  for (let off = 0; off < msg.length; off += rate) {
    for (let i = 0; i < rate / 8; i++) a[i] ^= msg.readBigUInt64LE(off + 8 * i);
    keccakF(a);
  }
  const out = Buffer.alloc(32);
  for (let i = 0; i < 4; i++) out.writeBigUInt64LE(a[i], 8 * i);
  return '0x' + out.toString('hex');
}

const HEADER_FIELDS = ['parentHash', 'uncleHash', 'coinbase', 'stateRoot', 'transactionsTrie', 'receiptTrie', 'bloom',
  'difficulty', 'number', 'gasLimit', 'gasUsed', 'timestamp', 'extraData', 'mixHash', 'nonce', 'baseFeePerGas',
  'withdrawalsRoot', 'blobGasUsed', 'excessBlobGas', 'parentBeaconBlockRoot', 'requestsHash'];
const NUMBERS = new Set(['difficulty', 'number', 'gasLimit', 'gasUsed', 'timestamp', 'baseFeePerGas', 'blobGasUsed',
  'excessBlobGas']);
// A header (its RLP item in buf) with the fixtures' field names, numbers as 0x-hex, and its hash.
function headerOf(buf, item) {
  const h = { hash: keccak256(rawOf(buf, item)) };
  rlpChildren(buf, item).forEach((f, i) => {
    h[HEADER_FIELDS[i]] = NUMBERS.has(HEADER_FIELDS[i]) ? quantity(buf, f) : hexOf(buf, f);
  });
  return h;
}
// A block's RLP: header, the transactions as their own RLP list, ommer headers, withdrawals.
function decodeBlock(rlp) {
  const buf = Buffer.from(rlp.replace(/^0x/, ''), 'hex');
  const f = rlpChildren(buf, rlpItem(buf, 0));
  return {
    header: headerOf(buf, f[0]),
    txs: '0x' + rawOf(buf, f[1]).toString('hex'),
    ommers: rlpChildren(buf, f[2]).map((o) => headerOf(buf, o)),
    withdrawals: f[3] && rlpChildren(buf, f[3]).map((w) => {
      const [index, validatorIndex, address, amount] = rlpChildren(buf, w);
      return { index: quantity(buf, index), validatorIndex: quantity(buf, validatorIndex), address: hexOf(buf, address),
        amount: quantity(buf, amount) };
    }),
  };
}

// ---- chains ----
const big = (h) => BigInt(h);

// The block reward of a network's fork at a block (t8n takes one figure);
// none after the Merge (a block of difficulty zero).
function reward(network, number, difficulty) {
  if (difficulty === 0n) return 0n;
  const rewards = { Frontier: 5n, Homestead: 5n, EIP150: 5n, EIP158: 5n, Dao: 5n, Byzantium: 3n };
  const eth = (fork) => (fork in rewards ? rewards[fork] : ['Constantinople', 'ConstantinopleFix', 'Petersburg', 'Istanbul',
    'MuirGlacier', 'Berlin', 'London', 'ArrowGlacier', 'GrayGlacier'].includes(fork) ? 2n : 0n) * 10n ** 18n;
  const m = network.match(/^(\w+?)To(\w+?)At(\d+)$/);
  if (m) return eth(number >= Number(m[3]) ? m[2] : m[1]);
  const p = network.match(/^(\w+?)To(\w+?)AtDiff/);
  return p ? eth(p[1]) : eth(network);
}

// The genesis header and the valid blocks, each decoded from its RLP; null
// unless every valid block is the child of the one before.
function linearValidChain(t) {
  if (!Array.isArray(t.blocks) || !(t.genesisRLP || t.genesisBlockHeader)) return null;
  let parent = t.genesisRLP ? decodeBlock(t.genesisRLP).header : t.genesisBlockHeader;
  const genesis = parent;
  const blocks = [];
  for (const b of t.blocks) {
    if (b.expectException) continue; // rejected: its valid siblings go on
    if (!b.rlp) return null;
    const d = decodeBlock(b.rlp);
    if (d.header.parentHash !== parent.hash) return null;
    blocks.push(d);
    parent = d.header;
  }
  return blocks.length ? { genesis, blocks } : null;
}

function envOf(h, parent, hashes, b) {
  const env = {
    currentCoinbase: h.coinbase, currentGasLimit: h.gasLimit, currentNumber: h.number,
    currentTimestamp: h.timestamp, blockHashes: hashes,
    parentTimestamp: parent.timestamp, parentDifficulty: parent.difficulty, parentUncleHash: parent.uncleHash,
    parentGasUsed: parent.gasUsed, parentGasLimit: parent.gasLimit,
  };
  // post-merge blocks carry prevrandao; the rest is derived by t8n from the parent's
  if (big(h.difficulty) === 0n) env.currentRandom = h.mixHash;
  if (parent.baseFeePerGas !== undefined) env.parentBaseFee = parent.baseFeePerGas;
  else if (h.baseFeePerGas !== undefined) env.currentBaseFee = h.baseFeePerGas; // the London fork block
  if (parent.excessBlobGas !== undefined) {
    env.parentExcessBlobGas = parent.excessBlobGas;
    env.parentBlobGasUsed = parent.blobGasUsed;
  } else if (h.excessBlobGas !== undefined) env.currentExcessBlobGas = h.excessBlobGas;
  if (h.parentBeaconBlockRoot !== undefined) env.parentBeaconBlockRoot = h.parentBeaconBlockRoot;
  if (h.withdrawalsRoot !== undefined) env.withdrawals = b.withdrawals || [];
  env.ommers = b.ommers.map((u) => ({ delta: Number(big(h.number) - big(u.number)), address: u.coinbase }));
  return env;
}

// result field -> header field, compared as numbers or as hex
const checks = [
  ['stateRoot', 'stateRoot'], ['txRoot', 'transactionsTrie'], ['receiptsRoot', 'receiptTrie'],
  ['logsBloom', 'bloom'], ['gasUsed', 'gasUsed', true], ['currentDifficulty', 'difficulty', true],
  ['currentBaseFee', 'baseFeePerGas', true], ['withdrawalsRoot', 'withdrawalsRoot'],
  ['currentExcessBlobGas', 'excessBlobGas', true], ['blobGasUsed', 'blobGasUsed', true],
  ['requestsHash', 'requestsHash'],
];

function runChain(dir, t, chain) {
  let alloc = t.pre;
  let parent = chain.genesis;
  const hashes = { [String(big(parent.number))]: parent.hash };
  for (const b of chain.blocks) {
    const h = b.header;
    writeFileSync(join(dir, 'alloc.json'), JSON.stringify(alloc));
    writeFileSync(join(dir, 'env.json'), JSON.stringify(envOf(h, parent, hashes, b)));
    writeFileSync(join(dir, 'txs.rlp'), JSON.stringify(b.txs));
    const argv = ['t8n', '--input.alloc', join(dir, 'alloc.json'), '--input.env', join(dir, 'env.json'),
      '--input.txs', join(dir, 'txs.rlp'), '--output.basedir', dir, '--output.alloc', 'post.json',
      '--output.result', 'result.json', '--state.fork', t.network, '--state.reward',
      String(reward(t.network, Number(big(h.number)), big(h.difficulty)))];
    try {
      execFileSync(parevm, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      return `block ${big(h.number)}: parevm t8n exited ${e.status}: ${String(e.stderr).trim()}`;
    }
    const res = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
    if (res.rejected) return `block ${big(h.number)}: transactions rejected: ${JSON.stringify(res.rejected)}`;
    for (const [rf, hf, num] of checks) {
      if (h[hf] === undefined) {
        if (res[rf] !== undefined && !['currentDifficulty', 'gasUsed'].includes(rf))
          return `block ${big(h.number)}: result has ${rf} the header lacks`;
        continue;
      }
      // after the Merge the result's difficulty is null (geth's), the header's zero
      const got = rf === 'currentDifficulty' && res[rf] === null && big(h[hf]) === 0n ? '0x0' : res[rf];
      const same = got != null && (num ? big(got) === big(h[hf]) : got.toLowerCase() === h[hf].toLowerCase());
      if (!same) return `block ${big(h.number)}: ${rf} ${res[rf]}, header ${h[hf]}`;
    }
    alloc = JSON.parse(readFileSync(join(dir, 'post.json'), 'utf8'));
    hashes[String(big(h.number))] = h.hash;
    parent = h;
  }
  return null;
}

function* files(p) {
  if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) yield* files(join(p, e));
  else if (p.endsWith('.json')) yield p;
}

const dir = mkdtempSync(join(tmpdir(), 't8n-chain-'));
let passed = 0, failed = 0, skipped = 0, blocks = 0, ommers = 0;
try {
  outer: for (const p of paths)
    for (const f of files(p)) {
      let tests;
      try { tests = JSON.parse(readFileSync(f, 'utf8')); } catch { continue; }
      for (const [name, t] of Object.entries(tests)) {
        if (passed + failed >= maxChains) break outer;
        const chain = linearValidChain(t);
        if (!chain) { skipped++; continue; }
        const why = runChain(dir, t, chain);
        if (why) { failed++; console.log(`FAIL ${f} ${name}: ${why}`); continue; }
        passed++;
        blocks += chain.blocks.length;
        ommers += chain.blocks.reduce((n, b) => n + b.ommers.length, 0);
      }
    }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`t8n: ${blocks} blocks (${ommers} ommers) of ${passed} chains matched their headers; ${skipped} chains ` +
  'with side branches or no valid block left out');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || !passed ? 1 : 0);
