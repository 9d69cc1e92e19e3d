#!/usr/bin/env bash
# ctest browser_setup: install the DevTools-protocol client the browser tests use
# (chrome-remote-interface, pinned by package-lock.json) into the build tree, BUILD/browser/.
# npm is used for these browser tests only; nothing of it reaches the library or the program.
# Skips the download when the locked version is already there. Fails (never skips) without node/npm.
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: setup.sh BUILD/browser}
command -v node >/dev/null || { echo "browser_setup: node is not installed (scripts/install-deps.sh installs nodejs)" >&2; exit 1; }
command -v npm >/dev/null || { echo "browser_setup: npm is not installed (scripts/install-deps.sh installs npm)" >&2; exit 1; }
mkdir -p "$dest"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
want=$(node -e 'const l=require(process.argv[1]);console.log(l.packages["node_modules/chrome-remote-interface"].version)' "$dest/package-lock.json")
have=$(node -e 'try{console.log(require(process.argv[1]).version)}catch(e){console.log("none")}' "$dest/node_modules/chrome-remote-interface/package.json")
if [ "$have" = "$want" ]; then
  echo "browser_setup: chrome-remote-interface $have already in $dest"
  exit 0
fi
cd "$dest"
npm ci --no-audit --no-fund --loglevel=error
echo "browser_setup: installed chrome-remote-interface $want into $dest"
