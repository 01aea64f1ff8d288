// Which hosts play which part, derived from a normalized spec in one place (resolvePlacement) so
// the compiler, the resources, apply and the commands agree; and the minimum host size per role.

import type { ClusterSpec, Host, Profile, Role } from './types.js';

/** The hosts each stage works on, resolved once from roles, LB settings and etcd topology. */
export interface Placement {
  /** Control-plane hosts in spec order; the first one runs kubeadm init. */
  controlPlane: Host[];
  firstControlPlane: Host;
  /**
   * The control-plane host that does the cluster-level work (tokens, kubectl, etcd membership):
   * the first one until a cluster exists, then an initialised one (src/plan/cluster-host.ts).
   */
  clusterHost: Host;
  /** Hosts with the worker role and no control-plane role (a control-plane host joins once, as such). */
  workers: Host[];
  /** Hosts that run a kubelet: control-plane and worker roles, in spec order. */
  kubeNodes: Host[];
  /** The proxy in front of the apiservers, with keepalived; undefined for kube-vip, external and none. */
  proxy: 'lb-haproxy' | 'lb-nginx' | undefined;
  /** Hosts running keepalived + the proxy; empty without one. */
  proxyHosts: Host[];
  /** Hosts running kube-vip (the control-plane hosts when the LB type is kube-vip). */
  kubeVipHosts: Host[];
  /** External etcd members; empty with stacked etcd. */
  etcdHosts: Host[];
}

export function resolvePlacement(spec: ClusterSpec): Placement {
  const has = (h: Host, role: Host['roles'][number]): boolean => h.roles.includes(role);
  const controlPlane = spec.hosts.filter((h) => has(h, 'control-plane'));
  const firstControlPlane = controlPlane[0];
  if (firstControlPlane === undefined) {
    throw new Error(`cluster "${spec.name}": no host has the control-plane role, nothing can run kubeadm init`);
  }
  const lbType = spec.loadBalancer.type;
  const proxy = lbType === 'keepalived-haproxy' ? 'lb-haproxy' : lbType === 'keepalived-nginx' ? 'lb-nginx' : undefined;
  const proxyHosts = !proxy ? [] : spec.loadBalancer.placement === 'co-located' ? controlPlane : spec.hosts.filter((h) => has(h, 'lb'));
  return {
    controlPlane,
    firstControlPlane,
    clusterHost: firstControlPlane,
    workers: spec.hosts.filter((h) => has(h, 'worker') && !has(h, 'control-plane')),
    kubeNodes: spec.hosts.filter((h) => has(h, 'control-plane') || has(h, 'worker')),
    proxy,
    proxyHosts,
    kubeVipHosts: lbType === 'kube-vip' ? controlPlane : [],
    etcdHosts: spec.etcd.topology === 'external' ? spec.hosts.filter((h) => has(h, 'etcd')) : [],
  };
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
