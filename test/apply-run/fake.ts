// Fakes for apply tests: hosts whose facts change by the effects of the operations run on them
// (test/resources/helpers.ts plays them), a transport that records every call with its timing and
// can be told to fail or to do nothing, and a lock host that is a real shell on a temp directory.

import { spawn } from 'node:child_process';
import { Graph } from '@dagrejs/graphlib';
import type { HostFacts } from '../../src/facts/types.js';
import type { GraphLabel, ResourceGraph, ResourceNode } from '../../src/graph/types.js';
import type { DetailedPlan } from '../../src/plan/planner.js';
import type { Operation } from '../../src/resources/converge.js';
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
  answer?: (host: string, cmd: string) => ExecResult | undefined;
  /** The command "succeeds" but changes nothing. */
  noEffect?: (host: string, cmd: string) => boolean;
  /** The host cannot be reached (probe and connection). */
  unreachable?: (host: string) => string | undefined;
}

export class FakeWorld implements HostAccess {
  readonly calls: Call[] = [];
  private readonly ops = new Map<string, Operation>();

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
    const r = this.world.opts.answer?.(this.host, cmd) ?? this.world.play(this.host, cmd, cmd);
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
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (xs[i]!.start < xs[j]!.end && xs[j]!.start < xs[i]!.end) out.push([xs[i]!, xs[j]!]);
  return out;
}
