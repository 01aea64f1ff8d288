// The host's cgroup mode, told as the kubelet and kubeadm's system validators tell it: v2 when
// /sys/fs/cgroup is a cgroup2 filesystem (statfs magic, as runc's IsCgroup2UnifiedMode), otherwise
// hybrid (cgroup2 mounted at unified/ beside the v1 controllers) or v1.
import fs from 'node:fs';

const CGROUP2_SUPER_MAGIC = 0x63677270;

function fsType(p) {
  try {
    return fs.statfsSync(p).type;
  } catch {
    return undefined;
  }
}

export function cgroupMode(root = '/sys/fs/cgroup') {
  if (fsType(root) === CGROUP2_SUPER_MAGIC) return 'v2';
  return fsType(`${root}/unified`) === CGROUP2_SUPER_MAGIC ? 'hybrid' : 'v1';
}

// k8s.io/system-validators v1.12 (vendored by kubeadm 1.35, kubernetes#134744): an error when the
// kubelet is 1.35 or newer, a warning below; the check is kubeadm's "SystemVerification".
export const CGROUP_V1_VALIDATOR_MESSAGE =
  "cgroups v1 support is deprecated and will be removed in a future release. Please migrate to cgroups v2. To explicitly enable cgroups v1 support for kubelet v1.35 or newer, you must set the kubelet configuration option 'FailCgroupV1' to 'false'. You must also explicitly skip this validation. For more information, see https://git.k8s.io/enhancements/keps/sig-node/5573-remove-cgroup-v1";
// system-validators before 1.12 (kubeadm 1.31-1.34): a warning only.
export const CGROUP_V1_MAINTENANCE_MESSAGE = 'cgroups v1 support is in maintenance mode, please migrate to cgroups v2';

// The kubelet (KEP-4569 in 1.31, default flipped to true by KEP-5573 in 1.35).
export const KUBELET_CGROUP_V1_ERROR =
  'kubelet is configured to not run on a host using cgroup v1. cgroup v1 support is unsupported and will be removed in a future release';
export const KUBELET_CGROUP_V1_WARNING =
  'cgroup v1 detected. cgroup v1 support has been transitioned into maintenance mode, please plan for the migration towards cgroup v2. More information at https://git.k8s.io/enhancements/keps/sig-node/4569-cgroup-v1-maintenance-mode';
