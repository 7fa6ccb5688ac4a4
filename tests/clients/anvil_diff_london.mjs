// The differential against anvil on a chain before the Merge:
// `parevm node --dev --dev.hardfork london` and `anvil --hardfork london`
// (or arrowglacier, grayglacier: the same rules). Both seal blocks with
// difficulty 0 and pay no block reward. The same signed transactions and
// block timestamps go into both (automining off, each block mined with
// evm_mine(timestamp) once its transactions are in both pools, the same
// coinbase). After every block: the header fields that do not depend on
// the genesis (gas used, base fee, difficulty, bloom, transactions and
// receipts roots), every receipt (status, gas, cumulative gas, logs,
// contract address, effective gas price) and the balance, nonce, code and
// storage of every account the block touched, the coinbase's among them.
//
// The transactions: value transfers of the three types London knows
// (legacy, EIP-2930, EIP-1559), a deployment of a probe contract that
// records block fields and opcodes (DIFFICULTY, CHAINID, SELFBALANCE,
// BASEFEE, EXTCODEHASH, SHL) in storage and logs its input, SSTORE
// patterns with refunds (set and clear in one transaction, clears of
// earlier values), a revert, an out-of-gas, calls to the precompiles, and
// a self-destruct; then eth_call of the probe on both.
//
// Not compared: block hashes and state roots (the two genesis states
// differ: anvil's genesis header carries no state root), and BLOCKHASH
// with them. Forks before London are not compared: anvil runs them with
// some later rules (Berlin with London's refunds, Istanbul with Berlin's
// storage costs); the probe still takes any fork, for runs by hand.
import { args, check, die, eq, rpc, run, startAnvil, startParevm, stopParevm, toolRequire, DEV_KEYS } from './lib.mjs';

const opt = args();
const FORKS = ['homestead', 'byzantium', 'constantinople', 'istanbul', 'berlin', 'london', 'arrowglacier', 'grayglacier'];
const only = String(opt.hardfork || 'london').toLowerCase().split(',');
for (const f of only) if (!FORKS.includes(f)) die(`--hardfork: some of ${FORKS.join(', ')}`);
const req = toolRequire(opt.tools);
const { privateKeyToAccount } = req('viem/accounts');

const T0 = 1700000000;
const GWEI = 10n ** 9n;
const hex = (n) => '0x' + BigInt(n).toString(16);
const COINBASE = '0x00000000000000000000000000000000000000cb';

// ---- a small assembler ------------------------------------------------------------
const OPS = {
  STOP: 0x00, ADD: 0x01, SUB: 0x03, DIV: 0x04, SWAP1: 0x90, JUMP: 0x56, SHL: 0x1b, CALLER: 0x33, CALLVALUE: 0x34, CALLDATALOAD: 0x35, CALLDATASIZE: 0x36,
  CALLDATACOPY: 0x37, CODECOPY: 0x39, EXTCODEHASH: 0x3f, COINBASE: 0x41, TIMESTAMP: 0x42, NUMBER: 0x43,
  DIFFICULTY: 0x44, GASLIMIT: 0x45, CHAINID: 0x46, SELFBALANCE: 0x47, BASEFEE: 0x48, POP: 0x50, MLOAD: 0x51,
  MSTORE: 0x52, SLOAD: 0x54, SSTORE: 0x55, JUMPI: 0x57, GAS: 0x5a, JUMPDEST: 0x5b, LOG1: 0xa1, CALL: 0xf1,
  RETURN: 0xf3, REVERT: 0xfd, INVALID: 0xfe, SELFDESTRUCT: 0xff, EQ: 0x14, ISZERO: 0x15, STATICCALL: 0xfa,
};
// items: opcode names, numbers/bigints (pushed with the smallest PUSH), or
// {label} / {ref} for jump targets (PUSH2).
function asm(items) {
  const out = [], labels = {}, fix = [];
  for (const it of items) {
    if (typeof it === 'string') {
      if (!(it in OPS)) throw new Error(`unknown op ${it}`);
      out.push(OPS[it]);
    } else if (typeof it === 'number' || typeof it === 'bigint') {
      let v = BigInt(it), bytes = [];
      do { bytes.unshift(Number(v & 0xffn)); v >>= 8n; } while (v > 0n);
      out.push(0x5f + bytes.length, ...bytes);
    } else if (it.label) {
      labels[it.label] = out.length;
      out.push(OPS.JUMPDEST);
    } else if (it.ref) {
      fix.push([out.length + 1, it.ref]);
      out.push(0x61, 0, 0);
    }
  }
  for (const [at, name] of fix) out[at] = labels[name] >> 8, out[at + 1] = labels[name] & 0xff;
  return Buffer.from(out);
}
// Init code that returns runtime.
function deployer(runtime) {
  const head = (len) => asm([runtime.length, len, 0, 'CODECOPY', runtime.length, 0, 'RETURN']);
  const h = head(head(0).length);
  return '0x' + Buffer.concat([h, runtime]).toString('hex');
}

// The probe: by the first input byte, 0: record (block fields and the
// fork's opcodes into slots 0..9, the input as LOG1), 1: revert, 2: set
// slot 20 then clear it, 3: clear slots 0..4, 4: burn all gas, 5: call
// precompile p (second word) with the rest, storing the success and the
// output's first word, 6: self-destruct to the caller.
function probe(fork) {
  const at = (f) => FORKS.indexOf(fork) >= FORKS.indexOf(f);
  const rec = [['NUMBER', 0], ['TIMESTAMP', 1], ['DIFFICULTY', 2], ['GASLIMIT', 3], ['COINBASE', 4]];
  if (at('istanbul')) rec.push(['CHAINID', 5], ['SELFBALANCE', 6]);
  if (at('london')) rec.push(['BASEFEE', 7]);
  const extra = at('constantinople') ? ['CALLER', 'EXTCODEHASH', 8, 'SSTORE', 1, 200, 'SHL', 9, 'SSTORE'] : [];
  // the first byte; SHR needs Constantinople: a division instead
  const shr = () => [1n << 248n, 'SWAP1', 'DIV'];
  const selector = (n, l) => [0, 'CALLDATALOAD', ...shr(), n, 'EQ', { ref: l }, 'JUMPI'];
  return asm([
    ...['CALLDATASIZE', 'ISZERO', { ref: 'record' }, 'JUMPI'],
    ...selector(1, 'revert'), ...selector(2, 'setclear'), ...selector(3, 'clear'), ...selector(4, 'burn'),
    ...selector(5, 'pre'), ...selector(6, 'destruct'),
    { label: 'record' },
    ...rec.flatMap(([op, slot]) => [op, slot, 'SSTORE']), ...extra,
    'CALLDATASIZE', 0, 0, 'CALLDATACOPY', 0xfeed, 'CALLDATASIZE', 0, 'LOG1', 'STOP',
    { label: 'revert' }, 0, 0, 'REVERT',
    { label: 'setclear' }, 7, 20, 'SSTORE', 0, 20, 'SSTORE', 'STOP',
    { label: 'clear' }, 0, 0, 'SSTORE', 0, 1, 'SSTORE', 0, 2, 'SSTORE', 0, 3, 'SSTORE', 0, 4, 'SSTORE', 'STOP',
    { label: 'burn' }, { ref: 'burn' }, 'JUMP',
    // CALL(gas, to = word 1, 0, in = calldata from 64, out = 0..32)
    { label: 'pre' }, 64, 'CALLDATASIZE', 'SUB', 64, 0, 'CALLDATACOPY',
    32, 0, 64, 'CALLDATASIZE', 'SUB', 0, 0, 32, 'CALLDATALOAD', 'GAS', 'CALL', 10, 'SSTORE', 0, 'MLOAD', 11, 'SSTORE', 'STOP',
    { label: 'destruct' }, 'CALLER', 'SELFDESTRUCT',
  ]);
}

run(async () => {
  for (const fork of only) await diff(fork);
}, 600000);

async function diff(fork) {
  const at = (f) => FORKS.indexOf(fork) >= FORKS.indexOf(f);
  const london = at('london');
  const P = await startParevm(opt.parevm, ['--dev.time', String(T0), '--dev.gaslimit', '30000000', '--dev.hardfork', fork]);
  const A = await startAnvil(opt.tools, ['--hardfork', fork, '--chain-id', '31337', '--timestamp', String(T0),
                                         ...(london ? ['--block-base-fee-per-gas', '875000000'] : []),
                                         '--gas-limit', '30000000', '--order', 'fifo', '--no-mining']);
  await rpc(P.url, 'evm_setAutomine', [false]);
  const both = (m, p) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
  await both('anvil_setCoinbase', [COINBASE]);
  const [g0, a0] = await both('eth_getBlockByNumber', ['0x0', false]);
  for (const f of ['number', 'timestamp', 'gasLimit', 'difficulty', 'miner']) eq(g0[f], a0[f], `${fork}: genesis ${f}`);

  const keys = DEV_KEYS.map((k) => privateKeyToAccount(k));
  const nonces = keys.map(() => 0);
  const [owner, alice, bob] = keys;
  const touched = new Set([COINBASE, ...keys.map((k) => k.address.toLowerCase())]);
  let time = T0, number = 0;
  const tx = async (who, t) => {
    const i = keys.indexOf(who);
    const base = { nonce: nonces[i]++, gas: 200000n, ...t };
    if (at('byzantium')) base.chainId = 31337; // EIP-155 (Spurious Dragon on)
    if (base.type === 'eip1559') Object.assign(base, { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: 2n * GWEI, ...t });
    else Object.assign(base, { type: base.type || 'legacy', gasPrice: 20n * GWEI, ...t });
    if (t.to) touched.add(t.to.toLowerCase());
    return who.signTransaction(base);
  };
  const block = async (what, raws) => {
    for (const raw of raws) {
      const [hp, ha] = await both('eth_sendRawTransaction', [raw]);
      eq(hp, ha, `${fork} ${what}: transaction hash`);
    }
    time += 12;
    number++;
    await both('evm_mine', [time]);
    const [bp, ba] = await both('eth_getBlockByNumber', [hex(number), false]);
    check(bp && ba, `${fork} ${what}: block ${number} on both`);
    if (!bp || !ba) return;
    const fields = ['number', 'timestamp', 'gasUsed', 'gasLimit', 'baseFeePerGas', 'difficulty', 'logsBloom',
                    'transactionsRoot', 'miner', 'sha3Uncles'];
    if (at('byzantium')) fields.push('receiptsRoot');
    for (const f of fields) eq(bp[f], ba[f], `${fork} ${what}: block ${f}`);
    eq(bp.transactions.length, raws.length, `${fork} ${what}: all transactions mined`);
    for (const h of bp.transactions) {
      const [rp, ra] = await both('eth_getTransactionReceipt', [h]);
      const rf = ['gasUsed', 'cumulativeGasUsed', 'contractAddress', 'effectiveGasPrice', 'type', 'logsBloom'];
      if (at('byzantium')) rf.push('status');
      for (const f of rf) eq(rp[f], ra[f], `${fork} ${what}: receipt ${f}`);
      const logs = (r) => r.logs.map((l) => [l.address, l.topics, l.data, l.logIndex]);
      eq(logs(rp), logs(ra), `${fork} ${what}: receipt logs`);
      if (rp.contractAddress) touched.add(rp.contractAddress.toLowerCase());
    }
    for (const a of touched) {
      const tag = hex(number);
      for (const m of ['eth_getBalance', 'eth_getTransactionCount', 'eth_getCode']) {
        const [p, q] = await both(m, [a, tag]);
        eq(p, q, `${fork} ${what}: ${m} ${a}`);
      }
      for (let s = 0; s < 24; s++) {
        const [p, q] = await both('eth_getStorageAt', [a, hex(s), tag]);
        eq(p, q, `${fork} ${what}: slot ${s} of ${a}`);
      }
    }
  };

  // 1. transfers of each type the fork knows, to a dev account and to new ones
  const transfers = [await tx(owner, { to: alice.address, value: 10n ** 18n }),
                     await tx(alice, { to: '0x00000000000000000000000000000000000000a1', value: 1n, gas: 21000n })];
  if (at('berlin')) transfers.push(await tx(bob, { type: 'eip2930', to: '0x00000000000000000000000000000000000000a2', value: 5n,
                                                  accessList: [{ address: alice.address, storageKeys: [] }], gas: 30000n }));
  if (london) transfers.push(await tx(owner, { type: 'eip1559', to: '0x00000000000000000000000000000000000000a3', value: 7n, gas: 21000n }));
  await block('transfers', transfers);

  // 2. the probe, deployed
  const code = probe(fork);
  await block('deploy', [await tx(owner, { data: deployer(code), gas: 300000n })]);
  const rec = await rpc(P.url, 'eth_getBlockByNumber', [hex(number), true]);
  const r0 = await rpc(P.url, 'eth_getTransactionReceipt', [rec.transactions[0].hash]);
  const C = r0.contractAddress;
  check(C, `${fork}: the probe deployed`);
  if (!C) return;
  touched.add(C.toLowerCase());
  eq(await rpc(P.url, 'eth_getCode', [C, 'latest']), '0x' + code.toString('hex'), `${fork}: the probe's code`);

  const word = (n) => BigInt(n).toString(16).padStart(64, '0');
  const op = (n, rest = '') => '0x' + (BigInt(n) << 248n).toString(16).padStart(64, '0') + rest;
  // 3. records, refunds, a revert, an out-of-gas, precompiles
  await block('record', [await tx(alice, { to: C, data: '0x', value: 3n }), await tx(bob, { to: C, data: '0x1234' })]);
  await block('refunds', [await tx(owner, { to: C, data: op(2) }), await tx(alice, { to: C, data: op(3) }),
                          await tx(bob, { to: C, data: '0xbeef' })]);
  await block('failures', [await tx(owner, { to: C, data: op(1) }), await tx(alice, { to: C, data: op(4), gas: 60000n })]);
  const ecrecInput = word('0x' + '11'.repeat(32)) + word(28) + word('0x' + '22'.repeat(32)) + word('0x' + '33'.repeat(32));
  const pres = [await tx(owner, { to: C, data: op(5, word(1) + ecrecInput) }),
                await tx(alice, { to: C, data: op(5, word(2) + 'ab'.repeat(40)) }),
                await tx(bob, { to: C, data: op(5, word(3) + 'cd'.repeat(3)) }),
                await tx(owner, { to: C, data: op(5, word(4) + 'ef'.repeat(70)) })];
  if (at('byzantium')) // MODEXP 3^5 mod 7
    pres.push(await tx(alice, { to: C, data: op(5, word(5) + word(1) + word(1) + word(1) + '03' + '05' + '07') }));
  if (at('istanbul')) // BLAKE2F with 0 rounds
    pres.push(await tx(bob, { to: C, data: op(5, word(9) + '00000000' + '00'.repeat(208) + '01') }));
  await block('precompiles', pres);

  // 4. calls on both (a result, or a failure: the error codes follow geth
  // and anvil respectively), then a self-destruct
  for (const [data, gas] of [['0x', 400000], ['0x', 50000], [op(1), 100000], [op(5, word(4) + 'aa'), 100000]]) {
    const call = { from: owner.address, to: C, data, gas: hex(gas) };
    const [p, a] = await Promise.all([rpc(P.url, 'eth_call', [call, 'latest']).catch(() => 'failed'),
                                      rpc(A.url, 'eth_call', [call, 'latest']).catch(() => 'failed')]);
    eq(p, a, `${fork}: eth_call ${data.slice(0, 10)} with ${gas} gas`);
  }
  await block('self-destruct', [await tx(bob, { to: C, data: op(6) })]);
  await stopParevm(P);
  await A.stop();
}
