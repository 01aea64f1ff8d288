// The supported range as one table: validate's range and end-of-life warnings, decided against a
// date given in (never the clock), and what each minor brings along.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadSpec } from '../../src/spec/index.js';
import {
  DEFAULT_KUBERNETES_VERSION,
  defaultSandboxImage,
  endOfLifeWarning,
  KUBERNETES_MINORS,
  kubernetesMinor,
  SUPPORTED_RANGE_TEXT,
} from '../../src/spec/versions.js';

const SCHEMA = JSON.parse(readFileSync(fileURLToPath(new URL('../../schemas/cluster.schema.json', import.meta.url)), 'utf8'));
const spec = (version: string) =>
  [
    'apiVersion: hactl.io/v1alpha1',
    'kind: Cluster',
    'metadata: { name: t }',
    'hosts:',
    '  - { name: node1, address: 10.0.0.11, roles: [control-plane, worker] }',
    `kubernetes: { version: ${version} }`,
  ].join('\n');

describe('the supported Kubernetes minors', () => {
  it('are 1.34 to 1.37, each with kubeadm v1beta4, its pause image, containerd versions and newest patch', () => {
    expect(KUBERNETES_MINORS.map((m) => m.minor)).toEqual(['1.34', '1.35', '1.36', '1.37']);
    expect(SUPPORTED_RANGE_TEXT).toBe('1.34 to 1.37');
    expect(new Set(KUBERNETES_MINORS.map((m) => m.kubeadmApi))).toEqual(new Set(['kubeadm.k8s.io/v1beta4']));
    expect(KUBERNETES_MINORS.map((m) => [m.minor, m.endOfLife])).toEqual([
      ['1.34', '2026-10-27'],
      ['1.35', '2027-02-28'],
      ['1.36', '2027-06-28'],
      ['1.37', '2027-10-28'],
    ]);
    for (const m of KUBERNETES_MINORS) {
      expect(m.newestPatch.startsWith(`${m.minor}.`)).toBe(true);
      expect(m.containerd.length).toBeGreaterThan(0);
    }
    expect(defaultSandboxImage('1.34.9')).toBe('registry.k8s.io/pause:3.10.1');
    expect(defaultSandboxImage('1.37.2')).toBe('registry.k8s.io/pause:3.10.2');
  });

  it("the default version is the schema default and the newest entry's newest patch", () => {
    expect(SCHEMA.properties.kubernetes.properties.version.default).toBe(DEFAULT_KUBERNETES_VERSION);
    expect(KUBERNETES_MINORS.at(-1)!.newestPatch).toBe(DEFAULT_KUBERNETES_VERSION);
    expect(kubernetesMinor('v1.36.4-1.1')?.minor).toBe('1.36');
    expect(kubernetesMinor('1.31.4')).toBeUndefined();
  });

  it.each(['1.34.0', '1.35.9', '1.36.4', '1.37.2'])('validate accepts %s', (v) => {
    const r = loadSpec(spec(v), 'cluster.yaml');
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(r.spec?.containerd.sandboxImage).toBe(defaultSandboxImage(v));
  });

  it.each(['1.31.4', '1.33.9', '1.38.0', '2.34.0'])('validate refuses %s, naming the range', (v) => {
    const r = loadSpec(spec(v), 'cluster.yaml');
    expect(r.spec).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      `cluster.yaml:6:24: kubernetes.version: Kubernetes ${v} is not supported: hactl supports 1.34 to 1.37 (any patch release)`,
    ]);
  });
});

describe('end of life', () => {
  it('past it: a warning that says when, as of the given date', () => {
    expect(endOfLifeWarning('1.34.9', new Date('2026-11-22T08:00:00Z'))).toBe(
      'Kubernetes 1.34 reached its upstream end of life on 2026-10-27 (26 days ago) and gets no more patches: upgrade towards 1.37',
    );
  });

  it('within 60 days: a warning; 61 days before: none', () => {
    expect(endOfLifeWarning('1.35.1', new Date('2026-12-30T23:59:00Z'))).toBe(
      'Kubernetes 1.35 reaches its upstream end of life on 2027-02-28 (in 60 days): plan the upgrade towards 1.37',
    );
    expect(endOfLifeWarning('1.35.1', new Date('2026-12-29T00:00:00Z'))).toBeUndefined();
    expect(endOfLifeWarning('1.37.2', new Date('2026-12-07T00:00:00Z'))).toBeUndefined();
    // Outside the range it is validate's error, not a warning.
    expect(endOfLifeWarning('1.31.4', new Date('2026-12-07T00:00:00Z'))).toBeUndefined();
  });

  it('validate warns with the date it is given, and only then; the spec stays valid', () => {
    const r = loadSpec(spec('1.34.9'), 'cluster.yaml', { today: new Date('2026-12-07T10:00:00Z') });
    expect(r.spec).toBeDefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'cluster.yaml:6:24: kubernetes.version: warning: Kubernetes 1.34 reached its upstream end of life on 2026-10-27 (41 days ago) and gets no more patches: upgrade towards 1.37',
    ]);
    expect(loadSpec(spec('1.34.9'), 'cluster.yaml').diagnostics).toEqual([]);
  });
});

describe('end of life in the plan', () => {
  it("a plan made on a date past the minor's end of life carries the warning; a current minor none", async () => {
    const { bareCluster, planSpec, specFromText } = await import('../resources/helpers.js');
    const old = specFromText(spec('1.34.9'));
    const withWarning = planSpec(old, bareCluster(old, 'debian12')).plan.diagnostics.filter((d) => d.message.startsWith('kubernetes.version'));
    // planSpec plans as of 2026-11-22.
    expect(withWarning).toEqual([
      {
        severity: 'warning',
        message:
          'kubernetes.version: Kubernetes 1.34 reached its upstream end of life on 2026-10-27 (26 days ago) and gets no more patches: upgrade towards 1.37',
      },
    ]);
    const current = specFromText(spec('1.37.2'));
    expect(planSpec(current, bareCluster(current, 'debian12')).plan.diagnostics.filter((d) => d.message.startsWith('kubernetes.version'))).toEqual([]);
  });
});
