// "Converging twice changes nothing", for every kind of the catalog: the fixture specs that
// together place every kind (external etcd, a bundle, a CNI manifest, labels and taints, the smoke
// test), random starting hosts, and a simulated cluster (test/apply/fake.ts FakeCluster) that the
// plan's kubectl and kubeadm steps talk to. Apply is played round by round (a kind that waits on
// the cluster compares once the cluster answers) until nothing changes; then the last plan must
// compare every resource (none deferred) and leave no step.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../src/facts/types.js';
import { compile } from '../../src/resources/index.js';
import { CNI_SOURCES, manifestDaemonSets } from '../../src/resources/cni.js';
import { RESOURCE_CATALOG } from '../../src/resources/index.js';
import { FakeCluster, FakeWorld, playPlan } from '../apply/fake.js';
import { bareFacts, localFiles, planSpec, specFixture, TEST_ENV, type OsName } from './helpers.js';

/** Specs that, together, place every kind the catalog has (checked below). */
const SPECS = ['ha-haproxy.yaml', 'nginx.yaml', 'kube-vip.yaml', 'bundled.yaml', 'kubernetes/external-etcd.yaml', 'kubernetes/lab-cni.yaml'];

const startArb = fc.record({
  os: fc.constantFrom<OsName>('debian12', 'ubuntu2204'),
  swapOn: fc.boolean(),
  brNetfilter: fc.constantFrom('absent', 'builtin', 'loaded'),
  noTimeService: fc.boolean(),
});
type Start = typeof startArb extends fc.Arbitrary<infer T> ? T : never;

function startFacts(address: string, st: Start): HostFacts {
  const f = bareFacts(st.os, address);
  if (!st.swapOn) f.swap = { activeBytes: 0, devices: [], fstabEntries: [] };
  f.modules.br_netfilter = st.brNetfilter as HostFacts['modules'][string];
  if (st.noTimeService) f.timeSync = { synchronized: false, service: 'none', source: 'none' };
  return f;
}

/** Plans and plays until a plan changes nothing (at most `rounds` times); returns the last plan. */
function converge(name: string, starts: Start[], rounds = 4) {
  const spec = specFixture(name);
  const opts = { env: TEST_ENV, localFiles: localFiles(spec) };
  const graph = compile(spec);
  const facts = new Map(spec.hosts.map((h, i) => [h.name, startFacts(h.address, starts[i % starts.length]!)]));
  const first = planSpec(spec, facts, opts);
  const world = new FakeWorld(facts, first, {});
  // The DaemonSets applying the CNI creates: the manifest's, or the published plugin's.
  const manifest = spec.cni.manifest !== undefined ? opts.localFiles.get(spec.cni.manifest) : undefined;
  const plugin = spec.cni.plugin === 'calico' || spec.cni.plugin === 'flannel' ? CNI_SOURCES[spec.cni.plugin].daemonset : undefined;
  const expected =
    manifest !== undefined
      ? manifestDaemonSets(manifest)
      : plugin !== undefined
        ? [{ namespace: plugin.namespace, name: plugin.name, images: [plugin.image(spec.cni.version ?? '')] }]
        : [];
  const daemonsets = expected.map((d) => ({ ...d, labels: {}, desiredNumberScheduled: 1, numberReady: 1 }));
  const cluster = new FakeCluster(world, spec, daemonsets);
  world.cluster = cluster;
  const plan = () => {
    const read = cluster.read();
    return planSpec(spec, world.facts, { ...opts, ...(read.ok ? { clusterFacts: read.facts } : {}) });
  };
  let last = first;
  for (let i = 0; i < rounds; i++) {
    playPlan(world, cluster, graph, last);
    last = plan();
    if ([...last.operations.values()].every((ops) => ops.length === 0)) break;
  }
  return last;
}

describe('convergence of every kind', () => {
  it('the specs place every kind of the catalog', () => {
    const placed = new Set(
      SPECS.flatMap((s) =>
        compile(specFixture(s))
          .nodes()
          .map((id) => id.split('@')[0]!),
      ),
    );
    expect(RESOURCE_CATALOG.map((k) => k.kind).filter((k) => !placed.has(k))).toEqual([]);
  });

  for (const name of SPECS) {
    it(`${name}: a plan after converging compares every resource and leaves nothing to do`, () => {
      fc.assert(
        fc.property(fc.array(startArb, { minLength: 8, maxLength: 8 }), (starts) => {
          const last = converge(name, starts);
          for (const c of last.plan.changes) {
            const readOnly = RESOURCE_CATALOG.find((k) => k.kind === c.kind)?.readOnly === true;
            expect({ id: c.id, action: c.action, reason: c.reason }).toEqual(
              readOnly ? { id: c.id, action: 'read', reason: 'checks only; changes nothing' } : { id: c.id, action: 'no-op', reason: undefined },
            );
            expect(last.operations.get(c.id) ?? []).toEqual([]);
          }
          expect(last.plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        }),
        { numRuns: 6, seed: 20261207 },
      );
    });
  }
});
