// One apply, start to end, apart from the command line: refuse what cannot be applied (before the
// lock is taken or anything is touched), take the lock, observe every host and refuse a stale plan,
// carry out host removals, walk the graph with the executor, release the lock whatever happens.

import { gatherClusterFacts, gatherEtcdFacts, type EtcdFactsResult } from '../facts/cluster.js';
import { gatherEtcdStacked } from '../facts/etcd-stacked.js';
import type { FactRequest, HostFacts } from '../facts/types.js';
import { gatherHostFacts } from '../facts/gather.js';
import { resolvePlacement } from '../spec/topology.js';
import type { ResourceGraph, ResourceNode } from '../graph/types.js';
import type { Plan } from '../plan/model.js';
import { hostFactsDigest } from '../plan/planner.js';
import { checkStale } from '../plan/saved.js';
import { withClusterHost } from '../plan/cluster-host.js';
import type { ClusterSpec, Host } from '../spec/types.js';
import type { HostPool } from '../transport/pool.js';
import { Executor, type ClusterFactsFn, type EtcdFactsFn, type ProbeFn, type ProbeResult, type WithTransport } from './executor.js';
import { ApplyLock, type HeldLock, type LockHost, type LockOptions } from './lock.js';
import { waitForReadyz } from './readyz.js';
import type { RunLog } from './runlog.js';
import { restrictPlan, selectTargets, unsupportedKinds } from './select.js';
import { carryOutRemovals, plannedRemovals } from './removals.js';
import { sharedReads } from './shared-reads.js';
import { walk, type WalkEvent, type WalkResult } from './walker.js';

export interface HostAccess {
  probe: ProbeFn;
  withTransport: WithTransport;
  /** Reads the cluster facts (node-config, cni and smoke-test are derived with them). */
  clusterFacts?: ClusterFactsFn;
  /** Reads external etcd's membership (the etcd kind is derived with it). */
  etcdFacts?: EtcdFactsFn;
  /** Reads stacked etcd's membership (removals and replacements of control-plane hosts are derived with it). */
  stackedEtcdFacts?: (facts: ReadonlyMap<string, HostFacts>) => Promise<EtcdFactsResult | undefined>;
}

/**
 * Probes and writable connections through one pool (shared with the lock and the gate); the
 * cluster facts, read-only, through the first of `controlPlane` whose facts show admin.conf.
 */
export function poolAccess(pool: HostPool, request: FactRequest, controlPlane: readonly Host[] = [], etcdHosts: readonly Host[] = []): HostAccess {
  return {
    // One read serves every resource that asks while it runs (node-config on each worker).
    clusterFacts: sharedReads((facts: ReadonlyMap<string, HostFacts>) => gatherClusterFacts(controlPlane, facts, pool)),
    stackedEtcdFacts: (facts) => gatherEtcdStacked(controlPlane, facts, pool),
    ...(etcdHosts.length > 0 ? { etcdFacts: (facts: ReadonlyMap<string, HostFacts>) => gatherEtcdFacts(etcdHosts, facts, pool) } : {}),
    probe: async (host: Host): Promise<ProbeResult> => {
      const r = await gatherHostFacts(host, pool, request);
      return r.ok ? { ok: true, facts: r.facts, clockSkewSeconds: r.clockSkewSeconds } : { ok: false, reason: r.reason };
    },
    withTransport: (host, fn) => pool.run(host, fn),
  };
}

/**
 * The lock lives on the first control-plane host listed, or the first host when there is none. It
 * is chosen from the spec alone, never from what answers: every apply of one spec must take the
 * same lock, and two applies where only one sees that host down would otherwise lock different
 * hosts. A lost first host is replaced in the spec (a new name, or a bare machine under its name)
 * before anything else is applied, and either way the lock host answers again.
 */
export function lockHostOf(spec: ClusterSpec): Host {
  try {
    return resolvePlacement(spec).firstControlPlane;
  } catch {
    return spec.hosts[0]!;
  }
}

/**
 * The host that probes /readyz after control-plane changes: the cluster host (the first observed,
 * initialised control-plane host), so a lost or reinstalled first host does not stall the gate.
 */
export function readyzHostOf(spec: ClusterSpec, facts: ReadonlyMap<string, HostFacts>): Host {
  try {
    return withClusterHost(resolvePlacement(spec), facts).clusterHost;
  } catch {
    return spec.hosts[0]!;
  }
}

export function execOn(access: HostAccess, host: Host): LockHost {
  return { name: host.name, exec: (cmd, opts) => access.withTransport(host, (t) => t.exec(cmd, opts)) };
}

export interface ApplyInput {
  spec: ClusterSpec;
  specSha256: string;
  /** The whole compiled graph; targets select from it. */
  graph: ResourceGraph;
  /** The contract: the plan shown and approved, or loaded from a file. */
  plan: Plan;
  targets?: readonly string[];
  access: HostAccess;
  env: Readonly<Record<string, string | undefined>>;
  localFiles: ReadonlyMap<string, string>;
  operation: string;
  lock?: LockOptions & { timeoutMs?: number; pollMs?: number; host?: LockHost };
  parallelism?: number;
  resourceTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** How long a resource compared with the cluster waits for it (a node registering), and how often it asks. */
  clusterFactsWaitMs?: number;
  clusterFactsIntervalMs?: number;
  /** The /readyz gate after control-plane changes. */
  readyz?: { timeoutMs?: number; intervalMs?: number };
  log?: RunLog;
  onEvent?: (e: WalkEvent) => void;
  onStep?: (id: string, description: string) => void;
  /** Messages for the operator (lock waits, lock lost). */
  note?: (line: string) => void;
  /** Graceful stop: start nothing new. */
  signal?: AbortSignal;
  /** Hard stop: abort running resources too. */
  abortRunning?: AbortSignal;
}

export type ApplyOutcome = { status: 'refused'; reasons: string[] } | { status: 'done'; result: WalkResult; plan: Plan; lockId: string; stoppedBy?: string };

/** Reasons to refuse before anything is touched: unsupported kinds, plan errors, bad targets. */
export function precheck(input: Pick<ApplyInput, 'graph' | 'plan' | 'targets'>): { reasons: string[]; graph?: ResourceGraph; plan?: Plan } {
  let sel;
  try {
    sel = selectTargets(input.graph, input.targets ?? []);
  } catch (e) {
    return { reasons: [(e as Error).message] };
  }
  const reasons: string[] = [];
  const unsupported = unsupportedKinds(sel.graph);
  if (unsupported.length > 0) {
    reasons.push(
      `this version of hactl cannot apply ${unsupported.map((u) => `${u.kind} (${u.ids.join(', ')})`).join(', ')}; ` +
        `apply a subset with --target <id|kind> (what a target depends on is included)`,
    );
  }
  // Changes outside the graph: host removals (carried out before the walk, only by a whole
  // apply: a targeted one leaves them for later); anything else has nothing to carry it out.
  const whole = (input.targets ?? []).length === 0;
  const removals = plannedRemovals(input.plan);
  const outside = input.plan.changes.filter((c) => !input.graph.hasNode(c.id) && c.action !== 'no-op' && c.action !== 'read' && !removals.includes(c.id));
  if (outside.length > 0 && whole) {
    reasons.push(`this version of hactl cannot apply ${outside.map((c) => `${c.kind} (${c.id})`).join(', ')}; apply a subset with --target <id|kind>`);
  }
  const plan = restrictPlan(input.plan, whole ? new Set([...sel.ids, ...removals]) : sel.ids);
  const missing = [...sel.ids].filter((id) => !plan.changes.some((c) => c.id === id));
  if (missing.length > 0) reasons.push(`the plan has no entry for ${missing.sort().join(', ')} (was it made from another spec?)`);
  for (const d of plan.diagnostics) {
    if (d.severity === 'error') reasons.push(`the plan has an error${d.host ? ` on ${d.host}` : ''}${d.resource ? ` (${d.resource})` : ''}: ${d.message}`);
  }
  return reasons.length > 0 ? { reasons } : { reasons, graph: sel.graph, plan };
}

export async function applyCluster(input: ApplyInput): Promise<ApplyOutcome> {
  const pre = precheck(input);
  if (pre.reasons.length > 0 || pre.graph === undefined || pre.plan === undefined) return { status: 'refused', reasons: pre.reasons };
  const graph = pre.graph;
  const plan = pre.plan;
  const log = input.log;
  const note = (m: string) => {
    log?.event(m);
    input.note?.(m);
  };

  // Stop starting new resources on a graceful stop, or when the lock is no longer ours.
  const stop = new AbortController();
  let stoppedBy: string | undefined;
  const onStop = () => {
    stoppedBy ??= 'interrupted';
    stop.abort(new Error('interrupted'));
  };
  if (input.signal?.aborted) onStop();
  input.signal?.addEventListener('abort', onStop, { once: true });

  const lockTarget = lockHostOf(input.spec);
  const lock = new ApplyLock(input.lock?.host ?? execOn(input.access, lockTarget), input.lock ?? {});
  let waitedNoted = false;
  let held: HeldLock;
  try {
    held = await lock.acquire({
      operation: input.operation,
      timeoutMs: input.lock?.timeoutMs ?? 0,
      pollMs: input.lock?.pollMs ?? 2000,
      ...(input.signal ? { signal: input.signal } : {}),
      onWait: (l) => {
        if (waitedNoted) return;
        waitedNoted = true;
        note(
          `waiting for the apply lock on ${lock.host.name}: held by ${l.info?.holder ?? 'unknown'} (operation "${l.info?.operation ?? '?'}", lock ID ${l.info?.id ?? '?'})`,
        );
      },
      onLost: (why) => {
        stoppedBy = why;
        note(`${why}: starting nothing new`);
        stop.abort(new Error(why));
      },
      onRefreshError: (e) => log?.event(`refreshing the lock failed (will retry): ${e.message}`),
    });
  } catch (e) {
    input.signal?.removeEventListener('abort', onStop);
    throw e;
  }
  log?.event(`lock ${held.id} taken on ${held.host} (${held.path})`);

  try {
    // Observe every host now, under the lock: the plan must still describe them.
    const facts = new Map<string, HostFacts>();
    const skew = new Map<string, number>();
    const digests: Record<string, string | undefined> = {};
    await Promise.all(
      input.spec.hosts.map(async (h) => {
        const r = await input.access.probe(h);
        if (r.ok) {
          facts.set(h.name, r.facts);
          if (r.clockSkewSeconds !== undefined) skew.set(h.name, r.clockSkewSeconds);
          digests[h.name] = hostFactsDigest(r.facts);
        } else {
          digests[h.name] = undefined;
          log?.host(h.name, `cannot observe: ${r.reason}`);
        }
      }),
    );
    // Hosts being removed are not in the spec and not observed: the removal checks them itself.
    const stale = checkStale(
      { ...input.plan, hosts: input.plan.hosts.filter((h) => h.removed !== true) },
      { specSha256: input.specSha256, factsDigests: digests },
    );
    if (stale.length > 0) return { status: 'refused', reasons: stale.map((r) => `the plan is stale: ${r}`) };

    const readyzHost = readyzHostOf(input.spec, facts);
    const executor = new Executor({
      spec: input.spec,
      plan,
      facts,
      clockSkew: skew,
      probe: input.access.probe,
      withTransport: input.access.withTransport,
      env: input.env,
      localFiles: input.localFiles,
      ...(log ? { log } : {}),
      ...(input.onStep ? { onStep: input.onStep } : {}),
      ...(input.commandTimeoutMs !== undefined ? { commandTimeoutMs: input.commandTimeoutMs } : {}),
      ...(input.access.clusterFacts ? { clusterFacts: input.access.clusterFacts } : {}),
      ...(input.access.etcdFacts ? { etcdFacts: input.access.etcdFacts } : {}),
      ...(input.clusterFactsWaitMs !== undefined ? { clusterFactsWaitMs: input.clusterFactsWaitMs } : {}),
      ...(input.clusterFactsIntervalMs !== undefined ? { clusterFactsIntervalMs: input.clusterFactsIntervalMs } : {}),
      controlPlaneGate: (_node: ResourceNode, signal: AbortSignal) =>
        waitForReadyz(execOn(input.access, readyzHost), input.spec.controlPlaneEndpoint, {
          signal,
          timeoutMs: input.readyz?.timeoutMs ?? 300_000,
          ...(input.readyz?.intervalMs !== undefined ? { intervalMs: input.readyz.intervalMs } : {}),
        }),
    });
    const removed = await carryOutRemovals({
      spec: input.spec,
      plan,
      facts,
      ...(input.access.clusterFacts ? { clusterFacts: input.access.clusterFacts } : {}),
      ...(input.access.stackedEtcdFacts ? { stackedEtcdFacts: input.access.stackedEtcdFacts } : {}),
      executor,
      signal: stop.signal,
      onEvent: (e) => {
        log?.event(`${e.type} ${e.id}${e.type === 'failed' ? `: ${e.error}` : ''}`);
        input.onEvent?.(e);
      },
    });
    if (removed.failed.length + removed.cancelled.length > 0) {
      // A removal that failed is retried by the next plan (the cluster still records the host); the walk waits for it.
      const because = removed.failed.map((f) => f.id);
      const result: WalkResult = {
        succeeded: removed.succeeded,
        failed: removed.failed,
        skipped: because.length > 0 ? graph.nodes().map((id) => ({ id, because })) : [],
        cancelled: [...removed.cancelled, ...(because.length > 0 ? [] : graph.nodes())],
      };
      return { status: 'done', result, plan, lockId: held.id, ...(stoppedBy ? { stoppedBy } : {}) };
    }
    const walked = await walk(graph, executor.run, {
      parallelism: input.parallelism ?? 10,
      // Package managers hold exclusive locks, and each resource's verification probes the host.
      exclusivePerHost: true,
      signal: stop.signal,
      ...(input.abortRunning ? { abortRunning: input.abortRunning } : {}),
      ...(input.resourceTimeoutMs !== undefined ? { timeoutMs: input.resourceTimeoutMs } : {}),
      onEvent: (e) => {
        log?.event(`${e.type} ${e.id}${e.type === 'failed' ? `: ${e.error}` : e.type === 'skipped' ? ` (because ${e.because.join(', ')} failed)` : ''}`);
        input.onEvent?.(e);
      },
    });
    const result: WalkResult = { ...walked, succeeded: [...removed.succeeded, ...walked.succeeded] };
    return { status: 'done', result, plan, lockId: held.id, ...(stoppedBy ? { stoppedBy } : {}) };
  } finally {
    input.signal?.removeEventListener('abort', onStop);
    try {
      const released = await held.release();
      log?.event(released ? `lock ${held.id} released` : `lock ${held.id} was no longer ours; nothing released`);
    } catch (e) {
      note(
        `could not release the apply lock ${held.id} on ${held.host}: ${(e as Error).message} (it expires on its own once no longer refreshed, or: hactl force-unlock ${held.id})`,
      );
    }
  }
}
