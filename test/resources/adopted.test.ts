// What an adopted cluster's hosts need of the resources: the install guide's own list of the
// Kubernetes repository moved aside where hactl's per-minor list replaces it (apt refuses both:
// one repository, two signed-by keys), and a pod network hactl leaves alone.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../src/facts/types.js';
import { sha256 } from '../../src/resources/diff.js';
import { bareCluster, FIXTURES, localFiles, planSpec, specFromText, TEST_ENV } from './helpers.js';

const base = readFileSync(`${FIXTURES}repository.yaml`, 'utf8');
const GUIDE_LIST = '/etc/apt/sources.list.d/kubernetes.list';
const guideList = 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] http://mirror.corp.internal/k8s/core:/stable:/v1.36/deb/ /\n';

function withGuideList(facts: Map<string, HostFacts>): Map<string, HostFacts> {
  for (const f of facts.values())
    f.files[GUIDE_LIST] = {
      exists: true,
      type: 'file',
      content: guideList,
      sha256: sha256(guideList),
      size: guideList.length,
      mode: 0o644,
      owner: 'root',
      group: 'root',
    };
  return facts;
}

describe('package-sources beside the install guide’s kubernetes.list', () => {
  it('moves it aside when hactl writes its own list of the per-minor repository', () => {
    const spec = specFromText(base, `${FIXTURES}repository.yaml`);
    const { plan, operations } = planSpec(spec, withGuideList(bareCluster(spec, 'debian12')), { env: TEST_ENV, localFiles: localFiles(spec) });
    const c = plan.changes.find((x) => x.id === 'package-sources@cp1')!;
    expect(c.files.find((f) => f.path === GUIDE_LIST)).toMatchObject({ action: 'delete' });
    const steps = (operations.get('package-sources@cp1') ?? []).map((o) => o.description);
    expect(steps).toContain(`move ${GUIDE_LIST} aside to ${GUIDE_LIST}.hactl-disabled`);
    // Before apt reads the lists again.
    expect(steps.indexOf(`move ${GUIDE_LIST} aside to ${GUIDE_LIST}.hactl-disabled`)).toBeLessThan(steps.indexOf('refresh the package lists (apt-get update)'));
  });

  it('leaves it alone when the spec lists its Kubernetes sources itself', () => {
    const text = base.replace(
      /packages:\n/,
      'packages:\n  apt:\n    kubernetes:\n      - { uri: "http://mirror.corp.internal/k8s/core:/stable:/v1.36/deb/", suite: /, trusted: true }\n',
    );
    const spec = specFromText(text, `${FIXTURES}repository.yaml`);
    expect(spec.packages.apt.kubernetes).toHaveLength(1);
    const { plan } = planSpec(spec, withGuideList(bareCluster(spec, 'debian12')), { env: TEST_ENV, localFiles: localFiles(spec) });
    expect(plan.changes.find((x) => x.id === 'package-sources@cp1')!.files.map((f) => f.path)).not.toContain(GUIDE_LIST);
  });
});

describe('cni.plugin: unmanaged', () => {
  it('applies, records and checks nothing, with or without cluster facts', () => {
    const spec = specFromText(`${base}cni:\n  plugin: unmanaged\n`, `${FIXTURES}repository.yaml`);
    expect(spec.cni).toEqual({ plugin: 'unmanaged' });
    const facts = bareCluster(spec, 'debian12');
    const clusterFacts = { observedFrom: 'cp1', nodes: [], daemonsets: [], leaseHolders: {} };
    for (const opts of [{}, { clusterFacts }]) {
      const { plan, operations } = planSpec(spec, facts, { env: TEST_ENV, localFiles: localFiles(spec), ...opts });
      const c = plan.changes.find((x) => x.kind === 'cni')!;
      expect(c.action).toBe('no-op');
      expect(c.files).toEqual([]);
      expect(operations.get(c.id) ?? []).toEqual([]);
    }
  });
});
