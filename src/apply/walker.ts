// The graph walker: runs each resource once everything it depends on has succeeded, within a global
// cap, never two resources of one serial group (or, optionally, of one host) at once. A failure
// stops only its descendants; cancellation stops new starts and lets running resources finish.
// Edge v -> w in the graph means w depends on v.

import { alg, type Graph } from '@dagrejs/graphlib';
import type { ResourceNode } from '../graph/types.js';
import { compareStrings } from '../graph/order.js';

/**
 * Brings one resource to its desired state. Resolve only once the host is verified to have
 * converged: whatever resolves is recorded as done. Honour `signal` (hard stop, timeout).
 */
export type RunFn = (node: ResourceNode, signal: AbortSignal) => Promise<void>;

export type WalkEvent =
  | { type: 'started'; id: string; at: number }
  | { type: 'succeeded'; id: string; at: number; durationMs: number }
  | { type: 'failed'; id: string; at: number; durationMs: number; error: string }
  | { type: 'skipped'; id: string; at: number; because: string[] }
  | { type: 'cancelled'; id: string; at: number };

export interface WalkOptions {
  /** Most resources running at once (default 10). */
  parallelism?: number;
  /** At most one resource per host at a time (package managers hold exclusive locks). */
  exclusivePerHost?: boolean;
  /** Graceful stop (first Ctrl-C): start nothing new, let running resources finish. */
  signal?: AbortSignal;
  /** Hard stop (second Ctrl-C): also aborts the signal handed to running resources. */
  abortRunning?: AbortSignal;
  /** Per-resource limit; when reached the resource's signal is aborted and it counts as failed. */
  timeoutMs?: number;
  onEvent?: (event: WalkEvent) => void;
  /** Clock for event timestamps (ms); Date.now by default. */
  now?: () => number;
}

export interface WalkResult {
  succeeded: string[];
  failed: { id: string; error: string }[];
  /** Not run because a dependency failed; `because` names the failed resources upstream. */
  skipped: { id: string; because: string[] }[];
  /** Not run because the walk was cancelled. */
  cancelled: string[];
}

type State = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export const DEFAULT_PARALLELISM = 10;

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return typeof e === 'string' ? e : String(e);
}

/**
 * Per resource, its rank: how far along its chain it is (the longest path to it from a resource
 * with no dependencies), then how many resources wait on it, directly or through others.
 * - Further along first: a host's next step runs before another host's first, so that each host
 *   finishes (a worker joined, its node configured, the CNI once kubeadm init is done) rather
 *   than every host's packages going first and every node's configuration waiting for the last
 *   join.
 * - Then most waited on: the first control-plane host's packages hold up the whole cluster, a
 *   worker's packages only that worker.
 * Dependents are counted with bit sets: linear in the graph's edges times its size / 32.
 */
function ranks(graph: Graph): { depth: Map<string, number>; dependents: Map<string, number> } {
  const order = alg.topsort(graph);
  const index = new Map(order.map((id, i) => [id, i]));
  const depth = new Map<string, number>();
  for (const id of order) depth.set(id, Math.max(-1, ...(graph.predecessors(id) ?? []).map((p) => depth.get(p)!)) + 1);
  const words = (order.length + 31) >> 5;
  const below = new Map<string, Uint32Array>();
  const dependents = new Map<string, number>();
  for (const id of [...order].reverse()) {
    const set = new Uint32Array(words);
    for (const next of graph.successors(id) ?? []) {
      const theirs = below.get(next)!;
      for (let w = 0; w < words; w++) set[w]! |= theirs[w]!;
      const i = index.get(next)!;
      set[i >> 5]! |= 1 << (i & 31);
    }
    below.set(id, set);
    let n = 0;
    for (let w = 0; w < words; w++) {
      let v = set[w]!;
      while (v !== 0) {
        v &= v - 1;
        n++;
      }
    }
    dependents.set(id, n);
  }
  return { depth, dependents };
}

/**
 * Walk `graph`, whose node labels are ResourceNodes (the compiler's `ResourceGraph`, or a plain
 * graphlib Graph in tests); the labels are checked at run time.
 */
export function walk(graph: Graph<unknown, unknown, unknown>, run: RunFn, options: WalkOptions = {}): Promise<WalkResult> {
  const parallelism = options.parallelism ?? DEFAULT_PARALLELISM;
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    return Promise.reject(new RangeError(`parallelism must be a positive integer, got ${parallelism}`));
  }
  // graphlib's algorithms are typed for its default labels; they never read labels.
  const plain = graph as unknown as Graph;
  if (!alg.isAcyclic(plain)) {
    const cycle = alg.findCycles(plain)[0] ?? [];
    return Promise.reject(new Error(`the resource graph has a cycle: ${cycle.join(' -> ')}`));
  }
  const ids = graph.nodes().sort(compareStrings);
  const nodes = new Map<string, ResourceNode>();
  for (const id of ids) {
    const label = graph.node(id) as Partial<ResourceNode> | null | undefined;
    if (typeof label !== 'object' || label === null || typeof label.host !== 'string') {
      return Promise.reject(new Error(`graph node ${id} has no resource label`));
    }
    nodes.set(id, label as ResourceNode);
  }

  const now = options.now ?? Date.now;
  const emit = (e: WalkEvent) => {
    // A broken progress display must not abandon resources halfway through an apply.
    try {
      options.onEvent?.(e);
    } catch {
      /* ignored on purpose */
    }
  };

  const state = new Map<string, State>(ids.map((id) => [id, 'pending']));
  const waitingOn = new Map<string, number>(ids.map((id) => [id, (graph.predecessors(id) ?? []).length]));
  // The ready resource furthest along its chain starts first, then the one most others wait on
  // (see ranks), then by id, for reproducible runs.
  const { depth, dependents } = ranks(plain);
  const before = (a: string, b: string) => depth.get(b)! - depth.get(a)! || dependents.get(b)! - dependents.get(a)! || compareStrings(a, b);
  // Pending resources whose dependencies all succeeded, kept in that order: scanning only these
  // keeps a walk of thousands of resources linear rather than quadratic.
  let ready = ids.filter((id) => waitingOn.get(id) === 0).sort(before);
  let pendingCount = ids.length;
  const makeReady = (id: string) => {
    let lo = 0;
    let hi = ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(ready[mid]!, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    ready.splice(lo, 0, id);
  };
  const skippedBecause = new Map<string, Set<string>>();
  const failures = new Map<string, string>();
  const busyHosts = new Set<string>();
  /** Running resources per serial group. */
  const busyGroups = new Map<string, number>();
  let running = 0;
  const runningSignal = new AbortController();

  return new Promise<WalkResult>((resolve, reject) => {
    const stopping = () => options.signal?.aborted === true || options.abortRunning?.aborted === true;

    const finish = () => {
      for (const id of ids) {
        if (state.get(id) === 'pending') {
          state.set(id, 'cancelled');
          emit({ type: 'cancelled', id, at: now() });
        }
      }
      const result: WalkResult = { succeeded: [], failed: [], skipped: [], cancelled: [] };
      for (const id of ids) {
        switch (state.get(id)) {
          case 'succeeded':
            result.succeeded.push(id);
            break;
          case 'failed':
            result.failed.push({ id, error: failures.get(id) ?? '' });
            break;
          case 'skipped':
            result.skipped.push({ id, because: [...(skippedBecause.get(id) ?? [])].sort(compareStrings) });
            break;
          case 'cancelled':
            result.cancelled.push(id);
            break;
          default:
            break;
        }
      }
      options.signal?.removeEventListener('abort', onStop);
      options.abortRunning?.removeEventListener('abort', onHardStop);
      resolve(result);
    };

    const skipDescendants = (failedId: string) => {
      const queue = [...(graph.successors(failedId) ?? [])];
      const seen = new Set<string>();
      for (let head = 0; head < queue.length; head++) {
        const id = queue[head]!;
        if (seen.has(id)) continue;
        seen.add(id);
        const st = state.get(id);
        if (st === 'pending') {
          state.set(id, 'skipped');
          pendingCount--;
          skippedBecause.set(id, new Set([failedId]));
          emit({ type: 'skipped', id, at: now(), because: [failedId] });
        } else if (st === 'skipped') {
          skippedBecause.get(id)!.add(failedId);
        }
        queue.push(...(graph.successors(id) ?? []));
      }
    };

    const canStart = (node: ResourceNode) =>
      !(options.exclusivePerHost && busyHosts.has(node.host)) &&
      !(node.serialGroup !== undefined && (busyGroups.get(node.serialGroup) ?? 0) >= (node.serialLimit ?? 1));

    const start = (id: string) => {
      const node = nodes.get(id)!;
      state.set(id, 'running');
      pendingCount--;
      running++;
      if (options.exclusivePerHost) busyHosts.add(node.host);
      if (node.serialGroup !== undefined) busyGroups.set(node.serialGroup, (busyGroups.get(node.serialGroup) ?? 0) + 1);
      const startedAt = now();
      emit({ type: 'started', id, at: startedAt });

      const own = new AbortController();
      const onParentAbort = () => own.abort(runningSignal.signal.reason);
      if (runningSignal.signal.aborted) own.abort(runningSignal.signal.reason);
      else runningSignal.signal.addEventListener('abort', onParentAbort, { once: true });
      let timedOut = false;
      const timer =
        options.timeoutMs !== undefined
          ? setTimeout(() => {
              timedOut = true;
              own.abort(new Error(`timed out after ${options.timeoutMs} ms`));
            }, options.timeoutMs)
          : undefined;

      // The executor turns a synchronous throw from `run` into a rejection.
      new Promise<void>((res) => res(run(node, own.signal))).then(
        () => settle(true, undefined),
        (e: unknown) => settle(false, e),
      );

      function settle(ok: boolean, e: unknown) {
        if (timer !== undefined) clearTimeout(timer);
        runningSignal.signal.removeEventListener('abort', onParentAbort);
        running--;
        if (options.exclusivePerHost) busyHosts.delete(node.host);
        if (node.serialGroup !== undefined) busyGroups.set(node.serialGroup, busyGroups.get(node.serialGroup)! - 1);
        const at = now();
        if (ok) {
          state.set(id, 'succeeded');
          emit({ type: 'succeeded', id, at, durationMs: at - startedAt });
          for (const next of graph.successors(id) ?? []) {
            const left = waitingOn.get(next)! - 1;
            waitingOn.set(next, left);
            if (left === 0 && state.get(next) === 'pending') makeReady(next);
          }
        } else {
          const message = timedOut ? `timed out after ${options.timeoutMs} ms: ${errorMessage(e)}` : errorMessage(e);
          state.set(id, 'failed');
          failures.set(id, message);
          emit({ type: 'failed', id, at, durationMs: at - startedAt, error: message });
          skipDescendants(id);
        }
        pump();
      }
    };

    const pump = () => {
      if (!stopping()) {
        const blocked: string[] = [];
        let i = 0;
        for (; i < ready.length && running < parallelism; i++) {
          const id = ready[i]!;
          if (canStart(nodes.get(id)!)) start(id);
          else blocked.push(id);
        }
        ready = blocked.concat(ready.slice(i));
      }
      if (running > 0) return;
      if (stopping() || pendingCount === 0) {
        finish();
        return;
      }
      // In a DAG with failures' descendants skipped, something pending is always startable when
      // nothing runs; getting here is a bookkeeping bug, so say so rather than hang.
      reject(new Error('walker stalled with pending resources and nothing running'));
    };

    function onStop() {
      if (running === 0) pump();
    }
    function onHardStop() {
      runningSignal.abort(options.abortRunning?.reason ?? new Error('aborted'));
      onStop();
    }
    options.signal?.addEventListener('abort', onStop, { once: true });
    if (options.abortRunning?.aborted) runningSignal.abort(options.abortRunning.reason);
    else options.abortRunning?.addEventListener('abort', onHardStop, { once: true });

    pump();
  });
}
