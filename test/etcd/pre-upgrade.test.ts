// The pre-upgrade snapshot as planned: first in the first control-plane host's upgrade, on that
// host (stacked) or on the first etcd host (external), and nowhere else.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../src/facts/types.js';
import type { CommandOperation } from '../../src/resources/operation.js';
import type { ClusterSpec } from '../../src/spec/types.js';
import { applyPlan, bareCluster, FIXTURES, planSpec, specFixture, specFromText } from '../resources/helpers.js';

const external = specFromText(readFileSync(`${FIXTURES}kubernetes/external-etcd.yaml`, 'utf8'), `${FIXTURES}kubernetes/external-etcd.yaml`);

/** Converged at the spec's version, then every node's kube packages put back to 1.34.8. */
function runningAt129(spec: ClusterSpec): Map<string, HostFacts> {
  const bare = bareCluster(spec, 'debian12');
  const facts = applyPlan(spec, bare, planSpec(spec, bare, { etcd: { ok: false, reason: 'not started' } }));
  for (const [name, f] of facts) {
    const g = structuredClone(f);
    for (const p of ['kubeadm', 'kubelet', 'kubectl']) if (g.packages[p]?.installed) g.packages[p] = { ...g.packages[p]!, version: '1.34.8-1.1' };
    facts.set(name, g);
  }
  return facts;
}

const commands = (ops: unknown[] | undefined) => (ops ?? []).filter((o): o is CommandOperation => typeof o === 'object' && o !== null && 'command' in o);

describe('pre-upgrade etcd snapshot', () => {
  it("stacked: the first step of cp1's upgrade, on cp1; the other control-plane hosts take none", () => {
    const spec = specFixture('ha-haproxy.yaml');
    const p = planSpec(spec, runningAt129(spec));
    const cp1 = commands(p.operations.get('upgrade-control-plane@cp1'));
    expect(cp1[0]!.description).toBe(
      'etcd snapshot before the upgrade: /var/lib/hactl/etcd-snapshots/pre-upgrade-v1.34.8-to-v1.35.4.db (kept; checked with etcdctl snapshot status)',
    );
    expect(cp1[0]!.runOn).toBeUndefined();
    expect(cp1.findIndex((o) => o.command.includes('kubeadm upgrade apply'))).toBeGreaterThan(0);
    for (const id of ['upgrade-control-plane@cp2', 'upgrade-control-plane@cp3', 'upgrade-worker@worker1']) {
      expect(commands(p.operations.get(id)).some((o) => o.command.includes('snapshot save'))).toBe(false);
    }
  });

  it('external: run on the first etcd host with its member certificate', () => {
    const p = planSpec(external, runningAt129(external), { etcd: { ok: false, reason: 'not asked' } });
    const first = commands(p.operations.get('upgrade-control-plane@cp1'))[0]!;
    expect(first.runOn).toBe('etcd1');
    expect(first.command).toContain('--cert=/etc/etcd/pki/server.crt');
    expect(first.description).toContain('on etcd1');
  });
});
