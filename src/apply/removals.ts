// Carrying out the planned host removals, before the graph is walked and one at a time (each may
// remove an etcd member). Like a resource, a removal is derived again from what is observed now
// (the cluster's Node objects) and refused when that differs from the plan.

import type { ClusterFactsResult, EtcdFactsResult } from '../facts/cluster.js';
import type { HostFacts } from '../facts/types.js';
import { resolvePlacement } from '../spec/topology.js';
import { withClusterHost } from '../plan/cluster-host.js';
import type { Plan } from '../plan/model.js';
import { HOST_REMOVAL_KIND, planHostRemovals, removedHostTarget, removedHosts } from '../resources/host-removal.js';
import { needsEtcdMembership, planReplacements, replacedHosts } from '../resources/host-replacement.js';
import type { ClusterSpec } from '../spec/types.js';
import type { Executor } from './executor.js';
import type { WalkEvent, WalkResult } from './walker.js';

export interface RemovalInput {
  spec: ClusterSpec;
  plan: Plan;
  /** Facts of the spec hosts, observed under the lock. */
  facts: ReadonlyMap<string, HostFacts>;
  clusterFacts?: (facts: ReadonlyMap<string, HostFacts>) => Promise<ClusterFactsResult>;
  stackedEtcdFacts?: (facts: ReadonlyMap<string, HostFacts>) => Promise<EtcdFactsResult | undefined>;
  executor: Executor;
  signal: AbortSignal;
  onEvent?: (e: WalkEvent) => void;
}

export const plannedRemovals = (plan: Pick<Plan, 'changes'>): string[] =>
  plan.changes.filter((c) => c.kind === HOST_REMOVAL_KIND && c.action === 'delete').map((c) => c.id);

export async function carryOutRemovals(input: RemovalInput): Promise<Pick<WalkResult, 'succeeded' | 'failed' | 'cancelled'>> {
  const out: Pick<WalkResult, 'succeeded' | 'failed' | 'cancelled'> = { succeeded: [], failed: [], cancelled: [] };
  const ids = plannedRemovals(input.plan);
  if (ids.length === 0) return out;
  const emit = (e: WalkEvent) => input.onEvent?.(e);
  const fail = (id: string, started: number, error: string) => {
    out.failed.push({ id, error });
    emit({ type: 'failed', id, at: Date.now(), durationMs: Date.now() - started, error });
  };

  const cluster = input.clusterFacts ? await input.clusterFacts(input.facts) : undefined;
  const { removed } = removedHosts(input.spec, cluster?.ok ? cluster.facts : undefined);
  const clusterHost = withClusterHost(resolvePlacement(input.spec), input.facts).clusterHost.name;
  const stackedEtcd =
    cluster?.ok && input.stackedEtcdFacts !== undefined && needsEtcdMembership(input.spec, input.facts, cluster.facts)
      ? await input.stackedEtcdFacts(input.facts)
      : undefined;
  const membership = stackedEtcd?.ok ? { etcd: stackedEtcd.facts } : stackedEtcd !== undefined ? { etcdError: stackedEtcd.reason } : {};
  const derived = [
    ...planHostRemovals({
      spec: input.spec,
      removed,
      firstControlPlane: clusterHost,
      ...(cluster?.ok ? { clusterFacts: cluster.facts } : {}),
      ...(cluster !== undefined && !cluster.ok && cluster.host !== undefined ? { clusterFactsError: cluster.reason } : {}),
      ...membership,
    }),
    ...planReplacements({
      spec: input.spec,
      replaced: replacedHosts(input.spec, input.facts, cluster?.ok ? cluster.facts : undefined, membership.etcd),
      clusterHost,
      ...membership,
    }),
  ];

  for (const id of ids) {
    if (input.signal.aborted) {
      out.cancelled.push(id);
      emit({ type: 'cancelled', id, at: Date.now() });
      continue;
    }
    const started = Date.now();
    emit({ type: 'started', id, at: started });
    const planned = input.plan.changes.find((c) => c.id === id)!;
    const now = derived.find((r) => r.change.id === id);
    if (now === undefined) {
      fail(id, started, `the plan is stale: the cluster no longer has ${planned.host} as a node outside the spec; run plan again`);
      continue;
    }
    const errors = now.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    if (errors.length > 0) {
      fail(id, started, errors.join('; '));
      continue;
    }
    if (now.change.steps.join('\n') !== planned.steps.join('\n')) {
      fail(id, started, `the plan is stale: the removal of ${planned.host} now takes other steps (${now.change.steps.join('; ')}); run plan again`);
      continue;
    }
    // A replaced host is in the spec (its steps all run on the cluster host); a removed one is reached at the address the cluster has.
    const inSpec = input.spec.hosts.find((h) => h.name === planned.host);
    const gone = removed.find((r) => r.name === planned.host);
    const target = inSpec ?? removedHostTarget(input.spec, gone!.name, gone!.address);
    try {
      await input.executor.removeHost(now, target, input.signal);
      out.succeeded.push(id);
      emit({ type: 'succeeded', id, at: Date.now(), durationMs: Date.now() - started });
    } catch (e) {
      fail(id, started, e instanceof Error ? e.message : String(e));
    }
  }
  return out;
}
