#!/usr/bin/env bash
# Installs the real Ethereum clients that the node tests drive (viem, ethers,
# solc-js, Foundry's forge, cast and anvil), EthereumJS's VM (the EVM differential, tests/tools/evm_fuzz) and kzg-wasm (blob sidecars for tests/clients/blobs.mjs) at the versions pinned in
# scripts/npm-tools/package-lock.json, into .npm-tools/ (ignored by git).
# Install scripts are not run: the Foundry binaries come from their
# per-platform packages, so nothing is downloaded outside the registry install
# and nothing at all at test time. Idempotent: a stamp of the lock file makes a
# second run a no-op. Prints where the tools are.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/scripts/npm-tools
dest=$root/.npm-tools
command -v npm >/dev/null || { echo "install-npm-tools: npm is required (install-deps.sh npm)" >&2; exit 1; }
stamp=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$dest/.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "install-npm-tools: installing into $dest"
    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$src/package.json" "$src/package-lock.json" "$dest/"
    (cd "$dest" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$stamp" >"$dest/.stamp"
fi
# Check that each tool runs here (a broken install must fail now, not in a test).
bin=$dest/node_modules/.bin
"$bin/anvil" --version >/dev/null
"$bin/cast" --version >/dev/null
"$bin/forge" --version >/dev/null
"$bin/solcjs" --version >/dev/null
(cd "$dest" && node -e 'require("ethers"); import("viem").then(v => { if (!v.createPublicClient) process.exit(1); })')
(cd "$dest" && node -e 'import("@ethereumjs/vm").then(v => { if (!v.createVM) process.exit(1); })')
(cd "$dest" && node -e 'import("kzg-wasm").then(k => { if (!k.loadKZG) process.exit(1); })')
