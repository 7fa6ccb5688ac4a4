#!/usr/bin/env bash
# Installs the Debian packages parevm builds against. Idempotent: quiet and
# fast when everything is already there.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libsecp256k1-dev libssl-dev libgmp-dev
      liblmdb-dev libjansson-dev libmicrohttpd-dev zlib1g-dev)
# extra groups: `install-deps.sh npm` (benchmarks; the JS clients of the node
# tests, into .npm-tools/ by install-npm-tools.sh), `install-deps.sh clang` (fuzzing)
npm_tools=false
for extra in "$@"; do
    case "$extra" in
    npm) command -v npm >/dev/null || pkgs+=(npm); npm_tools=true ;;
    clang) pkgs+=(clang) ;;
    *) echo "install-deps: unknown group '$extra'" >&2; exit 2 ;;
    esac
done
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if $npm_tools; then
    "$(dirname "$0")/install-npm-tools.sh"
fi
