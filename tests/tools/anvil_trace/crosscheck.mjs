// Cross-checks parevm's geth-format tracers against anvil's debug_traceTransaction
// (Foundry's geth-compatible tracers) on hand-assembled scenarios: each scenario's
// contracts are installed with anvil_setCode/anvil_setStorageAt, one transaction is
// mined, traced by anvil with the opcode logger, callTracer (withLog) and
// prestateTracer (plain and diffMode), and traced by `parevm trace` on the same
// pre-state, block header and raw transaction. Differences are printed field by
// field; the exit status is 0 either way (this records, it does not judge: anvil
// is not geth).
//
//   node crosscheck.mjs PAREVM [ANVIL] [OUTDIR]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { startAnvil } from "../anvil_node.mjs";
import path from "node:path";
import os from "node:os";

const parevm = process.argv[2];
const anvil = process.argv[3] || path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../../.npm-tools/node_modules/.bin/anvil");
const outDir = process.argv[4] || fs.mkdtempSync(path.join(os.tmpdir(), "anvil-trace-"));
if (!parevm) { console.error("usage: node crosscheck.mjs PAREVM [ANVIL] [OUTDIR]"); process.exit(2); }

// ---- a tiny assembler ----
const OPS = { STOP: 0x00, ADD: 0x01, MUL: 0x02, SUB: 0x03, LT: 0x10, EQ: 0x14, ISZERO: 0x15, SHL: 0x1b,
  CALLER: 0x33, CALLVALUE: 0x34, CALLDATALOAD: 0x35, CALLDATASIZE: 0x36, RETURNDATASIZE: 0x3d, BALANCE: 0x31,
  EXTCODESIZE: 0x3b, POP: 0x50, MLOAD: 0x51, MSTORE: 0x52, MSTORE8: 0x53, SLOAD: 0x54, SSTORE: 0x55, JUMP: 0x56,
  JUMPI: 0x57, GAS: 0x5a, JUMPDEST: 0x5b, TSTORE: 0x5d, LOG0: 0xa0, LOG1: 0xa1, LOG2: 0xa2, CREATE: 0xf0, CALL: 0xf1,
  CALLCODE: 0xf2, RETURN: 0xf3, DELEGATECALL: 0xf4, CREATE2: 0xf5, STATICCALL: 0xfa, REVERT: 0xfd, INVALID: 0xfe,
  SELFDESTRUCT: 0xff };
function asm(...items) {
  let out = "";
  for (const it of items) {
    if (typeof it === "string" && it in OPS) out += OPS[it].toString(16).padStart(2, "0");
    else if (typeof it === "string" && it.startsWith("raw:")) out += it.slice(4);
    else { // a push: number, bigint or hex string
      let hex = typeof it === "string" ? it.replace(/^0x/, "") : BigInt(it).toString(16);
      if (hex.length % 2) hex = "0" + hex;
      if (hex === "") hex = "00";
      const n = hex.length / 2;
      out += (0x5f + n).toString(16) + hex;
    }
  }
  return "0x" + out;
}
const A = (n) => "0x" + n.toString(16).padStart(40, "0");

// ---- scenarios: contracts (code, storage, balance) and one transaction ----
const T_REVERT = A(0x7100), C_CALLER = A(0xc100), FACTORY = A(0xf100), DELEG = A(0xd100), LIB = A(0x1100),
  DOOMED = A(0xde00), BENEF = A(0xbe00), LOGGER = A(0x1000), LOG_REVERT = A(0x1001), REFUNDER = A(0x5500),
  PRE_USER = A(0x0200), DELEGATED_EOA = A(0xee00), IMPL = A(0x1e00), OOG = A(0x0090), OOG_CALLER = A(0x0091),
  VALUE_SENDER = A(0x0a00), KILLER_FACTORY = A(0xf200);
// accounts scenarios touch without installing them (earlier scenarios may have funded them)
const EXTRA = [BENEF, A(0xabcdef), A(0xabcdee), A(2), A(4)];
const revertNope = asm(0x08c379a0, 0xe0, "SHL", 0, "MSTORE", 0x20, 4, "MSTORE", 4, 0x24, "MSTORE",
  0x6e6f7065, 0xe0, "SHL", 0x44, "MSTORE", 0x64, 0, "REVERT");
const callOf = (op, to, gas, value) => op === "CALL" || op === "CALLCODE"
  ? [0, 0, 0, 0, value, to, gas, op] : [0, 0, 0, 0, to, gas, op];
const initCode = "602a60005260206000f3"; // returns 32 bytes ending in 0x2a
const scenarios = [
  { name: "call_reverts_with_reason", contracts: { [T_REVERT]: { code: revertNope }, [C_CALLER]: { code: asm(...callOf("CALL", T_REVERT, 50000, 0), 0, "SSTORE", "STOP") } }, to: C_CALLER },
  { name: "create2", contracts: { [FACTORY]: { code: asm("0x" + initCode, 0, "MSTORE", 1, 10, 22, 0, "CREATE2", 0, "SSTORE", "STOP") } }, to: FACTORY },
  { name: "delegatecall", contracts: { [LIB]: { code: asm("CALLER", 1, "SSTORE", 0xab, 0, "MSTORE", 0x20, 0, "RETURN") }, [DELEG]: { code: asm(...callOf("DELEGATECALL", LIB, 100000), 0, "SSTORE", "STOP") } }, to: DELEG, value: 5n },
  { name: "selfdestruct_existing", contracts: { [DOOMED]: { code: asm(BENEF, "SELFDESTRUCT"), balance: 1000n } }, to: DOOMED },
  { name: "selfdestruct_created", contracts: { [KILLER_FACTORY]: { code: asm("0x73" + BENEF.slice(2) + "ff", 0, "MSTORE", 22, 10, 0x3e8, "CREATE", 0, "SSTORE", "STOP"), balance: 5000n } }, to: KILLER_FACTORY },
  { name: "logs_and_reverted_logs", contracts: {
      [LOG_REVERT]: { code: asm(0x77, 0, "MSTORE", 0x20, 0, "LOG0", 0, 0, "REVERT") },
      [LOGGER]: { code: asm(0xdeadbeef, 0, "MSTORE", 0xaa, 0xbb, 4, 28, "LOG2", ...callOf("CALL", LOG_REVERT, 30000, 0), "POP", 0x20, 0, "LOG0", "STOP") } }, to: LOGGER },
  { name: "sstore_refunds", contracts: { [REFUNDER]: { code: asm(0, 1, "SSTORE", 7, 2, "SSTORE", 0, 2, "SSTORE", 9, 3, "SSTORE", "STOP"), storage: { "0x01": "0x05", "0x03": "0x04" } } }, to: REFUNDER },
  { name: "precompiles", contracts: { [PRE_USER]: { code: asm(0x1234, 0, "MSTORE", 0x20, 0x20, 0x20, 0, 2, 0xffff, "STATICCALL", "POP", 0x20, 0x40, 0x20, 0x20, 0, 4, 0xffff, "CALL", "POP", 0x40, 0, "RETURN") } }, to: PRE_USER },
  { name: "eip7702_delegated_account", contracts: { [IMPL]: { code: asm("CALLER", 0, "SSTORE", "CALLVALUE", 1, "SSTORE", "STOP") }, [DELEGATED_EOA]: { code: "0xef0100" + IMPL.slice(2) }, [C_CALLER]: { code: asm(...callOf("CALL", DELEGATED_EOA, 100000, 3), "STOP"), balance: 10n } }, to: C_CALLER },
  { name: "out_of_gas_and_invalid", contracts: { [OOG]: { code: asm("JUMPDEST", 1, 0, "SSTORE", 0, "JUMP") }, [OOG_CALLER]: { code: asm(...callOf("CALL", OOG, 30000, 0), ...callOf("CALL", A(0x0092), 1000, 0), "INVALID") }, [A(0x0092)]: { code: asm("POP") } }, to: OOG_CALLER, gas: 200000n },
  { name: "memory_expansion_oog", contracts: { [A(0x0093)]: { code: asm(1, 0x10000, "MSTORE") }, [A(0x0094)]: { code: asm(1, "0x" + "ff".repeat(32), "MSTORE") },
      [A(0x0095)]: { code: asm(...callOf("CALL", A(0x0093), 5000, 0), ...callOf("CALL", A(0x0094), 5000, 0), "STOP") } }, to: A(0x0095) },
  { name: "value_to_new_account_and_too_poor", contracts: { [VALUE_SENDER]: { code: asm(...callOf("CALL", A(0xabcdef), 0, 7), "POP", ...callOf("CALL", A(0xabcdee), 0, 1000), "POP", A(0xabcdef), "BALANCE", 0, "SSTORE", "STOP"), balance: 10n } }, to: VALUE_SENDER },
];
const configs = [
  ["structLogs", {}],
  ["structLogs_memory", { enableMemory: true, enableReturnData: true }],
  ["callTracer", { tracer: "callTracer", tracerConfig: { withLog: true } }],
  ["prestateTracer", { tracer: "prestateTracer" }],
  ["prestateTracer_diff", { tracer: "prestateTracer", tracerConfig: { diffMode: true } }],
];

// ---- anvil ----
const { rpc, node } = await startAnvil(anvil, ["--hardfork", "prague", "--steps-tracing", "--silent"]);
const sender = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const hex = (v) => "0x" + BigInt(v).toString(16);

function diff(a, b, where, out) {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) diff(a[k], b[k], `${where}.${k}`, out);
    return;
  }
  out.push(`${where}: anvil ${JSON.stringify(a)?.slice(0, 160)} parevm ${JSON.stringify(b)?.slice(0, 160)}`);
}

// anvil's tracers (revm-inspectors) differ from geth v1.17 in known, documented
// ways; normalize (unless RAW=1) so that the remaining differences stand out:
//  - structLogs: refund 0, empty memory and returnData are written (geth omits
//    them); the refund is the counter before the instruction (geth's is after
//    its gas rules: SSTORE's own refund shows on it); CREATE's gasCost includes
//    the gas handed to the init code (geth's does not);
//  - callTracer: the top frame's gas is the gas after intrinsic gas (geth's is
//    the transaction's gas limit); error strings are revm's ("StackUnderflow");
//  - prestateTracer: no codeHash, and empty accounts are kept in pre.
const RAW = process.env.RAW === "1";
function normalizeStructLogs(anv, ours) {
  const logs = anv.structLogs || [];
  for (let i = 0; i < logs.length; i++) {
    const e = logs[i];
    if ((e.op === "SSTORE" || e.op === "SELFDESTRUCT") && logs[i + 1] && logs[i + 1].depth === e.depth) e.refund = logs[i + 1].refund;
    if (e.refund === 0) delete e.refund;
    if (e.returnData === "0x") delete e.returnData;
    if (Array.isArray(e.memory) && e.memory.length === 0) delete e.memory;
    if (e.op === "CREATE" || e.op === "CREATE2") { delete e.gasCost; if (ours.structLogs?.[i]) delete ours.structLogs[i].gasCost; }
  }
}
function normalizePrestate(anv, ours) {
  const strip = (m) => { for (const a of Object.values(m || {})) delete a.codeHash; };
  const dropEmpty = (m) => { for (const [k, a] of Object.entries(m || {})) if (JSON.stringify(a) === '{"balance":"0x0"}') delete m[k]; };
  if (ours.pre) { strip(ours.pre); strip(ours.post); dropEmpty(anv.pre); } else { strip(ours); dropEmpty(anv); }
}
function normalize(cname, anv, ours) {
  if (RAW || !ours) return;
  if (cname.startsWith("structLogs")) normalizeStructLogs(anv, ours);
  if (cname === "callTracer") { delete anv.gas; delete ours.gas; }
  if (cname.startsWith("prestate")) normalizePrestate(anv, ours);
}

let total = 0;
for (const sc of scenarios) {
  const pre = {};
  for (const [addr, c] of Object.entries(sc.contracts)) {
    await rpc("anvil_setCode", [addr, c.code]);
    await rpc("anvil_setBalance", [addr, hex(c.balance || 0n)]);
    for (const [k, v] of Object.entries(c.storage || {})) await rpc("anvil_setStorageAt", [addr, "0x" + BigInt(k).toString(16).padStart(64, "0"), "0x" + BigInt(v).toString(16).padStart(64, "0")]);
  }
  const parent = await rpc("eth_getBlockByNumber", ["latest", false]);
  // everything the transaction may read, as it is before the block
  const accounts = new Set([sender, parent.miner.toLowerCase(), ...Object.keys(sc.contracts), ...EXTRA]);
  for (const a of accounts) {
    const storage = {};
    for (const k of Object.keys(sc.contracts[a]?.storage || {})) storage[k] = await rpc("eth_getStorageAt", [a, k, "latest"]);
    pre[a] = { balance: await rpc("eth_getBalance", [a, "latest"]), nonce: await rpc("eth_getTransactionCount", [a, "latest"]), code: await rpc("eth_getCode", [a, "latest"]), storage };
  }
  const txHash = await rpc("eth_sendTransaction", [{ from: sender, to: sc.to, gas: hex(sc.gas || 1000000n), value: hex(sc.value || 0n), maxFeePerGas: hex(10n ** 10n), maxPriorityFeePerGas: hex(1n) }]);
  let receipt = null;
  for (let i = 0; !receipt && i < 100; i++) {
    receipt = await rpc("eth_getTransactionReceipt", [txHash]);
    if (!receipt) await new Promise((r) => setTimeout(r, 50));
  }
  const blk = await rpc("eth_getBlockByNumber", [receipt.blockNumber, false]);
  const raw = await rpc("eth_getRawTransactionByHash", [txHash]);
  const block = { number: blk.number, timestamp: blk.timestamp, gasLimit: blk.gasLimit, baseFee: blk.baseFeePerGas, coinbase: blk.miner, prevRandao: blk.mixHash, difficulty: blk.difficulty, parentHash: blk.parentHash, hash: blk.hash };
  if (blk.excessBlobGas) block.excessBlobGas = blk.excessBlobGas;
  for (const [cname, cfg] of configs) {
    const theirs = await rpc("debug_traceTransaction", [txHash, cfg]);
    const req = { fork: "Prague", chainId: 31337, pre, block, transactions: [raw], txIndex: 0, config: cfg };
    const file = path.join(outDir, `${sc.name}.${cname}.json`);
    fs.writeFileSync(file, JSON.stringify(req, null, 1));
    fs.writeFileSync(file.replace(/\.json$/, ".anvil.json"), JSON.stringify(theirs, null, 1));
    let ours;
    try { ours = JSON.parse(execFileSync(parevm, ["trace", file]).toString()); } catch (e) { ours = { error: String(e.stdout || e) }; }
    const out = [];
    if (ours.error) out.push(`parevm error: ${ours.error}`);
    else {
      normalize(cname, theirs, ours.result);
      diff(theirs, ours.result, "", out);
    }
    total += out.length;
    console.log(`${sc.name} ${cname}: ${out.length ? out.length + " differences" : "identical"}`);
    for (const l of out.slice(0, 12)) console.log("   " + l);
    if (out.length > 12) console.log(`   ... ${out.length - 12} more`);
  }
}
console.log(`${total} differences in all; requests and anvil's traces in ${outDir}`);
node.kill();
