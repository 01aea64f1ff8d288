// Cluster-level facts: what the API server says about nodes, DaemonSets and the leader-election
// leases, read with ONE read-only command on a control-plane host that has admin.conf. The planner
// uses them for node-config, cni and the plan's lease holders; without them (cluster not
// initialised, or no control-plane host reachable) those resources are pending on kubeadm init.
// With external etcd, the etcd membership and health too: one read-only etcdctl command on the
// first etcd host whose member runs and answers (src/facts/etcd.ts).

import type { HostPool } from '../transport/pool.js';
import type { HostTarget } from '../transport/ssh.js';
import { observation } from '../transport/transport.js';
import { ETCD_FACTS_COMMAND, ETCD_MEMBER_PKI, parseEtcdFacts, type EtcdFacts } from './etcd.js';
import type { HostFacts } from './types.js';

export const ADMIN_CONF = '/etc/kubernetes/admin.conf';

/** Separates the node/DaemonSet output from the lease output. */
export const LEASES_MARKER = '@@hactl:leases';

/**
 * The command: kubectl's JSON for nodes and DaemonSets (all namespaces), then the leases in
 * kube-system. Read-only verbs only; `--request-timeout` keeps a dead apiserver from hanging it.
 */
export const CLUSTER_FACTS_COMMAND = [
  `kubectl --kubeconfig ${ADMIN_CONF} --request-timeout=20s get nodes,daemonsets -A -o json`,
  `printf '%s\\n' '${LEASES_MARKER}'`,
  `kubectl --kubeconfig ${ADMIN_CONF} --request-timeout=20s -n kube-system get leases -o json`,
].join(' && ');

export interface ClusterTaint {
  key: string;
  value?: string;
  effect: string;
}

export interface ClusterNode {
  name: string;
  /** The Ready condition is True. */
  ready: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  taints: ClusterTaint[];
  kubeletVersion?: string;
  unschedulable: boolean;
  /** The node's InternalIP addresses (status.addresses), as the cluster records them. */
  addresses?: string[];
}

export interface ClusterDaemonSet {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** Container images of the pod template, in order. */
  images: string[];
  desiredNumberScheduled: number;
  numberReady: number;
}

export interface ClusterFacts {
  /** The host the command ran on. */
  observedFrom: string;
  nodes: ClusterNode[];
  daemonsets: ClusterDaemonSet[];
  /** Host names holding the leader-election leases (holder identity `<hostname>_<uuid>`). */
  leaseHolders: { scheduler?: string; controllerManager?: string };
}

/** The host to ask: the first control-plane host (spec order) whose facts show admin.conf. */
export function clusterFactsHost(controlPlane: readonly string[], facts: ReadonlyMap<string, HostFacts>): string | undefined {
  return controlPlane.find((h) => facts.get(h)?.kubernetes.confFiles.includes('admin.conf') === true);
}

/**
 * Splits a stream of concatenated JSON values: kubectl prints one List holding every resource
 * type asked for; a concatenation of Lists (one per type) is read the same way.
 */
export function splitJsonStream(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth < 0) throw new Error(`cluster facts: unbalanced JSON at offset ${i}`);
      if (depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
    } else if (depth === 0 && !/\s/.test(c)) {
      throw new Error(`cluster facts: unexpected text outside JSON at offset ${i}: ${JSON.stringify(text.slice(i, i + 40))}`);
    }
  }
  if (depth !== 0 || inString) throw new Error('cluster facts: truncated JSON');
  return out;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const strMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === 'string'));

/** Items of each value: a List's items, or the object itself. */
function items(values: unknown[]): Obj[] {
  return values.flatMap((v) => (isObj(v) && Array.isArray(v.items) ? v.items.filter(isObj) : isObj(v) ? [v] : []));
}

function parseNode(o: Obj): ClusterNode {
  const meta = obj(o.metadata);
  const spec = obj(o.spec);
  const status = obj(o.status);
  const ready = arr(status.conditions).some((c) => obj(c).type === 'Ready' && obj(c).status === 'True');
  const taints = arr(spec.taints).map((t) => {
    const x = obj(t);
    const value = str(x.value);
    return { key: str(x.key) ?? '', ...(value !== undefined && value !== '' ? { value } : {}), effect: str(x.effect) ?? '' };
  });
  const kubeletVersion = str(obj(status.nodeInfo).kubeletVersion);
  const addresses = arr(status.addresses)
    .filter((a) => obj(a).type === 'InternalIP')
    .map((a) => str(obj(a).address) ?? '')
    .filter((a) => a !== '');
  return {
    name: str(meta.name) ?? '',
    ready,
    labels: strMap(meta.labels),
    annotations: strMap(meta.annotations),
    taints,
    ...(kubeletVersion !== undefined ? { kubeletVersion } : {}),
    unschedulable: spec.unschedulable === true,
    ...(addresses.length > 0 ? { addresses } : {}),
  };
}

function parseDaemonSet(o: Obj): ClusterDaemonSet {
  const meta = obj(o.metadata);
  const status = obj(o.status);
  const containers = arr(obj(obj(obj(o.spec).template).spec).containers);
  return {
    namespace: str(meta.namespace) ?? 'default',
    name: str(meta.name) ?? '',
    labels: strMap(meta.labels),
    images: containers.map((c) => str(obj(c).image)).filter((i): i is string => i !== undefined),
    desiredNumberScheduled: num(status.desiredNumberScheduled),
    numberReady: num(status.numberReady),
  };
}

/** `cp1_4b5d…` → `cp1`: client-go's identity is the hostname, `_`, and a UUID. */
export function holderHost(identity: string): string {
  return identity.replace(/_[0-9a-fA-F-]{36}$/, '');
}

/** Parses the command's output; throws with a reason when it is not what kubectl prints. */
export function parseClusterFacts(output: string, observedFrom: string): ClusterFacts {
  const at = output.indexOf(`${LEASES_MARKER}\n`);
  if (at < 0) throw new Error('cluster facts: the lease section is missing (did the first kubectl command fail?)');
  const main = items(splitJsonStream(output.slice(0, at)));
  const leases = items(splitJsonStream(output.slice(at + LEASES_MARKER.length + 1)));
  const holder = (name: string): string | undefined => {
    const l = leases.find((x) => obj(x.metadata).name === name && (obj(x.metadata).namespace ?? 'kube-system') === 'kube-system');
    const id = l ? str(obj(l.spec).holderIdentity) : undefined;
    return id !== undefined && id !== '' ? holderHost(id) : undefined;
  };
  const scheduler = holder('kube-scheduler');
  const controllerManager = holder('kube-controller-manager');
  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    observedFrom,
    nodes: main
      .filter((o) => o.kind === 'Node')
      .map(parseNode)
      .sort(byName),
    daemonsets: main
      .filter((o) => o.kind === 'DaemonSet')
      .map(parseDaemonSet)
      .sort((a, b) => (a.namespace === b.namespace ? byName(a, b) : a.namespace < b.namespace ? -1 : 1)),
    leaseHolders: { ...(scheduler !== undefined ? { scheduler } : {}), ...(controllerManager !== undefined ? { controllerManager } : {}) },
  };
}

/** The observation that reads the cluster (read-only kubectl verbs only). */
export function clusterFactsObservation(timeoutMs = 60_000) {
  return observation('cluster-facts', CLUSTER_FACTS_COMMAND, timeoutMs);
}

export type ClusterFactsResult = { ok: true; facts: ClusterFacts } | { ok: false; host?: string; reason: string };

/**
 * Cluster facts from the first control-plane host (spec order) whose host facts show admin.conf,
 * through a read-only pool. No such host: the cluster is not initialised (or not observable), and
 * the planner plans without cluster facts.
 */
export async function gatherClusterFacts(
  controlPlane: readonly HostTarget[],
  hostFacts: ReadonlyMap<string, HostFacts>,
  pool: HostPool,
): Promise<ClusterFactsResult> {
  const name = clusterFactsHost(
    controlPlane.map((h) => h.name),
    hostFacts,
  );
  const host = controlPlane.find((h) => h.name === name);
  if (host === undefined) return { ok: false, reason: 'no control-plane host with /etc/kubernetes/admin.conf was observed' };
  try {
    const r = await pool.observe(host, (o) => o.observe(clusterFactsObservation()));
    if (r.code !== 0) return { ok: false, host: host.name, reason: `kubectl exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` };
    return { ok: true, facts: parseClusterFacts(r.stdout, host.name) };
  } catch (e) {
    return { ok: false, host: host.name, reason: e instanceof Error ? e.message : String(e) };
  }
}

/** The observation that reads etcd's member list and health (read-only etcdctl verbs only). */
export function etcdFactsObservation(timeoutMs = 60_000) {
  return observation('etcd-facts', ETCD_FACTS_COMMAND, timeoutMs);
}

export type EtcdFactsResult = { ok: true; facts: EtcdFacts } | { ok: false; reason: string };

/**
 * The etcd hosts to ask, in spec order: those whose facts show the member certificate and a
 * running etcd. Every other one is listed with why it was not asked.
 */
export function etcdFactsHosts(etcdHosts: readonly string[], facts: ReadonlyMap<string, HostFacts>): { ask: string[]; skipped: string[] } {
  const ask: string[] = [];
  const skipped: string[] = [];
  for (const h of etcdHosts) {
    const f = facts.get(h);
    if (f === undefined) skipped.push(`${h}: not observed`);
    else if (!f.certificates.some((c) => c.path === `${ETCD_MEMBER_PKI}/server.crt`)) skipped.push(`${h}: no member certificate`);
    else if (f.units.etcd?.active !== true) skipped.push(`${h}: etcd not running`);
    else ask.push(h);
  }
  return { ask, skipped };
}

/**
 * etcd's membership and health from the first etcd host (spec order) whose member answers,
 * through `pool` (read-only at plan time). Nobody answering is a result, never a throw: the
 * reason names every host and why it could not tell.
 */
export async function gatherEtcdFacts(etcdHosts: readonly HostTarget[], hostFacts: ReadonlyMap<string, HostFacts>, pool: HostPool): Promise<EtcdFactsResult> {
  const { ask, skipped } = etcdFactsHosts(
    etcdHosts.map((h) => h.name),
    hostFacts,
  );
  const failed = [...skipped];
  for (const name of ask) {
    const host = etcdHosts.find((h) => h.name === name)!;
    try {
      const r = await pool.observe(host, (o) => o.observe(etcdFactsObservation()));
      if (r.code === 0) return { ok: true, facts: parseEtcdFacts(r.stdout, host.name) };
      failed.push(`${name}: etcdctl exited ${r.code}: ${lastLines(r.stderr)}`);
    } catch (e) {
      failed.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { ok: false, reason: `no etcd member answered (${failed.join('; ')})` };
}

/** etcdctl's last lines, without the client library's JSON log records. */
function lastLines(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('{"level"'));
  return lines.slice(-2).join(' / ');
}
