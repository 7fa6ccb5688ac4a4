// anvil's command-line names work on `parevm node --dev` as on anvil:
// both started with the same flags (--port, --host, --chain-id, --accounts,
// --balance, --mnemonic, --gas-limit, --timestamp, --hardfork,
// --block-base-fee-per-gas, --auto-impersonate, --no-mining; then the short
// forms -a, -m, -b) must answer alike: the chain id, the accounts the
// mnemonic gives and their balances, the genesis block's gas limit,
// timestamp and base fee, automining off (a sent transaction waits in the
// pool until evm_mine, in the pending block meanwhile) or interval mining
// on, and an address without a key that sends. Then --code-size-limit and
// --disable-code-size-limit: the deployments and transactions either node
// accepts or refuses; --init with a geth genesis file (and --chain-id over
// the file's): the chain id, the allocation over the dev accounts, the
// genesis block's timestamp, base fee and miner, the coinbase of mined
// blocks; --base-fee 0: the fees a transfer pays, with and without fee
// fields; --order fees|fifo: the order of a mined block's transactions;
// the CREATE2 deployer at genesis (a deployment through it), and without
// it (--disable-default-create2-deployer); "safe" and "finalized" an epoch
// and two below the head (--slots-in-an-epoch); --mixed-mining (a block
// per transaction as well as one per interval) and --no-mine;
// --derivation-path and --config-out (the file both write);
// --disable-min-priority-fee; CORS by default, --allow-origin and --no-cors;
// --gas-price before London and anvil_nodeInfo's fields;
// --mnemonic-seed-unsafe, --mnemonic-random and phrases both refuse;
// --disable-block-gas-limit and --no-request-size-limit; the EIP-7825 cap
// off by default and on with --enable-tx-gas-limit; --steps-tracing, the
// history flags, --max-transactions, --memory-limit, --cache-path, -j,
// --color and -v..., accepted.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { args, check, eq, foundryBin, rpc, run, runCommand, startAnvil, startParevm, stopParevm, toolRequire } from './lib.mjs';

const opt = args();
// a contract whose code loops a few times and stops (for an opcode trace)
const ADDR_C2 = '0x00000000000000000000000000000000000c0de2';
const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// init code that deploys n zero bytes, padded with pad bytes after it
const deployer = (n, pad = 0) => '0x62' + n.toString(16).padStart(6, '0') + '6000f3' + '00'.repeat(pad);
// a transaction's receipt, polled every 50 ms up to tries times (anvil may
// answer before its block is in), or null
async function receiptOf(url, h, tries = 20) {
  for (let i = 0; i < tries; i++) {
    const r = await rpc(url, 'eth_getTransactionReceipt', [h]);
    if (r) return r;
    await sleep(50);
  }
  return null;
}
// a deployment's status on one node (automining), or its refusal
async function deploy(url, from, n, pad = 0, gas = '0xf00000') {
  try {
    const h = await rpc(url, 'eth_sendTransaction', [{ from, data: deployer(n, pad), gas }]);
    if ((await rpc(url, 'anvil_getAutomine', [])) === false) await rpc(url, 'evm_mine', []);
    const r = await receiptOf(url, h, 100);
    return r ? r.status : 'no receipt';
  } catch (e) {
    if (process.env.FLAGS_DEBUG) console.log(url, String(e).slice(0, 300));
    return 'refused';
  }
}

run(async () => {
  // 1. the long names, automining off
  const flags = ['--host', '127.0.0.1', '--chain-id', '1337', '--accounts', '3', '--balance', '123', '--mnemonic', MNEMONIC,
                 '--gas-limit', '12345678', '--timestamp', '1700000000', '--hardfork', 'london', '--no-mining',
                 '--block-base-fee-per-gas', '5000000000', '--auto-impersonate'];
  let P = await startParevm(opt.parevm, ['--port', '0', ...flags]);
  let A = await startAnvil(opt.tools, flags);
  let both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
  for (const m of ['eth_chainId', 'eth_accounts', 'anvil_getAutomine', 'eth_blockNumber']) {
    const [p, a] = await both(m);
    eq(p, a, `${m} with anvil's flags`);
  }
  const [accounts] = await both('eth_accounts');
  eq(accounts.length, 3, '--accounts 3');
  check(!accounts.includes('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'), '--mnemonic: not the test mnemonic\'s accounts');
  for (const a of accounts) {
    const [p, q] = await both('eth_getBalance', [a, 'latest']);
    eq(p, q, `--balance: ${a}`);
    eq(BigInt(p), 123n * 10n ** 18n, `--balance 123 ether: ${a}`);
  }
  const [g, h] = await both('eth_getBlockByNumber', ['0x0', false]);
  for (const f of ['gasLimit', 'timestamp', 'baseFeePerGas', 'difficulty']) eq(g[f], h[f], `genesis ${f}`);
  eq(g.gasLimit, '0xbc614e', '--gas-limit 12345678');
  eq(g.timestamp, '0x6553f100', '--timestamp 1700000000');
  eq(g.baseFeePerGas, '0x12a05f200', '--block-base-fee-per-gas 5000000000');
  // --no-mining: the transaction waits for evm_mine
  const tx = { from: accounts[0], to: accounts[1], value: '0x1', gas: '0x5208' };
  await both('eth_sendTransaction', [tx]);
  const [np, na] = await both('eth_blockNumber');
  eq(np, '0x0', 'no block without evm_mine (parevm)');
  eq(na, '0x0', 'no block without evm_mine (anvil)');
  // the waiting transaction in the pending block and the pending state
  const [pp, pa] = await both('eth_getBlockByNumber', ['pending', false]);
  eq([pp.number, pp.transactions.length, pp.gasUsed], [pa.number, pa.transactions.length, pa.gasUsed],
     'the pending block: number, transactions, gas used');
  eq(pp.transactions.length, 1, 'the pending block holds the waiting transaction');
  for (const tag of ['pending', 'latest']) {
    const [bp, ba] = await both('eth_getBalance', [accounts[1], tag]);
    eq(bp, ba, `the recipient's balance at ${tag}`);
  }
  await both('evm_mine', []);
  const [b1, c1] = await both('eth_getBlockByNumber', ['0x1', false]);
  eq(b1 && b1.transactions.length, 1, 'evm_mine mines the waiting transaction (parevm)');
  eq(c1 && c1.transactions.length, 1, 'evm_mine mines the waiting transaction (anvil)');
  // --auto-impersonate: an address without a key sends
  const stranger = '0x000000000000000000000000000000000000dead';
  await both('anvil_setBalance', [stranger, '0xde0b6b3a7640000']);
  const sent = await Promise.all([P, A].map((x) => rpc(x.url, 'eth_sendTransaction', [{ from: stranger, to: accounts[2], value: '0x7', gas: '0x5208' }])
    .then((h) => /^0x[0-9a-f]{64}$/.test(h), (e) => String(e))));
  eq(sent, [true, true], '--auto-impersonate: a keyless sender is accepted on both');
  await both('evm_mine', []);
  const [bp, bq] = await both('eth_getBalance', [accounts[2], 'latest']);
  eq(bp, bq, '--auto-impersonate: the transfer arrived alike');
  // EIP-170 by default: one byte over 24576 fails on both
  const over = await Promise.all([P, A].map((x) => deploy(x.url, accounts[0], 24577, 0, '0x900000')));
  eq(over, ['0x0', '0x0'], 'a 24577-byte contract fails on both by default');
  await stopParevm(P);
  await A.stop();

  // 2. the short names, interval mining
  const short = ['-a', '2', '-m', MNEMONIC, '-b', '1'];
  P = await startParevm(opt.parevm, ['-p', '0', ...short]);
  A = await startAnvil(opt.tools, short);
  both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
  for (const m of ['eth_accounts', 'anvil_getAutomine', 'anvil_getIntervalMining']) {
    const [p, a] = await both(m);
    eq(p, a, `${m} with anvil's short flags`);
  }
  const [ivl] = await both('anvil_getIntervalMining');
  eq(ivl, 1, '-b 1: a block every second');
  await sleep(2500);
  const [mp, ma] = await both('eth_blockNumber');
  check(Number(mp) >= 1 && Number(ma) >= 1, 'blocks come without transactions on both', { parevm: mp, anvil: ma });
  await stopParevm(P);
  await A.stop();

  // 3. the contract size limit raised, then gone
  for (const [flag, cases] of [[['--code-size-limit', '30000'], [[25000, 0, '0x1'], [30001, 0, '0x0'], [100, 60000, 'refused'], [100, 59900, '0x1']]],
                               [['--disable-code-size-limit'], [[60000, 0, '0x1'], [100, 100000, '0x1']]]]) {
    P = await startParevm(opt.parevm, flag);
    A = await startAnvil(opt.tools, flag);
    const [from] = await rpc(P.url, 'eth_accounts', []);
    for (const [n, pad, want] of cases) {
      const got = await Promise.all([P, A].map((x) => deploy(x.url, from, n, pad)));
      eq(got[0], got[1], `${flag.join(' ')}: ${n} bytes of code, ${pad} of padding: the same on both`);
      eq(got[0], want, `${flag.join(' ')}: ${n} bytes of code, ${pad} of padding`);
    }
    await stopParevm(P);
    await A.stop();
  }

  // 4. --init: a geth genesis file
  const dir = mkdtempSync(join(tmpdir(), 'parevm-init-'));
  const file = join(dir, 'genesis.json');
  const forks = ['homestead', 'eip150', 'eip155', 'eip158', 'byzantium', 'constantinople', 'petersburg', 'istanbul', 'berlin', 'london'];
  const config = { chainId: 4242, terminalTotalDifficulty: 0, shanghaiTime: 0, cancunTime: 0, pragueTime: 0 };
  for (const f of forks) config[f + 'Block'] = 0;
  const C = '0x00000000000000000000000000000000000000c1', CB = '0x00000000000000000000000000000000000000cb';
  const dev0 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', dev1 = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
  writeFileSync(file, JSON.stringify({
    config, timestamp: '0x65000000', gasLimit: '0x1c9c380', baseFeePerGas: '0x77359400', coinbase: CB,
    alloc: { [C]: { balance: '0x5', code: '0x60015460005260206000f3', storage: { '0x01': '0x2a' } },
             [dev0]: { balance: '0x3635c9adc5dea00000', nonce: '0x3' } },
  }));
  for (const extra of [[], ['--chain-id', '99']]) {
    const flags = ['--init', file, ...extra];
    P = await startParevm(opt.parevm, flags);
    A = await startAnvil(opt.tools, flags);
    both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
    const what = flags.join(' ').replace(file, 'genesis.json');
    const reads = [['eth_chainId', []], ['eth_coinbase', []], ['eth_getBalance', [dev0, 'latest']],
                   ['eth_getTransactionCount', [dev0, 'latest']], ['eth_getBalance', [dev1, 'latest']],
                   ['eth_getBalance', [C, 'latest']], ['eth_getCode', [C, 'latest']],
                   ['eth_getStorageAt', [C, '0x1', 'latest']], ['eth_call', [{ to: C }, 'latest']]];
    for (const [m, p] of reads) {
      const [x, y] = await both(m, p);
      eq(x, y, `${what}: ${m} ${JSON.stringify(p)}`);
    }
    const [cid] = await both('eth_chainId');
    eq(cid, extra.length ? '0x63' : '0x1092', `${what}: the chain id`);
    const [g, h] = await both('eth_getBlockByNumber', ['0x0', false]);
    for (const f of ['timestamp', 'baseFeePerGas', 'miner', 'gasLimit']) eq(g[f], h[f], `${what}: genesis ${f}`);
    eq(g.miner, CB, `${what}: the genesis coinbase`);
    // anvil 1.7.1 signs with chain id 31337 whatever the genesis file
    // says (its own eth_sendTransaction then fails): the transfer is
    // compared where --chain-id is given, and checked on parevm alone
    // otherwise
    const tx = { from: dev0, to: dev1, value: '0x1', gas: '0x5208' };
    if (extra.length) await both('eth_sendTransaction', [tx]);
    else await rpc(P.url, 'eth_sendTransaction', [tx]);
    const [b, c] = await both('eth_getBlockByNumber', ['0x1', false]);
    if (extra.length) eq(b && b.miner, c && c.miner, `${what}: block 1's miner`);
    eq(b && b.miner, CB, `${what}: block 1 goes to the genesis coinbase`);
    const [tp] = await Promise.all([rpc(P.url, 'eth_getTransactionByBlockNumberAndIndex', ['0x1', '0x0'])]);
    eq(tp && tp.chainId, cid, `${what}: the transfer is signed for the chain id`);
    // the sender's balance is not compared: anvil gives block 1 the
    // genesis base fee, parevm EIP-1559's (7/8 of it after an empty
    // genesis), as geth and dev_chain_valid's import do
    for (const a of extra.length ? [dev1, CB] : []) {
      const [x, y] = await both('eth_getBalance', [a, 'latest']);
      eq(x, y, `${what}: ${a}'s balance after a transfer`);
    }
    await stopParevm(P);
    await A.stop();
  }
  rmSync(dir, { recursive: true, force: true });

  // 5. --base-fee 0: blocks without a base fee while at most half full
  P = await startParevm(opt.parevm, ['--base-fee', '0']);
  A = await startAnvil(opt.tools, ['--base-fee', '0']);
  both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
  const [from0, to0] = await rpc(P.url, 'eth_accounts', []);
  for (const fees of [{}, { maxFeePerGas: '0x0', maxPriorityFeePerGas: '0x0' }, { gasPrice: '0x0' }]) {
    const what = `--base-fee 0, ${JSON.stringify(fees)}`;
    const [gp, ga] = await both('eth_gasPrice');
    eq(gp, ga, `${what}: eth_gasPrice`);
    const [hp, ha] = await both('eth_sendTransaction', [{ from: from0, to: to0, value: '0x1', ...fees }]);
    const [tp, ta] = await Promise.all([rpc(P.url, 'eth_getTransactionByHash', [hp]), rpc(A.url, 'eth_getTransactionByHash', [ha])]);
    for (const f of ['type', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'gas']) eq(tp[f], ta[f], `${what}: the transaction's ${f}`);
    const [rp, ra] = await Promise.all([receiptOf(P.url, hp), receiptOf(A.url, ha)]);
    eq(rp.effectiveGasPrice, ra.effectiveGasPrice, `${what}: effectiveGasPrice`);
    const [bp, ba] = await both('eth_getBlockByNumber', ['latest', false]);
    eq(bp.baseFeePerGas, '0x0', `${what}: the block's base fee`);
    eq(bp.baseFeePerGas, ba.baseFeePerGas, `${what}: the block's base fee on both`);
    const [xp, xa] = await both('eth_getBalance', [from0, 'latest']);
    eq(xp, xa, `${what}: the sender's balance`);
  }
  await stopParevm(P);
  await A.stop();

  // 6. --order: by tip (fees, the default) or by arrival (fifo)
  for (const order of ['fees', 'fifo']) {
    const flags = ['--no-mining', '--order', order];
    P = await startParevm(opt.parevm, flags);
    A = await startAnvil(opt.tools, flags);
    both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
    const accts = (await rpc(P.url, 'eth_accounts', [])).slice(0, 4);
    // gwei, in arrival order; the fee caps rank as the tips do (anvil ranks
    // by fee cap, parevm by effective tip, as geth's miner does)
    const tips = [1, 3, 2, 5];
    const gwei = (x) => '0x' + (BigInt(x) * 10n ** 9n).toString(16);
    for (let i = 0; i < accts.length; i++) {
      await both('eth_sendTransaction', [{ from: accts[i], to: accts[0], value: '0x1', gas: '0x5208',
        maxFeePerGas: gwei(100 + tips[i]), maxPriorityFeePerGas: gwei(tips[i]) }]);
    }
    await both('evm_mine', []);
    const [bp, ba] = await both('eth_getBlockByNumber', ['0x1', true]);
    const senders = (b) => (b ? b.transactions.map((t) => accts.indexOf(t.from)) : []);
    eq(senders(bp), senders(ba), `--order ${order}: the block's senders in the same order on both`);
    eq(senders(bp), order === 'fifo' ? [0, 1, 2, 3] : [3, 1, 2, 0], `--order ${order}: the block's senders`);
    await stopParevm(P);
    await A.stop();
  }

  // 7. the CREATE2 deployer (forge script's `new C{salt: s}()` goes through it)
  const PROXY = '0x4e59b44847b379578588920ca78fbf26c0b4956c';
  for (const flags of [[], ['--disable-default-create2-deployer']]) {
    const what = flags.length ? flags[0] : 'by default';
    P = await startParevm(opt.parevm, flags);
    A = await startAnvil(opt.tools, flags);
    both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
    const [cp, ca] = await both('eth_getCode', [PROXY, 'latest']);
    eq(cp, ca, `the CREATE2 deployer's code ${what}`);
    eq(cp === '0x', flags.length > 0, `the CREATE2 deployer ${flags.length ? 'absent' : 'present'} ${what}`);
    if (!flags.length) {
      const [from] = await rpc(P.url, 'eth_accounts', []);
      const call = { from, to: PROXY, data: '0x' + '00'.repeat(31) + '2a' + deployer(5).slice(2), gas: '0x100000' };
      const [ap, aa] = await both('eth_call', [call, 'latest']);
      eq(ap, aa, 'the CREATE2 deployer gives the same address on both');
      eq(ap.length, 42, 'the CREATE2 deployer returns an address');
      // (anvil may answer before its block is in: wait for the receipts)
      const [hp, ha] = await both('eth_sendTransaction', [call]);
      await Promise.all([receiptOf(P.url, hp), receiptOf(A.url, ha)]);
      const [dp, da] = await both('eth_getCode', [ap, 'latest']);
      eq(dp, da, 'the contract deployed through the CREATE2 deployer');
      eq(dp, '0x' + '00'.repeat(5), 'the contract deployed through the CREATE2 deployer: its code');
    }
    await stopParevm(P);
    await A.stop();
  }

  // 8. "safe" and "finalized" in dev mode: one and two epochs below the head
  for (const flags of [[], ['--slots-in-an-epoch', '5']]) {
    const what = flags.length ? flags.join(' ') : 'by default';
    P = await startParevm(opt.parevm, flags);
    A = await startAnvil(opt.tools, flags);
    both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
    for (const blocks of [0, 7, 80]) {
      if (blocks) await both('anvil_mine', ['0x' + blocks.toString(16)]);
      for (const tag of ['safe', 'finalized']) {
        const [bp, ba] = await both('eth_getBlockByNumber', [tag, false]);
        eq(bp && bp.number, ba && ba.number, `${what}: the ${tag} block's number at head ${blocks ? 'after ' + blocks : 0} blocks`);
      }
    }
    const [bp] = await both('eth_getBlockByNumber', ['finalized', false]);
    eq(Number(bp.number), 87 - 2 * (flags.length ? 5 : 32), `${what}: finalized is two epochs below the head`);
    await stopParevm(P);
    await A.stop();
  }

  // 9. --mixed-mining: interval blocks, and each transaction at once
  for (const flags of [['-b', '2', '--mixed-mining'], ['--no-mine']]) {
    const what = flags.join(' ');
    P = await startParevm(opt.parevm, flags);
    A = await startAnvil(opt.tools, flags);
    both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
    // anvil 1.7.1 answers false and null in mixed mode (its mode is neither
    // automine nor interval); parevm answers true and the interval
    const [am, im] = await Promise.all(['anvil_getAutomine', 'anvil_getIntervalMining'].map((m) => rpc(P.url, m, [])));
    eq([am, im], flags.includes('--mixed-mining') ? [true, 2] : [false, null], `${what}: automine and interval`);
    const [from, to] = await rpc(P.url, 'eth_accounts', []);
    const [h0, g0] = await both('eth_blockNumber');
    const [hp, ha] = await both('eth_sendTransaction', [{ from, to, value: '0x1', gas: '0x5208' }]);
    // a second at most, well under the interval
    const [rp, ra] = await Promise.all([receiptOf(P.url, hp), receiptOf(A.url, ha)]);
    const mixed = flags.includes('--mixed-mining');
    // (anvil's side is not asserted: its answer may come before its block)
    eq(rp !== null, mixed, `${what}: the transaction ${mixed ? 'mined at once' : 'waits'}`);
    if (!mixed) eq(ra, null, `${what}: the transaction waits on anvil`);
    if (mixed) {
      await sleep(4500);
      const [h1, g1] = await both('eth_blockNumber');
      check(Number(h1) >= Number(h0) + 2 && Number(g1) >= Number(g0) + 2, `${what}: interval blocks come on both`, { h0, h1, g0, g1 });
    }
    await stopParevm(P);
    await A.stop();
  }

  // 10. --derivation-path and --config-out: the accounts of another path,
  // and the file both write (the gas price aside: anvil writes its legacy
  // default, 1.875 gwei, parevm what eth_gasPrice answers)
  const outDir = mkdtempSync(join(tmpdir(), 'parevm-config-out-'));
  for (const extra of [[], ['--derivation-path', "m/44'/60'/1'/0", '--gas-limit', '12345678', '--base-fee', '7',
                            '--timestamp', '1700000000', '-m', MNEMONIC]]) {
    const what = extra.length ? 'with a path and settings' : 'by default';
    const flags = ['-a', '3', ...extra];
    P = await startParevm(opt.parevm, [...flags, '--config-out', join(outDir, 'p.json')]);
    A = await startAnvil(opt.tools, [...flags, '--config-out', join(outDir, 'a.json')]);
    eq(await rpc(P.url, 'eth_accounts', []), await rpc(A.url, 'eth_accounts', []), `--derivation-path ${what}: the accounts`);
    const [pc, ac] = ['p.json', 'a.json'].map((f) => JSON.parse(readFileSync(join(outDir, f), 'utf8')));
    check(/^\d+$/.test(pc.gas_price), `--config-out ${what}: a gas price`, pc.gas_price);
    if (!extra.length) delete pc.genesis_timestamp, delete ac.genesis_timestamp;
    delete pc.gas_price, delete ac.gas_price;
    // (anvil's wallet object comes in a hash map's order)
    const canon = (v) => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
    eq(canon(pc), canon(ac), `--config-out ${what}: the file anvil writes`);
    await stopParevm(P);
    await A.stop();
  }
  rmSync(outDir, { recursive: true, force: true });

  // 11. --disable-min-priority-fee (--no-priority-fee): eth_gasPrice is the
  // base fee alone; the suggested tip stays
  for (const flag of ['--disable-min-priority-fee', '--no-priority-fee']) {
    P = await startParevm(opt.parevm, [flag]);
    A = await startAnvil(opt.tools, [flag]);
    both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
    // the next block's base fee alone on both: anvil keeps the genesis base
    // fee for block 1, parevm applies EIP-1559 (7/8 of it after an empty genesis)
    const [gp, ga] = await both('eth_gasPrice');
    const next = await rpc(P.url, 'eth_getBlockByNumber', ['pending', false]);
    eq([gp, ga], [next && next.baseFeePerGas, '0x3b9aca00'], `${flag}: eth_gasPrice is the next block's base fee`);
    const [tp, ta] = await both('eth_maxPriorityFeePerGas');
    eq(tp, ta, `${flag}: eth_maxPriorityFeePerGas as anvil`);
    await stopParevm(P);
    await A.stop();
  }

  // 12. CORS: a browser's request (with an Origin) is allowed from any
  // origin by default, from the one --allow-origin names, and from none
  // with --no-cors
  const allowOrigin = async (url) => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://dapp.example' },
                                 body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) });
    await r.text();
    return r.headers.get('access-control-allow-origin');
  };
  for (const [flags, want] of [[[], '*'], [['--allow-origin', 'http://dapp.example'], 'http://dapp.example'],
                               [['--no-cors'], null]]) {
    P = await startParevm(opt.parevm, flags);
    A = await startAnvil(opt.tools, flags);
    const [cp, ca] = await Promise.all([allowOrigin(P.url), allowOrigin(A.url)]);
    eq([cp, ca], [want, want], `CORS ${flags.join(' ') || 'by default'}: Access-Control-Allow-Origin`);
    await stopParevm(P);
    await A.stop();
  }

  // 13. --gas-price before London: eth_gasPrice and anvil_nodeInfo's
  // gasPrice and transactionOrder (--order fifo) as anvil's; parevm fills
  // a legacy transaction with it (anvil 1.7.1 fills EIP-1559 fee fields
  // before London and refuses its own transaction)
  const pre = ['--hardfork', 'berlin', '--gas-price', '3000000000', '--order', 'fifo'];
  P = await startParevm(opt.parevm, pre);
  A = await startAnvil(opt.tools, pre);
  both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
  const [pg, ag] = await both('eth_gasPrice');
  eq([pg, pg], [ag, '0xb2d05e00'], '--gas-price before London: eth_gasPrice');
  const [ip, ia] = await both('anvil_nodeInfo');
  eq([ip.environment.gasPrice, ip.transactionOrder], [ia.environment.gasPrice, ia.transactionOrder],
     '--gas-price, --order fifo: anvil_nodeInfo');
  const [f0, f1] = await rpc(P.url, 'eth_accounts', []);
  const legacy = await rpc(P.url, 'eth_sendTransaction', [{ from: f0, to: f1, value: '0x1' }]);
  const filled = await rpc(P.url, 'eth_getTransactionByHash', [legacy]);
  eq([filled.type, filled.gasPrice], ['0x0', '0xb2d05e00'], '--gas-price: the filled legacy transaction pays it');
  await stopParevm(P);
  await A.stop();

  // 14. --mnemonic-seed-unsafe: the phrase anvil derives from a number, so
  // the same accounts; --mnemonic-random [WORDS]: a fresh valid phrase
  // (checked with @scure/bip39, its accounts derived with ethers); a phrase
  // that is no BIP-39 phrase refused by both
  const req = toolRequire(opt.tools);
  const { validateMnemonic } = req('@scure/bip39');
  const { wordlist } = req('@scure/bip39/wordlists/english');
  const { HDNodeWallet } = req('ethers');
  const mnDir = mkdtempSync(join(tmpdir(), 'parevm-mnemonic-'));
  const cfgOf = (f) => JSON.parse(readFileSync(join(mnDir, f), 'utf8'));
  for (const seed of ['7', '18446744073709551615']) {
    const flags = ['-a', '2', '--mnemonic-seed-unsafe', seed];
    P = await startParevm(opt.parevm, [...flags, '--config-out', join(mnDir, 'p.json')]);
    A = await startAnvil(opt.tools, [...flags, '--config-out', join(mnDir, 'a.json')]);
    eq(await rpc(P.url, 'eth_accounts', []), await rpc(A.url, 'eth_accounts', []), `--mnemonic-seed-unsafe ${seed}: the accounts`);
    eq(cfgOf('p.json').wallet.mnemonic, cfgOf('a.json').wallet.mnemonic, `--mnemonic-seed-unsafe ${seed}: the phrase`);
    await stopParevm(P);
    await A.stop();
  }
  // the banners: the same sections (accounts with their balance, keys,
  // wallet, chain id, base fee, gas limit, genesis timestamp and number)
  const bannerFlags = ['-a', '2', '--mnemonic-seed-unsafe', '42', '--balance', '3', '--timestamp', '1700000000'];
  P = await startParevm(opt.parevm, bannerFlags, { quiet: false });
  A = await startAnvil(opt.tools, bannerFlags);
  const section = (text, title) => (new RegExp(`${title}\\n=+\\n([\\s\\S]*?)\\n\\n`).exec(text.replace(/\x1b\[[0-9;]*m/g, '')) || [])[1];
  for (const title of ['Available Accounts', 'Private Keys', 'Wallet', 'Chain ID', 'Base Fee', 'Gas Limit',
                       'Genesis Timestamp', 'Genesis Number']) {
    const [bp, ba] = [section(P.stdout(), title), section(A.stdout(), title)];
    check(bp && bp.length > 1, `the banner's ${title} section (parevm)`, P.stdout().slice(0, 400));
    eq(bp, ba, `the banner's ${title} section as anvil's`);
  }
  check(/Mnemonic: +pen brief eager pepper brass detect problem vital physical tent assume damp/.test(P.stdout()),
        'the banner prints the seed\'s phrase');
  await stopParevm(P);
  await A.stop();
  const phrases = [];
  for (const [words, flags] of [[12, ['--mnemonic-random']], [24, ['--mnemonic-random', '24']], [15, ['--mnemonic-random', '15']]]) {
    // the bare flag before another option: the count is optional
    P = await startParevm(opt.parevm, ['-a', '2', ...flags, '--config-out', join(mnDir, 'r.json')]);
    const phrase = cfgOf('r.json').wallet.mnemonic;
    phrases.push(phrase);
    eq(phrase.split(' ').length, words, `${flags.join(' ')}: ${words} words`);
    check(validateMnemonic(phrase, wordlist), `${flags.join(' ')}: a valid BIP-39 phrase`, phrase);
    const want = [0, 1].map((i) => HDNodeWallet.fromPhrase(phrase, undefined, `m/44'/60'/0'/0/${i}`).address.toLowerCase());
    eq((await rpc(P.url, 'eth_accounts', [])).map((a) => a.toLowerCase()), want, `${flags.join(' ')}: the phrase's accounts`);
    await stopParevm(P);
  }
  check(new Set(phrases).size === phrases.length, '--mnemonic-random: a new phrase each start');
  rmSync(mnDir, { recursive: true, force: true });
  for (const bad of ['test test test test test test test test test test test test', 'foo bar baz']) {
    const [p, a] = await Promise.all([
      runCommand(opt.parevm, ['node', '--dev', '--http.port', '0', '--quiet', '--mnemonic', bad], 20000),
      runCommand(foundryBin(opt.tools, 'anvil'), ['--port', '0', '--mnemonic', bad], 20000)]);
    eq([p.code, a.code !== 0], [2, true], `--mnemonic "${bad}": refused by both`);
    check(/not a BIP-39 phrase/.test(p.err), `--mnemonic "${bad}": parevm says why`, p.err);
  }

  // -V: a version line and exit 0 on both
  {
    const [p, a] = await Promise.all([runCommand(opt.parevm, ['node', '-V'], 20000),
                                      runCommand(foundryBin(opt.tools, 'anvil'), ['-V'], 20000)]);
    eq([p.code, a.code], [0, 0], '-V: both exit 0');
    check(/^parevm version \d+\.\d+\.\d+/.test(p.out) && /^anvil \d+\.\d+\.\d+/.test(a.out), '-V: a version line', [p.out, a.out]);
  }

  // 15. --disable-block-gas-limit: blocks of 2^64-1 gas on both, a
  // transaction at the EIP-7825 cap mined; --no-request-size-limit: a
  // 6 MiB request answered alike (refused by both without it: anvil's
  // limit is 2 MiB, parevm's 5 MiB as geth's); reth's --rpc.max-request-size
  for (const flag of ['--disable-block-gas-limit', '--disable-gas-limit']) {
    P = await startParevm(opt.parevm, [flag]);
    A = await startAnvil(opt.tools, [flag]);
    both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
    const [gp, ga] = await both('eth_getBlockByNumber', ['0x0', false]);
    eq([gp.gasLimit, gp.gasLimit], [ga.gasLimit, '0xffffffffffffffff'], `${flag}: the genesis gas limit`);
    const [from, to] = await rpc(P.url, 'eth_accounts', []);
    const sent = await both('eth_sendTransaction', [{ from, to, value: '0x1', gas: '0x1000000' }]);
    const [rp, ra] = await Promise.all([receiptOf(P.url, sent[0]), receiptOf(A.url, sent[1])]);
    eq([rp && rp.status, ra && ra.status], ['0x1', '0x1'], `${flag}: a transaction of 2^24 gas mined`);
    const [lp, la] = await both('eth_getBlockByNumber', ['latest', false]);
    eq(lp.gasLimit, la.gasLimit, `${flag}: the next block's gas limit`);
    await stopParevm(P);
    await A.stop();
  }
  // (a server may refuse by closing the connection before the body is sent)
  const sizeLimited = async (url, bytes) => {
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'web3_sha3', params: ['0x' + 'ab'.repeat(bytes)] }) });
      const text = await r.text();
      return r.status === 200 && /"result"/.test(text) ? JSON.parse(text).result : `refused (${r.status})`;
    } catch (e) {
      return `refused (${e.cause ? e.cause.code : e.message})`;
    }
  };
  const big = 3 << 20; // 6 MiB of hex
  for (const [flags, refused] of [[[], true], [['--no-request-size-limit'], false]]) {
    P = await startParevm(opt.parevm, flags);
    A = await startAnvil(opt.tools, flags);
    const [hp, ha] = await Promise.all([sizeLimited(P.url, big), sizeLimited(A.url, big)]);
    const what = `a 6 MiB request ${flags.length ? 'with --no-request-size-limit' : 'by default'}`;
    if (refused) eq([hp.startsWith('refused'), ha.startsWith('refused')], [true, true], `${what}: refused by both`, [hp, ha]);
    else eq([hp, /^0x[0-9a-f]{64}$/.test(hp)], [ha, true], `${what}: the same answer`);
    await stopParevm(P);
    await A.stop();
  }
  // 16. the EIP-7825 cap: none by default on both (a transaction of 2^24 + 1
  // gas mined, estimates up to the block's gas), on with --enable-tx-gas-limit
  for (const flags of [[], ['--enable-tx-gas-limit'], ['--tx-gas-limit']]) {
    const what = flags[0] || 'by default';
    P = await startParevm(opt.parevm, flags);
    A = await startAnvil(opt.tools, flags);
    both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
    const [from, to] = await rpc(P.url, 'eth_accounts', []);
    const outcome = (x) => rpc(x.url, 'eth_sendTransaction', [{ from, to, value: '0x1', gas: '0x1000001' }])
      .then(async (h) => (await receiptOf(x.url, h)).status, (e) => 'refused');
    eq(await Promise.all([outcome(P), outcome(A)]), flags.length ? ['refused', 'refused'] : ['0x1', '0x1'],
       `${what}: a transaction of 2^24 + 1 gas`);
    const allowance = (x) => rpc(x.url, 'eth_estimateGas', [{ from, data: '0x5b600056' }])
      .then(() => 'estimated', (e) => (/(\d{7,})/.exec(String(e.message)) || [])[1]);
    // (with the cap anvil still estimates up to the block's gas, then
    // refuses such a transaction; parevm stops at the cap, as geth)
    const [ap, aa] = await Promise.all([allowance(P), allowance(A)]);
    eq([ap, aa], [flags.length ? '16777216' : '30000000', '30000000'], `${what}: eth_estimateGas's allowance for an endless loop`);
    await stopParevm(P);
    await A.stop();
  }

  // 17. anvil's flags for work parevm always does or has no need of: both
  // start with them; a
  // transfer's opcode trace (--steps-tracing) alike; state at an older block
  // still answered (parevm keeps every block's state on disk)
  const cacheDir = mkdtempSync(join(tmpdir(), 'parevm-anvil-cache-'));
  const keep = ['--steps-tracing', '--preserve-historical-states', '--transaction-block-keeper', '2', '--prune-history',
                '--accounts', '2', '--max-transactions', '3', '--memory-limit', '100000000', '--cache-path', cacheDir,
                '-j', '2', '--color', 'never', '-vvv', '--verbosity'];
  P = await startParevm(opt.parevm, keep);
  A = await startAnvil(opt.tools, keep);
  both = (m, p = []) => Promise.all([rpc(P.url, m, p), rpc(A.url, m, p)]);
  {
    const [from, to] = await rpc(P.url, 'eth_accounts', []);
    await both('anvil_setCode', [ADDR_C2, '0x60035b600190038060025700']);
    const [hp, ha] = await both('eth_sendTransaction', [{ from, to: ADDR_C2, data: '0x', value: '0x5', gas: '0x30000' }]);
    await Promise.all([receiptOf(P.url, hp), receiptOf(A.url, ha)]);
    const [tp, ta] = await Promise.all([rpc(P.url, 'debug_traceTransaction', [hp, {}]), rpc(A.url, 'debug_traceTransaction', [ha, {}])]);
    eq([tp.gas, tp.failed, tp.structLogs.length], [ta.gas, ta.failed, ta.structLogs.length],
       '--steps-tracing: the opcode trace of a call as anvil\'s');
    check(tp.structLogs.length > 0, '--steps-tracing: opcode steps traced', tp);
    for (let i = 0; i < 4; i++) await both('evm_mine', []);
    eq(await rpc(P.url, 'eth_getBalance', [to, '0x0']), '0x21e19e0c9bab2400000', '--prune-history: state at block 0 still answered');
  }
  await stopParevm(P);
  await A.stop();
  rmSync(cacheDir, { recursive: true, force: true });
  // (anvil refuses --max-persisted-states with --prune-history)
  P = await startParevm(opt.parevm, ['--max-persisted-states', '2']);
  A = await startAnvil(opt.tools, ['--max-persisted-states', '2']);
  eq(await rpc(P.url, 'eth_chainId', []), await rpc(A.url, 'eth_chainId', []), '--max-persisted-states 2: both start');
  await stopParevm(P);
  await A.stop();

  P = await startParevm(opt.parevm, ['--rpc.max-request-size', '1']);
  eq([(await sizeLimited(P.url, 1 << 19)).startsWith('refused'), (await sizeLimited(P.url, 1 << 18)).startsWith('0x')],
     [true, true], '--rpc.max-request-size 1: 1 MiB of hex refused, 512 KiB answered');
  await stopParevm(P);
});
