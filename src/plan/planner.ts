// The planner: spec + graph + facts in, Plan out. A pure function: no I/O, no clock unless none
// is given. Each graph node of a kind in the catalog is diffed by the shared engine; everything
// else is stated plainly in the plan (an unreachable host, a kind this version does not plan yet,
// a host that left the spec), never shown as a quiet no-op.

import type { ClusterFacts, EtcdFactsResult } from '../facts/cluster.js';
import { defaultFactRequest } from '../facts/default-request.js';
import { mergeRequests } from '../facts/request.js';
import type { FactRequest, HostFacts } from '../facts/types.js';
import { topologicalOrder } from '../graph/compile.js';
import { resolvePlacement } from '../spec/topology.js';
import { resourceId, type ResourceGraph, type ResourceNode } from '../graph/types.js';
import type { Operation } from '../resources/operation.js';
import { etcdObservation } from '../resources/etcd.js';
import { kindDef, RESOURCE_CATALOG } from '../resources/index.js';
import { planHostRemovals, removedHosts } from '../resources/host-removal.js';
import type { ClusterSpec } from '../spec/types.js';
import { endOfLifeWarning } from '../spec/versions.js';
import { buildPlan, unobservedMessage, type Plan, type PlanHost } from './model.js';
import { resourceChange, type Diagnostic, type ResourceChange } from '../resources/diff.js';
import { deriveChange, type DeriveScope } from './derive.js';
import { lostHostNote, planReplacements, replacedHosts } from '../resources/host-replacement.js';
import { withClusterHost } from './cluster-host.js';
import { factsDigest } from './saved.js';

export type HostObservation = { ok: true; facts: HostFacts; clockSkewSeconds?: number } | { ok: false; reason: string };

export interface PlanClusterInput {
  spec: ClusterSpec;
  specFile: string;
  specSha256: string;
  graph: ResourceGraph;
  /** One entry per spec host; a host missing here counts as not observed. */
  facts: ReadonlyMap<string, HostObservation>;
  env: Readonly<Record<string, string | undefined>>;
  /** Contents of the local files the spec names (CA files, signing keys), by expanded path. */
  localFiles: ReadonlyMap<string, string>;
  /** Cluster-level facts (src/facts/cluster.ts), when a control-plane host with admin.conf answered. */
  clusterFacts?: ClusterFacts;
  /** Why a control-plane host with admin.conf could not tell the cluster facts. */
  clusterFactsError?: string;
  /** External etcd's membership and health, or why no member answered (src/facts/cluster.ts). */
  etcd?: EtcdFactsResult;
  /** Stacked etcd's membership and health, read when a control-plane node leaves or is replaced. */
  stackedEtcd?: EtcdFactsResult;
  /** Hosts that left the spec and did not answer, with the reason (src/facts/removed-hosts.ts). */
  removedUnreachable?: ReadonlyMap<string, string>;
  createdAt?: Date;
}

/** Facts that change between two probes of an untouched host; left out of the digest. */
export const VOLATILE_FACTS = ['clockEpochSeconds', 'processes', 'disks.*.freeBytes', 'certificates.*.daysLeft'];

export function hostFactsDigest(facts: HostFacts): string {
  return factsDigest(facts, { exclude: VOLATILE_FACTS });
}

/** What every kind in the graph reads, with the defaults: one probe per host gathers it all. */
export function factRequestFor(spec: ClusterSpec, graph: ResourceGraph): FactRequest {
  const hosts = new Map(spec.hosts.map((h) => [h.name, h]));
  const reqs: FactRequest[] = [defaultFactRequest()];
  for (const id of graph.nodes()) {
    const node = graph.node(id) as ResourceNode | undefined; // graphlib's types omit the bare node's undefined
    const def = node ? kindDef(node.kind) : undefined;
    const host = node ? hosts.get(node.host) : undefined;
    if (def && host) reqs.push(def.factRequest(spec, host));
  }
  return mergeRequests(...reqs);
}

/** The local files a spec names whose content the resources put on hosts (the command reads them). */
export function localFilesFor(spec: ClusterSpec): string[] {
  return [...new Set(RESOURCE_CATALOG.flatMap((def) => def.localFiles?.(spec) ?? []))];
}

export interface DetailedPlan {
  plan: Plan;
  /** What apply would run, per resource id, in order (with secrets: never printed). */
  operations: Map<string, Operation[]>;
}

export function planClusterDetailed(input: PlanClusterInput): DetailedPlan {
  const { spec, graph } = input;
  const hostsByName = new Map(spec.hosts.map((h) => [h.name, h]));
  const observed = new Map<string, HostFacts>();
  for (const [name, obs] of input.facts) if (obs.ok && hostsByName.has(name)) observed.set(name, obs.facts);
  const placement = withClusterHost(resolvePlacement(spec), observed);
  const scope: DeriveScope = { spec, placement, hosts: hostsByName, cluster: observed, env: input.env, localFiles: input.localFiles };

  const diagnostics: Diagnostic[] = [];
  const changes = new Map<string, ResourceChange>();
  const operations = new Map<string, Operation[]>();
  const notPlanned = new Set<string>();

  // The plan's own date decides, so a saved plan and its tests say the same thing.
  const endOfLife = endOfLifeWarning(spec.kubernetes.version, input.createdAt ?? new Date());
  if (endOfLife !== undefined) diagnostics.push({ severity: 'warning', message: `kubernetes.version: ${endOfLife}` });

  if (input.clusterFactsError !== undefined) {
    diagnostics.push({
      severity: 'warning',
      message: `the cluster could not be read (${input.clusterFactsError}): node labels and taints, the CNI's DaemonSets and the cluster checks are planned without it`,
    });
  }

  const planHosts: PlanHost[] = spec.hosts.map((h) => {
    const obs = input.facts.get(h.name);
    const ph: PlanHost = { name: h.name, address: h.address };
    if (obs?.ok) ph.factsDigest = hostFactsDigest(obs.facts);
    else {
      ph.unreachable = obs ? obs.reason : 'not observed';
      diagnostics.push({ severity: 'error', host: h.name, message: unobservedMessage(ph.unreachable) });
    }
    return ph;
  });

  for (const id of topologicalOrder(graph)) {
    const node: ResourceNode = graph.node(id);
    const dependsOn = graph.predecessors(id) ?? [];
    const obs = input.facts.get(node.host);
    const def = kindDef(node.kind);
    if (!obs?.ok) {
      // Why is said once, with the host (PlanHost.unreachable).
      changes.set(id, resourceChange(node, { action: 'read', reason: `host ${node.host} not observed`, dependsOn }));
      continue;
    }
    if (def === undefined) {
      notPlanned.add(node.kind);
      changes.set(id, resourceChange(node, { action: 'read', reason: 'not yet planned by this version of hactl', dependsOn }));
      continue;
    }
    const at = { resource: id, host: node.host };
    const d = deriveChange(def, scope, node, {
      facts: obs.facts,
      ...(obs.clockSkewSeconds !== undefined ? { clockSkewSeconds: obs.clockSkewSeconds } : {}),
      ...(input.clusterFacts !== undefined ? { clusterFacts: input.clusterFacts } : {}),
      ...(input.etcd !== undefined ? { etcd: input.etcd } : {}),
    });
    diagnostics.push(...d.desired.diagnostics.map((x) => ({ ...at, ...x })), ...d.checks.map((x) => ({ ...at, ...x })));
    if (d.state === 'read-only') {
      changes.set(id, resourceChange(node, { action: 'read', reason: 'checks only; changes nothing', dependsOn, steps: d.reads.map((o) => o.description) }));
      continue;
    }
    if (d.state === 'deferred') {
      const waiting = (d.desired.actions?.pendingOn ?? []).filter((p) => {
        const c = changes.get(p);
        return c !== undefined && c.action !== 'no-op' && c.action !== 'read';
      });
      changes.set(id, resourceChange(node, { action: 'read', reason: d.reason, dependsOn, pendingOn: waiting }));
      continue;
    }
    const { converged: conv, desired } = d;
    diagnostics.push(...conv.diagnostics.map((x) => ({ ...at, ...x })));
    // Only a resource that installs or changes packages depends on what the new sources offer.
    const installs = conv.attributes.some((a) => a.changed && /^package\..*\.version$/.test(a.name));
    const pendingOn = (def.pendingOnKinds ?? [])
      .map((k) => resourceId(k, node.host))
      .filter((p) => {
        const c = changes.get(p);
        return installs && c !== undefined && c.action !== 'no-op' && c.action !== 'read';
      });
    // A kind's own actions may wait on resources elsewhere (a join on kubeadm init).
    for (const p of desired.actions?.pendingOn ?? []) {
      const c = changes.get(p);
      if (c !== undefined && c.action !== 'no-op' && c.action !== 'read' && !pendingOn.includes(p)) pendingOn.push(p);
    }
    const change: ResourceChange = { ...d.change, dependsOn, ...(pendingOn.length > 0 ? { pendingOn } : {}) };
    if (pendingOn.length > 0 && !installs) {
      change.reason = `what this does depends on ${pendingOn.join(', ')}, which is not applied yet`;
    } else if (pendingOn.length > 0) {
      change.reason = `the package versions available here are known only after ${pendingOn.join(', ')} is applied`;
    }
    if (desired.unknown.length > 0) {
      change.reason = `not all of the desired state is known (${desired.unknown.join(', ')}): see this resource's errors`;
    }
    changes.set(id, change);
    operations.set(id, conv.operations);
  }

  if (notPlanned.size > 0) {
    diagnostics.push({
      severity: 'warning',
      message: `not yet planned by this version of hactl: ${[...notPlanned].join(', ')} (shown as read; their changes are not computed)`,
    });
  }

  // Hosts that left the spec: their removal is planned explicitly (src/resources/host-removal.ts).
  const { removed, diagnostics: unremovable } = removedHosts(spec, input.clusterFacts);
  diagnostics.push(...unremovable);
  const membership = input.stackedEtcd?.ok ? { etcd: input.stackedEtcd.facts } : input.stackedEtcd !== undefined ? { etcdError: input.stackedEtcd.reason } : {};
  const removals = planHostRemovals({
    spec,
    removed,
    firstControlPlane: placement.clusterHost.name,
    ...(input.clusterFacts !== undefined ? { clusterFacts: input.clusterFacts } : {}),
    ...(input.clusterFactsError !== undefined ? { clusterFactsError: input.clusterFactsError } : {}),
    ...membership,
  });
  // Spec hosts that are new machines under an old name: the cluster's old records of them go first.
  const replaced = replacedHosts(spec, observed, input.clusterFacts, membership.etcd);
  for (const r of planReplacements({ spec, replaced, clusterHost: placement.clusterHost.name, ...membership })) {
    changes.set(r.change.id, r.change);
    operations.set(r.change.id, r.operations);
    diagnostics.push(
      {
        severity: 'warning',
        host: r.change.host,
        message: `${r.change.host} replaces a machine the cluster still knows: ${r.change.steps.length} record(s) removed first`,
      },
      ...r.diagnostics,
    );
  }
  for (const r of removals) {
    const { name, address } = removed.find((h) => h.name === r.change.host)!;
    planHosts.push({ name, address, removed: true });
    changes.set(r.change.id, r.change);
    operations.set(r.change.id, r.operations);
    diagnostics.push({ severity: 'warning', host: name, message: `host ${name} is no longer in the spec: its removal is planned` }, ...r.diagnostics);
    const lost = input.removedUnreachable?.get(name);
    if (lost !== undefined) diagnostics.push(lostHostNote(name, address, lost, r.operations));
  }

  // Certificates expiring within the warning window, as the hosts' clocks see them.
  const warnWithin = spec.kubernetes.certificates.warnWithinDays;
  const expiringCertificates = [...observed].flatMap(([host, f]) =>
    f.certificates.filter((c) => c.daysLeft !== undefined && c.daysLeft < warnWithin).map((c) => ({ host, path: c.path, daysLeft: c.daysLeft! })),
  );

  const plan = buildPlan({
    createdAt: input.createdAt ?? new Date(),
    spec: { file: input.specFile, sha256: input.specSha256 },
    hosts: planHosts,
    changes: [...changes.values()],
    diagnostics,
    cluster: {
      expiringCertificates,
      ...(input.clusterFacts && Object.keys(input.clusterFacts.leaseHolders).length > 0 ? { leaseHolders: { ...input.clusterFacts.leaseHolders } } : {}),
      ...(input.etcd !== undefined ? { etcd: etcdObservation(input.etcd) } : {}),
    },
  });
  return { plan, operations };
}

export function planCluster(input: PlanClusterInput): Plan {
  return planClusterDetailed(input).plan;
}
