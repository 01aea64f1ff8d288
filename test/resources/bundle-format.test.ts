import { describe, expect, it } from 'vitest';
import { parseBundleManifest, renderBundleManifest, renderSha256Sums, type BundleManifest } from '../../src/resources/bundle-format.js';
import { clusterImages, kubeadmImages, manifestImages } from '../../src/bundle/images.js';
import { specFixture } from './helpers.js';

const m: BundleManifest = {
  formatVersion: 1,
  cluster: 'c',
  kubernetesVersion: '1.35.4',
  arch: 'amd64',
  created: '2026-11-22T09:00:00.000Z',
  packages: [{ name: 'kubeadm', version: '1.35.4-1.1' }],
  files: [
    { path: 'apt/kubeadm_1.35.4-1.1_amd64.deb', size: 3, sha256: 'a'.repeat(64) },
    { path: 'SHA256SUMS', size: 1, sha256: 'b'.repeat(64) },
  ],
};

describe('bundle.json', () => {
  it('reads back what it writes', () => {
    expect(parseBundleManifest(renderBundleManifest(m))).toEqual({ manifest: m });
  });

  it('refuses what it cannot trust to reach a remote path or command', () => {
    const bad = (f: Partial<BundleManifest>) => {
      const r = parseBundleManifest(JSON.stringify({ ...m, ...f }));
      return 'error' in r ? r.error : 'accepted';
    };
    expect(bad({ formatVersion: 2 })).toBe('format version 2, this hactl reads 1');
    expect(bad({ files: [{ path: '../etc/passwd', size: 1, sha256: 'a'.repeat(64) }] })).toBe('file path "../etc/passwd" is not one a bundle holds');
    expect(bad({ files: [{ path: 'apt/x;rm -rf.deb', size: 1, sha256: 'a'.repeat(64) }] })).toMatch(/is not one a bundle holds/);
    expect(bad({ files: [{ path: 'apt/x.deb', size: -1, sha256: 'a'.repeat(64) }] })).toBe('file apt/x.deb: size or sha256 is malformed');
    expect(bad({ kubernetesVersion: undefined as unknown as string })).toBe('kubernetesVersion is missing');
    expect(parseBundleManifest('{')).toMatchObject({ error: expect.stringMatching(/^not JSON/) });
  });

  it('SHA256SUMS lists every file but itself, in sha256sum -c format', () => {
    expect(renderSha256Sums(m.files)).toBe(`${'a'.repeat(64)}  apt/kubeadm_1.35.4-1.1_amd64.deb\n`);
  });
});

describe('images.txt', () => {
  it("kubeadm's images: the components at the version and the minor's pause; etcd and CoreDNS where upstream's constants were read", () => {
    expect(kubeadmImages('1.35.4')).toEqual({
      images: [
        'registry.k8s.io/kube-apiserver:v1.35.4',
        'registry.k8s.io/kube-controller-manager:v1.35.4',
        'registry.k8s.io/kube-scheduler:v1.35.4',
        'registry.k8s.io/kube-proxy:v1.35.4',
        'registry.k8s.io/pause:3.10.1',
        'registry.k8s.io/coredns/coredns:v1.13.1',
        'registry.k8s.io/etcd:3.6.6-0',
      ],
      unknown: [],
    });
    expect(kubeadmImages('1.37.2')).toEqual({
      images: [
        'registry.k8s.io/kube-apiserver:v1.37.2',
        'registry.k8s.io/kube-controller-manager:v1.37.2',
        'registry.k8s.io/kube-scheduler:v1.37.2',
        'registry.k8s.io/kube-proxy:v1.37.2',
        'registry.k8s.io/pause:3.10.2',
      ],
      unknown: ['etcd', 'coredns'],
    });
    expect(kubeadmImages('1.31.4')).toBeUndefined();
    expect(kubeadmImages('1.99.0')).toBeUndefined();
  });

  it("a manifest's containers and init containers, once each", () => {
    const text =
      'kind: DaemonSet\nspec:\n  template:\n    spec:\n      initContainers: [{ name: a, image: x/cni:v1 }]\n      containers: [{ name: b, image: x/node:v1 }]\n---\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers: [{ name: c, image: x/node:v1 }]\n';
    expect(manifestImages(text)).toEqual(['x/cni:v1', 'x/node:v1']);
  });

  it("the cluster's list: kubeadm's, the CNI's, the sandbox image, kube-vip's; a version without a table is said", () => {
    const vip = specFixture('kube-vip.yaml');
    const list = clusterImages(vip, undefined);
    expect(list.images).toContain(vip.containerd.sandboxImage);
    expect(list.images.some((i) => i.startsWith('ghcr.io/kube-vip/kube-vip:v'))).toBe(true);
    const later = clusterImages({ ...vip, kubernetes: { ...vip.kubernetes, version: '1.99.0' } }, undefined);
    expect(later.warnings).toEqual([
      "no table of kubeadm's images for Kubernetes 1.99.0: add them from `kubeadm config images list --kubernetes-version 1.99.0`",
    ]);
    const untabled = clusterImages({ ...vip, kubernetes: { ...vip.kubernetes, version: '1.37.2' } }, undefined);
    expect(untabled.images).toContain('registry.k8s.io/kube-apiserver:v1.37.2');
    expect(untabled.warnings).toEqual([
      "the etcd and coredns tags kubeadm 1.37.2 pulls are not in hactl's table: add them from `kubeadm config images list --kubernetes-version 1.37.2`",
    ]);
  });
});
