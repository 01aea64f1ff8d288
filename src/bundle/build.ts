// `hactl bundle`: everything the spec needs from the internet, gathered on a connected machine
// into one directory (layout in format.ts) that apply uploads to the hosts. A re-run with the
// same inputs reuses every file already there that checks out, and downloads only the rest.

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CNI_SOURCES } from '../resources/cni.js';
import { kubernetesRepositoryUrl, usesKubernetesRepository } from '../resources/package-sources.js';
import type { AptSource, ClusterSpec } from '../spec/types.js';
import { parseDpkgStatus, parsePackagesIndex, type IndexPackage } from './apt-index.js';
import { debFileName, renderRepository } from './apt-repo.js';
import { downloadVerified, fetchBytes, FetchError, hashFile } from './download.js';
import {
  APT_DIR,
  BUNDLE_FORMAT_VERSION,
  BUNDLE_JSON,
  BUNDLE_PATH,
  bundledCniManifest,
  IMAGES_TXT,
  parseBundleManifest,
  renderBundleManifest,
  renderSha256Sums,
  SHA256SUMS,
  type BundleFile,
  type BundleManifest,
} from '../resources/bundle-format.js';
import { clusterImages } from './images.js';
import { resolvePackages } from './resolve.js';
import { wantedPackages } from './wanted.js';
import { sha256 } from '../resources/diff.js';

export class BundleError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'BundleError';
  }
}

export interface BundleOptions {
  spec: ClusterSpec;
  outDir: string;
  /** Debian architecture (amd64, arm64). */
  arch: string;
  /** The local files the spec names, as the plan reads them (the CNI manifest). */
  localFiles: ReadonlyMap<string, string>;
  /** dpkg status of a freshly installed host: what it has needs no place in the bundle. */
  hostStatus?: string;
  log: (line: string) => void;
  now?: () => Date;
  /** Downloads at the same time. */
  parallelism?: number;
}

export interface BundleResult {
  manifest: BundleManifest;
  packages: number;
  downloaded: number;
  downloadedBytes: number;
  totalBytes: number;
  images: number;
  warnings: string[];
}

interface IndexSource {
  label: string;
  /** Base the index's Filename fields are relative to. */
  uri: string;
  /** Index URLs to try in order (compressed first). */
  urls: string[];
}

const withSlash = (u: string): string => (u.endsWith('/') ? u : `${u}/`);

/** Where a source's Packages index is, for one architecture. */
export function indexSources(set: string, sources: readonly AptSource[], arch: string): IndexSource[] {
  return sources.flatMap((s, i) => {
    const uri = withSlash(s.uri);
    const where = `${s.uri} ${s.suite}${s.components.length > 0 ? ` ${s.components.join(' ')}` : ''}`;
    const label = set === 'kubernetesRepository' ? `packages.kubernetesRepository (${where})` : `packages.apt.${set}[${i}] (${where})`;
    // A flat repository (suite ending in /) has its index beside it; otherwise dists/<suite>/<component>/binary-<arch>/.
    const dirs = s.suite.endsWith('/') ? [`${uri}${s.suite.replace(/^\.?\//, '')}`] : s.components.map((c) => `${uri}dists/${s.suite}/${c}/binary-${arch}/`);
    return dirs.map((d) => ({ label, uri, urls: [`${d}Packages.gz`, `${d}Packages`] }));
  });
}

/** A Filename relative to its source as a URL: each segment escaped, so `%3a` in names stays literal. */
export function debUrl(uri: string, filename: string): string {
  return uri + filename.replace(/^\.\//, '').split('/').map(encodeURIComponent).join('/');
}

async function fetchIndex(src: IndexSource, arch: string): Promise<IndexPackage[]> {
  let last: FetchError | undefined;
  for (const url of src.urls) {
    try {
      const bytes = await fetchBytes(url);
      const text = (url.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
      return parsePackagesIndex(text, arch, src.label).map((p) => ({ ...p, filename: debUrl(src.uri, p.filename) }));
    } catch (e) {
      if (!(e instanceof FetchError)) throw new BundleError([`${src.label}: ${url}: ${(e as Error).message}`]);
      last = e;
      if (!e.missing) break; // unreachable: the uncompressed index would not come either
    }
  }
  throw new BundleError([`${src.label}: ${last!.missing ? `no Packages index at ${src.urls.join(' or ')}` : `${last!.url}: ${last!.reason}`}`]);
}

async function inParallel<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const problems: string[] = [];
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        try {
          await fn(item);
        } catch (e) {
          problems.push(...(e instanceof BundleError ? e.problems : [(e as Error).message]));
        }
      }
    }),
  );
  if (problems.length > 0) throw new BundleError(problems);
}

async function readPrevious(outDir: string): Promise<BundleManifest | undefined> {
  try {
    const r = parseBundleManifest(await readFile(join(outDir, BUNDLE_JSON), 'utf8'));
    return 'manifest' in r ? r.manifest : undefined;
  } catch {
    return undefined;
  }
}

/** The CNI manifest for the bundle: the spec's own file, or the published one for the version. */
async function cniManifest(o: BundleOptions, previous: BundleManifest | undefined, warnings: string[]): Promise<{ path: string; text: string } | undefined> {
  const { cni } = o.spec;
  if (cni.plugin === 'manifest') {
    const text = cni.manifest !== undefined ? o.localFiles.get(cni.manifest) : undefined;
    if (text === undefined) throw new BundleError([`cni.manifest ${cni.manifest ?? '(not set)'} could not be read`]);
    return { path: 'manifests/cni.yaml', text };
  }
  // An adopted cluster's own pod network: hactl ships nothing for it.
  if (cni.plugin === 'unmanaged') return undefined;
  const path = bundledCniManifest(o.spec);
  if (path === undefined) {
    warnings.push(`cni ${cni.plugin} publishes no plain manifest: its images are not listed (use cni.plugin: manifest with a rendered file)`);
    return undefined;
  }
  const src = CNI_SOURCES[cni.plugin as 'calico' | 'flannel'];
  const local = join(o.outDir, path);
  const had = previous?.files.find((f) => f.path === path);
  const have = await hashFile(local);
  if (had !== undefined && have?.sha256 === had.sha256) return { path, text: await readFile(local, 'utf8') };
  const url = src.url(cni.version ?? '');
  try {
    return { path, text: (await fetchBytes(url)).toString('utf8') };
  } catch (e) {
    throw new BundleError([`the ${cni.plugin} ${cni.version ?? ''} manifest: ${(e as Error).message}`]);
  }
}

export async function buildBundle(o: BundleOptions): Promise<BundleResult> {
  const { spec, outDir, arch } = o;
  const sets = (['os', 'kubernetes'] as const).map((set) => [set, spec.packages.apt[set]] as const);
  // Apt hosts without explicit Kubernetes sources would take kubeadm, kubelet and kubectl from the
  // per-minor repository (package-sources): the bundle gathers them from there too, for a spec that
  // names apt sources for its OS packages.
  const aptCluster = spec.packages.apt.os.length > 0;
  const repository: AptSource[] =
    aptCluster && usesKubernetesRepository({ ...spec, packages: { ...spec.packages, bundle: undefined } }, 'apt')
      ? [
          {
            uri: kubernetesRepositoryUrl(spec.packages.kubernetesRepository.baseUrl, spec.kubernetes.version, 'deb'),
            suite: '/',
            components: [],
            trusted: false,
          },
        ]
      : [];
  if (sets.every(([, list]) => list.length === 0) && repository.length === 0) {
    const dnf = spec.packages.dnf.os.length + spec.packages.dnf.kubernetes.length > 0;
    throw new BundleError([
      dnf
        ? 'bundles hold apt packages (Debian, Ubuntu) only: this spec has packages.dnf sources and no packages.apt ones; dnf hosts need a reachable mirror'
        : 'the spec has no packages.apt sources to gather packages from',
    ]);
  }
  const warnings: string[] = [];
  const previous = await readPrevious(outDir);

  o.log('reading the package indices');
  const sources = [...sets.flatMap(([set, list]) => indexSources(set, list, arch)), ...indexSources('kubernetesRepository', repository, arch)];
  const indices: IndexPackage[][] = new Array<IndexPackage[]>(sources.length);
  await inParallel(
    sources.map((s, i) => [s, i] as const),
    4,
    async ([s, i]) => {
      indices[i] = await fetchIndex(s, arch);
    },
  );
  const wanted = wantedPackages(spec, o.localFiles, arch);
  const resolution = resolvePackages(indices.flat(), wanted, o.hostStatus !== undefined ? parseDpkgStatus(o.hostStatus, arch) : []);
  if (resolution.errors.length > 0) throw new BundleError(resolution.errors);
  const packages = resolution.packages;

  // Packages first: the longest part, and the one a re-run must not repeat.
  const aptDir = join(outDir, APT_DIR);
  await mkdir(aptDir, { recursive: true });
  let downloaded = 0;
  let downloadedBytes = 0;
  await inParallel(packages, o.parallelism ?? 4, async (p) => {
    const dest = join(aptDir, debFileName(p));
    if (!BUNDLE_PATH.test(`${APT_DIR}/${debFileName(p)}`))
      throw new BundleError([`${p.name} ${p.version}: its file name ${debFileName(p)} is not one a bundle can hold`]);
    const have = await hashFile(dest);
    if (have?.sha256 === p.sha256) return;
    let size: number;
    try {
      size = await downloadVerified(p.filename, dest, p.sha256);
    } catch (e) {
      throw new BundleError([`${p.name} ${p.version} from ${p.source}: ${(e as Error).message}`]);
    }
    // Added after the await: `x += await f()` would read x before the other downloads add to it.
    downloadedBytes += size;
    downloaded++;
    o.log(`  downloaded ${debFileName(p)}`);
  });
  // What an earlier run left that this bundle no longer holds.
  const keep = new Set(['Packages', 'Packages.gz', 'Release', ...packages.map(debFileName)]);
  for (const name of await readdir(aptDir)) if (!keep.has(name)) await rm(join(aptDir, name), { force: true });

  // The same packages as last time keep last time's creation date, so an unchanged bundle stays byte for byte the same.
  const same =
    previous !== undefined &&
    previous.arch === arch &&
    previous.cluster === spec.name &&
    previous.kubernetesVersion === spec.kubernetes.version &&
    JSON.stringify(previous.packages) === JSON.stringify(packages.map((p) => ({ name: p.name, version: p.version })));
  const created = same ? previous.created : (o.now?.() ?? new Date()).toISOString();

  const files = new Map<string, Buffer>();
  for (const [name, b] of renderRepository(packages, arch, new Date(created))) files.set(`${APT_DIR}/${name}`, b);
  const cni = await cniManifest(o, previous, warnings);
  if (cni !== undefined) files.set(cni.path, Buffer.from(cni.text));
  const images = clusterImages(spec, cni?.text);
  warnings.push(...images.warnings);
  files.set(IMAGES_TXT, Buffer.from(images.images.map((i) => `${i}\n`).join('')));
  await mkdir(join(outDir, 'manifests'), { recursive: true });
  for (const name of await readdir(join(outDir, 'manifests'))) if (!files.has(`manifests/${name}`)) await rm(join(outDir, 'manifests', name), { force: true });

  const listed: BundleFile[] = [
    ...packages.map((p) => ({ path: `${APT_DIR}/${debFileName(p)}`, size: p.size, sha256: p.sha256 })),
    ...[...files].map(([path, b]) => ({ path, size: b.length, sha256: sha256(b) })),
  ].sort((a, b) => (a.path < b.path ? -1 : 1));
  const sums = Buffer.from(renderSha256Sums(listed));
  files.set(SHA256SUMS, sums);
  listed.push({ path: SHA256SUMS, size: sums.length, sha256: sha256(sums) });
  for (const [path, b] of files) await writeFile(join(outDir, path), b);

  const manifest: BundleManifest = {
    formatVersion: BUNDLE_FORMAT_VERSION,
    cluster: spec.name,
    kubernetesVersion: spec.kubernetes.version,
    arch,
    created,
    packages: packages.map((p) => ({ name: p.name, version: p.version })),
    files: listed,
  };
  // Last: a directory without bundle.json (or with an older one) is an unfinished bundle.
  await writeFile(join(outDir, BUNDLE_JSON), renderBundleManifest(manifest));
  return {
    manifest,
    packages: packages.length,
    downloaded,
    downloadedBytes,
    totalBytes: listed.reduce((n, f) => n + f.size, 0),
    images: images.images.length,
    warnings,
  };
}
