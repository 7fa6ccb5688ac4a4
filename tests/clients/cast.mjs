// Foundry's cast, unmodified, against `parevm node --dev`: send (a deployment,
// a token transfer signed by cast, a transfer from an unlocked node account),
// call, estimate, receipt, block, balance, nonce, code, storage, logs, a call
// that reverts with a reason, and the history: call --block, tx --raw,
// base-fee, gas-price, find-block, access-list, proof, storage-root and run
// (the transfer replayed by cast's own EVM on the node's state before it).
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

  // the history and the state as cast reads them: a call at an old block,
  // a transaction's raw bytes, fees, block search by time, an access list,
  // a proof and storage root, and `cast run` replaying the transfer on the
  // state before it (cast forks the node's state over RPC and runs revm)
  const h = sent && sent.transactionHash;
  eq((await cast('call', token, 'balanceOf(address)(uint256)', DEV_ADDRS[2], '--block', '1', ...U)).out, '0',
     'cast call --block 1: the balance before the transfer');
  eq((await cast('tx', h, '--raw', ...U)).out, (await cast('rpc', 'eth_getRawTransactionByHash', h, ...U)).out.replace(/"/g, ''),
     'cast tx --raw: the raw transaction');
  eq((await cast('tx', h, 'nonce', ...U)).out, '1', 'cast tx nonce');
  const fee = BigInt((await cast('base-fee', ...U)).out), price = BigInt((await cast('gas-price', ...U)).out);
  check(fee > 0n && price > fee, 'cast base-fee and gas-price', `${fee} ${price}`);
  const b2 = await castJson('cast block 2', 'block', '2', ...U);
  eq((await cast('find-block', String(parseInt(b2 && b2.timestamp, 16)), ...U)).out, '2', 'cast find-block: block 2 by its timestamp');
  const al = await cast('access-list', token, 'transfer(address,uint256)', DEV_ADDRS[1], '1', '--from', DEV_ADDRS[0], '--json', ...U);
  let list = null;
  try { list = JSON.parse(al.out).access_list || JSON.parse(al.out).accessList; } catch {}
  check(Array.isArray(list) && list.some((e) => e.address.toLowerCase() === token.toLowerCase() && e.storageKeys.length === 2),
        'cast access-list: the token and the two balances', al.out || al.err);
  const proof = await castJson('cast proof', 'proof', token, '0', ...U);
  eq(proof && proof.storageProof && proof.storageProof[0] && BigInt(proof.storageProof[0].value), 1000000n, 'cast proof: slot 0');
  eq((await cast('storage-root', token, ...U)).out, proof && proof.storageHash, 'cast storage-root is the proof\'s');
  const replay = await cast('run', h, ...U);
  check(replay.code === 0 && /Transaction successfully executed/.test(replay.out) && /Transfer/.test(replay.out) &&
        new RegExp(`Gas used: ${parseInt(sent && sent.gasUsed, 16)}\\b`).test(replay.out),
        'cast run: the transfer replayed with its event and gas', replay.out.slice(-600) || replay.err);
  await stopParevm(node);
});
