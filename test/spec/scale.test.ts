// A spec with thousands of hosts loads, and a problem on the last host is still placed exactly.

import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadSpec } from '../../src/spec/index.js';

function bigSpec(workers: number, lastAddress?: string): string {
  const lines = [
    'apiVersion: hactl.io/v1alpha1',
    'kind: Cluster',
    'metadata:',
    '  name: big',
    'hosts:',
    '  - { name: lb1, address: 10.0.0.5, roles: [lb] }',
    '  - { name: lb2, address: 10.0.0.6, roles: [lb] }',
    '  - { name: cp1, address: 10.0.0.11, roles: [control-plane] }',
    '  - { name: cp2, address: 10.0.0.12, roles: [control-plane] }',
    '  - { name: cp3, address: 10.0.0.13, roles: [control-plane] }',
  ];
  for (let i = 0; i < workers; i++) {
    const address = i === workers - 1 && lastAddress !== undefined ? lastAddress : `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    lines.push(`  - { name: w${i}, address: ${address}, roles: [worker], labels: { rack: r${i % 40} } }`);
  }
  lines.push('controlPlaneEndpoint: { host: 10.0.0.10 }', 'loadBalancer:', '  keepalived: { interface: eth0 }', 'kubernetes:', '  podSubnet: 10.128.0.0/9');
  return `${lines.join('\n')}\n`;
}

describe('scale', () => {
  it('5,000 hosts load', () => {
    const r = loadSpec(bigSpec(4995), 'big.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.spec!.hosts).toHaveLength(5000);
    expect(r.spec!.loadBalancer.keepalived!.priorities).toEqual({ lb1: 110, lb2: 100 });
  }, 60_000);

  it('a duplicate address on the 5,000th host is reported at its line', () => {
    const r = loadSpec(bigSpec(4995, '10.1.0.1'), 'big.yaml');
    expect(r.spec).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual(['big.yaml:5005:29: hosts[4999].address: address 10.1.0.1 is already used by hosts[5] (w0)']);
  }, 60_000);
});
