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
// kubernetesRepository (the default when the spec lists no kubernetes sources for the host's
//   package manager and serves no bundle): pkgs.k8s.io-style repositories, one per minor. The
//   host's list/repo names the minor of the spec's version, so raising the minor rewrites it here,
//   before that host's packages change (kube-packages and the upgrade kinds come after this kind).
//   apt: `deb [signed-by=<key>] <baseUrl>core:/stable:/v1.NN/deb/ /`; dnf: baseurl
//   `<baseUrl>core:/stable:/v1.NN/rpm/` with gpgcheck. The key is the spec's keyFile; without one
//   (an https baseUrl only: validate refuses others) apt's key is fetched by the host over HTTPS
//   from the repository's Release.key whenever the list changes, and dnf is pointed at the
//   repository's repomd.xml.key, as upstream's install guide does.
// bundle (`packages.bundle`, apt only): /etc/apt/sources.list.d/hactl-bundle.list serves the
//   bundle package-bundle uploaded as a local flat repository; with `replaceDefaults` it may be the
//   only source. The list names the bundle's bundle.json sha256 in a comment, so a new bundle
//   changes the file and apt-get update runs again.
// Versions are held by the kinds that install packages (kube-packages, containerd); on dnf the
// versionlock plugin they need is installed here, after the repositories.

import { APT_DIR, REMOTE_BUNDLE_DIR } from './bundle-format.js';
import { HACTL_FILES } from '../facts/default-request.js';
import { managedHeader, sha256, type Diagnostic } from './diff.js';
import type { AptSource, ClusterSpec, DnfSource } from '../spec/types.js';
import { minorOf } from '../spec/versions.js';
import { shellQuote } from '../transport/quote.js';
import { APT_UPDATE, packageManagerOf } from './converge.js';
import { emptyDesired, type Desired, type DesiredFile } from './desired.js';
import { localBundleJson } from './package-bundle.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const VERSIONLOCK_PLUGIN = 'python3-dnf-plugin-versionlock';

export const APT_BUNDLE_LIST = '/etc/apt/sources.list.d/hactl-bundle.list';

/**
 * The uploaded bundle as an apt source. trusted=yes is safe here: hactl checked every file's
 * sha256 against bundle.json before uploading it and again on the host (sha256sum -c), and apt
 * checks each .deb against the sha256 in the bundle's Packages.
 */
export function renderBundleList(bundleJsonSha256: string): string {
  return [
    managedHeader(),
    `# the packages of the cluster's bundle (bundle.json sha256 ${bundleJsonSha256})`,
    `deb [trusted=yes] file:${REMOTE_BUNDLE_DIR}/${APT_DIR} ./`,
    '',
  ].join('\n');
}

/**
 * The list upstream's install guide (and so most hand-built clusters) writes for pkgs.k8s.io. It
 * names the repository hactl's list names, with another signed-by key, and apt refuses two such
 * lists: where hactl's per-minor list is used, that one is moved aside like the distro's.
 */
export const APT_UPSTREAM_KUBERNETES_LIST = '/etc/apt/sources.list.d/kubernetes.list';

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

/** The signing key of the per-minor Kubernetes repositories on the host. */
export const APT_REPOSITORY_KEY = '/etc/apt/keyrings/hactl-kubernetes-repository.asc';
export const DNF_REPOSITORY_KEY = '/etc/pki/rpm-gpg/hactl-kubernetes-repository.asc';

/** `<baseUrl>core:/stable:/v1.NN/deb/` (or `rpm/`) for the minor of `version`. */
export function kubernetesRepositoryUrl(baseUrl: string, version: string, format: 'deb' | 'rpm'): string {
  return `${baseUrl}core:/stable:/v${minorOf(version)}/${format}/`;
}

/** Does this spec take its Kubernetes packages from the per-minor repositories on a host with `pm`? */
export function usesKubernetesRepository(spec: ClusterSpec, pm: 'apt' | 'dnf'): boolean {
  const explicit = pm === 'apt' ? spec.packages.apt.kubernetes : spec.packages.dnf.kubernetes;
  return explicit.length === 0 && !(pm === 'apt' && spec.packages.bundle !== undefined);
}

export function renderKubernetesRepositoryList(spec: ClusterSpec): string {
  const url = kubernetesRepositoryUrl(spec.packages.kubernetesRepository.baseUrl, spec.kubernetes.version, 'deb');
  return [
    managedHeader(),
    `# Kubernetes ${minorOf(spec.kubernetes.version)} packages (packages.kubernetesRepository)`,
    `deb [signed-by=${APT_REPOSITORY_KEY}] ${url} /`,
    '',
  ].join('\n');
}

export function renderKubernetesRepositoryRepo(spec: ClusterSpec): string {
  const repo = spec.packages.kubernetesRepository;
  const url = kubernetesRepositoryUrl(repo.baseUrl, spec.kubernetes.version, 'rpm');
  const key = repo.keyFile !== undefined ? `file://${DNF_REPOSITORY_KEY}` : `${url}repodata/repomd.xml.key`;
  return [
    managedHeader(),
    '[hactl-kubernetes]',
    `name=Kubernetes ${minorOf(spec.kubernetes.version)} (hactl, kubernetes packages)`,
    `baseurl=${url}`,
    'enabled=1',
    'gpgcheck=1',
    `gpgkey=${key}`,
    '',
  ].join('\n');
}

/** Fetches the apt repository's Release.key over HTTPS (redirects included) into APT_REPOSITORY_KEY. */
export function fetchRepositoryKeyCommand(spec: ClusterSpec): string {
  const url = `${kubernetesRepositoryUrl(spec.packages.kubernetesRepository.baseUrl, spec.kubernetes.version, 'deb')}Release.key`;
  const tmp = `${APT_REPOSITORY_KEY}.hactl-new`;
  return (
    [
      `install -d -m 0755 -- /etc/apt/keyrings`,
      `curl -fsSL --proto '=https' --proto-redir '=https' -o ${shellQuote(tmp)} -- ${shellQuote(url)}`,
      `grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' ${shellQuote(tmp)}`,
      `chmod 0644 -- ${shellQuote(tmp)}`,
      `mv -f -- ${shellQuote(tmp)} ${shellQuote(APT_REPOSITORY_KEY)}`,
    ].join(' && ') + ` || { rm -f -- ${shellQuote(tmp)}; echo ${shellQuote(`hactl: could not fetch the signing key ${url}`)} >&2; exit 1; }`
  );
}

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

function keyFiles(
  ctx: ResourceContext,
  files: { set: SourceSet | 'kubernetesRepository'; i?: number; local: string | undefined; remote: string }[],
  diags: Diagnostic[],
): DesiredFile[] {
  const out: DesiredFile[] = [];
  for (const k of files) {
    if (k.local === undefined) continue;
    const content = ctx.localFiles.get(k.local);
    const at = { resource: ctx.node.id, host: ctx.host.name };
    if (content === undefined) {
      diags.push({
        severity: 'error',
        ...at,
        message: `signing key ${k.local} was not read (packages.${k.set}${k.i !== undefined ? `[${k.i}]` : '.keyFile'})`,
      });
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
  if (pm === 'apt') d.files.push({ path: APT_BUNDLE_LIST, content: bundled ? renderBundleList(sha256(bundleJson)) : null, mode: 0o644 });
  const managed: string[] = [];
  const repository = usesKubernetesRepository(ctx.spec, pm);
  const fetchKey: string[] = [];
  for (const set of SETS) {
    const list = sets[set];
    if (set === 'kubernetes' && repository) {
      const key = packages.kubernetesRepository.keyFile;
      if (pm === 'apt') {
        d.files.push({ path: HACTL_FILES.aptKubernetes, content: renderKubernetesRepositoryList(ctx.spec), mode: 0o644 });
        d.files.push({ path: APT_UPSTREAM_KUBERNETES_LIST, content: null, mode: 0o644 });
        if (key !== undefined) d.files.push(...keyFiles(ctx, [{ set: 'kubernetesRepository', local: key, remote: APT_REPOSITORY_KEY }], d.diagnostics));
        else fetchKey.push(HACTL_FILES.aptKubernetes);
      } else {
        d.files.push({ path: HACTL_FILES.dnfKubernetes, content: renderKubernetesRepositoryRepo(ctx.spec), mode: 0o644 });
        if (key !== undefined) d.files.push(...keyFiles(ctx, [{ set: 'kubernetesRepository', local: key, remote: DNF_REPOSITORY_KEY }], d.diagnostics));
      }
      if (key === undefined) {
        d.diagnostics.push({
          severity: 'info',
          ...at,
          message:
            pm === 'apt'
              ? `no packages.kubernetesRepository.keyFile: ${ctx.host.name} fetches the repository's signing key (Release.key) over HTTPS when its Kubernetes source changes; name the key in keyFile to pin it`
              : `no packages.kubernetesRepository.keyFile: dnf on ${ctx.host.name} takes the repository's signing key (repomd.xml.key) over HTTPS; name the key in keyFile to pin it`,
        });
      }
      continue;
    }
    const path = pm === 'apt' ? (set === 'os' ? HACTL_FILES.aptOs : HACTL_FILES.aptKubernetes) : set === 'os' ? HACTL_FILES.dnfOs : HACTL_FILES.dnfKubernetes;
    managed.push(path);
    // No sources of a set: hactl's file for it must not exist (it may be left from an older spec).
    if (pm === 'apt') {
      const srcs = list as AptSource[];
      d.files.push({ path, content: srcs.length > 0 ? renderAptList(set, srcs) : null, mode: 0o644 });
      d.files.push(
        ...keyFiles(
          ctx,
          srcs.map((s, i) => ({ set, i, local: s.trusted ? undefined : s.keyFile, remote: aptKeyPath(set, i) })),
          d.diagnostics,
        ),
      );
    } else {
      const srcs = list as DnfSource[];
      d.files.push({ path, content: srcs.length > 0 ? renderDnfRepo(set, srcs) : null, mode: 0o644 });
      d.files.push(
        ...keyFiles(
          ctx,
          srcs.map((s, i) => ({ set, i, local: s.gpgkeyFile, remote: dnfKeyPath(set, i) })),
          d.diagnostics,
        ),
      );
    }
    if (pm === 'apt') {
      (list as AptSource[]).forEach((s, i) => {
        if (!s.trusted && s.keyFile === undefined) {
          d.diagnostics.push({
            severity: 'warning',
            ...at,
            message: `packages.apt.${set}[${i}] (${s.uri}) has neither keyFile nor trusted: apt will refuse it unless its key is already installed`,
          });
        }
      });
    }
  }
  if (packages.replaceDefaults) {
    if (sets.os.length === 0 && !bundled) {
      d.diagnostics.push({
        severity: 'error',
        ...at,
        message: `packages.replaceDefaults is set but packages.${pm}.os is empty: the host would have no OS packages`,
      });
    } else {
      for (const p of pm === 'apt' ? APT_DISTRO_SOURCES : DNF_DISTRO_REPOS) d.files.push({ path: p, content: null, mode: 0o644 });
    }
  }
  if (sets.kubernetes.length === 0 && !bundled && !repository) {
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
  if (fetchKey.length > 0) {
    // Installed from the sources the host already has, before the files and their triggers.
    d.packages.push({ name: 'curl' }, { name: 'ca-certificates' });
    const url = `${kubernetesRepositoryUrl(packages.kubernetesRepository.baseUrl, ctx.spec.kubernetes.version, 'deb')}Release.key`;
    d.triggers.push({
      paths: fetchKey,
      description: `fetch the Kubernetes repository's signing key ${url} over HTTPS into ${APT_REPOSITORY_KEY}`,
      command: fetchRepositoryKeyCommand(ctx.spec),
    });
  }
  d.triggers.push(
    pm === 'apt'
      ? { paths: every, description: 'refresh the package lists (apt-get update)', command: APT_UPDATE }
      : { paths: every, description: 'refresh the repository metadata (dnf makecache)', command: 'dnf -y -q makecache' },
  );
  // A host holding none of hactl's source files is getting its sources for the first time: the
  // resource is created, as a new host's other resources are (moving the distro's defaults aside
  // is part of that).
  const ours = [APT_BUNDLE_LIST, HACTL_FILES.aptOs, HACTL_FILES.aptKubernetes, HACTL_FILES.dnfOs, HACTL_FILES.dnfKubernetes];
  if (d.files.some((f) => f.content !== null) && ours.every((p) => ctx.facts.files[p]?.exists !== true)) {
    d.actions = { attributes: [], operations: [], creates: true };
  }
  return d;
}

function factRequest(spec: ClusterSpec) {
  const keys = SETS.flatMap((set) => [
    ...spec.packages.apt[set].map((_, i) => aptKeyPath(set, i)),
    ...spec.packages.dnf[set].map((_, i) => dnfKeyPath(set, i)),
  ]);
  return {
    packages: [VERSIONLOCK_PLUGIN, 'curl', 'ca-certificates'],
    units: [],
    files: [
      APT_BUNDLE_LIST,
      HACTL_FILES.aptOs,
      HACTL_FILES.aptKubernetes,
      HACTL_FILES.dnfOs,
      HACTL_FILES.dnfKubernetes,
      ...APT_DISTRO_SOURCES,
      APT_UPSTREAM_KUBERNETES_LIST,
      ...DNF_DISTRO_REPOS,
      ...keys,
      ...(spec.packages.kubernetesRepository.keyFile !== undefined ? [APT_REPOSITORY_KEY, DNF_REPOSITORY_KEY] : []),
    ],
    sysctls: [],
  };
}

/** The signing keys the spec names, which package-sources writes to the hosts. */
function signingKeys(spec: ClusterSpec): string[] {
  const out: string[] = [];
  for (const set of ['os', 'kubernetes'] as const) {
    for (const s of spec.packages.apt[set]) if (s.keyFile !== undefined && !s.trusted) out.push(s.keyFile);
    for (const s of spec.packages.dnf[set]) if (s.gpgkeyFile !== undefined) out.push(s.gpgkeyFile);
  }
  const repoKey = spec.packages.kubernetesRepository.keyFile;
  if (repoKey !== undefined) out.push(repoKey);
  return out;
}

/** Every host: package sources after the bundle (with packages.bundle) or the preflight checks. */
function place(b: GraphBuilder): void {
  for (const h of b.spec.hosts) {
    b.needs(b.add('package-sources', h.name), at(b.has(at('package-bundle', h)) ? 'package-bundle' : 'preflight', h));
  }
}

export const packageSources: ResourceKindDef<'package-sources'> = { kind: 'package-sources', place, factRequest, desired, localFiles: signingKeys };
