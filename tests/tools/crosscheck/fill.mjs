// Writes the state tests of tests/statetests (GeneralStateTests JSON) from
// the cases below. The expected post-state roots and logs hashes come from
// ethereumjs (ejs_run.mjs), not from parevm; each case also states what the
// EIP-7702 / EIP-7623 rules say the post-state holds (storage, code, nonce,
// validity), worked out by hand, and the fill stops if ethereumjs disagrees.
// parevm must then reproduce the roots (CTest statetest/p7702).
//
//   see tests/statetests/README.md for the packages; then node fill.mjs
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCase } from './ejs_run.mjs'
import { keccak_256 } from '@noble/hashes/sha3.js'
import {
  bytesToHex, hexToBytes, privateToAddress, eoaCode7702SignAuthorization, createAddressFromString,
  setLengthLeft, bigIntToBytes, bytesToBigInt, generateAddress,
} from '@ethereumjs/util'

const OUT = process.env.OUT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../statetests')
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

// ---- a small assembler -----------------------------------------------------

const OPS = {
  STOP: 0x00, ADD: 0x01, SUB: 0x03, EQ: 0x14, ISZERO: 0x15, ADDRESS: 0x30, BALANCE: 0x31, CALLER: 0x33,
  CALLVALUE: 0x34, CALLDATALOAD: 0x35, CALLDATASIZE: 0x36, CODESIZE: 0x38, EXTCODESIZE: 0x3b,
  EXTCODECOPY: 0x3c, RETURNDATASIZE: 0x3d, EXTCODEHASH: 0x3f, POP: 0x50, MLOAD: 0x51, MSTORE: 0x52,
  SLOAD: 0x54, SSTORE: 0x55, GAS: 0x5a, CLZ: 0x1e, CALL: 0xf1, CALLCODE: 0xf2, DELEGATECALL: 0xf4,
  STATICCALL: 0xfa, RETURN: 0xf3, REVERT: 0xfd, INVALID: 0xfe, SWAP1: 0x90, CREATE: 0xf0,
  SELFDESTRUCT: 0xff,
}
const push = (v) => {
  let b = typeof v === 'string' ? hexToBytes(v) : bigIntToBytes(BigInt(v))
  if (typeof v !== 'string') while (b.length > 1 && b[0] === 0) b = b.slice(1)
  if (b.length === 0) b = new Uint8Array([0])
  return [0x5f + b.length, ...b]
}
const asm = (...parts) => {
  const out = []
  const walk = (p) => {
    if (Array.isArray(p)) p.forEach(walk)
    else if (typeof p === 'string') {
      if (!(p in OPS)) throw new Error(`unknown op ${p}`)
      out.push(OPS[p])
    } else out.push(p)
  }
  walk(parts)
  return bytesToHex(new Uint8Array(out))
}
// value code, then SSTORE at slot
const sstore = (slot, ...value) => [value, push(slot), 'SSTORE']
// CALL-family: pushes outLen, outOff, inLen, inOff, (value), address, gas
const call = (op, addr, { gas = ['GAS'], value = 0, inOff = 0, inLen = 0, outOff = 0, outLen = 0 } = {}) => [
  push(outLen), push(outOff), push(inLen), push(inOff),
  op === 'CALL' || op === 'CALLCODE' ? push(value) : [], push(addr), gas, op,
]
const designator = (a) => '0xef0100' + a.slice(2)
const keccak = (hex) => bytesToHex(keccak_256(hexToBytes(hex)))
const word = (v) => '0x' + BigInt(v).toString(16).padStart(64, '0')

// ---- accounts --------------------------------------------------------------

const SENDER_KEY = '0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8'
const SENDER = bytesToHex(privateToAddress(hexToBytes(SENDER_KEY)))
const keyN = (n) => '0x' + n.toString(16).padStart(2, '0').repeat(32)
const addrOfKey = (k) => bytesToHex(privateToAddress(hexToBytes(k)))
// authorities A1..A9: keys 0xa1a1.., 0xa2a2..
const AK = {}, A = {}
for (let i = 1; i <= 9; i++) { AK[i] = keyN(0xa0 + i); A[i] = addrOfKey(AK[i]) }
const fixed = (n) => '0x' + n.toString(16).padStart(40, '0')
const D_COUNT = fixed(0xd001), D_INFO = fixed(0xd002), D_REVERT = fixed(0xd003), D_STOP = fixed(0xd004)
const ENTRY = fixed(0xe001), CHAIN_A = fixed(0xc00a), CHAIN_B = fixed(0xc00b), CHAIN_C = fixed(0xc00c)
const COINBASE = '0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba'
const ZERO = fixed(0)

const CODE = {
  // sstore(0, sload(0) + 1)
  [D_COUNT]: asm(sstore(0, push(1), push(0), 'SLOAD', 'ADD'), 'STOP'),
  // what a delegated account sees of itself and of its caller
  [D_INFO]: asm(sstore(1, 'CALLER'), sstore(2, 'ADDRESS'), sstore(3, 'CODESIZE'), sstore(4, 'ADDRESS', 'EXTCODESIZE'),
    sstore(5, 'CALLVALUE'), sstore(6, 'ADDRESS', 'EXTCODEHASH'), 'STOP'),
  [D_REVERT]: asm(sstore(0, push(1)), push(0), push(0), 'REVERT'),
  [D_STOP]: asm('STOP'),
}
const contract = (code, extra = {}) => ({ balance: '0x00', nonce: '0x01', code, storage: {}, ...extra })
const eoa = (balance = '0x0de0b6b3a7640000', extra = {}) => ({ balance, nonce: '0x00', code: '0x', storage: {}, ...extra })
const delegated = (to, nonce = '0x01', extra = {}) => ({ balance: '0x00', nonce, code: designator(to), storage: {}, ...extra })

const basePre = () => ({
  [SENDER]: eoa('0x3635c9adc5dea00000'),
  [D_COUNT]: contract(CODE[D_COUNT]),
  [D_INFO]: contract(CODE[D_INFO]),
  [D_REVERT]: contract(CODE[D_REVERT]),
  [D_STOP]: contract(CODE[D_STOP]),
})

const ENV = {
  currentCoinbase: COINBASE, currentGasLimit: '0x055d4a80', currentNumber: '0x01', currentTimestamp: '0x03e8',
  currentRandom: word(0), currentDifficulty: '0x00', currentBaseFee: '0x07', currentExcessBlobGas: '0x00',
}

// An authorization tuple signed by key; fields may be overridden after
// signing (to break the signature rules on purpose).
function auth(key, address, nonce, { chainId = 1n, after = () => ({}) } = {}) {
  const [c, a, n, y, r, s] = eoaCode7702SignAuthorization(
    { chainId: '0x' + chainId.toString(16), address, nonce: '0x' + BigInt(nonce).toString(16) }, hexToBytes(key))
  const hex = (b) => '0x' + bytesToBigInt(b).toString(16)
  const t = { chainId: hex(c), address: bytesToHex(a), nonce: hex(n), yParity: hex(y), r: hex(r), s: hex(s) }
  Object.assign(t, after(t) ?? {})
  t.v = t.yParity
  t.signer = addrOfKey(key)
  return t
}
const highS = (t) => ({ s: '0x' + (N - BigInt(t.s)).toString(16), yParity: t.yParity === '0x0' ? '0x1' : '0x0' })

function tx({ to, data = ['0x'], gas = ['0x07a120'], value = ['0x00'], auths, accessList, nonce = '0x00' }) {
  const t = {
    nonce, maxPriorityFeePerGas: '0x00', maxFeePerGas: '0x07', gasLimit: gas, to, value, data,
    sender: SENDER, secretKey: SENDER_KEY,
  }
  t.accessLists = data.map(() => accessList ?? [])
  if (auths) t.authorizationList = auths
  return t
}

// ---- the cases -------------------------------------------------------------
// expect: {address: {storage, code, nonce}} checked in every fork where the
// transaction is valid; valid: {fork: false} for rejected transactions.

const cases = []

// A delegates to B, which delegates to C: calling A runs B's code, the
// designator bytes themselves (0xef: an invalid instruction), never C's;
// calling B runs C's code. EXTCODE* of A see A's designator.
cases.push({
  name: 'delegation_chain_one_hop', forks: ['Prague', 'Osaka'],
  pre: {
    ...basePre(),
    [CHAIN_A]: delegated(CHAIN_B), [CHAIN_B]: delegated(CHAIN_C), [CHAIN_C]: contract(CODE[D_COUNT]),
    [ENTRY]: contract(asm(
      sstore(0, push(0x10), call('CALL', CHAIN_A, { gas: push(100000) }), 'ADD'),
      sstore(1, push(0x10), call('CALL', CHAIN_B, { gas: push(100000) }), 'ADD'),
      sstore(2, push(CHAIN_A), 'EXTCODESIZE'),
      sstore(3, push(CHAIN_A), 'EXTCODEHASH'),
      'STOP')),
  },
  tx: tx({ to: ENTRY, gas: ['0x0f4240'] }),
  expect: {
    [ENTRY]: { storage: { 0: 0x10, 1: 0x11, 2: 23, 3: keccak(designator(CHAIN_B)) } },
    [CHAIN_B]: { storage: { 0: 1 } },
    [CHAIN_A]: { storage: {} },
  },
})

// The same chain at the top level: the transaction runs B's designator as
// code and fails, consuming its gas; nothing is stored.
cases.push({
  name: 'delegation_chain_top_level', forks: ['Prague', 'Osaka'],
  pre: { ...basePre(), [CHAIN_A]: delegated(CHAIN_B), [CHAIN_B]: delegated(CHAIN_C), [CHAIN_C]: contract(CODE[D_COUNT]) },
  tx: tx({ to: CHAIN_A, gas: ['0x0186a0'] }),
  expect: { [CHAIN_A]: { storage: {} }, [CHAIN_B]: { storage: {} }, [CHAIN_C]: { storage: {} } },
})

// A designator in the pre-state means nothing before Prague: in Cancun the
// call runs 0xef... and fails, a sender holding one is not an EOA, and a
// type-4 transaction does not exist.
cases.push({
  name: 'designator_before_prague', forks: ['Cancun', 'Prague'],
  pre: { ...basePre(), [A[1]]: delegated(D_COUNT) },
  tx: tx({ to: A[1], gas: ['0x0186a0'] }),
  expectByFork: { Cancun: { [A[1]]: { storage: {} } }, Prague: { [A[1]]: { storage: { 0: 1 } } } },
})
cases.push({
  name: 'delegated_sender', forks: ['Cancun', 'Prague', 'Osaka'],
  pre: { ...basePre(), [SENDER]: { ...eoa('0x3635c9adc5dea00000'), code: designator(D_COUNT), nonce: '0x05' } },
  tx: tx({ to: D_INFO, nonce: '0x05' }),
  valid: { Cancun: false },
  expect: { [D_INFO]: { storage: { 1: SENDER, 2: D_INFO, 3: (CODE[D_INFO].length - 2) / 2, 4: (CODE[D_INFO].length - 2) / 2, 6: keccak(CODE[D_INFO]) } }, [SENDER]: { nonce: 6 } },
})
cases.push({
  name: 'set_code_tx_before_prague', forks: ['Cancun', 'Prague'],
  pre: { ...basePre(), [A[1]]: eoa() },
  tx: tx({ to: A[1], auths: [auth(AK[1], D_COUNT, 0)] }),
  valid: { Cancun: false },
  expectByFork: { Prague: { [A[1]]: { code: designator(D_COUNT), nonce: 1, storage: { 0: 1 } } } },
})

// The delegations survive a reverting or failing call: A1's code runs and
// reverts (d0), or runs out of gas (g1); A1 is delegated and its nonce bumped
// either way, its storage untouched.
cases.push({
  name: 'authorization_in_reverting_tx', forks: ['Prague', 'Osaka'],
  pre: { ...basePre(), [A[1]]: eoa() },
  tx: tx({ to: A[1], gas: ['0x0186a0', '0xb3b0'], auths: [auth(AK[1], D_REVERT, 0)] }),
  gasIndexes: [0, 1],
  expect: { [A[1]]: { code: designator(D_REVERT), nonce: 1, storage: {} } },
})

// Valid and invalid tuples in one list: only 0 (A1), 6 (A1 again, nonce 1:
// re-delegated within the transaction), 7 (chain id 0) and 9 (an authority
// that does not exist yet) apply; 1 (other chain), 2 (stale nonce), 3 (high
// s), 4 (y parity 2), 5 (a contract's key: code that is not a designator) and
// 8 (nonce 2^64-1) are skipped. The call lands on A7, delegated to D_INFO.
cases.push({
  name: 'mixed_valid_and_invalid_tuples', forks: ['Prague', 'Osaka'],
  pre: {
    ...basePre(), [A[1]]: eoa(), [A[2]]: eoa(), [A[3]]: eoa(), [A[4]]: eoa(), [A[5]]: eoa(),
    [A[6]]: { ...contract(CODE[D_STOP]), balance: '0x01' }, [A[7]]: eoa(),
    [A[8]]: eoa('0x01', { nonce: '0xffffffffffffffff' }),
  },
  tx: tx({
    to: A[7], gas: ['0x07a120'], auths: [
      auth(AK[1], D_COUNT, 0),
      auth(AK[2], D_COUNT, 0, { chainId: 2n }),
      auth(AK[3], D_COUNT, 1),
      auth(AK[4], D_COUNT, 0, { after: highS }),
      auth(AK[5], D_COUNT, 0, { after: () => ({ yParity: '0x2' }) }),
      auth(AK[6], D_COUNT, 1),
      auth(AK[1], D_INFO, 1),
      auth(AK[7], D_INFO, 0, { chainId: 0n }),
      auth(AK[8], D_COUNT, '0xffffffffffffffff'),
      auth(AK[9], D_COUNT, 0),
    ],
  }),
  expect: {
    [A[1]]: { code: designator(D_INFO), nonce: 2 },
    [A[2]]: { code: '0x', nonce: 0 }, [A[3]]: { code: '0x', nonce: 0 }, [A[4]]: { code: '0x', nonce: 0 },
    [A[5]]: { code: '0x', nonce: 0 }, [A[6]]: { code: CODE[D_STOP], nonce: 1 },
    [A[7]]: { code: designator(D_INFO), nonce: 1, storage: { 1: SENDER, 2: A[7], 3: (CODE[D_INFO].length - 2) / 2, 4: 23, 6: keccak(designator(D_INFO)) } },
    [A[8]]: { code: '0x', nonce: '0xffffffffffffffff' },
    [A[9]]: { code: designator(D_COUNT), nonce: 1 },
  },
})

// The sender authorizes itself: the tuple's nonce must be the sender's nonce
// after the transaction's own increment (d0: nonce 1 applies; the other
// case's nonce 0 is stale).
cases.push({
  name: 'self_sponsored_authorization', forks: ['Prague', 'Osaka'],
  pre: basePre(),
  tx: tx({ to: SENDER, auths: [auth(SENDER_KEY, D_COUNT, 1)] }),
  expect: { [SENDER]: { code: designator(D_COUNT), nonce: 2, storage: { 0: 1 } } },
})
cases.push({
  name: 'self_sponsored_stale_nonce', forks: ['Prague', 'Osaka'],
  pre: basePre(),
  tx: tx({ to: SENDER, auths: [auth(SENDER_KEY, D_COUNT, 0)] }),
  expect: { [SENDER]: { code: '0x', nonce: 1, storage: {} } },
})

// Re-delegation and clearing: A1 (delegated to D_COUNT) moves to D_INFO; A2
// (delegated, nonce 5) clears with the zero address: no code, nonce 6. ENTRY
// then calls both and looks at A2.
cases.push({
  name: 'redelegate_and_clear', forks: ['Prague', 'Osaka'],
  pre: {
    ...basePre(), [A[1]]: delegated(D_COUNT, '0x01'), [A[2]]: delegated(D_COUNT, '0x05', { balance: '0x01' }),
    [ENTRY]: contract(asm(
      sstore(0, call('CALL', A[1])),
      sstore(1, call('CALL', A[2])),
      sstore(2, push(A[2]), 'EXTCODESIZE'),
      sstore(3, push(A[2]), 'EXTCODEHASH'),
      'STOP')),
  },
  tx: tx({ to: ENTRY, auths: [auth(AK[1], D_INFO, 1), auth(AK[2], ZERO, 5)] }),
  expect: {
    [A[1]]: { code: designator(D_INFO), nonce: 2, storage: { 1: ENTRY, 2: A[1], 4: 23 } },
    [A[2]]: { code: '0x', nonce: 6, storage: {} },
    [ENTRY]: { storage: { 0: 1, 1: 1, 3: keccak('0x') } },
  },
})

// Delegations to precompiles run empty code: the calls succeed without
// output and the output buffer keeps what was there; a transaction straight
// to such an account runs nothing.
const PC = (n) => fixed(n)
cases.push({
  name: 'delegation_to_precompiles', forks: ['Prague', 'Osaka'],
  pre: {
    ...basePre(), [A[1]]: delegated(PC(4)), [A[2]]: delegated(PC(1)), [A[3]]: delegated(PC(2)),
    [ENTRY]: contract(asm(
      push(word(0x1234)), push(0), 'MSTORE',
      sstore(0, call('CALL', A[1], { inLen: 32, outOff: 32, outLen: 32 })), sstore(1, 'RETURNDATASIZE'),
      sstore(2, call('STATICCALL', A[2], { inLen: 32, outOff: 32, outLen: 32 })), sstore(3, 'RETURNDATASIZE'),
      sstore(4, call('DELEGATECALL', A[3], { inLen: 32, outOff: 32, outLen: 32 })), sstore(5, 'RETURNDATASIZE'),
      sstore(6, call('CALLCODE', A[1], { inLen: 32, outOff: 32, outLen: 32 })),
      sstore(7, push(32), 'MLOAD'),
      // the precompile itself still answers
      sstore(8, call('CALL', PC(4), { inLen: 32, outOff: 32, outLen: 32 })), sstore(9, push(32), 'MLOAD'),
      'STOP')),
  },
  tx: tx({ to: ENTRY }),
  expect: { [ENTRY]: { storage: { 0: 1, 2: 1, 4: 1, 6: 1, 8: 1, 9: 0x1234 } } },
})
cases.push({
  name: 'tx_to_account_delegated_to_precompile', forks: ['Prague', 'Osaka'],
  pre: { ...basePre(), [A[1]]: delegated(PC(4)) },
  tx: tx({ to: A[1], data: ['0x00000000000000000000000000000000000000000000000000000000000000ff'] }),
  expect: { [A[1]]: { storage: {} } },
})

// EXTCODESIZE / EXTCODEHASH / EXTCODECOPY of a delegated account see the
// 23-byte designator; code running in it (D_INFO) sees its own CODESIZE.
cases.push({
  name: 'extcode_of_delegated_account', forks: ['Prague', 'Osaka'],
  pre: {
    ...basePre(), [A[1]]: delegated(D_INFO),
    [ENTRY]: contract(asm(
      sstore(0, push(A[1]), 'EXTCODESIZE'),
      sstore(1, push(A[1]), 'EXTCODEHASH'),
      push(32), push(0), push(0), push(A[1]), 'EXTCODECOPY',
      sstore(2, push(0), 'MLOAD'),
      sstore(3, call('CALL', A[1], { value: 3 })),
      'STOP'), { balance: '0x0a' }),
  },
  tx: tx({ to: ENTRY }),
  expect: {
    [ENTRY]: { storage: { 0: 23, 1: keccak(designator(D_INFO)), 2: designator(D_INFO) + '000000000000000000', 3: 1 } },
    [A[1]]: { storage: { 1: ENTRY, 2: A[1], 3: (CODE[D_INFO].length - 2) / 2, 4: 23, 5: 3, 6: keccak(designator(D_INFO)) } },
  },
})

// Gas of the delegate's access, measured between two GAS instructions around
// a CALL with 0 gas and no value: 21 (seven pushes) + 2 (POP) + 2 (GAS) +
// the CALL's 100 + 2500 for a cold account + 2600 (cold) or 100 (warm) for
// its delegate. 0: A1 and D_STOP cold: 5225; 1: both warm: 225; 2: A2 cold,
// D_STOP warm: 2725; 3: A3 cold, D_COUNT warm from the access list: 2725;
// 4: A4 cold, a precompile (always warm): 2725; 5: DELEGATECALL (six pushes)
// to A5 cold and D_INFO cold: 5222.
const measure = (slot, op, addr) => [
  'GAS', call(op, addr, { gas: push(0) }), 'POP', 'GAS', 'SWAP1', 'SUB', push(slot), 'SSTORE',
]
cases.push({
  name: 'delegate_access_gas', forks: ['Prague', 'Osaka'],
  pre: {
    ...basePre(), [A[1]]: delegated(D_STOP), [A[2]]: delegated(D_STOP), [A[3]]: delegated(D_COUNT),
    [A[4]]: delegated(PC(4)), [A[5]]: delegated(D_INFO),
    [ENTRY]: contract(asm(
      measure(0, 'CALL', A[1]), measure(1, 'CALL', A[1]), measure(2, 'CALL', A[2]),
      measure(3, 'CALL', A[3]), measure(4, 'CALL', A[4]), measure(5, 'DELEGATECALL', A[5]), 'STOP')),
  },
  tx: tx({ to: ENTRY, accessList: [{ address: D_COUNT, storageKeys: [] }] }),
  expect: { [ENTRY]: { storage: { 0: 5225, 1: 225, 2: 2725, 3: 2725, 4: 2725, 5: 5222 } } },
})

// EIP-7623: calldata that costs more at the floor than the transaction
// uses: 1000 non-zero bytes to an account without code. Intrinsic 21000 +
// 16000 = 37000; charged: the floor, 21000 + 40000 = 61000. Cancun charges
// 37000. The sender pays 7 per gas.
const bigData = '0x' + 'ff'.repeat(1000)
cases.push({
  name: 'calldata_floor_charged', forks: ['Cancun', 'Prague', 'Osaka'],
  pre: { ...basePre(), [A[1]]: eoa('0x01') },
  tx: tx({ to: A[1], data: [bigData], gas: ['0x0186a0'] }),
  expectByFork: {
    Cancun: { [SENDER]: { balance: 0x3635c9adc5dea00000n - 7n * 37000n } },
    Prague: { [SENDER]: { balance: 0x3635c9adc5dea00000n - 7n * 61000n } },
    Osaka: { [SENDER]: { balance: 0x3635c9adc5dea00000n - 7n * 61000n } },
  },
})
// The gas limit must cover the floor: 60999 is too little from Prague.
cases.push({
  name: 'calldata_floor_gas_limit', forks: ['Cancun', 'Prague'],
  pre: { ...basePre(), [A[1]]: eoa('0x01') },
  tx: tx({ to: A[1], data: [bigData], gas: ['0xee47'] }),
  valid: { Prague: false },
})

// Refunds: an authority that exists earns 12500 back, one that does not
// earns nothing; both pay 25000 up front. A1 exists, A2 does not: 21000 +
// 50000 + D_COUNT's 22112 = 93112, refund min(12500, 93112 / 5) = 12500.
cases.push({
  name: 'authority_refunds', forks: ['Prague', 'Osaka'],
  pre: { ...basePre(), [A[1]]: eoa('0x01') },
  tx: tx({ to: A[1], auths: [auth(AK[1], D_COUNT, 0), auth(AK[2], D_COUNT, 0)] }),
  expect: {
    [SENDER]: { balance: 0x3635c9adc5dea00000n - 7n * (93112n - 12500n) },
    [A[1]]: { storage: { 0: 1 }, nonce: 1 }, [A[2]]: { nonce: 1, code: designator(D_COUNT) },
  },
})

// CLZ (EIP-7939, Osaka): the number of leading zero bits, 256 for zero;
// before Osaka 0x1e is undefined and the transaction's call fails.
const clz = (slot, v) => sstore(slot, push(v), 'CLZ')
cases.push({
  name: 'clz_values', forks: ['Prague', 'Osaka'],
  pre: {
    ...basePre(),
    [ENTRY]: contract(asm(
      clz(0, 0), clz(1, 1), clz(2, 1n << 255n), clz(3, (1n << 256n) - 1n), clz(4, 1n << 128n),
      clz(5, 0xffn), sstore(6, push(1)), 'STOP')),
  },
  tx: tx({ to: ENTRY }),
  expectByFork: {
    Prague: { [ENTRY]: { storage: {} } },
    Osaka: { [ENTRY]: { storage: { 0: 256, 1: 255, 2: 0, 3: 0, 4: 127, 5: 248, 6: 1 } } },
  },
})

// A CREATE whose address holds a delegation designator collides (code and
// nonce): CREATE pushes 0, the factory's nonce still counts and the gas given
// to the creation (all but a 64th) is gone, so the transaction carries 3M
// gas to leave enough for the SSTORE. The first case's designator account has
// nonce 1 (as delegation leaves it); the second's nonce 0 (code alone
// collides).
const FACTORY = fixed(0xfac7)
const CREATED = bytesToHex(generateAddress(hexToBytes(FACTORY), bigIntToBytes(1n)))
for (const [name, nonce] of [['create_collides_with_delegated_account', '0x01'], ['create_collides_with_designator_code', '0x00']]) {
  cases.push({
    name, forks: ['Prague', 'Osaka'],
    pre: {
      ...basePre(), [CREATED]: delegated(D_COUNT, nonce),
      // create(0, 0, 1) with init code 0x00 (STOP) at memory 0
      [FACTORY]: contract(asm(sstore(0, push(0x10), push(1), push(0), push(0), 'CREATE', 'ADD'), 'STOP')),
    },
    tx: tx({ to: FACTORY, gas: ['0x2dc6c0'] }),
    expect: { [FACTORY]: { nonce: 2, storage: { 0: 0x10 } }, [CREATED]: { code: designator(D_COUNT), nonce: BigInt(nonce) } },
  })
}

// SELFDESTRUCT in a delegated account's code: the account was not created in
// this transaction, so (EIP-6780) only its balance moves; code and nonce stay.
const D_SD = fixed(0xd005)
cases.push({
  name: 'selfdestruct_in_delegated_account', forks: ['Prague', 'Osaka'],
  pre: {
    ...basePre(), [D_SD]: contract(asm('CALLER', 'SELFDESTRUCT')), [A[1]]: delegated(D_SD, '0x01', { balance: '0x64' }),
    [ENTRY]: contract(asm(sstore(0, call('CALL', A[1])), 'STOP')),
  },
  tx: tx({ to: ENTRY }),
  expect: { [A[1]]: { balance: 0, nonce: 1, code: designator(D_SD) }, [ENTRY]: { balance: 100, storage: { 0: 1 } } },
})

// ---- filling -----------------------------------------------------------------

const EMPTY_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421'
const same = (got, want) => BigInt(got) === BigInt(want)

async function checkExpect(name, fork, vm, expect) {
  const sm = vm.stateManager
  for (const [a, e] of Object.entries(expect ?? {})) {
    const addr = createAddressFromString(a)
    const acct = await sm.getAccount(addr)
    const fail = (what, got, want) => { throw new Error(`${name} ${fork}: ${a} ${what}: ethereumjs has ${got}, the rules say ${want}`) }
    if (e.nonce !== undefined && !same(acct ? acct.nonce : 0n, e.nonce)) fail('nonce', acct?.nonce, e.nonce)
    if (e.balance !== undefined && !same(acct ? acct.balance : 0n, e.balance)) fail('balance', acct?.balance, e.balance)
    if (e.code !== undefined) {
      const code = bytesToHex(await sm.getCode(addr))
      if (code !== e.code) fail('code', code, e.code)
    }
    if (e.storage !== undefined) {
      for (const [k, v] of Object.entries(e.storage)) {
        const raw = await sm.getStorage(addr, setLengthLeft(bigIntToBytes(BigInt(k)), 32))
        const val = raw.length ? bytesToBigInt(raw) : 0n
        if (val !== BigInt(v)) fail(`storage[${k}]`, '0x' + val.toString(16), '0x' + BigInt(v).toString(16))
      }
      // {} means no storage at all
      if (Object.keys(e.storage).length === 0 && acct && bytesToHex(acct.storageRoot) !== EMPTY_ROOT)
        fail('storage', 'slots', 'none')
    }
  }
}

const written = []
fs.mkdirSync(OUT, { recursive: true })
for (const c of cases) {
  const test = { env: ENV, pre: c.pre, transaction: c.tx, post: {} }
  for (const fork of c.forks) {
    const entries = []
    for (const g of c.gasIndexes ?? [0]) {
      const idx = { data: 0, gas: g, value: 0 }
      const r = await runCase(test, fork, idx)
      const wantValid = c.valid?.[fork] ?? true
      if (!!r.error === wantValid) throw new Error(`${c.name} ${fork}: ethereumjs says ${r.error ?? 'valid'}, the rules say ${wantValid ? 'valid' : 'invalid'}`)
      if (!r.error) await checkExpect(c.name, fork, r.vm, { ...(c.expect ?? {}), ...(c.expectByFork?.[fork] ?? {}) })
      const e = { hash: r.root, logs: r.logs, indexes: idx }
      if (r.error) e.expectException = 'TransactionException: ' + r.error
      entries.push(e)
    }
    test.post[fork] = entries
  }
  const file = path.join(OUT, `${c.name}.json`)
  fs.writeFileSync(file, JSON.stringify({ [c.name]: test }, null, 2) + '\n')
  written.push(c.name)
}
console.log(`wrote ${written.length} state tests: ${written.join(', ')}`)
