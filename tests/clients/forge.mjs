// Foundry's forge and anvil, unmodified, use `parevm node --dev` as the
// chain they deploy to and fork from: `forge script --broadcast` deploys a
// contract and calls it (the same script on anvil: the same addresses,
// statuses and gas); `forge test --fork-url` runs tests on the node's state
// (the deployment read back, a call on the fork, vm.rollFork to older
// blocks, --fork-block-number); `anvil --fork-url` forks the node (its head,
// state read through it, a transaction on the fork that leaves parevm's
// state as it was). forge compiles with solc-js behind a small `solc`
// wrapper (forge asks solc --version, then --standard-json), offline.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { args, check, DEV_KEYS, eq, foundryBin, rpc, run, runCommand, startAnvil, startParevm, stopParevm } from './lib.mjs';

const opt = args();
const forgeBin = foundryBin(opt.tools, 'forge');
const castBin = foundryBin(opt.tools, 'cast');
const dir = mkdtempSync(join(tmpdir(), 'parevm-forge-'));

const COUNTER = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Counter {
    uint256 public number;
    event Set(uint256 n);
    function setNumber(uint256 n) public { number = n; emit Set(n); }
    function increment() public { number++; }
}
`;
const CHEATS = `interface Vm {
    function startBroadcast() external;
    function stopBroadcast() external;
    function rollFork(uint256) external;
    function prank(address) external;
}
`;
const DEPLOY = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
import {Counter} from "../src/Counter.sol";
${CHEATS}
contract Deploy {
    Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    function run() external returns (Counter c) {
        vm.startBroadcast();
        c = new Counter();
        c.setNumber(41);
        c.increment();
        vm.stopBroadcast();
    }
}
`;
// the deployment of the default key's first transaction
const ADDR = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const FORK_TEST = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
import {Counter} from "../src/Counter.sol";
${CHEATS}
contract CounterForkTest {
    Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    Counter c = Counter(${ADDR});
    function test_reads_the_deployment() public {
        require(block.chainid == 31337, "chain id");
        require(block.number == 3, "the fork's block");
        require(c.number() == 42, "number");
        c.increment();
        require(c.number() == 43, "increment on the fork");
    }
    function test_roll_fork_to_older_blocks() public {
        vm.rollFork(1);
        require(address(c).code.length > 0, "code at block 1");
        require(c.number() == 0, "number at block 1");
        vm.rollFork(2);
        require(c.number() == 41, "number at block 2");
        vm.rollFork(0);
        require(address(c).code.length == 0, "no code at genesis");
    }
    function test_prank_as_an_account() public {
        vm.prank(address(0xdead));
        c.setNumber(7);
        require(c.number() == 7, "set by a pranked sender");
    }
}
`;

// A project folder, solc-js behind a `solc` forge can run.
function project() {
  for (const d of ['src', 'script', 'test']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'src/Counter.sol'), COUNTER);
  writeFileSync(join(dir, 'script/Deploy.s.sol'), DEPLOY);
  writeFileSync(join(dir, 'test/CounterFork.t.sol'), FORK_TEST);
  writeFileSync(join(dir, 'foundry.toml'), '[profile.default]\nsrc = "src"\nout = "out"\nlibs = []\noffline = true\n');
  const solcjs = join(opt.tools, 'node_modules/solc');
  // (solc-js prints a note on SMT solvers to stdout, before the JSON)
  writeFileSync(join(dir, 'solc'), `#!/bin/sh
case "$1" in --version)
  echo "solc, the solidity compiler commandline interface"
  echo "Version: $(node -e "process.stdout.write(require('${solcjs}').version())")"; exit 0;; esac
for a in "$@"; do
  [ "$a" = "--standard-json" ] && { node '${solcjs}/solc.js' --standard-json | grep -v '^>>> '; exit 0; }
done
echo "solc wrapper: unsupported: $*" >&2; exit 1
`);
  chmodSync(join(dir, 'solc'), 0o755);
}

const forge = (...argv) => runCommand(forgeBin, [...argv, '--root', dir, '--use', join(dir, 'solc'), '--offline'], 180000);

// forge script --broadcast on one node: the receipts of its run file.
async function broadcast(url, chainDir) {
  const r = await forge('script', join(dir, 'script/Deploy.s.sol'), '--rpc-url', url, '--private-key', DEV_KEYS[0], '--broadcast');
  check(r.code === 0 && /ONCHAIN EXECUTION COMPLETE & SUCCESSFUL/.test(r.out), `forge script --broadcast (${chainDir})`,
        r.err || r.out.slice(-800));
  const runFile = join(dir, 'broadcast/Deploy.s.sol/31337/run-latest.json');
  const file = JSON.parse(readFileSync(runFile, 'utf8'));
  rmSync(join(dir, 'broadcast'), { recursive: true, force: true });
  return file.receipts.map((x) => ({ status: x.status, gasUsed: x.gasUsed, contract: x.contractAddress, to: x.to }));
}

run(async () => {
  project();
  const built = await forge('build');
  check(built.code === 0, 'forge build with solc-js', built.err || built.out);

  // 1. forge script --broadcast: the same receipts on parevm and anvil
  const P = await startParevm(opt.parevm);
  const A = await startAnvil(opt.tools);
  const onParevm = await broadcast(P.url, 'parevm');
  const onAnvil = await broadcast(A.url, 'anvil');
  eq(onParevm.length, 3, 'forge script: three transactions (the deployment, setNumber, increment)');
  eq(onParevm, onAnvil, 'forge script: statuses, gas used and addresses as on anvil');
  eq((onParevm[0] || {}).contract, ADDR.toLowerCase(), 'forge script: the contract address');
  const number = async (url, block = 'latest') =>
    BigInt(await rpc(url, 'eth_call', [{ to: ADDR, data: '0x8381f58a' }, block]));
  eq(await number(P.url), 42n, 'forge script: number() after the script');
  eq(await rpc(P.url, 'eth_blockNumber', []), '0x3', 'forge script: a block per transaction');
  await A.stop();

  // 2. forge test on a fork of the node, at its head and at block 2
  const tested = await forge('test', '--fork-url', P.url, '--match-test', 'test_', '-vv');
  check(tested.code === 0 && /3 passed; 0 failed/.test(tested.out), 'forge test --fork-url: 3 tests pass',
        tested.out.slice(-1500) + tested.err);
  const older = await forge('test', '--fork-url', P.url, '--fork-block-number', '2', '--match-test',
                            'test_roll_fork_to_older_blocks');
  check(older.code === 0 && /1 passed; 0 failed/.test(older.out), 'forge test --fork-block-number 2',
        older.out.slice(-1500) + older.err);
  eq(await number(P.url), 42n, 'forge test leaves the node\'s state as it was');

  // 3. anvil --fork-url: anvil forks the node's head and reads through it
  const F = await startAnvil(opt.tools, ['--fork-url', P.url]);
  eq(await rpc(F.url, 'eth_blockNumber', []), '0x3', 'anvil --fork-url: the fork starts at the node\'s head');
  eq(await rpc(F.url, 'eth_chainId', []), '0x7a69', 'anvil --fork-url: the chain id');
  eq(await rpc(F.url, 'eth_getCode', [ADDR, 'latest']), await rpc(P.url, 'eth_getCode', [ADDR, 'latest']),
     'anvil --fork-url: the contract code read through the fork');
  const head = await rpc(P.url, 'eth_getBlockByNumber', ['0x3', false]);
  const forked = await rpc(F.url, 'eth_getBlockByNumber', ['0x3', false]);
  eq(forked.hash, head.hash, 'anvil --fork-url: the fork block\'s hash');
  const sent = await runCommand(castBin, ['send', ADDR, 'increment()', '--private-key', DEV_KEYS[1], '--rpc-url', F.url]);
  check(sent.code === 0 && /status\s+1/.test(sent.out), 'cast send on the fork', sent.err || sent.out);
  eq(await number(F.url), 43n, 'anvil --fork-url: the fork\'s own state');
  eq(await number(F.url, '0x2'), 41n, 'anvil --fork-url: an older block read through the fork');
  eq(await number(P.url), 42n, 'anvil --fork-url: parevm\'s state untouched');
  await F.stop();
  await stopParevm(P);
  rmSync(dir, { recursive: true, force: true });
}, 420000);
