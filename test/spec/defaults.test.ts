// Defaults that depend on other fields, path handling, and the shape of the normalized spec.

import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CNI_VERSIONS, formatDiagnostic, loadSpec } from '../../src/spec/index.js';
import type { ClusterSpec } from '../../src/spec/types.js';

const HEAD = `apiVersion: hactl.io/v1alpha1
kind: Cluster
metadata:
  name: t
`;

function load(yaml: string, file = '/specs/site/cluster.yaml'): ClusterSpec {
  const r = loadSpec(HEAD + yaml, file);
  if (r.spec === undefined) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.spec;
}

const THREE_CP = `hosts:
  - { name: cp1, address: 10.0.0.11, roles: [control-plane] }
  - { name: cp2, address: 10.0.0.12, roles: [control-plane] }
  - { name: cp3, address: 10.0.0.13, roles: [control-plane] }
`;

describe('defaults', () => {
  it('a one-host spec gets every default', () => {
    const s = load('hosts:\n  - { name: cp1, address: 10.0.0.11, roles: [control-plane, worker] }\n');
    expect(s.name).toBe('t');
    expect(s.profile).toBe('production');
    expect(s.ssh).toEqual({
      user: 'root',
      port: 22,
      knownHostsFile: `${homedir()}/.ssh/known_hosts`,
      sudo: false,
      connectTimeoutSeconds: 10,
      parallelism: 10,
    });
    expect(s.hosts[0]).toEqual({
      name: 'cp1',
      address: '10.0.0.11',
      roles: ['control-plane', 'worker'],
      labels: {},
      taints: [],
      ssh: { user: 'root', port: 22, knownHostsFile: `${homedir()}/.ssh/known_hosts`, sudo: false, connectTimeoutSeconds: 10 },
    });
    expect(s.controlPlaneEndpoint).toEqual({ host: '10.0.0.11', port: 6443, extraSANs: [] });
    expect(s.loadBalancer).toEqual({
      type: 'none',
      placement: 'co-located',
      frontendPort: 6443,
      healthCheck: { intervalMs: 2000, fall: 3, rise: 2 },
    });
    expect(s.etcd).toEqual({ topology: 'stacked' });
    expect(s.kubernetes).toEqual({
      version: '1.37.2',
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      clusterDomain: 'cluster.local',
      certificates: { validityDays: 365, renewBeforeDays: 30, warnWithinDays: 90 },
      kubelet: { allowCgroupV1: false },
      upgrade: { maxUnavailable: '10%' },
    });
    expect(s.containerd).toEqual({ systemdCgroup: true, sandboxImage: 'registry.k8s.io/pause:3.10.2', registryMirrors: [], privateRegistries: [] });
    expect(s.cni).toEqual({ plugin: 'calico', version: DEFAULT_CNI_VERSIONS.calico });
    expect(s.packages).toEqual({
      replaceDefaults: false,
      kubernetesRepository: { baseUrl: 'https://pkgs.k8s.io/' },
      apt: { os: [], kubernetes: [] },
      dnf: { os: [], kubernetes: [] },
    });
  });

  it('host ssh overrides merge field by field; sudo follows the user; ~ and relative paths expand', () => {
    const s = load(`ssh:
  user: ops
  port: 2222
  privateKeyFile: ~/.ssh/ops
  knownHostsFile: keys/known_hosts
  bastion: { address: jump.corp.internal }
hosts:
  - { name: cp1, address: 10.0.0.11, roles: [control-plane] }
  - name: w1
    address: 10.0.0.21
    roles: [worker]
    ssh: { user: root, privateKeyFile: /etc/hactl/w1.key, bastion: { address: 10.0.9.1, port: 2200, user: jump } }
  - name: w2
    address: 10.0.0.22
    roles: [worker]
    ssh: { port: 22, sudo: true, user: root }
`);
    const [cp1, w1, w2] = s.hosts;
    expect(cp1!.ssh).toEqual({
      user: 'ops',
      port: 2222,
      privateKeyFile: `${homedir()}/.ssh/ops`,
      knownHostsFile: '/specs/site/keys/known_hosts',
      sudo: true,
      connectTimeoutSeconds: 10,
      bastion: { address: 'jump.corp.internal', port: 22, user: 'ops', privateKeyFile: `${homedir()}/.ssh/ops` },
    });
    expect(w1!.ssh).toEqual({
      user: 'root',
      port: 2222,
      privateKeyFile: '/etc/hactl/w1.key',
      knownHostsFile: '/specs/site/keys/known_hosts',
      sudo: false,
      connectTimeoutSeconds: 10,
      bastion: { address: '10.0.9.1', port: 2200, user: 'jump', privateKeyFile: '/etc/hactl/w1.key' },
    });
    expect(w2!.ssh).toMatchObject({ user: 'root', port: 22, sudo: true });
    expect(s.ssh).toMatchObject({ user: 'ops', port: 2222, sudo: true, parallelism: 10 });
  });

  it('three control-plane hosts and no lb hosts: keepalived+haproxy co-located on 8443', () => {
    const s = load(`${THREE_CP}controlPlaneEndpoint: { host: 10.0.0.10 }
loadBalancer:
  keepalived: { interface: eth0 }
`);
    expect(s.loadBalancer).toMatchObject({ type: 'keepalived-haproxy', placement: 'co-located', frontendPort: 8443 });
    expect(s.controlPlaneEndpoint.port).toBe(8443);
    expect(s.loadBalancer.keepalived).toEqual({
      virtualRouterId: 51,
      interface: 'eth0',
      priorities: { cp1: 110, cp2: 100, cp3: 90 },
      unicast: true,
      subnetPrefix: 24,
    });
  });

  it('lb hosts make the placement dedicated and the frontend the endpoint port; given priorities win', () => {
    const s = load(`hosts:
  - { name: lb1, address: 10.0.0.5, roles: [lb] }
  - { name: lb2, address: 10.0.0.6, roles: [lb] }
  - { name: lb3, address: 10.0.0.7, roles: [lb] }
  - { name: cp1, address: 10.0.0.11, roles: [control-plane] }
controlPlaneEndpoint: { host: 10.0.0.10, port: 7443 }
loadBalancer:
  keepalived: { interface: eth0, priorities: { lb3: 200 }, unicast: false }
`);
    expect(s.loadBalancer).toMatchObject({ type: 'keepalived-haproxy', placement: 'dedicated', frontendPort: 7443 });
    expect(s.loadBalancer.keepalived!.priorities).toEqual({ lb1: 110, lb2: 100, lb3: 200 });
    expect(s.loadBalancer.keepalived!.unicast).toBe(false);
  });

  it('etcd hosts make the topology external', () => {
    const s = load(`hosts:
  - { name: cp1, address: 10.0.0.11, roles: [control-plane] }
  - { name: e1, address: 10.0.0.31, roles: [etcd] }
`);
    expect(s.etcd.topology).toBe('external');
  });

  it('a manifest CNI resolves against the spec directory and has no version', () => {
    const s = load(`hosts:
  - { name: cp1, address: 10.0.0.11, roles: [control-plane] }
cni: { plugin: manifest, manifest: ../cni/calico.yaml }
`);
    expect(s.cni).toEqual({ plugin: 'manifest', manifest: '/specs/cni/calico.yaml' });
  });

  it('IPv6 hosts, VIP and networks are accepted', () => {
    const s = load(`hosts:
  - { name: lb1, address: 'fd00:10::5', roles: [lb] }
  - { name: lb2, address: 'fd00:10::6', roles: [lb] }
  - { name: cp1, address: 'fd00:10::11', roles: [control-plane] }
controlPlaneEndpoint: { host: 'fd00:10::a' }
loadBalancer:
  keepalived: { interface: eth0, subnetPrefix: 64 }
kubernetes: { podSubnet: 'fd00:244::/56', serviceSubnet: 'fd00:96::/112' }
`);
    expect(s.controlPlaneEndpoint.host).toBe('fd00:10::a');
  });

  it('x- keys hold anchors that hosts merge with <<', () => {
    const s = load(`x-worker: &worker
  roles: [worker]
  labels: { tier: app }
  ssh: { user: ops }
hosts:
  - { name: cp1, address: 10.0.0.11, roles: [control-plane] }
  - { <<: *worker, name: w1, address: 10.0.0.21 }
  - { <<: *worker, name: w2, address: 10.0.0.22, labels: { tier: db } }
`);
    expect(s.hosts.map((h) => [h.name, h.roles, h.labels, h.ssh.user])).toEqual([
      ['cp1', ['control-plane'], {}, 'root'],
      ['w1', ['worker'], { tier: 'app' }, 'ops'],
      ['w2', ['worker'], { tier: 'db' }, 'ops'],
    ]);
    expect(Object.keys(s)).not.toContain('x-worker');
  });

  it('warns but loads when a non-root user has sudo turned off', () => {
    const r = loadSpec(
      `${HEAD}ssh: { user: ops, sudo: false }
hosts:
  - { name: cp1, address: 10.0.0.11, roles: [control-plane] }
  - { name: w1, address: 10.0.0.21, roles: [worker] }
`,
      'c.yaml',
    );
    expect(r.spec).toBeDefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      "c.yaml:5:25: ssh.sudo: warning: user 'ops' without sudo cannot install packages or write system files",
    ]);
  });
});
