// Foundry's cast, unmodified, against `parevm node --dev`: send (a deployment,
// a token transfer signed by cast, a transfer from an unlocked node account),
// call, estimate, receipt, block, balance, nonce, code, storage, logs, and
// a call that reverts with a reason.
import { execFile } from 'node:child_process';
import { args, check, compile, DEV_ADDRS, DEV_KEYS, eq, foundryBin, run, startParevm, stopParevm } from './lib.mjs';

const opt = args();
const castBin = foundryBin(opt.tools, 'cast');

// Runs cast; resolves { code, out, err }.
function cast(...argv) {
  return new Promise((resolve) => {
    execFile(castBin, argv, { timeout: 60000, env: { ...process.env, NO_COLOR: '1' } }, (e, out, err) =>
      resolve({ code: e ? (e.code ?? 1) : 0, out: out.trim(), err: err.trim() }));
  });
}

// cast ... --json, parsed (null after a failure, reported).
async function castJson(what, ...argv) {
  const r = await cast(...argv, '--json');
  if (!check(r.code === 0, what, r.err)) return null;
  try {
    return JSON.parse(r.out);
  } catch (e) {
    check(false, `${what}: JSON output`, r.out);
    return null;
  }
}

run(async () => {
  const { Token } = compile(opt.tools);
  const node = await startParevm(opt.parevm);
  const U = ['--rpc-url', node.url];
  const key = ['--private-key', DEV_KEYS[0]];

  eq((await cast('chain-id', ...U)).out, '31337', 'cast chain-id');
  eq((await cast('balance', DEV_ADDRS[1], ...U)).out, '10000000000000000000000', 'cast balance');
  eq((await cast('balance', '--ether', DEV_ADDRS[1], ...U)).out, '10000.000000000000000000', 'cast balance --ether');

  // deploy the token
  const dep = await castJson('cast send --create', 'send', ...key, ...U, '--create', Token.bytecode, 'constructor(uint256)', '1000000');
  eq(dep && dep.status, '0x1', 'deployment status');
  const token = dep && dep.contractAddress;
  check(/^0x[0-9a-fA-F]{40}$/.test(token || ''), 'deployment contractAddress', token);
  eq((await cast('call', token, 'balanceOf(address)(uint256)', DEV_ADDRS[0], ...U)).out, '1000000 [1e6]', 'cast call balanceOf');
  eq((await cast('call', token, 'symbol()(string)', ...U)).out, '"PTT"', 'cast call symbol');

  // estimate and send a transfer
  const est = await cast('estimate', token, 'transfer(address,uint256)', DEV_ADDRS[2], '250', '--from', DEV_ADDRS[0], ...U);
  check(est.code === 0 && +est.out > 21000 && +est.out < 100000, 'cast estimate', est.out || est.err);
  const sent = await castJson('cast send transfer', 'send', ...key, ...U, token, 'transfer(address,uint256)', DEV_ADDRS[2], '250');
  eq(sent && sent.status, '0x1', 'transfer status');
  eq(sent && sent.logs && sent.logs.length, 1, 'transfer log');
  eq((await cast('call', token, 'balanceOf(address)(uint256)', DEV_ADDRS[2], ...U)).out, '250', 'balance after transfer');

  // receipt by hash (json and one field), block, logs
  const rc = await castJson('cast receipt', 'receipt', sent && sent.transactionHash, ...U);
  eq(rc && rc.transactionHash, sent && sent.transactionHash, 'cast receipt hash');
  eq(rc && rc.blockNumber, '0x2', 'cast receipt blockNumber');
  eq(rc && rc.logs && rc.logs[0] && rc.logs[0].address, token && token.toLowerCase(), 'cast receipt log address');
  eq((await cast('receipt', sent && sent.transactionHash, 'status', ...U)).out, 'true', 'cast receipt status');
  const blk = await castJson('cast block', 'block', 'latest', ...U);
  eq(blk && blk.number, '0x2', 'cast block latest number');
  eq(blk && blk.transactions, [sent && sent.transactionHash], 'cast block transactions');
  eq(blk && blk.hash, rc && rc.blockHash, 'block hash is the receipt blockHash');
  eq((await cast('block', '1', '--field', 'gasUsed', ...U)).out, String(parseInt(dep && dep.gasUsed, 16)), 'cast block 1 gasUsed');
  eq((await cast('block-number', ...U)).out, '2', 'cast block-number');
  const logs = await castJson('cast logs', 'logs', '--from-block', '0', '--address', token, 'Transfer(address indexed,address indexed,uint256)', ...U);
  eq(logs && logs.length, 2, 'cast logs: mint and transfer');

  // an unlocked node account (eth_sendTransaction)
  const unl = await castJson('cast send --unlocked', 'send', '--unlocked', '--from', DEV_ADDRS[3], ...U, DEV_ADDRS[4], '--value', '1ether');
  eq(unl && unl.status, '0x1', 'unlocked send status');
  eq(unl && unl.from, DEV_ADDRS[3], 'unlocked send from');
  eq((await cast('balance', DEV_ADDRS[4], ...U)).out, '10001000000000000000000', 'balance after the unlocked send');
  eq((await cast('nonce', DEV_ADDRS[3], ...U)).out, '1', 'cast nonce');
  eq((await cast('nonce', DEV_ADDRS[0], ...U)).out, '2', 'cast nonce of the deployer');

  // code and storage
  const code = await cast('code', token, ...U);
  eq(code.out.length, Token.runtime.length, 'cast code size');
  eq((await cast('storage', token, '0', ...U)).out, '0x' + (1000000).toString(16).padStart(64, '0'), 'cast storage slot 0');

  // a reverting call and a reverting send
  const rev = await cast('call', token, 'transfer(address,uint256)', DEV_ADDRS[0], '5', '--from', DEV_ADDRS[0], ...U);
  check(rev.code === 0, 'cast call transfer by the holder', rev.err);
  const bad = await cast('call', token, 'transfer(address,uint256)', DEV_ADDRS[0], '999999999', '--from', DEV_ADDRS[2], ...U);
  check(bad.code !== 0 && /insufficient balance/.test(bad.err), 'cast call shows the revert reason', bad.err);
  const badSend = await cast('send', '--private-key', DEV_KEYS[2], ...U, token, 'transfer(address,uint256)', DEV_ADDRS[0], '999999999');
  check(badSend.code !== 0 && /insufficient balance/.test(badSend.err), 'cast send: the estimate fails with the reason', badSend.err);

  // cast rpc passes anything through
  eq((await cast('rpc', 'eth_blockNumber', ...U)).out, '"0x3"', 'cast rpc eth_blockNumber');
  await stopParevm(node);
});
