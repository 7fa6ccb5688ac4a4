#!/usr/bin/env bash
# Fetches the Uniswap V2 build artifacts the gigagas benchmark deploys, at
# pinned versions, with `npm pack`, into .cache/uniswap (ignored by git):
#   @uniswap/v2-core@1.0.1            ERC20, UniswapV2Factory, UniswapV2Pair
#   @uniswap/v2-periphery@1.1.0-beta.0 WETH9, UniswapV2Router02
# Idempotent: does nothing when the files are already there.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/uniswap
if [ -f "$dest/v2-core/build/ERC20.json" ] && [ -f "$dest/v2-periphery/build/UniswapV2Router02.json" ]; then
    exit 0
fi
command -v npm >/dev/null || { echo "fetch-uniswap: npm is required (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @uniswap/v2-core@1.0.1 @uniswap/v2-periphery@1.1.0-beta.0 >/dev/null)
mkdir -p "$dest/v2-core" "$dest/v2-periphery"
tar xzf "$tmp"/uniswap-v2-core-1.0.1.tgz -C "$dest/v2-core" --strip-components=1 package/build
tar xzf "$tmp"/uniswap-v2-periphery-1.1.0-beta.0.tgz -C "$dest/v2-periphery" --strip-components=1 package/build
echo "fetch-uniswap: artifacts in $dest"
