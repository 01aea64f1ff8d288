#!/usr/bin/env bash
# The main job, from a fresh Debian machine with Node 20, as root: installs what it needs, brings up
# the host lab (ha-stacked: 2 keepalived+haproxy hosts, 3 control-plane hosts with stacked etcd,
# 2 workers), then plans, applies and plans again with hactl, shows the nodes through the VIP, and
# tears the lab down.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npm run --silent build

topology=${HACTL_DEMO_TOPOLOGY:-ha-stacked}
spec=examples/lab/$topology.yaml
hactl() { node bin/run.js "$@"; }
step() { printf '\n== %s\n' "$*"; }

cleanup() { step "lab down"; npm run --silent lab -- down || true; }
trap cleanup EXIT INT TERM

# First: the lab writes the key of its package repositories that the spec names (keyFile).
step "lab up ($topology)"
npm run --silent lab -- up --topology "$topology" --fresh
step "validate $spec"
hactl validate -f "$spec"
step "graph"
hactl graph -f "$spec" -o text
step "facts (read-only observation of every host over SSH)"
hactl facts -f "$spec"
step "plan (read-only)"
hactl plan -f "$spec"
step "apply"
started=$(date +%s)
hactl apply -f "$spec" --auto-approve
echo "apply took $(( $(date +%s) - started )) s"
step "plan again: no changes expected (--detailed-exitcode: 0 = none, 2 = changes)"
hactl plan -f "$spec" --detailed-exitcode

step "nodes, through the VIP"
read -r cp1 vip < <(node -e '
  const s = require("./.lab/hosts.json");
  const cp = s.hosts.find((h) => h.roles.includes("control-plane"));
  const spec = require("fs").readFileSync(process.argv[1], "utf8");
  const vip = /controlPlaneEndpoint:\s*\n\s*host:\s*(\S+)/.exec(spec);
  console.log(cp.address, vip ? vip[1] : cp.address);' "$spec")
ssh -i .lab/ssh/id_ed25519 -o UserKnownHostsFile=.lab/ssh/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes \
  "root@$cp1" kubectl --kubeconfig /etc/kubernetes/admin.conf --server "https://$vip:6443" get nodes -o wide
