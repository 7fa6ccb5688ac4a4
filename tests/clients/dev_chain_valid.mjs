// The dev chain's blocks are valid blocks of its chain, on every
// --dev.hardfork from Frontier to Osaka: another store made from the same
// genesis imports them with `parevm import`, which checks each header
// against its parent (before the Merge as a clique chain: no ommers, the
// difficulty not the proof-of-work formula's), the bodies' roots, the
// receipts (each one's state root before Byzantium, which the node's builder
// computes after every transaction) and the state root, and pays no block
// reward. The blocks: deployments, transfers, storage written and cleared,
// a revert and an out-of-gas (on Osaka above the EIP-7825 cap), one block
// of several transactions. Then the
// same across fork transitions, on dev chains made from genesis files
// (--dev.genesis): Frontier to London by block number (a clique chain, with
// the DAO fork: its blocks' extra data), and
// Paris to Osaka by time (each block one second after its parent).
//
// For each fork: `parevm node --dev --datadir A` is started and stopped at
// once (the genesis alone), then the same on datadir B with the same
// genesis time, which mines the blocks; B's chain is exported (`parevm
// export`) and imported into A, whose head must then be B's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { args, check, eq, rpc, run, startParevm, DEV_ADDRS } from './lib.mjs';

const opt = args();
const FORKS = ['frontier', 'homestead', 'tangerine', 'spuriousdragon', 'byzantium', 'constantinople', 'petersburg',
               'istanbul', 'berlin', 'london', 'paris', 'shanghai', 'cancun', 'prague', 'osaka'];
const T0 = '1700000000';
const [OWNER, ALICE, BOB] = DEV_ADDRS;

// init code of a contract whose code, by its input's first byte (BYTE: no
// SHR before Constantinople): 0 store 1 in slot 0 and log, 1 clear slot 0,
// 2 revert (an invalid opcode before Byzantium), 3 loop until out of gas
const RUNTIME = '60003560001a8060011460275780600214602e576003146034576001600055604260006000a1' +
                '005b6000600055005b60006000fd5b603456';
const INIT = '0x60' + (RUNTIME.length / 2).toString(16).padStart(2, '0') + '600c60003960' +
             (RUNTIME.length / 2).toString(16).padStart(2, '0') + '6000f3' + RUNTIME;

const parevm = (...a) => execFileSync(opt.parevm, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const head = (dir) => /^hash (0x[0-9a-f]{64})$/m.exec(parevm('db', '--datadir', dir, 'head'))?.[1];

run(async () => {
  const root = mkdtempSync(join(tmpdir(), 'parevm-devvalid-'));
  try {
    for (const fork of FORKS) await one(fork, join(root, fork), ['--dev.hardfork', fork]);
    const t0 = Number(T0);
    const transitions = {
      'frontier-to-london': { homesteadBlock: 1, daoForkBlock: 1, daoForkSupport: true, eip150Block: 2, eip155Block: 2, eip158Block: 2, byzantiumBlock: 3,
                              constantinopleBlock: 4, petersburgBlock: 4, istanbulBlock: 5, berlinBlock: 6, londonBlock: 7 },
      'paris-to-osaka': { homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0,
                          constantinopleBlock: 0, petersburgBlock: 0, istanbulBlock: 0, berlinBlock: 0, londonBlock: 0,
                          terminalTotalDifficulty: 0, shanghaiTime: t0 + 2, cancunTime: t0 + 3, pragueTime: t0 + 5,
                          osakaTime: t0 + 7 },
    };
    for (const [name, config] of Object.entries(transitions)) {
      const file = join(root, name + '.json');
      writeFileSync(file, JSON.stringify({ config: { chainId: 1337, ...config }, timestamp: '0x' + t0.toString(16),
                                           gasLimit: '0x1c9c380' }));
      await one(name, join(root, name), ['--dev.genesis', file], config.londonBlock ? 'baseFeePerGas' : 'requestsHash');
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}, 500000);

// transitions: blocks one second apart, so that every fork of the file's
// schedule comes, one or two blocks each; the header field of the last
// fork, which the first block lacks and the last has
async function one(fork, dir, rules, transitions = null) {
  const flags = (d) => ['--datadir', d, '--dev.time', T0, ...rules];
  const a = await startParevm(opt.parevm, flags(dir + '-a'));
  await a.stop();
  const b = await startParevm(opt.parevm, flags(dir + '-b'));
  if (transitions) await rpc(b.url, 'anvil_setBlockTimestampInterval', [1]);
  const send = (from, tx) => rpc(b.url, 'eth_sendTransaction', [{ from, gas: '0x30000', ...tx }]);
  const receipt = (h) => rpc(b.url, 'eth_getTransactionReceipt', [h]);
  const created = (await receipt(await send(OWNER, { data: INIT }))).contractAddress;
  check(created, `${fork}: the contract deployed`);
  const C = created || '0x' + '00'.repeat(20);
  await send(OWNER, { to: ALICE, value: '0x1234' });
  await send(ALICE, { to: C, data: '0x00' });
  await send(BOB, { to: C, data: '0x01' });
  await send(ALICE, { to: C, data: '0x02' });
  // (on Osaka with more gas than EIP-7825's cap, which a dev chain lifts as
  // anvil's: the importing store keeps the same rule)
  await send(BOB, { to: C, data: '0x03', gas: fork === 'osaka' ? '0x1000100' : '0x10000' });
  // one block of several transactions, a new account among the recipients
  await rpc(b.url, 'evm_setAutomine', [false]);
  await send(OWNER, { to: C, data: '0x00' });
  await send(ALICE, { to: '0x00000000000000000000000000000000000000a1', value: '0x7' });
  await send(BOB, { to: C, data: '0x01' });
  await send(OWNER, { data: INIT });
  await rpc(b.url, 'evm_mine', []);
  const n = Number(await rpc(b.url, 'eth_blockNumber', []));
  const last = await rpc(b.url, 'eth_getBlockByNumber', ['latest', false]);
  eq(last.transactions.length, 4, `${fork}: the last block holds four transactions`);
  const r0 = await receipt(last.transactions[0]);
  const preByzantium = FORKS.indexOf(fork) < FORKS.indexOf('byzantium');
  if (transitions) {
    const first = await rpc(b.url, 'eth_getBlockByNumber', ['0x1', false]);
    // the last block is block 7, at T0 + 7: London's, Osaka's
    check(n === 7 && Number(last.timestamp) === Number(T0) + 7 && !(transitions in first) && transitions in last,
          `${fork}: the chain reaches the last fork (${transitions} from a later block on)`, { n, first, last });
  }
  if (!transitions) check(preByzantium ? /^0x[0-9a-f]{64}$/.test(r0.root) && r0.status === undefined : r0.status === '0x1' && !r0.root,
        `${fork}: a receipt holds ${preByzantium ? 'the state root' : 'the status'}`, r0);
  await b.stop();
  const file = dir + '.rlp';
  parevm('export', '--datadir', dir + '-b', file);
  let out = '';
  try {
    out = parevm('import', '--datadir', dir + '-a', file);
  } catch (e) {
    out = `${e.stdout}${e.stderr}`;
  }
  check(/^imported \d+ blocks/m.test(out), `${fork}: another store imports the dev chain`, out.trim());
  eq(head(dir + '-a'), head(dir + '-b'), `${fork}: the same head after the import (block ${n})`);
}
