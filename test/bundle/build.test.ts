// hactl bundle's core against a file:// apt source made in a temp directory: what the bundle
// holds, a re-run that downloads nothing, damaged files fetched again, and the errors.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleError, buildBundle, debUrl, indexSources } from '../../src/bundle/build.js';
import { parseBundleManifest } from '../../src/resources/bundle-format.js';
import { sha256 } from '../../src/resources/diff.js';
import { wantedPackages } from '../../src/bundle/wanted.js';
import { loadSpec } from '../../src/spec/index.js';
import type { ClusterSpec } from '../../src/spec/types.js';

const root = mkdtempSync(join(tmpdir(), 'hactl-bundle-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MANIFEST =
  'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: net, namespace: kube-system }\nspec:\n  template:\n    spec:\n      containers:\n        - { name: net, image: registry.example/net:v1 }\n';

// One repository for both sets: with no Kubernetes source the per-minor repository (pkgs.k8s.io) would be asked.
const repoUri = (): string => `${pathToFileURL(join(root, 'repo')).href}/`;

function specText(extra: { sources?: string; version?: string } = {}): string {
  return `apiVersion: hactl.io/v1alpha1
kind: Cluster
metadata: { name: tiny }
hosts:
  - { name: node1, address: 10.9.0.11, roles: [control-plane, worker] }
loadBalancer: { type: none }
kubernetes: { version: ${extra.version ?? '1.35.4'} }
cni: { plugin: manifest, manifest: ${join(root, 'cni.yaml')} }
packages:
${extra.sources ?? `  apt:\n    os: [{ uri: "${repoUri()}", suite: debian/, trusted: true }]\n    kubernetes: [{ uri: "${repoUri()}", suite: debian/, trusted: true }]`}
`;
}

function load(text: string): ClusterSpec {
  const r = loadSpec(text, join(root, 'cluster.yaml'));
  if (r.spec === undefined) throw new Error(JSON.stringify(r.diagnostics));
  return r.spec;
}

/** A flat repository offering every package the spec wants, plus one dependency and a required package. */
function makeRepo(spec: ClusterSpec): void {
  const stanzas: string[] = [];
  mkdirSync(join(root, 'repo', 'debian'), { recursive: true });
  mkdirSync(join(root, 'repo', 'pool'), { recursive: true });
  const add = (name: string, version: string, extra = '') => {
    const file = `pool/${name}_${version.replace(':', '%3a')}_amd64.deb`;
    const body = Buffer.from(`${name} ${version}\n`);
    writeFileSync(join(root, 'repo', file), body);
    stanzas.push(
      `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\n${extra}Filename: ${file}\nSize: ${body.length}\nSHA256: ${sha256(body)}\nPriority: optional\n`,
    );
  };
  for (const w of wantedPackages(spec, new Map(), 'amd64')) {
    const version = w.version?.replace(/-\*$/, '-1.1').replace(/\*$/, '-1') ?? '1.0-1';
    if (!stanzas.some((s) => s.startsWith(`Package: ${w.name}\n`))) add(w.name, version, w.name === 'kubeadm' ? 'Depends: conntrack (>= 1:1.4), libc6\n' : '');
  }
  add('conntrack', '1:1.4.7-1');
  stanzas.push(`Package: libc6\nVersion: 2.36-9\nArchitecture: amd64\nFilename: pool/libc6.deb\nSize: 1\nSHA256: ${'0'.repeat(64)}\nPriority: required\n`);
  writeFileSync(join(root, 'repo', 'debian', 'Packages'), stanzas.join('\n'));
}

writeFileSync(join(root, 'cni.yaml'), MANIFEST);
const spec = load(specText());
makeRepo(spec);
const localFiles = new Map([[join(root, 'cni.yaml'), MANIFEST]]);
const out = join(root, 'bundle');
const run = (s = spec) => buildBundle({ spec: s, outDir: out, arch: 'amd64', localFiles, log: () => {}, now: () => new Date('2026-11-22T09:00:00Z') });

describe('hactl bundle', () => {
  it("gathers the kinds' packages with their dependencies into a flat apt repository, with the CNI manifest, images.txt and bundle.json", async () => {
    const r = await run();
    const names = r.manifest.packages.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['kubeadm', 'kubelet', 'kubectl', 'containerd', 'conntrack']));
    expect(names).not.toContain('libc6');
    expect(r.downloaded).toBe(r.packages);
    const index = readFileSync(join(out, 'apt', 'Packages'), 'utf8');
    expect(index).toContain('Filename: ./conntrack_1.4.7-1_amd64.deb\n');
    const json = parseBundleManifest(readFileSync(join(out, 'bundle.json'), 'utf8'));
    expect('manifest' in json && json.manifest).toMatchObject({
      formatVersion: 1,
      cluster: 'tiny',
      kubernetesVersion: '1.35.4',
      arch: 'amd64',
      created: '2026-11-22T09:00:00.000Z',
    });
    for (const f of r.manifest.files) {
      const b = readFileSync(join(out, f.path));
      expect([f.path, b.length, sha256(b)]).toEqual([f.path, f.size, f.sha256]);
    }
    expect(r.manifest.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['apt/Packages', 'apt/Packages.gz', 'apt/Release', 'manifests/cni.yaml', 'images.txt', 'SHA256SUMS']),
    );
    const release = readFileSync(join(out, 'apt', 'Release'), 'utf8');
    expect(release).toContain(` ${sha256(Buffer.from(index))} ${Buffer.byteLength(index)} Packages\n`);
    expect(readFileSync(join(out, 'images.txt'), 'utf8').split('\n')).toEqual(
      expect.arrayContaining([
        'registry.k8s.io/kube-apiserver:v1.35.4',
        'registry.k8s.io/etcd:3.6.6-0',
        'registry.example/net:v1',
        spec.containerd.sandboxImage,
      ]),
    );
  });

  it('a re-run with the same inputs downloads nothing and leaves the bundle byte for byte the same', async () => {
    const before = readFileSync(join(out, 'bundle.json'), 'utf8');
    const r = await buildBundle({ spec, outDir: out, arch: 'amd64', localFiles, log: () => {}, now: () => new Date('2027-01-01T00:00:00Z') });
    expect(r.downloaded).toBe(0);
    expect(readFileSync(join(out, 'bundle.json'), 'utf8')).toBe(before);
  });

  it('a damaged .deb in the bundle is fetched again, and only it', async () => {
    writeFileSync(join(out, 'apt', 'conntrack_1.4.7-1_amd64.deb'), 'damaged');
    const r = await run();
    expect(r.downloaded).toBe(1);
    expect(readFileSync(join(out, 'apt', 'conntrack_1.4.7-1_amd64.deb'), 'utf8')).toBe('conntrack 1:1.4.7-1\n');
  });

  it('a package whose file does not match the index: an error naming it and its source', async () => {
    const pkg = join(root, 'repo', 'pool', 'conntrack_1%3a1.4.7-1_amd64.deb');
    const good = readFileSync(pkg);
    writeFileSync(pkg, 'tampered');
    rmSync(join(out, 'apt', 'conntrack_1.4.7-1_amd64.deb'));
    try {
      const e = await run().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(BundleError);
      expect((e as BundleError).problems.join('\n')).toMatch(
        /^conntrack 1:1\.4\.7-1 from packages\.apt\.os\[0\] .*: sha256 [0-9a-f]{64} does not match the index's/,
      );
    } finally {
      writeFileSync(pkg, good);
    }
  });

  it('a version no source has, and an unreachable source: errors that say which and why', async () => {
    const other = load(specText({ version: '1.36.1' }));
    const e = (await buildBundle({ spec: other, outDir: join(root, 'other'), arch: 'amd64', localFiles, log: () => {} }).catch(
      (x: unknown) => x,
    )) as BundleError;
    expect(e.problems).toContain('kubeadm 1.36.1-* (wanted by kube-packages@node1) is not in any source (offered: 1.35.4-1.1)');
    const unreachable = '[{ uri: "http://127.0.0.1:2/", suite: bookworm, components: [main], trusted: true }]';
    const down = load(specText({ sources: `  apt:\n    os: ${unreachable}\n    kubernetes: ${unreachable}` }));
    const u = (await buildBundle({ spec: down, outDir: join(root, 'down'), arch: 'amd64', localFiles, log: () => {} }).catch((x: unknown) => x)) as BundleError;
    expect(u.problems).toHaveLength(2);
    expect(u.problems[0]).toMatch(
      /^packages\.apt\.os\[0\] \(http:\/\/127\.0\.0\.1:2\/ bookworm main\): http:\/\/127\.0\.0\.1:2\/dists\/bookworm\/main\/binary-amd64\/Packages\.gz: unreachable: .*ECONNREFUSED/,
    );
  });

  it('a spec with only dnf sources is refused: bundles hold apt packages', async () => {
    const dnf = load(specText({ sources: '  dnf:\n    os: [{ name: baseos, baseurl: "http://mirror.example/rocky/9/BaseOS/x86_64/os/" }]' }));
    const e = (await buildBundle({ spec: dnf, outDir: join(root, 'dnf'), arch: 'amd64', localFiles, log: () => {} }).catch((x: unknown) => x)) as BundleError;
    expect(e.problems).toEqual([
      'bundles hold apt packages (Debian, Ubuntu) only: this spec has packages.dnf sources and no packages.apt ones; dnf hosts need a reachable mirror',
    ]);
  });

  it('index locations and .deb URLs (a literal %3a in a file name stays one)', () => {
    const src = indexSources('os', [{ uri: 'http://m/debian', suite: 'bookworm', components: ['main', 'contrib'], trusted: true }], 'arm64');
    expect(src.map((s) => s.urls[0])).toEqual([
      'http://m/debian/dists/bookworm/main/binary-arm64/Packages.gz',
      'http://m/debian/dists/bookworm/contrib/binary-arm64/Packages.gz',
    ]);
    expect(indexSources('k', [{ uri: 'https://pkgs.k8s.io/core:/stable:/v1.35/deb/', suite: '/', components: [], trusted: true }], 'amd64')[0]!.urls[1]).toBe(
      'https://pkgs.k8s.io/core:/stable:/v1.35/deb/Packages',
    );
    expect(debUrl('http://m/', 'pool/b/busybox_1%3a1.35-4_amd64.deb')).toBe('http://m/pool/b/busybox_1%253a1.35-4_amd64.deb');
  });
});
