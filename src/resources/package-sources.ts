// package-sources: the spec's apt or dnf mirrors for OS and Kubernetes packages. The family comes
// from the observed os-release, never from the spec: one spec can hold Debian and Rocky hosts.
//
// apt: /etc/apt/sources.list.d/hactl-{os,kubernetes}.list, one-line format, each source either
//   `[trusted=yes]` or `[signed-by=/etc/apt/keyrings/hactl-<set>-<n>.asc]` (the spec's key file,
//   ASCII-armored: apt tells the format by the .asc suffix). With `replaceDefaults`, the distro's
//   own lists (/etc/apt/sources.list, sources.list.d/debian.sources, ubuntu.sources) are moved to
//   `<file>.hactl-disabled`: kept for the way back, ignored by apt (wrong suffix). Then
//   `apt-get update`.
// dnf: /etc/yum.repos.d/hactl-{os,kubernetes}.repo, repo ids prefixed `hactl-` so they never
//   clash with the distro's ids; keys in /etc/pki/rpm-gpg/hactl-<set>-<n>.asc. With
//   `replaceDefaults`, the distro's .repo files (rocky*.repo, redhat.repo) are moved aside the
//   same way. Then `dnf makecache`.
// bundle (`packages.bundle`, apt only): /etc/apt/sources.list.d/hactl-bundle.list serves the
//   bundle package-bundle uploaded as a local flat repository; with `replaceDefaults` it may be the
//   only source. The list names the bundle's bundle.json sha256 in a comment, so a new bundle
//   changes the file and apt-get update runs again.
// Versions are held by the kinds that install packages (kube-packages, containerd); on dnf the
// versionlock plugin they need is installed here, after the repositories.

import { APT_DIR, REMOTE_BUNDLE_DIR } from '../bundle/format.js';
import { HACTL_FILES } from '../facts/default-request.js';
import { managedHeader, sha256, type Diagnostic } from '../plan/model.js';
import type { AptSource, ClusterSpec, DnfSource } from '../spec/types.js';
import { APT_UPDATE, packageManagerOf } from './converge.js';
import { emptyDesired, type Desired, type DesiredFile } from './desired.js';
import { localBundleJson } from './package-bundle.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';

export const VERSIONLOCK_PLUGIN = 'python3-dnf-plugin-versionlock';

export const APT_BUNDLE_LIST = '/etc/apt/sources.list.d/hactl-bundle.list';

/**
 * The uploaded bundle as an apt source. trusted=yes is safe here: hactl checked every file's
 * sha256 against bundle.json before uploading it and again on the host (sha256sum -c), and apt
 * checks each .deb against the sha256 in the bundle's Packages.
 */
export function renderBundleList(bundleJsonSha256: string): string {
  return [managedHeader(), `# the packages of the cluster's bundle (bundle.json sha256 ${bundleJsonSha256})`, `deb [trusted=yes] file:${REMOTE_BUNDLE_DIR}/${APT_DIR} ./`, ''].join('\n');
}

export const APT_DISTRO_SOURCES = ['/etc/apt/sources.list', '/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list.d/ubuntu.sources'];
export const DNF_DISTRO_REPOS = [
  '/etc/yum.repos.d/rocky.repo',
  '/etc/yum.repos.d/rocky-addons.repo',
  '/etc/yum.repos.d/rocky-devel.repo',
  '/etc/yum.repos.d/rocky-extras.repo',
  '/etc/yum.repos.d/redhat.repo',
];

type SourceSet = 'os' | 'kubernetes';
const SETS: SourceSet[] = ['os', 'kubernetes'];

export const aptKeyPath = (set: SourceSet, i: number) => `/etc/apt/keyrings/hactl-${set}-${i}.asc`;
export const dnfKeyPath = (set: SourceSet, i: number) => `/etc/pki/rpm-gpg/hactl-${set}-${i}.asc`;

const ARMORED = /^\s*-----BEGIN PGP PUBLIC KEY BLOCK-----/;

/** One-line apt format. Suite and components are schema-checked; the URI is a schema URL. */
export function renderAptList(set: SourceSet, sources: AptSource[]): string {
  const lines = [managedHeader(), `# ${set === 'os' ? 'OS' : 'Kubernetes'} packages, from the cluster spec`];
  sources.forEach((s, i) => {
    const opt = s.trusted ? '[trusted=yes]' : s.keyFile !== undefined ? `[signed-by=${aptKeyPath(set, i)}]` : '';
    // A flat repository (suite ending in /, as pkgs.k8s.io's `/`) takes no components.
    const comps = s.suite.endsWith('/') ? [] : s.components;
    lines.push(['deb', opt, s.uri, s.suite, ...comps].filter((x) => x !== '').join(' '));
  });
  return lines.join('\n') + '\n';
}

export function renderDnfRepo(set: SourceSet, sources: DnfSource[]): string {
  const blocks: string[] = [];
  sources.forEach((s, i) => {
    const lines = [`[hactl-${s.name}]`, `name=${s.name} (hactl, ${set} packages)`, `baseurl=${s.baseurl}`, 'enabled=1', `gpgcheck=${s.gpgcheck ? 1 : 0}`];
    if (s.gpgkeyFile !== undefined) lines.push(`gpgkey=file://${dnfKeyPath(set, i)}`);
    blocks.push(lines.join('\n'));
  });
  return `${managedHeader()}\n${blocks.join('\n\n')}\n`;
}

function keyFiles(ctx: ResourceContext, files: { set: SourceSet; i: number; local: string | undefined; remote: string }[], diags: Diagnostic[]): DesiredFile[] {
  const out: DesiredFile[] = [];
  for (const k of files) {
    if (k.local === undefined) continue;
    const content = ctx.localFiles.get(k.local);
    const at = { resource: ctx.node.id, host: ctx.host.name };
    if (content === undefined) {
      diags.push({ severity: 'error', ...at, message: `signing key ${k.local} was not read (packages.${k.set}[${k.i}])` });
    } else if (!ARMORED.test(content)) {
      diags.push({ severity: 'error', ...at, message: `signing key ${k.local} is not an ASCII-armored public key (gpg --armor --export)` });
    } else {
      out.push({ path: k.remote, content, mode: 0o644 });
    }
  }
  return out;
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const pm = packageManagerOf(ctx.facts);
  const { packages } = ctx.spec;
  const at = { resource: ctx.node.id, host: ctx.host.name };
  if (pm === undefined) {
    d.diagnostics.push({ severity: 'error', ...at, message: `cannot tell apt from dnf on ${ctx.facts.os.prettyName || 'this host'}` });
    return d;
  }
  const sets = pm === 'apt' ? packages.apt : packages.dnf;
  // The bundle's own checks (package-bundle) report a missing or unreadable bundle.json.
  const bundleJson = packages.bundle !== undefined ? ctx.localFiles.get(localBundleJson(packages.bundle)) : undefined;
  const bundled = pm === 'apt' && bundleJson !== undefined;
  if (pm === 'apt') d.files.push({ path: APT_BUNDLE_LIST, content: bundled ? renderBundleList(sha256(bundleJson!)) : null, mode: 0o644 });
  const managed: string[] = [];
  for (const set of SETS) {
    const list = sets[set];
    const path = pm === 'apt' ? (set === 'os' ? HACTL_FILES.aptOs : HACTL_FILES.aptKubernetes) : set === 'os' ? HACTL_FILES.dnfOs : HACTL_FILES.dnfKubernetes;
    managed.push(path);
    // No sources of a set: hactl's file for it must not exist (it may be left from an older spec).
    if (pm === 'apt') {
      const srcs = list as AptSource[];
      d.files.push({ path, content: srcs.length > 0 ? renderAptList(set, srcs) : null, mode: 0o644 });
      d.files.push(...keyFiles(ctx, srcs.map((s, i) => ({ set, i, local: s.trusted ? undefined : s.keyFile, remote: aptKeyPath(set, i) })), d.diagnostics));
    } else {
      const srcs = list as DnfSource[];
      d.files.push({ path, content: srcs.length > 0 ? renderDnfRepo(set, srcs) : null, mode: 0o644 });
      d.files.push(...keyFiles(ctx, srcs.map((s, i) => ({ set, i, local: s.gpgkeyFile, remote: dnfKeyPath(set, i) })), d.diagnostics));
    }
    if (pm === 'apt') {
      (list as AptSource[]).forEach((s, i) => {
        if (!s.trusted && s.keyFile === undefined) {
          d.diagnostics.push({ severity: 'warning', ...at, message: `packages.apt.${set}[${i}] (${s.uri}) has neither keyFile nor trusted: apt will refuse it unless its key is already installed` });
        }
      });
    }
  }
  if (packages.replaceDefaults) {
    if (sets.os.length === 0 && !bundled) {
      d.diagnostics.push({ severity: 'error', ...at, message: `packages.replaceDefaults is set but packages.${pm}.os is empty: the host would have no OS packages` });
    } else {
      for (const p of pm === 'apt' ? APT_DISTRO_SOURCES : DNF_DISTRO_REPOS) d.files.push({ path: p, content: null, mode: 0o644 });
    }
  }
  if (sets.kubernetes.length === 0 && !bundled) {
    d.diagnostics.push({
      severity: 'warning',
      ...at,
      message: `no packages.${pm}.kubernetes sources: kubeadm, kubelet and kubectl must come from a source already configured on the host`,
    });
  }
  // Holding versions on dnf needs the versionlock plugin; it comes from the OS repositories just
  // configured, so it is installed after them (and before anything that holds a version).
  if (pm === 'dnf') {
    d.packages.push({ name: VERSIONLOCK_PLUGIN });
    d.packagesAfterFiles = true;
  }
  const every = d.files.map((f) => f.path);
  d.triggers.push(
    pm === 'apt'
      ? { paths: every, description: 'refresh the package lists (apt-get update)', command: APT_UPDATE }
      : { paths: every, description: 'refresh the repository metadata (dnf makecache)', command: 'dnf -y -q makecache' },
  );
  return d;
}

function factRequest(spec: ClusterSpec) {
  const keys = SETS.flatMap((set) => [
    ...spec.packages.apt[set].map((_, i) => aptKeyPath(set, i)),
    ...spec.packages.dnf[set].map((_, i) => dnfKeyPath(set, i)),
  ]);
  return {
    packages: [VERSIONLOCK_PLUGIN],
    units: [],
    files: [APT_BUNDLE_LIST, HACTL_FILES.aptOs, HACTL_FILES.aptKubernetes, HACTL_FILES.dnfOs, HACTL_FILES.dnfKubernetes, ...APT_DISTRO_SOURCES, ...DNF_DISTRO_REPOS, ...keys],
    sysctls: [],
  };
}

export const packageSources: ResourceKindDef = { kind: 'package-sources', factRequest, desired };
