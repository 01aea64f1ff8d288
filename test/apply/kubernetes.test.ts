// Applying the Kubernetes kinds against fake hosts and a fake API server (fake.ts: FakeCluster):
// a join's values made on cp1 reach the joining host only through captureAs/stdinFrom and never
// show; node-config and cni are derived with cluster facts read at apply time (before and when
// verifying), so a plan made with them is held to them; smoke-test's read steps run at every
// apply and fail the resource when one fails.

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyCluster, type ApplyInput, type ApplyOutcome } from '../../src/apply/run.js';
import { RunLog } from '../../src/apply/runlog.js';
import type { WalkEvent } from '../../src/apply/walker.js';
import type { ClusterFacts } from '../../src/facts/cluster.js';
import { compile } from '../../src/resources/index.js';
import { hasChanges } from '../../src/plan/model.js';
import { CNI_SOURCES } from '../../src/resources/cni.js';
import { MANAGED_LABELS, MANAGED_TAINTS } from '../../src/resources/node-config.js';
import { JOIN_PLACEHOLDERS } from '../../src/resources/kubeadm-config.js';
import type { ExecResult } from '../../src/transport/transport.js';
import { bareCluster, planSpec, specFromText } from '../resources/helpers.js';
import { FakeCluster, FakeWorld, localShell } from './fake.js';

const SPEC = `apiVersion: hactl.io/v1alpha1
kind: Cluster
metadata: { name: t }
profile: test
hosts:
  - { name: lb1, address: 10.0.0.5, roles: [lb] }
  - { name: lb2, address: 10.0.0.6, roles: [lb] }
  - { name: cp1, address: 10.0.0.11, roles: [control-plane] }
  - { name: cp2, address: 10.0.0.12, roles: [control-plane] }
  - { name: cp3, address: 10.0.0.13, roles: [control-plane] }
  - { name: w1, address: 10.0.0.21, roles: [worker], labels: { tier: edge }, taints: [ { key: dedicated, value: edge, effect: NoSchedule } ] }
  - { name: w2, address: 10.0.0.22, roles: [worker], labels: { tier: general } }
controlPlaneEndpoint: { host: 10.0.0.10 }
loadBalancer:
  keepalived: { interface: eth0, authPasswordEnv: VRRP_PW }
kubernetes: { version: 1.35.4 }
packages:
  replaceDefaults: true
  apt:
    os: [ { uri: "http://10.0.0.1/", suite: debian/, trusted: true } ]
    kubernetes: [ { uri: "http://10.0.0.1/", suite: kubernetes/, trusted: true } ]
`;
const ENV = { VRRP_PW: 'pw-8c1e' };

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hactl-apply-k8s-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function setup(smoke?: (cmd: string) => ExecResult, answer?: (host: string, cmd: string) => ExecResult | undefined) {
  const spec = specFromText(SPEC);
  const facts = bareCluster(spec, 'debian12');
  const detailed = planSpec(spec, facts, { env: ENV });
  const world = new FakeWorld(new Map([...facts].map(([k, v]) => [k, structuredClone(v)])), detailed, { delayMs: 1, ...(answer ? { answer } : {}) });
  const calico = CNI_SOURCES.calico.daemonset;
  const cluster = new FakeCluster(
    world,
    spec,
    [{ namespace: calico.namespace, name: calico.name, labels: {}, images: [calico.image(spec.cni.version!)], desiredNumberScheduled: 5, numberReady: 5 }],
    smoke,
  );
  world.cluster = cluster;
  const log = new RunLog({ root: join(tmp, 'runs'), id: `run-${Math.random().toString(36).slice(2, 8)}` });
  const events: WalkEvent[] = [];
  const input: ApplyInput = {
    spec,
    specSha256: detailed.plan.spec.sha256,
    graph: compile(spec),
    plan: detailed.plan,
    targets: [],
    access: world,
    env: ENV,
    localFiles: new Map(),
    operation: 'apply -f cluster.yaml',
    lock: { host: localShell(), path: join(tmp, 'lockhost/apply.lock') },
    log,
    onEvent: (e) => events.push(e),
    readyz: { intervalMs: 5, timeoutMs: 5000 },
    clusterFactsIntervalMs: 5,
    clusterFactsWaitMs: 2000,
  };
  return { spec, detailed, world, cluster, log, events, input };
}

function done(o: ApplyOutcome) {
  if (o.status !== 'done') throw new Error(`refused: ${o.reasons.join('; ')}`);
  return o;
}

const clusterFacts = (c: FakeCluster): ClusterFacts => {
  const r = c.read();
  if (!r.ok) throw new Error(r.reason);
  return r.facts;
};

/** Everything a run leaves for people to read: its log files, walk events, failures. */
function everythingShown(s: ReturnType<typeof setup>, o: ApplyOutcome): string {
  const logs = readdirSync(s.log.dir).map((f) => readFileSync(join(s.log.dir, f), 'utf8'));
  return [...logs, JSON.stringify(s.events), JSON.stringify(o)].join('\n');
}

describe('applying a whole cluster', () => {
  it('builds it from bare hosts: joins with values from cp1 that never show, nodes configured with cluster facts, smoke test run; the next plan is empty', async () => {
    const smokeRan: string[] = [];
    const s = setup((cmd) => {
      smokeRan.push(cmd);
      return { code: 0, stdout: 'deployment.apps/hactl-smoke created\n', stderr: '', durationMs: 0 };
    });
    // From bare hosts, the cluster kinds are planned without cluster facts.
    const nc = s.detailed.plan.changes.find((c) => c.id === 'node-config@w1');
    expect(nc).toMatchObject({ action: 'read', steps: [] });
    expect(nc!.pendingOn!.sort()).toEqual(['join-worker@w1', 'kubeadm-init@cp1']);

    const o = done(await applyCluster(s.input));
    expect(o.result.failed).toEqual([]);
    expect(o.result.skipped).toEqual([]);
    expect(o.result.succeeded.sort()).toEqual(s.input.graph.nodes().sort());

    // Each join fetched fresh values on cp1 and fed them to the joining host's join on stdin.
    const captures = s.world.calls.filter((c) => c.what.includes('kubeadm token create'));
    expect(captures.map((c) => c.host)).toEqual(['cp1', 'cp1', 'cp1', 'cp1']);
    const joins = s.world.calls.filter((c) => c.what.includes('kubeadm join --config'));
    expect(joins.map((c) => c.host).sort()).toEqual(['cp2', 'cp3', 'w1', 'w2']);
    for (const j of joins) expect(s.cluster.issued.some((line) => j.opts?.stdin?.toString().startsWith(line))).toBe(true);
    // The join's command line carries only the placeholders; the values came on stdin.
    for (const j of joins) expect(j.what).toContain(JOIN_PLACEHOLDERS.token);
    expect(s.cluster.issued).toHaveLength(6); // 4 join commands, 2 certificate keys
    const shown = everythingShown(s, o);
    for (const secret of s.cluster.issued) {
      expect(shown).not.toContain(secret.trim());
      for (const word of secret.split(/\s+/).filter((w) => w.length >= 16)) expect(shown).not.toContain(word);
    }
    expect(readFileSync(join(s.log.dir, 'cp1.log'), 'utf8')).toContain('join-worker@w1: $ (on cp1: create a bootstrap token');

    // node-config ran its kubectl steps on cp1 and the nodes now carry the spec's labels and taints.
    const w1 = s.cluster.nodes.get('w1')!;
    expect(w1.labels.tier).toBe('edge');
    expect(w1.taints).toContainEqual({ key: 'dedicated', value: 'edge', effect: 'NoSchedule' });
    expect(w1.annotations).toEqual({ [MANAGED_LABELS]: 'tier', [MANAGED_TAINTS]: 'dedicated:NoSchedule' });
    expect(s.cluster.nodes.get('w2')!.labels.tier).toBe('general');
    expect(s.world.commandsOn('w1').some((c) => /kubectl --kubeconfig/.test(c))).toBe(false);
    expect(s.world.commandsOn('cp1').filter((c) => / label --overwrite node 'w1'| label --overwrite node w1 /.test(c))).toHaveLength(1);
    expect(readFileSync(join(s.log.dir, 'w1.log'), 'utf8')).toContain('node-config@w1: verified');

    // The CNI's DaemonSet exists; the smoke test's three steps ran, on cp1.
    expect(s.cluster.daemonsets.map((d) => `${d.namespace}/${d.name}`)).toEqual(['kube-system/calico-node']);
    expect(smokeRan).toHaveLength(3);
    expect(s.world.calls.filter((c) => c.what.includes('hactl-smoke')).map((c) => c.host)).toEqual(['cp1', 'cp1', 'cp1']);
    expect(readFileSync(join(s.log.dir, 'cp1.log'), 'utf8')).toContain('smoke-test: checks passed (3 read step(s) ran)');

    // Converged: a plan of the hosts and the cluster as they are now changes nothing.
    const again = planSpec(s.spec, s.world.facts, { env: ENV, clusterFacts: clusterFacts(s.cluster) });
    expect(again.plan.changes.filter((c) => c.action !== 'no-op' && c.action !== 'read').map((c) => `${c.id}: ${c.steps.join('; ')}`)).toEqual([]);
    expect(hasChanges(again.plan)).toBe(false);
  });

  it('a failing smoke-test step fails the resource, naming the step; nothing is reported verified', async () => {
    const s = setup((cmd) =>
      cmd.includes(' wait --for=condition=Ready')
        ? { code: 1, stdout: '', stderr: 'error: timed out waiting for the condition on pods/hactl-smoke-7d9\n', durationMs: 0 }
        : { code: 0, stdout: '', stderr: '', durationMs: 0 },
    );
    const o = done(await applyCluster(s.input));
    expect(o.result.failed).toEqual([
      {
        id: 'smoke-test',
        error: expect.stringMatching(
          /^step "wait up to 180s for them to be Ready on the workers \(w1, w2\)" exited 1: error: timed out waiting for the condition on pods\/hactl-smoke-7d9$/,
        ),
      },
    ]);
    expect(o.result.succeeded).toContain('node-config@w1');
    const cp1 = readFileSync(join(s.log.dir, 'cp1.log'), 'utf8');
    expect(cp1).toContain('smoke-test: FAILED');
    expect(cp1).not.toContain('smoke-test: checks passed');
    // The remove step did not run after the failure (the wait step cleans up itself).
    expect(s.world.calls.filter((c) => c.what.includes('hactl-smoke')).length).toBe(2);
  });

  it('a join that fails with its token in the output fails with the token masked, everywhere', async () => {
    const s = setup(undefined, (h, cmd) => {
      if (h !== 'w2' || !cmd.includes('kubeadm join --config')) return undefined;
      // What a kubeadm that echoes its token would print.
      return { code: 1, stdout: '', stderr: '', durationMs: 0 };
    });
    // The fake answer runs before the cluster sees the join: echo the token w2 was given in stderr.
    const answer = s.world.opts.answer!;
    s.world.opts.answer = (h, cmd, stdin) => {
      const r = answer(h, cmd);
      if (r === undefined) return undefined;
      const line = s.cluster.issued.find((l) => stdin?.includes(l))!;
      return { ...r, stderr: `[discovery] Failed to request cluster-info: ${line}\nerror: token ${/--token (\S+)/.exec(line)![1]} rejected\n` };
    };
    const o = done(await applyCluster(s.input));
    expect(o.result.failed.map((f) => f.id)).toEqual(['join-worker@w2']);
    expect(o.result.failed[0]!.error).toMatch(/^step "kubeadm join .*" exited 1: .*error: token \(sensitive value\) rejected$/s);
    expect(o.result.skipped.map((x) => x.id).sort()).toEqual(['node-config@w2', 'smoke-test', 'upgrade-worker@w2']);
    const shown = everythingShown(s, o);
    for (const secret of s.cluster.issued) for (const word of secret.split(/\s+/).filter((w) => w.length >= 16)) expect(shown).not.toContain(word);
  });
});

describe('cluster facts at apply', () => {
  it('node-config planned with cluster facts converges, and is refused as stale when the cluster changed since', async () => {
    const s = setup();
    done(await applyCluster(s.input));
    // Someone removes w1's label; the plan made now (with cluster facts) puts it back.
    delete s.cluster.nodes.get('w1')!.labels.tier;
    const plan = planSpec(s.spec, s.world.facts, { env: ENV, clusterFacts: clusterFacts(s.cluster) }).plan;
    const nc = plan.changes.find((c) => c.id === 'node-config@w1')!;
    expect(nc).toMatchObject({ action: 'update', steps: ['on cp1: label node w1: tier=edge'] });
    expect(nc.pendingOn ?? []).toEqual([]);
    const o = done(await applyCluster({ ...s.input, plan, targets: ['node-config@w1'], log: new RunLog({ root: join(tmp, 'runs'), id: 'run-2' }) }));
    expect(o.result.failed).toEqual([]);
    expect(o.result.succeeded).toContain('node-config@w1');
    expect(s.cluster.nodes.get('w1')!.labels.tier).toBe('edge');

    // A plan made with cluster facts, then the cluster changes before apply: held to the plan.
    delete s.cluster.nodes.get('w1')!.labels.tier;
    const plan2 = planSpec(s.spec, s.world.facts, { env: ENV, clusterFacts: clusterFacts(s.cluster) }).plan;
    s.cluster.nodes.get('w1')!.labels.tier = 'edge';
    s.cluster.nodes.get('w1')!.taints = [];
    const before = s.world.calls.length;
    const o2 = done(await applyCluster({ ...s.input, plan: plan2, targets: ['node-config@w1'], log: new RunLog({ root: join(tmp, 'runs'), id: 'run-3' }) }));
    expect(o2.result.failed).toEqual([
      {
        id: 'node-config@w1',
        error: expect.stringMatching(
          /^the plan is stale: w1 no longer matches what was planned for node-config@w1 \(.*taint\.dedicated:NoSchedule.*\); run plan again$/,
        ),
      },
    ]);
    expect(s.world.calls.slice(before).filter((c) => c.type === 'exec' && c.what.includes('kubectl'))).toEqual([]);
  });

  it('a node that is not registered when its node-config runs is waited for, then fails honestly', async () => {
    const s = setup();
    done(await applyCluster(s.input));
    s.cluster.nodes.delete('w2');
    s.world.facts.get('w2')!.kubernetes.confFiles = s.world.facts.get('w2')!.kubernetes.confFiles.filter((c) => c !== 'kubelet.conf');
    const plan = planSpec(s.spec, s.world.facts, { env: ENV, clusterFacts: clusterFacts(s.cluster) }).plan;
    // Planned as a read waiting on the join, which is planned too; apply only node-config@w2's host part.
    const o = done(await applyCluster({ ...s.input, plan, targets: ['node-config@w2'], log: new RunLog({ root: join(tmp, 'runs'), id: 'run-4' }) }));
    // The join runs first (a target's dependencies are included), registering the node: then labels.
    expect(o.result.failed).toEqual([]);
    expect(s.cluster.nodes.get('w2')!.labels.tier).toBe('general');

    // Without a join to register it, the comparison cannot be made: failed, never "up to date".
    const t = setup();
    const graph = t.input.graph;
    const { Executor } = await import('../../src/apply/executor.js');
    const ex = new Executor({
      spec: t.spec,
      plan: t.detailed.plan,
      facts: new Map(t.world.facts),
      probe: t.world.probe,
      withTransport: t.world.withTransport,
      env: ENV,
      localFiles: new Map(),
      clusterFacts: t.world.clusterFacts,
      clusterFactsWaitMs: 30,
      clusterFactsIntervalMs: 5,
    });
    await expect(ex.run(graph.node('node-config@w2'), new AbortController().signal)).rejects.toThrow(
      /^cannot compare node-config@w2 with the cluster yet: labels and taints are compared with the cluster once it answers/,
    );
  });
});
