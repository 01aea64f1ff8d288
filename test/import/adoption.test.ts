import { describe, expect, it } from 'vitest';
import { adoptionChanges, renderAdoption } from '../../src/import/adoption.js';
import type { Plan } from '../../src/plan/model.js';
import type { ResourceChange } from '../../src/resources/diff.js';

function change(id: string, action: ResourceChange['action'], steps: string[] = [], files: ResourceChange['files'] = []): ResourceChange {
  const [kind, host] = id.split('@') as [string, string];
  return { id, kind, host, action, attributes: [], files, steps, dependsOn: [] };
}

function plan(changes: ResourceChange[], diagnostics: Plan['diagnostics'] = []): Plan {
  return {
    formatVersion: 1,
    createdAt: '2026-12-07T12:00:00Z',
    spec: { file: 'cluster.yaml', sha256: 'x' },
    hosts: [],
    changes,
    diagnostics,
    cluster: { expiringCertificates: [] },
  };
}

const file = (path: string, action: 'create' | 'update' = 'create') => ({ path, action, diff: '' });

describe('adoptionChanges: read from the plan', () => {
  it('lists every changing resource with what it does and how to avoid it; no-ops and reads are not changes', () => {
    const a = adoptionChanges(
      plan([
        change('preflight@cp1', 'read'),
        change('os-prep@cp1', 'no-op'),
        change('node-config@cp1', 'update', ['on cp1: annotate node cp1: hactl.io/managed-labels= hactl.io/managed-taints=']),
        change(
          'containerd@cp1',
          'update',
          ['write /etc/containerd/config.toml', 'restart containerd (/etc/containerd/config.toml changed)'],
          [file('/etc/containerd/config.toml', 'update')],
        ),
        change('kubeadm-init@cp1', 'update', [], [file('/etc/kubernetes/kubeadm-config.yaml')]),
      ]),
      ['cp1'],
    );
    expect(a.disruptive).toEqual([]);
    expect(a.changes.map((c) => c.id)).toEqual(['node-config@cp1', 'containerd@cp1', 'kubeadm-init@cp1']);
    expect(a.changes[0]!.effect).toMatch(/hactl\.io\/managed-labels/);
    expect(a.changes[1]!.effect).toMatch(/restarts containerd once: running containers .* keep running/);
    expect(a.changes[1]!.does).toEqual([
      'update /etc/containerd/config.toml',
      'write /etc/containerd/config.toml',
      'restart containerd (/etc/containerd/config.toml changed)',
    ]);
    expect(a.changes[2]!.effect).toMatch(/nothing is re-initialised or restarted/);
    const text = renderAdoption(a);
    expect(text).toMatch(/node-config on cp1\n/);
    expect(text).toMatch(/to avoid it: /);
  });

  it('a kind it has no words for is still listed, from the plan', () => {
    const a = adoptionChanges(plan([change('smoke-dust@w1', 'update', ['restart dust'])]), ['cp1']);
    expect(a.changes).toEqual([expect.objectContaining({ id: 'smoke-dust@w1', effect: 'restarts dust', does: ['restart dust'] })]);
  });

  it('says so when there is nothing', () => {
    expect(renderAdoption(adoptionChanges(plan([change('os-prep@cp1', 'no-op')]), ['cp1']))).toBe('Adoption changes: none; the first plan shows no changes.\n');
  });
});

describe('adoptionChanges: what would disturb the control plane or etcd is not an adoption change', () => {
  it.each([
    [
      'a join of a control-plane host',
      change('join-control-plane@cp2', 'create', ['kubeadm join 198.18.0.100:6443 --control-plane ...']),
      /join-control-plane@cp2 would kubeadm join/,
    ],
    [
      'kubeadm init',
      change(
        'kubeadm-init@cp1',
        'create',
        ['kubeadm init --config /etc/kubernetes/kubeadm-config.yaml --upload-certs'],
        [file('/etc/kubernetes/kubeadm-config.yaml')],
      ),
      /kubeadm-init@cp1 would kubeadm init/,
    ],
    [
      'a kubelet restart on a control-plane host',
      change('kube-packages@cp1', 'update', ['restart kubelet (package kubelet changed)']),
      /kube-packages@cp1 would restart kubelet .* on control-plane host cp1/,
    ],
    ['a replacement', change('containerd@w1', 'replace', ['reinstall']), /containerd@w1 would be replaced/],
    ['a removal', change('host-removal@cp4', 'delete', ['kubeadm reset -f']), /host-removal@cp4 would be removed/],
    ['an etcd member change', change('etcd@cp1', 'update', ['restart etcd']), /etcd@cp1 would restart etcd/],
    [
      'a static pod manifest written',
      change('kube-vip@cp1', 'update', [], [file('/etc/kubernetes/manifests/kube-vip.yaml', 'update')]),
      /kube-vip@cp1 would update \/etc\/kubernetes\/manifests\/kube-vip\.yaml/,
    ],
  ])('%s', (_, c, re) => {
    const a = adoptionChanges(plan([c]), ['cp1', 'cp2']);
    expect(a.changes).toEqual([]);
    expect(a.disruptive.join('\n')).toMatch(re);
  });

  it('a kubelet restart on a worker is an adoption change, not a disruption of the control plane', () => {
    const a = adoptionChanges(plan([change('kube-packages@w1', 'update', ['restart kubelet (package kubelet changed)'])]), ['cp1']);
    expect(a.disruptive).toEqual([]);
    expect(a.changes.map((c) => c.id)).toEqual(['kube-packages@w1']);
  });

  it("the plan's errors and warnings are reported", () => {
    const a = adoptionChanges(
      plan(
        [],
        [
          { severity: 'error', resource: 'preflight@cp1', message: 'too small' },
          { severity: 'warning', message: 'kubernetes.version: past its end of life' },
        ],
      ),
      ['cp1'],
    );
    expect(a.errors).toEqual(['preflight@cp1: too small']);
    expect(a.warnings).toEqual(['kubernetes.version: past its end of life']);
  });
});
