// A dev chain on a --datadir that is killed (SIGKILL) at random moments
// while clients edit its state (anvil_set*) and send transactions, signed
// and impersonated: after every restart the store is whole and its history
// is intact. Every block replays as it ran: debug_intermediateRoots, which
// re-executes the block with the edits it folded in, ends at the block's
// stateRoot; every transaction the node reported as mined still names the
// sender it was sent from; and the edits not yet mined when a node is
// stopped are there when it starts again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { args, check, eq, rpc, run, startParevm, DEV_ADDRS } from './lib.mjs';

const opt = args();
const ROUNDS = 8;
const IMP = '0x00000000000000000000000000000000000000a1';
const hex = (n) => '0x' + n.toString(16);
const target = (i) => '0x' + (0xb000 + (i % 50)).toString(16).padStart(40, '0');

// Random work until the node dies: edits, signed and impersonated sends.
async function load(url, seed, sent) {
  for (let i = 0; ; i++) {
    const k = (seed * 131 + i) >>> 0;
    try {
      switch (k % 4) {
        case 0: await rpc(url, 'anvil_setBalance', [target(k), hex(k + 1)]); break;
        case 1: await rpc(url, 'anvil_setStorageAt', [target(k), hex(k % 7), '0x' + hex(k).slice(2).padStart(64, '0')]); break;
        case 2:
        case 3: {
          const from = k % 4 === 2 ? DEV_ADDRS[0] : IMP;
          const h = await rpc(url, 'eth_sendTransaction', [{ from, to: target(k), value: hex(k % 5) }]);
          sent.set(h, from.toLowerCase());
        }
      }
    } catch (e) {
      return; // the node is gone
    }
  }
}

// The whole history of the node at url, checked.
async function checkHistory(url, sent, round) {
  const head = Number(await rpc(url, 'eth_blockNumber'));
  let replayed = 0, named = 0;
  for (let n = 1; n <= head; n++) {
    const b = await rpc(url, 'eth_getBlockByNumber', [hex(n), false]);
    const roots = (await rpc(url, 'debug_intermediateRoots', [b.hash])) ?? []; // null: no transactions (geth's nil slice)
    if (!check(roots.length === b.transactions.length && (roots.length === 0 || roots[roots.length - 1] === b.stateRoot),
               `round ${round}: block ${n} replays to its stateRoot`, { roots, stateRoot: b.stateRoot }))
      return;
    replayed++;
  }
  for (const [h, from] of sent) {
    const tx = await rpc(url, 'eth_getTransactionByHash', [h]);
    if (!tx || tx.blockNumber === null) continue; // not mined before the kill
    if (!eq(tx.from, from, `round ${round}: transaction ${h} names its sender`)) return;
    named++;
  }
  check(replayed === head, `round ${round}: all ${head} blocks replayed`);
  return named;
}

run(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parevm-dev-restart-'));
  const datadir = join(dir, 'd');
  const sent = new Map();
  try {
    let p = await startParevm(opt.parevm, ['--datadir', datadir]);
    await rpc(p.url, 'anvil_setBalance', [IMP, '0xffffffffffffffffffff']);
    await rpc(p.url, 'anvil_impersonateAccount', [IMP]);
    for (let round = 0; round < ROUNDS; round++) {
      const work = load(p.url, round + 1, sent);
      await new Promise((r) => setTimeout(r, 150 + ((round * 97) % 500)));
      p.proc.kill('SIGKILL');
      await p.stop();
      await work;
      p = await startParevm(opt.parevm, ['--datadir', datadir]);
      await rpc(p.url, 'anvil_impersonateAccount', [IMP]); // not kept across runs, as anvil's
      const named = await checkHistory(p.url, sent, round);
      check(named > 0 || round === 0, `round ${round}: some transactions mined and checked`, named);
    }
    // a clean stop keeps the edits not yet mined
    await rpc(p.url, 'evm_setAutomine', [false]);
    await rpc(p.url, 'anvil_setBalance', [target(7), '0x777']);
    eq((await p.stop()).code, 0, 'the node exits 0 on SIGTERM');
    p = await startParevm(opt.parevm, ['--datadir', datadir]);
    eq(await rpc(p.url, 'eth_getBalance', [target(7), 'latest']), '0x777', 'an edit not yet mined outlives a restart');
    eq((await p.stop()).code, 0, 'the node exits 0 on SIGTERM, again');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300000);
