// Carrying out a reset over the transport: which hosts answer (read-only, before anything is
// asked), then each host's steps in order, phase by phase. A host that fails stops its own later
// steps only; the others go on, so one broken host never leaves the rest half torn down.

import type { HostPool } from '../transport/pool.js';
import { Semaphore } from '../transport/semaphore.js';
import type { HostReset, ResetPlan } from './plan.js';

/** Why a host could not be reached, by host name; absent when it answered. */
export type Unreachable = Map<string, string>;

const withoutHost = (host: string, message: string) => (message.startsWith(`${host}: `) ? message.slice(host.length + 2) : message);

/** Which of the plan's hosts answer, through a read-only pool: a file is read, nothing runs. */
export async function findUnreachable(plan: ResetPlan, pool: HostPool): Promise<Unreachable> {
  if (!pool.readOnly) throw new Error('reset checks hosts through a read-only pool only');
  const out: Unreachable = new Map();
  await Promise.all(
    plan.hosts.map((r) =>
      pool
        .observe(r.host, (o) => o.readFile('/etc/hostname'))
        .then(
          () => undefined,
          (e: unknown) => void out.set(r.host.name, withoutHost(r.host.name, e instanceof Error ? e.message : String(e))),
        ),
    ),
  );
  return out;
}

export type HostOutcome =
  | { host: string; status: 'reset'; steps: number }
  | { host: string; status: 'failed'; steps: number; step: string; error: string }
  | { host: string; status: 'unreachable'; error: string }
  | { host: string; status: 'cancelled' };

export interface ResetRunOptions {
  /** Hosts found unreachable before confirmation: not tried again. */
  unreachable: Unreachable;
  /** Hosts reset at once within a phase that allows it. */
  parallelism: number;
  stepTimeoutMs: number;
  /** Called as each step starts, for progress. */
  onStep?: (host: string, step: string) => void;
  signal?: AbortSignal;
}

/** Runs every host's steps through `pool` (writable), in the plan's order; one outcome per host, in plan order. */
export async function carryOutReset(plan: ResetPlan, pool: HostPool, opts: ResetRunOptions): Promise<HostOutcome[]> {
  if (pool.readOnly) throw new Error('reset needs a writable pool');
  const outcomes = new Map<string, HostOutcome>();
  const one = async (r: HostReset): Promise<void> => {
    const name = r.host.name;
    const before = opts.unreachable.get(name);
    if (before !== undefined) return void outcomes.set(name, { host: name, status: 'unreachable', error: before });
    if (opts.signal?.aborted) return void outcomes.set(name, { host: name, status: 'cancelled' });
    let done = 0;
    try {
      await pool.run(r.host, async (t) => {
        for (const op of r.operations) {
          if (opts.signal?.aborted) throw new Cancelled();
          opts.onStep?.(name, op.description);
          const res = await t.exec(op.command, { timeoutMs: opts.stepTimeoutMs });
          if (res.code !== 0) throw new StepFailed(op.description, `exit ${res.code}${res.stderr.trim() ? `: ${lastLines(res.stderr)}` : ''}`);
          done++;
        }
      });
      outcomes.set(name, { host: name, status: 'reset', steps: done });
    } catch (e) {
      if (e instanceof Cancelled) outcomes.set(name, { host: name, status: 'cancelled' });
      else if (e instanceof StepFailed) outcomes.set(name, { host: name, status: 'failed', steps: done, step: e.step, error: e.message });
      else if (done === 0) outcomes.set(name, { host: name, status: 'unreachable', error: withoutHost(name, (e as Error).message) });
      else
        outcomes.set(name, {
          host: name,
          status: 'failed',
          steps: done,
          step: r.operations[done]!.description,
          error: withoutHost(name, (e as Error).message),
        });
    }
  };
  const phases: HostReset['phase'][] = ['workers', 'control-plane', 'infrastructure'];
  for (const phase of phases) {
    const hosts = plan.hosts.filter((r) => r.phase === phase);
    // Control-plane hosts one at a time: each kubeadm reset takes its etcd member out while the others still answer.
    const sem = new Semaphore(phase === 'control-plane' ? 1 : Math.max(1, opts.parallelism));
    await Promise.all(
      hosts.map(async (r) => {
        await sem.acquire();
        try {
          await one(r);
        } finally {
          sem.release();
        }
      }),
    );
  }
  return plan.hosts.map((r) => outcomes.get(r.host.name)!);
}

class Cancelled extends Error {}

class StepFailed extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

/** The end of what a host printed, with control characters shown escaped (it goes to a terminal). */
function lastLines(text: string, n = 3): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point: they are escaped before reaching a terminal
  const escaped = (line: string) => line.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return text.trim().split('\n').slice(-n).map(escaped).join(' | ');
}
