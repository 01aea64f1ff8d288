// etcd (external topology): one member per etcd host, from the distribution's package (Debian and
// Ubuntu: etcd-server, with etcd-client for etcdctl; Rocky: etcd), configured through the
// environment file its unit reads (/etc/default/etcd, /etc/etcd/etcd.conf): ETCD_NAME, the initial
// cluster, client and peer TLS with client-certificate authentication. The member's certificate and
// key, and the CA, come from etcd-pki on the first etcd host, fetched at apply time (runOn +
// captureAs there, stdinFrom here: sensitive, a key). The service is enabled and started after
// them, and restarted when the configuration changes.
//
// Membership, from the member list and health a running member reports (src/facts/etcd.ts):
// - A cluster nobody has started yet (no etcd host has a data directory, or every one that has
//   was configured as this very new cluster) is bootstrapped: state `new`, every spec member.
// - A host that is not a member of the running cluster joins it: `etcdctl member add` on a healthy
//   member (one member at a time: the step waits for earlier additions to start), then state
//   `existing` with the current members plus itself. Old data of an earlier membership is moved
//   aside first.
// - A member no etcd host of the spec has is removed (`etcdctl member remove`) from the first
//   healthy spec member, after the additions, and never when it would cost quorum or is the last.
// - The ETCD_INITIAL_* settings are only read at a member's first start: a member keeps what its
//   file says, so a later membership change rewrites no file and restarts nobody.
// - Nobody answering while a member has data: membership is unknown, and a host that would have
//   to join is not planned (the plan says so); members with data are still configured and started.

import type { EtcdFactsResult } from '../facts/cluster.js';
import {
  ETCD_DATA_DIR,
  ETCD_MEMBER_DIR,
  ETCD_MEMBER_PKI,
  ETCDCTL,
  memberOf,
  quorumOf,
  SAFE_MEMBER_NAME,
  SAFE_PEER_URL,
  type EtcdFacts,
  type EtcdMember,
} from '../facts/etcd.js';
import type { HostFacts } from '../facts/types.js';
import { attr, managedHeader, type AttributeChange, type Diagnostic, type EtcdObservation } from './diff.js';
import type { Host } from '../spec/types.js';
import { shellQuote } from '../transport/quote.js';
import { packageManagerOf, unmaskOperation } from './converge.js';
import { type CommandOperation } from './operation.js';
import { emptyDesired, type Desired } from './desired.js';
import { ETCD_PKI_DIR } from './etcd-pki.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';
import { resourceId } from '../graph/types.js';

export { ETCD_DATA_DIR, ETCD_MEMBER_PKI };

const q = shellQuote;
const url = (address: string, port: number) => `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
export const peerURL = (h: Host): string => url(h.address, 2380);

export function etcdEnvFile(family: 'apt' | 'dnf'): string {
  return family === 'apt' ? '/etc/default/etcd' : '/etc/etcd/etcd.conf';
}

/** The ETCD_INITIAL_* settings: read by etcd only at a member's first start. */
export interface InitialCluster {
  state: 'new' | 'existing';
  /** `name=peerURL,...` */
  cluster: string;
}

/** `name=url` pairs in name order, so every host and every plan writes the same line. */
export function initialClusterOf(members: { name: string; peerURLs: string[] }[]): string {
  for (const m of members) {
    if (!SAFE_MEMBER_NAME.test(m.name)) throw new Error(`not an etcd member name: ${JSON.stringify(m.name)}`);
    for (const u of m.peerURLs) if (!SAFE_PEER_URL.test(u)) throw new Error(`not an etcd peer URL: ${JSON.stringify(u)}`);
  }
  return members
    .flatMap((m) => m.peerURLs.map((u) => `${m.name}=${u}`))
    .sort()
    .join(',');
}

export function renderEtcdEnv(clusterName: string, host: Host, initial: InitialCluster): string {
  const pki = ETCD_MEMBER_PKI;
  const vars: [string, string][] = [
    ['ETCD_NAME', host.name],
    ['ETCD_DATA_DIR', ETCD_DATA_DIR],
    ['ETCD_LISTEN_CLIENT_URLS', `${url(host.address, 2379)},https://127.0.0.1:2379`],
    ['ETCD_ADVERTISE_CLIENT_URLS', url(host.address, 2379)],
    ['ETCD_LISTEN_PEER_URLS', peerURL(host)],
    ['ETCD_INITIAL_ADVERTISE_PEER_URLS', peerURL(host)],
    ['ETCD_INITIAL_CLUSTER', initial.cluster],
    ['ETCD_INITIAL_CLUSTER_STATE', initial.state],
    ['ETCD_INITIAL_CLUSTER_TOKEN', `hactl-${clusterName}`],
    ['ETCD_CERT_FILE', `${pki}/server.crt`],
    ['ETCD_KEY_FILE', `${pki}/server.key`],
    ['ETCD_TRUSTED_CA_FILE', `${pki}/ca.crt`],
    ['ETCD_CLIENT_CERT_AUTH', 'true'],
    ['ETCD_PEER_CERT_FILE', `${pki}/server.crt`],
    ['ETCD_PEER_KEY_FILE', `${pki}/server.key`],
    ['ETCD_PEER_TRUSTED_CA_FILE', `${pki}/ca.crt`],
    ['ETCD_PEER_CLIENT_CERT_AUTH', 'true'],
  ];
  return `${managedHeader()}\n${vars.map(([k, v]) => `${k}="${v}"`).join('\n')}\n`;
}

/** The ETCD_INITIAL_* settings of an environment file hactl wrote; undefined when it has none. */
export function initialClusterIn(content: string): InitialCluster | undefined {
  const value = (key: string) => new RegExp(`^${key}="([^"\\n]*)"$`, 'm').exec(content)?.[1];
  const state = value('ETCD_INITIAL_CLUSTER_STATE');
  const cluster = value('ETCD_INITIAL_CLUSTER');
  // Read from a host and written back: only `name=url` pairs of the shapes hactl writes.
  const pairs = cluster?.split(',') ?? [];
  const safe = pairs.every((p) => {
    const i = p.indexOf('=');
    return i > 0 && SAFE_MEMBER_NAME.test(p.slice(0, i)) && SAFE_PEER_URL.test(p.slice(i + 1));
  });
  return (state === 'new' || state === 'existing') && cluster !== undefined && cluster !== '' && safe ? { state, cluster } : undefined;
}

/** On the first etcd host: the CA certificate and one member's certificate and key, as base64 of a tar. */
export function fetchMemberCertsCommand(name: string, from: string): string {
  return `[ -f ${q(`${ETCD_PKI_DIR}/ca.crt`)} ] || { echo ${q(`hactl: no etcd CA here: this step runs on ${from}`)} >&2; exit 1; }; tar -C ${q(ETCD_PKI_DIR)} -cf - ca.crt ${q(`members/${name}.crt`)} ${q(`members/${name}.key`)} | base64 -w0`;
}

/** Here: standard input (that base64) → /etc/etcd/pki/{ca.crt,server.crt,server.key}, owned by etcd. */
export function installMemberCertsCommand(name: string): string {
  const p = ETCD_MEMBER_PKI;
  return [
    'umask 077',
    't=$(mktemp -d) || exit 1',
    `{ base64 -d | tar -C "$t" -xf - && install -d -m 0750 -o etcd -g etcd -- ${p} && install -m 0644 -- "$t/ca.crt" ${p}/ca.crt && install -m 0644 -- "$t"/${q(`members/${name}.crt`)} ${p}/server.crt && install -m 0600 -o etcd -g etcd -- "$t"/${q(`members/${name}.key`)} ${p}/server.key; }; rc=$?`,
    'rm -rf -- "$t"',
    '[ "$rc" -eq 0 ] || echo "hactl: no valid certificates on standard input (expected from the first etcd host)" >&2',
    'exit "$rc"',
  ].join('\n');
}

/**
 * A member reports ready (Type=notify) only once a quorum of its peers is up: the first members of
 * a new cluster wait for each other, longer than systemd's start timeout on a slow day (systemd
 * then restarts it: Restart=on-abnormal). So: start without blocking, wait until active.
 */
export const START_ETCD = [
  'systemctl restart --no-block -- etcd || exit 1',
  'i=0',
  'until systemctl is-active --quiet -- etcd; do',
  '  i=$((i+1))',
  `  [ "$i" -lt 150 ] || { echo 'hactl: etcd did not become active within 5 minutes (its peers may not be up):' >&2; journalctl -u etcd -n 5 --no-pager >&2; exit 1; }`,
  '  sleep 2',
  'done',
].join('\n');

/** How long membership steps wait for earlier ones (2 s a round). */
const WAIT_ROUNDS = 300;

/**
 * A loop on a member: list the members (`$l`, etcdctl's simple format: `id, started|unstarted,
 * name, peerURLs, clientURLs, learner`), stop with `done` when it holds, act when `ready` holds,
 * else wait and ask again. etcd refuses a change that could cost quorum (a member restarted in the
 * last seconds, another one added and not started), so a refusal is waited out as well.
 */
function membershipLoop(done: string, ready: string, act: string, what: string): string {
  return [
    'i=0',
    'while :; do',
    `  if l=$(${ETCDCTL} member list -w simple); then`,
    `    if ${done}; then exit 0; fi`,
    `    if ${ready}; then ${act} && exit 0; fi`,
    '  fi',
    '  i=$((i+1))',
    `  [ "$i" -lt ${WAIT_ROUNDS} ] || { echo ${q(`hactl: gave up after ${(WAIT_ROUNDS * 2) / 60} minutes: ${what}`)} >&2; exit 1; }`,
    '  sleep 2',
    'done',
  ].join('\n');
}

const listed = (peer: string) => `printf '%s\\n' "$l" | grep -qF -- ${q(`, ${peer}`)}`;
const startedWith = (peer: string) => `printf '%s\\n' "$l" | grep -F ', started, ' | grep -qF -- ${q(`, ${peer}`)}`;

/**
 * On a healthy member: add `name` at `peer`, once every peer of `after` (additions earlier in spec
 * order) is a started member and no other addition is pending. Already listed: done.
 */
export function memberAddCommand(name: string, peer: string, after: readonly string[]): string {
  const ready = [`! printf '%s\\n' "$l" | grep -q ', unstarted, '`, ...after.map(startedWith)].join(' && ');
  return membershipLoop(listed(peer), ready, `${ETCDCTL} member add ${q(name)} --peer-urls=${q(peer)} >/dev/null`, `adding etcd member ${name} (${peer})`);
}

/** On a healthy member: remove member `id` (hex) once every peer of `after` (members joining) has started. Gone: done. */
export function memberRemoveCommand(id: string, after: readonly string[]): string {
  if (!/^[0-9a-f]{1,16}$/.test(id)) throw new Error(`not an etcd member ID: ${JSON.stringify(id)}`);
  const ready = after.length > 0 ? after.map(startedWith).join(' && ') : 'true';
  return membershipLoop(`! printf '%s\\n' "$l" | grep -q '^${id}, '`, ready, `${ETCDCTL} member remove ${id} >/dev/null`, `removing etcd member ${id}`);
}

/** The plan's view of the etcd membership (or why it is unknown). */
export function etcdObservation(result: EtcdFactsResult): EtcdObservation {
  if (!result.ok) return { members: [], unknown: result.reason };
  return {
    observedFrom: result.facts.observedFrom,
    members: result.facts.members.map((m) => ({
      name: m.name,
      id: m.id,
      peerURLs: m.peerURLs,
      started: m.started,
      healthy: m.healthy,
      leader: m.leader,
      ...(m.error !== undefined ? { error: m.error } : {}),
    })),
  };
}

/** A spec etcd host's member, or undefined. */
const specMember = (facts: EtcdFacts, h: Host): EtcdMember | undefined => memberOf(facts, h.name, peerURL(h));

/** Members no etcd host of the spec has: to be removed. */
function leavingMembers(facts: EtcdFacts, etcdHosts: readonly Host[]): EtcdMember[] {
  return facts.members.filter((m) => !etcdHosts.some((h) => m.name === h.name || m.peerURLs.includes(peerURL(h))));
}

/** Spec etcd hosts that are not members yet, in spec order. */
function joiningHosts(facts: EtcdFacts, etcdHosts: readonly Host[]): Host[] {
  return etcdHosts.filter((h) => specMember(facts, h) === undefined);
}

/** The member membership changes run on: the one that answered when it is healthy, else the first healthy spec member. */
function healthyRunner(facts: EtcdFacts, etcdHosts: readonly Host[]): Host | undefined {
  const healthy = (h: Host) => specMember(facts, h)?.healthy === true;
  return etcdHosts.find((h) => h.name === facts.observedFrom && healthy(h)) ?? etcdHosts.find(healthy);
}

const envFileOf = (f: HostFacts) => etcdEnvFile(packageManagerOf(f) ?? 'apt');

interface Membership {
  /** What the environment file says for the first start; undefined when deferred. */
  initial?: InitialCluster;
  /** Why nothing can be planned here yet. */
  deferred?: string;
  attributes: AttributeChange[];
  /** Before the service starts: old data aside, the member added. */
  beforeStart: CommandOperation[];
  /** After everything else: members removed. */
  afterStart: CommandOperation[];
  diagnostics: Diagnostic[];
}

function membership(ctx: ResourceContext): Membership {
  const { spec, host, facts, placement } = ctx;
  const etcdHosts = placement.etcdHosts;
  const out: Membership = { attributes: [], beforeStart: [], afterStart: [], diagnostics: [] };
  const file = facts.files[envFileOf(facts)];
  const onDisk = file?.exists === true && file.content !== undefined ? initialClusterIn(file.content) : undefined;
  const hasData = facts.files[ETCD_MEMBER_DIR]?.exists === true;
  const bootstrap: InitialCluster = { state: 'new', cluster: initialClusterOf(etcdHosts.map((h) => ({ name: h.name, peerURLs: [peerURL(h)] }))) };
  const observed = ctx.etcd;

  if (observed === undefined || !observed.ok) {
    const why = observed === undefined ? 'the etcd members were not asked' : observed.reason;
    const anyData = etcdHosts.some((h) => ctx.cluster.get(h.name)?.files[ETCD_MEMBER_DIR]?.exists === true);
    if (anyData && host.name === etcdHosts[0]!.name) {
      out.diagnostics.push({
        severity: 'warning',
        message: `etcd membership is unknown: ${why}; members with data are started, no member is added or removed`,
      });
    }
    if (hasData) {
      out.initial = onDisk ?? bootstrap;
      return out;
    }
    // Once a control-plane host is initialised, etcd's bootstrap is over: a host without data (a new
    // or reinstalled machine) can only be added to the running cluster, which needs its membership.
    const clusterExists = placement.controlPlane.some((h) => ctx.cluster.get(h.name)?.kubernetes.confFiles.includes('admin.conf') === true);
    if (clusterExists) {
      out.diagnostics.push({
        severity: 'error',
        message: `etcd member ${host.name} cannot be added: etcd's membership is unknown (${why}), and ${host.name} has no etcd data while the cluster runs; start the members that are down so that etcd has a quorum again (or restore it from a snapshot: hactl etcd restore), then plan again`,
      });
      out.deferred = `etcd membership is unknown (${why}): ${host.name} can only be added to the running cluster through a quorum`;
      return out;
    }
    // Started by nobody, or only by members of this very bootstrap: starting as `new` is what they expect.
    // A host nobody observed may have data: it counts as started.
    const started = etcdHosts.filter((h) => h.name !== host.name && (ctx.cluster.get(h.name)?.files[ETCD_MEMBER_DIR]?.exists ?? !ctx.cluster.has(h.name)));
    const sameBootstrap = (h: Host) => {
      const f = ctx.cluster.get(h.name);
      const content = f?.files[envFileOf(f)]?.content;
      const init = content !== undefined ? initialClusterIn(content) : undefined;
      return init?.state === 'new' && init.cluster === bootstrap.cluster && content!.includes(`ETCD_INITIAL_CLUSTER_TOKEN="hactl-${spec.name}"`);
    };
    if (started.every(sameBootstrap)) {
      out.initial = bootstrap;
      out.attributes.push(attr('etcd.member', false, true));
      return out;
    }
    out.deferred = `etcd membership is unknown (${why}): whether ${host.name} joins a running cluster cannot be told`;
    return out;
  }

  const ef = observed.facts;
  const listed = specMember(ef, host);
  // A member of this name that is down while the host has no data: the machine was lost and
  // reinstalled. Its old member is removed and it is added afresh (a member that lost its data
  // must not rejoin under its old ID).
  const reinstalled = listed !== undefined && listed.started && !listed.healthy && !hasData ? listed : undefined;
  const self = reinstalled === undefined ? listed : undefined;
  const joining = joiningHosts(ef, etcdHosts);
  const runner = healthyRunner(ef, etcdHosts);
  // Members that left the spec and are down are removed first: they cannot vote for an addition.
  const lost = leavingMembers(ef, etcdHosts).filter((m) => !m.healthy);
  const counted = ef.members.filter((m) => m !== reinstalled && !lost.includes(m));
  const current = (extra: Host[]) =>
    initialClusterOf([
      ...counted.map((m) => ({ name: m.name || etcdHosts.find((h) => m.peerURLs.includes(peerURL(h)))?.name || m.id, peerURLs: m.peerURLs })),
      ...extra.map((h) => ({ name: h.name, peerURLs: [peerURL(h)] })),
    ]);

  if (self !== undefined) {
    out.attributes.push(attr('etcd.member', self.started, true));
    // Started: the file's first-start settings stay. Listed, not started: part of the initial
    // cluster (it has its name from there) or added (no name until it starts).
    out.initial = self.started
      ? (onDisk ?? { state: 'existing', cluster: current([]) })
      : { state: self.name === '' ? 'existing' : 'new', cluster: current([]) };
  } else {
    out.attributes.push(attr('etcd.member', false, true));
    const earlier = reinstalled !== undefined ? [] : joining.slice(0, joining.indexOf(host));
    out.initial = { state: 'existing', cluster: current([...earlier, host]) };
    const n = counted.length + earlier.length + 1;
    const healthy = counted.filter((m) => m.healthy).length + earlier.length;
    if (runner === undefined) {
      out.diagnostics.push({
        severity: 'error',
        message: `etcd member ${host.name} cannot be added: no member of the spec's etcd hosts is healthy to add it from`,
      });
    } else if (healthy < quorumOf(n) && !(n === 2 && healthy === 1)) {
      // etcd's own rule (strict reconfiguration check), with its one exception: a second member for a single one.
      out.diagnostics.push({
        severity: 'error',
        message: `etcd member ${host.name} cannot be added: with it the cluster has ${n} members and needs ${quorumOf(n)} healthy, but only ${healthy} are; repair the unhealthy members first`,
      });
    } else if (reinstalled !== undefined && ef.members.filter((m) => m.healthy).length < quorumOf(ef.members.length)) {
      out.diagnostics.push({
        severity: 'error',
        message: `etcd member ${host.name} (${reinstalled.id}) of the machine ${host.name} replaces cannot be removed: the cluster has no quorum (${ef.members.filter((m) => m.healthy).length} of ${ef.members.length} members healthy)`,
      });
    } else {
      if (reinstalled !== undefined) {
        out.beforeStart.push({
          description: `on ${runner.name}: remove the old etcd member ${host.name} (${reinstalled.id}): ${host.name} has no etcd data (a new or reinstalled machine), and the member is down`,
          command: memberRemoveCommand(reinstalled.id, []),
          runOn: runner.name,
          effects: [],
        });
      }
      if (hasData) {
        out.beforeStart.push({
          description: `stop etcd and move its old data aside (${ETCD_DATA_DIR} → ${ETCD_DATA_DIR}.removed-<time>): ${host.name} is not a member of the running cluster`,
          command: `systemctl stop -- etcd && mv -- ${q(ETCD_DATA_DIR)} ${q(ETCD_DATA_DIR)}.removed-$(date -u +%Y%m%dT%H%M%SZ)`,
          effects: [
            { type: 'unit', name: 'etcd', active: false },
            { type: 'file', path: ETCD_MEMBER_DIR, content: null },
          ],
        });
      }
      out.beforeStart.push({
        // Said without the hosts it waits for: those may have joined by the time apply runs it.
        description: `on ${runner.name}: add ${host.name} (${peerURL(host)}) as an etcd member (etcdctl member add, one member at a time, in spec order)`,
        command: memberAddCommand(host.name, peerURL(host), earlier.map(peerURL)),
        runOn: runner.name,
        effects: [],
      });
    }
  }

  // Removals ride on the member they run from, which stays (so the last member is never removed);
  // with nobody healthy, the first spec etcd host says why.
  const leaving = leavingMembers(ef, etcdHosts);
  const carrier = runner ?? etcdHosts[0]!;
  if (leaving.length > 0 && carrier.name === host.name) {
    let n = ef.members.length;
    let healthy = ef.members.filter((m) => m.healthy).length;
    for (const m of leaving) {
      const label = `${m.name || '(not started)'} (${m.id})`;
      const refuse = (why: string) =>
        out.diagnostics.push({ severity: 'error', message: `etcd member ${label} is no longer in the spec but cannot be removed: ${why}` });
      if (runner === undefined) refuse("no member of the spec's etcd hosts is healthy to remove it from");
      else if (healthy < quorumOf(n)) refuse(`the cluster has no quorum (${healthy} of ${n} members healthy, ${quorumOf(n)} needed)`);
      else if (healthy - (m.healthy ? 1 : 0) < quorumOf(n - 1)) {
        refuse(
          `without it ${healthy - (m.healthy ? 1 : 0)} of ${n - 1} members would be healthy, and ${quorumOf(n - 1)} are needed for quorum; repair the unhealthy members first`,
        );
      } else {
        out.attributes.push(attr(`etcd.member.${m.name || m.id}`, true, false));
        // A member that is down is removed at once: it cannot vote for the additions.
        out.afterStart.push({
          description: m.healthy
            ? `remove etcd member ${label} (etcdctl member remove, after the members joining have started)`
            : `remove etcd member ${label}, which is down (etcdctl member remove, before the members joining are added)`,
          command: memberRemoveCommand(m.id, m.healthy ? joining.map(peerURL) : []),
          effects: [],
        });
        n--;
        if (m.healthy) healthy--;
      }
    }
  }
  return out;
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const { spec, host, facts, placement } = ctx;
  const pm = packageManagerOf(facts) ?? 'apt';
  const version = spec.etcd.version;
  // etcdctl observes the membership and changes it: Debian ships it apart, Rocky's etcd has it.
  for (const pkg of pm === 'apt' ? ['etcd-server', 'etcd-client'] : ['etcd']) {
    d.packages.push(version !== undefined ? { name: pkg, version: `${version}*`, hold: true } : { name: pkg });
  }
  const m = membership(ctx);
  d.diagnostics.push(...m.diagnostics);
  if (m.deferred !== undefined || m.initial === undefined) {
    d.actions = { attributes: [], operations: [], deferred: m.deferred ?? 'etcd membership is unknown' };
    return d;
  }
  const envFile = etcdEnvFile(pm);
  const content = renderEtcdEnv(spec.name, host, m.initial);
  d.files.push({ path: envFile, content, mode: 0o644 });

  const first = placement.etcdHosts[0]!.name;
  const ops: CommandOperation[] = [];
  const hasCert = facts.certificates.some((c) => c.path === `${ETCD_MEMBER_PKI}/server.crt`);
  const attributes = [attr('etcd.certificates', hasCert, true), ...m.attributes];
  if (!hasCert) {
    ops.push({
      description: `on ${first}: read the CA and ${host.name}'s member certificate and key from ${ETCD_PKI_DIR} (not shown)`,
      command: fetchMemberCertsCommand(host.name, first),
      runOn: first,
      captureAs: 'etcd-certs',
      sensitive: true,
      effects: [],
    });
    ops.push({
      description: `install them as ${ETCD_MEMBER_PKI}/ca.crt, server.crt, server.key (0600, etcd)`,
      command: installMemberCertsCommand(host.name),
      stdinFrom: 'etcd-certs',
      sensitive: true,
      effects: [
        { type: 'certificate', path: `${ETCD_MEMBER_PKI}/ca.crt`, days: 3650 },
        { type: 'certificate', path: `${ETCD_MEMBER_PKI}/server.crt`, days: spec.kubernetes.certificates.validityDays },
      ],
    });
  }
  ops.push(...m.beforeStart);
  // The service after its certificates and membership: enabled, running, restarted when its configuration changed.
  const unit = facts.units.etcd;
  const enabled = unit?.enabled ?? false;
  const stopping = m.beforeStart.some((o) => o.effects.some((e) => e.type === 'unit' && e.active === false));
  const active = (unit?.active ?? false) && !stopping;
  const f = facts.files[envFile];
  const configChanged = !(f?.exists === true && f.content === content);
  attributes.push(attr('service.etcd.enabled', enabled, true), attr('service.etcd.active', unit?.active ?? false, true));
  if (unit?.unitFileState === 'masked') {
    attributes.push(attr('service.etcd.masked', true, false));
    ops.push(unmaskOperation('etcd'));
  }
  if (!enabled) ops.push({ description: 'enable etcd', command: 'systemctl enable -- etcd', effects: [{ type: 'unit', name: 'etcd', enabled: true }] });
  const because = [...(active ? [] : ['not running']), ...(configChanged ? [`${envFile} changed`] : []), ...(hasCert ? [] : ['new certificates'])];
  if (because.length > 0) {
    // A running member has its data directory (a first start makes it).
    ops.push({
      description: `${active ? 'restart' : 'start'} etcd (${because.join(', ')})`,
      command: START_ETCD,
      effects: [
        { type: 'unit', name: 'etcd', active: true },
        { type: 'file', path: ETCD_MEMBER_DIR, content: '' },
      ],
    });
  }
  ops.push(...m.afterStart);
  const creates = m.attributes.some((a) => a.name === 'etcd.member' && a.changed);
  d.actions = { attributes, operations: ops, pendingOn: ['etcd-pki'], ...(creates ? { creates: true } : {}) };
  return d;
}

/**
 * External etcd members start in parallel once the certificates are made, never one at a time: a
 * new cluster's member only reports ready once a quorum of its peers is up.
 */
function place(b: GraphBuilder): void {
  for (const h of b.placement.etcdHosts) b.needs(b.add('etcd', h.name), resourceId('etcd-pki'), at('os-prep', h));
}

export const etcd: ResourceKindDef<'etcd'> = {
  kind: 'etcd',
  place,
  factRequest: () => ({
    packages: ['etcd-server', 'etcd', 'etcd-client'],
    units: ['etcd'],
    files: ['/etc/default/etcd', '/etc/etcd/etcd.conf', ETCD_MEMBER_DIR],
    sysctls: [],
    certDirs: [ETCD_MEMBER_PKI],
  }),
  desired,
  readsEtcd: true,
};
