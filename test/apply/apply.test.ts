// applyCluster against fake hosts: the operations a plan implies run in order and change the
// fake facts by their effects; failures, verification, refusals, the lock, Ctrl-C, parallelism and
// the one-at-a-time control-plane group with its /readyz gate.

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplyLock, LockHeldError } from '../../src/apply/lock.js';
import { readyzCommand } from '../../src/apply/readyz.js';
import { renderSummary } from '../../src/apply/progress.js';
import { Executor } from '../../src/apply/executor.js';
import { applyCluster, precheck, type ApplyInput, type ApplyOutcome } from '../../src/apply/run.js';
import { RunLog } from '../../src/apply/runlog.js';
import { restrictPlan, selectTargets, unsupportedKinds } from '../../src/apply/select.js';
import type { WalkEvent } from '../../src/apply/walker.js';
import type { HostFacts } from '../../src/facts/types.js';
import { compile, RESOURCE_KINDS } from '../../src/resources/index.js';
import { type ResourceNode } from '../../src/graph/types.js';
import { kindDef } from '../../src/resources/index.js';
import { hasChanges } from '../../src/plan/model.js';
import { sha256 } from '../../src/resources/diff.js';
import type { DetailedPlan } from '../../src/plan/planner.js';
import type { Operation } from '../../src/resources/operation.js';
import type { ClusterSpec } from '../../src/spec/types.js';
import { bareCluster, planSpec, specFromText } from '../resources/helpers.js';
import { FakeWorld, graphOf, localShell, overlapping, type FakeOptions } from './fake.js';

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
  - { name: w1, address: 10.0.0.21, roles: [worker] }
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
const PASSWORD = 'pw-8c1e';
const ENV = { VRRP_PW: PASSWORD };
/** Everything that does not need Kubernetes binaries. */
const NO_KUBERNETES = ['package-sources', 'os-prep', 'containerd', 'lb-haproxy', 'lb-keepalived'];

let tmp: string;
let lockPath: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hactl-apply-'));
  lockPath = join(tmp, 'lockhost/var/lib/hactl/apply.lock');
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

interface Setup {
  spec: ClusterSpec;
  facts: Map<string, HostFacts>;
  detailed: DetailedPlan;
  world: FakeWorld;
  lockHost: ReturnType<typeof localShell>;
  log: RunLog;
  events: WalkEvent[];
  input: ApplyInput;
}

function setup(opts: FakeOptions = {}, over: Partial<ApplyInput> = {}): Setup {
  const spec = specFromText(SPEC);
  const facts = bareCluster(spec, 'debian12');
  const detailed = planSpec(spec, facts, { env: ENV });
  const world = new FakeWorld(new Map([...facts].map(([k, v]) => [k, structuredClone(v)])), detailed, { delayMs: 2, ...opts });
  const lockHost = localShell();
  const log = new RunLog({ root: join(tmp, 'runs'), id: 'run-0001' });
  const events: WalkEvent[] = [];
  const input: ApplyInput = {
    spec,
    specSha256: detailed.plan.spec.sha256,
    graph: compile(spec),
    plan: detailed.plan,
    targets: NO_KUBERNETES,
    access: world,
    env: ENV,
    localFiles: new Map(),
    operation: 'apply -f cluster.yaml',
    lock: { host: lockHost, path: lockPath },
    log,
    onEvent: (e) => events.push(e),
    ...over,
  };
  return { spec, facts, detailed, world, lockHost, log, events, input };
}

function done(o: ApplyOutcome) {
  if (o.status !== 'done') throw new Error(`refused: ${o.reasons.join('; ')}`);
  return o;
}

const keyOf = (op: Operation) => ('writeFile' in op ? `write ${op.writeFile.path}` : op.command);

/** Resource run intervals from the walker's events. */
function intervals(events: WalkEvent[], nodeHost: (id: string) => string) {
  const start = new Map<string, number>();
  const out: { id: string; host: string; start: number; end: number }[] = [];
  for (const e of events) {
    if (e.type === 'started') start.set(e.id, e.at);
    if (e.type === 'succeeded' || e.type === 'failed') out.push({ id: e.id, host: nodeHost(e.id), start: start.get(e.id)!, end: e.at });
  }
  return out;
}

describe('apply', () => {
  it('applies everything without Kubernetes binaries from bare hosts; the next plan is empty', async () => {
    const s = setup({
      // A tool that echoes the config it checks: the password must not reach the log.
      answer: (_h, cmd) => (cmd.startsWith('keepalived -t') ? { code: 0, stdout: `auth_pass ${PASSWORD}\n`, stderr: '', durationMs: 0 } : undefined),
    });
    const o = done(await applyCluster(s.input));
    const sel = selectTargets(s.input.graph, NO_KUBERNETES);
    expect(o.result.failed).toEqual([]);
    expect(o.result.skipped).toEqual([]);
    expect(o.result.cancelled).toEqual([]);
    expect(o.result.succeeded.sort()).toEqual([...sel.ids].sort());
    expect(o.result.succeeded).not.toContain('kube-packages@cp1');

    // Converged: a plan of the hosts as they are now has nothing left to do in the selection.
    const again = planSpec(s.spec, s.world.facts, { env: ENV });
    const left = restrictPlan(again.plan, sel.ids).changes.filter((c) => c.action !== 'no-op' && c.action !== 'read');
    expect(left.map((c) => `${c.id}: ${c.steps.join('; ')}`)).toEqual([]);
    expect(hasChanges(restrictPlan(again.plan, sel.ids))).toBe(false);

    // On lb1, the planned operations ran in plan order, resource after resource.
    const expected = ['package-sources@lb1', 'os-prep@lb1', 'lb-haproxy@lb1', 'lb-keepalived@lb1'].flatMap((id) => s.detailed.operations.get(id)!.map(keyOf));
    expect(s.world.commandsOn('lb1')).toEqual(expected);
    // The candidate's check handles the password: it is run unlogged, its output masked by the field.
    const keepalivedCheck = s.detailed.operations.get('lb-keepalived@lb1')!.find((o) => 'command' in o && o.command.startsWith('keepalived -t'))!;
    expect(keepalivedCheck.secretFields?.length).toBe(1);

    // The run log: one file per host with every command, exit code and output, masked; events.log.
    const files = readdirSync(s.log.dir).sort();
    expect(files).toEqual(['cp1.log', 'cp2.log', 'cp3.log', 'events.log', 'lb1.log', 'lb2.log', 'w1.log']);
    const lb1 = readFileSync(join(s.log.dir, 'lb1.log'), 'utf8');
    for (const cmd of expected.filter((c) => !c.startsWith('write '))) expect(lb1).toContain(`$ ${cmd}`);
    expect(lb1).toMatch(/write \/etc\/keepalived\/\.keepalived\.conf\.hactl-check \(mode 0600, \d+ bytes\)/);
    expect(lb1).toContain('auth_pass (sensitive value)');
    expect(lb1).toMatch(/exit 0 in \d+ ms/);
    expect(lb1).toContain('lb-keepalived@lb1: verified');
    for (const f of files) expect(readFileSync(join(s.log.dir, f), 'utf8')).not.toContain(PASSWORD);
    const events = readFileSync(join(s.log.dir, 'events.log'), 'utf8');
    expect(events).toContain('succeeded lb-keepalived@lb2');
    expect(events).toMatch(/lock \S+ released/);
    // The lock is gone.
    expect(existsSync(lockPath)).toBe(false);
    expect(renderSummary(o.result, o.plan)).toMatch(/Apply complete! Resources: \d+ added, \d+ changed, 0 destroyed\.\n$/);
  });

  it('a failed resource stops only what depends on it; independent branches finish', async () => {
    const s = setup(
      {
        answer: (h, cmd) =>
          h === 'w1' && /apt-get install .* containerd/.test(cmd)
            ? { code: 100, stdout: '', stderr: 'E: Unable to locate package containerd\n', durationMs: 0 }
            : undefined,
      },
      { targets: [...NO_KUBERNETES, 'kube-packages'] },
    );
    const o = done(await applyCluster(s.input));
    expect(o.result.failed).toEqual([
      { id: 'containerd@w1', error: expect.stringMatching(/^step "install containerd \(apt\)" exited 100: E: Unable to locate package containerd$/) },
    ]);
    expect(o.result.skipped).toEqual([{ id: 'kube-packages@w1', because: ['containerd@w1'] }]);
    for (const id of ['kube-packages@cp1', 'kube-packages@cp2', 'kube-packages@cp3', 'lb-keepalived@lb1', 'lb-keepalived@lb2', 'os-prep@w1']) {
      expect(o.result.succeeded).toContain(id);
    }
    // Nothing of containerd's later steps, nor of kube-packages, ran on w1.
    const w1 = s.world.commandsOn('w1');
    expect(w1.at(-1)).toMatch(/apt-get install .* containerd/);
    expect(w1.some((c) => c.includes('kubeadm'))).toBe(false);
    const summary = renderSummary(o.result, o.plan);
    expect(summary).toContain('Failed (1):\n  containerd@w1: step "install containerd (apt)" exited 100');
    expect(summary).toContain('Skipped (1):\n  kube-packages@w1 (because containerd@w1 failed)');
    expect(summary).toMatch(/Apply failed\. Resources applied before it stopped: \d+ added/);
    expect(readFileSync(join(s.log.dir, 'w1.log'), 'utf8')).toContain('exit 100');
    expect(existsSync(lockPath)).toBe(false);
  });

  it('a step that reports success but changes nothing fails with "did not converge"', async () => {
    const s = setup({ noEffect: (h, cmd) => h === 'lb1' && cmd === 'systemctl restart -- haproxy' });
    const o = done(await applyCluster(s.input));
    expect(o.result.failed).toEqual([
      {
        id: 'lb-haproxy@lb1',
        error:
          'did not converge: lb-haproxy@lb1 on lb1: service.haproxy.active: wanted true, found false; haproxy does not stay running on lb1: read systemctl status haproxy and journalctl -u haproxy -n 50 there, fix the cause, then apply again',
      },
    ]);
    expect(o.result.skipped).toEqual([{ id: 'lb-keepalived@lb1', because: ['lb-haproxy@lb1'] }]);
    expect(o.result.succeeded).toContain('lb-keepalived@lb2');
    expect(o.result.succeeded).not.toContain('lb-haproxy@lb1');
  });

  it('"did not converge" on a file names the resource, the file, what was wanted and found, and where to look', async () => {
    const s = setup({ noEffect: (h, cmd) => h === 'lb2' && cmd === 'write /etc/hosts' });
    const o = done(await applyCluster(s.input));
    const failed = o.result.failed.find((f) => f.id === 'os-prep@lb2');
    expect(failed?.error).toMatch(
      /^did not converge: os-prep@lb2 on lb2: file \/etc\/hosts differs from what was written \(wanted "# BEGIN hactl", wanted "[^"]+ lb2", wanted "# END hactl"\); something on lb2 rewrites \/etc\/hosts after hactl wrote it .*findmnt -T \/etc\/hosts\), then apply again$/,
    );
  });

  it('can apply every kind of the graph; refuses a target that matches nothing before taking the lock', async () => {
    const s = setup({}, { targets: [] });
    // Every kind the compiler makes has an implementation: nothing is refused for its kind.
    expect(RESOURCE_KINDS.filter((k) => kindDef(k) === undefined)).toEqual([]);
    expect(unsupportedKinds(s.input.graph)).toEqual([]);
    expect(precheck({ graph: s.input.graph, plan: s.detailed.plan, targets: [] }).reasons).toEqual([]);

    const t = await applyCluster({ ...s.input, targets: ['containerd@nowhere'] });
    expect(t).toEqual({ status: 'refused', reasons: [expect.stringMatching(/^--target "containerd@nowhere" matches no resource of this cluster/)] });
    expect(s.lockHost.count).toBe(0);
  });

  it('refuses a stale plan under the lock, touching nothing, and releases the lock', async () => {
    const s = setup();
    s.world.facts.get('cp2')!.files['/etc/hosts']!.content += '10.9.9.9 added-by-hand\n';
    const o = await applyCluster(s.input);
    expect(o).toEqual({ status: 'refused', reasons: ['the plan is stale: host cp2 changed since the plan was made (its facts differ)'] });
    expect(s.world.calls.filter((c) => c.type !== 'probe')).toEqual([]);
    expect(s.lockHost.count).toBeGreaterThan(0);
    expect(existsSync(lockPath)).toBe(false);

    const s2 = setup();
    const o2 = await applyCluster({ ...s2.input, specSha256: sha256('another spec') });
    expect(o2.status === 'refused' && o2.reasons).toEqual(['the plan is stale: the spec cluster.yaml changed since the plan was made']);
  });

  it('a change on a host during the run that the plan did not show fails that resource as stale', async () => {
    const s = setup({}, { targets: ['lb-haproxy@lb1'] });
    // Planned as certain (not waiting on package-sources), so it is held to the plan.
    const plan = { ...s.detailed.plan, changes: s.detailed.plan.changes.map((c) => (c.id === 'lb-haproxy@lb1' ? { ...c, pendingOn: undefined } : c)) };
    let n = 0;
    const access = {
      withTransport: s.world.withTransport,
      probe: async (h: ClusterSpec['hosts'][number]) => {
        // Someone edits haproxy.cfg by hand while package-sources@lb1 runs (seen by its verification).
        if (h.name === 'lb1' && ++n === 2)
          s.world.facts.get('lb1')!.files['/etc/haproxy/haproxy.cfg'] = { exists: true, type: 'file' as const, content: 'x\n', mode: 0o644 };
        return s.world.probe(h);
      },
    };
    const o = done(await applyCluster({ ...s.input, plan, access }));
    expect(o.result.succeeded).toEqual(['os-prep@lb1', 'package-sources@lb1', 'preflight@lb1']);
    expect(o.result.failed.map((f) => f.id)).toEqual(['lb-haproxy@lb1']);
    expect(o.result.failed[0]!.error).toMatch(
      /^the plan is stale: lb1 no longer matches what was planned for lb-haproxy@lb1 \(.*file \/etc\/haproxy\/haproxy\.cfg.*\); run plan again$/,
    );
    expect(s.world.commandsOn('lb1').some((c) => c.includes('haproxy'))).toBe(false);

    // Without the edit the same plan applies.
    const t = setup({}, { targets: ['lb-haproxy@lb1'] });
    expect(done(await applyCluster({ ...t.input, plan })).result.failed).toEqual([]);
  });

  it('fails naming the holder when another apply holds the lock, touching nothing', async () => {
    const s = setup();
    const other = await new ApplyLock(localShell(), { path: lockPath, holder: 'bob@admin2' }).acquire({ operation: 'apply plan.json' });
    await expect(applyCluster(s.input)).rejects.toThrow(/held by bob@admin2 \(pid \d+, operation "apply plan\.json"\)/);
    await expect(applyCluster(s.input)).rejects.toBeInstanceOf(LockHeldError);
    expect(s.world.calls).toEqual([]);
    await other.release();
  });

  it('never runs more than --parallelism resources at once, nor two on one host', async () => {
    for (const parallelism of [1, 2, 4]) {
      const s = setup({ delayMs: 3 }, { parallelism });
      const o = done(await applyCluster(s.input));
      expect(o.result.failed).toEqual([]);
      const iv = intervals(s.events, (id) => s.input.graph.node(id).host);
      let max = 0;
      for (const a of iv) max = Math.max(max, iv.filter((b) => b.start <= a.start && a.start < b.end).length);
      expect(max).toBe(parallelism);
      const sameHost = overlapping(iv).filter(([a, b]) => a.host === b.host);
      expect(sameHost).toEqual([]);
    }
  });

  it('never runs two resources of one host at once, even when nothing orders them', async () => {
    const s = setup({ delayMs: 3 });
    // package-sources and os-prep of every host, with no edge between them.
    const graph = graphOf(s.spec.hosts.flatMap((h) => [`package-sources@${h.name}`, `os-prep@${h.name}`].map((id) => s.input.graph.node(id))));
    const plan = restrictPlan(s.detailed.plan, new Set(graph.nodes()));
    const o = done(await applyCluster({ ...s.input, graph, plan, targets: [], parallelism: 10 }));
    expect(o.result.failed).toEqual([]);
    const iv = intervals(s.events, (id) => graph.node(id).host);
    expect(iv).toHaveLength(12);
    expect(overlapping(iv).filter(([a, b]) => a.host === b.host)).toEqual([]);
    // Different hosts did overlap: the cap was not the reason.
    expect(overlapping(iv).length).toBeGreaterThan(0);
  });

  it('runs the control-plane group one host at a time, each gated on /readyz through the first control-plane host', async () => {
    let readyAfter = 0;
    const gateLog: string[] = [];
    const s = setup({
      answer: (h, cmd) => {
        if (!cmd.includes('/readyz')) return undefined;
        gateLog.push(`${h} ${cmd}`);
        // The apiserver comes back on the second ask after each change.
        readyAfter++;
        return readyAfter % 2 === 0
          ? { code: 0, stdout: 'ok\n200', stderr: '', durationMs: 0 }
          : { code: 0, stdout: '[-]etcd failed\nreadyz check failed\n500', stderr: '', durationMs: 0 };
      },
    });
    const cp = ['cp1', 'cp2', 'cp3'];
    const nodes: ResourceNode[] = cp.map((h) => ({ id: `os-prep@${h}`, kind: 'os-prep', host: h, serialGroup: 'control-plane' }));
    const graph = graphOf([...nodes, { id: 'os-prep@w1', kind: 'os-prep', host: 'w1' }]);
    const plan = restrictPlan(s.detailed.plan, new Set(graph.nodes()));
    const o = done(await applyCluster({ ...s.input, graph, plan, targets: [], readyz: { intervalMs: 5, timeoutMs: 5000 } }));
    expect(o.result.succeeded.sort()).toEqual(['os-prep@cp1', 'os-prep@cp2', 'os-prep@cp3', 'os-prep@w1']);
    const iv = intervals(s.events, (id) => graph.node(id).host).filter((i) => i.id !== 'os-prep@w1');
    expect(overlapping(iv)).toEqual([]);
    // Two asks per member (not ready, then ready), all from cp1, at the endpoint.
    expect(gateLog).toHaveLength(6);
    for (const l of gateLog) expect(l).toBe(`cp1 ${readyzCommand({ host: '10.0.0.10', port: 6443 })}`);
    // Each member's gate finished before the next member started.
    const readyCalls = s.world.calls.filter((c) => c.what.includes('/readyz')).filter((_, i) => i % 2 === 1);
    const starts = iv.map((i) => i.start).sort((a, b) => a - b);
    expect(readyCalls).toHaveLength(3);
    for (let i = 0; i < 2; i++) expect(readyCalls[i]!.end).toBeLessThanOrEqual(starts[i + 1]!);
    // The worker is not in the group and did not wait for it.
    expect(s.world.calls.some((c) => c.host === 'w1' && c.what.includes('/readyz'))).toBe(false);
  });

  it('Ctrl-C starts nothing new, lets running resources finish, releases the lock and reports', async () => {
    const stop = new AbortController();
    const s = setup({ delayMs: 5 }, { signal: stop.signal, onEvent: (e) => e.type === 'started' && e.id.startsWith('package-sources') && stop.abort() });
    const o = done(await applyCluster(s.input));
    expect(o.stoppedBy).toBe('interrupted');
    expect(o.result.failed).toEqual([]);
    expect(o.result.cancelled.length).toBeGreaterThan(0);
    expect(o.result.succeeded.some((id) => id.startsWith('package-sources@'))).toBe(true);
    expect(o.result.cancelled).toContain('lb-keepalived@lb1');
    expect(existsSync(lockPath)).toBe(false);
    expect(renderSummary(o.result, o.plan, { stoppedBy: o.stoppedBy! })).toMatch(/Cancelled \(\d+\):[\s\S]*Apply failed \(interrupted\)\./);
  });
});

describe('executor', () => {
  it('fails a kind it cannot apply honestly, and logs a secret-carrying command by its description only', async () => {
    const s = setup();
    const ex = new Executor({
      spec: s.spec,
      plan: s.detailed.plan,
      facts: new Map(s.world.facts),
      probe: s.world.probe,
      withTransport: s.world.withTransport,
      env: ENV,
      localFiles: new Map(),
      log: s.log,
    });
    const never = new AbortController().signal;
    const unknownKind = 'frobnicate' as ResourceNode['kind'];
    await expect(ex.run({ id: 'frobnicate@cp1', kind: unknownKind, host: 'cp1' }, never)).rejects.toThrow('not implemented: frobnicate');
    expect(s.world.calls).toEqual([]);

    // A plan whose os-prep step is marked as carrying a secret (as a join command would be).
    const ops = s.detailed.operations.get('os-prep@w1')!;
    expect(ops.some((o) => 'command' in o && o.command === 'swapoff -a')).toBe(true);
    const sensitive = new Executor({
      spec: s.spec,
      plan: s.detailed.plan,
      facts: new Map(s.world.facts),
      probe: s.world.probe,
      withTransport: s.world.withTransport,
      env: ENV,
      localFiles: new Map(),
      log: s.log,
    });
    const derive = sensitive.derive.bind(sensitive);
    sensitive.derive = (node, facts) => {
      const d = derive(node, facts);
      return { ...d, operations: d.operations.map((o) => ('command' in o && o.command === 'swapoff -a' ? { ...o, sensitive: true } : o)) };
    };
    await sensitive.run({ id: 'os-prep@w1', kind: 'os-prep', host: 'w1' }, never);
    const w1 = readFileSync(join(s.log.dir, 'w1.log'), 'utf8');
    expect(w1).toContain('os-prep@w1: $ (turn swap off (/swap.img): command not logged, it carries a secret)');
    expect(w1).not.toContain('swapoff -a');
    expect(s.world.commandsOn('w1')).toContain('swapoff -a');
    expect(w1).toContain('os-prep@w1: verified');
  });
});

describe('precheck', () => {
  it('keeps a planned host removal in a whole apply, leaves it out of a targeted one, refuses other changes outside the graph', async () => {
    const s = setup();
    const removal = {
      id: 'host-removal@w9',
      kind: 'host-removal',
      host: 'w9',
      action: 'delete' as const,
      attributes: [],
      files: [],
      steps: ['drain node w9'],
      dependsOn: [],
    };
    const { precheck } = await import('../../src/apply/run.js');
    const all = precheck({ graph: s.input.graph, plan: { ...s.detailed.plan, changes: [...s.detailed.plan.changes, removal] }, targets: [] });
    expect(all.reasons).toEqual([]);
    expect(all.plan?.changes.map((c) => c.id)).toContain('host-removal@w9');
    const targeted = precheck({ graph: s.input.graph, plan: { ...s.detailed.plan, changes: [...s.detailed.plan.changes, removal] }, targets: ['os-prep@w1'] });
    expect(targeted.reasons).toEqual([]);
    expect(targeted.plan?.changes.map((c) => c.id)).not.toContain('host-removal@w9');
    const other = { ...removal, id: 'mystery@w9', kind: 'mystery' };
    expect(precheck({ graph: s.input.graph, plan: { ...s.detailed.plan, changes: [...s.detailed.plan.changes, other] }, targets: [] }).reasons).toContain(
      'this version of hactl cannot apply mystery (mystery@w9); apply a subset with --target <id|kind>',
    );
  });
});

describe('steps that run elsewhere and pass secrets along', () => {
  it('runs runOn steps on that host, feeds captured output to stdinFrom, and never logs or shows it', async () => {
    const TOKEN = 'abcdef.0123456789abcdef';
    const joinLine = `kubeadm join 10.0.0.10:6443 --token ${TOKEN} --discovery-token-ca-cert-hash sha256:1234\n`;
    const s = setup({
      answer: (h, cmd) => {
        if (cmd === 'make-join')
          return h === 'cp1' ? { code: 0, stdout: joinLine, stderr: '', durationMs: 0 } : { code: 1, stdout: '', stderr: 'not here', durationMs: 0 };
        if (cmd === 'use-join') return { code: 0, stdout: `joined with ${TOKEN}\n`, stderr: '', durationMs: 0 };
        if (cmd === 'fail-join') return { code: 1, stdout: '', stderr: `error: token ${TOKEN} rejected`, durationMs: 0 };
        return undefined;
      },
    });
    const calls = () => s.world.calls.filter((c) => ['make-join', 'use-join', 'fail-join'].includes(c.what)).map((c) => `${c.host} ${c.what}`);
    const make = (last: string) => {
      const ex = new Executor({
        spec: s.spec,
        plan: s.detailed.plan,
        facts: new Map(s.world.facts),
        probe: s.world.probe,
        withTransport: s.world.withTransport,
        env: ENV,
        localFiles: new Map(),
        log: s.log,
      });
      const derive = ex.derive.bind(ex);
      ex.derive = (node, facts) => {
        const d = derive(node, facts);
        if (d.operations.length === 0) return d;
        const steps: Operation[] = [
          { description: 'make a join command on cp1', command: 'make-join', runOn: 'cp1', captureAs: 'join', effects: [] },
          { description: 'join', command: last, stdinFrom: 'join', effects: [] },
        ];
        return { ...d, operations: [...steps, ...d.operations] };
      };
      return ex;
    };
    const never = new AbortController().signal;
    await make('use-join').run({ id: 'os-prep@w1', kind: 'os-prep', host: 'w1' }, never);
    expect(calls()).toEqual(['cp1 make-join', 'w1 use-join']);
    expect(s.world.calls.find((c) => c.what === 'use-join')!.opts?.stdin).toBe(joinLine);

    const err = await make('fail-join')
      .run({ id: 'os-prep@lb1', kind: 'os-prep', host: 'lb1' }, never)
      .catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('step "join" exited 1: error: token (sensitive value) rejected');
    for (const f of readdirSync(s.log.dir)) expect(readFileSync(join(s.log.dir, f), 'utf8')).not.toContain(TOKEN);
    expect(readFileSync(join(s.log.dir, 'cp1.log'), 'utf8')).toContain('os-prep@w1: $ (make a join command on cp1: output not logged, it carries a secret)');
  });
});
