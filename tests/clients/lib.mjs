// Shared by the client tests (tests/clients/*.mjs): finding the npm tools
// that scripts/install-npm-tools.sh put into .npm-tools/, compiling
// Token.sol with solc-js, starting `parevm node --dev` and anvil on free
// loopback ports and stopping them, JSON-RPC over HTTP, and the checks'
// bookkeeping ("N passed, N failed", exit status 1 on any failure).
//
// Every script takes --parevm PATH (the binary) and --tools DIR (.npm-tools).
// A missing tool is a failure, never a skip.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export function args() {
  const out = { parevm: null, tools: join(here, '../../.npm-tools') };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--parevm') out.parevm = a[++i];
    else if (a[i] === '--tools') out.tools = a[++i];
    else out[a[i].replace(/^--/, '')] = a[i + 1] && !a[i + 1].startsWith('--') ? a[++i] : true;
  }
  out.tools = resolve(out.tools);
  if (!out.parevm || !existsSync(out.parevm)) die(`parevm binary not found (--parevm ${out.parevm})`);
  if (!existsSync(join(out.tools, 'node_modules')))
    die(`npm tools missing in ${out.tools}: run scripts/install-deps.sh npm (make test does)`);
  return out;
}

export function die(msg) {
  console.error(`FAIL ${msg}`);
  killAll();
  process.exit(1);
}

// require() resolving from .npm-tools (viem, ethers, solc).
export function toolRequire(tools) {
  return createRequire(join(tools, 'package.json'));
}

// The Foundry binary itself (not the npm wrapper, so that signals reach it).
export function foundryBin(tools, name) {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  const direct = join(tools, `node_modules/@foundry-rs/${name}-${process.platform}-${arch}/bin/${name}`);
  if (existsSync(direct)) return direct;
  const wrapper = join(tools, `node_modules/.bin/${name}`);
  if (existsSync(wrapper)) return wrapper;
  die(`${name} not installed in ${tools}`);
}

// ---- checks -------------------------------------------------------------------

let passed = 0, failed = 0, lastCheck = '(none)';

export function check(cond, what, detail) {
  lastCheck = what;
  if (cond) passed++;
  else {
    failed++;
    console.log(`FAIL ${what}${detail !== undefined ? ': ' + fmt(detail) : ''}`);
  }
  return !!cond;
}

export function eq(got, want, what) {
  const g = fmt(got), w = fmt(want);
  return check(g === w, what, g === w ? undefined : `got ${g}, want ${w}`);
}

function fmt(v) {
  return typeof v === 'string' ? v : JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString() : x));
}

// Runs main with a deadline; prints the tally and exits.
export async function run(main, timeoutMs = 180000) {
  const timer = setTimeout(() => die(`timed out after ${timeoutMs / 1000} s (${passed} checks passed, the last: ${lastCheck})`),
                           timeoutMs);
  try {
    await main();
  } catch (e) {
    failed++;
    console.log(`FAIL uncaught: ${e && e.stack ? e.stack : e}`);
  }
  clearTimeout(timer);
  await stopAll();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed || !passed ? 1 : 0);
}

// ---- solc ---------------------------------------------------------------------

// Compiles Token.sol (or another file here); returns { Token: {abi,
// bytecode}, Misc, Doomed... }. The output is cached in the working
// directory by source and compiler version (the tests run from the build
// folder), so several scripts compile once.
export function compile(tools, file = 'Token.sol') {
  const solc = toolRequire(tools)('solc');
  const source = readFileSync(join(here, file), 'utf8');
  const key = createHash('sha256').update(source).update(solc.version()).digest('hex').slice(0, 16);
  const cache = `clients-solc-${key}.json`;
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8'));
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: source } },
    settings: {
      evmVersion: 'prague',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors || []).filter((e) => e.severity === 'error');
  if (errors.length) die(`solc: ${errors.map((e) => e.formattedMessage).join('\n')}`);
  const res = {};
  for (const [name, c] of Object.entries(out.contracts[file]))
    res[name] = { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object, runtime: '0x' + c.evm.deployedBytecode.object };
  writeFileSync(cache + '.tmp' + process.pid, JSON.stringify(res));
  renameSync(cache + '.tmp' + process.pid, cache);
  return res;
}

// ---- processes ------------------------------------------------------------------

const children = new Set();

function killAll() {
  for (const c of children) c.proc.kill('SIGKILL');
}

async function stopAll() {
  for (const c of [...children]) await c.stop();
}

// Spawns cmd and waits for the line that gives its port.
function startProcess(name, cmd, argv, portRe) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '', done = false;
    const child = { name, proc, exited: null, datadir: null, stdout: () => out };
    const exited = new Promise((res) => proc.on('exit', (code, sig) => res((child.exited = { code, sig }))));
    child.stop = async () => {
      if (!children.has(child)) return child.exited;
      children.delete(child);
      if (!child.exited) proc.kill('SIGTERM');
      const kill = setTimeout(() => proc.kill('SIGKILL'), 15000);
      const st = await exited;
      clearTimeout(kill);
      return st;
    };
    children.add(child);
    proc.stdout.on('data', (d) => {
      out += d;
      const dd = /^datadir (\S+)/m.exec(out);
      if (dd) child.datadir = dd[1];
      const m = portRe.exec(out);
      if (m && !done) {
        done = true;
        child.port = +m[1];
        child.url = `http://127.0.0.1:${child.port}`;
        resolve(child);
      }
    });
    proc.stderr.on('data', (d) => {
      err += d;
      if (err.length > 1 << 16) err = err.slice(-(1 << 15));
    });
    child.stderr = () => err;
    proc.on('exit', (code) => {
      if (!done) {
        done = true;
        children.delete(child);
        reject(new Error(`${name} exited (${code}) before listening:\n${out}\n${err}`));
      }
    });
  });
}

// `parevm node --dev` on a free port (extra: more flags; quiet: false
// keeps its messages, console.log's among them).
export function startParevm(bin, extra = [], { quiet = true } = {}) {
  return startProcess('parevm', bin, ['node', '--dev', '--http.port', '0', ...(quiet ? ['--quiet'] : []), ...extra],
                      /Listening on 127\.0\.0\.1:(\d+)/);
}

export function startAnvil(tools, extra = []) {
  return startProcess('anvil', foundryBin(tools, 'anvil'), ['--port', '0', ...extra], /Listening on 127\.0\.0\.1:(\d+)/);
}

// Stops parevm with SIGTERM: it must exit 0 and remove its temporary datadir.
export async function stopParevm(p) {
  const st = await p.stop();
  eq(st && st.code, 0, 'parevm node exits 0 on SIGTERM');
  if (p.datadir) check(!existsSync(p.datadir), 'parevm node removes its temporary datadir', p.datadir);
}

// Resolves with the first value done() gets, or rejects after ms: for
// pushes (subscriptions, events) a test waits on.
export function waiter(what, ms = 15000) {
  let resolve, reject;
  const p = new Promise((res, rej) => { resolve = res; reject = rej; });
  const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  return { promise: p.finally(() => clearTimeout(t)), done: resolve };
}

// Runs cmd to its end (killed after timeoutMs): { code, out, err }, trimmed.
export function runCommand(cmd, argv, timeoutMs = 60000) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, out: out.trim(), err: err.trim() }); });
  });
}

// ---- JSON-RPC ---------------------------------------------------------------------

export class RpcError extends Error {
  constructor(e) {
    super(`${e.code}: ${e.message}`);
    this.code = e.code;
    this.data = e.data;
  }
}

let nextId = 1;

export async function rpc(url, method, params = []) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
  });
  const j = await r.json();
  if (j.error) throw new RpcError(j.error);
  return j.result;
}

// The error of a call that must fail (null when it succeeded).
export async function rpcError(url, method, params = []) {
  try {
    await rpc(url, method, params);
    return null;
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
}

// POSTs a raw body; returns { status, text, json (or undefined) }.
export async function post(url, body, headers = { 'content-type': 'application/json' }) {
  const r = await fetch(url, { method: 'POST', headers, body });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, text, json };
}

// The test mnemonic's first accounts (anvil's and `parevm node --dev`'s).
export const DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
];
export const DEV_ADDRS = [
  '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
  '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
  '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc',
  '0x90f79bf6eb2c4f870365e785982e1f101e93b906',
  '0x15d34aaf54267db7d7c367839aaf71a00a2c6a65',
];
