// Observe every host (read-only) and plan: the whole conversation with the hosts that `plan`,
// `apply` and `drift` share, apart so a test can hand it a pool that records every call.

import { readLocalFiles } from './local-files.js';
import { gatherClusterFacts, gatherEtcdFacts } from '../facts/cluster.js';
import { gatherFacts, type FactsResult } from '../facts/gather.js';
import { compile } from '../resources/index.js';
import { resolvePlacement } from '../spec/topology.js';
import { gatherEtcdStacked } from '../facts/etcd-stacked.js';
import { unansweredHosts } from '../facts/removed-hosts.js';
import { removedHosts, removedHostTarget } from '../resources/host-removal.js';
import { needsEtcdMembership } from '../resources/host-replacement.js';
import type { HostFacts } from '../facts/types.js';
import { readSpecBytes } from '../spec/source.js';
import type { ClusterSpec } from '../spec/types.js';
import { EarlyDials } from '../transport/dial.js';
import type { HostPool } from '../transport/pool.js';
import type { Plan } from '../plan/model.js';
import { factRequestFor, planCluster, type HostObservation } from '../plan/planner.js';
import { sha256 } from '../resources/diff.js';

export interface ObserveInput {
  spec: ClusterSpec;
  specFile: string;
  specText: string | Buffer;
  env: Readonly<Record<string, string | undefined>>;
  localFiles: ReadonlyMap<string, string>;
  /** Called with the facts of every observed host and the read-only pool, before planning (drift's status view reads more through it). */
  onObserved?: ObservedHook;
}

export type ObservedHook = (observed: { facts: ReadonlyMap<string, HostFacts>; pool: HostPool }) => Promise<void>;

/** Observe every host through `pool` (which must be read-only) and plan. */
export async function observeAndPlan(opts: ObserveInput & { pool: HostPool }): Promise<Plan> {
  if (!opts.pool.readOnly) throw new Error('plan observes hosts through a read-only pool only');
  const graph = compile(opts.spec);
  const placement = resolvePlacement(opts.spec);
  const request = factRequestFor(opts.spec, graph);
  // The control-plane hosts first: what the API server says (nodes, DaemonSets, leases) is read
  // from one of them with admin.conf while the other hosts are still being observed.
  const isControlPlane = new Set(placement.controlPlane.map((h) => h.name));
  const controlPlaneResults = gatherFacts(
    opts.spec.hosts.filter((h) => isControlPlane.has(h.name)),
    opts.pool,
    request,
  );
  const otherResults = gatherFacts(
    opts.spec.hosts.filter((h) => !isControlPlane.has(h.name)),
    opts.pool,
    request,
  );
  const okFacts = (rs: FactsResult[]) => new Map(rs.flatMap((r) => (r.ok ? [[r.host, r.facts] as const] : [])));
  const clusterRead = controlPlaneResults.then((rs) => gatherClusterFacts(placement.controlPlane, okFacts(rs), opts.pool));
  const byHost = new Map([...(await controlPlaneResults), ...(await otherResults)].map((r) => [r.host, r]));
  const results = opts.spec.hosts.map((h) => byHost.get(h.name)!);
  const facts = new Map<string, HostObservation>(
    results.map((r) => [r.host, r.ok ? { ok: true, facts: r.facts, clockSkewSeconds: r.clockSkewSeconds } : { ok: false, reason: r.reason }]),
  );
  const observed = okFacts(results);
  const cluster = await clusterRead;
  // External etcd: membership and health from a running member.
  const etcd = placement.etcdHosts.length > 0 ? await gatherEtcdFacts(placement.etcdHosts, observed, opts.pool) : undefined;
  // Stacked etcd's membership, only when a control-plane node leaves or is replaced.
  // Hosts that left the spec: which of them still answer (a lost one is said so in the plan).
  const removedUnreachable = cluster.ok
    ? await unansweredHosts(
        removedHosts(opts.spec, cluster.facts).removed.map((r) => ({ name: r.name, target: removedHostTarget(opts.spec, r.name, r.address) })),
        opts.pool,
      )
    : undefined;
  const stackedEtcd =
    cluster.ok && needsEtcdMembership(opts.spec, observed, cluster.facts) ? await gatherEtcdStacked(placement.controlPlane, observed, opts.pool) : undefined;
  if (opts.onObserved !== undefined) await opts.onObserved({ facts: observed, pool: opts.pool });
  return planCluster({
    spec: opts.spec,
    specFile: opts.specFile,
    specSha256: sha256(opts.specText),
    graph,
    facts,
    env: opts.env,
    localFiles: opts.localFiles,
    ...(cluster.ok ? { clusterFacts: cluster.facts } : cluster.host !== undefined ? { clusterFactsError: `${cluster.host}: ${cluster.reason}` } : {}),
    ...(etcd !== undefined ? { etcd } : {}),
    ...(stackedEtcd !== undefined ? { stackedEtcd } : {}),
    ...(removedUnreachable !== undefined ? { removedUnreachable } : {}),
  });
}

/**
 * One read-only plan over a pool of its own, closed afterwards whatever happens. The pool (and
 * ssh2 with it) is loaded here, after the caller dialled the hosts (`dials`, which it closes).
 */
export async function planReadOnly(opts: ObserveInput & { parallelism: number; acceptNewHostKeys: boolean; dials: EarlyDials }): Promise<Plan> {
  const { HostPool } = await import('../transport/pool.js');
  // Observation only: the pool hands out read-only transports, and the probe is the only command.
  const pool = new HostPool({ readOnly: true, parallelism: opts.parallelism, acceptNewHostKeys: opts.acceptNewHostKeys, dials: opts.dials });
  try {
    return await observeAndPlan({ ...opts, pool });
  } finally {
    await pool.close();
  }
}

/**
 * What `plan` and `drift` do with a loaded spec: read its bytes (for the plan's sha256) and the
 * local files it names, then plan read-only with the command's `--parallelism` and
 * `--accept-new-host-keys`. A local file that cannot be read is passed to `warn`.
 */
export async function planSpecFile(
  spec: ClusterSpec,
  specFile: string,
  flags: { parallelism?: number | undefined; 'accept-new-host-keys': boolean },
  warn: (message: string) => void,
  env: Readonly<Record<string, string | undefined>> = process.env,
  onObserved?: ObservedHook,
): Promise<Plan> {
  const parallelism = flags.parallelism ?? spec.ssh.parallelism;
  // The hosts start accepting (dial.ts) while the files are read and ssh2 loads.
  const dials = EarlyDials.start(spec.hosts, parallelism);
  try {
    const specText = await readSpecBytes(specFile);
    const localFiles = await readLocalFiles(spec, warn);
    return await planReadOnly({
      spec,
      specFile,
      specText,
      env,
      localFiles,
      parallelism,
      acceptNewHostKeys: flags['accept-new-host-keys'],
      dials,
      ...(onObserved !== undefined ? { onObserved } : {}),
    });
  } finally {
    dials.close();
  }
}
