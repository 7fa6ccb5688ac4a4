// Runs GeneralStateTests-format cases through ethereumjs (an EVM written
// independently of parevm) and prints, per case, the post-state root and the
// logs hash it computes. Used to cross-check the expectations of the state
// tests in tests/statetests (see README.md there); not part of the build.
//
//   node ejs_run.mjs FILE.json [--check]
//
// --check compares with the file's post hashes and exits 1 on a difference.
import fs from 'node:fs'
import { Common, Mainnet } from '@ethereumjs/common'
import { createVM, runTx } from '@ethereumjs/vm'
import { createTx } from '@ethereumjs/tx'
import { createBlock } from '@ethereumjs/block'
import { RLP } from '@ethereumjs/rlp'
import { keccak_256 } from '@noble/hashes/sha3.js'
import {
  createAddressFromString, createAccount, hexToBytes, bytesToHex, setLengthLeft, bigIntToBytes,
} from '@ethereumjs/util'

const big = (x) => BigInt(x === '0x' || x === '' ? 0 : x)
const bytes = (x) => hexToBytes(x === '' ? '0x' : x)

export async function loadPre(vm, pre) {
  const sm = vm.stateManager
  for (const [a, acc] of Object.entries(pre)) {
    const addr = createAddressFromString(a)
    await sm.putAccount(addr, createAccount({ nonce: big(acc.nonce), balance: big(acc.balance) }))
    if (acc.code && acc.code !== '0x') await sm.putCode(addr, bytes(acc.code))
    for (const [k, v] of Object.entries(acc.storage ?? {})) {
      if (big(v) === 0n) continue
      await sm.putStorage(addr, setLengthLeft(bigIntToBytes(big(k)), 32), bigIntToBytes(big(v)))
    }
  }
  await sm.checkpoint()
  await sm.commit()
  await sm.flush?.()
}

function txData(t, idx) {
  const d = {
    nonce: big(t.nonce), gasLimit: big(t.gasLimit[idx.gas]), value: big(t.value[idx.value]),
    data: bytes(t.data[idx.data]), to: t.to && t.to !== '0x' ? t.to : undefined,
  }
  if (t.maxFeePerGas !== undefined) {
    d.maxFeePerGas = big(t.maxFeePerGas)
    d.maxPriorityFeePerGas = big(t.maxPriorityFeePerGas)
    d.type = 2
  } else {
    d.gasPrice = big(t.gasPrice)
    d.type = 0
  }
  const al = t.accessLists?.[idx.data]
  if (al) {
    d.accessList = al
    if (d.type === 0) d.type = 1
  }
  if (t.authorizationList) {
    d.type = 4
    d.authorizationList = t.authorizationList.map((a) => ({
      chainId: a.chainId, address: a.address, nonce: a.nonce,
      yParity: a.yParity ?? a.v, r: a.r, s: a.s,
    }))
  }
  return d
}

export async function runCase(test, fork, idx) {
  const common = new Common({ chain: Mainnet, hardfork: fork.toLowerCase() })
  const vm = await createVM({ common })
  await loadPre(vm, test.pre)
  const preRoot = await vm.stateManager.getStateRoot()
  const env = test.env
  const block = createBlock({
    header: {
      coinbase: env.currentCoinbase, number: big(env.currentNumber), timestamp: big(env.currentTimestamp),
      gasLimit: big(env.currentGasLimit), mixHash: env.currentRandom ?? '0x' + '00'.repeat(32), difficulty: 0n,
      // the header fields a fork has (ethereumjs refuses the others)
      ...(common.isActivatedEIP(1559) ? { baseFeePerGas: big(env.currentBaseFee ?? 0) } : {}),
      ...(common.isActivatedEIP(4844) ? { excessBlobGas: big(env.currentExcessBlobGas ?? 0) } : {}),
    },
  }, { common })
  let tx, error = null, result
  try {
    tx = createTx(txData(test.transaction, idx), { common }).sign(hexToBytes(test.transaction.secretKey))
    result = await runTx(vm, { tx, block })
  } catch (e) {
    error = String(e.message ?? e).split('\n')[0]
  }
  const root = error ? preRoot : await vm.stateManager.getStateRoot()
  const logs = result ? result.receipt.logs : []
  const logsHash = keccak_256(RLP.encode(logs))
  return { root: bytesToHex(root), logs: bytesToHex(logsHash), error, vm, result }
}

async function main() {
  const file = process.argv[2]
  const check = process.argv.includes('--check')
  const tests = JSON.parse(fs.readFileSync(file, 'utf8'))
  let bad = 0
  for (const [name, test] of Object.entries(tests)) {
    for (const [fork, entries] of Object.entries(test.post)) {
      for (const e of entries) {
        const r = await runCase(test, fork, e.indexes)
        const ok = !check || (r.root === e.hash && r.logs === e.logs && !!r.error === !!e.expectException)
        if (!ok) bad++
        console.log(`${ok ? 'ok  ' : 'DIFF'} ${name} ${fork} d${e.indexes.data} g${e.indexes.gas} v${e.indexes.value} root ${r.root} logs ${r.logs}${r.error ? ' error: ' + r.error : ''}`)
      }
    }
  }
  if (bad) process.exit(1)
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
