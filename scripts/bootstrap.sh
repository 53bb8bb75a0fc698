#!/usr/bin/env bash
# Sets up a checkout: system packages (apt, with sudo when not root), npm
# dependencies (native addons compile here: better-sqlite3 takes ~100 s), and
# the build. `--test` adds what the test suite needs (ffmpeg, mpv, OpenSSH's
# server for the SFTP tests, which start their own sshd on loopback).
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(fuse3 libfuse2)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(ffmpeg mpv util-linux procps systemd python3 zsh fish openssh-server openssh-client)
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

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
