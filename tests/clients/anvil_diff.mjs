// The differential against anvil: the same genesis accounts, the same
// signed transactions and the same block timestamps go into
// `parevm node --dev` and Foundry's anvil (both Osaka, or the --hardfork
// given: Cancun, Prague; chain 31337, 30M gas,
// 1 gwei initial base fee, automining off: each block is mined with
// evm_mine(timestamp) once its transactions are in both pools). After every
// block the header fields that do not depend on the genesis (base fee, gas,
// blob gas, bloom, transactions and receipts roots), every receipt (status,
// gas, logs, contract address, effective gas price) and the state of every
// account and slot the transactions touched (listed by anvil's prestate
// tracer in diff mode: balances, nonces, code, storage) must be identical.
//
// Covered: legacy, EIP-2930, EIP-1559 and EIP-7702 transactions, value
// transfers, deployments, ERC-20 calls, reverts (reason, custom error,
// assert, division by zero, bare), transient storage, storage clears, a
// self-destruct in the creating transaction and a later one, base fee moves
// over full and empty blocks, a blob transaction, and anvil's header
// controls (anvil_setCoinbase, evm_setBlockGasLimit,
// anvil_setNextBlockBaseFeePerGas), state dumps loaded across
// (anvil_dumpState / anvil_loadState), viem's test-client controls
// (anvil_setMinGasPrice, anvil_addBalance, eth_sendUnsignedTransaction),
// and anvil's node-level methods (anvil_nodeInfo, anvil_metadata,
// evm_setTime, evm_mine_detailed, anvil_rollback, anvil_reorg) and the
// smaller ones (anvil_impersonateSignature, anvil_getGenesisTime, eth_getRawTransactionByBlock*AndIndex,
// debug_codeByHash, eth_fillTransaction, the pool's removals, aliases,
// anvil_dealERC20 and anvil_setERC20Allowance).
//
// What cannot be matched, and is not compared (printed as NOTE lines):
// - block hashes and state roots: anvil's genesis holds no EIP-4788/7002/7251
//   system contracts and its genesis header differs, so the parent hashes
//   differ from block 1 on, and with them the EIP-2935 history contract's
//   storage, BLOCKHASH and every state root after (Misc's logs use other
//   block fields for that reason); mixHash: anvil draws its own prevrandao;
// - anvil's --block-base-fee-per-gas is block 1's base fee, not the
//   genesis': it is given parevm's block 1 base fee (1 gwei * 7/8);
// - the order of a block's transactions is pool policy: anvil runs with
//   --order fifo and the transactions go in parevm's order (below);
// - anvil gives blobGasPrice in every receipt, geth and parevm only in
//   blob transactions' receipts;
// - anvil's transactionsRoot of a blob block is not the trie of the
//   transactions' consensus encoding (it seems to hash the network form);
//   parevm's is checked against the trie computed here instead.
import { createHash } from 'node:crypto';
import { args, check, compile, DEV_KEYS, die, eq, rpc, rpcError, run, startAnvil, startParevm, stopParevm, toolRequire } from './lib.mjs';

const opt = args();
// --hardfork cancun|prague|osaka: both nodes on those rules (the contracts
// are compiled for Prague's EVM, which Cancun runs too)
const FORKS = ['cancun', 'prague', 'osaka'];
const FORK = String(opt.hardfork || 'osaka').toLowerCase();
if (!FORKS.includes(FORK)) die(`--hardfork: one of ${FORKS.join(', ')}`);
const atLeast = (f) => FORKS.indexOf(FORK) >= FORKS.indexOf(f);
const req = toolRequire(opt.tools);
const viem = req('viem');
const { privateKeyToAccount, sign } = req('viem/accounts');

const T0 = 1700000000;
const GWEI = 10n ** 9n;
const hex = (n) => '0x' + BigInt(n).toString(16);
const debug = process.env.DIFF_DEBUG ? (...a) => console.log('..', ...a) : () => {};

run(async () => {
  const { Token, Misc, Doomed, Factory } = compile(opt.tools);
  const common = ['--dev.time', String(T0), '--dev.gaslimit', '30000000', '--dev.hardfork', FORK];
  const P = await startParevm(opt.parevm, common);
  const A = await startAnvil(opt.tools, ['--hardfork', FORK, '--chain-id', '31337', '--timestamp', String(T0),
                                         '--block-base-fee-per-gas', '875000000', '--gas-limit', '30000000',
                                         '--disable-default-create2-deployer', '--order', 'fifo', '--no-mining']);
  await rpc(P.url, 'evm_setAutomine', [false]);
  const both = (m, p) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);

  // the same genesis block fields where they do not depend on the state
  const [g0, a0] = await both('eth_getBlockByNumber', ['0x0', false]);
  for (const f of ['number', 'timestamp', 'gasLimit', 'excessBlobGas', 'blobGasUsed', 'difficulty'])
    eq(g0[f], a0[f], `genesis ${f}`);

  const keys = DEV_KEYS.map((k) => privateKeyToAccount(k));
  const nonces = keys.map(() => 0);
  const [owner, alice, bob, carol, dave] = keys;
  const fresh = '0x' + 'ab'.repeat(20);
  const touched = new Map(); // address -> Set(slots)
  let number = 0, time = T0;
  const notes = [];
  let last = null; // the two nodes' last blocks
  let stateRoots = 0; // blocks whose state roots differ (all of them: the genesis states differ)

  // A transaction signed once; the same bytes go to both nodes.
  const tx = async (who, t) => {
    const i = keys.indexOf(who);
    const base = { chainId: 31337, nonce: nonces[i]++, gas: 300000n, ...t };
    if (!base.type || base.type === 'eip1559' || base.type === 'eip7702')
      Object.assign(base, { maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI, ...t });
    else Object.assign(base, { gasPrice: 20n * GWEI, ...t });
    const raw = await who.signTransaction(base);
    return { raw, sender: who.address, feeCap: base.maxFeePerGas ?? base.gasPrice,
             tipCap: base.maxPriorityFeePerGas ?? base.gasPrice };
  };
  // The order of a block is the pool's policy, not consensus: parevm takes
  // the highest effective tip first (earlier arrival on ties, each sender's
  // transactions in nonce order), anvil sorts by fee cap or (--order fifo)
  // by arrival. The transactions are sent in parevm's order, anvil keeps it.
  const nextBaseFee = (h) => {
    const base = BigInt(h.baseFeePerGas), used = BigInt(h.gasUsed), target = BigInt(h.gasLimit) / 2n;
    if (used === target) return base;
    if (used > target) return base + [base * (used - target) / target / 8n, 1n].reduce((a, b) => (a > b ? a : b));
    return base - base * (target - used) / target / 8n;
  };
  const poolOrder = (txs, baseFee) => {
    const tip = (t) => { const room = t.feeCap - baseFee; return t.tipCap < room ? t.tipCap : room; };
    const lanes = new Map();
    txs.forEach((t, seq) => { if (!lanes.has(t.sender)) lanes.set(t.sender, []); lanes.get(t.sender).push({ ...t, seq }); });
    const out = [];
    while (out.length < txs.length) {
      let best = null;
      for (const l of lanes.values())
        if (l.length && (!best || tip(l[0]) > tip(best[0]) || (tip(l[0]) === tip(best[0]) && l[0].seq < best[0].seq))) best = l;
      out.push(best.shift());
    }
    return out;
  };
  const data = (c, fn, a = []) => viem.encodeFunctionData({ abi: c.abi, functionName: fn, args: a });
  const deployData = (c, a = []) => viem.encodeDeployData({ abi: c.abi, bytecode: c.bytecode, args: a });

  // Sends raws to both, mines one block at time + dt on both, compares.
  let parityChecks = 0, otsChecks = 0;
  // An Otterscan answer without what differs for reasons above (hashes,
  // roots, sizes, mixHash; anvil's blobGasPrice; anvil keeps the logs in
  // ots_getBlockTransactions' receipts, the specification and reth null
  // them; anvil's blob transactions carry their sidecar) and with keys
  // sorted.
  const OTS_SKIP = new Set(['blobs', 'commitments', 'proofs', 'cellProofs', 'hash', 'blockHash', 'parentHash', 'stateRoot', 'mixHash', 'size', 'extraData', 'totalDifficulty',
                            'requestsHash', 'parentBeaconBlockRoot', 'transactionsRoot', 'receiptsRoot', 'logs', 'logsBloom']);
  const otsNorm = (v) => {
    if (Array.isArray(v)) return v.map(otsNorm);
    if (!v || typeof v !== 'object') return v;
    const out = {};
    for (const k of Object.keys(v).sort())
      if (!OTS_SKIP.has(k) && !(k === 'blobGasPrice' && v.type !== '0x3')) out[k] = otsNorm(v[k]);
    return out;
  };
  const noParity = new Set(); // blocks whose Parity traces are not compared
  const block = async (what, raws, dt = 12, skip = []) => {
    const hashes = [];
    debug(what, 'sending', raws.length);
    const head = await rpc(P.url, 'eth_getBlockByNumber', ['latest', false]);
    for (const { raw } of poolOrder(raws, nextBaseFee(head))) {
      const [hp, ha] = await Promise.all([rpc(P.url, 'eth_sendRawTransaction', [raw]).catch((e) => e),
                                          rpc(A.url, 'eth_sendRawTransaction', [raw]).catch((e) => e)]);
      if (!check(typeof hp === 'string' && hp === ha, `${what}: both accept the transaction`, `parevm ${hp && hp.message || hp}, anvil ${ha && ha.message || ha}`))
        continue;
      hashes.push(hp);
    }
    time += dt;
    number++;
    if (skip.includes('parity')) noParity.add(number);
    debug(what, 'mining', number);
    await rpc(P.url, 'evm_mine', [time]);
    const pb = await rpc(P.url, 'eth_getBlockByNumber', ['latest', false]);
    await rpc(A.url, 'anvil_setCoinbase', [pb.miner]);
    await rpc(A.url, 'evm_mine', [time]);
    const [, ab] = await both('eth_getBlockByNumber', ['latest', false]);
    last = { pb, ab };
    eq(pb.number, hex(number), `${what}: parevm mined block ${number}`);
    eq(ab.number, hex(number), `${what}: anvil mined block ${number}`);
    for (const f of ['timestamp', 'miner', 'gasLimit', 'gasUsed', 'baseFeePerGas', 'blobGasUsed', 'excessBlobGas',
                     'logsBloom', 'transactionsRoot', 'receiptsRoot', 'withdrawalsRoot', 'transactions'])
      if (!skip.includes(f)) eq(pb[f], ab[f], `${what}: block ${f}`);
    if (pb.stateRoot !== ab.stateRoot) stateRoots++;
    // receipts
    for (const h of hashes) {
      const [rp, ra] = await both('eth_getTransactionReceipt', [h]);
      if (!check(rp && ra, `${what}: both have the receipt of ${h}`)) continue;
      for (const f of ['status', 'type', 'gasUsed', 'cumulativeGasUsed', 'effectiveGasPrice', 'contractAddress',
                       'transactionIndex', 'from', 'to', 'logsBloom', 'blobGasUsed', 'blobGasPrice'])
        if (f !== 'blobGasPrice' || rp.type === '0x3') // anvil gives it for every type, geth for blobs only
          eq(rp[f] ?? null, ra[f] ?? null, `${what}: receipt ${f} of ${h.slice(0, 10)}`);
      const logs = (r) => r.logs.map((l) => [l.address, l.topics, l.data, l.logIndex, l.transactionIndex]);
      eq(logs(rp), logs(ra), `${what}: logs of ${h.slice(0, 10)}`);
      // what it touched, by anvil's prestate tracer
      const d = await rpc(A.url, 'debug_traceTransaction', [h, { tracer: 'prestateTracer', tracerConfig: { diffMode: true } }]);
      for (const side of [d.pre, d.post])
        for (const [addr, acct] of Object.entries(side || {})) {
          const s = touched.get(addr) || new Set();
          for (const k of Object.keys(acct.storage || {})) s.add(k);
          touched.set(addr, s);
        }
    }
    // Parity's trace_* (reth's, which anvil shares): every transaction's
    // flat traces, the block's, and the block replayed with state diffs
    // (the block hashes differ: see the NOTE above)
    const unhash = (ts) => (ts || []).map((t) => ({ ...t, blockHash: undefined }));
    for (const h of hashes) {
      if (skip.includes('parity')) break;
      const [tp, ta] = await both('trace_transaction', [h]);
      eq(JSON.stringify(unhash(tp)), JSON.stringify(unhash(ta)), `${what}: trace_transaction of ${h.slice(0, 10)}`);
      parityChecks++;
    }
    // Otterscan's views of each transaction (anvil lists only the calls in
    // ots_traceTransaction; parevm the creations and self-destructs too)
    for (const h of hashes) {
      const [op, oa] = await both('ots_getInternalOperations', [h]);
      eq(op, oa, `${what}: ots_getInternalOperations of ${h.slice(0, 10)}`);
      const [tp, ta] = await both('ots_traceTransaction', [h]);
      eq((tp || []).filter((e) => !/^(CREATE|SELFDESTRUCT)/.test(e.type)), ta, `${what}: ots_traceTransaction's calls of ${h.slice(0, 10)}`);
      const [ep, ea] = await both('ots_getTransactionError', [h]);
      eq(ep, ea, `${what}: ots_getTransactionError of ${h.slice(0, 10)}`);
      otsChecks += 3;
    }
    for (const [m, p] of [['ots_getBlockDetails', [number]], ['ots_getBlockTransactions', [number, 0, 500]]]) {
      const [op, oa] = await both(m, p);
      eq(otsNorm(op), otsNorm(oa), `${what}: ${m} ${number}`);
      otsChecks++;
    }
    const [bp, ba] = await both('trace_block', [hex(number)]);
    if (!skip.includes('parity'))
      eq(JSON.stringify(unhash(bp)), JSON.stringify(unhash(ba)), `${what}: trace_block ${number}`);
    // vmTrace holds the memory at every step: not for the full blocks (anvil's answer outgrows a JS string)
    const types = BigInt(pb.gasUsed) < 5000000n ? ['trace', 'stateDiff', 'vmTrace'] : ['trace', 'stateDiff'];
    const [rp, ra] = await both('trace_replayBlockTransactions', [hex(number), types]);
    if (!skip.includes('parity'))
      eq(JSON.stringify(rp), JSON.stringify(ra), `${what}: trace_replayBlockTransactions ${number}`);
    parityChecks += 2;
    // the state of everything touched so far, at this block
    const at = hex(number);
    for (const [addr, slots] of touched) {
      for (const m of ['eth_getBalance', 'eth_getTransactionCount', 'eth_getCode']) {
        const [vp, va] = await both(m, [addr, at]);
        eq(vp, va, `${what}: ${m}(${addr}) at ${number}`);
      }
      for (const k of slots) {
        const [vp, va] = await both('eth_getStorageAt', [addr, k, at]);
        eq(vp, va, `${what}: storage ${addr}[${k.slice(0, 10)}..] at ${number}`);
      }
    }
    return hashes;
  };

  // 1. value transfers of every pre-7702 type, to an account and to a new one
  await block('transfers', [
    await tx(owner, { to: alice.address, value: 10n ** 18n, gas: 21000n }),
    await tx(alice, { to: fresh, value: 12345n, gas: 21000n, type: 'legacy' }),
    await tx(bob, { to: fresh, value: 1n, gas: 30000n, type: 'eip2930', accessList: [{ address: fresh, storageKeys: [] }] }),
    await tx(carol, { to: owner.address, value: 7n, gas: 21000n, maxPriorityFeePerGas: 3n * GWEI }),
  ]);

  // 2. deployments (a self-destruct in the constructor among them)
  const token = viem.getContractAddress({ from: owner.address, nonce: BigInt(nonces[0]) });
  const misc = viem.getContractAddress({ from: bob.address, nonce: BigInt(nonces[2]) });
  const doomed = viem.getContractAddress({ from: carol.address, nonce: BigInt(nonces[3]) });
  const [, , , burnt] = await block('deployments', [
    await tx(owner, { data: deployData(Token, [10n ** 24n]), gas: 2000000n }),
    await tx(bob, { data: deployData(Misc), gas: 2000000n }),
    await tx(carol, { data: deployData(Doomed, [dave.address, false]), value: 1000n, gas: 1000000n }),
    await tx(carol, { data: deployData(Doomed, [alice.address, true]), value: 555n, gas: 1000000n }),
  ]);
  const burntRc = await rpc(P.url, 'eth_getTransactionReceipt', [burnt]);
  check(burntRc && burntRc.contractAddress && (await rpc(P.url, 'eth_getCode', [burntRc.contractAddress, 'latest'])) === '0x',
        'a contract self-destructed in its constructor has no code');

  // 3. ERC-20 calls, successful and reverting
  const T = (fn, a) => ({ to: token, data: data(Token, fn, a), gas: 120000n });
  await block('erc20', [
    await tx(owner, T('transfer', [alice.address, 5000n])),
    await tx(owner, T('approve', [bob.address, 300n])),
    await tx(alice, T('transfer', [carol.address, 1000n])),
    await tx(bob, T('transferFrom', [owner.address, dave.address, 200n])),
    await tx(owner, T('mint', [dave.address, 77n])),
    await tx(carol, T('mint', [carol.address, 1n])), // custom error NotOwner
    await tx(dave, T('transfer', [alice.address, 10n ** 30n])), // insufficient balance
    await tx(bob, T('transferFrom', [owner.address, dave.address, 1000n])), // allowance
  ]);

  // 4. storage writes, clears (refunds), transient storage, logs with block
  // fields, reverts of every kind, an out-of-gas
  const M = (fn, a, extra = {}) => ({ to: misc, data: data(Misc, fn, a), gas: 400000n, ...extra });
  await block('misc', [
    await tx(bob, M('bump', [3n], { value: 9n })),
    await tx(alice, M('bump', [1n])),
    await tx(carol, M('clear', [2n])),
    await tx(dave, M('transient', [42n])),
    await tx(owner, M('fail', [1n])),
    await tx(owner, M('fail', [2n])),
    await tx(owner, M('fail', [3n])),
    await tx(owner, M('fail', [4n])),
    await tx(alice, M('bump', [50n], { gas: 60000n })), // out of gas
  ]);

  // 5. a later self-destruct (only the balance moves) and a send to it after
  await block('selfdestruct', [
    await tx(dave, { to: doomed, data: data(Doomed, 'destroy', [bob.address]), gas: 100000n }),
    await tx(alice, { to: doomed, value: 99n, gas: 50000n }),
  ]);

  // 6. the base fee: a full block (over the 15M target) and empty ones
  const full = [];
  for (let i = 0; i < 4; i++) full.push(await tx(keys[i], M('bump', [150n], { gas: 5000000n })));
  await block('over the gas target', full);
  await block('empty', [], 1);
  await block('low tips', [await tx(owner, { to: bob.address, value: 1n, gas: 21000n, maxPriorityFeePerGas: 0n }),
                           await tx(alice, { to: bob.address, value: 1n, gas: 21000n, maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: 2n * GWEI })]);

  // 7. EIP-7702 (Prague on): carol delegates to Misc and is then called; then revokes
  if (atLeast('prague')) {
    const i = keys.indexOf(carol);
    const auth = await carol.signAuthorization({ contractAddress: misc, chainId: 31337, nonce: nonces[i] });
    nonces[i]++; // the authorization's nonce is spent
    await block('eip7702 delegation', [
      await tx(owner, { type: 'eip7702', to: carol.address, authorizationList: [auth], data: data(Misc, 'bump', [2n]), gas: 300000n }),
    ]);
    eq(await rpc(P.url, 'eth_getCode', [carol.address, 'latest']), '0xef0100' + misc.slice(2).toLowerCase(), 'the delegation designator');
    await block('eip7702 call', [await tx(alice, { to: carol.address, data: data(Misc, 'bump', [1n]), gas: 200000n })]);
    const revoke = await carol.signAuthorization({ contractAddress: '0x' + '00'.repeat(20), chainId: 31337, nonce: nonces[i] });
    nonces[i]++;
    await block('eip7702 revocation', [
      await tx(dave, { type: 'eip7702', to: dave.address, authorizationList: [revoke], gas: 100000n }),
    ]);
  }

  // 7b. anvil_impersonateSignature: ecrecover answers a registered
  // signature (r || s || v, v the last byte of its word) with its address,
  // in a creation that stores what ecrecover returned; with v 28, or a
  // signature not registered, the real precompile answers. From Prague an
  // authorization whose signature is invalid takes the registered address
  // as its authority.
  {
    const word = (b) => b.repeat(32);
    const sigR = word('5a'), sigS = word('17'), hash = word('aa');
    // the authority: a funded account (anvil refunds an authority that does
    // not exist as if it did: that is not what is compared here)
    const faker = '0x' + 'd0'.repeat(20), authority = '0xa0ee7a142d267c1f36714e4a8f75612f20a79720';
    // anvil's parameters: the pair inside the list
    const [rp, ra] = await both('anvil_impersonateSignature', [['0x' + sigR + sigS + '1b', faker]]);
    eq(rp, ra, 'anvil_impersonateSignature: the same answer');
    // PUSH32 x PUSH1 at MSTORE for the input, STATICCALL(gas, 1, 0, 128, 0x80, 32),
    // slot 1 = success, slot 0 = the returned word
    const input = (v) => [[hash, '00'], [v, '20'], [sigR, '40'], [sigS, '60']].map(([x, at]) => '7f' + x + '60' + at + '52').join('');
    const init = (v) => '0x' + input(v) + '602060806080600060015afa' + '600155' + '608051600055' + '00';
    const v27 = word('00').slice(2) + '1b', v28 = word('00').slice(2) + '1c', v27high = '01' + word('00').slice(4) + '1b';
    const created = [];
    const raws = [];
    for (const v of [v27, v28, v27high]) {
      const i = keys.indexOf(dave);
      created.push(viem.getContractAddress({ from: dave.address, nonce: BigInt(nonces[i]) }));
      raws.push(await tx(dave, { data: init(v), gas: 200000n }));
    }
    for (const c of created) touched.set(c.toLowerCase(), new Set(['0x' + word('00'), '0x' + word('00').slice(2) + '01']));
    // anvil's Parity traces list the calls to its overriding ecrecover (not
    // to a precompile, as it sees them): those are not compared here
    await block('ecrecover of an impersonated signature', raws, 12, ['parity']);
    notes.push('anvil\'s Parity traces list the calls to ecrecover once a signature is impersonated (parevm\'s, as for every precompile, do not)');
    eq(await rpc(P.url, 'eth_getStorageAt', [created[0], '0x0', 'latest']), '0x' + '00'.repeat(12) + faker.slice(2),
       'ecrecover answered the impersonated address');
    const call = { to: '0x0000000000000000000000000000000000000001', data: '0x' + hash + v27 + sigR + sigS };
    const [cp, ca] = await both('eth_call', [call, 'latest']);
    eq(cp, ca, 'eth_call of ecrecover: the same answer');
    eq(cp, '0x' + '00'.repeat(12) + faker.slice(2), 'eth_call of ecrecover: the impersonated address');
    if (atLeast('prague')) {
      const authR = '0x' + word('3c'), authS = '0x' + word('21');
      await both('anvil_impersonateSignature', [[authR + authS.slice(2) + '1b', authority]]);
      const auth = { address: misc, chainId: 31337, nonce: 0, r: authR, s: authS, yParity: 0 };
      touched.set(authority, new Set());
      // anvil's replays (trace_replayBlockTransactions) leave the override
      // out of the authorization, which its mined block applied
      await block('eip7702 authorization of an impersonated signature', [
        await tx(owner, { type: 'eip7702', to: bob.address, authorizationList: [auth], gas: 100000n }),
      ], 12, ['parity']);
      notes.push('anvil\'s replays leave anvil_impersonateSignature out of an authorization its mined block took it for (parevm\'s replays are the mined block)');
      eq(await rpc(P.url, 'eth_getCode', [authority, 'latest']), '0xef0100' + misc.slice(2).toLowerCase(),
         'the impersonated authority delegates');
    }
  }

  // 8. a blob transaction (a zero blob: its KZG commitment and proofs are
  // the point at infinity, so no KZG library is needed to make it valid)
  {
    const i = keys.indexOf(bob);
    const commitment = '0xc0' + '00'.repeat(47);
    const vh = '0x01' + createHash('sha256').update(Buffer.from(commitment.slice(2), 'hex')).digest('hex').slice(2);
    const q = (x) => (x === 0n ? '0x' : viem.numberToHex(x));
    const body = [q(31337n), q(BigInt(nonces[i]++)), q(GWEI), q(50n * GWEI), q(100000n), fresh, q(0n), '0x', [], q(10n * GWEI), [vh]];
    const payload = viem.concatHex(['0x03', viem.toRlp(body)]);
    const sig = await sign({ hash: viem.keccak256(payload), privateKey: DEV_KEYS[2] });
    const signed = [...body, sig.yParity ? '0x01' : '0x', viem.trim(sig.r), viem.trim(sig.s)];
    const blob = '0x' + '00'.repeat(131072);
    // Osaka's network form carries EIP-7594 cell proofs (wrapper version 1),
    // the forks before it one blob proof (all the point at infinity here)
    const cellProofs = Array(128).fill(commitment);
    const sidecar = atLeast('osaka') ? [signed, '0x01', [blob], [commitment], cellProofs] : [signed, [blob], [commitment], [commitment]];
    const raw = viem.concatHex(['0x03', viem.toRlp(sidecar)]);
    const [blobHash] = await block('blob transaction', [{ raw, sender: bob.address, feeCap: 50n * GWEI, tipCap: GWEI }], 12, ['transactionsRoot']);
    // anvil's blob getters: the mined blob back, by versioned hash and by transaction
    for (const [m, p] of [['anvil_getBlobByHash', [vh]], ['anvil_getBlobsByTransactionHash', [blobHash]],
                          ['anvil_getBlobByHash', ['0x01' + '00'.repeat(31)]]]) {
      const [bp, ba] = await both(m, p);
      eq(bp, ba, `${m}: the same answer`);
    }
    eq(await rpc(P.url, 'anvil_getBlobByHash', [vh]), blob, 'anvil_getBlobByHash: the zero blob');
    // the transactions root holds the transaction without its sidecar: a
    // trie of one leaf at key rlp(0)
    const consensus = viem.concatHex(['0x03', viem.toRlp(signed)]);
    const root = viem.keccak256(viem.toRlp(['0x2080', consensus]));
    eq(last.pb.transactionsRoot, root, 'blob block: parevm transactionsRoot from the consensus encoding');
    if (last.ab.transactionsRoot !== root)
      notes.push('anvil\'s transactionsRoot of a blob block is not the trie of the consensus encoding (parevm\'s is)');
  }

  // 9. anvil's header controls, called on both: a coinbase that collects
  // the tips, the gas limit of the next blocks, and one block's base fee
  // (the block after it follows EIP-1559 from there)
  {
    const coinbase = '0x' + 'c5'.repeat(20);
    for (const [m, p] of [['anvil_setCoinbase', [coinbase]], ['evm_setBlockGasLimit', ['0x2000000']],
                          ['anvil_setNextBlockBaseFeePerGas', [hex(3n * GWEI)]], ['eth_coinbase', []],
                          ['anvil_getAutomine', []]]) {
      const [rp, ra] = await both(m, p);
      eq(rp, ra, `${m}: the same answer`);
    }
    touched.set(coinbase, new Set());
    await block('header controls', [await tx(owner, { to: bob.address, value: 5n, gas: 21000n }),
                                    await tx(alice, { to: fresh, value: 6n, gas: 21000n })]);
    eq([last.pb.miner, last.pb.gasLimit, last.pb.baseFeePerGas], [coinbase, '0x2000000', hex(3n * GWEI)],
       'header controls: parevm\'s block has the coinbase, gas limit and base fee set');
    await block('after a set base fee', [await tx(bob, { to: owner.address, value: 7n, gas: 21000n })]);
  }

  // 10. Otterscan: value sent on inside a transaction, CREATE and CREATE2
  // (later one that collides), a contract that self-destructs as it is
  // created, a reverted inner transfer, static and delegate calls (each
  // transaction's views compared in block() as everywhere above); then the
  // address searches, the creator, the lookup by sender and nonce, hasCode.
  // Searches: the same transactions and page flags (anvil orders a block's
  // transactions oldest first in ots_searchTransactionsAfter, parevm newest
  // first as the specification: checked here)
  {
    const [fd] = await block('ots: factory', [await tx(owner, { data: deployData(Factory), gas: 2000000n })]);
    const factory = (await rpc(P.url, 'eth_getTransactionReceipt', [fd])).contractAddress;
    const F = (fn, a, extra = {}) => ({ to: factory, data: data(Factory, fn, a), gas: 600000n, ...extra });
    const salt = '0x' + '5a'.repeat(32);
    const hs = await block('ots: factory calls', [
      await tx(alice, F('forward', [bob.address, 5n], { value: 100n })),
      await tx(alice, F('make', [salt, carol.address], { value: 7n })),
      await tx(bob, F('spawn', [dave.address], { value: 9n })),
      await tx(carol, F('failing', [dave.address], { value: 9n })),
      await tx(dave, F('peek', [misc], { value: 5n })),
      await tx(bob, F('forward', [carol.address, 200n], { value: 100n })),
    ]);
    await block('ots: CREATE2 collision', [await tx(alice, F('make', [salt, carol.address], { value: 7n }))]);
    const made = (await rpc(P.url, 'trace_transaction', [hs[1]])).find((t) => t.type === 'create').result.address;
    const [ip] = await both('ots_getInternalOperations', [hs[2]]);
    eq(ip.map((o) => o.type), [0, 1], 'ots: a contract destroyed as it is created shows as its self-destruct');
    const searchKey = (r) => (r && r.txs ? { hashes: r.txs.map((t) => t.hash).sort(), receipts: otsNorm(r.receipts.slice().sort((a, b) => (a.transactionHash < b.transactionHash ? -1 : 1))),
                                            firstPage: r.firstPage, lastPage: r.lastPage } : r);
    const newestFirst = (r) => r.txs.every((t, i) => !i || BigInt(t.blockNumber) < BigInt(r.txs[i - 1].blockNumber) ||
      (t.blockNumber === r.txs[i - 1].blockNumber && BigInt(t.transactionIndex) < BigInt(r.txs[i - 1].transactionIndex)));
    for (const [m, p] of [['ots_searchTransactionsBefore', [factory, 0, 2]], ['ots_searchTransactionsAfter', [factory, 0, 100]],
                          ['ots_searchTransactionsBefore', [bob.address, number - 1, 3]], ['ots_searchTransactionsAfter', [owner.address, 0, 5]],
                          ['ots_searchTransactionsAfter', [alice.address, 3, 4]], ['ots_searchTransactionsBefore', [made, 0, 10]],
                          ['ots_searchTransactionsBefore', [fresh, 0, 100]]]) {
      const [sp, sa] = await both(m, p);
      eq(searchKey(sp), searchKey(sa), `${m}(${p.join(', ')})`);
      check(sp && sp.txs && sp.txs.length && newestFirst(sp), `${m}(${p.join(', ')}): found something, newest first`);
      otsChecks++;
    }
    for (const [m, p] of [['ots_getContractCreator', [factory]], ['ots_getContractCreator', [made]], ['ots_getContractCreator', [alice.address]],
                          ['ots_getContractCreator', [token]], ['ots_getTransactionBySenderAndNonce', [alice.address, 0]],
                          ['ots_getTransactionBySenderAndNonce', [bob.address, '0x2']], ['ots_getTransactionBySenderAndNonce', [dave.address, 999]],
                          ['ots_hasCode', [factory, 'latest']], ['ots_hasCode', [made, hex(number - 2)]], ['ots_hasCode', [bob.address, 'latest']],
                          ['ots_getApiLevel', []], ['ots_getBlockDetails', ['latest']], ['ots_getBlockTransactions', [number - 1, 1, 4]]]) {
      const [vp, va] = await both(m, p);
      eq(m === 'ots_getBlockTransactions' ? otsNorm({ ...vp, fullblock: { ...vp.fullblock, transactionCount: 0 } }) : otsNorm(vp),
         m === 'ots_getBlockTransactions' ? otsNorm({ ...va, fullblock: { ...va.fullblock, transactionCount: 0 } }) : otsNorm(va), `${m}(${p.join(', ')})`);
      otsChecks++;
    }
    const [hp, ha] = await both('erigon_getHeaderByNumber', [number]);
    for (const f of ['number', 'timestamp', 'gasUsed', 'gasLimit', 'baseFeePerGas', 'miner', 'logsBloom'])
      eq(hp[f], ha[f], `erigon_getHeaderByNumber: ${f}`);
  }

  // 11. Parity's trace_filter over the whole chain, against anvil's; then
  // the trace_* methods anvil does not serve, against the mined chain
  {
    const head = hex(number);
    const filters = [{ fromBlock: '0x1', toBlock: head }, { fromBlock: '0x1', toBlock: head, fromAddress: [owner.address] },
                     { fromBlock: '0x2', toBlock: head, toAddress: [token] },
                     // both lists: anvil 1.7's alloy defaults to union, reth's now to intersection
                     { fromBlock: '0x1', toBlock: head, fromAddress: [owner.address], toAddress: [token], mode: 'intersection' },
                     { fromBlock: '0x1', toBlock: head, fromAddress: [bob.address], toAddress: [token], mode: 'union' },
                     { fromBlock: '0x1', toBlock: head, after: 3, count: 4 }];
    // without the blocks whose Parity traces differ on purpose (noParity)
    const unhash = (ts) => (ts || []).filter((t) => !noParity.has(t.blockNumber)).map((t) => ({ ...t, blockHash: undefined }));
    for (const f of filters) {
      const [fp, fa] = await both('trace_filter', [f]);
      eq(JSON.stringify(unhash(fp)), JSON.stringify(unhash(fa)), `trace_filter ${JSON.stringify(f).slice(0, 120)}`);
      check(fp.length > 0 || f.after, `trace_filter ${JSON.stringify(f).slice(0, 60)} finds traces`);
    }
    const all = await rpc(P.url, 'trace_filter', [{ fromBlock: '0x0', toBlock: head }]);
    const both2 = await rpc(P.url, 'trace_filter', [{ fromBlock: '0x1', toBlock: head, fromAddress: [owner.address], toAddress: [token] }]);
    eq(both2.length, all.filter((t) => t.action.from === owner.address.toLowerCase() ||
                                        (t.action.to === token.toLowerCase() || t.result?.address === token.toLowerCase())).length,
       'trace_filter with both lists and no mode: from or to (alloy\'s default, union)');
    // trace_get: the index-th trace; null for none or more than one index
    const h = all.find((t) => t.subtraces > 0).transactionHash;
    const ts = await rpc(P.url, 'trace_transaction', [h]);
    eq(await rpc(P.url, 'trace_get', [h, ['0x1']]), ts[1], 'trace_get(hash, [1]) is the second trace');
    eq(await rpc(P.url, 'trace_get', [h, [0, 1]]), null, 'trace_get with two indices is null');
    eq(await rpc(P.url, 'trace_get', [h, ['0x63']]), null, 'trace_get past the last trace is null');
    eq(await rpc(P.url, 'trace_transaction', ['0x' + '12'.repeat(32)]), null, 'trace_transaction of an unknown hash is null');
    eq((await rpcError(P.url, 'trace_block', ['0x999']))?.code, -32001, 'trace_block past the head: reth\'s block not found');
    // trace_call and trace_callMany: eth_call's output; the second call sees the first's writes
    const bal = (who) => ({ from: owner.address, to: token, data: data(Token, 'balanceOf', [who]) });
    const tc = await rpc(P.url, 'trace_call', [bal(alice.address), ['trace'], 'latest']);
    eq(tc.output, await rpc(P.url, 'eth_call', [bal(alice.address), 'latest']), 'trace_call output is eth_call\'s');
    eq([tc.trace.length, tc.trace[0].type, tc.stateDiff], [1, 'call', null], 'trace_call: one call trace, no stateDiff asked');
    const give = { from: alice.address, to: token, data: data(Token, 'transfer', [fresh, 77n]) };
    const many = await rpc(P.url, 'trace_callMany', [[[give, ['trace', 'stateDiff']], [bal(fresh), ['trace']]], 'latest']);
    eq(BigInt(many[1].output), BigInt(await rpc(P.url, 'eth_call', [bal(fresh), 'latest'])) + 77n,
       'trace_callMany: the second call sees the first\'s transfer');
    check(many[0].stateDiff[token.toLowerCase()] && Object.keys(many[0].stateDiff[token.toLowerCase()].storage).length === 2,
          'trace_callMany: the transfer\'s stateDiff has the two balances');
    const ov = await rpc(P.url, 'trace_call', [{ from: owner.address, to: fresh, value: '0x1' }, ['stateDiff'], 'latest',
                                                { [fresh]: { balance: '0x10' } }]);
    eq(ov.stateDiff[fresh.toLowerCase()].balance, { '*': { from: '0x10', to: '0x11' } }, 'trace_call with a state override');
    // trace_rawTransaction: the trace the transaction gets once mined
    const t = await tx(owner, T('transfer', [bob.address, 9n]));
    const pre = await rpc(P.url, 'trace_rawTransaction', [t.raw, ['trace']]);
    const th = await rpc(P.url, 'eth_sendRawTransaction', [t.raw]);
    await rpc(P.url, 'evm_mine', []);
    eq(pre.trace, (await rpc(P.url, 'trace_replayTransaction', [th, ['trace']])).trace,
       'trace_rawTransaction before, trace_replayTransaction after mining');
    for (const [m, p, code] of [['trace_replayTransaction', [th, ['bogus']], -32602],
                                ['trace_replayTransaction', [th, 'trace'], -32602],
                                ['trace_replayTransaction', ['0x' + '12'.repeat(32), ['trace']], -32001],
                                // past this short chain's head: reth's block not found before its range check
                                ['trace_filter', [{ fromBlock: '0x0', toBlock: '0x65' }], -32001],
                                ['trace_filter', [{ fromBlock: '0x3', toBlock: '0x2' }], -32602],
                                ['trace_filter', [{ blockHash: last.pb.hash, fromBlock: '0x1' }], -32602],
                                ['trace_filter', [{ mode: 'both' }], -32602],
                                ['trace_rawTransaction', ['0x1234', ['trace']], -32602],
                                ['trace_callMany', [[[bal(fresh)]]], -32602],
                                // more calls than a request may run (10,000), refused before any runs
                                ['trace_callMany', [Array(10001).fill([bal(fresh), ['trace']])], -32602]]) {
      let e = null;
      try { await rpc(P.url, m, p); } catch (x) { e = x; }
      eq(e?.code, code, `${m}(${JSON.stringify(p).slice(0, 60)}) is refused with ${code}`);
    }
    // a vmTrace that would hold a megabyte of memory at every step fails
    // rather than exhausting the node (256 MiB of JSON per request)
    const loop = '0x' + '77'.repeat(20);
    const big = await rpcError(P.url, 'trace_call', [{ to: loop, gas: '0x2dc6c0' }, ['vmTrace'], 'latest',
                                                     { [loop]: { code: '0x62100000515b600556' } }]);
    eq([big?.code, /vmTrace too large$/.test(big?.message)], [-32000, true], 'a vmTrace past the budget is refused');
    check((await rpc(P.url, 'trace_call', [{ to: loop, gas: '0x2dc6c0' }, ['trace'], 'latest',
                                           { [loop]: { code: '0x62100000515b600556' } }])).trace.length === 1,
          'the same call traced without vmTrace');
    // the mined transaction moved the chain on: anvil mines the same to stay in step
    await rpc(A.url, 'eth_sendRawTransaction', [t.raw]);
    await rpc(A.url, 'evm_mine', []);
    number++;
  }

  // 12. state dumps cross over: anvil loads parevm's anvil_dumpState and
  // parevm loads anvil's (gzip'd JSON both ways); an account set on one side
  // shows on the other with its code and storage
  {
    const mk = (side) => '0x' + side.repeat(20);
    const word = (x) => '0x' + x.toString(16).padStart(64, '0');
    await rpc(P.url, 'anvil_setCode', [mk('d1'), '0x600160005500']);
    await rpc(P.url, 'anvil_setStorageAt', [mk('d1'), '0x7', word(77)]);
    await rpc(A.url, 'anvil_setBalance', [mk('d2'), '0x1234']);
    await rpc(A.url, 'anvil_setStorageAt', [mk('d2'), '0x8', word(88)]);
    const fromP = await rpc(P.url, 'anvil_dumpState', []), fromA = await rpc(A.url, 'anvil_dumpState', []);
    eq(await rpc(A.url, 'anvil_loadState', [fromP]), true, 'anvil loads parevm\'s dump');
    eq(await rpc(P.url, 'anvil_loadState', [fromA]), true, 'parevm loads anvil\'s dump');
    for (const [url, who] of [[A.url, 'anvil'], [P.url, 'parevm']]) {
      eq(await rpc(url, 'eth_getCode', [mk('d1'), 'latest']), '0x600160005500', `${who}: code from parevm's dump`);
      eq(await rpc(url, 'eth_getStorageAt', [mk('d1'), '0x7', 'latest']), word(77), `${who}: storage from parevm's dump`);
      eq(await rpc(url, 'eth_getBalance', [mk('d2'), 'latest']), '0x1234', `${who}: balance from anvil's dump`);
      eq(await rpc(url, 'eth_getStorageAt', [mk('d2'), '0x8', 'latest']), word(88), `${who}: storage from anvil's dump`);
    }
  }

  // 13. viem's test-client controls, called on both (after the chain
  // comparisons: an unsigned transaction's stand-in signature is each
  // node's own, so its block would differ): anvil_setMinGasPrice refused
  // alike (the chain has EIP-1559), anvil_addBalance, and an unsigned
  // transaction from an address without a key (eth_sendUnsignedTransaction)
  // mined on both, with the same balances and receipt after; without a
  // `from` both refuse it.
  {
    const [mp, ma] = await Promise.all([rpcError(P.url, 'anvil_setMinGasPrice', ['0x1']),
                                        rpcError(A.url, 'anvil_setMinGasPrice', ['0x1'])]);
    eq([mp && mp.code, mp && mp.message], [ma && ma.code, ma && ma.message], 'anvil_setMinGasPrice: the same refusal');
    const who = '0x' + 'e7'.repeat(20), to = '0x' + 'e8'.repeat(20);
    for (const [m, p] of [['anvil_setBalance', [who, '0xde0b6b3a7640000']], ['anvil_addBalance', [who, '0x11']],
                          ['anvil_addBalance', [to, '0x5']], ['eth_getBalance', [who, 'latest']],
                          ['eth_getBalance', [to, 'latest']]]) {
      const [rp, ra] = await both(m, p);
      eq(rp, ra, `${m} ${p.join(' ')}: the same answer`);
    }
    const utx = { from: who, to, value: '0x7', gas: '0x5208', maxFeePerGas: hex(50n * GWEI), maxPriorityFeePerGas: hex(GWEI) };
    const [hp, ha] = await both('eth_sendUnsignedTransaction', [utx]);
    check(/^0x[0-9a-f]{64}$/.test(hp) && /^0x[0-9a-f]{64}$/.test(ha), 'eth_sendUnsignedTransaction: both take it', `${hp} ${ha}`);
    await Promise.all([rpc(P.url, 'evm_mine', []), rpc(A.url, 'evm_mine', [])]);
    const [rp, ra] = await Promise.all([rpc(P.url, 'eth_getTransactionReceipt', [hp]), rpc(A.url, 'eth_getTransactionReceipt', [ha])]);
    eq([rp.status, rp.gasUsed, rp.from, rp.to], [ra.status, ra.gasUsed, ra.from, ra.to], 'eth_sendUnsignedTransaction: the same receipt');
    for (const a of [who, to]) {
      const [bp, ba] = await both('eth_getBalance', [a, 'latest']);
      eq(bp, ba, `after the unsigned transaction: ${a} has the same balance`);
    }
    const [np, na] = await Promise.all([rpcError(P.url, 'eth_sendUnsignedTransaction', [{ to, value: '0x1' }]),
                                        rpcError(A.url, 'eth_sendUnsignedTransaction', [{ to, value: '0x1' }])]);
    eq([np && np.code, np && np.message], [na && na.code, na && na.message], 'eth_sendUnsignedTransaction without from: the same refusal');
  }

  // 14. anvil's methods about the node and the chain as a whole, on both:
  // anvil_nodeInfo and anvil_metadata (the fields that do not depend on
  // the genesis), evm_setTime (its answer and the next block's time),
  // evm_mine_detailed (each transaction's output and revertReason: a
  // success, a deployment, a reason string, a custom error, an assert, a
  // division by zero, a bare revert, an out-of-gas) and anvil_rollback
  // (the head, a nonce and the clock after it; a depth past the genesis
  // refused alike).
  {
    const [ip, ia] = await both('anvil_nodeInfo', []);
    // (transactionOrder: anvil runs here with --order fifo, parevm's pool orders by fees)
    for (const f of ['currentBlockNumber', 'hardFork', 'environment', 'forkConfig'])
      eq(ip[f], ia[f], `anvil_nodeInfo ${f}`);
    eq(ip.transactionOrder, 'fees', 'anvil_nodeInfo: parevm orders by fees');
    for (const [url, info, who] of [[P.url, ip, 'parevm'], [A.url, ia, 'anvil']]) {
      const b = await rpc(url, 'eth_getBlockByNumber', ['latest', false]);
      eq([info.currentBlockHash, info.currentBlockTimestamp], [b.hash, Number(b.timestamp)],
         `anvil_nodeInfo: ${who}'s current block hash and timestamp are the head's`);
    }
    await both('evm_snapshot', []);
    const [mp, ma] = await both('anvil_metadata', []);
    for (const f of ['chainId', 'latestBlockNumber', 'forkedNetwork'])
      eq(mp[f], ma[f], `anvil_metadata ${f}`);
    eq(mp.latestBlockHash, ip.currentBlockHash, 'anvil_metadata: parevm\'s latest block hash');
    eq(Object.values(mp.snapshots).map((v) => v[0]), Object.values(ma.snapshots).map((v) => v[0]),
       'anvil_metadata: the same snapshots (at the same block numbers)');
    check(/^0x[0-9a-f]{64}$/.test(mp.instanceId) && /^parevm\//.test(mp.clientVersion), 'anvil_metadata: instanceId, clientVersion');

    // evm_setTime, a minute past the next block's time: both answer about
    // 60 (parevm's chain runs a few seconds ahead of anvil's by now: its
    // blocks without a set time are at least one second apart) and mine at it
    const head = await rpc(P.url, 'eth_getBlockByNumber', ['latest', false]);
    const t = Number(head.timestamp) + 61;
    const [op, oa] = await both('evm_setTime', [t]);
    check(typeof op === 'number' && Math.abs(op - oa) <= 6 && op > 50 && op <= 61, 'evm_setTime: the same offset', `${op} ${oa}`);
    // code set just before the block: its replays (evm_mine_detailed's
    // outputs, the tracers) must see it
    const rev = '0x' + 'e9'.repeat(20);
    await both('anvil_setCode', [rev, '0x60ff60005260206000fd']);
    const sent = [await tx(owner, T('transfer', [alice.address, 3n])), await tx(owner, { data: deployData(Misc), gas: 2000000n }),
                  await tx(owner, { to: rev, gas: 100000n }),
                  await tx(owner, M('fail', [1n])), await tx(owner, M('fail', [2n])),
                  await tx(owner, M('fail', [3n])), await tx(owner, M('fail', [4n])),
                  await tx(owner, M('bump', [50n], { gas: 60000n }))];
    const notOwner = await tx(carol, T('mint', [carol.address, 1n]));
    for (const { raw } of [...sent, notOwner]) await both('eth_sendRawTransaction', [raw]);
    const [dp, da] = await both('evm_mine_detailed', []);
    eq([dp.length, da.length], [1, 1], 'evm_mine_detailed: one block each');
    const tp = Number(dp[0].timestamp), ta = Number(da[0].timestamp);
    check(tp >= t && tp <= t + 1 && ta >= t && ta <= t + 1, 'evm_setTime: both mine at the time set', `${tp} ${ta} ${t}`);
    eq(dp[0].number, da[0].number, 'evm_mine_detailed: the same block number');
    const outcome = (b) => Object.fromEntries(b.transactions.map((x) => [x.hash, [x.output ?? null, x.revertReason ?? null]]));
    const [xp, xa] = [outcome(dp[0]), outcome(da[0])];
    eq(Object.keys(xp).sort(), Object.keys(xa).sort(), 'evm_mine_detailed: the same transactions');
    for (const h of Object.keys(xa)) {
      eq(xp[h], xa[h], `evm_mine_detailed: output and revertReason of ${h.slice(0, 10)}`);
      // (anvil 1.7's callTracer gas and gasUsed here are not the transaction's)
      const pick = (c) => ['from', 'to', 'input', 'output', 'error', 'revertReason', 'value', 'type'].map((f) => c[f] ?? null);
      const [cp, ca] = await both('debug_traceTransaction', [h, { tracer: 'callTracer' }]);
      eq(pick(cp), pick(ca), `after anvil_setCode: the callTracer of ${h.slice(0, 10)}`);
      const [fp, fa] = await both('trace_transaction', [h]);
      eq(fp.map((x) => ({ ...x, blockHash: undefined })), fa.map((x) => ({ ...x, blockHash: undefined })),
         `after anvil_setCode: trace_transaction of ${h.slice(0, 10)}`);
    }
    eq(Object.values(xp).filter((v) => v[1]).length, 5, 'evm_mine_detailed: five failures with data carry a revertReason');

    // anvil_rollback: back one block, the transactions' nonces with it;
    // the clock goes back to the new head's time
    const top = Number(await rpc(P.url, 'eth_blockNumber', []));
    const nonceBefore = await rpc(P.url, 'eth_getTransactionCount', [owner.address, hex(top - 1)]);
    const [rp, ra] = await both('anvil_rollback', [1]);
    eq([rp, ra], [null, null], 'anvil_rollback(1) answers null');
    for (const [m, p] of [['eth_blockNumber', []], ['eth_getTransactionCount', [owner.address, 'latest']]]) {
      const [vp, va] = await both(m, p);
      eq(vp, va, `after anvil_rollback: ${m} the same`);
    }
    eq(await rpc(P.url, 'eth_getTransactionCount', [owner.address, 'latest']), nonceBefore, 'after anvil_rollback: the nonce of the block before');
    eq(await rpc(P.url, 'eth_getBlockByNumber', [hex(top), false]), null, 'after anvil_rollback: the block is gone');
    const back = await Promise.all([P.url, A.url].map(async (url) => Number((await rpc(url, 'eth_getBlockByNumber', ['latest', false])).timestamp)));
    await Promise.all([rpc(P.url, 'evm_mine', []), rpc(A.url, 'evm_mine', [])]);
    for (const [i, url, who] of [[0, P.url, 'parevm'], [1, A.url, 'anvil']]) {
      const ts = Number((await rpc(url, 'eth_getBlockByNumber', ['latest', false])).timestamp);
      check(ts >= back[i] && ts <= back[i] + 3, `after anvil_rollback: ${who}'s clock went back to the head's time`, `${ts} ${back[i]}`);
    }
    const [ep, ea] = await Promise.all([rpcError(P.url, 'anvil_rollback', [top + 5]), rpcError(A.url, 'anvil_rollback', [top + 5])]);
    eq([ep && ep.code, ep && ep.message], [ea && ea.code, ea && ea.message], 'anvil_rollback past the genesis: the same refusal');

    // anvil_reorg: two blocks back, two new ones holding raw transactions
    // and a call object (signed by the node, its nonce counted from the
    // common ancestor) at the blocks given; the same blocks and balances
    // after, and the same refusals
    const h0 = Number(await rpc(P.url, 'eth_blockNumber', []));
    eq(Number(await rpc(A.url, 'eth_blockNumber', [])), h0, 'before anvil_reorg: the same head');
    nonces[0] = Number(await rpc(P.url, 'eth_getTransactionCount', [owner.address, hex(h0 - 2)]));
    const x1 = await tx(owner, { to: fresh, value: 11n, gas: 21000n }), x2 = await tx(owner, { to: fresh, value: 12n, gas: 21000n });
    const call = { from: alice.address, to: fresh, value: '0xd' };
    const [gp, ga] = await both('anvil_reorg', [2, [[x2.raw, 1], [x1.raw, 0], [call, 0]]]);
    eq([gp, ga], [null, null], 'anvil_reorg answers null');
    for (const k of [h0 - 1, h0]) {
      const [bp, ba] = await both('eth_getBlockByNumber', [hex(k), true]);
      const txs = (b) => b.transactions.map((t) => [t.from, t.to, t.value, t.nonce]);
      eq(txs(bp), txs(ba), `after anvil_reorg: the transactions of block ${k}`);
    }
    for (const [m, p] of [['eth_blockNumber', []], ['eth_getBalance', [fresh, 'latest']],
                          ['eth_getTransactionCount', [owner.address, 'latest']], ['eth_getTransactionCount', [alice.address, 'latest']]]) {
      const [vp, va] = await both(m, p);
      eq(vp, va, `after anvil_reorg: ${m} ${p.join(' ')}`);
    }
    for (const p of [[h0 + 5, []], [1, [['0x1234', 0]]], [1, [[call, 1]]], [1, [[{ from: fresh, to: fresh }, 0]]]]) {
      const [xp2, xa2] = await Promise.all([rpcError(P.url, 'anvil_reorg', p), rpcError(A.url, 'anvil_reorg', p)]);
      eq([xp2 && xp2.code, xp2 && xp2.message], [xa2 && xa2.code, xa2 && xa2.message], `anvil_reorg ${JSON.stringify(p).slice(0, 50)}: the same refusal`);
    }
    const [mp1, ma1] = await Promise.all([rpcError(P.url, 'anvil_reorg', [1]), rpcError(A.url, 'anvil_reorg', [1])]);
    eq([mp1 && mp1.code, ma1 && ma1.code], [-32602, -32602], 'anvil_reorg without its pairs: refused by both');
  }

  // 15. the smaller methods, on both: anvil_getGenesisTime,
  // eth_getRawTransactionByBlock*AndIndex, debug_codeByHash,
  // eth_fillTransaction (the same unsigned transaction), the pool's
  // anvil_removePoolTransactions and anvil_dropAllTransactions, and the
  // aliases evm_setAccountNonce, hardhat_addBalance, tenderly_setBalance
  // and tenderly_addBalance
  {
    const [tp, ta] = await both('anvil_getGenesisTime', []);
    eq([tp, ta], [T0, T0], 'anvil_getGenesisTime: the genesis timestamp');
    const head = await rpc(P.url, 'eth_getBlockByNumber', ['latest', true]);
    const at = head.transactions.length ? head : await rpc(P.url, 'eth_getBlockByNumber', [hex(Number(head.number) - 1), true]);
    for (const [m, ref] of [['eth_getRawTransactionByBlockNumberAndIndex', at.number], ['eth_getRawTransactionByBlockHashAndIndex', at.hash]]) {
      eq(await rpc(P.url, m, [ref, '0x0']), await rpc(P.url, 'eth_getRawTransactionByHash', [at.transactions[0].hash]), `${m}: the raw transaction`);
      eq(await rpc(P.url, m, [ref, '0x63']), null, `${m} past the last: null`);
    }
    const [rp2, ra2] = await both('eth_getRawTransactionByBlockNumberAndIndex', [hex(3), '0x1']);
    eq(rp2, ra2, 'eth_getRawTransactionByBlockNumberAndIndex of block 3: the same on both');
    const code = await rpc(P.url, 'eth_getCode', [token, 'latest']);
    const codeHash = viem.keccak256(code);
    for (const h of [codeHash, '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470']) {
      const [cp, ca] = await both('debug_codeByHash', [h]);
      eq(cp, ca, `debug_codeByHash ${h.slice(0, 10)}: the same code`);
    }
    eq(await rpc(P.url, 'debug_codeByHash', ['0x' + '12'.repeat(32)]), null, 'debug_codeByHash of an unknown hash: null (reth\'s; anvil answers 0x)');
    const fill = { from: owner.address, to: fresh, value: '0x5', data: '0x1234' };
    // (the gas differs by design: parevm estimates within geth's 1.5%)
    const [fp, fa] = await both('eth_fillTransaction', [fill]);
    for (const f of ['type', 'chainId', 'nonce', 'maxPriorityFeePerGas', 'to', 'value', 'input', 'from', 'r', 's'])
      eq(fp.tx[f], fa.tx[f], `eth_fillTransaction: tx.${f}`);
    check(BigInt(fp.tx.gas) >= BigInt(fa.tx.gas) && BigInt(fp.tx.gas) * 1000n <= BigInt(fa.tx.gas) * 1015n,
          'eth_fillTransaction: gas within 1.5% of anvil\'s exact one', `${fp.tx.gas} ${fa.tx.gas}`);
    eq(viem.keccak256(fp.raw), fp.tx.hash, 'eth_fillTransaction: tx.hash is the raw transaction\'s');
    eq(viem.parseTransaction(fp.raw).nonce, Number(fp.tx.nonce), 'eth_fillTransaction: raw decodes to the tx');
    // the pool: two senders' transactions, one sender's removed, then all
    await both('evm_setAutomine', [false]);
    nonces[1] = Number(await rpc(P.url, 'eth_getTransactionCount', [alice.address, 'latest']));
    nonces[2] = Number(await rpc(P.url, 'eth_getTransactionCount', [bob.address, 'latest']));
    for (const t of [await tx(alice, { to: fresh, value: 1n, gas: 21000n }), await tx(alice, { to: fresh, value: 2n, gas: 21000n }),
                     await tx(bob, { to: fresh, value: 3n, gas: 21000n })])
      await both('eth_sendRawTransaction', [t.raw]);
    for (const [m, p, want] of [['txpool_status', [], '0x3'], ['anvil_removePoolTransactions', [alice.address], null],
                                ['txpool_status', [], '0x1'], ['anvil_dropAllTransactions', [], null], ['txpool_status', [], '0x0']]) {
      const [vp, va] = await both(m, p);
      eq(vp, va, `${m}: the same answer`);
      if (m === 'txpool_status') eq(vp.pending, want, `txpool_status: ${want} pending`);
    }
    for (const [m, p, q] of [['evm_setAccountNonce', [fresh, '0x9'], ['eth_getTransactionCount', [fresh, 'latest']]],
                             ['hardhat_addBalance', [fresh, '0x100'], ['eth_getBalance', [fresh, 'latest']]],
                             ['tenderly_setBalance', [fresh, '0x1000'], ['eth_getBalance', [fresh, 'latest']]],
                             ['tenderly_addBalance', [fresh, '0x11'], ['eth_getBalance', [fresh, 'latest']]]]) {
      const [vp, va] = await both(m, p);
      eq(vp, va, `${m}: the same answer`);
      const [wp, wa] = await both(...q);
      eq(wp, wa, `after ${m}: ${q[0]} the same`);
    }
  }

  // anvil's other names and answers: eth_networkId, eth_requestAccounts,
  // eth_protocolVersion, and eth_signTypedData_v3 (as v4)
  {
    for (const m of ['eth_networkId', 'eth_requestAccounts', 'eth_protocolVersion']) {
      const [vp, va] = await both(m, []);
      eq(vp, va, `${m}: the same answer`);
    }
    const typed = { types: { EIP712Domain: [{ name: 'name', type: 'string' }, { name: 'chainId', type: 'uint256' }],
                             Mail: [{ name: 'to', type: 'address' }, { name: 'contents', type: 'string' }] },
                    primaryType: 'Mail', domain: { name: 'diff', chainId: 31337 },
                    message: { to: bob.address, contents: 'hello' } };
    // (anvil 1.7.1 names it but answers "Not implemented": parevm signs as v4)
    const sp = await rpc(P.url, 'eth_signTypedData_v3', [owner.address, typed]);
    check(/^0x[0-9a-f]{130}$/.test(sp || ''), 'eth_signTypedData_v3: a signature', sp);
    eq(sp, await rpc(A.url, 'eth_signTypedData_v4', [owner.address, typed]), 'eth_signTypedData_v3: anvil\'s v4 signature');
  }

  // 16. anvil's ERC-20 edits, on both: the slot balanceOf / allowance
  // reads found and set (the token's storage the same after), and the
  // refusal for a contract that is no token
  {
    const callT = (fn, a) => ({ to: token, data: data(Token, fn, a) });
    for (const [m, p, q] of [['anvil_dealERC20', [fresh, token, '0x3039'], callT('balanceOf', [fresh])],
                             ['anvil_setERC20Balance', [dave.address, token, '0x7'], callT('balanceOf', [dave.address])],
                             ['anvil_setERC20Allowance', [owner.address, fresh, token, '0x309'], callT('allowance', [owner.address, fresh])]]) {
      const [vp, va] = await both(m, p);
      eq([vp, va], [null, null], `${m}: null on both`);
      const [cp, ca] = await both('eth_call', [q, 'latest']);
      eq(BigInt(cp), BigInt(p[p.length - 1]), `${m}: parevm's token answers the amount`);
      eq(cp, ca, `${m}: the same answer on both`);
    }
    for (const [m, p] of [['anvil_dealERC20', [fresh, misc, '0x1']], ['anvil_setERC20Allowance', [owner.address, fresh, misc, '0x1']]]) {
      const [ep, ea] = await Promise.all([rpcError(P.url, m, p), rpcError(A.url, m, p)]);
      eq([ep && ep.code, ep && ep.message], [ea && ea.code, ea && ea.message], `${m} on no token: the same refusal`);
    }
  }

  if (stateRoots) notes.push(`state roots differ in ${stateRoots} of ${number} blocks (the genesis states differ)`);
  for (const n of notes) console.log(`NOTE ${n}`);
  console.log(`compared ${number} blocks, ${touched.size} touched accounts, ${parityChecks} trace_* answers, ${otsChecks} ots_* answers`);
  await stopParevm(P);
}, 540000);
