#!/usr/bin/env bash
# PID 1 of a lab host's PID namespace, in its own mount namespace: builds the host's root
# filesystem and execs its init (systemd, or tini + sshd for light hosts).
# Environment: HL_NAME, HL_KIND (systemd|light), HL_LOWER (base image), HL_DIR (upper/ work/ root/
# and the cgroups file written by the lab).
set -euo pipefail
root="$HL_DIR/root"
hostname "$HL_NAME"

# An overlay keeps the shared base image read-only; the host's changes go to its own upper dir.
mount -t overlay overlay -o "lowerdir=$HL_LOWER,upperdir=$HL_DIR/upper,workdir=$HL_DIR/work" "$root"

mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
# kernel.*, vm.* and fs.* are machine-wide: read-only; net.* belongs to the host's namespace.
mount --bind "$root/proc/sys" "$root/proc/sys"
mount --bind "$root/proc/sys/net" "$root/proc/sys/net"
mount -o remount,bind,ro,nosuid,nodev,noexec "$root/proc/sys"
# A fresh sysfs shows this network namespace's own /sys/class/net.
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"

# Fresh cgroup mounts: inside the cgroup namespace their root is the host's own cgroup.
mount -t tmpfs -o nosuid,nodev,noexec,mode=755 cgroup-root "$root/sys/fs/cgroup"
while read -r what rel arg; do
  case "$what" in
    cgroup|cgroup2)
      mkdir -p "$root/sys/fs/cgroup/$rel"
      mount -t "$what" -o "nosuid,nodev,noexec,$arg" "$what" "$root/sys/fs/cgroup/$rel"
      ;;
    cgroup2-root) mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$root/sys/fs/cgroup" ;;
    link) ln -sfn "$arg" "$root/sys/fs/cgroup/$rel" ;;
  esac
done < "$HL_DIR/cgroups"

# A small /dev: only harmless device nodes from the outer machine, a private devpts.
mount -t tmpfs -o nosuid,noexec,mode=755,size=1m dev "$root/dev"
for d in null zero full random urandom tty; do
  touch "$root/dev/$d"
  mount --bind "/dev/$d" "$root/dev/$d"
done
mkdir -p "$root/dev/pts" "$root/dev/shm" "$root/dev/mqueue"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5,nosuid,noexec devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$root/dev/shm"
mount -t mqueue -o nosuid,nodev,noexec mqueue "$root/dev/mqueue"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"

mount -t tmpfs -o nosuid,nodev,mode=755 run "$root/run"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmp "$root/tmp"
# containerd's snapshots cannot live on an overlay (overlay upper dirs on overlay are refused).
mkdir -p "$root/var/lib/containerd"
mount -t tmpfs -o mode=711 containerd "$root/var/lib/containerd"

cd "$root"
mkdir -p .hl-oldroot
pivot_root . .hl-oldroot
cd /
umount -l /.hl-oldroot
rmdir /.hl-oldroot

# No host may set the clock, load modules or reboot the machine.
caps=(setpriv --bounding-set -sys_time,-sys_module,-sys_boot --)
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ "$HL_KIND" = light ]; then
  mkdir -p /run/sshd
  exec "${caps[@]}" env -i PATH="$path" /usr/bin/tini -- /usr/sbin/sshd -D -e
fi
exec "${caps[@]}" env -i PATH="$path" container=hactl-lab /lib/systemd/systemd
