// Starts Foundry's anvil on a random loopback port for the tools that
// compare parevm with it (anvil_trace/crosscheck.mjs, evm_fuzz/anvil.mjs):
// returns { rpc(method, params), node } once it answers; it is killed when
// the process exits.
import { spawn } from "node:child_process";

export async function startAnvil(bin, args) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const node = spawn(bin, ["--port", String(port), ...args], { stdio: "ignore" });
  process.on("exit", () => node.kill());
  let id = 0;
  async function rpc(method, params = []) {
    const r = await fetch(`http://127.0.0.1:${port}`, { method: "POST", headers: { "content-type": "application/json" },
                                                       body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }) });
    const j = await r.json();
    if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
    return j.result;
  }
  for (let i = 0; ; i++) {
    try { await rpc("eth_chainId"); break; } catch (e) { if (i > 100) throw e; await new Promise((r) => setTimeout(r, 100)); }
  }
  return { rpc, node };
}
