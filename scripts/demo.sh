#!/usr/bin/env bash
# The main job, from a fresh Debian machine with Node 20, as root: installs what it needs, brings up
# the host lab, validates and graphs the lab cluster spec, observes the real lab hosts, tears down.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npm run --silent build

topology=${HACTL_DEMO_TOPOLOGY:-ha-stacked}
spec=examples/lab/$topology.yaml
hactl() { node bin/run.js "$@"; }

cleanup() { npm run --silent lab -- down || true; }
trap cleanup EXIT INT TERM

echo "== validate $spec"
hactl validate -f "$spec"
echo "== graph"
hactl graph -f "$spec" --format text
echo "== lab up ($topology)"
npm run --silent lab -- up --topology "$topology"
echo "== facts (read-only observation of every host over SSH)"
hactl facts -f "$spec"
