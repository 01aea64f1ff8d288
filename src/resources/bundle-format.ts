// A bundle's layout and its bundle.json: what `hactl bundle` writes and what apply checks and
// uploads. The directory holds
//   apt/        the .debs with Packages, Packages.gz and Release (a flat apt repository)
//   manifests/  the CNI manifest
//   images.txt  the images the cluster pulls, for the registry
//   SHA256SUMS  every file above with its sha256 (sha256sum -c reads it on the hosts)
//   bundle.json format version, cluster, Kubernetes version, architecture, creation time, and every
//               file above with its size and sha256; written last, so a bundle without it is unfinished.

import type { ClusterSpec } from '../spec/types.js';

export const BUNDLE_FORMAT_VERSION = 1;
export const BUNDLE_JSON = 'bundle.json';
export const SHA256SUMS = 'SHA256SUMS';
export const IMAGES_TXT = 'images.txt';
export const APT_DIR = 'apt';

/** Where apply puts the bundle on each host; apt reads `${REMOTE_BUNDLE_DIR}/apt`. */
export const REMOTE_BUNDLE_DIR = '/var/lib/hactl/bundle';

/** Debian architecture names and the kernel's (uname -m) for them. */
export const ARCHES: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64' };

export interface BundleFile {
  /** Relative to the bundle directory, `/`-separated. */
  path: string;
  size: number;
  sha256: string;
}

export interface BundleManifest {
  formatVersion: number;
  cluster: string;
  kubernetesVersion: string;
  arch: string;
  created: string;
  packages: { name: string; version: string }[];
  files: BundleFile[];
}

/**
 * Paths a bundle may hold: they reach remote commands and SFTP paths, so only plain names in the
 * bundle's own directories (the .deb names are made from package names and versions, which
 * never need more than these characters).
 */
export const BUNDLE_PATH = /^(?:(?:apt|manifests)\/[A-Za-z0-9][A-Za-z0-9._+~-]{0,200}|images\.txt|SHA256SUMS)$/;

export function renderBundleManifest(m: BundleManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** bundle.json read back, checked field by field; an error says what is wrong. */
export function parseBundleManifest(text: string): { manifest: BundleManifest } | { error: string } {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
  const m = o as Partial<BundleManifest> | null;
  if (m === null || typeof m !== 'object') return { error: 'not an object' };
  if (m.formatVersion !== BUNDLE_FORMAT_VERSION) return { error: `format version ${String(m.formatVersion)}, this hactl reads ${BUNDLE_FORMAT_VERSION}` };
  for (const k of ['cluster', 'kubernetesVersion', 'arch', 'created'] as const) {
    if (typeof m[k] !== 'string') return { error: `${k} is missing` };
  }
  if (!Array.isArray(m.files) || !Array.isArray(m.packages)) return { error: 'files or packages is missing' };
  // Read from a file: an entry may be anything.
  for (const f of m.files as (Partial<BundleFile> | null)[]) {
    if (typeof f?.path !== 'string' || !BUNDLE_PATH.test(f.path)) return { error: `file path ${JSON.stringify(f?.path)} is not one a bundle holds` };
    if (typeof f.size !== 'number' || !Number.isInteger(f.size) || f.size < 0 || typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256))
      return { error: `file ${f.path}: size or sha256 is malformed` };
  }
  return { manifest: m as BundleManifest };
}

/** `sha256sum -c` input for the files (SHA256SUMS itself excluded). */
export function renderSha256Sums(files: readonly BundleFile[]): string {
  return files
    .filter((f) => f.path !== SHA256SUMS)
    .map((f) => `${f.sha256}  ${f.path}\n`)
    .join('');
}

/** The bundle's copy of a published CNI manifest (calico, flannel), relative to the bundle. */
export function bundledCniManifest(spec: ClusterSpec): string | undefined {
  const { plugin, version } = spec.cni;
  return plugin === 'calico' || plugin === 'flannel' ? `manifests/${plugin}-${version ?? ''}.yaml` : undefined;
}

/** Sizes in the summary and the plan. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
