import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DRIFT_EXIT_CODE, driftDigest } from '../../src/drift/report.js';
import { buildPlan } from '../../src/plan/model.js';
import { resourceChange, attr, sha256 } from '../../src/resources/diff.js';
import { diagnosticsAndUnreachable, noChanges, replaceAndDestroy, updates } from '../views/fixtures.js';
import { REPORTS, report } from './fixtures.js';
import { driftReportProblems } from './schema.js';

describe('drift report', () => {
  it('validates against schemas/drift-report.schema.json for every fixture', () => {
    for (const [name, make] of Object.entries(REPORTS)) expect(driftReportProblems(JSON.parse(JSON.stringify(make()))), name).toEqual([]);
  });

  it('the example in docs/drift.md is a valid report', () => {
    const doc = readFileSync(new URL('../../docs/drift.md', import.meta.url), 'utf8');
    const example = /Example \(trimmed\):\n\n```json\n([\s\S]*?)\n```/.exec(doc);
    expect(example).not.toBeNull();
    expect(driftReportProblems(JSON.parse(example![1]!))).toEqual([]);
  });

  it('the schema rejects what the format forbids', () => {
    const r = JSON.parse(JSON.stringify(report(updates()))) as Record<string, unknown>;
    expect(driftReportProblems({ ...r, status: 'in-sync' })).not.toEqual([]);
    expect(driftReportProblems({ ...r, reportVersion: 2 })).not.toEqual([]);
    expect(driftReportProblems({ ...r, extra: true })).not.toEqual([]);
    const { driftDigest: _omitted, ...withoutDigest } = r;
    expect(driftReportProblems(withoutDigest)).not.toEqual([]);
  });

  it('in sync: no drifted resources, exit 0, the in-sync digest', () => {
    const r = report(noChanges());
    expect(r.status).toBe('in-sync');
    expect(DRIFT_EXIT_CODE[r.status]).toBe(0);
    expect(r.drifted).toEqual([]);
    expect(r.summary).toMatchObject({ checked: 2, inSync: 2, drifted: 0, hostsObserved: 2, hostsUnreachable: 0 });
    expect(r.driftDigest).toBe(driftDigest([], []));
    expect(r.durationMs).toBe(3250);
    expect(r.startedAt).toBe('2026-11-22T08:00:00.000Z');
  });

  it('lists drifted resources with only their changed attributes and files, before (host) and after (spec)', () => {
    const r = report(updates());
    expect(r.status).toBe('drift');
    expect(DRIFT_EXIT_CODE[r.status]).toBe(2);
    expect(r.drifted.map((d) => `${d.id} ${d.action}`)).toEqual(['containerd@cp1 update', 'os-prep@w1 update']);
    const containerd = r.drifted[0]!;
    expect(containerd.attributes.map((a) => a.name)).toEqual(['registryPassword', 'sandboxImage', 'systemdCgroup', 'version']);
    expect(containerd.attributes.find((a) => a.name === 'version')).toMatchObject({ before: { value: '1.7.20' }, after: { value: '1.7.22' } });
    // The smoke test is a read and cp1's os-prep a no-op: neither is drift.
    expect(r.summary).toMatchObject({ checked: 3, inSync: 1, drifted: 2, add: 0, change: 2, destroy: 0 });
  });

  it('keeps sensitive values masked as the plan does', () => {
    const text = JSON.stringify(report(updates()));
    expect(text).not.toContain('hunter2-registry-pass');
    expect(text).not.toContain('old-pass-value');
    expect(report(updates()).drifted[0]!.attributes.find((a) => a.name === 'registryPassword')).toEqual({
      name: 'registryPassword',
      before: { sensitive: true },
      after: { sensitive: true },
      changed: true,
    });
  });

  it('an unreachable host is listed and never hides drift on the others', () => {
    const r = report(diagnosticsAndUnreachable());
    expect(r.unreachableHosts).toEqual([{ name: 'w3', address: '10.0.0.23', reason: 'connect ETIMEDOUT 10.0.0.23:22 after 10 s' }]);
    expect(r.status).toBe('drift');
    expect(r.drifted.map((d) => d.id)).toEqual(['kube-packages@cp1']);
    expect(r.summary).toMatchObject({ hostsObserved: 1, hostsUnreachable: 1, errors: 1, warnings: 2, expiringCertificates: 2 });
    expect(r.leaseHolders).toEqual({ scheduler: 'cp1', controllerManager: 'cp1' });
    expect(r.expiringCertificates[0]).toEqual({ host: 'cp1', path: '/etc/kubernetes/pki/front-proxy-client.crt', daysLeft: -3 });
  });

  it('an unreachable host with no drift elsewhere is an error (exit 1), not "in sync"', () => {
    const plan = buildPlan({
      createdAt: '2026-11-22T08:00:00.000Z',
      spec: { file: 'cluster.yaml', sha256: sha256('x') },
      hosts: [
        { name: 'cp1', address: '10.0.0.11', factsDigest: sha256('f') },
        { name: 'w1', address: '10.0.0.21', unreachable: 'connection refused' },
      ],
      changes: [
        resourceChange({ id: 'os-prep@cp1', kind: 'os-prep', host: 'cp1' }, { attributes: [attr('swap', 'off', 'off')] }),
        resourceChange({ id: 'os-prep@w1', kind: 'os-prep', host: 'w1' }, { action: 'read', reason: 'host unreachable: connection refused' }),
      ],
      diagnostics: [{ severity: 'error', host: 'w1', message: 'host could not be observed (connection refused); its resources are not planned' }],
    });
    const r = report(plan);
    expect(r.status).toBe('error');
    expect(DRIFT_EXIT_CODE[r.status]).toBe(1);
    expect(r.summary).toMatchObject({ checked: 1, inSync: 1, drifted: 0, hostsUnreachable: 1 });
    expect(driftReportProblems(JSON.parse(JSON.stringify(r)))).toEqual([]);
  });

  it('deletions and replacements count as Terraform does', () => {
    const r = report(replaceAndDestroy());
    expect(r.drifted.map((d) => `${d.id} ${d.action}`).sort()).toEqual(['containerd@cp3 delete', 'etcd@cp2 replace', 'join-control-plane@cp3 delete']);
    expect(r.summary).toMatchObject({ add: 1, change: 0, destroy: 3 });
  });

  describe('digest', () => {
    it('is the same for the same drift at another time, and differs when the drift does', () => {
      const a = report(updates());
      const later = { ...a, finishedAt: '2026-11-22T09:00:00.000Z' };
      expect(report(updates()).driftDigest).toBe(later.driftDigest);
      expect(a.driftDigest).not.toBe(report(replaceAndDestroy()).driftDigest);
      // The same resources drifted to another value: a change of drift.
      const moved = structuredClone(a.drifted);
      moved[0]!.attributes.find((x) => x.name === 'version')!.before = { value: '1.7.19' };
      expect(driftDigest(moved, [])).not.toBe(a.driftDigest);
    });

    it('changes when a host becomes unreachable', () => {
      const a = report(updates());
      expect(driftDigest(a.drifted, [{ name: 'w9', address: '10.0.0.99', reason: 'timeout' }])).not.toBe(a.driftDigest);
      // The reason is wording: another timeout message is the same state.
      expect(driftDigest([], [{ name: 'w9', address: 'a', reason: 'x' }])).toBe(driftDigest([], [{ name: 'w9', address: 'a', reason: 'y' }]));
    });
  });
});
