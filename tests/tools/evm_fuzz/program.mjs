// The random programs of the EVM differentials (anvil.mjs, ejs.mjs): code
// built so that most instructions get well-formed operands (interesting
// words, the case's own addresses, precompiles, small memory offsets),
// conditional jumps to earlier JUMPDESTs, precompile calls on structured
// input, and results kept in storage. Reproducible from a seed.
//
//   const g = generator({ seed, push0: true });
//   g.contracts = [addr, ...];   // the case's contracts (CALL targets)
//   g.program()                  // "0x..." code of 3 to maxOps snippets
//
// arith: true adds runs of field arithmetic (MULMOD, ADDMOD, MOD, DIV
// chained on one modulus, as curve and SNARK code does); false keeps the
// programs of every earlier seed unchanged.
export function generator({ seed, push0 = true, maxOps = 22, skip = [], arith = false, sender = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266" }) {
  seed = BigInt(seed) || 1n;
  const g = { contracts: [] };
  // xorshift64*
  const M64 = (1n << 64n) - 1n;
  function rnd() { seed ^= (seed << 13n) & M64; seed ^= seed >> 7n; seed ^= (seed << 17n) & M64; return Number(seed & 0xffffffffn) / 4294967296; }
  const ri = (n) => Math.floor(rnd() * n);
  const pick = (a) => a[ri(a.length)];
  const hexb = (n, bytes) => BigInt(n).toString(16).padStart(bytes * 2, "0");
  const A = (n) => "0x" + hexb(n, 20);

  const EOA = A(0xe0a000);
  const PRECOMPILES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 0x100].filter((p) => !skip.includes(p));

  function word() {
    switch (ri(12)) {
      case 0: return 0n;
      case 1: return 1n;
      case 2: return BigInt(ri(64));
      case 3: return (1n << 256n) - 1n;
      case 4: return 1n << 255n;
      case 5: return (1n << 256n) - BigInt(1 + ri(4));
      case 6: return BigInt(pick(g.contracts));
      case 7: return BigInt(pick(PRECOMPILES));
      case 8: return 1n << BigInt(ri(256));
      case 9: { let v = 0n; for (let i = 0; i < 32; i++) v = (v << 8n) | BigInt(ri(256)); return v; }
      case 10: return BigInt(ri(0x10000));
      default: return BigInt(ri(300));
    }
  }
  const small = () => BigInt(pick([0, 0, 1, 2, 31, 32, 33, 64, ri(200), ri(1024)]));
  const offs = () => (ri(40) ? small() : pick([0xffffffffn, 1n << 32n, 0x100000n, (1n << 256n) - 1n]));
  const len = () => (ri(30) ? BigInt(pick([0, 1, 4, 20, 32, 64, 96, 128, 192, ri(300)])) : pick([0x10000n, 1n << 40n]));
  const gasArg = () => pick([0n, 1n, 2300n, BigInt(ri(100000)), (1n << 256n) - 1n, 50000n]);
  // g.others: more accounts of the case (EIP-7702 authorities); none keeps older seeds' programs
  const addrArg = () => (ri(4) ? BigInt(pick([...g.contracts, ...(g.others || []), EOA, sender])) : BigInt(pick(PRECOMPILES)));

  function push(v) {
    let h = v.toString(16);
    if (h.length % 2) h = "0" + h;
    if (v === 0n) return ri(2) && push0 ? "5f" : "6000";
    const n = h.length / 2;
    return (0x5f + n).toString(16) + h;
  }

  // op -> [opcode, operand makers (pushed last-first so the first is on top)]
  const W = word;
  const OPS = [
    [0x01, [W, W]], [0x02, [W, W]], [0x03, [W, W]], [0x04, [W, W]], [0x05, [W, W]], [0x06, [W, W]], [0x07, [W, W]],
    [0x08, [W, W, W]], [0x09, [W, W, W]], [0x0a, [W, W]], [0x0b, [() => BigInt(ri(34)), W]],
    [0x10, [W, W]], [0x11, [W, W]], [0x12, [W, W]], [0x13, [W, W]], [0x14, [W, W]], [0x15, [W]],
    [0x16, [W, W]], [0x17, [W, W]], [0x18, [W, W]], [0x19, [W]], [0x1a, [W, W]], [0x1b, [W, W]], [0x1c, [W, W]], [0x1d, [W, W]],
    [0x1e, [W]],
    [0x20, [offs, len]], [0x30, []], [0x31, [addrArg]], [0x32, []], [0x33, []], [0x34, []], [0x35, [W]], [0x36, []],
    [0x37, [small, small, len]], [0x38, []], [0x39, [small, small, len]], [0x3a, []], [0x3b, [addrArg]],
    [0x3c, [addrArg, small, small, len]], [0x3d, []], [0x3e, [small, small, () => BigInt(ri(40))]], [0x3f, [addrArg]],
  [0x41, []], [0x42, []], [0x43, []], [0x44, []], [0x45, []], [0x46, []], [0x47, []], [0x48, []],
    [0x49, [() => BigInt(ri(3))]], [0x4a, []],
    [0x50, [W]], [0x51, [offs]], [0x52, [offs, W]], [0x53, [offs, W]], [0x54, [() => BigInt(ri(6))]], [0x55, [() => BigInt(ri(6)), () => BigInt(pick([0, 0, 1, 2, ri(1000)]))]],
    [0x58, []], [0x59, []], [0x5a, []], [0x5c, [() => BigInt(ri(4))]], [0x5d, [() => BigInt(ri(4)), W]], [0x5e, [small, small, len]],
    [0xa0, [small, len]], [0xa1, [small, len, W]], [0xa2, [small, len, W, W]], [0xa3, [small, len, W, W, W]], [0xa4, [small, len, W, W, W, W]],
    [0xf1, [gasArg, addrArg, () => BigInt(pick([0, 0, 0, 1, 7])), small, len, small, len]],
    [0xf2, [gasArg, addrArg, () => BigInt(pick([0, 1])), small, len, small, len]],
    [0xf4, [gasArg, addrArg, small, len, small, len]],
    [0xfa, [gasArg, addrArg, small, len, small, len]],
    [0xf0, [() => BigInt(pick([0, 0, 1])), small, len]],
    [0xf5, [() => BigInt(pick([0, 1])), small, len, W]],
  ];
  const RARE = [[0xff, [addrArg]], [0xfd, [small, len]], [0xf3, [small, len]], [0x00, []], [0xfe, []]];

  // A precompile called on structured input: memory words 0.. hold small
  // numbers (MODEXP's lengths, BLAKE2F's rounds), BN254's generator, zeros
  // (points at infinity) or random words; the output's first words and size go
  // on the stack, where the trace compares them.
  function precompileCall() {
    const p = pick(PRECOMPILES);
    const size = pick([0, 32, 64, 96, 97, 100, 128, 160, 192, 213, 256, 288, 384, 512, ri(600)]);
    let c = "";
    for (let off = 0; off < size; off += 32) {
      let v;
      switch (ri(7)) {
        case 0: v = 0n; break;
        case 1: v = BigInt(ri(70)); break;
        case 2: v = BigInt(pick([1, 2])); break;
        case 3: v = BigInt(ri(4)) << 248n; break;
        default: v = word();
      }
      if (p === 5 && off < 96) v = BigInt(pick([0, 1, 2, 31, 32, 33, 64, ri(70), ri(1100)]));
      c += push(v) + push(BigInt(off)) + "52";
    }
    const gas = pick([BigInt(ri(4000)), 100000n, (1n << 256n) - 1n]);
    // STATICCALL(gas, p, 0, size, 0x400, 0x60); then the output's words and size
    c += push(0x60n) + push(0x400n) + push(BigInt(size)) + push(0n) + push(BigInt(p)) + push(gas) + "fa";
    c += push(0x400n) + "51" + push(0x420n) + "51" + push(0x440n) + "51" + "3d";
    return c;
  }

  // A value reduced again and again by one modulus m: a field prime, a
  // random word, just above 2^192, a power of two or a small number. The
  // stack holds x; each step leaves op(x, y) mod m (or x mod m, x / m).
  const MODULI = [
    0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47n, // BN254 p
    0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn, // secp256k1 p
    0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn, // P-256 p
    0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n, // BLS12-381 r
  ];
  const TWO256 = 1n << 256n;
  const wrap = (v) => ((v % TWO256) + TWO256) % TWO256; // m - 1 of m = 0 and the like stay words
  function arithRun() {
    const m = pick([() => pick(MODULI), word, () => (1n << 192n) + BigInt(ri(5)), () => 1n << BigInt(ri(256)),
                    () => BigInt(ri(1000)), () => (1n << 256n) - 1n])();
    let c = push(ri(2) ? word() : wrap(m - 1n));
    const n = 2 + ri(10);
    for (let i = 0; i < n; i++) {
      c += push(m) + "90"; // ... m x
      switch (ri(6)) {
        case 0: c += "80" + "09"; break; // x * x mod m
        case 1: c += push(ri(2) ? word() : wrap(m - BigInt(1 + ri(3)))) + "08"; break; // ADDMOD
        case 2: c += "06"; break; // x mod m
        case 3: c += "04"; break; // x / m
        default: c += push(ri(3) ? word() : wrap(pick([m - 1n, m, m + 1n]))) + "09"; // MULMOD
      }
    }
    return c + push(BigInt(ri(6))) + "55";
  }

  // Memory that init code may be copied from: a tiny constructor returning code.
  const INIT = "6b" + "600160005560016000f3".padEnd(24, "0") + "6000526014600cf3"; // stores a small runtime
  function program(depth) {
    let code = "";
    // some memory content so CREATE/CALL inputs are not all zero
    if (ri(2)) code += push(BigInt("0x" + INIT.padEnd(64, "0"))) + push(0n) + "52";
    const n = 3 + ri(maxOps - 2);
    const dests = [];
    for (let i = 0; i < n; i++) {
      if (ri(12) === 0) { dests.push(code.length / 2); code += "5b"; }
      if (ri(10) === 0 && dests.length) { // a forward/backward jump, guarded by a condition
        code += push(BigInt(ri(2))) + push(BigInt(pick(dests))) + "57";
        continue;
      }
      if (ri(8) === 0) { // stack shuffles on what is there
        code += push(W()) + push(W()) + pick(["80", "81", "90", "91", "50"]);
        continue;
      }
      if (ri(30) === 0) { // BLOCKHASH of the parent (the request gives only its hash), of itself, of the future
        code += pick(["6001430340", "4340", "6005430140", "610101430340"]);
        continue;
      }
      if (ri(6) === 0) { code += precompileCall(); continue; }
      if (arith && ri(3) === 0) { code += arithRun(); continue; }
      const [op, args] = ri(25) ? pick(OPS) : pick(RARE);
      for (let j = args.length - 1; j >= 0; j--) code += push(args[j]());
      code += hexb(op, 1);
      if (ri(3) === 0) code += push(BigInt(ri(6))) + "55"; // keep a result in storage
      if (op === 0xfd || op === 0xf3 || op === 0x00 || op === 0xff || op === 0xfe) break;
    }
    // the result of RETURNDATA/memory as output
    if (ri(2)) code += push(64n) + push(0n) + "f3";
    return "0x" + code;
  }

  Object.assign(g, { rnd, ri, pick, hexb, A, word, program, EOA, PRECOMPILES, sender,
                     seed: () => seed });
  return g;
}
