#!/usr/bin/env bash
# Loopback harness for the stand-in tests on this machine: each "node" is a PID, mount, UTS and
# network namespace whose eth0 hangs off a bridge inside a private "switch" namespace, so nothing
# touches the root namespace's network. Kubernetes paths are bind mounts of per-node directories.
#   harness.sh switch DIR                 start the switch namespace
#   harness.sh node DIR NAME IP ROOTFS    start a node (ROOTFS: the extracted packages)
#   harness.sh exec DIR NAME CMD...       run a command inside a node
#   harness.sh down DIR                   kill every namespace this harness started (by recorded PID)
set -euo pipefail
cmd=$1; DIR=$2; shift 2
mkdir -p "$DIR"
# Mount points the nodes bind their own directories onto (empty directories on this machine).
MOUNTS="/etc/kubernetes /var/lib/kubelet /var/lib/etcd /var/lib/kube-standins /etc/cni/net.d /var/log/pods /run/containerd /run/kubelet-standin /usr/lib/kube-standins"

init_pid() { # the PID of the namespace's first process (the child of the recorded unshare)
  local p; p=$(cat "$1")
  for _ in $(seq 50); do
    c=$(cat /proc/"$p"/task/"$p"/children 2>/dev/null | awk '{print $1}')
    [ -n "$c" ] && { echo "$c"; return; }
    sleep 0.1
  done
  echo "no child of $p" >&2; exit 1
}

case $cmd in
switch)
  setsid unshare --net --kill-child --fork sleep infinity </dev/null >/dev/null 2>&1 &
  echo $! >"$DIR/switch.pid"
  S=$(init_pid "$DIR/switch.pid")
  nsenter -t "$S" -n sh -c 'ip link set lo up && ip link add br0 type bridge && ip link set br0 up'
  ;;
node)
  NAME=$1 IP=$2 ROOTFS=$3
  N=$DIR/$NAME
  for m in $MOUNTS; do mkdir -p "$m" "$N$m"; done
  cat >"$N.init" <<INIT
set -e
mount --make-rprivate /
for m in $MOUNTS; do mount --bind "$N\$m" "\$m"; done
mount --bind "$ROOTFS/usr/lib/kube-standins" /usr/lib/kube-standins
# A cgroup v2 host, whatever this machine binds its controllers to: kubelet 1.35+ refuses v1 and
# hybrid hosts (the tests show that refusal by unmounting this in a child namespace).
mount -t cgroup2 cgroup2 /sys/fs/cgroup
hostname $NAME
exec sleep infinity
INIT
  setsid unshare --pid --mount --uts --net --fork --kill-child --mount-proc sh "$N.init" </dev/null >"$N.init.log" 2>&1 &
  echo $! >"$N.pid"
  P=$(init_pid "$N.pid")
  S=$(init_pid "$DIR/switch.pid")
  nsenter -t "$S" -n ip link add "v-$NAME" type veth peer name eth0 netns "$P"
  nsenter -t "$S" -n ip link set "v-$NAME" master br0 up
  nsenter -t "$P" -n sh -c "ip link set lo up && ip addr add $IP/24 dev eth0 && ip link set eth0 up &&
    echo 1 >/proc/sys/net/ipv4/ip_forward && echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables"
  ;;
exec)
  NAME=$1; shift
  P=$(init_pid "$DIR/$NAME.pid")
  ROOTFS=${STANDIN_ROOTFS:-}; [ -n "$ROOTFS" ] || ROOTFS=$(sed -n 's|^mount --bind "\(.*\)/usr/lib/kube-standins" /usr/lib/kube-standins$|\1|p' "$DIR/$NAME.init")
  exec nsenter -t "$P" -p -m -u -n env PATH="$(cd "$(dirname "$0")" && pwd)/bin:$ROOTFS/usr/bin:$PATH" HOME=/root "$@"
  ;;
down)
  for f in "$DIR"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
  # Remove the mount points again when nothing else put anything there (/var/lib/etcd is Debian's).
  sleep 0.5
  for m in $MOUNTS; do [ "$m" = /var/lib/etcd ] || rmdir "$m" 2>/dev/null || true; done
  rmdir /etc/cni 2>/dev/null || true
  ;;
*) echo "unknown command $cmd" >&2; exit 2 ;;
esac
