#!/usr/bin/env bash
# mmdebstrap customize hook for the lab's base image; $1 is the new root filesystem.
# Hosts must look like a fresh minimal install, minus what would break or leak in a shared machine.
set -euo pipefail
root="$1"

# Every host gets its own keys and machine id when it is created.
rm -f "$root"/etc/ssh/ssh_host_*
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/etc/hostname"

# Hosts get only an ed25519 key; without this sshd logs an error per missing default key type.
mkdir -p "$root/etc/ssh/sshd_config.d"
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\n' > "$root/etc/ssh/sshd_config.d/10-lab-hostkey.conf"

# Units a host must not start on its own: user@ managers exhaust the machine-wide
# fs.inotify.max_user_instances; apt timers would take the dpkg lock in the middle of a test;
# there is no console to put a getty on; debugfs, tracefs, fusectl and hugetlbfs are the outer
# kernel's, not the host's.
for unit in user@.service apt-daily.timer apt-daily-upgrade.timer getty@.service \
            console-getty.service serial-getty@.service e2scrub_all.timer e2scrub_reap.service \
            fstrim.timer dpkg-db-backup.timer systemd-timesyncd.service \
            sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount \
            sys-fs-fuse-connections.mount dev-hugepages.mount; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

mkdir -p "$root/root/.ssh" "$root/var/lib/containerd"
chmod 700 "$root/root/.ssh"
