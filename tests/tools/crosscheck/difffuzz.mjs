// Differential fuzzing of EIP-7702 against ethereumjs: writes N random state
// tests (delegations in the pre-state and in the transaction, valid and
// broken tuples, contracts that call, delegatecall, staticcall, inspect,
// revert, self-destruct and create) whose expected roots are ethereumjs's,
// for `parevm statetest DIR` to run. Not part of the build.
//
//   node difffuzz.mjs DIR [N] [SEED]
import fs from 'node:fs'
import path from 'node:path'
import { runCase } from './ejs_run.mjs'
import {
  bytesToHex, hexToBytes, privateToAddress, eoaCode7702SignAuthorization, bytesToBigInt, bigIntToBytes,
} from '@ethereumjs/util'

const [dir, nArg, seedArg] = process.argv.slice(2)
const N = Number(nArg ?? 50)
let seed = BigInt(seedArg ?? 7702)
const rnd = (m) => {
  seed ^= (seed << 13n) & 0xffffffffffffffffn
  seed ^= seed >> 7n
  seed ^= (seed << 17n) & 0xffffffffffffffffn
  return Number(seed % BigInt(m))
}
const pick = (a) => a[rnd(a.length)]

const hex = (n) => '0x' + BigInt(n).toString(16)
const push = (v) => {
  let b = bigIntToBytes(BigInt(v))
  if (b.length === 0) b = new Uint8Array([0])
  return [0x5f + b.length, ...b]
}
const code = (...parts) => bytesToHex(new Uint8Array(parts.flat(Infinity)))
const fixed = (n) => '0x' + n.toString(16).padStart(40, '0')
const designator = (a) => '0xef0100' + a.slice(2)
const SENDER_KEY = '0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8'
const SENDER = bytesToHex(privateToAddress(hexToBytes(SENDER_KEY)))
const KEYS = Array.from({ length: 6 }, (_, i) => '0x' + (0xb1 + i).toString(16).repeat(32))
const EOAS = KEYS.map((k) => bytesToHex(privateToAddress(hexToBytes(k))))
const C = Array.from({ length: 8 }, (_, i) => fixed(0xc000 + i))

// contract bodies: each takes a target address from calldata word 0
const CALL = (op, gas) => [push(0), push(0), push(0), push(0), op === 0xf1 || op === 0xf2 ? push(rnd(2)) : [],
  push(0), 0x35, gas, op]
const bodies = () => [
  code(push(1), push(0), 0x54, 0x01, push(0), 0x55, 0x00), // counter
  code(0x33, push(1), 0x55, 0x30, push(2), 0x55, 0x38, push(3), 0x55, 0x30, 0x3b, push(4), 0x55, 0x00), // info
  code(push(1), push(0), 0x55, push(0), push(0), 0xfd), // store then revert
  code(CALL(0xf1, [0x5a]), push(5), 0x55, 0x3d, push(6), 0x55, 0x00), // call target, store result
  code(CALL(0xf4, [0x5a]), push(7), 0x55, 0x00), // delegatecall target
  code(CALL(0xfa, [push(rnd(3000))]), push(8), 0x55, 0x00), // staticcall with little gas
  code(push(0), 0x35, 0x3f, push(9), 0x55, push(0), 0x35, 0x3b, push(10), 0x55, 0x00), // extcodehash/size
  code(push(0), 0x35, 0xff), // selfdestruct to target
  code(push(0), 0x35, 0x31, push(11), 0x55, 0x5a, CALL(0xf2, [push(0)]), 0x50, 0x5a, 0x90, 0x03, push(12), 0x55, 0x00),
  code(push(1), push(0), push(0), 0xf0, push(13), 0x55, 0x00), // create (init code 0x00)
]

function randomDelegate() {
  return pick([...C, ...EOAS, fixed(rnd(12)), fixed(0), fixed(0x100)])
}

function randomTuple(nonces) {
  const i = rnd(KEYS.length)
  const broken = rnd(6)
  const nonce = broken === 1 ? nonces[i] + 1 : nonces[i]
  const chainId = broken === 2 ? 3n : rnd(4) === 0 ? 0n : 1n
  const [c, a, n, y, r, s] = eoaCode7702SignAuthorization(
    { chainId: hex(chainId), address: randomDelegate(), nonce: hex(nonce) }, hexToBytes(KEYS[i]))
  const t = { chainId: hex(bytesToBigInt(c)), address: bytesToHex(a), nonce: hex(bytesToBigInt(n)),
    yParity: hex(bytesToBigInt(y)), r: hex(bytesToBigInt(r)), s: hex(bytesToBigInt(s)) }
  if (broken === 3) t.yParity = '0x2'
  if (broken === 4) t.s = hex(0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n - BigInt(t.s))
  if (broken !== 1 && broken !== 2 && broken !== 3 && broken !== 4) nonces[i]++
  t.v = t.yParity
  return t
}

function randomCase() {
  const pre = { [SENDER]: { balance: '0x3635c9adc5dea00000', nonce: '0x00', code: '0x', storage: {} } }
  const b = bodies()
  for (const c of C) pre[c] = { balance: hex(rnd(3)), nonce: '0x01', code: pick(b), storage: rnd(2) ? {} : { '0x00': '0x05' } }
  const nonces = []
  EOAS.forEach((a, i) => {
    nonces[i] = rnd(3)
    const kind = rnd(4)
    if (kind === 0) return // absent
    pre[a] = { balance: hex(rnd(2) * 1000), nonce: hex(nonces[i]), code: kind === 3 ? designator(randomDelegate()) : '0x', storage: {} }
    if (kind === 3 && nonces[i] === 0) nonces[i] = pre[a].nonce = 1, pre[a].nonce = '0x01'
    if (kind === 1 && nonces[i] === 0 && rnd(2)) pre[a].balance = '0x00' // an empty account
  })
  // an account whose nonce the pre-state gives differs from our model only if absent: absent = 0
  EOAS.forEach((a, i) => { if (!pre[a]) nonces[i] = 0 })
  const type4 = rnd(3) !== 0
  const tx = {
    nonce: '0x00', maxPriorityFeePerGas: hex(rnd(2)), maxFeePerGas: '0x0a', gasLimit: [hex(60000 + rnd(400000))],
    to: pick([...C, ...EOAS, SENDER]), value: [hex(rnd(3))], data: ['0x' + pick([...EOAS, ...C, fixed(4)]).slice(2).padStart(64, '0')],
    accessLists: [rnd(3) === 0 ? [{ address: pick([...C, ...EOAS]), storageKeys: [] }] : []],
    sender: SENDER, secretKey: SENDER_KEY,
  }
  if (type4) {
    const self = rnd(5) === 0
    const list = Array.from({ length: 1 + rnd(3) }, () => randomTuple(nonces))
    if (self) {
      const [c, a, n, y, r, s] = eoaCode7702SignAuthorization({ chainId: '0x1', address: randomDelegate(), nonce: '0x1' }, hexToBytes(SENDER_KEY))
      list.push({ chainId: '0x1', address: bytesToHex(a), nonce: '0x1', yParity: hex(bytesToBigInt(y)), v: hex(bytesToBigInt(y)), r: hex(bytesToBigInt(r)), s: hex(bytesToBigInt(s)) })
    }
    tx.authorizationList = list
  }
  const env = {
    currentCoinbase: '0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba', currentGasLimit: '0x055d4a80', currentNumber: '0x01',
    currentTimestamp: '0x03e8', currentRandom: '0x' + '00'.repeat(32), currentDifficulty: '0x00', currentBaseFee: '0x07',
    currentExcessBlobGas: '0x00',
  }
  return { env, pre, transaction: tx, post: {} }
}

fs.mkdirSync(dir, { recursive: true })
for (let k = 0; k < N; k++) {
  const t = randomCase()
  for (const fork of ['Prague', 'Osaka']) {
    const r = await runCase(t, fork, { data: 0, gas: 0, value: 0 })
    const e = { hash: r.root, logs: r.logs, indexes: { data: 0, gas: 0, value: 0 } }
    if (r.error) e.expectException = r.error
    t.post[fork] = [e]
  }
  fs.writeFileSync(path.join(dir, `fuzz_${k}.json`), JSON.stringify({ [`fuzz_${k}`]: t }, null, 1))
}
console.log(`wrote ${N} random delegation state tests to ${dir}`)
