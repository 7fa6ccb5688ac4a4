// Hardhat's console.log in dev mode against anvil: a contract (Console.sol)
// calls console.sol's address with every format specifier on every
// argument type, the signature families and input that is no console call,
// and emits ds-test's log events among the calls (in a child call and a
// reverted call too);
// the same transactions, mined by anvil and by `parevm node --dev`, and
// then the same eth_calls, must print the same lines on their stdout
// (anvil prints each message before its transaction's summary). A few lines are also checked as written down
// from the formatting rules, and --dev.no-console-log / --quiet print none.
import { writeFileSync } from 'node:fs';
import { args, check, compile, DEV_KEYS, eq, run, startAnvil, startParevm, stopParevm, toolRequire } from './lib.mjs';

const opt = args();
const req = toolRequire(opt.tools);
const viem = req('viem');
const { privateKeyToAccount } = req('viem/accounts');

const WHO = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const CALLS = [
  [1234500000000000000000n, -98765n, '0x' + 'ab'.repeat(16) + '00'.repeat(15) + '01'],
  [0n, -(2n ** 255n), '0x' + '00'.repeat(32)],
  [2n ** 256n - 1n, 2n ** 255n - 1n, '0x' + 'ff'.repeat(32)],
  [7n, 0n, '0x' + '10'.repeat(32)],
];
const LAST = 'before the revert 6';

// Sends the test's transactions with explicit gas (no eth_estimateGas,
// which anvil would run, and print, many times). Each mined transaction
// waits for the block's report on stdout when the node prints one, so
// that the eth_calls' lines come after its lines, as on anvil, which
// prints them before the receipt shows.
async function drive(node, Logger) {
  const url = node.url;
  const chain = viem.defineChain({ id: 31337, name: 'dev', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
                                   rpcUrls: { default: { http: [url] } } });
  const account = privateKeyToAccount(DEV_KEYS[0]);
  const transport = viem.http(url);
  const wallet = viem.createWalletClient({ chain, transport, account });
  const pub = viem.createPublicClient({ chain, transport });
  const mined = async (hash) => {
    const receipt = await pub.waitForTransactionReceipt({ hash });
    const reports = node.stdout().includes('    Transaction: ');
    for (let i = 0; reports && i < 500 && !node.stdout().includes(`Transaction: ${hash}`); i++)
      await new Promise((r) => setTimeout(r, 10));
    return receipt;
  };
  const deploy = await wallet.deployContract({ abi: Logger.abi, bytecode: Logger.bytecode, gas: 3000000n });
  const address = (await mined(deploy)).contractAddress;
  const statuses = [];
  for (const [x, y, h] of CALLS) {
    const tx = await wallet.writeContract({ address, abi: Logger.abi, functionName: 'run', args: [x, y, WHO, h], gas: 10000000n });
    statuses.push((await mined(tx)).status);
  }
  const bad = await wallet.writeContract({ address, abi: Logger.abi, functionName: 'fails', args: [5n], gas: 200000n });
  statuses.push((await mined(bad)).status);
  // eth_call prints too, a reverted one included
  const [x, y, h] = CALLS[0];
  await pub.simulateContract({ address, abi: Logger.abi, functionName: 'run', args: [x, y, WHO, h], account, gas: 10000000n });
  const reverted = await pub.simulateContract({ address, abi: Logger.abi, functionName: 'fails', args: [6n], account, gas: 200000n })
    .then(() => 'not reverted', (e) => e.shortMessage);
  statuses.push(reverted);
  return statuses;
}

async function settled(node, what) {
  for (let i = 0; i < 250 && !node.stdout().includes(LAST); i++) await new Promise((r) => setTimeout(r, 20));
  check(node.stdout().includes(LAST), `${what}: prints the reverted call's message`, node.stdout().slice(-300));
}

// The console lines of a node's stdout: after the listening line, less
// anvil's request names, transaction summaries (indented), failed-request
// reports and blanks.
function consoleLines(out, listening) {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => listening.test(l));
  return lines.slice(start + 1).filter((l) => l !== '' && !/^[a-z]+_[A-Za-z0-9]+$/.test(l) && !l.startsWith('    ') &&
                                              !l.startsWith('RPC request failed:'));
}

run(async () => {
  const { Logger } = compile(opt.tools, 'Console.sol');
  const anvil = await startAnvil(opt.tools);
  const want = await drive(anvil, Logger);
  await settled(anvil, 'anvil');
  await anvil.stop();
  const node = await startParevm(opt.parevm, [], { quiet: false });
  eq(await drive(node, Logger), want, 'the same receipts statuses as anvil');
  await settled(node, 'parevm');
  const a = consoleLines(anvil.stdout(), /^Listening on /), p = consoleLines(node.stdout(), /^Listening on /);
  if (process.env.CONSOLE_LOG_DUMP) { // for a look at a difference
    writeFileSync(`${process.env.CONSOLE_LOG_DUMP}.anvil`, a.join('\n'));
    writeFileSync(`${process.env.CONSOLE_LOG_DUMP}.parevm`, p.join('\n'));
  }
  check(a.length > 300, 'anvil printed the messages', a.length);
  eq(p.length, a.length, 'as many console lines as anvil');
  for (let i = 0; i < Math.max(a.length, p.length); i++)
    if (a[i] !== p[i]) { eq(p[i], a[i], `console line ${i}`); break; }
  check(JSON.stringify(p) === JSON.stringify(a), 'every console line as anvil prints it');
  // some lines from the rules themselves
  for (const line of ['e=1.2345e21', '18e=1234.5', 'x=0x42ec210956b3ba0000', 'x=0x', 'e=0e0', 'd=NaN', "o='str'",
                      'o=-98765', 'd=1', 'i=NaN', `s=${viem.getAddress(WHO)}`, '%s 1234500000000000000000',
                      '%q %5d % 1234500000000000000000', '100% 1234500000000000000000', 'only %s %d 100% done',
                      'line one', 'line two', 'line three', 'a-b', 'no format here', 'e=-9.8765e4',
                      'x=0x8000000000000000000000000000000000000000000000000000000000000000',
                      '0x' + 'ab'.repeat(16) + '00'.repeat(15) + '0107', '0xab', LAST])
    check(p.includes(line), `a line: ${line}`);
  check(!p.some((l) => /nothing/.test(l)), 'input that is no console call prints nothing');
  check(p.includes('\uFFFD\u0000'), 'a string that is not UTF-8: U+FFFD for the bad byte');
  await stopParevm(node);

  for (const flags of [['--dev.no-console-log'], ['--disable-console-log'], ['--quiet']]) {
    const off = await startParevm(opt.parevm, flags, { quiet: false });
    await drive(off, Logger);
    await new Promise((r) => setTimeout(r, 200));
    eq(consoleLines(off.stdout(), /^Listening on /), [], `${flags[0]}: no console lines`);
    await stopParevm(off);
  }
}, 300000);
