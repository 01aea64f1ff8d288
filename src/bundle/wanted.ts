// The packages a spec installs, from the same code that installs them: every resource of the
// compiled graph is evaluated with the facts of a bare host of the target distribution (nothing
// installed, no time service), and the packages its desired state asks for are collected, with
// the versions it asks for. No second list of package names exists.

import type { HostFacts } from '../facts/types.js';
import { compile } from '../resources/index.js';
import { resolvePlacement } from '../spec/topology.js';
import { deriveDesired, type DeriveScope } from '../plan/derive.js';
import { kindDef } from '../resources/index.js';
import type { ClusterSpec } from '../spec/types.js';
import { ARCHES } from '../resources/bundle-format.js';
import type { WantedPackage } from './resolve.js';

/** A freshly installed Debian host: nothing hactl manages is there, no time service runs. */
export function bareDebianFacts(hostname: string, address: string, arch: string): HostFacts {
  return {
    hostname,
    os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', family: 'debian', like: [] },
    arch: ARCHES[arch] ?? arch,
    kernel: '',
    cpus: 0,
    memoryBytes: 0,
    disks: [],
    swap: { activeBytes: 0, devices: [], fstabEntries: [] },
    interfaces: [{ name: 'eth0', addresses: [`${address}/32`], up: true }],
    sysctls: {},
    modules: {},
    packageManager: 'dpkg',
    packages: {},
    candidates: {},
    cgroupMode: 'v2',
    init: 'systemd',
    units: {},
    files: {},
    certificates: [],
    kubernetes: { present: false, confFiles: [], manifests: [], kubeletConfig: false, caPresent: false },
    timeSync: { service: 'none', source: 'none' },
    listeningPorts: [],
    processes: [],
    clockEpochSeconds: 0,
    missingTools: [],
  };
}

/** Every package any resource of the spec would install on a bare Debian host, with who wants it. */
export function wantedPackages(spec: ClusterSpec, localFiles: ReadonlyMap<string, string>, arch: string): WantedPackage[] {
  const graph = compile(spec);
  const placement = resolvePlacement(spec);
  const cluster = new Map(spec.hosts.map((h) => [h.name, bareDebianFacts(h.name, h.address, arch)]));
  const hosts = new Map(spec.hosts.map((h) => [h.name, h]));
  const scope: DeriveScope = { spec, placement, hosts, cluster, env: {}, localFiles };
  const out: WantedPackage[] = [];
  for (const id of graph.nodes().sort()) {
    const node = graph.node(id);
    const def = kindDef(node.kind);
    const host = hosts.get(node.host);
    if (def === undefined || def.readOnly || host === undefined) continue;
    for (const p of deriveDesired(def, scope, node, { facts: cluster.get(host.name)! }).packages)
      out.push({ name: p.name, ...(p.version !== undefined ? { version: p.version } : {}), wantedBy: id });
  }
  return out;
}
