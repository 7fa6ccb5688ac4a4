// Blob transactions into `parevm node --dev` (Osaka: the EIP-7594 sidecar,
// 128 cell proofs per blob) with sidecars that kzg-wasm (c-kzg-4844 compiled
// to WebAssembly, EthereumJS's KZG) computes from random blobs: the pool must
// take the real ones and refuse any whose blobs do not match their
// commitments and proofs, before the transaction reaches a block.
import { createHash } from 'node:crypto';
import { args, check, DEV_KEYS, eq, rpc, rpcError, run, startParevm, stopParevm, toolRequire } from './lib.mjs';

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
  const nonce = { n: BigInt(await rpc(P.url, 'eth_getTransactionCount', [await addrOf(DEV_KEYS[1]), 'latest'])) };

  // blob transaction in the network form: [tx, 1, blobs, commitments, cell proofs]
  async function blobTx(sidecars, edit = (s) => s) {
    const side = edit({
      blobs: sidecars.map((s) => s.blob),
      commitments: sidecars.map((s) => s.commitment),
      proofs: sidecars.flatMap((s) => s.proofs),
    });
    const q = (x) => (x === 0n ? '0x' : viem.numberToHex(x));
    const body = [q(31337n), q(nonce.n), q(GWEI), q(50n * GWEI), q(100000n), '0x' + '44'.repeat(20), q(0n), '0x', [],
                  q(10n * GWEI), sidecars.map((s) => versionedHash(s.commitment))];
    const payload = viem.concatHex(['0x03', viem.toRlp(body)]);
    const sig = await sign({ hash: viem.keccak256(payload), privateKey: DEV_KEYS[1] });
    const signed = [...body, sig.yParity ? '0x01' : '0x', viem.trim(sig.r), viem.trim(sig.s)];
    return viem.concatHex(['0x03', viem.toRlp([signed, '0x01', side.blobs, side.commitments, side.proofs])]);
  }

  const sidecars = [];
  for (let i = 0; i < 2; i++) {
    const blob = randomBlob();
    const commitment = kzg.blobToKZGCommitment(blob).toLowerCase();
    const [, proofs] = kzg.computeCellsAndProofs(blob);
    sidecars.push({ blob, commitment, proofs: proofs.map((p) => p.toLowerCase()) });
  }
  check(kzg.verifyCellKZGProofBatch([sidecars[0].commitment], [0], [kzg.computeCells(sidecars[0].blob)[0]], [sidecars[0].proofs[0]], 1),
        'kzg-wasm verifies its own cell proof');

  const refused = async (what, raw) => {
    const e = await rpcError(P.url, 'eth_sendRawTransaction', [raw]);
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
  await stopParevm(P);
}, 300000);

async function addrOf(key) {
  return req('viem/accounts').privateKeyToAccount(key).address;
}
