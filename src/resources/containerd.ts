// containerd: the package (containerd on Debian/Ubuntu from the distro, containerd.io from
// Docker's repositories when that is what is installed, and always on Rocky/RHEL, which ship no
// containerd; held when the spec pins its version), /etc/containerd/config.toml generated in full, one hosts.toml per mirrored or
// private registry, the private registries' CA files, and the service enabled and running.
//
// config.toml is schema version 2 for containerd 1.x and version 3 for 2.x (docs/cri/config.md,
// PLUGINS.md: 2.x splits the CRI plugin into io.containerd.cri.v1.images, with
// pinned_images.sandbox and the registry's config_path, and io.containerd.cri.v1.runtime, with the
// runtimes), chosen from the observed containerd (chooseContainerdConfig) and shown in the plan.
// Both hold the sandbox (pause) image, runc with SystemdCgroup (kubelet's cgroup driver is
// systemd), and `config_path` pointing the CRI registry at /etc/containerd/certs.d, where each
// registry has a directory with its hosts.toml
// (https://github.com/containerd/containerd/blob/main/docs/hosts.md). containerd re-reads
// hosts.toml on every pull, so only config.toml changes restart it.

import { managedHeader } from './diff.js';
import type { ClusterSpec, PrivateRegistry } from '../spec/types.js';
import { packageManagerOf } from './converge.js';
import { emptyDesired, versionMatches, type Desired, type DesiredFile } from './desired.js';
import { attr } from './diff.js';
import { containerdMinorOf, kubernetesMinor } from '../spec/versions.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const CONFIG_TOML = '/etc/containerd/config.toml';
export const CERTS_D = '/etc/containerd/certs.d';

const toml = (s: string) => JSON.stringify(s); // TOML basic strings escape like JSON for our character set

export interface RegistryAuth {
  host: string;
  username: string;
  password: string;
}

/** Where config.toml holds a registry password: a TOML basic string, whatever it escapes. */
const PASSWORD_FIELD = { pattern: /^([ \t]*password[ \t]*=[ \t]*")(?:[^"\\\n]|\\.)*(?=")/gm };

/** containerd's config schema: 2 for containerd 1.x, 3 for 2.x (which also still reads 2). */
export type ContainerdConfigVersion = 2 | 3;

export function renderConfigToml(spec: ClusterSpec, auths: RegistryAuth[] = [], version: ContainerdConfigVersion = 2): string {
  // containerd 2.x split the CRI plugin: images (sandbox image, registry) and runtime (runc).
  const images = version === 3 ? "[plugins.'io.containerd.cri.v1.images'" : '[plugins."io.containerd.grpc.v1.cri"';
  const runtime = version === 3 ? "[plugins.'io.containerd.cri.v1.runtime'" : '[plugins."io.containerd.grpc.v1.cri"';
  const lines = [managedHeader(), `version = ${version}`, ''];
  if (version === 3) lines.push(`${images}.pinned_images]`, `  sandbox = ${toml(spec.containerd.sandboxImage)}`);
  else lines.push(`${images}]`, `  sandbox_image = ${toml(spec.containerd.sandboxImage)}`);
  lines.push(
    '',
    `${runtime}.containerd]`,
    '  default_runtime_name = "runc"',
    '',
    `${runtime}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    '',
    `${runtime}.containerd.runtimes.runc.options]`,
    `  SystemdCgroup = ${spec.containerd.systemdCgroup ? 'true' : 'false'}`,
    '',
    `${images}.registry]`,
    `  config_path = ${toml(CERTS_D)}`,
  );
  // Credentials still live in config.toml (hosts.toml has none); `configs.<host>.auth` works alongside config_path.
  for (const a of auths) {
    lines.push('', `${images}.registry.configs.${toml(a.host)}.auth]`, `  username = ${toml(a.username)}`, `  password = ${toml(a.password)}`);
  }
  return lines.join('\n') + '\n';
}

export interface ContainerdVersionChoice {
  /** The containerd version the config is written for; undefined when nothing told. */
  version?: string;
  /** Where the version came from. */
  source: 'installed' | 'spec pin' | 'package candidate' | 'unknown';
  config: ContainerdConfigVersion;
}

/**
 * The config schema for the containerd this host runs or is about to run: the installed version
 * (unless the spec pins another, which the package step installs), else the spec's pin, else the
 * version apt or dnf would install; unknown: version 2, which 1.x reads and 2.x still accepts.
 */
export function chooseContainerdConfig(ctx: Pick<ResourceContext, 'facts' | 'spec'>, pkg: string): ContainerdVersionChoice {
  const installed = ctx.facts.packages[pkg];
  const pin = ctx.spec.containerd.version;
  const pick = (version: string, source: ContainerdVersionChoice['source']): ContainerdVersionChoice => {
    const minor = containerdMinorOf(version);
    return { version, source, config: minor !== undefined && Number(minor.split('.')[0]) >= 2 ? 3 : 2 };
  };
  if (installed?.installed === true && (pin === undefined || versionMatches(installed.version, `${pin}*`))) return pick(installed.version, 'installed');
  if (pin !== undefined) return pick(pin, 'spec pin');
  const candidate = ctx.facts.candidates[pkg];
  if (candidate) return pick(candidate, 'package candidate');
  return { source: 'unknown', config: 2 };
}

export const registryDir = (registry: string) => `${CERTS_D}/${registry}`;
export const caPath = (registry: string) => `${registryDir(registry)}/ca.crt`;

/** The upstream a registry name stands for: docker.io's API lives at registry-1.docker.io. */
export function serverFor(registry: string): string {
  return registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`;
}

function hostOf(url: string): string {
  return new URL(url).host;
}

/**
 * hosts.toml for one registry: its mirrors first (pull and resolve only), then the registry
 * itself as `server`. An endpoint with a path of its own (Harbor's proxy-cache projects,
 * `https://harbor/v2/dockerhub`) needs override_path, or containerd would append /v2 again.
 */
export function renderHostsToml(registry: string, mirrors: string[], privates: PrivateRegistry[], caFor: (host: string) => string | undefined): string {
  const lines = [managedHeader(), `server = ${toml(serverFor(registry))}`];
  const tls = (host: string): string[] => {
    const p = privates.find((r) => r.host === host);
    const out: string[] = [];
    const ca = caFor(host);
    if (ca !== undefined) out.push(`  ca = ${toml(ca)}`);
    if (p?.insecureSkipVerify) out.push('  skip_verify = true');
    return out;
  };
  for (const m of mirrors) {
    const path = new URL(m).pathname.replace(/\/+$/, '');
    lines.push('', `[host.${toml(m)}]`, '  capabilities = ["pull", "resolve"]');
    if (path !== '') lines.push('  override_path = true');
    lines.push(...tls(hostOf(m)));
  }
  if (privates.some((r) => r.host === registry)) {
    lines.push('', `[host.${toml(serverFor(registry))}]`, '  capabilities = ["pull", "resolve", "push"]', ...tls(registry));
  }
  return lines.join('\n') + '\n';
}

/** The package name this host uses: keep Docker's containerd.io where it is what is installed. */
export function containerdPackage(ctx: Pick<ResourceContext, 'facts'>): string {
  if (packageManagerOf(ctx.facts) === 'dnf') return 'containerd.io';
  const io = ctx.facts.packages['containerd.io'];
  return io !== undefined && io.installed ? 'containerd.io' : 'containerd';
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const { spec } = ctx;
  const at = { resource: ctx.node.id, host: ctx.host.name };
  const cd = spec.containerd;
  const pkg = containerdPackage(ctx);
  // Debian's own containerd carries suffixes such as `1.6.20~ds1-1`: match the upstream version.
  // A pinned version is also held, so a routine upgrade does not move the runtime under the kubelet.
  if (cd.version !== undefined) {
    d.packages.push({ name: pkg, version: `${cd.version}*`, hold: true });
  } else {
    d.packages.push({ name: pkg });
  }

  const auths: RegistryAuth[] = [];
  for (const r of cd.privateRegistries) {
    if (r.usernameEnv === undefined && r.passwordEnv === undefined) continue;
    const username = r.usernameEnv !== undefined ? ctx.env[r.usernameEnv] : undefined;
    const password = r.passwordEnv !== undefined ? ctx.env[r.passwordEnv] : undefined;
    const missing = [r.usernameEnv, r.passwordEnv].filter((e, i) => e !== undefined && [username, password][i] === undefined);
    if (missing.length > 0 || username === undefined || password === undefined) {
      d.diagnostics.push({
        severity: 'error',
        ...at,
        message: `credentials for ${r.host}: environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ') || 'for the username and password'} not set`,
      });
      d.unknown.push(`registry.${r.host}.credentials`);
      continue;
    }
    auths.push({ host: r.host, username, password });
  }
  const choice = chooseContainerdConfig(ctx, pkg);
  const config: DesiredFile = { path: CONFIG_TOML, content: renderConfigToml(spec, auths, choice.config), mode: auths.length > 0 ? 0o600 : 0o644 };
  if (auths.length > 0) config.secretFields = [PASSWORD_FIELD];
  d.files.push(config);

  const cas = new Map<string, string>();
  for (const r of cd.privateRegistries) {
    if (r.caFile === undefined) continue;
    const content = ctx.localFiles.get(r.caFile);
    if (content === undefined) {
      d.diagnostics.push({ severity: 'error', ...at, message: `CA file ${r.caFile} for ${r.host} was not read` });
      continue;
    }
    cas.set(r.host, caPath(r.host));
    d.files.push({ path: caPath(r.host), content, mode: 0o644 });
  }
  for (const reg of registries(spec)) {
    const mirrors = cd.registryMirrors.filter((m) => m.registry === reg).flatMap((m) => m.endpoints);
    d.files.push({ path: `${registryDir(reg)}/hosts.toml`, content: renderHostsToml(reg, mirrors, cd.privateRegistries, (h) => cas.get(h)), mode: 0o644 });
  }
  d.units.push({ name: 'containerd', enabled: true, active: true, restartOn: [CONFIG_TOML], restartOnPackages: [pkg] });
  // The schema chosen, and from what, in the plan: it is the one thing here the host decides.
  const onDisk = ctx.facts.files[CONFIG_TOML];
  const written = onDisk?.exists && onDisk.content !== undefined ? /^version\s*=\s*(\d+)/m.exec(onDisk.content)?.[1] : undefined;
  const basis = `containerd ${choice.version ?? '(version unknown)'}, from the ${choice.source === 'unknown' ? 'default: 1.x reads it and 2.x still accepts it' : choice.source}`;
  d.actions = {
    attributes: [
      attr('containerd.configVersion', written !== undefined ? Number(written) : undefined, choice.config),
      attr('containerd.configVersionBasis', written !== undefined && Number(written) === choice.config ? basis : undefined, basis),
    ],
    operations: [],
  };
  const k8s = kubernetesMinor(spec.kubernetes.version);
  const cdMinor = choice.version !== undefined ? containerdMinorOf(choice.version) : undefined;
  if (k8s !== undefined && cdMinor !== undefined && !k8s.containerd.some((v) => containerdMinorOf(v) === cdMinor)) {
    d.diagnostics.push({
      severity: 'warning',
      ...at,
      message: `containerd ${choice.version} is not among the versions containerd recommends for Kubernetes ${k8s.minor} (${k8s.containerd.map((v) => `${v}+`).join(', ')}): it runs, but upstream tests these`,
    });
  }
  return d;
}

/** Registries with a hosts.toml: every mirrored one and every private one, in spec order. */
export function registries(spec: ClusterSpec): string[] {
  return [...new Set([...spec.containerd.registryMirrors.map((m) => m.registry), ...spec.containerd.privateRegistries.map((r) => r.host)])];
}

/**
 * Kubelet hosts, once the OS is prepared: containerd (which carries the registry mirrors and
 * private registry settings) before the Kubernetes packages, so images resolve through the right
 * registries from the start.
 */
function place(b: GraphBuilder): void {
  for (const h of b.placement.kubeNodes) b.needs(b.add('containerd', h.name), at('os-prep', h));
}

export const containerd: ResourceKindDef<'containerd'> = {
  kind: 'containerd',
  place,
  factRequest: (spec) => ({
    packages: ['containerd', 'containerd.io', 'runc'],
    candidates: ['containerd', 'containerd.io'],
    units: ['containerd'],
    files: [
      CONFIG_TOML,
      ...registries(spec).map((r) => `${registryDir(r)}/hosts.toml`),
      ...spec.containerd.privateRegistries.filter((r) => r.caFile !== undefined).map((r) => caPath(r.host)),
    ],
    sysctls: [],
  }),
  desired,
  pendingOnKinds: ['package-sources'],
  // The private registries' CA files.
  localFiles: (spec) => spec.containerd.privateRegistries.flatMap((r) => (r.caFile !== undefined ? [r.caFile] : [])),
};
