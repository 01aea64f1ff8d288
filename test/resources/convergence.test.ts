// "Converging twice changes nothing": for random specs and random starting hosts, play the first
// plan's operations onto the facts (helpers.applyOperations, which fails where the real tools
// would) and plan again: every resource must be a no-op with no operations left.

import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../src/facts/types.js';
import { applyPlan, bareFacts, FIXTURES, localFiles, planSpec, specFromText, TEST_ENV, type OsName } from './helpers.js';

const osArb = fc.constantFrom<OsName>('debian12', 'ubuntu2204', 'rocky9');

const specArb = fc.record({
  lb: fc.constantFrom('dedicated-haproxy', 'colocated-nginx', 'kube-vip', 'single'),
  workers: fc.integer({ min: 0, max: 2 }),
  minor: fc.integer({ min: 34, max: 37 }),
  patch: fc.integer({ min: 0, max: 12 }),
  containerdVersion: fc.option(fc.constantFrom('1.7.24', '2.1.5'), { nil: undefined }),
  sandbox: fc.constantFrom('registry.k8s.io/pause:3.10', 'harbor.corp.internal/k8s/pause:3.9'),
  systemdCgroup: fc.boolean(),
  mirrors: fc.subarray(['docker.io', 'quay.io', 'registry.k8s.io']),
  privateRegistry: fc.option(fc.record({ ca: fc.boolean(), insecure: fc.boolean(), auth: fc.boolean() }), { nil: undefined }),
  replaceDefaults: fc.boolean(),
  kubeSources: fc.boolean(),
  vrrpPassword: fc.boolean(),
});

type SpecShape = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

function specYaml(s: SpecShape): string {
  // Stacked etcd wants an odd member count: one control-plane host, or three behind a VIP.
  const cps = s.lb === 'single' ? 1 : 3;
  const hosts: Record<string, unknown>[] = [];
  if (s.lb === 'dedicated-haproxy') hosts.push({ name: 'lb1', address: '10.9.0.5', roles: ['lb'] }, { name: 'lb2', address: '10.9.0.6', roles: ['lb'] });
  for (let i = 1; i <= cps; i++) hosts.push({ name: `cp${i}`, address: `10.9.0.${10 + i}`, roles: ['control-plane'] });
  for (let i = 1; i <= s.workers; i++) hosts.push({ name: `worker${i}`, address: `10.9.0.${20 + i}`, roles: ['worker'] });
  const doc: Record<string, unknown> = {
    apiVersion: 'hactl.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'random' },
    profile: 'test',
    hosts,
    kubernetes: { version: `1.${s.minor}.${s.patch}` },
    containerd: {
      ...(s.containerdVersion ? { version: s.containerdVersion } : {}),
      sandboxImage: s.sandbox,
      systemdCgroup: s.systemdCgroup,
      registryMirrors: s.mirrors.map((r) => ({ registry: r, endpoints: [`https://mirror.corp.internal/v2/${r.split('.')[0]}`] })),
      privateRegistries: s.privateRegistry
        ? [
            {
              host: 'harbor.corp.internal',
              insecureSkipVerify: s.privateRegistry.insecure,
              ...(s.privateRegistry.ca ? { caFile: 'files/harbor-ca.crt' } : {}),
              ...(s.privateRegistry.auth ? { usernameEnv: 'HACTL_TEST_REG_USER', passwordEnv: 'HACTL_TEST_REG_PASS' } : {}),
            },
          ]
        : [],
    },
    packages: {
      replaceDefaults: s.replaceDefaults,
      apt: {
        os: s.replaceDefaults ? [{ uri: 'http://mirror.corp.internal/debian', suite: 'bookworm', components: ['main'], trusted: true }] : [],
        kubernetes: s.kubeSources ? [{ uri: 'https://pkgs.k8s.io/core:/stable:/v1.35/deb/', suite: '/', keyFile: 'files/signing-key.asc' }] : [],
      },
      dnf: {
        os: s.replaceDefaults ? [{ name: 'baseos', baseurl: 'http://mirror.corp.internal/rocky/9/BaseOS/x86_64/os', gpgcheck: false }] : [],
        kubernetes: s.kubeSources ? [{ name: 'kubernetes', baseurl: 'https://pkgs.k8s.io/core:/stable:/v1.35/rpm/', gpgkeyFile: 'files/signing-key.asc' }] : [],
      },
    },
  };
  if (s.lb === 'dedicated-haproxy') {
    doc.controlPlaneEndpoint = { host: '10.9.0.10' };
    doc.loadBalancer = { type: 'keepalived-haproxy', keepalived: { interface: 'eth0', ...(s.vrrpPassword ? { authPasswordEnv: 'HACTL_TEST_VRRP' } : {}) } };
  } else if (s.lb === 'colocated-nginx') {
    doc.controlPlaneEndpoint = { host: '10.9.0.10' };
    doc.loadBalancer = { type: 'keepalived-nginx', placement: 'co-located', keepalived: { interface: 'eth0', unicast: false } };
  } else if (s.lb === 'kube-vip') {
    doc.controlPlaneEndpoint = { host: '10.9.0.10' };
    doc.loadBalancer = { type: 'kube-vip', kubeVip: { interface: 'eth0' } };
  }
  return stringify(doc);
}

/** How a host looks before hactl: bare, or with bits of an older setup and manual changes. */
const startArb = fc.record({
  os: osArb,
  swapOn: fc.boolean(),
  brNetfilter: fc.constantFrom('absent', 'builtin', 'loaded'),
  noTimeService: fc.boolean(),
  oldKube: fc.option(fc.record({ version: fc.constantFrom('1.33.9', '1.34.3', '1.36.2'), held: fc.boolean() }), { nil: undefined }),
  distroSources: fc.boolean(),
});

type Start = typeof startArb extends fc.Arbitrary<infer T> ? T : never;

function startFacts(address: string, st: Start): HostFacts {
  const f = bareFacts(st.os, address);
  const apt = st.os !== 'rocky9';
  if (!st.swapOn) f.swap = { activeBytes: 0, devices: [], fstabEntries: [] };
  f.modules.br_netfilter = st.brNetfilter as HostFacts['modules'][string];
  if (st.brNetfilter !== 'absent') f.sysctls['net.bridge.bridge-nf-call-iptables'] = '0';
  if (st.noTimeService) f.timeSync = { synchronized: false, service: 'none', source: 'none' };
  if (st.oldKube) {
    const v = `${st.oldKube.version}-${apt ? '1.1' : '150500.1.1'}`;
    for (const p of ['kubeadm', 'kubelet', 'kubectl']) f.packages[p] = { installed: true, version: v, held: st.oldKube.held };
    if (!apt) f.packages['python3-dnf-plugin-versionlock'] = { installed: true, version: '4.3.0-13.el9', held: false };
    f.units.kubelet = { exists: true, enabled: true, active: true };
  }
  if (st.distroSources) {
    const file = (content: string) => ({ exists: true, type: 'file' as const, content, mode: 0o644, owner: 'root', group: 'root' });
    if (apt) f.files['/etc/apt/sources.list'] = file('deb http://deb.debian.org/debian bookworm main\n');
    else f.files['/etc/yum.repos.d/rocky.repo'] = file('[baseos]\nname=Rocky Linux BaseOS\n');
  }
  return f;
}

describe('convergence', () => {
  it('a second plan after applying the first is empty, for random specs and hosts', () => {
    fc.assert(
      fc.property(specArb, fc.array(startArb, { minLength: 8, maxLength: 8 }), (shape, starts) => {
        const spec = specFromText(specYaml(shape), `${FIXTURES}random.yaml`);
        const facts = new Map(spec.hosts.map((h, i) => [h.name, startFacts(h.address, starts[i % starts.length]!)]));
        const opts = { env: TEST_ENV, localFiles: localFiles(spec) };
        const first = planSpec(spec, facts, opts);
        const after = applyPlan(spec, facts, first);
        const second = planSpec(spec, after, opts);
        for (const c of second.plan.changes) {
          if (c.kind === 'preflight') expect(c.action).toBe('read');
          else if (second.operations.has(c.id)) {
            expect({ id: c.id, action: c.action, changed: c.attributes.filter((a) => a.changed), files: c.files.filter((f) => f.action !== 'no-op') }).toEqual({
              id: c.id,
              action: 'no-op',
              changed: [],
              files: [],
            });
            expect(second.operations.get(c.id)).toEqual([]);
          }
        }
        // And the first plan did something on every implemented, non-read-only resource of a bare host.
        expect(first.plan.changes.some((c) => c.action !== 'no-op' && c.action !== 'read')).toBe(true);
      }),
      { numRuns: 60, seed: 20261122 },
    );
  });
});
