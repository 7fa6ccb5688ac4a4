// Writes tests/txtests/set_code_and_osaka.json (TransactionTests format) for
// `parevm txtest`: type-4 transactions and the Osaka per-transaction rules,
// each encoded here byte by byte and signed with @noble/curves. Valid ones
// carry the hash, sender and intrinsic gas that ethereumjs computes when it
// decodes them (checked against the hand-computed intrinsic gas); invalid
// ones say which rule they break. Not part of the build (see
// tests/statetests/README.md).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { RLP } from '@ethereumjs/rlp'
import { Common, Mainnet } from '@ethereumjs/common'
import { createTxFromRLP } from '@ethereumjs/tx'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToHex, hexToBytes, privateToAddress, bigIntToUnpaddedBytes, concatBytes } from '@ethereumjs/util'

const OUT = process.env.OUT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../txtests')
const int = (v) => bigIntToUnpaddedBytes(BigInt(v))
const KEY = hexToBytes('0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8')
const AKEY = hexToBytes('0x' + 'a1'.repeat(32))
const TO = hexToBytes('0x' + '00'.repeat(19) + 'aa')
const DELEGATE = hexToBytes('0x' + '00'.repeat(18) + 'd001')

function sign(hash, key) {
  const sig = secp256k1.Signature.fromBytes(secp256k1.sign(hash, key, { prehash: false, format: 'recovered' }), 'recovered')
  return { y: sig.recovery, r: sig.r, s: sig.s }
}

// [chain_id, address, nonce, y_parity, r, s], signed unless raw fields given
function tuple({ chainId = 1, address = DELEGATE, nonce = 0, override = {} } = {}) {
  const msg = keccak_256(concatBytes(new Uint8Array([5]), RLP.encode([int(chainId), address, int(nonce)])))
  const { y, r, s } = sign(msg, AKEY)
  const t = [int(chainId), address, int(nonce), int(y), int(r), int(s)]
  for (const [i, v] of Object.entries(override)) t[i] = v
  return t
}

// type 4: [chain_id, nonce, tip, fee cap, gas, to, value, data, access_list, auths, y, r, s]
function setCode({ gas = 100000, to = TO, auths = [tuple()], type = 4, fields } = {}) {
  const body = fields ?? [int(1), int(0), int(1), int(10), int(gas), to, int(0), new Uint8Array(), [], auths]
  const hash = keccak_256(concatBytes(new Uint8Array([type]), RLP.encode(body)))
  const { y, r, s } = sign(hash, KEY)
  return concatBytes(new Uint8Array([type]), RLP.encode([...body, int(y), int(r), int(s)]))
}
// type 3 with n blob hashes
function blob(n, gas = 21000) {
  const hashes = Array.from({ length: n }, () => hexToBytes('0x01' + '00'.repeat(31)))
  const body = [int(1), int(0), int(1), int(10), int(gas), TO, int(0), new Uint8Array(), [], int(1), hashes]
  const hash = keccak_256(concatBytes(new Uint8Array([3]), RLP.encode(body)))
  const { y, r, s } = sign(hash, KEY)
  return concatBytes(new Uint8Array([3]), RLP.encode([...body, int(y), int(r), int(s)]))
}

const FORKS = ['Cancun', 'Prague', 'Osaka']
const tests = {}
// Whether ethereumjs rejects raw in fork, decoding or by its static checks.
function ejsRejects(raw, common) {
  try {
    return createTxFromRLP(raw, { common }).getValidationErrors().length > 0
  } catch {
    return true
  }
}

// valid: {fork: intrinsic gas} for the forks that accept it; the rest must reject
function add(name, raw, valid, why) {
  const result = {}
  for (const fork of FORKS) {
    // decoding a blob transaction wants a KZG object present, never used here
    const common = new Common({ chain: Mainnet, hardfork: fork.toLowerCase(), customCrypto: { kzg: {} } })
    if (valid[fork] === undefined) {
      if (!ejsRejects(raw, common)) throw new Error(`${name} ${fork}: ethereumjs accepts it`)
      result[fork] = { exception: why[fork] ?? why.all, intrinsicGas: '0x00' }
      continue
    }
    const tx = createTxFromRLP(raw, { common }) // throws if ethereumjs disagrees that it decodes
    const gas = tx.getIntrinsicGas()
    if (gas !== BigInt(valid[fork])) throw new Error(`${name} ${fork}: ethereumjs intrinsic gas ${gas}, by hand ${valid[fork]}`)
    result[fork] = {
      hash: bytesToHex(tx.hash()), sender: tx.getSenderAddress().toString(), intrinsicGas: '0x' + gas.toString(16),
    }
  }
  tests[name] = { txbytes: bytesToHex(raw), result }
}

const ONE = 21000 + 25000
add('set_code_one_tuple', setCode(), { Prague: ONE, Osaka: ONE }, { all: 'TransactionException.TYPE_4_TX_PRE_FORK' })
add('set_code_three_tuples', setCode({ gas: 200000, auths: [tuple(), tuple({ chainId: 0 }), tuple({ nonce: 7 })] }),
  { Prague: 21000 + 75000, Osaka: 21000 + 75000 }, { all: 'TransactionException.TYPE_4_TX_PRE_FORK' })
// a tuple whose signature breaks the rules leaves the transaction valid
add('set_code_tuple_y_parity_2', setCode({ auths: [tuple({ override: { 3: int(2) } })] }), { Prague: ONE, Osaka: ONE },
  { all: 'TransactionException.TYPE_4_TX_PRE_FORK' })
add('set_code_tuple_high_s', setCode({ auths: [tuple({ override: { 5: int(0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140n) } })] }),
  { Prague: ONE, Osaka: ONE }, { all: 'TransactionException.TYPE_4_TX_PRE_FORK' })
add('set_code_tuple_chain_id_2_256_minus_1', setCode({ auths: [tuple({ chainId: (1n << 256n) - 1n })] }),
  { Prague: ONE, Osaka: ONE }, { all: 'TransactionException.TYPE_4_TX_PRE_FORK' })
// broken transactions
add('set_code_empty_authorization_list', setCode({ auths: [] }), {}, { all: 'TransactionException.TYPE_4_EMPTY_AUTHORIZATION_LIST' })
add('set_code_without_to', setCode({ to: new Uint8Array() }), {}, { all: 'TransactionException.TYPE_4_TX_CONTRACT_CREATION' })
add('set_code_intrinsic_gas_too_low', setCode({ gas: ONE - 1 }), {}, { all: 'TransactionException.INTRINSIC_GAS_TOO_LOW' })
add('set_code_tuple_y_parity_256', setCode({ auths: [tuple({ override: { 3: int(256) } })] }), {}, { all: 'RLP: yParity above 2^8' })
add('set_code_tuple_nonce_2_64', setCode({ auths: [tuple({ override: { 2: int(1n << 64n) } })] }), {}, { all: 'RLP: nonce above 2^64' })
add('set_code_tuple_chain_id_2_256', setCode({ auths: [tuple({ override: { 0: concatBytes(new Uint8Array([1]), new Uint8Array(32)) } })] }),
  {}, { all: 'RLP: chain id above 2^256' })
add('set_code_tuple_short_address', setCode({ auths: [tuple({ override: { 1: new Uint8Array(19) } })] }), {}, { all: 'RLP: address of 19 bytes' })
add('set_code_tuple_five_items', setCode({ auths: [tuple().slice(0, 5)] }), {}, { all: 'RLP: tuple of 5 items' })
add('set_code_tuple_leading_zero_nonce', setCode({ auths: [tuple({ override: { 2: new Uint8Array([0, 1]) } })] }), {}, { all: 'RLP: leading zero' })
// EIP-7825: 2^24 is the most gas a transaction may ask for from Osaka
add('gas_limit_2_24', setCode({ gas: 1 << 24 }), { Prague: ONE, Osaka: ONE }, { all: 'TransactionException.TYPE_4_TX_PRE_FORK' })
add('gas_limit_2_24_plus_1', setCode({ gas: (1 << 24) + 1 }), { Prague: ONE },
  { all: 'TransactionException.TYPE_4_TX_PRE_FORK', Osaka: 'TransactionException.GAS_LIMIT_EXCEEDS_MAXIMUM' })
// EIP-7594: 6 blobs per transaction from Osaka; Prague takes 9, Cancun 6
add('blobs_6', blob(6), { Cancun: 21000, Prague: 21000, Osaka: 21000 }, {})
add('blobs_7', blob(7), { Prague: 21000 }, { all: 'TransactionException.TYPE_3_TX_BLOB_COUNT_EXCEEDED' })
add('blobs_10', blob(10), {}, { all: 'TransactionException.TYPE_3_TX_BLOB_COUNT_EXCEEDED' })

fs.mkdirSync(OUT, { recursive: true })
fs.writeFileSync(path.join(OUT, 'set_code_and_osaka.json'), JSON.stringify(tests, null, 2) + '\n')
console.log(`wrote ${Object.keys(tests).length} transaction tests`)
