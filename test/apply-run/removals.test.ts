// Host removals in a whole apply, against fake hosts: carried out before the graph is walked; a
// failed one stops the walk, so the host stays in /etc/hosts where its pending removal is
// remembered; a targeted apply leaves removals alone.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyCluster, type ApplyOutcome } from '../../src/apply/run.js';
import { RunLog } from '../../src/apply/runlog.js';
import { selectTargets } from '../../src/apply/select.js';
import { compile } from '../../src/graph/compile.js';
import type { HostFacts } from '../../src/facts/types.js';
import { applyPlan, bareCluster, localFiles, planSpec, specFixture, TEST_ENV } from '../resources/helpers.js';
import { FakeWorld, localShell, type FakeOptions } from './fake.js';

const spec = specFixture('ha-haproxy.yaml');
let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hactl-removals-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** A converged cluster whose cp1 still lists worker2 (10.0.0.22) in its hactl block of /etc/hosts. */
function withLeftHost(): Map<string, HostFacts> {
  const bare = bareCluster(spec, 'debian12');
  const converged = applyPlan(spec, bare, planSpec(spec, bare, { env: TEST_ENV, localFiles: localFiles(spec) }));
  const cp1 = structuredClone(converged.get('cp1')!);
  cp1.files['/etc/hosts']!.content = cp1.files['/etc/hosts']!.content!.replace('# END hactl', '10.0.0.22 worker2\n# END hactl');
  converged.set('cp1', cp1);
  return converged;
}

async function apply(opts: FakeOptions, targets: string[] = []) {
  const facts = withLeftHost();
  const detailed = planSpec(spec, facts, { env: TEST_ENV, localFiles: localFiles(spec) });
  const world = new FakeWorld(new Map([...facts].map(([k, v]) => [k, structuredClone(v)])), detailed, opts);
  const outcome: ApplyOutcome = await applyCluster({
    spec,
    specSha256: detailed.plan.spec.sha256,
    // The kinds without Kubernetes binaries: the fake hosts form no cluster to wait for.
    graph: selectTargets(compile(spec), ['package-sources', 'os-prep', 'containerd', 'lb-haproxy', 'lb-keepalived']).graph,
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
  it('runs the removal first (reset skipped on an unreachable worker), then the walk drops it from /etc/hosts', async () => {
    const r = await apply({ unreachable: (h) => (h === 'worker2' ? 'connection refused' : undefined) });
    expect(r.result.failed).toEqual([]);
    expect(r.result.succeeded[0]).toBe('host-removal@worker2');
    expect(r.result.succeeded).toContain('os-prep@cp1');
    expect(r.hosts()).not.toContain('worker2');
  });

  it('a failed removal stops the walk: nothing else runs and the host stays remembered', async () => {
    const r = await apply({
      answer: (h, cmd) => (h !== 'worker2' ? undefined : { code: cmd.includes('kubeadm reset') ? 1 : 0, stdout: '', stderr: 'reset failed', durationMs: 0 }),
    });
    expect(r.result.failed).toEqual([{ id: 'host-removal@worker2', error: expect.stringContaining('exited 1: reset failed') }]);
    expect(r.result.succeeded).toEqual([]);
    expect(r.result.skipped.map((s) => s.id)).toContain('os-prep@cp1');
    expect(r.result.skipped.every((s) => s.because.join() === 'host-removal@worker2')).toBe(true);
    expect(r.world.commandsOn('cp1')).toEqual([]);
    expect(r.hosts()).toContain('10.0.0.22 worker2');
  });

  it('a targeted apply leaves the removal for later', async () => {
    const r = await apply({}, ['os-prep@worker1']);
    expect(r.result.succeeded).not.toContain('host-removal@worker2');
    expect(r.world.calls.filter((c) => c.host === 'worker2')).toEqual([]);
  });
});
