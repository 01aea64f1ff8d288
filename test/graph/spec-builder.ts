// Builds loaded-and-defaulted ClusterSpec objects for compiler tests, so the compiler can be
// exercised on exact topologies without going through YAML.

import type { ClusterSpec, EtcdTopology, Host, LoadBalancer, LoadBalancerType, Role, SshSettings } from '../../src/spec/types.js';

export interface Topology {
  name?: string;
  /** Host names per role; a name listed under several roles becomes one host with all of them. */
  controlPlane: string[];
  workers?: string[];
  lb?: string[];
  etcd?: string[];
  lbType?: LoadBalancerType;
  placement?: 'dedicated' | 'co-located';
  etcdTopology?: EtcdTopology;
  maxUnavailable?: number | string;
}

const ssh: SshSettings = {
  user: 'root',
  port: 22,
  knownHostsFile: '~/.ssh/known_hosts',
  sudo: false,
  connectTimeoutSeconds: 10,
};

export function host(name: string, roles: Role[], index: number): Host {
  return {
    name,
    address: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${(index & 255) + 1}`,
    roles,
    labels: {},
    taints: [],
    ssh: { ...ssh },
  };
}

export function buildSpec(t: Topology): ClusterSpec {
  // Keep first-seen order across role lists: the compiler relies on spec order (first control plane).
  const roles = new Map<string, Role[]>();
  const assign = (names: string[] | undefined, role: Role): void => {
    for (const n of names ?? []) roles.set(n, [...(roles.get(n) ?? []), role]);
  };
  assign(t.lb, 'lb');
  assign(t.etcd, 'etcd');
  assign(t.controlPlane, 'control-plane');
  assign(t.workers, 'worker');
  const hosts = [...roles].map(([name, r], i) => host(name, r, i));
  const lbType = t.lbType ?? (t.controlPlane.length > 1 ? 'keepalived-haproxy' : 'none');
  const loadBalancer: LoadBalancer = {
    type: lbType,
    placement: t.placement ?? 'dedicated',
    frontendPort: t.placement === 'co-located' ? 8443 : 6443,
    healthCheck: { intervalMs: 2000, fall: 3, rise: 2 },
  };
  if (lbType.startsWith('keepalived')) {
    loadBalancer.keepalived = { virtualRouterId: 51, interface: 'eth0', priorities: {}, unicast: true, subnetPrefix: 24 };
  }
  if (lbType === 'kube-vip') {
    loadBalancer.kubeVip = { interface: 'eth0', version: '0.8.7' };
  }
  return {
    apiVersion: 'hactl.io/v1alpha1',
    kind: 'Cluster',
    name: t.name ?? 'test',
    profile: 'test',
    ssh: { ...ssh, parallelism: 10 },
    hosts,
    controlPlaneEndpoint: { host: '10.255.0.10', port: 6443, extraSANs: [] },
    loadBalancer,
    etcd: { topology: t.etcdTopology ?? (t.etcd && t.etcd.length > 0 ? 'external' : 'stacked') },
    kubernetes: {
      version: '1.37.2',
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      clusterDomain: 'cluster.local',
      certificates: { validityDays: 365, renewBeforeDays: 30, warnWithinDays: 90 },
      kubelet: { allowCgroupV1: false },
      upgrade: { maxUnavailable: t.maxUnavailable ?? '10%' },
    },
    containerd: {
      systemdCgroup: true,
      sandboxImage: 'registry.k8s.io/pause:3.10.2',
      registryMirrors: [],
      privateRegistries: [],
    },
    cni: { plugin: 'calico' },
    packages: {
      replaceDefaults: false,
      kubernetesRepository: { baseUrl: 'https://pkgs.k8s.io/' },
      apt: { os: [], kubernetes: [] },
      dnf: { os: [], kubernetes: [] },
    },
  };
}

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

/** The shapes the examples describe, for tests that run before (or besides) the YAML examples. */
export const SHAPES: Record<string, Topology> = {
  single: { name: 'single', controlPlane: ['node1'], workers: ['node1'], lbType: 'none' },
  'ha-stacked': { name: 'ha-stacked', controlPlane: names('master', 3), lb: names('lb', 2), workers: names('node', 3) },
  'ha-external-etcd': {
    name: 'ha-external-etcd',
    controlPlane: names('master', 3),
    lb: names('lb', 2),
    etcd: names('etcd', 3),
    workers: names('node', 2),
    lbType: 'keepalived-nginx',
  },
  'kube-vip': {
    name: 'kube-vip',
    controlPlane: names('master', 3),
    workers: names('node', 2),
    lbType: 'kube-vip',
    placement: 'co-located',
  },
  'co-located': {
    name: 'co-located',
    controlPlane: names('master', 3),
    workers: names('node', 2),
    placement: 'co-located',
  },
};
