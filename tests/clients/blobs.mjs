// Blob transactions into `parevm node --dev` with sidecars that kzg-wasm
// (c-kzg-4844 compiled to WebAssembly, EthereumJS's KZG) computes from random
// blobs, on the dev chain (Osaka: the EIP-7594 sidecar, 128 cell proofs per
// blob) and on a store `parevm init` made with a Prague genesis (the EIP-4844
// sidecar, one proof per blob): the pool must take the real ones and refuse
// any whose blobs do not match their commitments and proofs, before the
// transaction reaches a block. Once mined, anvil_getBlobByHash and
// anvil_getBlobsByTransactionHash give the blobs back.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { args, check, DEV_ADDRS, DEV_KEYS, eq, rpc, rpcError, run, startParevm, stopParevm, toolRequire } from './lib.mjs';

const opt = args();
const req = toolRequire(opt.tools);
const viem = req('viem');
const { sign } = req('viem/accounts');
const { loadKZG } = req('kzg-wasm');
const GWEI = 1000000000n;

// A blob of random field elements (the top byte zero keeps each below r).
let seed = 0x5eed;
function randomBlob() {
  const b = Buffer.alloc(131072);
  for (let i = 0; i < b.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    b[i] = i % 32 === 0 ? 0 : seed >>> 24;
  }
  return '0x' + b.toString('hex');
}

const versionedHash = (c) => '0x01' + createHash('sha256').update(Buffer.from(c.slice(2), 'hex')).digest('hex').slice(2);

run(async () => {
  const kzg = await loadKZG();
  const P = await startParevm(opt.parevm);
  let url = P.url; // the node that refused() sends to
  const nonce = { n: BigInt(await rpc(P.url, 'eth_getTransactionCount', [await addrOf(DEV_KEYS[1]), 'latest'])) };

  // blob transaction in the network form: [tx, 1, blobs, commitments, cell
  // proofs] (version 1) or [tx, blobs, commitments, proofs] (version 0)
  async function blobTx(sidecars, edit = (s) => s, version = 1) {
    const side = edit({
      blobs: sidecars.map((s) => s.blob),
      commitments: sidecars.map((s) => s.commitment),
      proofs: version ? sidecars.flatMap((s) => s.proofs) : sidecars.map((s) => s.proof),
    });
    const q = (x) => (x === 0n ? '0x' : viem.numberToHex(x));
    const body = [q(31337n), q(nonce.n), q(GWEI), q(50n * GWEI), q(100000n), '0x' + '44'.repeat(20), q(0n), '0x', [],
                  q(10n * GWEI), sidecars.map((s) => versionedHash(s.commitment))];
    const payload = viem.concatHex(['0x03', viem.toRlp(body)]);
    const sig = await sign({ hash: viem.keccak256(payload), privateKey: DEV_KEYS[1] });
    const signed = [...body, sig.yParity ? '0x01' : '0x', viem.trim(sig.r), viem.trim(sig.s)];
    const wrapper = version ? [signed, '0x01', side.blobs, side.commitments, side.proofs]
                            : [signed, side.blobs, side.commitments, side.proofs];
    return viem.concatHex(['0x03', viem.toRlp(wrapper)]);
  }

  const sidecars = [];
  for (let i = 0; i < 2; i++) {
    const blob = randomBlob();
    const commitment = kzg.blobToKZGCommitment(blob).toLowerCase();
    const [, proofs] = kzg.computeCellsAndProofs(blob);
    const proof = kzg.computeBlobKZGProof(blob, commitment).toLowerCase();
    sidecars.push({ blob, commitment, proof, proofs: proofs.map((p) => p.toLowerCase()) });
  }
  check(kzg.verifyCellKZGProofBatch([sidecars[0].commitment], [0], [kzg.computeCells(sidecars[0].blob)[0]], [sidecars[0].proofs[0]], 1),
        'kzg-wasm verifies its own cell proof');

  const refused = async (what, raw) => {
    const e = await rpcError(url, 'eth_sendRawTransaction', [raw]);
    check(e && /KZG|proof|field element/i.test(e.message), `refused: ${what}`, e ? e.message : 'accepted');
  };
  // two proofs of one blob swapped
  await refused('two cell proofs swapped', await blobTx(sidecars, (s) => {
    [s.proofs[3], s.proofs[4]] = [s.proofs[4], s.proofs[3]];
    return s;
  }));
  // a blob changed after its commitment and proofs were made
  await refused('a changed blob', await blobTx(sidecars, (s) => {
    s.blobs[1] = s.blobs[1].slice(0, 100) + (s.blobs[1][100] === '0' ? '1' : '0') + s.blobs[1].slice(101);
    return s;
  }));
  // the blobs swapped: each commitment (and versioned hash) is the other's
  await refused('blobs in the wrong order', await blobTx(sidecars, (s) => {
    s.blobs.reverse();
    return s;
  }));
  // a field element at r
  await refused('a blob element that is not a field element', await blobTx(sidecars, (s) => {
    s.blobs[0] = '0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001' + s.blobs[0].slice(66);
    return s;
  }));
  // none of these used the nonce: the real sidecars go in and are mined
  const hash = await rpc(P.url, 'eth_sendRawTransaction', [await blobTx(sidecars)]);
  const receipt = await rpc(P.url, 'eth_getTransactionReceipt', [hash]);
  eq(receipt && receipt.status, '0x1', 'the blob transaction with kzg-wasm sidecars is mined');
  eq(receipt && receipt.blobGasUsed, viem.numberToHex(2n * 131072n), 'it carries two blobs');
  // anvil's blob getters give the mined blobs back
  eq(await rpc(P.url, 'anvil_getBlobByHash', [versionedHash(sidecars[1].commitment)]), sidecars[1].blob,
     'anvil_getBlobByHash: the second blob');
  eq(await rpc(P.url, 'anvil_getBlobsByTransactionHash', [hash]), sidecars.map((s) => s.blob),
     'anvil_getBlobsByTransactionHash: both blobs, in order');
  eq(await rpc(P.url, 'anvil_getBlobByHash', ['0x01' + '00'.repeat(31)]), null, 'anvil_getBlobByHash of an unknown hash: null');
  eq(await rpc(P.url, 'anvil_getBlobsByTransactionHash', [receipt.blockHash]), null, 'anvil_getBlobsByTransactionHash of no blob transaction: null');
  await stopParevm(P);

  // Prague: version 0 sidecars, the EIP-4844 proof of each blob
  const dir = mkdtempSync(join(tmpdir(), 'parevm-blobs-'));
  try {
    const genesis = {
      config: { chainId: 31337, homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0,
                constantinopleBlock: 0, petersburgBlock: 0, istanbulBlock: 0, berlinBlock: 0, londonBlock: 0,
                mergeNetsplitBlock: 0, terminalTotalDifficulty: 0, shanghaiTime: 0, cancunTime: 0, pragueTime: 0,
                blobSchedule: { cancun: { target: 3, max: 6, baseFeeUpdateFraction: 3338477 },
                                prague: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 } } },
      alloc: { [DEV_ADDRS[1]]: { balance: '0x3635c9adc5dea00000' } },
      gasLimit: '0x1c9c380', difficulty: '0x0', baseFeePerGas: '0x3b9aca00', timestamp: '0x0', extraData: '0x',
      nonce: '0x0', coinbase: '0x' + '00'.repeat(20), mixHash: '0x' + '00'.repeat(32), excessBlobGas: '0x0', blobGasUsed: '0x0',
    };
    writeFileSync(join(dir, 'genesis.json'), JSON.stringify(genesis));
    execFileSync(opt.parevm, ['init', '--datadir', join(dir, 'd'), join(dir, 'genesis.json')], { stdio: 'ignore' });
    const Q = await startParevm(opt.parevm, ['--datadir', join(dir, 'd')]);
    url = Q.url;
    nonce.n = 0n;
    const config = await rpc(Q.url, 'eth_config', []);
    eq(config && config.current && config.current.blobSchedule && config.current.blobSchedule.max, 9, 'the store runs Prague');
    await refused('v0: the proofs of the two blobs swapped', await blobTx(sidecars, (s) => {
      s.proofs.reverse();
      return s;
    }, 0));
    await refused('v0: a changed blob', await blobTx(sidecars, (s) => {
      s.blobs[0] = s.blobs[0].slice(0, 5000) + (s.blobs[0][5000] === '0' ? '1' : '0') + s.blobs[0].slice(5001);
      return s;
    }, 0));
    const e = await rpcError(Q.url, 'eth_sendRawTransaction', [await blobTx(sidecars)]);
    check(e && /version 1 before Osaka/.test(e.message), 'v0: a version 1 sidecar before Osaka is refused', e && e.message);
    // taken into the pool (this genesis lacks Prague's request contracts,
    // so the dev chain cannot mine it: a block without them is invalid)
    const h0 = await rpc(Q.url, 'eth_sendRawTransaction', [await blobTx(sidecars, (s) => s, 0)]);
    const t0 = await rpc(Q.url, 'eth_getTransactionByHash', [h0]);
    eq(t0 && t0.blobVersionedHashes && t0.blobVersionedHashes.length, 2, 'v0: the blob transaction with kzg-wasm proofs is pooled');
    eq((await rpc(Q.url, 'txpool_status', [])).pending, '0x1', 'v0: one pending transaction');
    await Q.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300000);

async function addrOf(key) {
  return req('viem/accounts').privateKeyToAccount(key).address;
}
