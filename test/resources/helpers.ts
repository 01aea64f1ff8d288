// Test helpers: HostFacts builders, specs from fixtures, planning one spec against facts, and a
// small fact-updater that plays operations' effects onto facts (used only in tests) with the
// preconditions the real tools have, so a wrongly ordered or incomplete operation list fails.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClusterFacts, EtcdFactsResult } from '../../src/facts/cluster.js';
import { parseFstabSwap, parseProbeOutput } from '../../src/facts/parse.js';
import { defaultFactRequest } from '../../src/facts/default-request.js';
import { mergeRequests } from '../../src/facts/request.js';
import type { HostFacts, PackageFacts } from '../../src/facts/types.js';
import { compile } from '../../src/resources/index.js';
import { topologicalOrder } from '../../src/graph/compile.js';
import { sha256 } from '../../src/resources/diff.js';
import { localFilesFor, planClusterDetailed, type DetailedPlan, type HostObservation } from '../../src/plan/planner.js';
import type { Operation } from '../../src/resources/operation.js';
import { versionMatches } from '../../src/resources/desired.js';
import { loadSpec } from '../../src/spec/index.js';
import type { ClusterSpec } from '../../src/spec/types.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/resources/', import.meta.url));
export const FACT_FIXTURES = fileURLToPath(new URL('../fixtures/facts/', import.meta.url));

export function specFromText(text: string, file = `${FIXTURES}cluster.yaml`): ClusterSpec {
  const r = loadSpec(text, file);
  if (!r.spec) throw new Error(`invalid test spec: ${r.diagnostics.map((d) => `${d.path}: ${d.message}`).join('; ')}`);
  return r.spec;
}

export function specFixture(name: string): ClusterSpec {
  return specFromText(readFileSync(`${FIXTURES}${name}`, 'utf8'), `${FIXTURES}${name}`);
}

/** The environment tests plan with: the secrets the fixture specs name. */
export const TEST_ENV: Record<string, string> = { HACTL_TEST_VRRP: 'Vr9.pw', HACTL_TEST_REG_USER: 'robot$ci', HACTL_TEST_REG_PASS: 'r3g-Pa55"word' };

/** The local files a spec names, read as the plan command reads them. */
export function localFiles(spec: ClusterSpec): Map<string, string> {
  return new Map(localFilesFor(spec).map((p) => [p, readFileSync(p, 'utf8')]));
}

export type OsName = 'debian12' | 'ubuntu2204' | 'rocky9';

const OS: Record<OsName, HostFacts['os']> = {
  debian12: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', family: 'debian', like: [] },
  ubuntu2204: { id: 'ubuntu', versionId: '22.04', prettyName: 'Ubuntu 22.04.4 LTS', family: 'debian', like: ['debian'] },
  rocky9: { id: 'rocky', versionId: '9.3', prettyName: 'Rocky Linux 9.3 (Blue Onyx)', family: 'rhel', like: ['rhel', 'centos', 'fedora'] },
};

/** A freshly installed host: nothing hactl manages is there, swap is on, /etc/hosts and fstab are stock. */
export function bareFacts(os: OsName, address = '10.0.0.11', over: Partial<HostFacts> = {}): HostFacts {
  const GiB = 1024 ** 3;
  const fstab = 'UUID=3f1c / ext4 errors=remount-ro 0 1\n/swap.img none swap sw 0 0\n';
  const hosts = '127.0.0.1 localhost\n::1 localhost ip6-localhost\n';
  const file = (content: string) => ({
    exists: true,
    type: 'file' as const,
    content,
    mode: 0o644,
    owner: 'root',
    group: 'root',
    sha256: sha256(content),
    size: content.length,
  });
  return {
    hostname: 'localhost',
    os: OS[os],
    arch: 'x86_64',
    kernel: '6.1.0-18-amd64',
    cpus: 8,
    memoryBytes: 16 * GiB,
    disks: [{ path: '/', mountedOn: '/', filesystem: '/dev/vda1', sizeBytes: 100e9, freeBytes: 80e9 }],
    swap: { activeBytes: 2 * GiB, devices: ['/swap.img'], fstabEntries: parseFstabSwap(fstab.split('\n')) },
    interfaces: [
      { name: 'lo', addresses: ['127.0.0.1/8'], up: true },
      { name: 'eth0', addresses: [`${address}/24`], up: true },
    ],
    sysctls: { 'net.ipv4.ip_forward': '0', 'net.ipv4.ip_nonlocal_bind': '0' },
    modules: { br_netfilter: 'absent', overlay: 'loaded' },
    packageManager: os === 'rocky9' ? 'rpm' : 'dpkg',
    packages: {},
    // What the distro's (or, on Rocky, Docker's) lists offer for containerd: a 1.7.
    candidates: os === 'rocky9' ? { 'containerd.io': '1.7.27-3.1.el9' } : { containerd: '1.7.24~ds1-1' },
    cgroupMode: 'v2',
    init: 'systemd',
    units: {},
    files: { '/etc/fstab': file(fstab), '/etc/hosts': file(hosts), '/etc/hostname': file('localhost\n') },
    certificates: [],
    kubernetes: { present: false, confFiles: [], manifests: [], kubeletConfig: false, caPresent: false },
    timeSync: { synchronized: true, service: 'systemd-timesyncd', ntpEnabled: true, source: 'timedatectl' },
    listeningPorts: [{ proto: 'tcp', port: 22, address: '0.0.0.0', process: 'sshd' }],
    processes: ['sshd', 'systemd'],
    clockEpochSeconds: 1_767_268_800,
    missingTools: [],
    ...over,
  };
}

/** A captured probe output from test/fixtures/facts, parsed with the default request. */
export function capturedFacts(name: 'debian12' | 'rocky9' | 'ubuntu2204'): HostFacts {
  return parseProbeOutput(readFileSync(`${FACT_FIXTURES}${name}.txt`, 'utf8'), mergeRequests(defaultFactRequest()));
}

export interface PlanOptions {
  env?: Record<string, string | undefined>;
  localFiles?: Map<string, string>;
  unreachable?: Record<string, string>;
  clusterFacts?: ClusterFacts;
  etcd?: EtcdFactsResult;
  stackedEtcd?: EtcdFactsResult;
  removedUnreachable?: ReadonlyMap<string, string>;
}

export function planSpec(spec: ClusterSpec, facts: Map<string, HostFacts>, opts: PlanOptions = {}): DetailedPlan {
  const obs = new Map<string, HostObservation>();
  for (const h of spec.hosts) {
    const f = facts.get(h.name);
    if (opts.unreachable?.[h.name] !== undefined) obs.set(h.name, { ok: false, reason: opts.unreachable[h.name]! });
    else if (f) obs.set(h.name, { ok: true, facts: f });
  }
  return planClusterDetailed({
    spec,
    specFile: 'cluster.yaml',
    specSha256: sha256('spec'),
    graph: compile(spec),
    facts: obs,
    env: opts.env ?? {},
    localFiles: opts.localFiles ?? new Map(),
    ...(opts.clusterFacts ? { clusterFacts: opts.clusterFacts } : {}),
    ...(opts.etcd ? { etcd: opts.etcd } : {}),
    ...(opts.stackedEtcd ? { stackedEtcd: opts.stackedEtcd } : {}),
    ...(opts.removedUnreachable ? { removedUnreachable: opts.removedUnreachable } : {}),
    createdAt: new Date('2026-11-22T08:00:00Z'),
  });
}

/** Bare facts of one OS for every host of a spec, each with its own address. */
export function bareCluster(spec: ClusterSpec, os: OsName | ((host: string) => OsName)): Map<string, HostFacts> {
  return new Map(spec.hosts.map((h) => [h.name, bareFacts(typeof os === 'string' ? os : os(h.name), h.address)]));
}

// ---------------------------------------------------------------------------------------------
// The fact-updater

const UNIT_PACKAGES: Record<string, string[]> = {
  containerd: ['containerd', 'containerd.io'],
  haproxy: ['haproxy'],
  nginx: ['nginx'],
  keepalived: ['keepalived'],
  kubelet: ['kubelet'],
  chrony: ['chrony'],
  chronyd: ['chrony'],
  etcd: ['etcd-server', 'etcd'],
};

/** A concrete version a package source would offer for a wanted pattern. */
export function offeredVersion(pattern: string | undefined, family: 'apt' | 'dnf'): string {
  if (pattern === undefined) return family === 'apt' ? '2.0-1' : '2.0-1.el9';
  if (!pattern.includes('*')) return pattern;
  return pattern.replace(/-\*$/, family === 'apt' ? '-1.1' : '-150500.1.1').replace(/\*$/, '-1');
}

/** Play the operations' effects onto a copy of the facts; throws where the real host would fail. */
export function applyOperations(facts: HostFacts, ops: Operation[]): HostFacts {
  const f: HostFacts = structuredClone(facts);
  const family = f.packageManager === 'rpm' ? 'dnf' : 'apt';
  for (const op of ops) {
    const cmd = 'command' in op ? op.command : '';
    for (const e of op.effects) {
      switch (e.type) {
        case 'package': {
          const cur: PackageFacts = f.packages[e.name] ?? { installed: false };
          if (/apt-get install|dnf -y -q (--setopt=\S+ )?(install|upgrade|downgrade)/.test(cmd)) {
            if (cur.installed && cur.held && family === 'apt' && !cmd.includes('--allow-change-held-packages'))
              throw new Error(`apt refuses to change held ${e.name}: ${cmd}`);
            if (cur.installed && cur.held && family === 'dnf') throw new Error(`dnf: ${e.name} is version-locked: ${cmd}`);
            // `dnf install` of an installed package leaves it as it is: fine unless another version was wanted.
            if (family === 'dnf' && cur.installed && / install /.test(cmd) && e.version !== undefined && !versionMatches(cur.version, e.version)) {
              throw new Error(`dnf install does not change the version of installed ${e.name}`);
            }
            // What the package manager offers: the observed candidate, when there is one, for an unpinned package.
            const candidate = e.version === undefined ? f.candidates[e.name] : undefined;
            const version = candidate ?? offeredVersion(e.version, family);
            f.packages[e.name] = {
              installed: true,
              version: e.version === undefined && cur.installed ? cur.version : version,
              held: e.held ?? (cur.installed ? cur.held : false),
            };
            for (const [unit, pkgs] of Object.entries(UNIT_PACKAGES)) {
              if (pkgs.includes(e.name) && !f.units[unit]?.exists) f.units[unit] = { exists: true, enabled: false, active: false };
            }
          } else {
            if (!cur.installed) throw new Error(`cannot hold ${e.name}: not installed`);
            if (family === 'dnf' && e.held && !f.packages['python3-dnf-plugin-versionlock']?.installed) throw new Error('dnf versionlock plugin missing');
            f.packages[e.name] = { ...cur, held: e.held ?? cur.held };
          }
          break;
        }
        case 'file': {
          if (e.content === null) {
            f.files[e.path] = { exists: false };
          } else {
            f.files[e.path] = {
              exists: true,
              type: 'file',
              content: e.content,
              sha256: sha256(e.content),
              size: e.content.length,
              mode: e.mode ?? 0o644,
              owner: e.owner ?? 'root',
              group: e.group ?? 'root',
            };
          }
          if (e.path === '/etc/fstab') f.swap.fstabEntries = parseFstabSwap((e.content ?? '').split('\n'));
          break;
        }
        case 'unit': {
          const u = f.units[e.name];
          if (!u?.exists) throw new Error(`systemctl: unit ${e.name} not found`);
          if (e.masked === false) {
            const { unitFileState: _masked, ...rest } = u;
            f.units[e.name] = rest;
            break;
          }
          if (u.unitFileState === 'masked' && (e.enabled || e.active)) throw new Error(`systemctl: unit ${e.name} is masked`);
          f.units[e.name] = { ...u, ...(e.enabled !== undefined ? { enabled: e.enabled } : {}), ...(e.active !== undefined ? { active: e.active } : {}) };
          if ((e.name === 'chrony' || e.name === 'chronyd') && e.active) f.timeSync = { synchronized: true, service: 'chronyd', source: 'chronyc' };
          break;
        }
        case 'sysctl':
          if (e.key.startsWith('net.bridge.') && f.modules.br_netfilter === 'absent')
            throw new Error(`sysctl: cannot stat /proc/sys/${e.key.replace(/\./g, '/')}`);
          f.sysctls[e.key] = e.value;
          break;
        case 'module':
          f.modules[e.name] = 'loaded';
          break;
        case 'swapoff':
          f.swap = { ...f.swap, activeBytes: 0, devices: [] };
          break;
        case 'hostname':
          f.hostname = e.name;
          break;
        case 'certificate':
          if (!/openssl|install|kubeadm certs renew/.test(cmd)) throw new Error(`no openssl or install in the step that makes ${e.path}: ${cmd}`);
          f.certificates = [...f.certificates.filter((c) => c.path !== e.path), { path: e.path, daysLeft: e.days }];
          break;
        case 'kubernetes': {
          // kubeadm refuses to run without its packages and the runtime.
          if (!f.packages.kubeadm?.installed) throw new Error(`kubeadm: command not found: ${cmd}`);
          const k = f.kubernetes;
          f.kubernetes = {
            ...k,
            present: true,
            confFiles: [...new Set([...k.confFiles, ...(e.confFiles ?? [])])].sort(),
            manifests: [...new Set([...k.manifests, ...(e.manifests ?? [])])].sort(),
            kubeletConfig: true,
            caPresent: true,
          };
          break;
        }
      }
    }
  }
  return f;
}

/** Every host's facts after its resources' operations, in graph order. */
export function applyPlan(spec: ClusterSpec, facts: Map<string, HostFacts>, detailed: DetailedPlan): Map<string, HostFacts> {
  const out = new Map(facts);
  for (const id of topologicalOrder(compile(spec))) {
    const ops = detailed.operations.get(id);
    if (!ops) continue;
    const host = detailed.plan.changes.find((c) => c.id === id)!.host;
    out.set(host, applyOperations(out.get(host)!, ops));
  }
  return out;
}
