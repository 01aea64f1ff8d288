// External etcd membership and health, as etcdctl on a member reports them: the member list, then
// `endpoint status` and `endpoint health` of every member's client URL (`--cluster`). The command
// runs on an etcd host with that member's own certificate (server and client usage, see
// src/resources/etcd-pki.ts), against its local client URL; src/facts/cluster.ts gathers it.
// Here: the command's text and the parser (output in, EtcdFacts out).

import { shellQuote } from '../transport/quote.js';

/** Where an etcd host keeps its member's certificate, key and the etcd CA. */
export const ETCD_MEMBER_PKI = '/etc/etcd/pki';
/** The member's data directory; `member/` inside it exists once the member has started once. */
export const ETCD_DATA_DIR = '/var/lib/etcd/hactl';
export const ETCD_MEMBER_DIR = `${ETCD_DATA_DIR}/member`;

/** etcdctl (v3 API) against the local member, authenticated with the member's own certificate. */
export const ETCDCTL = [
  'ETCDCTL_API=3 etcdctl',
  '--endpoints=https://127.0.0.1:2379',
  `--cacert=${shellQuote(`${ETCD_MEMBER_PKI}/ca.crt`)}`,
  `--cert=${shellQuote(`${ETCD_MEMBER_PKI}/server.crt`)}`,
  `--key=${shellQuote(`${ETCD_MEMBER_PKI}/server.key`)}`,
  '--dial-timeout=3s',
  '--command-timeout=5s',
].join(' ');

export const ETCD_STATUS_MARKER = '@@hactl:etcd-status';
export const ETCD_HEALTH_MARKER = '@@hactl:etcd-health';

/**
 * Read-only: the member list (its failure is the command's failure, with etcdctl's reason on
 * stderr), then status and health of every member; those two print what answered and leave out
 * (status) or mark (health) what did not, so their own errors are dropped.
 */
export function etcdFactsCommand(etcdctl: string): string {
  return [
    `${etcdctl} member list -w json`,
    `printf '\\n%s\\n' '${ETCD_STATUS_MARKER}'`,
    `{ ${etcdctl} endpoint status --cluster -w json 2>/dev/null; printf '\\n%s\\n' '${ETCD_HEALTH_MARKER}'; ${etcdctl} endpoint health --cluster -w json 2>/dev/null; true; }`,
  ].join(' && ');
}

export const ETCD_FACTS_COMMAND = etcdFactsCommand(ETCDCTL);

export interface EtcdMember {
  /** Member ID in hex, as etcdctl's table shows it. */
  id: string;
  /** Empty for a member that was added and has not started yet. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  /** The member has started once (it has a name and client URLs). */
  started: boolean;
  /** Its client URL answered a health check. */
  healthy: boolean;
  leader: boolean;
  /** Why it is not healthy, as etcdctl said. */
  error?: string;
}

export interface EtcdFacts {
  /** The etcd host whose member answered. */
  observedFrom: string;
  /** Cluster ID in hex. */
  clusterId: string;
  /** In member-list order. */
  members: EtcdMember[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** etcd's IDs are uint64 and lose precision as JS numbers: quote them before JSON.parse. */
function parseWithIds(text: string): unknown {
  return JSON.parse(text.replace(/"(ID|cluster_id|member_id|leader)":(\d+)/g, '"$1":"$2"'));
}

const hex = (id: unknown): string | undefined => (typeof id === 'string' && /^\d+$/.test(id) ? BigInt(id).toString(16) : undefined);

/** The last line of a section that is a JSON array (etcdctl prints its result as one line). */
function jsonArray(section: string): Obj[] {
  const line = section
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('['))
    .pop();
  if (line === undefined) return [];
  const v = parseWithIds(line);
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/**
 * What a member may be called and where its peers may be, as hactl names and addresses them: the
 * names and URLs etcd reports go into ETCD_INITIAL_CLUSTER and etcdctl command lines, so anything
 * else a host reports is refused here, where it is observed.
 */
export const SAFE_MEMBER_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
export const SAFE_PEER_URL = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/;

/** Parses the command's output; throws with a reason when the member list is not what etcdctl prints. */
export function parseEtcdFacts(output: string, observedFrom: string): EtcdFacts {
  const at = output.indexOf(`\n${ETCD_STATUS_MARKER}\n`);
  if (at < 0) throw new Error('etcd facts: the status section is missing (did etcdctl member list fail?)');
  const listText = output.slice(0, at).trim();
  let list: unknown;
  try {
    list = parseWithIds(listText);
  } catch {
    throw new Error(`etcd facts: the member list is not JSON: ${JSON.stringify(listText.slice(0, 80))}`);
  }
  if (!isObj(list) || !Array.isArray(list.members)) throw new Error('etcd facts: the member list has no members');
  const rest = output.slice(at + ETCD_STATUS_MARKER.length + 2);
  const hAt = rest.indexOf(`\n${ETCD_HEALTH_MARKER}\n`);
  const statuses = jsonArray(hAt < 0 ? rest : rest.slice(0, hAt));
  const health = hAt < 0 ? [] : jsonArray(rest.slice(hAt + ETCD_HEALTH_MARKER.length + 2));

  const header = isObj(list.header) ? list.header : {};
  const leaders = statuses.map((s) => (isObj(s.Status) ? hex(s.Status.leader) : undefined)).filter((l): l is string => l !== undefined);
  // Members that answered agree on the leader; one that disagrees is on its way to the new term.
  const leaderId = mostCommon(leaders);
  const statusErrors = new Map<string, string>();
  for (const s of statuses) {
    const st = isObj(s.Status) ? s.Status : {};
    const id = hex(isObj(st.header) ? st.header.member_id : undefined);
    const errors = strs(st.errors);
    if (id !== undefined && errors.length > 0) statusErrors.set(id, errors.join('; '));
  }
  const byEndpoint = new Map(health.map((h) => [String(h.endpoint), h]));

  const members = list.members.filter(isObj).map((m): EtcdMember => {
    const id = hex(m.ID) ?? String(m.ID);
    const name = typeof m.name === 'string' ? m.name : '';
    const clientURLs = strs(m.clientURLs);
    const started = name !== '' && clientURLs.length > 0;
    const checks = clientURLs.map((u) => byEndpoint.get(u)).filter((h): h is Obj => h !== undefined);
    const healthy = started && checks.some((h) => h.health === true);
    const why = !started
      ? 'not started'
      : healthy
        ? undefined
        : (checks.map((h) => (typeof h.error === 'string' ? h.error : undefined)).find((e) => e !== undefined) ?? 'no answer to the health check');
    const error = healthy ? statusErrors.get(id) : why;
    if (name !== '' && !SAFE_MEMBER_NAME.test(name))
      throw new Error(`etcd facts: member ${id} has a name hactl does not accept: ${JSON.stringify(name.slice(0, 80))}`);
    for (const u of [...strs(m.peerURLs), ...clientURLs]) {
      if (!SAFE_PEER_URL.test(u)) throw new Error(`etcd facts: member ${id} has a URL hactl does not accept: ${JSON.stringify(u.slice(0, 120))}`);
    }
    return {
      id,
      name,
      peerURLs: strs(m.peerURLs),
      clientURLs,
      started,
      healthy,
      leader: leaderId !== undefined && id === leaderId,
      ...(error !== undefined ? { error } : {}),
    };
  });
  return { observedFrom, clusterId: hex(header.cluster_id) ?? '', members };
}

function mostCommon(xs: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best: string | undefined;
  for (const [x, n] of counts) if (best === undefined || n > counts.get(best)!) best = x;
  return best;
}

/** Members needed for a quorum among `n` voting members. */
export function quorumOf(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** The member of an etcd host, matched by name, else by its peer URL (a member added, not started). */
export function memberOf(facts: EtcdFacts, name: string, peerURL: string): EtcdMember | undefined {
  return facts.members.find((m) => m.name === name) ?? facts.members.find((m) => m.name === '' && m.peerURLs.includes(peerURL));
}
