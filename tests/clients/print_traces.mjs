// anvil's report of mined blocks and its --print-traces against `parevm
// node --dev`: the same transactions (explicit gas and fees, so that the
// hashes agree and no eth_estimateGas runs) and eth_calls go to both nodes,
// and their stdout must match line for line once anvil's own lines are
// taken out (failed-request reports, colour codes). What may differ is
// masked: block hashes and times, the order of a frame's storage changes
// (anvil keeps them in a hash map), and which requests' names are printed
// how often (the clients poll as they find receipts ready or not): parevm
// must print no name anvil does not, and the ones both are sent. The contracts
// (Traces.sol, Console.sol) make frames of every kind: precompiles, logs,
// storage changes, CREATE and CREATE2, self-destructs, every kind of
// revert, out-of-gas and invalid-opcode calls, DELEGATECALL, STATICCALL,
// console.log calls with every argument type. Then parevm alone: the
// report without --print-traces, --dev.no-console-log keeps the report,
// --quiet prints nothing, and an empty block's report; while
// anvil_setLoggingEnabled(false) holds neither prints anything.
import { writeFileSync } from 'node:fs';
import { args, check, compile, DEV_KEYS, eq, run, startAnvil, startParevm, stopParevm, toolRequire } from './lib.mjs';

const opt = args();
const req = toolRequire(opt.tools);
const viem = req('viem');
const { privateKeyToAccount } = req('viem/accounts');

const FEES = { maxFeePerGas: 100_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };
const ME = privateKeyToAccount(DEV_KEYS[0]);

// Drives a node (anvil's or parevm's); with reports, each mined
// transaction waits for its report on stdout, so that what is printed next
// (an eth_call's trace) comes after it, as on anvil, which prints the
// report before the receipt shows.
async function drive(node, C, reports) {
  const url = node.url;
  let logging = true;
  const chain = viem.defineChain({ id: 31337, name: 'dev', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
                                   rpcUrls: { default: { http: [url] } } });
  const transport = viem.http(url);
  const wallet = viem.createWalletClient({ chain, transport, account: ME });
  const pub = viem.createPublicClient({ chain, transport });
  const hashes = [];
  const mined = async (hash) => {
    hashes.push(hash);
    const receipt = await pub.waitForTransactionReceipt({ hash });
    for (let i = 0; reports && logging && i < 500 && !node.stdout().includes(`Transaction: ${hash}`); i++)
      await new Promise((r) => setTimeout(r, 10));
    return receipt;
  };
  const deploy = async (c, value = 0n) =>
    (await mined(await wallet.deployContract({ abi: c.abi, bytecode: c.bytecode, gas: 5_000_000n, value, ...FEES })))
      .contractAddress;
  const send = async (address, abi, functionName, fnArgs, gas, value = 0n) =>
    (await mined(await wallet.writeContract({ address, abi, functionName, args: fnArgs, gas, value, ...FEES }))).status;
  const call = (address, abi, functionName, fnArgs) =>
    pub.readContract({ address, abi, functionName, args: fnArgs, account: ME.address, gas: 10_000_000n })
      .then((r) => String(r), (e) => e.shortMessage);

  const traces = await deploy(C.Traces);
  const logger = await deploy(C.Logger);
  const statuses = [];
  const digest = viem.keccak256(viem.toHex('print traces'));
  const sig = viem.parseSignature(await ME.sign({ hash: digest }));
  const pArgs = [digest, Number(sig.v), sig.r, sig.s];
  statuses.push(await send(traces, C.Traces.abi, 'precompiles', pArgs, 300_000n, 0n));
  statuses.push(await send(traces, C.Traces.abi, 'fill', [3n], 500_000n));
  statuses.push(await send(traces, C.Traces.abi, 'children', [7n], 3_000_000n, 10n));
  for (const k of [0n, 1n, 2n]) statuses.push(await send(traces, C.Traces.abi, 'failTop', [k], 100_000n));
  statuses.push(await send(logger, C.Logger.abi, 'formats', [12345n, -7n, true, ME.address], 5_000_000n));
  statuses.push(await send(traces, C.Traces.abi, 'consoleCalls', [digest], 1_000_000n));
  // ether to an account without code, a precompile called directly, one
  // out of gas
  statuses.push((await mined(await wallet.sendTransaction({ to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', value: 5n,
                                                            gas: 21_000n, ...FEES }))).status);
  statuses.push((await mined(await wallet.sendTransaction({ to: '0x0000000000000000000000000000000000000002', data: '0x61',
                                                            gas: 30_000n, ...FEES }))).status);
  statuses.push((await mined(await wallet.sendTransaction({ to: '0x0000000000000000000000000000000000000001', data: '0x61',
                                                            gas: 21_100n, ...FEES }))).status);
  await pub.request({ method: 'evm_mine', params: [] }); // an empty block's report
  // nothing printed while logging is off
  await pub.request({ method: 'anvil_setLoggingEnabled', params: [false] });
  logging = false;
  statuses.push(await send(traces, C.Traces.abi, 'consoleCalls', [digest], 1_000_000n));
  const silent = hashes[hashes.length - 1];
  await call(traces, C.Traces.abi, 'consoleCalls', [digest]);
  await pub.request({ method: 'hardhat_setLoggingEnabled', params: [true] });
  logging = true;
  statuses.push(await send(traces, C.Traces.abi, 'failTop', [2n], 100_000n));
  const calls = [
    await call(traces, C.Traces.abi, 'precompiles', pArgs),
    await call(traces, C.Traces.abi, 'failTop', [0n]),
    await call(traces, C.Traces.abi, 'failTop', [2n]),
    await call(traces, C.Traces.abi, 'counter', []),
    await call(traces, C.Traces.abi, 'consoleCalls', [digest]),
  ];
  return { statuses, calls, hashes, silent };
}

// The lines both nodes print, from the one after the listening line.
// The request names both print (one line each, before the request's own
// lines) are set apart: a client's polling makes their count vary.
function normalise(out, methods = new Set()) {
  let lines = out.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  lines = lines.slice(lines.findIndex((l) => /^Listening on /.test(l)) + 1);
  const kept = [];
  let skipping = false;
  for (let l of lines) {
    if (/^[a-z]+_[A-Za-z0-9]+$/.test(l)) {
      methods.add(l);
      continue;
    }
    if (l.startsWith('RPC request failed:')) { skipping = true; continue; }
    if (skipping && (l.startsWith('    Request:') || l.startsWith('    Error:'))) continue;
    skipping = false;
    l = l.replace(/Block Hash: 0x[0-9a-f]{64}/, 'Block Hash: H').replace(/Block Time: ".*"/, 'Block Time: T');
    if (l === '' && kept.length && kept[kept.length - 1] === '') continue;
    kept.push(l);
  }
  // a frame's storage changes in one order
  for (let i = 0; i < kept.length; i++) {
    if (!kept[i].endsWith(' storage changes:')) continue;
    const prefix = kept[i].slice(0, kept[i].indexOf('\u251c')).replace(/ +$/, '');
    let j = i + 1;
    while (j < kept.length && kept[j].includes('  @ ') && kept[j].startsWith(prefix)) j++;
    const sorted = kept.slice(i + 1, j).sort();
    kept.splice(i + 1, sorted.length, ...sorted);
  }
  while (kept.length && kept[kept.length - 1] === '') kept.pop();
  return kept;
}

async function settle(node, hashes) {
  const last = hashes[hashes.length - 1];
  for (let i = 0; i < 250 && !node.stdout().includes(last); i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
}

run(async () => {
  const C = { ...compile(opt.tools, 'Traces.sol'), ...compile(opt.tools, 'Console.sol') };
  const anvil = await startAnvil(opt.tools, ['--print-traces']);
  const want = await drive(anvil, C, true);
  await settle(anvil, want.hashes);
  await anvil.stop();
  const node = await startParevm(opt.parevm, ['--print-traces'], { quiet: false });
  const got = await drive(node, C, true);
  await settle(node, got.hashes);
  await stopParevm(node);
  eq(got.statuses, want.statuses, 'the same receipt statuses as anvil');
  eq(got.calls, want.calls, 'the same eth_call answers as anvil');
  eq(got.hashes, want.hashes, 'the same transaction hashes as anvil');
  const am = new Set(), pm = new Set();
  const a = normalise(anvil.stdout(), am), p = normalise(node.stdout(), pm);
  eq([...pm].filter((m) => !am.has(m)), [], 'no request name anvil does not print');
  check(['eth_sendRawTransaction', 'eth_call', 'evm_mine', 'eth_getTransactionReceipt', 'anvil_setLoggingEnabled',
         'hardhat_setLoggingEnabled'].every((m) => pm.has(m) === am.has(m) && pm.has(m) !== (m === 'hardhat_setLoggingEnabled')),
        'request names printed as anvil prints them (none while logging is off)', [...pm]);
  if (process.env.PRINT_TRACES_DUMP) { // for a look at a difference
    writeFileSync(`${process.env.PRINT_TRACES_DUMP}.anvil`, a.join('\n'));
    writeFileSync(`${process.env.PRINT_TRACES_DUMP}.parevm`, p.join('\n'));
  }
  check(a.filter((l) => l === 'Traces=').length >= 15, 'anvil printed the traces', a.length);
  check(a.some((l) => l.includes('storage changes:')) && a.some((l) => l.includes('emit topic 0')) &&
        a.some((l) => l.includes('PRECOMPILES::ecrecover(')) && a.some((l) => l.includes('[delegatecall]')) &&
        a.some((l) => l.includes('console::log(')) && a.some((l) => l.includes('[SelfDestruct]')),
        'anvil drew every kind of line the test wants');
  for (let i = 0; i < Math.max(a.length, p.length); i++)
    if (a[i] !== p[i]) { eq(p.slice(i, i + 6), a.slice(i, i + 6), `stdout line ${i} on`); break; }
  eq(p.length, a.length, 'as many lines as anvil');
  check(JSON.stringify(p) === JSON.stringify(a), 'every line as anvil prints it');

  // parevm alone: the report without traces, without console lines, none with --quiet
  for (const [flags, consoleLines, report] of [[[], true, true], [['--dev.no-console-log'], false, true],
                                                [['--enable-trace-printing', '--quiet'], false, false]]) {
    const n = await startParevm(opt.parevm, flags, { quiet: flags.includes('--quiet') });
    const r = await drive(n, C, report);
    await settle(n, report ? r.hashes : ['\n']);
    await stopParevm(n);
    const names = new Set(), out = normalise(n.stdout(), names), what = flags.join(' ') || 'no flags';
    eq(names.size > 0, report, `${what}: request names printed`);
    eq(out.includes('Traces='), false, `${what}: no traces`);
    eq(out.some((l) => l === 's=true'), consoleLines, `${what}: console lines printed`);
    eq(out.filter((l) => l.startsWith('    Transaction: ')).length, report ? r.hashes.length - 1 : 0,
       `${what}: a report line for each transaction but the one mined while logging was off`);
    check(!out.some((l) => l.includes(r.silent)), `${what}: nothing printed while logging was off`);
    if (!report) continue;
    check(/\nRPC request failed:\n    Request: eth_call \[\{.*\n    Error: execution reverted: counter is not 12345\n/.test(n.stdout()),
          `${what}: a failed request's parameters and error, as anvil's "RPC request failed"`);
    const blocks = out.filter((l) => /^    Block Number: \d+$/.test(l)).map((l) => +l.slice(18));
    eq([blocks.length, blocks[blocks.length - 1], blocks.every((b, i) => !i || b > blocks[i - 1])],
       [r.hashes.length, r.hashes.length + 1, true], `${what}: a report for each block mined while logging was on`);
    const line = out.indexOf(`    Transaction: ${r.hashes[2]}`);
    check(/^    Gas used: \d+$/.test(out[line + 1]) && out[line + 2] === '' && out[line + 3] === '    Block Number: 3',
          `${what}: a transaction's report, then its block's`, out.slice(line, line + 4));
  }
}, 400000);
