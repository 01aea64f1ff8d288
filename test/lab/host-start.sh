#!/usr/bin/env bash
# Starts one lab host; run detached (own session) by the lab, which records this PID.
# Joins the host's cgroups first so that its cgroup namespace is rooted there, then its network
# namespace (nsenter, not `ip netns exec`, which remounts /sys), then new mount/UTS/PID/IPC/cgroup
# namespaces whose PID 1 is host-init.sh.
set -euo pipefail
for procs in $HL_CGROUP_PROCS; do
  echo $$ > "$procs"
done
exec nsenter --net="/run/netns/$HL_NETNS" -- \
  unshare --mount --uts --pid --ipc --cgroup --fork --kill-child --propagation private -- \
  bash "$HL_INIT"
