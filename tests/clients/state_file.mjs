// The dev chain's state file, against anvil's: `parevm node --dev.state
// FILE` (anvil's --state) writes the state on SIGTERM and loads it at the
// next start; a file anvil wrote with --dump-state loads with
// --dev.load-state, and parevm's file loads into anvil with --load-state.
// Balances, nonces, code and storage come through both ways; a missing or
// broken file, or the flags without --dev, stop the node at start with an
// error (exit 1, 2), and the file is written whole or not at all;
// --state-interval writes it while the node runs (a SIGKILL keeps it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { args, check, eq, foundryBin, rpc, run, startAnvil, startParevm, stopParevm } from './lib.mjs';

const opt = args();
const A1 = '0x00000000000000000000000000000000000000a1', A2 = '0x00000000000000000000000000000000000000a2';
const SLOT = '0x0000000000000000000000000000000000000000000000000000000000000007';

// What the edits leave, as one node answers it.
async function state(url) {
  const out = {};
  for (const a of [A1, A2])
    out[a] = await Promise.all([rpc(url, 'eth_getBalance', [a, 'latest']), rpc(url, 'eth_getTransactionCount', [a, 'latest']),
                                rpc(url, 'eth_getCode', [a, 'latest']), rpc(url, 'eth_getStorageAt', [a, '0x1', 'latest'])]);
  return out;
}

async function edit(url) {
  await rpc(url, 'anvil_setBalance', [A1, '0x1234']);
  await rpc(url, 'anvil_setNonce', [A1, '0x5']);
  await rpc(url, 'anvil_setCode', [A2, '0x60016000f3']);
  await rpc(url, 'anvil_setStorageAt', [A2, '0x1', SLOT]);
}

const want = { [A1]: ['0x1234', '0x5', '0x', '0x' + '0'.repeat(64)], [A2]: ['0x0', '0x0', '0x60016000f3', SLOT] };

run(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parevm-state-file-'));
  try {
    // parevm -> parevm: --dev.state written on SIGTERM, loaded at the next start
    const file = join(dir, 'parevm.json');
    let p = await startParevm(opt.parevm, ['--dev.state', file]);
    await edit(p.url);
    await stopParevm(p);
    check(existsSync(file) && !existsSync(file + '.tmp'), 'the state file is written on SIGTERM (and no temporary left)');
    const dump = JSON.parse(readFileSync(file, 'utf8'));
    check(dump.accounts && dump.accounts[A2] && dump.accounts[A2].code === '0x60016000f3', 'the file is anvil\'s JSON');
    p = await startParevm(opt.parevm, ['--dev.state', file]);
    eq(await state(p.url), want, 'parevm --dev.state: the state of the last run');
    await stopParevm(p);

    // anvil -> parevm: anvil's --dump-state file, loaded with --dev.load-state
    const afile = join(dir, 'anvil.json');
    const a = await startAnvil(opt.tools, ['--dump-state', afile]);
    await edit(a.url);
    a.proc.kill('SIGINT'); // anvil writes the file as it exits
    await a.stop();
    check(existsSync(afile), 'anvil wrote its state file');
    p = await startParevm(opt.parevm, ['--dev.load-state', afile]);
    eq(await state(p.url), want, 'parevm --dev.load-state of anvil\'s file: the same state');
    await stopParevm(p);

    // parevm -> anvil
    const b = await startAnvil(opt.tools, ['--load-state', file]);
    eq(await state(b.url), want, 'anvil --load-state of parevm\'s file: the same state');
    await b.stop();

    // refusals at start
    const node = (argv) => spawnSync(opt.parevm, ['node', '--http.port', '0', '--quiet', ...argv], { encoding: 'utf8', timeout: 60000 });
    let r = node(['--dev', '--dev.load-state', join(dir, 'missing.json')]);
    check(r.status === 1 && /cannot read the state file/.test(r.stderr), 'a missing --dev.load-state file: exit 1', r.stderr);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"accounts": {"0x12": {}}}');
    r = node(['--dev', '--dev.load-state', broken]);
    check(r.status === 1 && /state file .*broken\.json: Failed to decode state dump/.test(r.stderr), 'a broken state file: exit 1 with the reason', r.stderr);
    writeFileSync(broken, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03]));
    r = node(['--dev', '--dev.state', broken]);
    check(r.status === 1 && /gzip/.test(r.stderr), 'a broken gzip state file: exit 1', r.stderr);
    r = node(['--dev.state', file]);
    check(r.status === 2 && /need --dev/.test(r.stderr), 'the state flags without --dev: exit 2', r.stderr);
    // --dev.state of a file not there yet starts an empty dev chain
    p = await startParevm(opt.parevm, ['--dev.state', join(dir, 'new.json')]);
    eq(await rpc(p.url, 'eth_getBalance', [A1, 'latest']), '0x0', '--dev.state of a new file: a fresh chain');
    await stopParevm(p);
    check(existsSync(join(dir, 'new.json')), '... and the file is there after it');

    // --state-interval (anvil's -s): the file is written every second while
    // the node runs, so a node killed with SIGKILL leaves its last state
    const every = join(dir, 'every.json');
    p = await startParevm(opt.parevm, ['--dump-state', every, '-s', '1']);
    await rpc(p.url, 'anvil_setBalance', [A2, '0x4242']);
    let seen = false;
    for (let i = 0; i < 100 && !seen; i++) {
      await new Promise((res) => setTimeout(res, 50));
      seen = existsSync(every) && readFileSync(every, 'utf8').includes('0x4242');
    }
    check(seen, '--state-interval 1: the file holds the edit while the node runs');
    p.proc.kill('SIGKILL');
    await p.stop();
    if (p.datadir) rmSync(p.datadir, { recursive: true, force: true }); /* a killed node leaves its temporary one */
    p = await startParevm(opt.parevm, ['--load-state', every]);
    eq(await rpc(p.url, 'eth_getBalance', [A2, 'latest']), '0x4242', '--state-interval: its file loads after a SIGKILL');
    await stopParevm(p);
    r = node(['--dev', '--dev.state-interval', '1']);
    check(r.status === 2 && /needs --dev.dump-state/.test(r.stderr), '--dev.state-interval without a file: exit 2', r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
