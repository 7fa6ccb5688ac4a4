// Starts Foundry's anvil on a random loopback port for the tools that
// compare parevm with it (anvil_trace/crosscheck.mjs, evm_fuzz/anvil.mjs):
// returns { rpc(method, params), node } once it answers; it is killed when
// the process exits.
import { spawn } from "node:child_process";

const STRING_MAX = 512 * 2 ** 20;

export async function startAnvil(bin, args) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const node = spawn(bin, ["--port", String(port), ...args], { stdio: "ignore" });
  process.on("exit", () => node.kill());
  let id = 0;
  async function rpc(method, params = []) {
    const r = await fetch(`http://127.0.0.1:${port}`, { method: "POST", headers: { "content-type": "application/json" },
                                                       body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }) });
    // an answer past what node holds as one string (512 MiB) is refused
    // with the error the callers skip such traces on; decoding one past
    // 2 GiB would end node itself (a V8 fatal error, not an exception)
    const tooLong = (n) => Object.assign(new Error(`${method}: an answer of ${n} bytes`), { code: "ERR_STRING_TOO_LONG" });
    const declared = Number(r.headers.get("content-length") || 0);
    if (declared > STRING_MAX) { await r.body?.cancel(); throw tooLong(declared); }
    let buf;
    try { buf = Buffer.from(await r.arrayBuffer()); } catch (e) { if (e instanceof RangeError) throw tooLong("over 4 GiB"); throw e; }
    if (buf.length > STRING_MAX) throw tooLong(buf.length);
    const j = JSON.parse(buf.toString());
    if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
    return j.result;
  }
  for (let i = 0; ; i++) {
    try { await rpc("eth_chainId"); break; } catch (e) { if (i > 100) throw e; await new Promise((r) => setTimeout(r, 100)); }
  }
  return { rpc, node };
}
