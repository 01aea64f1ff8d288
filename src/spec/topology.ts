// Which hosts play which part, derived from a normalized spec in one place so the compiler,
// preflight and validation agree.

import type { ClusterSpec, Host, Profile, Role } from './types.js';

export const controlPlaneHosts = (spec: ClusterSpec): Host[] => spec.hosts.filter((h) => h.roles.includes('control-plane'));

export const workerHosts = (spec: ClusterSpec): Host[] => spec.hosts.filter((h) => h.roles.includes('worker'));

/** etcd members: every control-plane host when stacked, the hosts with role etcd when external. */
export const etcdHosts = (spec: ClusterSpec): Host[] =>
  spec.etcd.topology === 'stacked' ? controlPlaneHosts(spec) : spec.hosts.filter((h) => h.roles.includes('etcd'));

/**
 * Hosts that run the load balancer hactl manages: the lb hosts (dedicated keepalived), the
 * control-plane hosts (co-located keepalived, kube-vip), none for `external` and `none`.
 */
export function loadBalancerHosts(spec: ClusterSpec): Host[] {
  const { type, placement } = spec.loadBalancer;
  if (type === 'external' || type === 'none') return [];
  if (type === 'kube-vip' || placement === 'co-located') return controlPlaneHosts(spec);
  return spec.hosts.filter((h) => h.roles.includes('lb'));
}

export interface HostSize {
  cpus: number;
  memoryMiB: number;
  diskGB: number;
}

/** Minimum host sizes per role and profile (DEVELOPERS.md); preflight compares them with facts. */
export const PROFILE_MINIMUMS: Record<Profile, Record<Role, HostSize>> = {
  test: {
    lb: { cpus: 1, memoryMiB: 512, diskGB: 5 },
    'control-plane': { cpus: 2, memoryMiB: 4096, diskGB: 20 },
    worker: { cpus: 4, memoryMiB: 8192, diskGB: 20 },
    etcd: { cpus: 1, memoryMiB: 1024, diskGB: 15 },
  },
  production: {
    lb: { cpus: 4, memoryMiB: 8192, diskGB: 40 },
    'control-plane': { cpus: 8, memoryMiB: 16384, diskGB: 40 },
    worker: { cpus: 8, memoryMiB: 16384, diskGB: 40 },
    etcd: { cpus: 4, memoryMiB: 8192, diskGB: 40 },
  },
};

/** A host with several roles needs the largest minimum of each dimension among them. */
export function minimumSize(profile: Profile, roles: readonly Role[]): HostSize {
  const out: HostSize = { cpus: 0, memoryMiB: 0, diskGB: 0 };
  for (const role of roles) {
    const m = PROFILE_MINIMUMS[profile][role];
    out.cpus = Math.max(out.cpus, m.cpus);
    out.memoryMiB = Math.max(out.memoryMiB, m.memoryMiB);
    out.diskGB = Math.max(out.diskGB, m.diskGB);
  }
  return out;
}
