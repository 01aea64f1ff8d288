#!/usr/bin/env bash
# Installs everything hactl and its lab need on a Debian machine, as root. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
