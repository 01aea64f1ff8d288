// Carrying out one resource. The saved (or just shown) plan is the contract of what may change;
// the operations themselves are derived again from the freshest facts of the host, by the same
// engine the planner uses. If those imply other changes than the plan showed, the plan is stale
// and the resource fails without touching the host. After the operations, the host is observed
// again (one probe) and diffed once more: anything left is "did not converge", never success.

import { posix } from 'node:path';
import { hashFile } from '../bundle/download.js';
import type { ClusterFacts, ClusterFactsResult, EtcdFactsResult } from '../facts/cluster.js';
import type { HostFacts } from '../facts/types.js';
import { CONTROL_PLANE_GROUP } from '../graph/compile.js';
import { resolvePlacement, type Placement } from '../spec/topology.js';
import type { ResourceNode } from '../graph/types.js';
import { PLAN_FORMAT_VERSION, normalizePlan, type Plan } from '../plan/model.js';
import { isKnown, isSensitive, resourceChange, type Diagnostic, type ResourceChange, type Value } from '../resources/diff.js';
import { deriveChange, type DeriveScope } from '../plan/derive.js';
import { withClusterHost } from '../plan/cluster-host.js';
import { canonicalJson } from '../plan/saved.js';
import { maskSecrets, Sensitive } from '../transport/sensitive.js';
import type { Operation, UploadOperation } from '../resources/operation.js';
import { kindDef } from '../resources/index.js';
import { onRemovedHost, type HostRemoval } from '../resources/host-removal.js';
import type { ResourceKindDef } from '../resources/resource.js';
import type { ClusterSpec, Host } from '../spec/types.js';
import { shellQuote } from '../transport/quote.js';
import type { Transport } from '../transport/transport.js';
import { LoggedTransport, type RunLog } from './runlog.js';

export type ProbeResult = { ok: true; facts: HostFacts; clockSkewSeconds?: number } | { ok: false; reason: string };

/** Observe one host (one probe). */
export type ProbeFn = (host: Host) => Promise<ProbeResult>;

/** Read the cluster facts (src/facts/cluster.ts) through a control-plane host whose facts show admin.conf. */
export type ClusterFactsFn = (facts: ReadonlyMap<string, HostFacts>) => Promise<ClusterFactsResult>;

/** Read external etcd's membership and health (src/facts/cluster.ts) through a running member. */
export type EtcdFactsFn = (facts: ReadonlyMap<string, HostFacts>) => Promise<EtcdFactsResult>;

/** Run `fn` with a writable connection to `host`. */
export type WithTransport = <T>(host: Host, fn: (t: Transport) => Promise<T>) => Promise<T>;

export class NotImplementedError extends Error {
  constructor(readonly kind: string) {
    super(`not implemented: ${kind} (this version of hactl cannot apply it)`);
    this.name = 'NotImplementedError';
  }
}

export class StepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepError';
  }
}

export interface ExecutorOptions {
  spec: ClusterSpec;
  /** The contract: what the operator saw and approved. */
  plan: Plan;
  /** Latest facts per host; the executor updates it after each verification. */
  facts: Map<string, HostFacts>;
  clockSkew?: ReadonlyMap<string, number>;
  probe: ProbeFn;
  withTransport: WithTransport;
  env: Readonly<Record<string, string | undefined>>;
  localFiles: ReadonlyMap<string, string>;
  log?: RunLog;
  /** Runs after a resource of the control-plane serial group changed something (the /readyz gate). */
  controlPlaneGate?: (node: ResourceNode, signal: AbortSignal) => Promise<void>;
  /** A step is about to run (for the progress view). */
  onStep?: (id: string, description: string) => void;
  /** Per-command limit. */
  commandTimeoutMs?: number;
  /** Reads the cluster facts; without it, kinds that need them are derived without (as a plan without a cluster). */
  clusterFacts?: ClusterFactsFn;
  /**
   * How long a resource whose comparison is deferred (a node not registered yet, the cluster not
   * answering) waits for the cluster facts to allow it, asking every `clusterFactsIntervalMs`.
   */
  clusterFactsWaitMs?: number;
  clusterFactsIntervalMs?: number;
  /** Reads etcd's membership for the etcd kind (joins and removals are decided with it). */
  etcdFacts?: EtcdFactsFn;
}

interface Derived {
  def: ResourceKindDef;
  change: ResourceChange;
  operations: Operation[];
  errors: Diagnostic[];
  unknown: string[];
  /** Why nothing can be compared yet (DesiredActions.deferred): never "up to date". */
  deferred?: string;
  /** A read-only kind's steps (readOperations): run at every apply, failing the resource when one fails. */
  reads: Operation[];
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) return Promise.reject(new StepError(`stopped before ${what}: ${reasonOf(signal)}`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new StepError(`stopped during ${what}: ${reasonOf(signal)}`));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : typeof r === 'string' ? r : 'aborted';
}

function render(v: Value | undefined): string {
  if (v === undefined) return 'absent';
  if (isKnown(v)) return JSON.stringify(v.value);
  if (isSensitive(v)) return '(sensitive)';
  return '(unknown)';
}

/** The parts of a change that say what apply does, normalised as the plan holds them. */
export function changeFingerprint(c: ResourceChange): string {
  const n = normalizedChange(c);
  return canonicalJson({ attributes: n.attributes.filter((a) => a.changed), files: n.files.filter((f) => f.action !== 'no-op'), steps: n.steps });
}

/** Why `now` is not `planned`, one item per differing attribute, file or step. */
export function changeDifferences(planned: ResourceChange, now: ResourceChange): string[] {
  const out: string[] = [];
  const pa = new Map(planned.attributes.filter((a) => a.changed).map((a) => [a.name, a]));
  const na = new Map(now.attributes.filter((a) => a.changed).map((a) => [a.name, a]));
  for (const [name, a] of na) {
    const p = pa.get(name);
    if (!p) out.push(`${name} now also changes (${render(a.before)} -> ${render(a.after)})`);
    else if (render(p.before) !== render(a.before) || render(p.after) !== render(a.after)) {
      out.push(`${name}: planned ${render(p.before)} -> ${render(p.after)}, now ${render(a.before)} -> ${render(a.after)}`);
    }
  }
  for (const name of pa.keys()) if (!na.has(name)) out.push(`${name} no longer changes`);
  const pf = new Map(planned.files.filter((f) => f.action !== 'no-op').map((f) => [f.path, f]));
  const nf = new Map(now.files.filter((f) => f.action !== 'no-op').map((f) => [f.path, f]));
  for (const [path, f] of nf) {
    const p = pf.get(path);
    if (!p) out.push(`file ${path} now also changes (${f.action})`);
    else if (p.action !== f.action || p.diff !== f.diff || p.beforeSha256 !== f.beforeSha256) out.push(`file ${path} differs from the plan`);
  }
  for (const path of pf.keys()) if (!nf.has(path)) out.push(`file ${path} no longer changes`);
  if (out.length === 0 && planned.steps.join('\n') !== now.steps.join('\n'))
    out.push(`steps differ (planned: ${planned.steps.join('; ') || 'none'}; now: ${now.steps.join('; ') || 'none'})`);
  return out;
}

/** The first changed lines of a unified diff, as `wanted`/`found` text (never for sensitive files: their diff is empty). */
function diffGist(diff: string, max = 4): string {
  const lines = diff.split('\n').filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l));
  if (lines.length === 0) return '';
  const shown = lines.slice(0, max).map((l) => `${l[0] === '+' ? 'wanted' : 'found'} ${JSON.stringify(l.slice(1))}`);
  return ` (${shown.join(', ')}${lines.length > max ? `, ${lines.length - max} more changed lines` : ''})`;
}

/** What a person looks at next when an artifact does not stay as applied. */
export function convergeHint(artifact: string, host: string): string {
  const m = /^(package|service|sysctl|module)\.(.+?)(?:\.(version|held|active|enabled))?$/.exec(artifact);
  const [kind, name, what] = m ? [m[1]!, m[2]!, m[3]] : [artifact, '', undefined];
  if (artifact.startsWith('file ')) {
    const path = artifact.slice(5);
    return `something on ${host} rewrites ${path} after hactl wrote it (configuration management, a package's script, a timer), or the write did not take: find it (e.g. ls -l --time-style=full-iso ${path}; lsattr ${path}; findmnt -T ${path}), then apply again`;
  }
  if (kind === 'package' && what === 'version')
    return `the package sources on ${host} do not offer that version, or something installs another: check apt-cache policy ${name} (dnf: dnf list --showduplicates ${name}), then apply again`;
  if (kind === 'package' && what === 'held') return `something changes the hold of ${name} on ${host}: check apt-mark showhold (dnf: dnf versionlock list)`;
  if (kind === 'service' && what === 'active')
    return `${name} does not stay running on ${host}: read systemctl status ${name} and journalctl -u ${name} -n 50 there, fix the cause, then apply again`;
  if (kind === 'service' && what === 'enabled')
    return `${name} cannot be enabled on ${host} (masked, or no [Install] section?): check systemctl is-enabled ${name}; a masked unit needs systemctl unmask ${name}`;
  if (kind === 'sysctl')
    return `the kernel on ${host} did not keep ${name}: another file under /etc/sysctl.d, /run/sysctl.d or /usr/lib/sysctl.d may set it later, or /proc/sys is read-only there; check sysctl ${name}`;
  if (kind === 'module') return `${name} did not load on ${host}: check lsmod, dmesg, and that the module exists for the running kernel`;
  if (artifact === 'swap.active') return `swap came back on ${host}: check /etc/fstab and swap units (systemctl list-units --type swap)`;
  if (artifact === 'hostname') return `something sets the hostname of ${host} back (cloud-init, DHCP): check hostnamectl`;
  if (/^(label|taint|annotation)\./.test(artifact))
    return `something else edits the node's ${artifact.split('.')[0]}s (a controller or an operator): check kubectl get node -o yaml from a control-plane host, then apply again`;
  if (artifact === 'cni.daemonsets')
    return `the CNI manifest did not leave its DaemonSets as expected: check kubectl get daemonsets -A and the manifest, then apply again`;
  return `run hactl plan to see the difference on ${host}, fix what keeps it from converging, then apply again`;
}

/**
 * "Did not converge", actionable: the resource, each artifact that still differs with what was
 * wanted and what was found, and what to look at next.
 */
export function notConverged(id: string, host: string, c: ResourceChange, operations: Operation[], errors: readonly Diagnostic[]): string {
  const items: string[] = [];
  for (const a of c.attributes) {
    if (a.changed) items.push(`${a.name}: wanted ${render(a.after)}, found ${render(a.before)}; ${convergeHint(a.name, host)}`);
  }
  for (const f of c.files) {
    if (f.action === 'no-op') continue;
    const state = f.action === 'create' ? 'is missing' : f.action === 'delete' ? 'is still there' : `differs from what was written${diffGist(f.diff)}`;
    const meta = [
      ...(f.mode && f.mode.before !== f.mode.after && f.mode.before !== undefined ? [`mode wanted ${f.mode.after}, found ${f.mode.before}`] : []),
      ...(f.owner && f.owner.before !== f.owner.after && f.owner.before !== undefined ? [`owner wanted ${f.owner.after}, found ${f.owner.before}`] : []),
    ];
    items.push(`file ${f.path} ${state}${meta.length > 0 ? ` (${meta.join(', ')})` : ''}; ${convergeHint(`file ${f.path}`, host)}`);
  }
  if (items.length === 0)
    items.push(...operations.map((o) => `the step "${o.description}" ran but its effect is not observed; ${convergeHint(o.description, host)}`));
  items.push(...errors.map((d) => d.message));
  return `did not converge: ${id} on ${host}: ${items.join(' | ')}`;
}

function clipLines(s: string, lines = 5): string {
  const all = s.trim().split('\n');
  return (all.length > lines ? ['...', ...all.slice(-lines)] : all).join('\n').slice(-800);
}

export class Executor {
  private readonly placement: Placement;
  private readonly hosts: Map<string, Host>;
  private readonly planned: Map<string, ResourceChange>;
  private readonly scope: DeriveScope;

  constructor(private readonly o: ExecutorOptions) {
    this.placement = withClusterHost(resolvePlacement(o.spec), o.facts);
    this.hosts = new Map(o.spec.hosts.map((h) => [h.name, h]));
    this.scope = { spec: o.spec, placement: this.placement, hosts: this.hosts, cluster: o.facts, env: o.env, localFiles: o.localFiles };
    this.planned = new Map(o.plan.changes.map((c) => [c.id, c]));
  }

  /** Same derivation as the planner's, from the given facts (and the cluster's, when read). */
  derive(node: ResourceNode, facts: HostFacts, clusterFacts?: ClusterFacts, etcd?: EtcdFactsResult): Derived {
    const def = kindDef(node.kind);
    if (def === undefined) throw new NotImplementedError(node.kind);
    const skew = this.o.clockSkew?.get(node.host);
    const d = deriveChange(def, this.scope, node, {
      facts,
      ...(skew !== undefined ? { clockSkewSeconds: skew } : {}),
      ...(clusterFacts !== undefined ? { clusterFacts } : {}),
      ...(etcd !== undefined ? { etcd } : {}),
    });
    const errorsOf = (ds: Diagnostic[]) => ds.filter((x) => x.severity === 'error');
    if (d.state === 'read-only') {
      const change = resourceChange(node, { action: 'read', steps: d.reads.map((o) => o.description) });
      return { def, change, operations: [], reads: d.reads, errors: errorsOf([...d.desired.diagnostics, ...d.checks]), unknown: [] };
    }
    if (d.state === 'deferred') {
      const change = resourceChange(node, { action: 'read', reason: d.reason });
      return { def, change, operations: [], reads: [], errors: errorsOf(d.desired.diagnostics), unknown: d.desired.unknown, deferred: d.reason };
    }
    const errors = errorsOf([...d.desired.diagnostics, ...d.checks, ...d.converged.diagnostics]);
    return { def, change: d.change, operations: d.converged.operations, reads: [], errors, unknown: d.desired.unknown };
  }

  /**
   * The cluster facts now, for a kind that reads them: undefined while there is no cluster (no
   * control-plane host with admin.conf). A cluster that exists but does not answer is an error.
   */
  private async clusterNow(node: ResourceNode, signal: AbortSignal): Promise<ClusterFacts | undefined> {
    if (this.o.clusterFacts === undefined || kindDef(node.kind)?.readsClusterFacts !== true) return undefined;
    // The control-plane hosts' own facts say where admin.conf is; one forgotten after a failure is observed again.
    for (const h of this.placement.controlPlane) {
      if (!this.o.facts.has(h.name)) {
        const r = await raceAbort(this.o.probe(h), signal, 'observing the control plane');
        if (r.ok) this.o.facts.set(h.name, r.facts);
      }
    }
    const r = await raceAbort(this.o.clusterFacts(this.o.facts), signal, 'reading the cluster');
    if (r.ok) return r.facts;
    if (r.host === undefined) return undefined;
    throw new StepError(`cannot read the cluster through ${r.host}: ${r.reason}`);
  }

  /**
   * Derive with fresh host and cluster facts; while the kind cannot compare yet (a node that has
   * just joined and is not registered, an apiserver not answering yet), ask again for a while.
   */
  private async deriveNow(node: ResourceNode, host: Host, signal: AbortSignal, facts: () => Promise<HostFacts>): Promise<Derived> {
    const wait = this.o.clusterFactsWaitMs ?? 120_000;
    const interval = this.o.clusterFactsIntervalMs ?? 3_000;
    const until = Date.now() + wait;
    let hostFacts = await facts();
    for (;;) {
      let cluster: ClusterFacts | undefined;
      let why: string | undefined;
      try {
        cluster = await this.clusterNow(node, signal);
      } catch (e) {
        if (!(e instanceof StepError) || signal.aborted) throw e;
        why = e.message;
      }
      const etcd =
        kindDef(node.kind)?.readsEtcd === true && this.o.etcdFacts
          ? await raceAbort(this.o.etcdFacts(this.o.facts), signal, 'reading the etcd membership')
          : undefined;
      const d = why === undefined ? this.derive(node, hostFacts, cluster, etcd) : undefined;
      if (d !== undefined && d.deferred === undefined) return d;
      if (Date.now() + interval > until) {
        throw new StepError(why ?? `cannot compare ${node.id} with the cluster yet: ${d!.deferred} (waited ${Math.round(wait / 1000)} s)`);
      }
      if (this.o.log) this.o.log.host(host.name, `${node.id}: waiting for the cluster (${why ?? d!.deferred})`);
      await raceAbort(new Promise((r) => setTimeout(r, interval)), signal, `waiting for the cluster`);
      if (kindDef(node.kind)?.readsClusterFacts === true) hostFacts = await this.observe(host, 'observe');
    }
  }

  private async factsOf(host: Host): Promise<HostFacts> {
    const cached = this.o.facts.get(host.name);
    if (cached) return cached;
    return this.observe(host, 'observe');
  }

  private async observe(host: Host, why: string): Promise<HostFacts> {
    const r = await this.o.probe(host);
    if (!r.ok) throw new StepError(`${why}: cannot observe ${host.name}: ${r.reason}`);
    this.o.facts.set(host.name, r.facts);
    return r.facts;
  }

  /** The walker's RunFn: resolves only once the host is verified to match the spec. */
  run = async (node: ResourceNode, signal: AbortSignal): Promise<void> => {
    const host = this.hosts.get(node.host);
    if (host === undefined) throw new StepError(`${node.id}: host ${node.host} is not in the spec`);
    const planned = this.planned.get(node.id);
    if (kindDef(node.kind) === undefined) throw new NotImplementedError(node.kind);
    if (planned === undefined) throw new StepError(`${node.id} is not in the plan`);
    try {
      await this.runResource(node, host, planned, signal);
    } catch (e) {
      // What the host looks like after a failure is unknown: the next resource there observes it again.
      this.o.facts.delete(host.name);
      const msg = e instanceof Error ? e.message : String(e);
      this.o.log?.host(host.name, `${node.id}: FAILED: ${msg}`);
      throw e;
    }
  };

  private async runResource(node: ResourceNode, host: Host, planned: ResourceChange, signal: AbortSignal): Promise<void> {
    const log = this.o.log;
    const before = await this.deriveNow(node, host, signal, () => this.factsOf(host));
    // Secrets a step prints for a later one (a join token), masked in what comes after.
    const secrets: Sensitive[] = [];
    if (before.unknown.length > 0) throw new StepError(`part of the desired state is unknown: ${before.unknown.join(', ')}`);
    if (before.errors.length > 0) throw new StepError(before.errors.map((d) => d.message).join('; '));
    if (before.def.readOnly) {
      // Observing by acting (a smoke test): every step runs, every time; one failing fails the resource.
      if (before.reads.length > 0) {
        log?.host(host.name, `${node.id}: ${before.reads.length} read step(s)`);
        await this.runOperations(node.id, host, before.reads, secrets, signal);
      }
      log?.host(host.name, `${node.id}: checks passed${before.reads.length > 0 ? ` (${before.reads.length} read step(s) ran)` : ''}`);
      return;
    }
    // A resource waiting on another's outcome was planned as far as could be known: the rest is
    // "known after apply". Every other one must still be what the plan showed.
    if (planned.pendingOn === undefined || planned.pendingOn.length === 0) {
      if (changeFingerprint(planned) !== changeFingerprint(before.change)) {
        const diff = changeDifferences(planned, normalizedChange(before.change));
        throw new StepError(`the plan is stale: ${host.name} no longer matches what was planned for ${node.id} (${diff.join('; ')}); run plan again`);
      }
    }
    if (before.operations.length === 0) {
      log?.host(host.name, `${node.id}: up to date`);
      return;
    }

    log?.host(host.name, `${node.id}: ${before.operations.length} step(s)`);
    await this.runOperations(node.id, host, before.operations, secrets, signal);

    this.o.onStep?.(node.id, 'verifying');
    const after = await this.deriveNow(node, host, signal, () => this.observe(host, 'verify'));
    if (after.operations.length > 0 || after.errors.length > 0) {
      throw new StepError(maskSecrets(notConverged(node.id, host.name, after.change, after.operations, after.errors), { values: secrets }));
    }
    log?.host(host.name, `${node.id}: verified`);
    if (node.serialGroup === CONTROL_PLANE_GROUP && this.o.controlPlaneGate) {
      this.o.onStep?.(node.id, 'waiting for the apiserver (/readyz)');
      await this.o.controlPlaneGate(node, signal);
    }
  }

  /**
   * A host's removal (src/resources/host-removal.ts): the steps in order, those on the host itself
   * only when it can be reached. An unreachable host that holds a stacked etcd member fails the
   * removal: kubeadm reset is what removes the member.
   */
  async removeHost(removal: HostRemoval, host: Host, signal: AbortSignal): Promise<void> {
    const id = removal.change.id;
    const log = this.o.log;
    const secrets: Sensitive[] = [];
    try {
      const own = removal.operations.filter(onRemovedHost);
      let reachable: string | undefined;
      if (own.length > 0) {
        reachable = await this.o
          .withTransport(host, (t) => raceAbort(t.exec('true', { timeoutMs: 30_000 }), signal, `reaching ${host.name}`))
          .then(
            (r) => (r.code === 0 ? undefined : `exit ${r.code}`),
            (e: unknown) => (signal.aborted ? Promise.reject(e) : e instanceof Error ? e.message : String(e)),
          );
      }
      // Its stacked etcd member, if any, is removed from the cluster host by a step of its own.
      if (reachable !== undefined) log?.host(host.name, `${id}: cannot be reached (${reachable}): its reset and cleanup are skipped`);
      const steps = reachable === undefined ? removal.operations : removal.operations.filter((o) => !onRemovedHost(o));
      log?.host(host.name, `${id}: ${steps.length} step(s)`);
      await this.runOperations(id, host, steps, secrets, signal);
      log?.host(host.name, `${id}: removed`);
    } catch (e) {
      this.o.log?.host(host.name, `${id}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  }

  /** Local files already checked against the sha256 their upload names (once per run, whatever the host count). */
  private readonly checkedLocal = new Map<string, Promise<void>>();

  private checkLocal(localDir: string, files: UploadOperation['upload']['files']): Promise<void> {
    const key = `${localDir}\0${files.map((f) => `${f.path}:${f.sha256}`).join('\n')}`;
    let p = this.checkedLocal.get(key);
    if (p === undefined) {
      p = (async () => {
        const bad: string[] = [];
        for (const f of files) {
          const got = await hashFile(posix.join(localDir, f.path)).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
          if (typeof got === 'string') bad.push(`${f.path}: unreadable (${got})`);
          else if (got === undefined) bad.push(`${f.path}: missing`);
          else if (got.sha256 !== f.sha256) bad.push(`${f.path}: sha256 ${got.sha256}, listed as ${f.sha256}`);
        }
        if (bad.length > 0)
          throw new StepError(
            `${localDir} does not match its own list (${bad.slice(0, 5).join('; ')}${bad.length > 5 ? `; ${bad.length - 5} more` : ''}): make it again`,
          );
      })();
      this.checkedLocal.set(key, p);
    }
    return p;
  }

  /**
   * An upload step's copying: every local file is checked against its sha256 first (nothing is
   * uploaded from a damaged copy), then the host says which files it already has with the same
   * sha256 (sha256sum -c), and only the others go over SFTP.
   */
  private async uploadFiles(id: string, host: Host, op: UploadOperation, signal: AbortSignal): Promise<void> {
    const { localDir, remoteDir, files } = op.upload;
    const log = this.o.log;
    this.o.onStep?.(id, `checking ${files.length} local file(s) against their sha256`);
    await raceAbort(this.checkLocal(localDir, files), signal, 'checking the local files');
    await this.o.withTransport(host, async (raw) => {
      const t = log ? new LoggedTransport(raw, log, id) : raw;
      const dirs = [...new Set(files.map((f) => posix.dirname(posix.join(remoteDir, f.path))))];
      const listing = files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
      const r = await raceAbort(
        t.exec(`install -d -m 0755 -- ${dirs.map(shellQuote).join(' ')} && cd -- ${shellQuote(remoteDir)} && { sha256sum -c 2>/dev/null || true; }`, {
          stdin: listing,
        }),
        signal,
        'comparing the files on the host',
      );
      if (r.code !== 0) throw new StepError(`cannot compare the files in ${remoteDir}: exit ${r.code}: ${clipLines(r.stderr)}`);
      const there = new Set(
        r.stdout
          .split('\n')
          .filter((l) => l.endsWith(': OK'))
          .map((l) => l.slice(0, -': OK'.length)),
      );
      const missing = files.filter((f) => !there.has(f.path));
      log?.host(
        host.name,
        `${id}: ${missing.length} of ${files.length} file(s) to upload (${missing.reduce((n, f) => n + f.size, 0)} bytes), the others are there`,
      );
      for (const f of missing) {
        this.o.onStep?.(id, `upload ${f.path}`);
        await raceAbort(t.upload(posix.join(localDir, f.path), posix.join(remoteDir, f.path), 0o644), signal, `uploading ${f.path}`);
      }
    });
  }

  /** The steps in order; `secrets` grows by what captured steps print. */
  private async runOperations(id: string, host: Host, operations: Operation[], secrets: Sensitive[], signal: AbortSignal): Promise<void> {
    const log = this.o.log;
    // Outputs a step keeps for a later one (a join command made on the first control-plane host).
    const captured = new Map<string, string>();
    for (const op of operations) {
      if (signal.aborted) throw new StepError(`stopped before "${op.description}": ${reasonOf(signal)}`);
      this.o.onStep?.(id, op.description);
      if ('writeFile' in op) {
        const w = op.writeFile;
        await this.o.withTransport(host, (raw) => {
          const t = log ? new LoggedTransport(raw, log, id) : raw;
          return raceAbort(
            t.writeFile(w.path, w.content, { mode: w.mode, ...(w.owner ? { owner: w.owner } : {}), ...(w.group ? { group: w.group } : {}) }),
            signal,
            op.description,
          );
        });
        continue;
      }
      if ('upload' in op) await this.uploadFiles(id, host, op, signal);
      const on = op.runOn === undefined ? host : this.hosts.get(op.runOn);
      if (on === undefined) throw new StepError(`step "${op.description}" is to run on ${op.runOn}, which is not in the spec`);
      let stdin: string | undefined;
      if (op.stdinFrom !== undefined) {
        stdin = captured.get(op.stdinFrom);
        if (stdin === undefined) throw new StepError(`step "${op.description}" needs the output of an earlier step ("${op.stdinFrom}"), which did not run`);
      }
      const quiet = op.sensitive === true || op.captureAs !== undefined;
      const r = await this.o.withTransport(on, (raw) => {
        // A command carrying a secret, or whose output is one, is logged by its description only.
        const t = log && !quiet ? new LoggedTransport(raw, log, id) : raw;
        if (quiet) log?.host(on.name, `${id}: $ (${op.description}: ${op.sensitive ? 'command' : 'output'} not logged, it carries a secret)`);
        return raceAbort(
          t.exec(op.command, {
            secrets,
            ...(op.secretFields ? { secretFields: op.secretFields } : {}),
            ...(stdin !== undefined ? { stdin } : {}),
            ...(this.o.commandTimeoutMs !== undefined ? { timeoutMs: this.o.commandTimeoutMs } : {}),
          }),
          signal,
          op.description,
        );
      });
      if (quiet) log?.host(on.name, `${id}:   exit ${r.code} in ${Math.round(r.durationMs)} ms`);
      if (op.captureAs !== undefined && r.code === 0) {
        captured.set(op.captureAs, r.stdout);
        const found = capturedSecrets(r.stdout);
        secrets.push(...found);
        log?.addSecrets(found);
      }
      if (r.code !== 0) {
        // A step that handles a secret is shown with what it printed of it masked: its secret fields
        // (a config check echoing a line) and the secrets earlier steps printed.
        const mask = { values: secrets, ...(op.secretFields ? { fields: op.secretFields } : {}) };
        const why = maskSecrets(op.captureAs !== undefined ? clipLines(r.stderr) : clipLines(r.stderr || r.stdout), mask);
        throw new StepError(`step "${op.description}"${on !== host ? ` on ${on.name}` : ''} exited ${r.code}${why ? `: ${why}` : ''}`);
      }
    }
  }
}

/**
 * What to mask of a captured output: all of it, and each word in it that looks like a credential
 * (16 characters or more, with a digit: tokens, hashes, keys), since a later message may quote
 * one word of it alone. Masking a harmless long word too costs only readability.
 */
export function capturedSecrets(output: string): Sensitive[] {
  const words = output.split(/\s+/).filter((w) => w.length >= 16 && /\d/.test(w));
  return [output.trim(), ...words].filter((x) => x.length > 0).map((x) => new Sensitive(x));
}

/** A change as the plan stores it: in normal form. */
export function normalizedChange(c: ResourceChange): ResourceChange {
  const plan: Plan = { formatVersion: PLAN_FORMAT_VERSION, createdAt: '', spec: { file: '', sha256: '' }, hosts: [], changes: [c], diagnostics: [] };
  return normalizePlan(plan).changes[0]!;
}
