// viem, unmodified, against `parevm node --dev`: deploys the ERC-20 of
// Token.sol (solc-js), transfers, reads balances and events (getLogs), waits
// for receipts, estimates gas, decodes revert reasons and a custom error,
// reads blocks, transactions, fees and nonces the way dapps do, polls
// filters (event, block and pending-transaction filters, watchContractEvent),
// with a JSON-RPC account (the node's key) signs typed data
// (eth_signTypedData_v4) and a transaction (eth_signTransaction), then sends
// that one raw, and sends a transaction synchronously (EIP-7966) and finds
// transactions by sender and nonce.
import { args, check, compile, DEV_ADDRS, DEV_KEYS, eq, run, startParevm, stopParevm, toolRequire } from './lib.mjs';

const opt = args();
const req = toolRequire(opt.tools);
const viem = req('viem');
const { privateKeyToAccount } = req('viem/accounts');

run(async () => {
  const { Token } = compile(opt.tools);
  const node = await startParevm(opt.parevm);
  const chain = viem.defineChain({
    id: 31337,
    name: 'parevm dev',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [node.url] } },
  });
  const transport = viem.http(node.url);
  const pub = viem.createPublicClient({ chain, transport, pollingInterval: 50 });
  const owner = privateKeyToAccount(DEV_KEYS[0]);
  const alice = privateKeyToAccount(DEV_KEYS[1]);
  const wallet = viem.createWalletClient({ chain, transport, account: owner });
  const aliceWallet = viem.createWalletClient({ chain, transport, account: alice });

  eq(await pub.getChainId(), 31337, 'getChainId');
  eq((await pub.getBalance({ address: owner.address })).toString(), (10000n * 10n ** 18n).toString(), 'dev balance');

  // deploy (signed locally, eth_sendRawTransaction, fees from the node)
  const supply = 1000000n * 10n ** 18n;
  const deployHash = await wallet.deployContract({ abi: Token.abi, bytecode: Token.bytecode, args: [supply] });
  const deployed = await pub.waitForTransactionReceipt({ hash: deployHash });
  eq(deployed.status, 'success', 'deploy receipt status');
  const token = deployed.contractAddress;
  check(token && viem.isAddress(token), 'contractAddress in the receipt', token);
  eq(viem.getContractAddress({ from: owner.address, nonce: 0n }).toLowerCase(), token.toLowerCase(), 'contractAddress is CREATE(sender, 0)');
  const code = await pub.getCode({ address: token });
  eq(code.length, Token.runtime.length, 'runtime code size');
  check(code.includes(owner.address.slice(2).toLowerCase()), 'runtime code holds the immutable owner');
  const c = viem.getContract({ address: token, abi: Token.abi, client: { public: pub, wallet } });
  eq(await c.read.name(), 'Parevm Test Token', 'name()');
  eq(await c.read.symbol(), 'PTT', 'symbol()');
  eq(await c.read.decimals(), 18, 'decimals()');
  eq(await c.read.balanceOf([owner.address]), supply, 'balanceOf(owner) after deploy');

  // estimate, then transfer with the estimate
  const amount = 1234n * 10n ** 18n;
  const est = await pub.estimateContractGas({ address: token, abi: Token.abi, functionName: 'transfer',
                                              args: [alice.address, amount], account: owner });
  check(est > 21000n && est < 100000n, 'estimateContractGas(transfer) in range', est);
  const txHash = await c.write.transfer([alice.address, amount], { gas: est });
  const rc = await pub.waitForTransactionReceipt({ hash: txHash });
  eq(rc.status, 'success', 'transfer with the estimated gas succeeds');
  check(rc.gasUsed <= est, 'gas used within the estimate', `${rc.gasUsed} > ${est}`);
  eq(rc.from, owner.address.toLowerCase(), 'receipt.from');
  eq(rc.to, token.toLowerCase(), 'receipt.to');
  check(rc.effectiveGasPrice > 0n, 'receipt.effectiveGasPrice', rc.effectiveGasPrice);
  const events = viem.parseEventLogs({ abi: Token.abi, logs: rc.logs, eventName: 'Transfer' });
  eq(events.length, 1, 'one Transfer log in the receipt');
  eq(events[0] && events[0].args, { from: owner.address, to: alice.address, value: amount }, 'Transfer log args');
  eq(await c.read.balanceOf([alice.address]), amount, 'balanceOf(alice) after transfer');
  eq(await c.read.balanceOf([owner.address]), supply - amount, 'balanceOf(owner) after transfer');

  // alice transfers on (her own nonce, her own key) and approves
  const aliceToken = viem.getContract({ address: token, abi: Token.abi, client: { public: pub, wallet: aliceWallet } });
  const h2 = await aliceToken.write.transfer([DEV_ADDRS[2], 34n]);
  eq((await pub.waitForTransactionReceipt({ hash: h2 })).status, 'success', 'alice transfer');
  const h3 = await aliceToken.write.approve([owner.address, 1000n]);
  eq((await pub.waitForTransactionReceipt({ hash: h3 })).status, 'success', 'alice approve');
  eq(await c.read.allowance([alice.address, owner.address]), 1000n, 'allowance');
  const h4 = await c.write.transferFrom([alice.address, DEV_ADDRS[3], 600n]);
  eq((await pub.waitForTransactionReceipt({ hash: h4 })).status, 'success', 'transferFrom');
  eq(await c.read.allowance([alice.address, owner.address]), 400n, 'allowance spent');

  // events: the whole history, then filtered by an indexed argument
  const transferEvent = viem.getAbiItem({ abi: Token.abi, name: 'Transfer' });
  const all = await pub.getLogs({ address: token, event: transferEvent, fromBlock: 0n, toBlock: 'latest' });
  eq(all.map((l) => l.args.value), [supply, amount, 34n, 600n], 'getLogs: every Transfer in order');
  const toAlice = await pub.getLogs({ address: token, event: transferEvent, args: { to: alice.address }, fromBlock: 0n });
  eq(toAlice.length, 1, 'getLogs filtered by the indexed `to`');
  eq(toAlice[0] && toAlice[0].transactionHash, txHash, 'getLogs: the filtered log names its transaction');
  const fromAlice = await c.getEvents.Transfer({ from: alice.address }, { fromBlock: 0n });
  eq(fromAlice.map((l) => l.args.value), [34n, 600n], 'getContractEvents filtered by `from`');
  const approvals = await pub.getContractEvents({ address: token, abi: Token.abi, eventName: 'Approval', fromBlock: 0n });
  eq(approvals.length, 1, 'getContractEvents(Approval)');
  const byBlock = await pub.getLogs({ address: token, blockHash: rc.blockHash });
  eq(byBlock.length, 1, 'getLogs by blockHash');
  const none = await pub.getLogs({ address: DEV_ADDRS[4], fromBlock: 0n });
  eq(none.length, 0, 'getLogs of an address without logs');

  // revert reasons: Error(string) from require, and a custom error
  try {
    await pub.simulateContract({ address: token, abi: Token.abi, functionName: 'transfer',
                                 args: [owner.address, supply * 2n], account: alice });
    check(false, 'simulateContract of an overdraft must revert');
  } catch (e) {
    const r = e.walk((x) => x instanceof viem.ContractFunctionRevertedError);
    check(r, 'overdraft reverts with ContractFunctionRevertedError', e.shortMessage);
    eq(r && r.reason, 'insufficient balance', 'revert reason decoded');
  }
  try {
    await pub.estimateContractGas({ address: token, abi: Token.abi, functionName: 'transfer',
                                    args: [owner.address, supply * 2n], account: alice });
    check(false, 'estimateContractGas of an overdraft must fail');
  } catch (e) {
    const r = e.walk((x) => x instanceof viem.ContractFunctionRevertedError);
    eq(r && r.reason, 'insufficient balance', 'estimateGas revert reason decoded');
  }
  try {
    await pub.simulateContract({ address: token, abi: Token.abi, functionName: 'mint', args: [alice.address, 1n], account: alice });
    check(false, 'mint by a non-owner must revert');
  } catch (e) {
    const r = e.walk((x) => x instanceof viem.ContractFunctionRevertedError);
    eq(r && r.data && r.data.errorName, 'NotOwner', 'custom error decoded');
    eq(r && r.data && r.data.args, [alice.address], 'custom error args');
  }
  // a reverting transaction mined anyway (explicit gas skips the estimate)
  const bad = await aliceToken.write.transfer([owner.address, supply * 2n], { gas: 100000n });
  const badRc = await pub.waitForTransactionReceipt({ hash: bad });
  eq(badRc.status, 'reverted', 'a mined revert has status reverted');
  eq(badRc.logs.length, 0, 'a mined revert has no logs');

  // native transfers, nonces, blocks and transactions
  const v = viem.parseEther('1.5');
  const before = await pub.getBalance({ address: DEV_ADDRS[4] });
  const nh = await wallet.sendTransaction({ to: DEV_ADDRS[4], value: v });
  const nrc = await pub.waitForTransactionReceipt({ hash: nh });
  eq(nrc.gasUsed, 21000n, 'native transfer gas');
  eq(await pub.getBalance({ address: DEV_ADDRS[4] }), before + v, 'native transfer balance');
  eq(await pub.getTransactionCount({ address: owner.address }), 4, 'owner nonce');
  const tx = await pub.getTransaction({ hash: nh });
  eq(tx.value, v, 'getTransaction value');
  eq(tx.type, 'eip1559', 'getTransaction type');
  eq(tx.blockHash, nrc.blockHash, 'getTransaction blockHash');
  const block = await pub.getBlock({ blockHash: nrc.blockHash, includeTransactions: true });
  eq(block.number, nrc.blockNumber, 'getBlock number');
  eq(block.transactions.length, 1, 'getBlock transactions');
  eq(block.transactions[0] && block.transactions[0].hash, nh, 'getBlock full transaction');
  const latest = await pub.getBlockNumber({ cacheTime: 0 });
  eq(latest, nrc.blockNumber, 'getBlockNumber is the last mined block');
  const fees = await pub.estimateFeesPerGas();
  check(fees.maxFeePerGas >= fees.maxPriorityFeePerGas, 'estimateFeesPerGas', fees);
  const hist = await pub.getFeeHistory({ blockCount: 4, rewardPercentiles: [25, 75] });
  eq(hist.baseFeePerGas.length, 5, 'feeHistory base fees (blocks + 1)');
  eq(hist.reward.length, 4, 'feeHistory rewards');
  const proofless = await pub.call({ to: token, data: viem.encodeFunctionData({ abi: Token.abi, functionName: 'totalSupply' }) });
  eq(viem.hexToBigInt(proofless.data), supply, 'eth_call totalSupply');
  // a legacy and an EIP-2930 transaction through viem's serializers
  const lh = await wallet.sendTransaction({ to: DEV_ADDRS[4], value: 1n, type: 'legacy' });
  eq((await pub.waitForTransactionReceipt({ hash: lh })).status, 'success', 'legacy transaction');
  const al = await pub.createAccessList({ account: owner, to: token,
                                          data: viem.encodeFunctionData({ abi: Token.abi, functionName: 'transfer', args: [alice.address, 1n] }) });
  check(al.accessList.length >= 1, 'createAccessList lists the token', al.accessList);
  const ah = await wallet.sendTransaction({ to: token, type: 'eip2930', accessList: al.accessList,
                                            data: viem.encodeFunctionData({ abi: Token.abi, functionName: 'transfer', args: [alice.address, 1n] }) });
  eq((await pub.waitForTransactionReceipt({ hash: ah })).status, 'success', 'EIP-2930 transaction with the node access list');

  // a JSON-RPC account (the node holds the key): EIP-712 and eth_signTransaction
  const rpcAddr = viem.getAddress(DEV_ADDRS[2]);
  const rpcWallet = viem.createWalletClient({ chain, transport, account: rpcAddr });
  const typed = {
    domain: { name: 'Ether Mail', version: '1', chainId: 31337, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
    types: {
      Person: [{ name: 'name', type: 'string' }, { name: 'wallet', type: 'address' }],
      Mail: [{ name: 'from', type: 'Person' }, { name: 'to', type: 'Person[]' }, { name: 'contents', type: 'string' },
             { name: 'amount', type: 'uint256' }, { name: 'delta', type: 'int32' }, { name: 'grid', type: 'int8[2][]' },
             { name: 'tag', type: 'bytes4' }, { name: 'blob', type: 'bytes' }],
    },
    primaryType: 'Mail',
    message: {
      from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
      to: [{ name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' }, { name: 'Eve', wallet: DEV_ADDRS[4] }],
      contents: 'Hello, Bob!', amount: 10n ** 30n, delta: -7, grid: [[-128, 127], [0, -1]], tag: '0xdeadbeef', blob: '0x0102',
    },
  };
  const tsig = await rpcWallet.signTypedData(typed);
  eq(await viem.verifyTypedData({ address: rpcAddr, ...typed, signature: tsig }), true, 'eth_signTypedData_v4: verifyTypedData');
  eq(await viem.recoverTypedDataAddress({ ...typed, signature: tsig }), rpcAddr, 'eth_signTypedData_v4: recovers the account');
  const raw = await rpcWallet.signTransaction({ to: DEV_ADDRS[4], value: 777n, data: '0x1234' });
  const parsed = viem.parseTransaction(raw);
  eq(parsed.to && parsed.to.toLowerCase(), DEV_ADDRS[4].toLowerCase(), 'eth_signTransaction: to');
  eq(parsed.value, 777n, 'eth_signTransaction: value');
  eq(parsed.data, '0x1234', 'eth_signTransaction: data');
  eq(parsed.chainId, 31337, 'eth_signTransaction: chain id');
  eq(parsed.nonce, await pub.getTransactionCount({ address: rpcAddr }), 'eth_signTransaction: the next nonce');
  eq(await viem.recoverTransactionAddress({ serializedTransaction: raw }), rpcAddr, 'eth_signTransaction: recovers the account');
  const sh = await pub.sendRawTransaction({ serializedTransaction: raw });
  eq(sh, viem.keccak256(raw), 'the signed transaction sent raw: its hash');
  const src = await pub.waitForTransactionReceipt({ hash: sh });
  eq(src.status, 'success', 'the signed transaction sent raw: mined');
  eq(src.from, rpcAddr.toLowerCase(), 'the signed transaction sent raw: from the account');

  // filters as dapps poll them: a contract event filter (eth_newFilter), a
  // block filter and a pending-transaction filter, polled with
  // eth_getFilterChanges; eth_getFilterLogs; eth_uninstallFilter
  const sinkA = '0x00000000000000000000000000000000000000a5', sinkB = '0x00000000000000000000000000000000000000b6';
  const evFilter = await pub.createContractEventFilter({ address: token, abi: Token.abi, eventName: 'Transfer',
                                                         args: { to: sinkA } });
  const blockFilter = await pub.createBlockFilter();
  const pendingFilter = await pub.createPendingTransactionFilter();
  const fa = await c.write.transfer([sinkA, 11n]);
  const faRc = await pub.waitForTransactionReceipt({ hash: fa });
  const fb = await c.write.transfer([sinkB, 12n]);
  const fbRc = await pub.waitForTransactionReceipt({ hash: fb });
  const changes = await pub.getFilterChanges({ filter: evFilter });
  eq(changes.map((l) => [l.eventName, l.args.from, l.args.to, l.args.value, l.transactionHash, l.blockHash]),
     [['Transfer', owner.address, viem.getAddress(sinkA), 11n, fa, faRc.blockHash]],
     'getFilterChanges: the matching Transfer only');
  eq((await pub.getFilterChanges({ filter: evFilter })).length, 0, 'getFilterChanges again: nothing new');
  eq(await pub.getFilterChanges({ filter: blockFilter }), [faRc.blockHash, fbRc.blockHash], 'block filter: the new blocks');
  eq(await pub.getFilterChanges({ filter: pendingFilter }), [fa, fb], 'pending filter: the sent transactions');
  const historic = await pub.createContractEventFilter({ address: token, abi: Token.abi, eventName: 'Transfer', fromBlock: 0n });
  const filterLogs = await pub.getFilterLogs({ filter: historic });
  const allNow = await pub.getLogs({ address: token, event: transferEvent, fromBlock: 0n });
  eq(filterLogs.map((l) => [l.args.value, l.transactionHash]), allNow.map((l) => [l.args.value, l.transactionHash]),
     'getFilterLogs: what getLogs gives over the range');
  eq(filterLogs.slice(-2).map((l) => l.args.value), [11n, 12n], 'getFilterLogs ends with the new transfers');
  for (const f of [evFilter, blockFilter, pendingFilter, historic])
    eq(await pub.uninstallFilter({ filter: f }), true, `uninstallFilter(${f.type})`);
  eq(await pub.uninstallFilter({ filter: blockFilter }), false, 'uninstallFilter of a removed filter');
  try {
    await pub.getFilterChanges({ filter: blockFilter });
    check(false, 'getFilterChanges of a removed filter must fail');
  } catch (e) {
    check(/filter not found/.test(e.details || e.message), 'getFilterChanges of a removed filter: filter not found', e.shortMessage);
  }

  // watchContractEvent in poll mode: through a filter (the requests are recorded)
  const methods = new Set();
  let inflight = 0;
  const recorded = viem.http(node.url, {
    onFetchRequest: async (r) => {
      inflight++;
      [].concat(await r.clone().json()).forEach((p) => methods.add(p.method));
    },
    onFetchResponse: () => { inflight--; },
  });
  const watcher = viem.createPublicClient({ chain, transport: recorded, pollingInterval: 50 });
  const watched = [];
  const unwatch = watcher.watchContractEvent({ address: token, abi: Token.abi, eventName: 'Transfer', poll: true,
                                               args: { to: sinkB }, onLogs: (logs) => watched.push(...logs),
                                               onError: (e) => check(false, 'watchContractEvent error', e.shortMessage) });
  // the watcher installs its filter at its first poll: send until heard
  const watchSent = [];
  for (let i = 0; i < 40 && watched.length === 0; i++) {
    const h = await c.write.transfer([sinkB, 100n + BigInt(i)]);
    watchSent.push(h);
    await pub.waitForTransactionReceipt({ hash: h });
    await new Promise((r) => setTimeout(r, 150));
  }
  unwatch();
  const w = watched[0];
  check(w && watchSent.includes(w.transactionHash), 'watchContractEvent(poll) hears a transfer sent here', w);
  eq(w && w.args.value, 100n + BigInt(watchSent.indexOf(w && w.transactionHash)), 'the watched event args');
  check(new Set(watched.map((l) => l.transactionHash)).size === watched.length, 'each watched event once');
  check(methods.has('eth_newFilter') && methods.has('eth_getFilterChanges'), 'watchContractEvent polled a filter', [...methods]);
  // unwatching uninstalls the filter in the background: let it end (200 ms
  // without a request in flight) before the node stops
  for (let quiet = 0, i = 0; quiet < 10 && i < 250; i++) {
    await new Promise((r) => setTimeout(r, 20));
    quiet = inflight > 0 ? 0 : quiet + 1;
  }
  check(methods.has('eth_uninstallFilter'), 'unwatch uninstalls the filter');

  // EIP-7966: sendTransactionSync signs locally and answers with the receipt
  // (eth_sendRawTransactionSync); a transaction found by sender and nonce
  const syncRc = await wallet.sendTransactionSync({ to: sinkA, value: 5n });
  eq(syncRc.status, 'success', 'sendTransactionSync: the receipt');
  eq((await pub.getTransaction({ hash: syncRc.transactionHash })).blockHash, syncRc.blockHash, 'sendTransactionSync: mined');
  const bySender = await pub.getTransaction({ sender: owner.address, nonce: 0 });
  eq(bySender.hash, deployHash, 'getTransaction({sender, nonce: 0}): the deployment (eth_getTransactionBySenderAndNonce)');
  const lastNonce = await pub.getTransactionCount({ address: owner.address }) - 1;
  eq((await pub.getTransaction({ sender: owner.address, nonce: lastNonce })).hash, syncRc.transactionHash,
     'getTransaction({sender, nonce}): the latest');

  // viem's test actions in anvil mode, with the parameters viem sends
  const testClient = viem.createTestClient({ chain, mode: 'anvil', transport });
  eq(await testClient.getAutomine(), true, 'testClient.getAutomine');
  const cb = '0x00000000000000000000000000000000000000cb';
  await testClient.setCoinbase({ address: cb });
  await testClient.setBlockGasLimit({ gasLimit: 33000000n });
  await testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: 2000000000n });
  await testClient.setBlockTimestampInterval({ interval: 7 });
  await testClient.setLoggingEnabled(true);
  const base = await pub.getBlock();
  await testClient.mine({ blocks: 2 });
  const [m1, m2] = [await pub.getBlock({ blockNumber: base.number + 1n }), await pub.getBlock({ blockNumber: base.number + 2n })];
  eq([m1.miner, m1.gasLimit, m1.baseFeePerGas], [cb, 33000000n, 2000000000n], 'setCoinbase, setBlockGasLimit, setNextBlockBaseFeePerGas');
  eq([m1.timestamp - base.timestamp, m2.timestamp - m1.timestamp], [7n, 7n], 'setBlockTimestampInterval');
  await testClient.removeBlockTimestampInterval();
  const snap = await testClient.snapshot();
  await testClient.mine({ blocks: 3 });
  await testClient.revert({ id: snap });
  eq(await pub.getBlockNumber({ cacheTime: 0 }), m2.number, 'snapshot and revert');
  await testClient.setIntervalMining({ interval: 0 });
  eq(await testClient.getAutomine(), false, 'setIntervalMining(0): no automine');
  await testClient.setAutomine(true);
  // sendUnsignedTransaction from an address without a key (funded with
  // setBalance); setMinGasPrice refused as anvil refuses it with EIP-1559
  const keyless = '0x00000000000000000000000000000000000000ee', sinkU = '0x00000000000000000000000000000000000000ef';
  await testClient.setBalance({ address: keyless, value: 10n ** 18n });
  const uHash = await testClient.sendUnsignedTransaction({ from: keyless, to: sinkU, value: 9n });
  const uRc = await pub.waitForTransactionReceipt({ hash: uHash });
  eq([uRc.status, uRc.from, await pub.getBalance({ address: sinkU })], ['success', keyless, 9n],
     'testClient.sendUnsignedTransaction: mined from the keyless address');
  const minGas = await testClient.setMinGasPrice({ gasPrice: 1n }).then(() => null, (e) => e);
  check(minGas && /not supported when EIP-1559 is active/.test(minGas.details || minGas.message),
        'testClient.setMinGasPrice: refused on an EIP-1559 chain, as anvil', minGas && minGas.message);
  // dumpState / loadState: the state survives a reset
  const tokensBefore = await c.read.balanceOf([sinkA]);
  const nonceBefore = await pub.getTransactionCount({ address: owner.address, blockTag: 'latest' });
  const dumped = await testClient.dumpState();
  await testClient.reset();
  eq(await pub.getTransactionCount({ address: owner.address, blockTag: 'latest' }), 0, 'reset: the owner\'s nonce is 0');
  await testClient.loadState({ state: dumped });
  check(nonceBefore > 5, 'the owner sent transactions before the dump', nonceBefore);
  eq(await pub.getTransactionCount({ address: owner.address, blockTag: 'latest' }), nonceBefore, 'loadState: the owner\'s nonce is back');
  eq(await pub.getCode({ address: token }), code, 'loadState: the token\'s code is back');
  eq([tokensBefore > 0n, await c.read.balanceOf([sinkA])], [true, tokensBefore], 'loadState: the token\'s storage is back');
  await testClient.reset();
  eq(await pub.getBlockNumber({ cacheTime: 0 }), 0n, 'testClient.reset(): back to genesis');
  await stopParevm(node);
});
