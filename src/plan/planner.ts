// The planner: spec + graph + facts in, Plan out. A pure function: no I/O, no clock unless none
// is given. Each graph node of a kind in the catalog is diffed by the shared engine; everything
// else is stated plainly in the plan (an unreachable host, a kind this version does not plan yet,
// a host that left the spec), never shown as a quiet no-op.

import type { ClusterFacts, EtcdFactsResult } from '../facts/cluster.js';
import { defaultFactRequest } from '../facts/default-request.js';
import { mergeRequests } from '../facts/request.js';
import type { FactRequest, HostFacts } from '../facts/types.js';
import { resolvePlacement, topologicalOrder } from '../graph/compile.js';
import { resourceId, type ResourceGraph, type ResourceKind, type ResourceNode } from '../graph/types.js';
import { bundledCniManifestPath } from '../resources/cni.js';
import { converge, type Operation } from '../resources/converge.js';
import { etcdObservation } from '../resources/etcd.js';
import { plannedKindDef as kindDef } from '../resources/index.js';
import { localBundleJson } from '../resources/package-bundle.js';
import { planHostRemovals, removedHosts } from '../resources/host-removal.js';
import { lostHostNote, planReplacements, replacedHosts } from '../resources/host-replacement.js';
import type { ResourceContext } from '../resources/resource.js';
import type { ClusterSpec } from '../spec/types.js';
import { endOfLifeWarning } from '../spec/versions.js';
import { withClusterHost } from './cluster-host.js';
import { buildPlan, resourceChange, unobservedMessage, type Diagnostic, type Plan, type PlanHost, type ResourceChange } from './model.js';
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
  const out = new Set<string>();
  for (const r of spec.containerd.privateRegistries) if (r.caFile !== undefined) out.add(r.caFile);
  if (spec.cni.plugin === 'manifest' && spec.cni.manifest !== undefined) out.add(spec.cni.manifest);
  // A bundle's list of files (package-bundle) and its copy of a published CNI manifest (cni).
  if (spec.packages.bundle !== undefined) out.add(localBundleJson(spec.packages.bundle));
  const cniCopy = bundledCniManifestPath(spec);
  if (cniCopy !== undefined) out.add(cniCopy);
  for (const set of ['os', 'kubernetes'] as const) {
    for (const s of spec.packages.apt[set]) if (s.keyFile !== undefined && !s.trusted) out.add(s.keyFile);
    for (const s of spec.packages.dnf[set]) if (s.gpgkeyFile !== undefined) out.add(s.gpgkeyFile);
  }
  const repoKey = spec.packages.kubernetesRepository.keyFile;
  if (repoKey !== undefined) out.add(repoKey);
  return [...out];
}

export interface DetailedPlan {
  plan: Plan;
  /** What apply would run, per resource id, in order (with secrets: never printed). */
  operations: Map<string, Operation[]>;
}

function createdFromNothing(c: ResourceChange): boolean {
  const pkgs = c.attributes.filter((a) => /^package\..*\.version$/.test(a.name));
  if (pkgs.length === 0 && c.files.length === 0) return false;
  return pkgs.every((a) => a.before === undefined) && c.files.every((f) => f.action === 'create');
}

export function planClusterDetailed(input: PlanClusterInput): DetailedPlan {
  const { spec, graph } = input;
  const hostsByName = new Map(spec.hosts.map((h) => [h.name, h]));
  const observed = new Map<string, HostFacts>();
  for (const [name, obs] of input.facts) if (obs.ok && hostsByName.has(name)) observed.set(name, obs.facts);
  const placement = withClusterHost(resolvePlacement(spec), observed);

  const diagnostics: Diagnostic[] = [];
  const changes = new Map<string, ResourceChange>();
  const operations = new Map<string, Operation[]>();
  const notPlanned = new Set<ResourceKind>();

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
    const host = hostsByName.get(node.host)!;
    const ctx: ResourceContext = {
      spec,
      placement,
      node,
      host,
      facts: obs.facts,
      cluster: observed,
      env: input.env,
      localFiles: input.localFiles,
      ...(obs.clockSkewSeconds !== undefined ? { clockSkewSeconds: obs.clockSkewSeconds } : {}),
      ...(input.clusterFacts !== undefined ? { clusterFacts: input.clusterFacts } : {}),
      ...(input.etcd !== undefined ? { etcd: input.etcd } : {}),
    };
    const at = { resource: id, host: node.host };
    const desired = def.desired(ctx);
    diagnostics.push(...desired.diagnostics.map((d) => ({ ...at, ...d })), ...(def.check?.(ctx) ?? []).map((d) => ({ ...at, ...d })));
    if (def.readOnly) {
      const reads = def.readOperations?.(ctx) ?? [];
      changes.set(id, resourceChange(node, { action: 'read', reason: 'checks only; changes nothing', dependsOn, steps: reads.map((o) => o.description) }));
      continue;
    }
    if (desired.actions?.deferred !== undefined) {
      const waiting = (desired.actions.pendingOn ?? []).filter((p) => {
        const c = changes.get(p);
        return c !== undefined && c.action !== 'no-op' && c.action !== 'read';
      });
      changes.set(id, resourceChange(node, { action: 'read', reason: desired.actions.deferred, dependsOn, pendingOn: waiting }));
      continue;
    }
    const conv = converge(desired, obs.facts);
    diagnostics.push(...conv.diagnostics.map((d) => ({ ...at, ...d })));
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
    let change = resourceChange(node, {
      attributes: conv.attributes,
      files: conv.files,
      steps: conv.operations.map((o) => o.description),
      dependsOn,
      pendingOn,
    });
    if (createdFromNothing(change) || (desired.actions?.creates === true && change.action !== 'no-op')) change = { ...change, action: 'create' };
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
