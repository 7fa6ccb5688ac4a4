// Bad input over real HTTP against `parevm node --dev`: malformed JSON,
// invalid requests, unknown methods, wrong parameter types, huge batches,
// bodies over the limit (declared and chunked), hex without 0x or of odd
// length, block numbers past the head, broken raw transactions and bad dev
// edits. Each gets its JSON-RPC (or HTTP) error; afterwards the node still
// answers, and the head, the pool and the state are exactly as before.
import { connect } from 'node:net';
import { args, check, compile, DEV_ADDRS, DEV_KEYS, eq, post, rpc, rpcError, run, startParevm, stopParevm, toolRequire } from './lib.mjs';

const opt = args();
const viem = toolRequire(opt.tools)('viem');
const { privateKeyToAccount, sign } = toolRequire(opt.tools)('viem/accounts');

// An EIP-1559 transaction signed without viem's checks (for fields it
// refuses to serialize).
async function signUnchecked(key, t) {
  const q = (x) => viem.numberToHex(x);
  const fields = [q(t.chainId), q(t.nonce), q(t.maxPriorityFeePerGas), q(t.maxFeePerGas), q(t.gas), t.to, q(t.value), '0x', []]
    .map((f) => (f === '0x0' ? '0x' : f));
  const payload = viem.concatHex(['0x02', viem.toRlp(fields)]);
  const sig = await sign({ hash: viem.keccak256(payload), privateKey: key });
  const all = [...fields, sig.yParity ? '0x01' : '0x', viem.trim(sig.r), viem.trim(sig.s)];
  return viem.concatHex(['0x02', viem.toRlp(all)]);
}

// A raw HTTP exchange (for what fetch will not send); resolves the reply text.
function rawHttp(port, data, waitMs = 20000) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const t = setTimeout(() => s.destroy(), waitMs);
    s.on('connect', () => {
      for (const d of Array.isArray(data) ? data : [data]) s.write(d);
    });
    s.on('data', (d) => {
      got += d;
      // a whole response (headers and a Content-Length body) ends the wait
      const h = got.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length: *(\d+)/i.exec(got.slice(0, h));
      if (h >= 0 && len && got.length - h - 4 >= +len[1]) s.destroy();
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve(got);
    });
  });
}

const status = (reply) => +((/^HTTP\/1\.[01] (\d+)/.exec(reply) || [])[1] || 0);

run(async () => {
  const { Token } = compile(opt.tools);
  const node = await startParevm(opt.parevm);
  const U = node.url;

  // a chain to protect: a token and a transfer
  const owner = privateKeyToAccount(DEV_KEYS[0]);
  const chain = { id: 31337, name: 'dev', nativeCurrency: { name: 'E', symbol: 'E', decimals: 18 }, rpcUrls: { default: { http: [U] } } };
  const wallet = viem.createWalletClient({ chain, transport: viem.http(U), account: owner });
  const pub = viem.createPublicClient({ chain, transport: viem.http(U), pollingInterval: 50 });
  const dh = await wallet.deployContract({ abi: Token.abi, bytecode: Token.bytecode, args: [1000n] });
  const token = (await pub.waitForTransactionReceipt({ hash: dh })).contractAddress;
  await pub.waitForTransactionReceipt({
    hash: await wallet.writeContract({ address: token, abi: Token.abi, functionName: 'transfer', args: [DEV_ADDRS[1], 10n] }),
  });

  // what must not change
  const snapshot = async () => ({
    head: await rpc(U, 'eth_blockNumber'),
    headBlock: (await rpc(U, 'eth_getBlockByNumber', ['latest', false])).hash,
    balances: await Promise.all(DEV_ADDRS.map((a) => rpc(U, 'eth_getBalance', [a, 'latest']))),
    nonces: await Promise.all(DEV_ADDRS.map((a) => rpc(U, 'eth_getTransactionCount', [a, 'pending']))),
    slots: await Promise.all([0, 1, 2, 3].map((k) => rpc(U, 'eth_getStorageAt', [token, '0x' + k.toString(16), 'latest']))),
    code: await rpc(U, 'eth_getCode', [token, 'latest']),
    pool: await rpc(U, 'txpool_status'),
  });
  const before = await snapshot();
  eq(before.head, '0x2', 'head before the bad input');

  // one JSON-RPC error for a body: { code } of the single response
  const expectError = async (what, body, code, re) => {
    const r = await post(U, body);
    const e = r.json && !Array.isArray(r.json) ? r.json.error : undefined;
    check(r.status === 200 && e && e.code === code && (!re || re.test(e.message)), what,
          `HTTP ${r.status} ${r.text.slice(0, 300)}`);
    if (e) check(r.json.jsonrpc === '2.0' && 'id' in r.json, `${what}: a JSON-RPC envelope`, r.text.slice(0, 200));
    return r.json;
  };
  const call = (method, params, id = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params });

  // ---- malformed JSON and invalid requests
  for (const [what, body] of [
    ['truncated JSON', '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"'],
    ['not JSON at all', 'hello'],
    ['trailing garbage', '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"} x'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    ['a NUL escape in a string', '{"jsonrpc":"2.0","id":1,"method":"eth_\\u0000blockNumber"}'],
    ['nesting 100,000 deep', '['.repeat(100000) + ']'.repeat(100000)],
    ['an unterminated string', '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber'],
  ]) {
    const j = await expectError(`${what}: -32700`, body, -32700);
    if (j) eq(j.id, null, `${what}: id null`);
  }
  {
    // geth's serveSingleRequest: no request read (io.EOF), nothing written
    const r = await post(U, '');
    check(r.status === 200 && r.text === '', 'an empty body: 200 and no answer, as geth', `HTTP ${r.status} ${r.text.slice(0, 100)}`);
  }
  for (const [what, body] of [
    ['a number', '42'],
    ['a string', '"eth_blockNumber"'],
    ['null', 'null'],
    ['an empty batch', '[]'],
    ['no method', '{"jsonrpc":"2.0","id":1}'],
    ['a numeric method', '{"jsonrpc":"2.0","id":1,"method":7}'],
    ['jsonrpc 1.0', '{"jsonrpc":"1.0","id":1,"method":"eth_blockNumber"}'],
    ['an object id', '{"jsonrpc":"2.0","id":{},"method":"eth_blockNumber"}'],
  ])
    await expectError(`${what}: -32600`, body, -32600);
  {
    const r = await post(U, '[1, "x", {"jsonrpc":"2.0","id":9,"method":"eth_chainId"}]');
    check(r.status === 200 && Array.isArray(r.json) && r.json.length === 3, 'a batch of junk: one answer each', r.text);
    if (Array.isArray(r.json)) {
      eq(r.json.slice(0, 2).map((x) => x.error && x.error.code), [-32600, -32600], 'batch junk items: -32600');
      eq(r.json[2].result, '0x7a69', 'the valid call of the batch is answered');
    }
  }
  await expectError('params an object: -32602', '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":{"a":1}}', -32602);
  await expectError('params a string: -32602', '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":"0x1"}', -32602);

  // ---- unknown methods
  for (const m of ['eth_doesNotExist', 'foo', 'x'.repeat(2048), 'eth_getBalance ', 'ETH_BLOCKNUMBER', 'admin_addPeer', 'debug_setHeads'])
    await expectError(`unknown method ${JSON.stringify(m.slice(0, 20))}: -32601`, call(m, []), -32601);
  await expectError('a method name over 2048 characters: -32600 (geth\'s maxMethodNameLength)', call('x'.repeat(2049), []), -32600);
  await expectError('an empty method name: -32600 (geth\'s isCall)', call('', []), -32600);
  {
    const r = await post(U, call('eth_doesNotExist', [], 'abc'));
    eq(r.json && r.json.id, 'abc', 'error keeps a string id');
  }
  {
    const r = await post(U, '{"jsonrpc":"2.0","method":"eth_doesNotExist"}');
    check(r.status === 200 && r.text.length === 0, 'a notification gets no body', r.text);
  }

  // ---- wrong parameter types and hex
  const A = DEV_ADDRS[0];
  const bad = [
    ['eth_getBalance', [123, 'latest']],
    ['eth_getBalance', [{}, 'latest']],
    ['eth_getBalance', [A.slice(2), 'latest']], // no 0x
    ['eth_getBalance', [A.slice(0, 41), 'latest']], // odd length
    ['eth_getBalance', [A + '00', 'latest']], // 21 bytes
    ['eth_getBalance', [A, 'newest']],
    ['eth_getBalance', [A, 'latest', 'extra']],
    ['eth_getBalance', [A, '0xg1']],
    ['eth_getBalance', [A, '1']], // a number without 0x
    ['eth_getBalance', [A, '0x01']], // leading zero
    ['eth_getBalance', [A, '0x']], // empty quantity
    ['eth_getBalance', [A, '0x10000000000000000']], // over 64 bits
    ['eth_getBalance', [A, '0x8000000000000000']], // over int64, as geth
    ['eth_getBalance', [A, -1]],
    ['eth_getBalance', [A, { blockHash: '0x1234' }]],
    ['eth_getBalance', [A, { blockNumber: 'latest', blockHash: '0x' + '00'.repeat(32) }]],
    ['eth_getBalance', []],
    ['eth_getStorageAt', [token, '0xzz', 'latest']],
    ['eth_getStorageAt', [token, '0x' + '1'.repeat(65), 'latest']],
    ['eth_getBlockByNumber', ['0x1', 'yes']],
    ['eth_getBlockByNumber', [1, false]],
    ['eth_getBlockByNumber', ['0x1']],
    ['eth_getBlockByHash', ['0x' + 'ab'.repeat(31), false]],
    ['eth_getBlockByHash', ['ab'.repeat(32), false]],
    ['eth_getTransactionByHash', ['0x123']],
    ['eth_getTransactionReceipt', [null]],
    ['eth_call', ['not an object', 'latest']],
    ['eth_call', [{ to: token, data: '0xabc' }, 'latest']], // odd-length data
    ['eth_call', [{ to: token, data: 'a9059cbb' }, 'latest']], // no 0x
    ['eth_call', [{ to: token, value: '0x0100' }, 'latest']],
    ['eth_call', [{ to: token, gas: 'lots' }, 'latest']],
    ['eth_call', [{ to: '0x1234' }, 'latest']],
    ['eth_estimateGas', [{ from: 'me', to: token }]],
    ['eth_getLogs', [{ fromBlock: 'abc' }]],
    ['eth_getLogs', [{ address: '0x12' }]],
    ['eth_getLogs', [{ topics: ['0x12'] }]],
    ['eth_getLogs', [{ topics: [[1]] }]],
    ['eth_getLogs', [{ fromBlock: '0x0', toBlock: '0x1', blockHash: '0x' + '00'.repeat(32) }]],
    ['eth_getLogs', ['latest']],
    ['eth_feeHistory', ['lots', 'latest', []]],
    ['eth_sendRawTransaction', ['f86c']],
    ['eth_sendRawTransaction', ['0xf86']],
    ['eth_sendRawTransaction', [7]],
    ['anvil_setBalance', [A, 'a lot']],
    ['anvil_setBalance', [A, '0x' + '1'.repeat(65)]],
    ['anvil_setNonce', [A.slice(2), '0x1']],
    ['anvil_setCode', [A, '0x6']],
    ['anvil_setStorageAt', [token, '0x0', '0x01']],
    ['evm_setNextBlockTimestamp', ['0x1']], // not after the head
    ['evm_increaseTime', ['-5']],
    ['anvil_setCoinbase', ['0x12']],
    ['evm_setBlockGasLimit', ['0x0']],
    ['evm_setBlockGasLimit', [{}]],
    ['anvil_setNextBlockBaseFeePerGas', ['-1']],
    ['anvil_setNextBlockBaseFeePerGas', ['0x' + 'f'.repeat(17)]],
    ['anvil_reset', [{ forking: { jsonRpcUrl: 'http://127.0.0.1:1' } }]],
    ['anvil_reset', ['now']],
    ['anvil_getAutomine', [true]],
    ['eth_getUncleByBlockNumberAndIndex', ['0x1', 'first']],
    ['eth_getUncleByBlockHashAndIndex', ['0x12', '0x0']],
    ['rpc_modules', [1]],
    ['eth_sendRawTransactionSync', ['0x02', 'soon']],
    ['eth_sendRawTransactionSync', ['0x02', -5]],
    ['eth_getTransactionBySenderAndNonce', [A, 'zero']],
    ['eth_getTransactionBySenderAndNonce', ['0x12', '0x0']],
    ['eth_getAccountInfo', ['0x12', 'latest']],
    ['eth_getAccountInfo', [A, 'yesterday']],
    ['anvil_loadState', ['0x1f8b08000000']],
    ['anvil_loadState', ['0x7b7d']],
    ['anvil_loadState', [{ accounts: {} }]],
    ['evm_setIntervalMining', ['often']],
    ['anvil_nodeInfo', [1]],
    ['anvil_metadata', ['x']],
    ['evm_setTime', []],
    ['evm_setTime', [-5]],
    ['anvil_setTime', ['soon']],
    ['anvil_setTime', ['99999999999999999999999']],
    ['evm_mine_detailed', ['later']],
    ['anvil_mine_detailed', [{ blocks: '0x' + 'f'.repeat(17) }]],
    ['anvil_rollback', ['0x' + 'f'.repeat(16)]],
    ['anvil_rollback', ['one']],
    ['anvil_reorg', [1]],
    ['anvil_reorg', ['0x' + 'f'.repeat(16), []]],
    ['anvil_reorg', [1, [['0xzz', 0]]]],
    ['anvil_reorg', [1, [['0x02f8', 0]]]],
    ['anvil_reorg', [1, [[{ to: '0x12' }, 0]]]],
    ['anvil_reorg', [1, [[{ to: A }, 5]]]],
    ['anvil_reorg', [1, [[{ to: A }]]]],
    ['anvil_reorg', [1, [[{ from: '0x' + '77'.repeat(20), to: A }, 0]]]],
    ['anvil_reorg', [1, {}]],
    ['debug_codeByHash', ['0x12']],
    ['debug_codeByHash', []],
    ['eth_getRawTransactionByBlockNumberAndIndex', ['0x1', 'first']],
    ['eth_getRawTransactionByBlockHashAndIndex', ['0x12', '0x0']],
    ['eth_fillTransaction', [{ from: 'me' }]],
    ['eth_fillTransaction', [{ to: A }]],
    ['anvil_removePoolTransactions', ['0x12']],
    ['anvil_dropAllTransactions', [1]],
    ['anvil_getGenesisTime', ['now']],
    ['anvil_dealERC20', [A, '0x12', '0x1']],
    ['anvil_dealERC20', [A, A, 'much']],
    ['anvil_setERC20Allowance', [A, A, A]],
    ['eth_callBundle', [{}]],
    ['eth_callBundle', [{ txs: ['0x02'], blockNumber: '0x1' }]],
    ['eth_callBundle', [{ txs: [], blockNumber: '0x1' }]],
    ['eth_callBundle', [{ txs: ['0x02'], blockNumber: 'soon' }]],
    ['eth_callBundle', [{ txs: ['0x02'], blockNumber: '0x1', coinbase: '0x12' }]],
    ['eth_callBundle', ['bundle']],
    ['anvil_getBlobByHash', ['0x01']],
    ['anvil_getBlobsByTransactionHash', []],
    ['anvil_setBlockTimestampInterval', [0]],
    ['eth_getBlockTransactionCountByNumber', [true]],
    ['eth_getTransactionByBlockNumberAndIndex', ['0x1', 'first']],
    ['debug_getRawBlock', ['0xzz']],
    ['web3_sha3', ['abc']],
    ['trace_transaction', ['0x12']],
    ['trace_transaction', []],
    ['trace_get', ['0x' + '12'.repeat(32), '0x0']],
    ['trace_get', ['0x' + '12'.repeat(32), ['one']]],
    ['trace_block', [{}]],
    ['trace_replayTransaction', ['0x' + '12'.repeat(32), 'trace']],
    ['trace_replayTransaction', ['0x' + '12'.repeat(32), [7]]],
    ['trace_replayBlockTransactions', ['latest', ['vmtrace']]],
    ['trace_replayBlockTransactions', ['latest']],
    ['trace_filter', ['all']],
    ['trace_filter', [{ fromAddress: A }]],
    ['trace_filter', [{ toAddress: ['0x12'] }]],
    ['trace_filter', [{ fromBlock: 'soon' }]],
    ['trace_filter', [{ count: -1 }]],
    ['trace_filter', [{ whatever: 1 }]],
    ['trace_call', [{ to: A }, {}]],
    ['trace_call', [{ to: '0x12' }, ['trace']]],
    ['trace_call', [{ to: A }, ['trace'], 'yesterday']],
    ['trace_call', [{ to: A }, ['trace'], 'latest', { [A]: { balance: 'lots' } }]],
    ['trace_callMany', [{}]],
    ['trace_callMany', [[[{ to: A }, ['trace'], 'extra']]]],
    ['trace_callMany', [[[{ to: A }, ['stateDiff', null]]]]],
    ['trace_rawTransaction', ['0x02', ['trace']]],
    ['trace_rawTransaction', ['0xzz', ['trace']]],
    ['eth_getHeaderByNumber', [1]],
    ['eth_getHeaderByNumber', ['0x1', true]],
    ['eth_getHeaderByHash', ['0x12']],
    ['debug_getModifiedAccountsByNumber', ['zz']],
    ['debug_getModifiedAccountsByNumber', [-1]],
    ['debug_getModifiedAccountsByNumber', [1, 2, 3]],
    ['debug_getModifiedAccountsByHash', ['0x12']],
    ['debug_setHead', [1]], // a JSON number: geth's hexutil.Uint64 wants a quantity
    ['debug_setHead', ['0x01']],
    ['debug_setHead', ['latest']],
    ['debug_setHead', []],
    ['debug_getBadBlocks', [7]],
    ['debug_storageRangeAt', ['latest', 0, '0x12', '0x', 5]],
    ['debug_storageRangeAt', ['latest', 'first', token, '0x', 5]],
    ['debug_storageRangeAt', ['latest', 0, token, '0x1', 5]],
    ['debug_storageRangeAt', ['latest', 0, token, '0x']],
    ['debug_accountRange', ['latest', 'zz', 1, true, true, false]],
    ['debug_accountRange', ['latest', '0x', 1, 'yes', true, false]],
    ['debug_dumpBlock', [{}]],
    ['ots_getApiLevel', [1]],
    ['ots_getHeaderByNumber', ['soon']],
    ['erigon_getHeaderByNumber', [-1]],
    ['ots_hasCode', ['0x12', 'latest']],
    ['ots_hasCode', [A, 'yesterday']],
    ['ots_hasCode', [A, -3]],
    ['ots_traceTransaction', ['0x12']],
    ['ots_traceTransaction', []],
    ['ots_getInternalOperations', [7]],
    ['ots_getTransactionError', ['0x' + '11'.repeat(31)]],
    ['ots_getBlockDetails', ['first']],
    ['ots_getBlockDetails', [1, 2]],
    ['ots_getBlockDetailsByHash', ['0x1234']],
    ['ots_getBlockTransactions', [1, -1, 5]],
    ['ots_getBlockTransactions', [1, 0, 'ten']],
    ['ots_getBlockTransactions', [1, 0]],
    ['ots_searchTransactionsBefore', ['0x12', 0, 5]],
    ['ots_searchTransactionsBefore', [A, 'soon', 5]],
    ['ots_searchTransactionsAfter', [A, 0, -5]],
    ['ots_searchTransactionsAfter', [A, 0]],
    ['ots_getTransactionBySenderAndNonce', [A, 'one']],
    ['ots_getTransactionBySenderAndNonce', ['0x12', 1]],
    ['ots_getContractCreator', [17]],
    ['ots_getContractCreator', [A, A]],
    ['eth_sendRawTransactionConditional', ['0x02']],
    ['eth_sendRawTransactionConditional', ['0xzz', {}]],
    ['eth_sendRawTransactionConditional', ['0x02', 'soon']],
    ['eth_sendRawTransactionConditional', ['0x02', { knownAccounts: { '0x12': '0x00' } }]],
    ['eth_sendRawTransactionConditional', ['0x02', { knownAccounts: { [A]: 5 } }]],
    ['eth_sendRawTransactionConditional', ['0x02', { timestampMax: -1 }]],
    ['eth_pendingTransactions', [1]],
    ['debug_clearTxpool', ['all']],
    ['debug_getRawTransactions', []],
    ['debug_getRawTransactions', ['first']],
    ['debug_freeOSMemory', [true]],
    ['trace_transactionOpcodeGas', ['0x12']],
    ['trace_blockOpcodeGas', [{}]],
    ['anvil_setNextBlockPrevRandao', ['0x12']],
    ['anvil_setNextBlockPrevRandao', []],
    ['anvil_getLastBlockWallTime', [0]],
    ['eth_networkId', [1]],
    ['reth_getBalanceChangesInBlock', []],
    ['reth_getBalanceChangesInBlock', ['soon']],
    ['debug_intermediateRoots', ['0x12']],
    ['debug_intermediateRoots', ['latest']],
    ['debug_intermediateRoots', ['0x' + '11'.repeat(32), 'config']],
  ];
  for (const [m, p] of bad) {
    const e = await rpcError(U, m, p);
    check(e && (e.code === -32602 || (m === 'eth_sendRawTransaction' && e.code === -32000)),
          `${m}(${JSON.stringify(p).slice(0, 90)}): invalid params`, e ? `${e.code} ${e.message}` : 'succeeded');
  }
  // eth_feeHistory's percentiles: geth's plain errors (-32000)
  for (const p of [[50, 10], [10, 10], [101]]) { // not increasing, repeated, above 100
    const e = await rpcError(U, 'eth_feeHistory', ['0x4', 'latest', p]);
    check(e && e.code === -32000 && /invalid reward percentile/.test(e.message),
          `eth_feeHistory percentiles ${JSON.stringify(p)}: -32000`, e ? `${e.code} ${e.message}` : 'succeeded');
  }

  // muxTracer's bad configs: geth refuses a tracer it cannot build with
  // -32000 (a wrong tracerConfig, an unknown tracer), parevm a config over
  // its size with -32602
  for (const [tc, code] of [[{ callTracer: { withLog: 'yes' } }, -32000], [{ nope: {} }, -32000],
                            [{ muxTracer: { muxTracer: { x: 1 } }, pad: 'x'.repeat(600) }, -32602]]) {
    const e = await rpcError(U, 'debug_traceCall', [{ to: A }, 'latest', { tracer: 'muxTracer', tracerConfig: tc }]);
    check(e && e.code === code, `debug_traceCall muxTracer ${JSON.stringify(tc).slice(0, 50)}: ${code}`, e ? `${e.code} ${e.message}` : 'succeeded');
  }

  // ---- block numbers past the head
  const past = '0x' + (Number(before.head) + 5).toString(16);
  const far = '0x7fffffffffffffff';
  for (const n of [past, far]) {
    eq(await rpc(U, 'eth_getBlockByNumber', [n, false]), null, `eth_getBlockByNumber(${n}): null`);
    eq(await rpc(U, 'eth_getBlockTransactionCountByNumber', [n]), null, `eth_getBlockTransactionCountByNumber(${n}): null`);
    eq(await rpc(U, 'eth_getTransactionByBlockNumberAndIndex', [n, '0x0']), null, `eth_getTransactionByBlockNumberAndIndex(${n}): null`);
    eq(await rpc(U, 'eth_getBlockReceipts', [n]), null, `eth_getBlockReceipts(${n}): null`);
    eq(await rpc(U, 'eth_getUncleCountByBlockNumber', [n]), null, `eth_getUncleCountByBlockNumber(${n}): null`);
    eq(await rpc(U, 'eth_getUncleByBlockNumberAndIndex', [n, '0x0']), null, `eth_getUncleByBlockNumberAndIndex(${n}): null`);
    for (const m of ['eth_getBalance', 'eth_getTransactionCount', 'eth_getCode']) {
      const e = await rpcError(U, m, [A, n]);
      check(e && e.code === -32000 && /header not found/.test(e.message), `${m} at ${n}: header not found`, e && e.message);
    }
    const s = await rpcError(U, 'eth_getStorageAt', [token, '0x0', n]);
    check(s && s.code === -32000, `eth_getStorageAt at ${n}: error`, s && s.message);
    const c = await rpcError(U, 'eth_call', [{ to: token, data: '0x18160ddd' }, n]);
    check(c && c.code === -32000, `eth_call at ${n}: error`, c && c.message);
    const g = await rpcError(U, 'eth_estimateGas', [{ to: token, data: '0x18160ddd' }, n]);
    check(g && g.code === -32000, `eth_estimateGas at ${n}: error`, g && g.message);
    const l = await rpcError(U, 'eth_getLogs', [{ fromBlock: n, toBlock: n }]);
    check(l && (l.code === -32000 || l.code === -32602), `eth_getLogs from ${n}: error`, l && l.message);
    const f = await rpcError(U, 'eth_feeHistory', ['0x2', n, []]);
    check(f && (f.code === -32000 || f.code === -32602), `eth_feeHistory at ${n}: error`, f && f.message);
    eq(await rpc(U, 'ots_getHeaderByNumber', [n]), null, `ots_getHeaderByNumber(${n}): null`);
    for (const [m, p] of [['ots_getBlockDetails', [n]], ['ots_getBlockTransactions', [n, 0, 10]]]) {
      const e = await rpcError(U, m, p);
      check(e && e.code === -32001, `${m} at ${n}: block not found (-32001)`, e && e.message);
    }
    const h = await rpcError(U, 'debug_getRawHeader', [n]);
    check(h && h.code === -32000, `debug_getRawHeader at ${n}: error`, h && h.message);
  }
  eq(await rpc(U, 'eth_getBlockByHash', ['0x' + '12'.repeat(32), false]), null, 'eth_getBlockByHash(unknown): null');
  eq(await rpc(U, 'eth_getTransactionReceipt', ['0x' + '12'.repeat(32)]), null, 'receipt of an unknown hash: null');
  eq(await rpc(U, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: DEV_ADDRS[4] }]), [], 'eth_getLogs of no logs: []');

  // ---- broken and invalid transactions
  const signed = async (over) =>
    owner.signTransaction({ chainId: 31337, type: 'eip1559', to: DEV_ADDRS[2], value: 1n, gas: 21000n,
                            maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, nonce: 2, ...over });
  const good = await signed({});
  const txErrors = [
    ['empty', '0x'],
    ['one byte', '0x02'],
    ['truncated', good.slice(0, good.length - 10)],
    ['trailing bytes', good + '00'],
    ['an unknown type', '0x7f' + good.slice(4)],
    ['a flipped signature byte', good.slice(0, -6) + (good.slice(-6, -4) === 'ff' ? '00' : 'ff') + good.slice(-4)],
    ['a wrong chain id', await signed({ chainId: 1 })],
    ['a stale nonce', await signed({ nonce: 0 })],
    ['too little gas', await signed({ gas: 20000n })],
    ['a fee cap under the base fee', await signed({ maxFeePerGas: 1n, maxPriorityFeePerGas: 1n })],
    ['more value than the balance', await signed({ value: 10n ** 30n })],
    ['priority fee above the cap', await signUnchecked(DEV_KEYS[0], { chainId: 31337, nonce: 2, to: DEV_ADDRS[2], value: 1n,
                                                                       gas: 21000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 11n })],
    ['a valid one re-signed unchecked (control)', null],
  ];
  const control = await signUnchecked(DEV_KEYS[0], { chainId: 31337, nonce: 2, to: DEV_ADDRS[2], value: 1n, gas: 21000n,
                                                       maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n });
  eq(control, good, 'the unchecked signer agrees with viem');
  for (const [what, raw] of txErrors) {
    if (!raw) continue;
    const e = await rpcError(U, 'eth_sendRawTransaction', [raw]);
    check(e && (e.code === -32000 || e.code === -32602 || e.code === -32003), `eth_sendRawTransaction with ${what}: error`,
          e ? `${e.code} ${e.message}` : 'accepted');
  }

  // ---- HTTP: limits, methods, content types, broken framing
  {
    const big = '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["' + 'a'.repeat(5 * 1024 * 1024) + '"]}';
    // answered before the body is read (fetch would see the close as an error)
    const r = await rawHttp(node.port, [`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n`, big]);
    eq(status(r), 413, 'a body over 5 MiB: HTTP 413');
    const chunked = await rawHttp(node.port, [
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      ...Array.from({ length: 6 }, () => (1 << 20).toString(16) + '\r\n' + 'a'.repeat(1 << 20) + '\r\n'),
      '0\r\n\r\n',
    ]);
    eq(status(chunked), 413, 'a chunked body over 5 MiB: HTTP 413');
    const declared = await rawHttp(node.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{');
    eq(status(declared), 413, 'a declared length over the limit: HTTP 413 before the body');
    const hugeLen = await rawHttp(node.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 184467440737095516160\r\n\r\n');
    check(status(hugeLen) === 413 || status(hugeLen) === 400, 'an overflowing Content-Length: 413 or 400', hugeLen.slice(0, 80));
  }
  {
    const batch = (n) => '[' + Array.from({ length: n }, (_, i) => call('eth_blockNumber', [], i)).join(',') + ']';
    const ok = await post(U, batch(1000));
    check(Array.isArray(ok.json) && ok.json.length === 1000 && ok.json.every((x) => x.result === before.head),
          'a batch of 1000 calls is answered', ok.text.slice(0, 200));
    const over = await post(U, batch(1001));
    check(Array.isArray(over.json) && over.json.length === 1 && over.json[0].error && over.json[0].error.code === -32600,
          'a batch of 1001 calls: one -32600', over.text.slice(0, 200));
    const huge = await post(U, '[' + Array(200000).fill('{}').join(',') + ']');
    check(huge.status === 200 && Array.isArray(huge.json) && huge.json.length === 1, 'a batch of 200,000: refused at once', huge.text.slice(0, 200));
    const nested = await post(U, JSON.stringify(Array.from({ length: 50 }, (_, i) => [call('eth_blockNumber', [], i)])));
    check(Array.isArray(nested.json) && nested.json.length === 50 && nested.json.every((x) => x.error && x.error.code === -32600),
          'a batch of batches: -32600 each', nested.text.slice(0, 200));
  }
  {
    const get = await fetch(U);
    eq(get.status, 200, 'an empty GET (a health check): HTTP 200, as geth');
    const put = await fetch(U, { method: 'PUT', body: '{}' });
    eq(put.status, 405, 'PUT: HTTP 405');
    const text = await post(U, call('eth_chainId', []), { 'content-type': 'text/plain' });
    eq(text.status, 415, 'text/plain: HTTP 415');
    const garbage = await rawHttp(node.port, 'GARBAGE\r\n\r\n', 5000);
    check(garbage === '' || status(garbage) >= 400, 'a request line that is not HTTP: an HTTP error or a close', garbage.slice(0, 60));
    const shortBody = await rawHttp(node.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"jsonrpc"', 3000);
    check(shortBody === '' || status(shortBody) >= 400, 'a body shorter than its Content-Length: no answer, no hang', shortBody.slice(0, 60));
  }

  // ---- many bad requests at once
  await Promise.all(Array.from({ length: 64 }, (_, i) =>
    post(U, i % 2 ? '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x1","latest"]}' : '{{{')));

  // ---- nothing moved, and the node still works
  const after = await snapshot();
  eq(after, before, 'head, balances, nonces, storage, code and pool unchanged');
  eq((await rpc(U, 'txpool_content')).pending, {}, 'the pool holds nothing');
  const rc = await pub.waitForTransactionReceipt({ hash: await rpc(U, 'eth_sendRawTransaction', [good]) });
  eq(rc.status, 'success', 'a valid transaction still goes through');
  eq(await rpc(U, 'eth_blockNumber'), '0x3', 'and it is the only new block');
  await stopParevm(node);
});
