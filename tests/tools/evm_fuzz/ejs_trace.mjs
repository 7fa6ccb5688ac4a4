// Step-by-step comparison of `parevm statetest --trace` (EIP-3155) and of
// its structLogs (`--tracer structLogger`, geth's opcode logger) with
// EthereumJS's `step` events for the same state test (ejs.mjs --trace).
// Every step's pc, opcode, gas left, depth, stack and memory size must
// agree; the root and logs comparison of statetest does not see a step
// that costs the wrong gas when the frame runs out of gas anyway, nor a
// stack or memory size that differs on the way. Where the two tracers
// differ by convention, not by what the EVM did:
// - ejs names an undefined opcode 0xfe (INVALID); parevm gives its byte;
// - parevm, as geth, reports the implicit STOP at the end of code, and, as
//   revm, a STOP at pc 0 for empty init code; ejs reports neither: a STOP
//   step of parevm's that ejs lacks is passed over;
// - ejs's step event fails on a REVERT with too few stack items (it reads
//   the revert data); parevm, as geth, reports the step that fails;
// - the EIP-3155 refund is the frame's counter before the instruction
//   (evmone's), ejs's the transaction's after the instruction's gas rules
//   (geth's): it is compared in the transaction's own frame (depth 1),
//   except at SSTORE, whose change shows in the next step. structLogs'
//   refund is geth's, compared at every depth (see compareStructLogs).
import { spawnSync } from "node:child_process";
import path from "node:path";

// EthereumJS step event -> the fields compared (depth as EIP-3155's, from 1)
export function ejsStep(e) {
  return { pc: e.pc, op: e.opcode.code, gas: e.gasLeft, depth: e.depth + 1, refund: e.gasRefund,
           memSize: BigInt(e.memoryWordCount) * 32n, stack: e.stack.map((v) => "0x" + v.toString(16)) };
}

// parevm's EIP-3155 steps of the state test file (one case, one fork)
export function parevmSteps(parevm, file) {
  const r = spawnSync(parevm, ["statetest", "--trace", file], { maxBuffer: 1 << 30 });
  if (r.status === null) throw new Error(`parevm statetest --trace ${file}: ${r.signal || r.error}`);
  return r.stderr.toString().trim().split("\n").filter((l) => l.startsWith("{\"pc\"")).map((l) => JSON.parse(l));
}

// parevm's structLogs (geth's opcode logger) of the state test file, or
// null where the transaction is refused (nothing to trace)
export function parevmStructLogs(parevm, file) {
  const r = spawnSync(parevm, ["statetest", "--tracer", "structLogger", file], { maxBuffer: 1 << 30 });
  if (r.status === null) throw new Error(`parevm statetest --tracer structLogger ${file}: ${r.signal || r.error}`);
  const line = r.stdout.toString().split("\n").find((l) => l.startsWith("{\"case\""));
  const res = line ? JSON.parse(line) : {};
  if (!res.result && !/^tracing failed/.test(res.error || "")) throw new Error(`${file}: no structLogs: ${line}`);
  return res.result ? res.result.structLogs : null;
}

// The first difference between parevm's steps and ejs's, or null. fields(a,
// b) lists [name, parevm's, ejs's] for a step; a step of parevm's that ejs
// may lack by convention (unreported(a)) and does lack is passed over.
function firstDifference(ours, theirs, unreported, fields) {
  let i = 0, j = 0;
  for (; i < ours.length; i++, j++) {
    const a = ours[i], b = theirs[j];
    if (unreported(a) && !(b && b.pc === a.pc && b.depth === a.depth)) { j--; continue; }
    const where = `step ${i} (${a.opName || a.op} at pc ${a.pc}, depth ${a.depth})`;
    if (!b) return `parevm ${where}: EthereumJS has no more steps`;
    const d = fields(a, b).find(([, x, y]) => x !== y);
    if (d) return `${where}: ${d[0]} parevm ${d[1]}, EthereumJS ${d[2]}`;
  }
  if (j < theirs.length) return `EthereumJS step ${j} (op ${theirs[j].op} at pc ${theirs[j].pc}): parevm has no more steps`;
  return null;
}

// EIP-3155 steps: pc, opcode, depth, gas, memory size, stack, and the
// refund in the transaction's frame
export function compareSteps(ours, theirs) {
  return firstDifference(ours, theirs, (a) => a.op === 0 || (a.op === 0xfd && a.stack.length < 2), (a, b) => {
    const refund = a.depth === 1 && a.op !== 0x55;
    return [["pc", a.pc, b.pc], ["op", a.op, b.op === 0xfe && a.op !== 0xfe ? a.op : b.op], ["depth", a.depth, b.depth],
            ["gas", BigInt(a.gas), b.gas], ["memSize", BigInt(a.memSize), b.memSize],
            ["stack", a.stack.join(","), b.stack.join(",")], ["refund", refund ? BigInt(a.refund) : 0n, refund ? b.refund : 0n]];
  });
}

// structLogs: pc, depth, gas and geth's refund (the transaction's counter
// after the instruction's gas rules) at every depth. EthereumJS adds
// SELFDESTRUCT's refund after its step, and an EIP-7702 transaction's
// authorization refund outside the EVM (base: parevm's first refund).
export function compareStructLogs(logs, theirs, base) {
  return firstDifference(logs, theirs, (a) => a.op === "STOP" || (a.op === "REVERT" && a.stack.length < 2), (a, b) => {
    const refund = a.op !== "SELFDESTRUCT";
    return [["pc", a.pc, b.pc], ["depth", a.depth, b.depth], ["gas", BigInt(a.gas), b.gas],
            ["refund", refund ? BigInt(a.refund || 0) : 0n, refund ? b.refund + base : 0n]];
  });
}

// The trace check of a campaign (ejs.mjs, ejs_mutate.mjs --trace): EthereumJS
// runs a case traced, then each written case is compared with parevm's trace.
export class TraceCheck {
  constructor(parevm) { Object.assign(this, { parevm, traced: 0, untraced: 0, diffs: 0 }); }

  // expectation(fi, test) of ejs_state.mjs, with EthereumJS's steps (null
  // where its step event failed: a memory it cannot allocate, for a huge
  // offset that runs out of gas; the case then runs again untraced). Throws
  // as expectation does.
  async run(expectation, fi, test) {
    const steps = [];
    try { return { exp: await expectation(fi, test, steps, ejsStep), steps }; } catch { /* again, untraced */ }
    const exp = await expectation(fi, test);
    this.untraced++;
    return { exp, steps: null };
  }

  // Compares the case written to file (test) with EthereumJS's steps: the
  // EIP-3155 trace, then the structLogs; prints the first 40 differences.
  check(file, test, steps) {
    if (!steps) return;
    let d = compareSteps(parevmSteps(this.parevm, file), steps);
    const logs = d ? null : parevmStructLogs(this.parevm, file);
    const base = logs && logs.length && test.transaction.authorizationList ? BigInt(logs[0].refund || 0) : 0n;
    if (logs) d = compareStructLogs(logs, steps, base);
    this.traced++;
    if (d && ++this.diffs <= 40) console.log(`  TRACE ${path.basename(file, ".json")}: ${d}`);
  }

  summary() {
    return `traces: ${this.traced} cases compared step by step, ${this.diffs} differ; ${this.untraced} not traced (EthereumJS's step event failed)`;
  }

  ok(made) { return !this.diffs && this.traced >= made * 0.9; }
}
