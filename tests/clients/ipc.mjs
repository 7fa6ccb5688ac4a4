// JSON-RPC over IPC (a Unix socket: geth's and reth's --ipcpath, anvil's
// --ipc) driven by real clients: viem's ipc transport (requests, a
// deployment, watchBlocks over eth_subscribe), ethers' IpcSocketProvider
// (a signed transfer, provider.on('block')), Foundry's cast with the
// socket's path as --rpc-url (reads and cast send), and a raw socket for
// what a library would not send. Then the start-up rules: a live socket
// refused, --ipcdisable, anvil's --ipc, and the file removed at the stop.
import { connect } from 'node:net';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { args, check, compile, DEV_ADDRS, DEV_KEYS, eq, foundryBin, rpc, run, runCommand, startParevm, stopParevm,
         toolRequire, waiter } from './lib.mjs';

const opt = args();
const req = toolRequire(opt.tools);
const viem = req('viem');
const { ipc } = req('viem/node');
const ethers = req('ethers');
const { privateKeyToAccount } = req('viem/accounts');

const cast = (argv) => runCommand(foundryBin(opt.tools, 'cast'), argv);

// A raw connection: write text, read newline-terminated answers.
async function rawSocket(path) {
  const sock = connect(path);
  await new Promise((res, rej) => { sock.on('connect', res); sock.on('error', rej); });
  let buf = '', ended = false;
  const lines = [], waiting = [];
  const flush = () => {
    while (waiting.length && (lines.length || ended)) waiting.shift()(lines.length ? lines.shift() : null);
  };
  sock.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 1); }
    flush();
  });
  sock.on('end', () => { ended = true; flush(); });
  return {
    write: (t) => sock.write(t),
    line: () => new Promise((res) => { waiting.push(res); flush(); }),
    unterminated: () => buf,
    close: () => sock.destroy(),
  };
}

async function ipcLine(node) {
  for (let i = 0; i < 100; i++) {
    const m = /^ipc listening on (.+)$/m.exec(node.stdout());
    if (m) return m[1];
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}

const SINK = (i) => viem.getAddress('0x' + i.toString(16).padStart(2, '0').repeat(20));

run(async () => {
  const { Token } = compile(opt.tools);
  const dir = mkdtempSync(join(tmpdir(), 'parevm-ipc-'));
  const path = join(dir, 'parevm.ipc');
  const node = await startParevm(opt.parevm, ['--ipcpath', path]);
  eq(await ipcLine(node), path, 'the node says where it listens');
  const st = statSync(path);
  check(st.isSocket() && (st.mode & 0o777) === 0o600, 'the socket file, mode 0600', (st.mode & 0o777).toString(8));

  // ---- viem's ipc transport
  const chain = viem.defineChain({
    id: 31337, name: 'parevm dev', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [node.url] } },
  });
  const owner = privateKeyToAccount(DEV_KEYS[0]);
  const transport = ipc(path);
  const pub = viem.createPublicClient({ chain, transport });
  const wallet = viem.createWalletClient({ chain, transport, account: owner });
  eq(await pub.getChainId(), 31337, 'viem ipc: getChainId');
  eq(await pub.getBlockNumber(), 0n, 'viem ipc: getBlockNumber');
  const deployHash = await wallet.deployContract({ abi: Token.abi, bytecode: Token.bytecode, args: [10n ** 24n] });
  const token = (await pub.waitForTransactionReceipt({ hash: deployHash })).contractAddress;
  check(viem.isAddress(token), 'viem ipc: a deployment and its receipt', token);
  const [bal, sym] = await Promise.all([
    pub.readContract({ address: token, abi: Token.abi, functionName: 'balanceOf', args: [owner.address] }),
    pub.getBalance({ address: owner.address }),
  ]);
  eq(bal, 10n ** 24n, 'viem ipc: readContract (two requests at once)');
  check(sym > 0n, 'viem ipc: getBalance', sym);
  const gotBlock = waiter('viem ipc watchBlocks');
  const unwatch = pub.watchBlocks({ onBlock: (b) => gotBlock.done(b), onError: (e) => check(false, 'viem watchBlocks error', e.message) });
  await new Promise((r) => setTimeout(r, 300));
  const tx = await wallet.writeContract({ address: token, abi: Token.abi, functionName: 'transfer', args: [SINK(171), 99n] });
  const rc = await pub.waitForTransactionReceipt({ hash: tx });
  const b = await gotBlock.promise;
  eq([b.number, b.hash], [rc.blockNumber, rc.blockHash], 'viem ipc watchBlocks: the new block (eth_subscribe newHeads)');
  unwatch();
  await pub.transport.getRpcClient?.().then((c) => c.close()).catch(() => {});

  // ---- ethers' IpcSocketProvider
  const provider = new ethers.IpcSocketProvider(path, 31337, { staticNetwork: true });
  eq(await provider.getBlockNumber(), Number(rc.blockNumber), 'ethers ipc: getBlockNumber');
  const signer = new ethers.Wallet(DEV_KEYS[1], provider);
  const onBlock = waiter('ethers ipc provider.on(block)');
  await provider.on('block', (n) => onBlock.done(n));
  await new Promise((r) => setTimeout(r, 300));
  const sent = await signer.sendTransaction({ to: SINK(172), value: 12345n });
  const sentRc = await sent.wait();
  eq(sentRc.status, 1, 'ethers ipc: a signed transfer is mined');
  eq(await provider.getBalance(SINK(172)), 12345n, 'ethers ipc: getBalance after it');
  eq(await onBlock.promise, sentRc.blockNumber, 'ethers ipc: provider.on(block) gets the new block');
  await provider.removeAllListeners();
  await new Promise((r) => setTimeout(r, 300));
  provider.destroy();

  // ---- cast with the socket's path as its URL
  const head = parseInt(await rpc(node.url, 'eth_blockNumber', []), 16);
  eq((await cast(['block-number', '--rpc-url', path])).out, String(head), 'cast block-number over ipc');
  eq((await cast(['chain-id', '--rpc-url', path])).out, '31337', 'cast chain-id over ipc');
  const castSend = await cast(['send', '--rpc-url', path, '--private-key', DEV_KEYS[2], SINK(173), '--value', '7', '--json']);
  eq(castSend.code, 0, 'cast send over ipc', castSend.err);
  eq(JSON.parse(castSend.out || '{}').status, '0x1', 'cast send over ipc: its receipt');
  eq((await cast(['balance', SINK(173), '--rpc-url', path])).out, '7', 'cast balance over ipc');

  // ---- what libraries do not send
  const raw = await rawSocket(path);
  raw.write('{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}[{"jsonrpc":"2.0","id":2,"method":"net_version"}]\n{"jsonrpc":"2.0","id":3,');
  eq(JSON.parse(await raw.line()).result, '0x7a69', 'raw ipc: two requests in one write (first)');
  eq(JSON.parse(await raw.line())[0]?.result, '31337', 'raw ipc: two requests in one write (a batch)');
  raw.write('"method":"eth_getBalance","params":["' + DEV_ADDRS[4] + '","latest"]}');
  eq(JSON.parse(await raw.line()).result, '0x21e19e0c9bab2400000', 'raw ipc: a request split across writes');
  raw.write('{"jsonrpc":"2.0","id":4,"method":}');
  eq(JSON.parse(await raw.line()).error?.code, -32700, 'raw ipc: malformed JSON is a parse error');
  raw.write('{"jsonrpc":"2.0","id":5,"method":"eth_subscribe","params":["newBlobs"]}');
  eq(JSON.parse(await raw.line()).error?.code, -32602, 'raw ipc: an unknown subscription is invalid params');
  raw.write('hello');
  eq(JSON.parse(await raw.line()).error?.code, -32700, 'raw ipc: text that is no request');
  eq(await raw.line(), null, 'raw ipc: ... ends the connection');
  raw.close();

  // ---- start-up rules
  const clash = await runCommand(opt.parevm, ['node', '--dev', '--http.port', '0', '--quiet', '--ipcpath', path], 30000);
  eq(clash.code, 1, 'a second node on the same live socket does not start');
  check(/another process is listening there/.test(clash.err), 'and says why', clash.err);
  await stopParevm(node);
  check(!existsSync(path), 'the socket file is removed at the stop', path);

  const off = await startParevm(opt.parevm, ['--ipcpath', path, '--ipcdisable']);
  await new Promise((r) => setTimeout(r, 100));
  check(!/ipc listening/.test(off.stdout()) && !existsSync(path), '--ipcdisable: no socket', off.stdout());
  await stopParevm(off);

  const anvilName = await startParevm(opt.parevm, ['--ipc', path]);
  eq(await ipcLine(anvilName), path, "anvil's --ipc PATH");
  eq((await cast(['chain-id', '--rpc-url', path])).out, '31337', "anvil's --ipc PATH: cast chain-id there");
  await stopParevm(anvilName);
  rmSync(dir, { recursive: true, force: true });
}, 240000);
