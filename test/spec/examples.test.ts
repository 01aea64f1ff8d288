// Every example validates cleanly; specs that are valid but fragile load with warnings.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadSpecFile } from '../../src/spec/index.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const VALID = fileURLToPath(new URL('../fixtures/specs/valid/', import.meta.url));

const NAMES = ['single', 'ha-stacked', 'ha-external-etcd', 'kube-vip', 'air-gapped'];

describe('examples', () => {
  it('has the documented examples and no others', () => {
    const found = readdirSync(EXAMPLES)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
    expect(found.sort()).toEqual([...NAMES].sort());
  });

  it.each(NAMES)('%s.yaml starts with the schema line and validates without diagnostics', async (name) => {
    const file = `${EXAMPLES}${name}.yaml`;
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/cluster.schema.json');
    const result = await loadSpecFile(file);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.spec).toBeDefined();
  });

  it('single: one host, no load balancer, endpoint is the host', async () => {
    const { spec } = await loadSpecFile(`${EXAMPLES}single.yaml`);
    expect(spec!.loadBalancer.type).toBe('none');
    expect(spec!.controlPlaneEndpoint).toEqual({ host: '192.168.56.10', port: 6443, extraSANs: [] });
    expect(spec!.etcd.topology).toBe('stacked');
  });

  it('ha-stacked: dedicated keepalived+haproxy on lb1/lb2 with descending priorities', async () => {
    const { spec } = await loadSpecFile(`${EXAMPLES}ha-stacked.yaml`);
    const lb = spec!.loadBalancer;
    expect(lb.type).toBe('keepalived-haproxy');
    expect(lb.placement).toBe('dedicated');
    expect(lb.frontendPort).toBe(6443);
    expect(lb.keepalived!.priorities).toEqual({ lb1: 110, lb2: 100 });
    expect(spec!.hosts.filter((h) => h.roles.includes('control-plane'))).toHaveLength(3);
    expect(spec!.hosts.filter((h) => h.roles.includes('worker'))).toHaveLength(3);
  });

  it('ha-external-etcd: three external etcd members, nginx', async () => {
    const { spec } = await loadSpecFile(`${EXAMPLES}ha-external-etcd.yaml`);
    expect(spec!.etcd).toEqual({ topology: 'external', version: '3.5.16' });
    expect(spec!.hosts.filter((h) => h.roles.includes('etcd'))).toHaveLength(3);
    expect(spec!.loadBalancer.type).toBe('keepalived-nginx');
    expect(spec!.loadBalancer.keepalived!.priorities).toEqual({ lb1: 150, lb2: 100 });
  });

  it('kube-vip: co-located on the control plane, no keepalived settings', async () => {
    const { spec } = await loadSpecFile(`${EXAMPLES}kube-vip.yaml`);
    expect(spec!.loadBalancer).toMatchObject({
      type: 'kube-vip',
      placement: 'co-located',
      frontendPort: 6443,
      kubeVip: { interface: 'ens18', version: '0.8.7' },
    });
    expect(spec!.loadBalancer.keepalived).toBeUndefined();
  });

  it('air-gapped: mirrors, Harbor with its CA, replaced package sources, absolute paths', async () => {
    const { spec } = await loadSpecFile(`${EXAMPLES}air-gapped.yaml`);
    expect(spec!.packages.replaceDefaults).toBe(true);
    expect(spec!.containerd.registryMirrors.map((m) => m.registry)).toEqual(['docker.io', 'registry.k8s.io', 'quay.io']);
    const harbor = spec!.containerd.privateRegistries[0]!;
    expect(harbor.caFile).toBe(`${EXAMPLES}air-gapped-files/harbor-ca.crt`);
    expect(readFileSync(harbor.caFile!, 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(harbor).toMatchObject({ usernameEnv: 'HARBOR_USER', passwordEnv: 'HARBOR_PASSWORD', insecureSkipVerify: false });
    expect(spec!.packages.apt.kubernetes[0]!.keyFile).toBe(`${EXAMPLES}air-gapped-files/mirror-signing-key.asc`);
    // The spec names secrets; it never holds them.
    expect(JSON.stringify(spec)).not.toMatch(/"(password|passphrase|authPassword)"/);
  });
});

describe('warnings', () => {
  it('2 control-plane hosts: valid, with a fault-tolerance warning', async () => {
    const file = `${VALID}two-control-plane.yaml`;
    const result = await loadSpecFile(file);
    expect(result.spec).toBeDefined();
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `${file}:10:45: hosts[4].roles: warning: 2 control-plane hosts are no more fault-tolerant than 1: use 1 or 3`,
    ]);
  });

  it('1 keepalived LB host: valid, with a single-point-of-failure warning', async () => {
    const file = `${VALID}one-lb.yaml`;
    const result = await loadSpecFile(file);
    expect(result.spec).toBeDefined();
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ severity: 'warning', line: 6, col: 45, path: 'hosts[0].roles[0]' });
    expect(result.diagnostics[0]!.message).toContain('a single load-balancer host is a single point of failure');
  });
});
