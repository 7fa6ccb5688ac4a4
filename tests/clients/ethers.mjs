// ethers v6, unmodified, against `parevm node --dev`: deploys the ERC-20 of
// Token.sol (solc-js) with a ContractFactory, transfers, reads balances and
// events (queryFilter, getLogs), waits for receipts, estimates gas, decodes
// revert reasons and a custom error, uses the node's own accounts
// (JsonRpcSigner: eth_accounts, eth_sendTransaction, personal_sign,
// eth_signTypedData_v4), and listens to events and pending transactions
// through filter ids.
import { args, check, compile, DEV_ADDRS, DEV_KEYS, eq, run, startParevm, stopParevm, toolRequire } from './lib.mjs';

const opt = args();
const ethers = toolRequire(opt.tools)('ethers');

run(async () => {
  const { Token } = compile(opt.tools);
  const node = await startParevm(opt.parevm);
  // cacheTimeout -1: ethers otherwise reuses a nonce read within 250 ms, older
  // than a transaction an automining node has mined since
  const provider = new ethers.JsonRpcProvider(node.url, 31337, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
  const owner = new ethers.Wallet(DEV_KEYS[0], provider);
  const bob = new ethers.Wallet(DEV_KEYS[2], provider);

  eq((await provider.getNetwork()).chainId, 31337n, 'getNetwork chainId');
  eq(await provider.getBalance(owner.address), ethers.parseEther('10000'), 'dev balance');

  // deploy with a ContractFactory; wait for the receipt
  const supply = ethers.parseUnits('500000', 18);
  const factory = new ethers.ContractFactory(Token.abi, Token.bytecode, owner);
  const token = await factory.deploy(supply);
  const deployRc = await token.deploymentTransaction().wait();
  eq(deployRc.status, 1, 'deploy receipt status');
  const addr = await token.getAddress();
  eq(deployRc.contractAddress, addr, 'receipt contractAddress');
  eq(addr, ethers.getCreateAddress({ from: owner.address, nonce: 0 }), 'contract address is CREATE(sender, 0)');
  eq(await token.name(), 'Parevm Test Token', 'name()');
  eq(await token.decimals(), 18n, 'decimals()');
  eq(await token.totalSupply(), supply, 'totalSupply()');

  // estimate then transfer
  const amount = ethers.parseUnits('250.5', 18);
  const est = await token.transfer.estimateGas(bob.address, amount);
  check(est > 21000n && est < 100000n, 'estimateGas(transfer) in range', est);
  const tx = await token.transfer(bob.address, amount, { gasLimit: est });
  const rc = await tx.wait();
  eq(rc.status, 1, 'transfer with the estimated gas succeeds');
  check(rc.gasUsed <= est, 'gas used within the estimate', `${rc.gasUsed} > ${est}`);
  eq(rc.hash, tx.hash, 'receipt hash');
  eq(rc.logs.length, 1, 'one log');
  const parsed = token.interface.parseLog(rc.logs[0]);
  eq(parsed && parsed.name, 'Transfer', 'log parses as Transfer');
  eq(parsed && [parsed.args.from, parsed.args.to, parsed.args.value], [owner.address, bob.address, amount], 'Transfer args');
  eq(await token.balanceOf(bob.address), amount, 'balanceOf(bob)');
  eq(await token.balanceOf(owner.address), supply - amount, 'balanceOf(owner)');

  // bob's own transactions: transfer and approve, then owner spends the allowance
  const tb = token.connect(bob);
  eq((await (await tb.transfer(DEV_ADDRS[3], 7n)).wait()).status, 1, 'bob transfer');
  eq((await (await tb.approve(owner.address, 100n)).wait()).status, 1, 'bob approve');
  eq((await (await token.transferFrom(bob.address, DEV_ADDRS[4], 60n)).wait()).status, 1, 'transferFrom');
  eq(await token.allowance(bob.address, owner.address), 40n, 'allowance spent');

  // events
  const all = await token.queryFilter(token.filters.Transfer(), 0, 'latest');
  eq(all.map((e) => e.args.value), [supply, amount, 7n, 60n], 'queryFilter: every Transfer');
  const fromBob = await token.queryFilter(token.filters.Transfer(bob.address), 0);
  eq(fromBob.map((e) => e.args.to), [DEV_ADDRS[3], DEV_ADDRS[4]].map(ethers.getAddress), 'queryFilter by indexed from');
  const toBobOrOwner = await provider.getLogs({
    address: addr, fromBlock: 0,
    topics: [ethers.id('Transfer(address,address,uint256)'), null,
             [ethers.zeroPadValue(bob.address, 32), ethers.zeroPadValue(owner.address, 32)]],
  });
  eq(toBobOrOwner.length, 2, 'getLogs with an OR-set of topics');
  const approvals = await token.queryFilter('Approval', 0);
  eq(approvals.length, 1, 'queryFilter(Approval)');
  eq(approvals[0] && approvals[0].args.value, 100n, 'Approval value');
  const inBlock = await provider.getLogs({ blockHash: rc.blockHash });
  eq(inBlock.length, 1, 'getLogs by blockHash');

  // revert reasons
  try {
    await tb.transfer.staticCall(owner.address, supply);
    check(false, 'an overdraft must revert');
  } catch (e) {
    eq(e.code, 'CALL_EXCEPTION', 'overdraft: CALL_EXCEPTION');
    eq(e.reason, 'insufficient balance', 'overdraft: revert reason');
  }
  try {
    await tb.transfer.estimateGas(owner.address, supply);
    check(false, 'estimateGas of an overdraft must fail');
  } catch (e) {
    eq(e.reason, 'insufficient balance', 'estimateGas: revert reason');
  }
  try {
    await tb.mint.staticCall(bob.address, 1n);
    check(false, 'mint by a non-owner must revert');
  } catch (e) {
    eq(e.revert && e.revert.name, 'NotOwner', 'custom error name');
    eq(e.revert && e.revert.args && e.revert.args[0], bob.address, 'custom error argument');
  }
  try {
    await tb.mint(bob.address, 1n);
    check(false, 'sending a mint by a non-owner must fail');
  } catch (e) {
    // the estimate fails before sending; its revert data decodes with the ABI
    const parsed = e.data && token.interface.parseError(e.data);
    eq(parsed && parsed.name, 'NotOwner', 'custom error from eth_estimateGas');
  }
  // a reverted transaction mined anyway: wait() throws with the receipt
  try {
    await (await tb.transfer(owner.address, supply, { gasLimit: 100000 })).wait();
    check(false, 'wait() on a mined revert must throw');
  } catch (e) {
    eq(e.receipt && e.receipt.status, 0, 'mined revert: receipt status 0');
  }

  // the node's own accounts (JsonRpcSigner)
  const signer = await provider.getSigner(DEV_ADDRS[1]);
  const sent = await signer.sendTransaction({ to: DEV_ADDRS[4], value: ethers.parseEther('2') });
  const src = await sent.wait();
  eq(src.status, 1, 'eth_sendTransaction from a node account');
  eq(src.from, ethers.getAddress(DEV_ADDRS[1]), 'eth_sendTransaction sender');
  const msg = 'hello parevm';
  const sig = await signer.signMessage(msg);
  eq(ethers.verifyMessage(msg, sig), ethers.getAddress(DEV_ADDRS[1]), 'personal_sign recovers the account');
  const domain = { name: 'Ether Mail', version: '1', chainId: 31337, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' };
  const types = {
    Person: [{ name: 'name', type: 'string' }, { name: 'wallet', type: 'address' }],
    Mail: [{ name: 'from', type: 'Person' }, { name: 'to', type: 'Person[2]' }, { name: 'contents', type: 'string' },
           { name: 'amount', type: 'uint128' }, { name: 'delta', type: 'int64' }, { name: 'tags', type: 'bytes32[]' }],
  };
  const mail = {
    from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
    to: [{ name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' }, { name: 'Eve', wallet: DEV_ADDRS[4] }],
    contents: 'Hello, Bob!', amount: 2n ** 127n, delta: -(2n ** 63n), tags: [ethers.id('a'), ethers.ZeroHash],
  };
  const tsig = await signer.signTypedData(domain, types, mail);
  eq(ethers.verifyTypedData(domain, types, mail, tsig), ethers.getAddress(DEV_ADDRS[1]), 'eth_signTypedData_v4 recovers the account');
  const accounts = await provider.send('eth_accounts', []);
  eq(accounts.length, 10, 'eth_accounts');

  // blocks, transactions, fees
  const b = await provider.getBlock(src.blockNumber, true);
  eq(b.hash, src.blockHash, 'getBlock hash');
  eq(b.prefetchedTransactions.length, 1, 'getBlock with transactions');
  eq(b.prefetchedTransactions[0] && b.prefetchedTransactions[0].hash, sent.hash, 'the block holds the transaction');
  const t = await provider.getTransaction(sent.hash);
  eq(t.value, ethers.parseEther('2'), 'getTransaction value');
  eq(await provider.getBlockNumber(), src.blockNumber, 'getBlockNumber');
  eq(await provider.getTransactionCount(bob.address), 3, 'bob nonce (transfer, approve, the mined revert)');
  const fd = await provider.getFeeData();
  check(fd.maxFeePerGas > 0n && fd.gasPrice > 0n, 'getFeeData', fd);
  const code = await provider.getCode(addr);
  eq(ethers.dataLength(code), ethers.dataLength(Token.runtime), 'getCode size');
  const slot0 = await provider.getStorage(addr, 0);
  eq(BigInt(slot0), supply, 'getStorage(totalSupply slot)');
  // live events: on a JsonRpcProvider ethers' default subscribers install
  // filters (eth_newFilter for contract.on, eth_newPendingTransactionFilter
  // for 'pending') and poll them with eth_getFilterChanges at each new block
  const methods = new Set();
  let inflight = 0;
  provider.on('debug', (d) => {
    if (d.action === 'sendRpcPayload') [].concat(d.payload).forEach((p) => methods.add(p.method));
    if (d.action === 'sendRpcPayload') inflight++;
    if (d.action === 'receiveRpcResult' || d.action === 'receiveRpcError') inflight--;
  });
  const heard = [], pending = new Set(), sentHashes = [];
  await token.on('Transfer', (from, to, value, ev) => heard.push({ from, to, value, hash: ev.log.transactionHash }));
  await provider.on('pending', (h) => pending.add(h));
  // the subscribers install their filters in the background: send until heard
  const sink = '0x00000000000000000000000000000000000000a5';
  for (let i = 0; i < 40 && !(heard.length && sentHashes.some((h) => pending.has(h))); i++) {
    const t = await token.transfer(sink, 1000n + BigInt(i));
    sentHashes.push(t.hash);
    await t.wait();
    await new Promise((r) => setTimeout(r, 200));
  }
  const first = heard[0];
  check(first, "token.on('Transfer') hears a transfer");
  const k = first ? sentHashes.indexOf(first.hash) : -1;
  check(k >= 0, 'the event names a transfer sent here', first && first.hash);
  eq(first && [first.from, first.to, first.value], [owner.address, ethers.getAddress(sink), 1000n + BigInt(k)], 'the event args');
  check(heard.every((e) => sentHashes.includes(e.hash)) && new Set(heard.map((e) => e.hash)).size === heard.length,
        'each event once, all of them sent here', heard.length);
  check(sentHashes.some((h) => pending.has(h)), "provider.on('pending') hears a transaction sent here");
  for (const m of ['eth_newFilter', 'eth_newPendingTransactionFilter', 'eth_getFilterChanges'])
    check(methods.has(m), `ethers used ${m}`, [...methods]);
  // unsubscribing uninstalls the filters in the background: let the requests
  // in flight end before the node stops
  await token.removeAllListeners();
  await provider.removeAllListeners('pending');
  // (they are batched after a short stall: wait for 200 ms without any)
  for (let quiet = 0, i = 0; quiet < 10 && i < 250; i++) {
    await new Promise((r) => setTimeout(r, 20));
    quiet = inflight > 0 ? 0 : quiet + 1;
  }
  check(methods.has('eth_uninstallFilter'), 'unsubscribing uninstalls the filters');
  await provider.removeAllListeners();
  await stopParevm(node);
});
