// The images a cluster pulls, for a registry that the hosts use instead of the internet:
// kubeadm's control-plane images, the CNI manifest's, the sandbox (pause) image, kube-vip's.

import { parseAllDocuments } from 'yaml';
import { renderKubeVipManifest } from '../resources/kube-vip.js';
import type { ClusterSpec } from '../spec/types.js';
import { defaultSandboxImage, kubernetesMinor } from '../spec/versions.js';

interface KubeadmImageSet {
  /** First patch release of the minor that uses these versions. */
  fromPatch: number;
  etcd: string;
  coredns: string;
}

/**
 * The etcd and CoreDNS versions kubeadm pulls, by minor version and the patch release from which
 * they hold: kubeadm's constants (cmd/kubeadm/app/constants: DefaultEtcdVersion, CoreDNSVersion)
 * of each release, as `kubeadm config images list` prints them. Only entries read from upstream are
 * here: a minor without one makes the bundle say so (and name the command that lists them), rather
 * than ship a guessed tag an air-gapped host cannot pull. The control-plane components' tags are
 * the version itself, and the pause tag comes from the version table (spec/versions.ts).
 * 1.35: etcd 3.6.6-0 (kubernetes/kubernetes#135271, merged for 1.35), CoreDNS v1.13.1 (kubeadm's
 * constants.go as of v1.35.8).
 */
export const KUBEADM_IMAGES: Record<string, KubeadmImageSet[]> = {
  '1.35': [{ fromPatch: 0, etcd: '3.6.6-0', coredns: 'v1.13.1' }],
};

const REGISTRY = 'registry.k8s.io';

export interface KubeadmImages {
  images: string[];
  /** Images kubeadm pulls whose tags the table does not know for this version (etcd, CoreDNS). */
  unknown: string[];
}

/** kubeadm's images for `version` (x.y.z); a supported minor always has its components and pause. */
export function kubeadmImages(version: string): KubeadmImages | undefined {
  const [major, minor, patch] = version.split('.');
  const known = kubernetesMinor(version);
  if (known === undefined) return undefined;
  const v = `v${version}`;
  const images = [
    ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'].map((c) => `${REGISTRY}/${c}:${v}`),
    defaultSandboxImage(version),
  ];
  const set = KUBEADM_IMAGES[`${major}.${minor}`]?.filter((s) => s.fromPatch <= Number(patch)).at(-1);
  if (set === undefined) return { images, unknown: ['etcd', 'coredns'] };
  return { images: [...images, `${REGISTRY}/coredns/coredns:${set.coredns}`, `${REGISTRY}/etcd:${set.etcd}`], unknown: [] };
}

/** Every container image a manifest's workloads name (containers and init containers). */
export function manifestImages(text: string): string[] {
  const out = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if ((k === 'containers' || k === 'initContainers' || k === 'ephemeralContainers') && Array.isArray(x)) {
          for (const c of x)
            if (c !== null && typeof c === 'object' && typeof (c as { image?: unknown }).image === 'string') out.add((c as { image: string }).image);
        } else visit(x);
      }
    }
  };
  for (const doc of parseAllDocuments(text)) visit(doc.toJS());
  return [...out];
}

export interface ImageList {
  images: string[];
  /** What the list may lack, for the summary. */
  warnings: string[];
}

/** The images the spec's cluster pulls; `cniManifest` is the manifest's text when there is one. */
export function clusterImages(spec: ClusterSpec, cniManifest: string | undefined): ImageList {
  const warnings: string[] = [];
  const images: string[] = [];
  const v = spec.kubernetes.version;
  const kubeadm = kubeadmImages(v);
  if (kubeadm === undefined) {
    warnings.push(`no table of kubeadm's images for Kubernetes ${v}: add them from \`kubeadm config images list --kubernetes-version ${v}\``);
  } else {
    images.push(...kubeadm.images);
    if (kubeadm.unknown.length > 0) {
      warnings.push(
        `the ${kubeadm.unknown.join(' and ')} tags kubeadm ${v} pulls are not in hactl's table: add them from \`kubeadm config images list --kubernetes-version ${v}\``,
      );
    }
  }
  if (cniManifest !== undefined) images.push(...manifestImages(cniManifest));
  images.push(spec.containerd.sandboxImage);
  const vip = spec.loadBalancer.kubeVip;
  if (spec.loadBalancer.type === 'kube-vip' && vip !== undefined) {
    // The image of the very manifest kube-vip's resource writes.
    images.push(
      ...manifestImages(
        renderKubeVipManifest({ version: vip.version, iface: vip.interface, vip: spec.controlPlaneEndpoint.host, kubeconfig: '/etc/kubernetes/admin.conf' }),
      ),
    );
  }
  return { images: [...new Set(images)], warnings };
}
