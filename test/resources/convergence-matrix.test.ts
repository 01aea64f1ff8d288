// The convergence matrix, generated from the resource catalog: every kind is planned on converged
// clusters of the fixture specs, each artifact its plan shows (files, packages and holds, units,
// sysctls at runtime and on disk, kernel modules, swap, the hostname, and the kind's own
// attributes) gets the mutations a host can suffer (MUTATIONS below), and for each one: the plan
// shows that resource, and only it, as changed; simulated apply converges; the next plan is empty.
// An artifact no mutation is listed for fails the catalog test.

import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../src/facts/types.js';
import { precheck } from '../../src/apply/run.js';
import { sha256 } from '../../src/resources/diff.js';
import { HOSTS_BEGIN, HOSTS_END } from '../../src/resources/os-prep.js';
import { CLIENT_CERT, ETCD_PKI_DIR, memberCert } from '../../src/resources/etcd-pki.js';
import { REMOTE_BUNDLE_JSON } from '../../src/resources/package-bundle.js';
import { ETCD_MEMBER_PKI } from '../../src/facts/etcd.js';
import { compile } from '../../src/resources/index.js';
import { resolvePlacement } from '../../src/spec/topology.js';
import { manifestDaemonSets } from '../../src/resources/cni.js';
import { CONFIG_TOML } from '../../src/resources/containerd.js';
import { FakeCluster, FakeWorld, playPlan } from '../apply/fake.js';
import type { ResourceNode } from '../../src/graph/types.js';
import { deriveDesired } from '../../src/plan/derive.js';
import { kindDef, RESOURCE_CATALOG, type Desired } from '../../src/resources/index.js';
import type { ClusterSpec } from '../../src/spec/types.js';
import { applyPlan, bareCluster, localFiles, planSpec, specFixture, TEST_ENV } from './helpers.js';

/** Specs that, together, place every kind the catalog has. */
const SPECS = ['ha-haproxy.yaml', 'nginx.yaml', 'kube-vip.yaml', 'bundled.yaml', 'kubernetes/external-etcd.yaml'];

interface Mutation {
  /** What happened to the artifact, in plain words. */
  name: string;
  /** The host's facts after it (mutated in place). */
  mutate(f: HostFacts): void;
  /** hactl cannot tell what happened: the plan stops with an error holding this, which refuses apply. */
  person?: string;
}

/** An artifact's class: the part of its name the mutations are chosen by. */
type ArtifactClass =
  | 'file'
  | 'hosts-block'
  | 'fstab'
  | 'package'
  | 'hold'
  | 'enabled'
  | 'active'
  | 'sysctl'
  | 'module'
  | 'swap'
  | 'hostname'
  | 'certificate'
  | 'issued-certificate'
  | 'bundle'
  | 'joined'
  | 'initialised'
  | 'kubernetes-version';

function classify(artifact: string): { cls: ArtifactClass; name: string } | undefined {
  if (artifact === 'file /etc/hosts') return { cls: 'hosts-block', name: '/etc/hosts' };
  if (artifact === 'file /etc/fstab') return { cls: 'fstab', name: '/etc/fstab' };
  if (artifact.startsWith('file ')) return { cls: 'file', name: artifact.slice(5) };
  const m = /^(package|service|sysctl|module|certificate)\.(.+?)(?:\.(version|held|enabled|active|daysLeft))?$/.exec(artifact);
  if (m?.[1] === 'package') return { cls: m[3] === 'held' ? 'hold' : 'package', name: m[2]! };
  if (m?.[1] === 'service' && (m[3] === 'enabled' || m[3] === 'active')) return { cls: m[3], name: m[2]! };
  if (m?.[1] === 'sysctl') return { cls: 'sysctl', name: m[2]! };
  if (m?.[1] === 'module') return { cls: 'module', name: m[2]! };
  if (m?.[1] === 'certificate' && m[3] === 'daysLeft') return { cls: 'certificate', name: m[2]! };
  if (artifact === 'etcd-pki.ca') return { cls: 'issued-certificate', name: `${ETCD_PKI_DIR}/ca.crt` };
  if (artifact === 'etcd-pki.apiserver-client') return { cls: 'issued-certificate', name: CLIENT_CERT };
  if (artifact.startsWith('etcd-pki.member.')) return { cls: 'issued-certificate', name: memberCert(artifact.slice('etcd-pki.member.'.length)) };
  if (artifact === 'etcd.certificates') return { cls: 'issued-certificate', name: `${ETCD_MEMBER_PKI}/server.crt` };
  if (artifact === 'bundle') return { cls: 'bundle', name: REMOTE_BUNDLE_JSON };
  if (artifact === 'node.joined') return { cls: 'joined', name: 'kubelet.conf' };
  if (artifact === 'cluster.initialised') return { cls: 'initialised', name: 'kube-apiserver.yaml' };
  if (artifact === 'kubernetes.version') return { cls: 'kubernetes-version', name: 'kubelet' };
  if (artifact === 'swap.active') return { cls: 'swap', name: 'swap' };
  if (artifact === 'hostname') return { cls: 'hostname', name: 'hostname' };
  // Read from config.toml's `version = N` line: that file's mutations are the ones that move it.
  if (artifact === 'containerd.configVersion' || artifact === 'containerd.configVersionBasis') return { cls: 'file', name: CONFIG_TOML };
  return undefined;
}

const setFile = (f: HostFacts, path: string, content: string, over: Partial<HostFacts['files'][string]> = {}) => {
  const cur = f.files[path]!;
  f.files[path] = { ...cur, exists: true, type: 'file', content, sha256: sha256(content), size: Buffer.byteLength(content), ...over };
};
const contentOf = (f: HostFacts, path: string) => f.files[path]?.content ?? '';

const MUTATIONS: Record<ArtifactClass, (name: string) => Mutation[]> = {
  file: (path) => [
    { name: 'deleted', mutate: (f) => void (f.files[path] = { exists: false }) },
    { name: 'emptied', mutate: (f) => setFile(f, path, '') },
    { name: 'truncated', mutate: (f) => setFile(f, path, contentOf(f, path).slice(0, Math.floor(contentOf(f, path).length / 2))) },
    { name: 'garbage appended', mutate: (f) => setFile(f, path, `${contentOf(f, path)}\u0000garbage \u00ff=1\n`) },
    { name: 'mode changed', mutate: (f) => setFile(f, path, contentOf(f, path), { mode: (f.files[path]!.mode ?? 0o644) === 0o600 ? 0o666 : 0o600 }) },
    { name: 'owner changed', mutate: (f) => setFile(f, path, contentOf(f, path), { owner: 'nobody', group: 'nogroup' }) },
  ],
  // /etc/hosts is the user's file with hactl's block in it: garbage outside the block is the user's.
  'hosts-block': (path) => [
    { name: 'deleted', mutate: (f) => void (f.files[path] = { exists: false }) },
    { name: 'emptied', mutate: (f) => setFile(f, path, '') },
    { name: 'end marker deleted (truncated)', mutate: (f) => setFile(f, path, contentOf(f, path).replace(`${HOSTS_END}\n`, '')) },
    { name: 'begin marker deleted', mutate: (f) => setFile(f, path, contentOf(f, path).replace(`${HOSTS_BEGIN}\n`, '')) },
    { name: 'garbage appended inside the block', mutate: (f) => setFile(f, path, contentOf(f, path).replace(`${HOSTS_END}\n`, `garbage\n${HOSTS_END}\n`)) },
    { name: 'block duplicated', mutate: (f) => setFile(f, path, contentOf(f, path) + contentOf(f, path).slice(contentOf(f, path).indexOf(HOSTS_BEGIN))) },
    { name: 'CRLF line ends', mutate: (f) => setFile(f, path, contentOf(f, path).replace(/\n/g, '\r\n')) },
    { name: 'owner changed', mutate: (f) => setFile(f, path, contentOf(f, path), { owner: 'nobody', group: 'nogroup' }) },
  ],
  // hactl owns only the swap lines of /etc/fstab: commented out.
  fstab: (path) => [{ name: 'swap line enabled again', mutate: (f) => setFile(f, path, contentOf(f, path).replace(/^#hactl# /m, '')) }],
  package: (name) => [
    { name: 'removed', mutate: (f) => void (f.packages[name] = { installed: false }) },
    // Another patch release of the same minor (a pin's neighbour).
    {
      name: 'another version installed',
      mutate: (f) => {
        const cur = f.packages[name];
        if (!cur?.installed) throw new Error(`${name} is not installed on the converged host`);
        const version = cur.version.replace(
          /^(\d+:)?(\d+)\.(\d+)\.(\d+)/,
          (_, e: string | undefined, a: string, b: string, c: string) => `${e ?? ''}${a}.${b}.${Number(c) === 0 ? 1 : Number(c) - 1}`,
        );
        f.packages[name] = { ...cur, version };
      },
    },
  ],
  hold: (name) => [
    { name: 'unheld', mutate: (f) => void (f.packages[name] = { ...(f.packages[name] as { installed: true; version: string; held: boolean }), held: false }) },
  ],
  enabled: (name) => [
    { name: 'disabled', mutate: (f) => void (f.units[name] = { ...f.units[name]!, enabled: false }) },
    { name: 'masked', mutate: (f) => void (f.units[name] = { ...f.units[name]!, enabled: false, active: false, unitFileState: 'masked' }) },
  ],
  active: (name) => [{ name: 'stopped', mutate: (f) => void (f.units[name] = { ...f.units[name]!, active: false }) }],
  sysctl: (key) => [{ name: 'runtime value changed', mutate: (f) => void (f.sysctls[key] = '0') }],
  module: (name) => [{ name: 'unloaded', mutate: (f) => void (f.modules[name] = 'absent') }],
  swap: () => [{ name: 'swap turned on', mutate: (f) => void (f.swap = { ...f.swap, activeBytes: 1 << 30, devices: ['/swap.img'] }) }],
  hostname: () => [{ name: 'hostname changed', mutate: (f) => void (f.hostname = 'localhost') }],
  'issued-certificate': (path) => [{ name: 'deleted', mutate: (f) => void (f.certificates = f.certificates.filter((c) => c.path !== path)) }],
  bundle: (path) => [{ name: 'deleted', mutate: (f) => void (f.files[path] = { exists: false }) }],
  joined: (conf) => [
    { name: `${conf} deleted`, mutate: (f) => void (f.kubernetes = { ...f.kubernetes, confFiles: f.kubernetes.confFiles.filter((c) => c !== conf) }) },
  ],
  // A deleted manifest and a failed init look alike from the host: a person decides.
  initialised: (manifest) => [
    {
      name: `${manifest} deleted`,
      mutate: (f) => void (f.kubernetes = { ...f.kubernetes, manifests: f.kubernetes.manifests.filter((m) => m !== manifest) }),
      person: 'a file was deleted: restore it (kubeadm init phase control-plane apiserver',
    },
  ],
  'kubernetes-version': (pkg) => MUTATIONS.package(pkg).filter((m) => m.name === 'another version installed'),
  certificate: (name) => [
    { name: 'about to expire', mutate: (f) => void (f.certificates = f.certificates.map((c) => (c.path.endsWith(`/${name}`) ? { ...c, daysLeft: 5 } : c))) },
  ],
};

interface Row {
  spec: string;
  resource: string;
  kind: string;
  host: string;
  artifact: string;
  mutation: Mutation;
}

interface Converged {
  spec: ClusterSpec;
  facts: Map<string, HostFacts>;
  opts: { env: Record<string, string>; localFiles: Map<string, string> };
}

const CONVERGED = new Map<string, Converged>();
function converged(name: string): Converged {
  let c = CONVERGED.get(name);
  if (c === undefined) {
    const spec = specFixture(name);
    const opts = { env: TEST_ENV, localFiles: localFiles(spec) };
    const bare = bareCluster(spec, 'debian12');
    c = { spec, opts, facts: applyPlan(spec, bare, planSpec(spec, bare, opts)) };
    CONVERGED.set(name, c);
  }
  return c;
}

/** What a resource's kind wants on the converged cluster (as the planner asks it). */
function desiredOf(c: Converged, id: string): Desired {
  const node: ResourceNode = compile(c.spec).node(id);
  const scope = {
    spec: c.spec,
    placement: resolvePlacement(c.spec),
    hosts: new Map(c.spec.hosts.map((h) => [h.name, h])),
    cluster: c.facts,
    env: c.opts.env,
    localFiles: c.opts.localFiles,
  };
  return deriveDesired(kindDef(node.kind)!, scope, node, { facts: c.facts.get(node.host)! });
}

const changing = (c: Converged, facts: Map<string, HostFacts>) =>
  planSpec(c.spec, facts, c.opts).plan.changes.filter((x) => x.action !== 'no-op' && x.action !== 'read');

/**
 * The matrix: per kind, the first resource of it in the first spec that places it, and each of its
 * artifacts (by class: one row per kind, artifact and mutation); artifacts without a class listed
 * in `unlisted`.
 */
function buildMatrix(): { rows: Row[]; unlisted: { kind: string; artifact: string }[]; kinds: Set<string> } {
  const rows: Row[] = [];
  const unlisted: { kind: string; artifact: string }[] = [];
  const kinds = new Set<string>();
  const chosen = new Map<string, string>();
  for (const name of SPECS) {
    const c = converged(name);
    for (const change of planSpec(c.spec, c.facts, c.opts).plan.changes) {
      if (change.action === 'read' || change.attributes.length + change.files.length === 0) continue;
      const key = `${name} ${change.id}`;
      if ((chosen.get(change.kind) ?? key) !== key) continue;
      chosen.set(change.kind, key);
      kinds.add(change.kind);
      const artifacts = [...change.attributes.map((a) => a.name), ...change.files.map((f) => `file ${f.path}`)];
      for (const artifact of artifacts) {
        const k = classify(artifact);
        if (k === undefined) {
          unlisted.push({ kind: change.kind, artifact });
          continue;
        }
        // An unpinned package may be any version: another one is no change.
        const unpinned = k.cls === 'package' && desiredOf(c, change.id).packages.find((p) => p.name === k.name)?.version === undefined;
        for (const mutation of MUTATIONS[k.cls](k.name)) {
          if (unpinned && mutation.name === 'another version installed') continue;
          rows.push({ spec: name, resource: change.id, kind: change.kind, host: change.host, artifact, mutation });
        }
      }
    }
  }
  return { rows, unlisted, kinds };
}

/**
 * The resource that must show the mutation: the artifact's own, except that the Kubernetes
 * packages of a joined node change version only through an upgrade (kube-packages never bumps them).
 */
function expectedResource(spec: ClusterSpec, r: Row): string {
  if (r.kind === 'kube-packages' && /^package\.(kubeadm|kubelet)\.version$/.test(r.artifact) && r.mutation.name === 'another version installed') {
    const cp = spec.hosts.find((h) => h.name === r.host)?.roles.includes('control-plane') === true;
    return `${cp ? 'upgrade-control-plane' : 'upgrade-worker'}@${r.host}`;
  }
  return r.resource;
}

const MATRIX = buildMatrix();

describe('the convergence matrix', () => {
  it('lists mutations for every artifact of every kind that changes hosts', () => {
    const writing = RESOURCE_CATALOG.filter((k) => !k.readOnly).map((k) => k.kind);
    const covered = new Set([...MATRIX.rows.map((r) => r.kind), ...OBJECT_ROWS.filter((r) => r.mutations.length > 0).map((r) => r.kind)]);
    expect(
      writing.filter((k) => !covered.has(k)),
      'kinds without any mutation',
    ).toEqual([]);
    expect(MATRIX.unlisted, 'artifacts without mutations').toEqual([]);
  });

  for (const r of MATRIX.rows) {
    it(`${r.resource} (${r.spec}): ${r.artifact} ${r.mutation.name}`, () => {
      const c = converged(r.spec);
      expect(changing(c, c.facts).map((x) => x.id)).toEqual([]);
      const facts = new Map(c.facts);
      const f = structuredClone(facts.get(r.host)!);
      r.mutation.mutate(f);
      facts.set(r.host, f);
      const first = planSpec(c.spec, facts, c.opts);
      if (r.mutation.person !== undefined) {
        const errors = first.plan.diagnostics.filter((d) => d.severity === 'error');
        expect(errors.map((d) => d.resource)).toEqual([r.resource]);
        expect(errors[0]!.message).toContain(r.mutation.person);
        expect(precheck({ graph: compile(c.spec), plan: first.plan }).reasons.some((x) => x.includes(r.mutation.person!))).toBe(true);
        return;
      }
      expect(first.plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(first.plan.changes.filter((x) => x.action !== 'no-op' && x.action !== 'read').map((x) => x.id)).toEqual([expectedResource(c.spec, r)]);
      const after = applyPlan(c.spec, facts, first);
      expect(
        changing(c, after).map((x) => ({
          id: x.id,
          attributes: x.attributes.filter((a) => a.changed).map((a) => a.name),
          files: x.files.filter((y) => y.action !== 'no-op').map((y) => y.path),
        })),
      ).toEqual([]);
    });
  }
});

// The Kubernetes objects hactl owns (a node's labels, taints and the annotations that remember
// them; the CNI's DaemonSets), mutated in a simulated cluster (test/apply/fake.ts FakeCluster)
// and converged by playing the plan's kubectl steps against it.
const OBJECTS_SPEC = 'kubernetes/lab-cni.yaml';

function clusterOf(): { c: Converged; world: FakeWorld; cluster: FakeCluster } {
  const base = converged(OBJECTS_SPEC);
  const detailed = planSpec(base.spec, base.facts, base.opts);
  const world = new FakeWorld(new Map([...base.facts].map(([k, v]) => [k, structuredClone(v)])), detailed, {});
  const manifest = base.opts.localFiles.get([...base.opts.localFiles.keys()].find((p) => p.endsWith('lab-cni-manifest.yaml'))!)!;
  const daemonsets = manifestDaemonSets(manifest).map((d) => ({ ...d, labels: {}, desiredNumberScheduled: 4, numberReady: 4 }));
  const cluster = new FakeCluster(world, base.spec, daemonsets);
  // The converged hosts' CNI record says the manifest was applied: the cluster has its DaemonSets.
  cluster.daemonsets = structuredClone(daemonsets);
  world.cluster = cluster;
  return { c: base, world, cluster };
}

const clusterFacts = (cluster: FakeCluster) => {
  const r = cluster.read();
  if (!r.ok) throw new Error(r.reason);
  return r.facts;
};
const plan = (k: ReturnType<typeof clusterOf>) => planSpec(k.c.spec, k.world.facts, { ...k.c.opts, clusterFacts: clusterFacts(k.cluster) });
const changed = (p: ReturnType<typeof plan>) => p.plan.changes.filter((x) => x.action !== 'no-op' && x.action !== 'read').map((x) => x.id);

/** Run the plan's steps: kubectl against the simulated cluster, the rest as effects on the host. */
function play(k: ReturnType<typeof clusterOf>, p: ReturnType<typeof plan>): void {
  playPlan(k.world, k.cluster, compile(k.c.spec), p);
}

function convergedCluster(): ReturnType<typeof clusterOf> {
  const k = clusterOf();
  for (let i = 0; i < 3 && changed(plan(k)).length > 0; i++) play(k, plan(k));
  return k;
}

interface ObjectMutation {
  artifact: string;
  name: string;
  mutate(k: ReturnType<typeof clusterOf>): void;
}
const node = (k: ReturnType<typeof clusterOf>, host: string) => k.cluster.nodes.get(host)!;
/** Mutations per artifact class of the Kubernetes objects, from the converged plan's attributes. */
function objectMutations(resource: string, artifact: string, wanted: unknown): ObjectMutation[] {
  const host = resource.split('@')[1]!;
  let m: RegExpExecArray | null;
  if ((m = /^label\.(.+)$/.exec(artifact))) {
    const key = m[1]!;
    return [
      { artifact, name: 'removed', mutate: (k) => void Reflect.deleteProperty(node(k, host).labels, key) },
      { artifact, name: 'changed', mutate: (k) => void (node(k, host).labels[key] = 'changed-by-hand') },
    ];
  }
  if ((m = /^taint\.(.+):(\w+)$/.exec(artifact))) {
    const [key, effect] = [m[1]!, m[2]!];
    return [
      { artifact, name: 'removed', mutate: (k) => void (node(k, host).taints = node(k, host).taints.filter((t) => !(t.key === key && t.effect === effect))) },
    ];
  }
  if ((m = /^annotation\.(.+)$/.exec(artifact))) {
    const key = m[1]!;
    // An empty record and none are the same: removing an empty one is no change.
    return [
      ...(wanted !== ''
        ? [{ artifact, name: 'removed', mutate: (k: ReturnType<typeof clusterOf>) => void Reflect.deleteProperty(node(k, host).annotations, key) }]
        : []),
      { artifact, name: 'changed', mutate: (k) => void (node(k, host).annotations[key] = 'edited-by-hand') },
    ];
  }
  if (artifact === 'cni.daemonsets') return [{ artifact, name: 'DaemonSet deleted', mutate: (k) => void (k.cluster.daemonsets = []) }];
  return [];
}

const OBJECTS_BASE = plan(convergedCluster());
const OBJECT_ROWS = OBJECTS_BASE.plan.changes
  .filter((x) => x.kind === 'node-config' || x.kind === 'cni')
  .flatMap((x) =>
    x.attributes.map((a) => ({
      resource: x.id,
      kind: x.kind,
      artifact: a.name,
      mutations: objectMutations(x.id, a.name, a.after !== undefined && 'value' in a.after ? a.after.value : undefined),
    })),
  );

describe('the convergence matrix: Kubernetes objects', () => {
  it('the simulated cluster converges, and every object artifact has mutations listed', () => {
    expect(changed(OBJECTS_BASE)).toEqual([]);
    expect(OBJECT_ROWS.filter((r) => r.mutations.length === 0).map((r) => `${r.resource}: ${r.artifact}`)).toEqual([]);
    expect([...new Set(OBJECT_ROWS.map((r) => r.kind))].sort()).toEqual(['cni', 'node-config']);
  });

  for (const r of OBJECT_ROWS) {
    for (const m of r.mutations) {
      it(`${r.resource} (${OBJECTS_SPEC}): ${r.artifact} ${m.name}`, () => {
        const k = convergedCluster();
        m.mutate(k);
        const first = plan(k);
        expect(first.plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(changed(first)).toEqual([r.resource]);
        play(k, first);
        expect(changed(plan(k))).toEqual([]);
      });
    }
  }
});
