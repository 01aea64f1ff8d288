// Fakes for apply tests: hosts whose facts change by the effects of the operations run on them
// (test/resources/helpers.ts plays them), a transport that records every call with its timing and
// can be told to fail or to do nothing, and a lock host that is a real shell on a temp directory.

import { spawn } from 'node:child_process';
import { Graph } from '@dagrejs/graphlib';
import { randomBytes } from 'node:crypto';
import type { ClusterDaemonSet, ClusterFactsResult, ClusterTaint } from '../../src/facts/cluster.js';
import type { HostFacts } from '../../src/facts/types.js';
import { registrationTaints } from '../../src/resources/kubeadm-config.js';
import type { ClusterSpec } from '../../src/spec/types.js';
import type { GraphLabel, ResourceGraph, ResourceNode } from '../../src/graph/types.js';
import type { DetailedPlan } from '../../src/plan/planner.js';
import { topologicalOrder } from '../../src/graph/compile.js';
import type { Operation } from '../../src/resources/operation.js';
import type { Host } from '../../src/spec/types.js';
import type { ExecOptions, ExecResult, Observation, Transport, WriteFileOptions } from '../../src/transport/transport.js';
import type { HostAccess } from '../../src/apply/run.js';
import type { LockHost } from '../../src/apply/lock.js';
import { applyOperations } from '../resources/helpers.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Call {
  host: string;
  type: 'exec' | 'write' | 'probe';
  what: string;
  start: number;
  end: number;
  opts?: ExecOptions;
}

export interface FakeOptions {
  /** ms each call takes. */
  delayMs?: number;
  /** A scripted answer instead of running the command (e.g. a failure). */
  answer?: (host: string, cmd: string, stdin?: string) => ExecResult | undefined;
  /** The command "succeeds" but changes nothing. */
  noEffect?: (host: string, cmd: string) => boolean;
  /** The host cannot be reached (probe and connection). */
  unreachable?: (host: string) => string | undefined;
}

export class FakeWorld implements HostAccess {
  readonly calls: Call[] = [];
  private readonly ops = new Map<string, Operation>();
  /** The Kubernetes cluster the hosts form, when the test has one (see FakeCluster). */
  cluster?: FakeCluster;

  constructor(
    readonly facts: Map<string, HostFacts>,
    detailed: DetailedPlan,
    readonly opts: FakeOptions = {},
  ) {
    const hostOf = new Map(detailed.plan.changes.map((c) => [c.id, c.host]));
    for (const [id, list] of detailed.operations) for (const op of list) this.ops.set(`${hostOf.get(id)} ${keyOf(op)}`, op);
  }

  /** The walker's clock, so calls and walk events can be compared. */
  now(): number {
    return Date.now();
  }

  probe = async (host: Host) => {
    const start = this.now();
    await sleep(this.opts.delayMs ?? 1);
    const why = this.opts.unreachable?.(host.name);
    this.calls.push({ host: host.name, type: 'probe', what: 'facts-probe', start, end: this.now() });
    if (why !== undefined) return { ok: false as const, reason: why };
    return { ok: true as const, facts: structuredClone(this.facts.get(host.name)!) };
  };

  /** What `gatherClusterFacts` would read: nothing while no control-plane host has admin.conf. */
  clusterFacts = async (_facts: ReadonlyMap<string, HostFacts>): Promise<ClusterFactsResult> => {
    await sleep(this.opts.delayMs ?? 1);
    if (this.cluster === undefined) return { ok: false, reason: 'no control-plane host with /etc/kubernetes/admin.conf was observed' };
    return this.cluster.read();
  };

  withTransport = async <T>(host: Host, fn: (t: Transport) => Promise<T>): Promise<T> => {
    const why = this.opts.unreachable?.(host.name);
    if (why !== undefined) throw new Error(`${host.name}: unreachable: ${why}`);
    return fn(new FakeTransport(this, host.name));
  };

  /** Run one operation's effects on the host; a precondition the real tool has fails it. */
  play(host: string, key: string, cmd: string): ExecResult {
    const op = this.ops.get(`${host} ${key}`);
    if (op === undefined) return { code: 127, stdout: '', stderr: `fake host: no operation known for ${key}`, durationMs: 0 };
    if (this.opts.noEffect?.(host, cmd)) return { code: 0, stdout: '', stderr: '', durationMs: 0 };
    try {
      this.facts.set(host, applyOperations(this.facts.get(host)!, [op]));
      return { code: 0, stdout: '', stderr: '', durationMs: 0 };
    } catch (e) {
      return { code: 1, stdout: '', stderr: (e as Error).message, durationMs: 0 };
    }
  }

  commandsOn(host: string): string[] {
    return this.calls.filter((c) => c.host === host && c.type !== 'probe').map((c) => c.what);
  }
}

function keyOf(op: Operation): string {
  return 'writeFile' in op ? `write ${op.writeFile.path}` : op.command;
}

class FakeTransport implements Transport {
  readonly readOnly = false;
  constructor(
    private readonly world: FakeWorld,
    readonly host: string,
  ) {}

  async exec(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
    const start = this.world.now();
    await sleep(this.world.opts.delayMs ?? 1);
    const r =
      this.world.opts.answer?.(this.host, cmd, opts?.stdin?.toString()) ??
      this.world.cluster?.exec(this.host, cmd, opts?.stdin?.toString()) ??
      this.world.play(this.host, cmd, cmd);
    this.world.calls.push({ host: this.host, type: 'exec', what: cmd, start, end: this.world.now(), ...(opts ? { opts } : {}) });
    return { ...r, durationMs: this.world.now() - start };
  }

  observe(_o: Observation): Promise<ExecResult> {
    throw new Error('the executor observes through the probe function');
  }

  readFile(): Promise<Buffer | undefined> {
    return Promise.resolve(undefined);
  }

  async writeFile(path: string, _content: string | Buffer, _opts: WriteFileOptions): Promise<void> {
    const start = this.world.now();
    await sleep(this.world.opts.delayMs ?? 1);
    const r = this.world.play(this.host, `write ${path}`, `write ${path}`);
    this.world.calls.push({ host: this.host, type: 'write', what: `write ${path}`, start, end: this.world.now() });
    if (r.code !== 0) throw new Error(r.stderr);
  }

  upload(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A lock host that runs the lock's scripts in a real local shell (paths point into a temp dir). */
export function localShell(name = 'cp1'): LockHost & { count: number } {
  const h = {
    name,
    count: 0,
    exec(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
      h.count++;
      const start = Date.now();
      return new Promise((resolve, reject) => {
        const p = spawn('sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('error', reject);
        p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, durationMs: Date.now() - start }));
        // A script that does not read its input may exit before it is written.
        p.stdin.on('error', () => undefined);
        p.stdin.end(opts?.stdin ?? '');
      });
    },
  };
  return h;
}

/** A graph of the given nodes and edges (dep -> dependent). */
export function graphOf(nodes: ResourceNode[], edges: [string, string][] = []): ResourceGraph {
  const g = new Graph<GraphLabel, ResourceNode, undefined>({ directed: true });
  g.setGraph({ cluster: 'test' });
  for (const n of nodes) g.setNode(n.id, n);
  for (const [a, b] of edges) g.setEdge(a, b);
  return g;
}

/** Pairs of intervals that overlap. */
export function overlapping<T extends { start: number; end: number }>(xs: T[]): [T, T][] {
  const out: [T, T][] = [];
  for (let i = 0; i < xs.length; i++)
    for (let j = i + 1; j < xs.length; j++) if (xs[i]!.start < xs[j]!.end && xs[j]!.start < xs[i]!.end) out.push([xs[i]!, xs[j]!]);
  return out;
}

const ok = (stdout = ''): ExecResult => ({ code: 0, stdout, stderr: '', durationMs: 0 });
const fail = (stderr: string, code = 1): ExecResult => ({ code, stdout: '', stderr, durationMs: 0 });

/** Words of a shell command line (single quotes and plain words, as shellQuote writes them). */
export function shellWords(s: string): string[] {
  const out: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) out.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!);
  return out;
}

interface FakeNode {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  taints: ClusterTaint[];
}

/**
 * The API server of a fake cluster, as kubectl and kubeadm see it from the hosts: nodes register
 * once their host has kubelet.conf (with kubeadm's registration taints), `kubectl label|taint|
 * annotate node` change them, applying the CNI's candidate creates its DaemonSets (and makes the
 * nodes Ready), `kubeadm token create` issues tokens that a join must bring on its standard input,
 * /readyz answers once the first control-plane host is initialised. `smoke` decides the smoke
 * test's steps.
 */
export class FakeCluster {
  readonly nodes = new Map<string, FakeNode>();
  daemonsets: ClusterDaemonSet[] = [];
  /** Join commands (and certificate keys) handed out, in order: secrets the tests look for. */
  readonly issued: string[] = [];
  /** Cluster-facts reads. */
  reads = 0;

  constructor(
    readonly world: FakeWorld,
    readonly spec: ClusterSpec,
    readonly cni: ClusterDaemonSet[],
    readonly smoke: (cmd: string) => ExecResult = () => ok(),
  ) {}

  private has(host: string, conf: string): boolean {
    return this.world.facts.get(host)?.kubernetes.confFiles.includes(conf) === true;
  }

  private sync(): void {
    for (const h of this.spec.hosts) {
      if (this.nodes.has(h.name) || !this.has(h.name, 'kubelet.conf')) continue;
      const taints = registrationTaints(h).map((t) => ({
        key: t.key,
        ...(t.value !== undefined && t.value !== '' ? { value: t.value } : {}),
        effect: t.effect,
      }));
      this.nodes.set(h.name, { labels: { 'kubernetes.io/hostname': h.name }, annotations: {}, taints });
    }
  }

  read(): ClusterFactsResult {
    const from = this.spec.hosts.find((h) => h.roles.includes('control-plane') && this.has(h.name, 'admin.conf'));
    if (from === undefined) return { ok: false, reason: 'no control-plane host with /etc/kubernetes/admin.conf was observed' };
    this.reads++;
    this.sync();
    return {
      ok: true,
      facts: {
        observedFrom: from.name,
        nodes: [...this.nodes]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([name, n]) => ({ name, ready: this.daemonsets.length > 0, ...structuredClone(n), unschedulable: false })),
        daemonsets: structuredClone(this.daemonsets),
        leaseHolders: { scheduler: from.name, controllerManager: from.name },
      },
    };
  }

  /** The command's answer when it talks to the cluster; undefined to let the fake host play it. */
  exec(host: string, cmd: string, stdin: string | undefined): ExecResult | undefined {
    const admin = this.has(host, 'admin.conf');
    if (cmd.includes('/readyz')) return admin ? ok('ok\n200') : fail('curl: (7) Failed to connect', 7);
    if (cmd.includes('kubeadm token create --print-join-command')) {
      if (!admin) return fail('hactl: /etc/kubernetes/admin.conf is missing here');
      const token = `${randomBytes(3).toString('hex')}.${randomBytes(8).toString('hex')}`;
      const line = `kubeadm join 10.0.0.10:6443 --token ${token} --discovery-token-ca-cert-hash sha256:${randomBytes(32).toString('hex')} `;
      this.issued.push(line);
      if (!cmd.includes('upload-certs')) return ok(`${line}\n`);
      const key = randomBytes(32).toString('hex');
      this.issued.push(key);
      return ok(`${line}\n${key}\n`);
    }
    if (cmd.includes('kubeadm join --config')) {
      // The values must be the ones just issued on the first control-plane host, fed on stdin.
      const line = stdin?.split('\n')[0]?.trim();
      if (line === undefined || !this.issued.some((l) => l.trim() === line))
        return fail('hactl: no valid join command on standard input (expected from the first control-plane host)');
      if (cmd.includes('no valid certificate key')) {
        const key = stdin!.split('\n')[1];
        if (key === undefined || !this.issued.includes(key)) return fail('hactl: no valid certificate key on standard input');
      }
      return undefined;
    }
    if (cmd.includes('hactl-smoke')) return admin ? this.smoke(cmd) : fail('hactl: no admin.conf');
    const node = / (label|taint|annotate) --overwrite node (.*)$/.exec(cmd);
    if (node) {
      if (!admin) return fail('hactl: /etc/kubernetes/admin.conf is missing here');
      this.sync();
      const [name, ...args] = shellWords(node[2]!);
      const n = this.nodes.get(name!);
      if (n === undefined) return fail(`Error from server (NotFound): nodes "${name}" not found`);
      for (const a of args) {
        if (node[1] === 'taint') {
          const m = /^([^=:]+)(?:=([^:]*))?:([A-Za-z]+)(-?)$/.exec(a);
          if (!m) return fail(`error: invalid taint spec: ${a}`);
          n.taints = n.taints.filter((t) => !(t.key === m[1] && t.effect === m[3]));
          if (m[4] !== '-') n.taints.push({ key: m[1]!, ...(m[2] ? { value: m[2] } : {}), effect: m[3]! });
          continue;
        }
        const map = node[1] === 'label' ? n.labels : n.annotations;
        if (a.endsWith('-')) Reflect.deleteProperty(map, a.slice(0, -1));
        else {
          const i = a.indexOf('=');
          if (i < 0) return fail(`error: invalid ${node[1]} ${a}`);
          map[a.slice(0, i)] = a.slice(i + 1);
        }
      }
      return ok(`node/${name} ${node[1] === 'label' ? 'labeled' : node[1] === 'taint' ? 'modified' : 'annotated'}\n`);
    }
    // Applying the CNI's candidate (converge's validate step), or the recorded manifest again, creates its DaemonSets.
    if (/ apply -f .*\bcni\.(yaml|url)/.test(cmd)) {
      if (!admin) return fail('The connection to the server localhost:8080 was refused');
      for (const d of this.cni) if (!this.daemonsets.some((x) => x.namespace === d.namespace && x.name === d.name)) this.daemonsets.push(structuredClone(d));
      return undefined;
    }
    return undefined;
  }
}

/**
 * Carries out a plan as apply would, in graph order: steps that talk to the cluster (kubectl,
 * kubeadm token) against `cluster`, every other step as its effects on the host's facts (which
 * fail where the real tool would).
 */
export function playPlan(world: FakeWorld, cluster: FakeCluster, graph: ResourceGraph, detailed: DetailedPlan): void {
  const hostOf = new Map(detailed.plan.changes.map((c) => [c.id, c.host]));
  for (const id of topologicalOrder(graph)) {
    const host = hostOf.get(id);
    // What a step printed for a later one of the same resource (a join command).
    const captured = new Map<string, string>();
    for (const op of detailed.operations.get(id) ?? []) {
      const stdin = 'command' in op && op.stdinFrom !== undefined ? captured.get(op.stdinFrom) : undefined;
      const r = 'command' in op ? cluster.exec(op.runOn ?? host!, op.command, stdin) : undefined;
      if (r !== undefined && r.code !== 0) throw new Error(`${id}: ${op.description}: ${r.stderr}`);
      if (r !== undefined && 'command' in op && op.captureAs !== undefined) captured.set(op.captureAs, r.stdout);
      if (r === undefined) world.facts.set(host!, applyOperations(world.facts.get(host!)!, [op]));
    }
  }
}
