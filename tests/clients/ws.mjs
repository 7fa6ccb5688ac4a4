// JSON-RPC over WebSocket on the node's HTTP port, driven by real clients:
// viem's webSocket transport (requests, watchBlocks, watchContractEvent and
// watchPendingTransactions over eth_subscribe), ethers' WebSocketProvider
// (provider.on('block'), contract.on('Transfer'), provider.on('pending')),
// Foundry's cast with a ws:// URL (cast logs --subscribe among them), and a
// raw `ws` client for what a client library would never send; then a
// WebSocket port apart from the HTTP one (--ws.port, geth's and reth's).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { args, check, compile, DEV_ADDRS, DEV_KEYS, eq, foundryBin, rpc, run, runCommand, startParevm, stopParevm,
         toolRequire, waiter } from './lib.mjs';

const opt = args();
const req = toolRequire(opt.tools);
const viem = req('viem');
const ethers = req('ethers');
const WebSocket = createRequire(req.resolve('ethers'))('ws'); // ethers' own dependency
const { privateKeyToAccount } = req('viem/accounts');

const castRun = (argv) => runCommand(foundryBin(opt.tools, 'cast'), argv);

const SINK = (i) => viem.getAddress('0x' + i.toString(16).padStart(2, '0').repeat(20));

run(async () => {
  const { Token } = compile(opt.tools);
  const node = await startParevm(opt.parevm);
  const wsUrl = node.url.replace(/^http/, 'ws');
  const chain = viem.defineChain({
    id: 31337, name: 'parevm dev', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [node.url], webSocket: [wsUrl] } },
  });
  const owner = privateKeyToAccount(DEV_KEYS[0]);
  const http = viem.http(node.url);
  const wallet = viem.createWalletClient({ chain, transport: http, account: owner });
  const httpPub = viem.createPublicClient({ chain, transport: http });

  // ---- viem over WebSocket
  const pub = viem.createPublicClient({ chain, transport: viem.webSocket(wsUrl) });
  eq(await pub.getChainId(), 31337, 'viem ws: getChainId');
  eq(await pub.getBlockNumber(), 0n, 'viem ws: getBlockNumber');
  const supply = 10n ** 24n;
  const deployHash = await wallet.deployContract({ abi: Token.abi, bytecode: Token.bytecode, args: [supply] });
  const token = (await pub.waitForTransactionReceipt({ hash: deployHash })).contractAddress;
  check(viem.isAddress(token), 'viem ws: waitForTransactionReceipt of a deployment', token);

  const heads = [];
  const gotBlock = waiter('viem watchBlocks');
  const unwatchBlocks = pub.watchBlocks({ onBlock: (b) => { heads.push(b); gotBlock.done(b); }, onError: (e) => check(false, 'viem watchBlocks error', e.message) });
  const gotEvent = waiter('viem watchContractEvent');
  const unwatchEvents = pub.watchContractEvent({ address: token, abi: Token.abi, eventName: 'Transfer',
                                                onLogs: (logs) => gotEvent.done(logs),
                                                onError: (e) => check(false, 'viem watchContractEvent error', e.message) });
  await new Promise((r) => setTimeout(r, 300)); // the subscriptions are set up
  const amount = 4242n;
  const txHash = await wallet.writeContract({ address: token, abi: Token.abi, functionName: 'transfer', args: [SINK(165), amount] });
  const rc = await httpPub.waitForTransactionReceipt({ hash: txHash });
  const b = await gotBlock.promise;
  eq(b.number, rc.blockNumber, 'viem watchBlocks: the new block (eth_subscribe newHeads)');
  eq(b.hash, rc.blockHash, 'viem watchBlocks: its hash');
  const logs = await gotEvent.promise;
  eq(logs.length, 1, 'viem watchContractEvent: one Transfer (eth_subscribe logs)');
  eq([logs[0].args.from, logs[0].args.to, logs[0].args.value], [owner.address, SINK(165), amount], 'viem watchContractEvent: its args');
  eq(logs[0].transactionHash, txHash, 'viem watchContractEvent: its transaction');
  unwatchBlocks();
  unwatchEvents();

  // pending transactions: with automine off they stay in the pool
  await rpc(node.url, 'evm_setAutomine', [false]);
  const gotPending = waiter('viem watchPendingTransactions');
  const unwatchPending = pub.watchPendingTransactions({ onTransactions: (h) => gotPending.done(h) });
  await new Promise((r) => setTimeout(r, 300));
  const pendingHash = await wallet.sendTransaction({ to: SINK(166), value: 1n });
  const seen = await gotPending.promise;
  check(seen.includes(pendingHash), 'viem watchPendingTransactions: the pool transaction (newPendingTransactions)', seen);
  unwatchPending();
  await rpc(node.url, 'evm_mine', []);
  await rpc(node.url, 'evm_setAutomine', [true]);

  // ---- ethers WebSocketProvider
  const provider = new ethers.WebSocketProvider(wsUrl, 31337, { staticNetwork: true });
  eq(await provider.getBlockNumber(), parseInt(await rpc(node.url, 'eth_blockNumber', []), 16), 'ethers ws: getBlockNumber');
  const signer = new ethers.Wallet(DEV_KEYS[1], new ethers.JsonRpcProvider(node.url, 31337, { staticNetwork: true }));
  const contract = new ethers.Contract(token, Token.abi, provider);
  const onBlock = waiter('ethers provider.on(block)');
  const onTransfer = waiter('ethers contract.on(Transfer)');
  await provider.on('block', (n) => onBlock.done(n));
  await contract.on('Transfer', (from, to, value, ev) => onTransfer.done({ from, to, value, ev }));
  await new Promise((r) => setTimeout(r, 300));
  const tokenAsOwner = new ethers.Contract(token, Token.abi, new ethers.Wallet(DEV_KEYS[0], signer.provider));
  const sent = await tokenAsOwner.transfer(SINK(167), 77n);
  const sentRc = await sent.wait();
  eq(await onBlock.promise, sentRc.blockNumber, 'ethers ws: provider.on(block) gets the new block');
  const t = await onTransfer.promise;
  eq([t.from, t.to, t.value], [ethers.getAddress(DEV_ADDRS[0]), SINK(167), 77n], 'ethers ws: contract.on(Transfer) args');
  eq(t.ev.log.transactionHash, sent.hash, 'ethers ws: the event\'s transaction');
  await provider.removeAllListeners();
  await new Promise((r) => setTimeout(r, 300)); // its eth_unsubscribe calls are answered
  await provider.destroy();

  // ---- cast with a ws:// URL
  const headNow = parseInt(await rpc(node.url, 'eth_blockNumber', []), 16);
  eq((await castRun(['block-number', '--rpc-url', wsUrl])).out, String(headNow), 'cast block-number over ws');
  const sub = spawn(foundryBin(opt.tools, 'cast'), ['logs', '--subscribe', '--rpc-url', wsUrl, '--address', token,
                                                     'Transfer(address indexed,address indexed,uint256)'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let subOut = '';
  const castLog = waiter('cast logs --subscribe', 30000);
  sub.stdout.on('data', (d) => { subOut += d; if (/transactionHash/.test(subOut)) castLog.done(subOut); });
  await new Promise((r) => setTimeout(r, 1500)); // cast connects and subscribes
  const third = await wallet.writeContract({ address: token, abi: Token.abi, functionName: 'transfer', args: [SINK(168), 5n] });
  await httpPub.waitForTransactionReceipt({ hash: third });
  const printed = await castLog.promise.catch((e) => e.message);
  check(printed.includes(third), 'cast logs --subscribe prints the new Transfer', printed.slice(0, 300));
  sub.kill('SIGKILL');

  // ---- what libraries never send
  const raw = new WebSocket(wsUrl);
  await new Promise((res, rej) => { raw.on('open', res); raw.on('error', rej); });
  // every message is queued as it arrives: a push may come before the
  // test waits for it (the pending transaction's, while the HTTP send that
  // caused it is still being answered)
  const replies = [];
  let waiting = null;
  raw.on('message', (m) => {
    const v = JSON.parse(m.toString());
    if (waiting) { const w = waiting; waiting = null; w(v); } else replies.push(v);
  });
  const next = () => new Promise((res) => { if (replies.length) res(replies.shift()); else waiting = res; });
  const ask = async (text) => { raw.send(text); return next(); };
  eq((await ask('not json')).error.code, -32700, 'raw ws: garbage is a parse error');
  eq((await ask(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newBlobs'] }))).error.code, -32602,
     'raw ws: an unknown subscription is invalid params');
  // a dev chain never syncs: the subscription is made and pushes nothing
  const syncSub = (await ask(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'eth_subscribe', params: ['syncing'] }))).result;
  check(/^0x[0-9a-f]{32}$/.test(syncSub), 'raw ws: a syncing subscription is made', syncSub);
  // newPendingTransactions with true: whole transactions
  const fullSub = (await ask(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'eth_subscribe', params: ['newPendingTransactions', true] }))).result;
  const fourth = await wallet.sendTransaction({ to: SINK(169), value: 3n });
  const pushed = await next();
  eq([pushed.params?.subscription, pushed.params?.result?.hash, pushed.params?.result?.value],
     [fullSub, fourth, '0x3'], 'raw ws: newPendingTransactions with true pushes the transaction');
  eq((await ask(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_unsubscribe', params: ['0x1234'] }))).result, false,
     'raw ws: unsubscribing an unknown id is false');
  eq((await ask(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'eth_chainId' }))).result, '0x7a69', 'raw ws: the session goes on');
  raw.close();
  const overHttp = await rpc(node.url, 'eth_subscribe', ['newHeads']).catch((e) => e);
  eq(overHttp.code, -32601, 'eth_subscribe over HTTP: not available');

  await stopParevm(node);

  // ---- geth's and reth's --http --ws --ws.port: a WebSocket listener of its own
  const apart = await startParevm(opt.parevm, ['--http', '--ws', '--ws.addr', '127.0.0.1', '--ws.port', '0']);
  let wsPort = null;
  for (let i = 0; i < 100 && !wsPort; i++) {
    wsPort = /websocket listening on 127\.0\.0\.1:(\d+)/.exec(apart.stdout())?.[1];
    if (!wsPort) await new Promise((r) => setTimeout(r, 20));
  }
  check(wsPort && +wsPort !== apart.port, '--ws.port: a port of its own', apart.stdout());
  if (wsPort) {
    const client = viem.createPublicClient({ transport: viem.webSocket(`ws://127.0.0.1:${wsPort}`) });
    eq(await client.getChainId(), 31337, '--ws.port: viem ws getChainId there');
    eq(await rpc(`http://127.0.0.1:${wsPort}`, 'eth_chainId', []), '0x7a69', '--ws.port: the same methods there');
    await client.transport.getRpcClient?.().then((c) => c.close()).catch(() => {});
  }
  await stopParevm(apart);
}, 240000);
