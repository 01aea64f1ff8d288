// The benchmark's generated specs must stay valid as the loader's checks grow, or the benchmark
// stops measuring the path users take.

import { describe, expect, it } from 'vitest';
import { generateHosts, generateSpecYaml } from '../../bench/spec-generator.js';
import { compile } from '../../src/resources/index.js';
import { formatDiagnostic, loadSpec } from '../../src/spec/index.js';

describe('bench spec generator', () => {
  it.each([10, 300])('%i hosts: loads without errors and compiles', (n) => {
    const r = loadSpec(generateSpecYaml(n), `bench-${n}.yaml`);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
    expect(r.spec!.hosts).toHaveLength(n);
    const g = compile(r.spec!);
    expect(g.hasNode('kubeadm-init@master1')).toBe(true);
    expect(g.nodes().filter((id) => id.startsWith('join-worker@'))).toHaveLength(n - 5);
  });

  it('gives 5,000 hosts unique names and addresses', () => {
    const hosts = generateHosts(5000);
    expect(new Set(hosts.map((h) => h.name)).size).toBe(5000);
    expect(new Set(hosts.map((h) => h.address)).size).toBe(5000);
    expect(hosts.filter((h) => h.roles.includes('control-plane'))).toHaveLength(3);
    expect(hosts.filter((h) => h.roles.includes('lb'))).toHaveLength(2);
  });
});
