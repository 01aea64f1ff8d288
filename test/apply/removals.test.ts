// Host removals in a whole apply, against fake hosts: carried out before the graph is walked; a
// failed one stops the walk (the node object, which is what remembers the pending removal, is
// deleted last); a targeted apply leaves removals alone.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyCluster, type ApplyOutcome } from '../../src/apply/run.js';
import { RunLog } from '../../src/apply/runlog.js';
import { selectTargets } from '../../src/apply/select.js';
import { compile } from '../../src/resources/index.js';
import type { HostFacts } from '../../src/facts/types.js';
import type { ClusterFacts } from '../../src/facts/cluster.js';
import { applyPlan, bareCluster, localFiles, planSpec, specFixture, TEST_ENV } from '../resources/helpers.js';
import { FakeWorld, localShell, type FakeOptions } from './fake.js';

const spec = specFixture('ha-haproxy.yaml');
let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hactl-removals-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** A converged cluster whose Kubernetes nodes still include worker2 (10.0.0.22), no longer in the spec. */
function converged(): Map<string, HostFacts> {
  const bare = bareCluster(spec, 'debian12');
  return applyPlan(spec, bare, planSpec(spec, bare, { env: TEST_ENV, localFiles: localFiles(spec) }));
}
const node = (name: string, address: string) => ({ name, ready: true, labels: {}, annotations: {}, taints: [], unschedulable: false, addresses: [address] });
const cluster: ClusterFacts = {
  observedFrom: 'cp1',
  nodes: [...spec.hosts.filter((h) => !h.roles.includes('lb')).map((h) => node(h.name, h.address)), node('worker2', '10.0.0.22')],
  daemonsets: [],
  leaseHolders: {},
};
/** kubectl drain and delete on cp1 succeed. */
const kubectlOnCp1 = (h: string, cmd: string) => (h === 'cp1' && cmd.includes('kubectl') ? { code: 0, stdout: '', stderr: '', durationMs: 0 } : undefined);

async function apply(opts: FakeOptions, targets: string[] = []) {
  const facts = converged();
  const detailed = planSpec(spec, facts, { env: TEST_ENV, localFiles: localFiles(spec), clusterFacts: cluster });
  const world = new FakeWorld(new Map([...facts].map(([k, v]) => [k, structuredClone(v)])), detailed, {
    ...opts,
    answer: (h, cmd) => opts.answer?.(h, cmd) ?? kubectlOnCp1(h, cmd),
  });
  world.clusterFacts = async () => ({ ok: true, facts: cluster });
  // The kinds without Kubernetes binaries: the fake hosts form no cluster to wait for.
  const graph = selectTargets(compile(spec), ['package-sources', 'os-prep', 'containerd', 'lb-haproxy', 'lb-keepalived']).graph;
  detailed.plan.changes = detailed.plan.changes.filter((c) => graph.hasNode(c.id) || c.kind === 'host-removal');
  const outcome: ApplyOutcome = await applyCluster({
    spec,
    specSha256: detailed.plan.spec.sha256,
    graph,
    plan: detailed.plan,
    targets,
    access: world,
    env: TEST_ENV,
    localFiles: localFiles(spec),
    operation: 'apply',
    lock: { host: localShell(), path: join(tmp, 'lock/apply.lock') },
    log: new RunLog({ root: join(tmp, 'runs'), id: 'run' }),
  });
  if (outcome.status !== 'done') throw new Error(`refused: ${outcome.reasons.join('; ')}`);
  return { result: outcome.result, world, hosts: () => world.facts.get('cp1')!.files['/etc/hosts']!.content! };
}

describe('host removals in apply', () => {
  it('runs the removal first (reset skipped on an unreachable worker), then the walk', async () => {
    const r = await apply({ unreachable: (h) => (h === 'worker2' ? 'connection refused' : undefined) });
    expect(r.result.failed).toEqual([]);
    expect(r.result.succeeded[0]).toBe('host-removal@worker2');
    expect(r.world.commandsOn('cp1').some((c) => c.includes('kubectl --kubeconfig /etc/kubernetes/admin.conf delete node worker2'))).toBe(true);
  });

  it('a failed removal stops the walk: nothing else runs and the host stays remembered', async () => {
    const r = await apply({
      answer: (h, cmd) => (h !== 'worker2' ? undefined : { code: cmd.includes('kubeadm reset') ? 1 : 0, stdout: '', stderr: 'reset failed', durationMs: 0 }),
    });
    expect(r.result.failed).toEqual([{ id: 'host-removal@worker2', error: expect.stringContaining('exited 1: reset failed') }]);
    expect(r.result.succeeded).toEqual([]);
    expect(r.result.skipped.map((s) => s.id)).toContain('os-prep@cp1');
    expect(r.result.skipped.every((s) => s.because.join() === 'host-removal@worker2')).toBe(true);
    // Only the drain ran on cp1: the node object, deleted last, still remembers the removal.
    expect(r.world.commandsOn('cp1').map((c) => (c.includes(' drain ') ? 'drain' : c))).toEqual(['drain']);
  });

  it('a targeted apply leaves the removal for later', async () => {
    const r = await apply({}, ['os-prep@worker1']);
    expect(r.result.succeeded).not.toContain('host-removal@worker2');
    expect(r.world.calls.filter((c) => c.host === 'worker2')).toEqual([]);
  });
});
