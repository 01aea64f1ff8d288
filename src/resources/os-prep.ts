// os-prep: what the kubelet and the proxies need from the OS.
// - swap off now (swapoff -a) and at boot (swap lines in /etc/fstab commented out, `#hactl# `);
// - br_netfilter and overlay loaded now and listed in /etc/modules-load.d; a module whose function
//   is present without it (built in, or provided by the host kernel of a container) counts as present;
// - sysctls in /etc/sysctl.d/99-kubernetes.conf, applied with `sysctl -p` when a value differs.
//   Only net.* keys are managed: they belong to the host's network namespace and are writable even
//   in a container, while kernel.*, vm.* and fs.* are machine-wide (read-only in a container).
//   So vm.swappiness and fs.inotify.* are not managed: swap is off anyway, and inotify limits are
//   the machine's business. Proxy hosts also get net.ipv4.ip_nonlocal_bind=1 (a proxy may bind
//   the VIP it does not hold yet);
// - the hostname (kernel and /etc/hostname) is the spec's host name;
// - /etc/hosts gets a marked block (`# BEGIN hactl` ... `# END hactl`) naming the host itself
//   (its address and name, when the address is an IP): kubeadm's preflight and the kubelet look up
//   the node's own name. Nothing in the cluster resolves another host's name: etcd peer and client
//   URLs, haproxy/nginx backends, keepalived peers and the kubelets' node IPs are addresses, and
//   kubeadm's apiserver reaches kubelets by InternalIP first (kubelet-preferred-address-types
//   InternalIP,ExternalIP,Hostname). The control-plane endpoint is the VIP or the user's DNS name,
//   which hactl cannot know the address of. So adding or removing a host changes no other host's
//   file. An older block listing every cluster host is rewritten to this form once, visibly in the
//   plan. The rest of the file is kept as observed. A damaged block (a marker lost, duplicated or
//   retyped) is repaired in place, never losing a line outside it (managed-block.ts); a directory
//   or a link in its place stops the plan with what to do;
// - time sync: when no time service runs and the clock is not known to be in sync, chrony is
//   installed, enabled and started — unless the host cannot set its clock (no CAP_SYS_TIME: a
//   container whose clock is the machine's), where a time daemon could never run and time sync is
//   the machine's business.

import { isIP } from 'node:net';
import { HACTL_FILES } from '../facts/default-request.js';
import { managedHeader } from './diff.js';
import type { FileFacts } from '../facts/types.js';
import type { Host } from '../spec/types.js';
import { packageManagerOf } from './converge.js';
import { emptyDesired, type Desired, type DesiredSysctl } from './desired.js';
import { holdsMarker, mergeManagedBlock, type MergedBlock } from './managed-block.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const MODULES = ['overlay', 'br_netfilter'];
export const HOSTS_BEGIN = '# BEGIN hactl';
export const HOSTS_END = '# END hactl';
const HOSTS_MARKERS = { begin: HOSTS_BEGIN, end: HOSTS_END };
const FSTAB_MARK = '#hactl# ';

export function sysctlsFor(ctx: Pick<ResourceContext, 'placement' | 'host'>): DesiredSysctl[] {
  const s: DesiredSysctl[] = [
    { key: 'net.ipv4.ip_forward', value: '1' },
    { key: 'net.bridge.bridge-nf-call-iptables', value: '1' },
    { key: 'net.bridge.bridge-nf-call-ip6tables', value: '1' },
  ];
  if (ctx.placement.proxyHosts.some((h) => h.name === ctx.host.name)) s.push({ key: 'net.ipv4.ip_nonlocal_bind', value: '1' });
  return s;
}

export function renderSysctlConf(sysctls: DesiredSysctl[]): string {
  return [managedHeader(), ...sysctls.map((s) => `${s.key} = ${s.value}`)].join('\n') + '\n';
}

/** The hosts block of one host: its own address and name when the address is an IP (else empty). */
export function hostsBlock(host: Pick<Host, 'address' | 'name'>): string[] {
  const lines = isIP(host.address) !== 0 ? [`${host.address} ${host.name}`] : [];
  return [HOSTS_BEGIN, ...lines, HOSTS_END];
}

/** /etc/hosts with hactl's block repaired and replaced (or appended); every other line as observed. */
export function mergeHostsBlock(observed: string | null, block: string[]): MergedBlock {
  return mergeManagedBlock('/etc/hosts', observed, HOSTS_MARKERS, block.slice(1, -1), ['127.0.0.1 localhost']);
}

export function mergeHosts(observed: string | null, block: string[]): string {
  return mergeHostsBlock(observed, block).content;
}

/** /etc/fstab with every active swap line commented out; nothing else touched. */
export function commentOutSwap(fstab: string): string {
  const lines = fstab.split('\n').map((l) => {
    const t = l.trim();
    if (t === '' || t.startsWith('#')) return l;
    return t.split(/\s+/)[2] === 'swap' ? FSTAB_MARK + l : l;
  });
  return lines.join('\n');
}

/** Why /etc/hosts cannot get its block, and what a person does about it. */
function unreadableHosts(f: FileFacts): string {
  if (f.type === 'directory')
    return '/etc/hosts is a directory: hactl merges its block only into a regular file; move the directory away (mv /etc/hosts /etc/hosts.dir), then apply again';
  if (f.type === 'symlink') {
    return `/etc/hosts is a symbolic link${f.linkTarget ? ` to ${f.linkTarget}` : ''}: hactl merges its block only into a regular file and will not write through the link; replace the link by a copy of its target (cp --remove-destination -- "$(readlink -f /etc/hosts)" /etc/hosts), then apply again`;
  }
  if (f.type === 'other') return '/etc/hosts is not a regular file (a device, socket or pipe): replace it by a regular file, then apply again';
  return '/etc/hosts exists but could not be read (over 64 KiB or unreadable): hactl will not rewrite it; shorten it or make it readable, then apply again';
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const { facts, host } = ctx;
  const at = { resource: ctx.node.id, host: host.name };

  d.swapOff = true;
  const fstab = facts.files['/etc/fstab'];
  if (fstab?.exists) {
    if (fstab.content === undefined) {
      if (facts.swap.fstabEntries.length > 0)
        d.diagnostics.push({ severity: 'error', ...at, message: '/etc/fstab has swap entries but could not be read whole: comment them out by hand' });
    } else {
      d.files.push({ path: '/etc/fstab', content: commentOutSwap(fstab.content), mode: fstab.mode ?? 0o644, normalize: { dropManagedHeader: false } });
    }
  }

  d.modules = [...MODULES];
  // Line order means nothing in modules-load.d and in a sysctl.d file with distinct keys.
  d.files.push({ path: HACTL_FILES.modulesLoad, content: [managedHeader(), ...MODULES].join('\n') + '\n', mode: 0o644, normalize: { sortAll: true } });

  d.sysctls = sysctlsFor(ctx);
  d.sysctlFile = HACTL_FILES.sysctl;
  d.files.push({ path: HACTL_FILES.sysctl, content: renderSysctlConf(d.sysctls), mode: 0o644, normalize: { sortAll: true } });

  d.hostname = host.name;
  d.files.push({ path: '/etc/hostname', content: `${host.name}\n`, mode: 0o644 });

  const hosts = facts.files['/etc/hosts'];
  if (hosts?.exists && hosts.content === undefined) {
    d.diagnostics.push({ severity: 'error', ...at, message: unreadableHosts(hosts) });
  } else {
    const merged = mergeHostsBlock(hosts?.exists ? hosts.content! : null, hostsBlock(host));
    for (const damage of merged.damage) d.diagnostics.push({ severity: 'warning', ...at, message: `${damage}; apply repairs it (see the diff)` });
    d.files.push({
      path: '/etc/hosts',
      content: merged.content,
      mode: hosts?.mode ?? 0o644,
      normalize: { dropManagedHeader: false },
    });
  }

  // A host holding none of what os-prep writes (its own files, a hactl block) is being prepared
  // for the first time: the resource is created, as a new host's other resources are.
  const hostsHasBlock = hosts?.content !== undefined && holdsMarker(hosts.content, HOSTS_MARKERS);
  if (!hostsHasBlock && !facts.files[HACTL_FILES.sysctl]?.exists && !facts.files[HACTL_FILES.modulesLoad]?.exists) {
    d.actions = { attributes: [], operations: [], creates: true };
  }

  const ts = facts.timeSync;
  if (ts.service === 'none' && ts.synchronized !== true && facts.canSetClock === false) {
    d.diagnostics.push({
      severity: 'info',
      ...at,
      message:
        'no time service runs, and this host cannot set its clock (no CAP_SYS_TIME): its clock is kept by the machine it runs on, so hactl does not install chrony here',
    });
  } else if (ts.service === 'none' && ts.synchronized !== true) {
    const pm = packageManagerOf(facts);
    d.packages.push({ name: 'chrony' });
    d.units.push({ name: pm === 'dnf' ? 'chronyd' : 'chrony', enabled: true, active: true });
  }
  return d;
}

/** Every host: OS preparation (swap, modules, sysctl) once its package sources are set. */
function place(b: GraphBuilder): void {
  for (const h of b.spec.hosts) b.needs(b.add('os-prep', h.name), at('package-sources', h));
}

export const osPrep: ResourceKindDef<'os-prep'> = {
  kind: 'os-prep',
  place,
  factRequest: () => ({
    packages: ['chrony'],
    units: ['chrony', 'chronyd'],
    files: ['/etc/fstab', '/etc/hosts', '/etc/hostname', HACTL_FILES.sysctl, HACTL_FILES.modulesLoad],
    sysctls: ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables', 'net.ipv4.ip_nonlocal_bind'],
    modules: [...MODULES],
  }),
  desired,
  pendingOnKinds: ['package-sources'],
};
