// The Kubernetes minors hactl supports, one entry each: adding a minor is one entry here (plus its
// stand-in packages in the lab). Everything version-dependent reads this table: validate's range
// and end-of-life warnings, the kubeadm API, the default sandbox (pause) image, the per-minor
// package repositories, the images of an air-gapped bundle.
//
// Sources, as read for each entry:
// - endOfLife: kubernetes.io/releases (upstream patches the three newest minors; the oldest entry
//   is kept so that clusters can upgrade out of it).
// - kubeadm API: kubeadm.k8s.io/v1beta4 for all of them (v1beta3 was deprecated in 1.31 and
//   removed in 1.36, kubernetes/kubernetes#136016).
// - pause: kubeadm's PauseVersion (cmd/kubeadm/app/constants/constants.go) of the release: 3.10.1
//   from 1.34 (kubernetes/kubernetes#130713) and in 1.35, 3.10.2 in 1.36. For 1.37 the sources at
//   hand did not show it: 3.10.2 is carried over from 1.36 (containerd.sandboxImage overrides it).
// - containerd: containerd's RELEASES.md "Kubernetes Support" matrix (the containerd versions
//   containerd recommends per Kubernetes minor). containerd 1.7 is not listed for 1.36 and later;
//   the kubelet still falls back to its own cgroupDriver with a runtime that cannot report one
//   (KEP-4033: the fallback's removal was deferred to 1.38), so 1.7 is a warning there, not an error.

export const KUBEADM_API_VERSION = 'kubeadm.k8s.io/v1beta4';

export interface KubernetesMinor {
  /** `1.NN`. */
  minor: string;
  /** Upstream end of life, YYYY-MM-DD. */
  endOfLife: string;
  kubeadmApi: typeof KUBEADM_API_VERSION;
  /** The pause image tag kubeadm of this minor expects (its PauseVersion). */
  pause: string;
  /** containerd minors containerd recommends for this Kubernetes minor, newest first, with the lowest patch. */
  containerd: string[];
  /** The newest patch release hactl knows of. */
  newestPatch: string;
}

export const KUBERNETES_MINORS: readonly KubernetesMinor[] = [
  { minor: '1.34', endOfLife: '2026-10-27', kubeadmApi: KUBEADM_API_VERSION, pause: '3.10.1', containerd: ['2.1.3', '2.0.6', '1.7.28'], newestPatch: '1.34.9' },
  { minor: '1.35', endOfLife: '2027-02-28', kubeadmApi: KUBEADM_API_VERSION, pause: '3.10.1', containerd: ['2.2.0', '2.1.5', '1.7.28'], newestPatch: '1.35.9' },
  { minor: '1.36', endOfLife: '2027-06-28', kubeadmApi: KUBEADM_API_VERSION, pause: '3.10.2', containerd: ['2.3.0', '2.2.0'], newestPatch: '1.36.4' },
  { minor: '1.37', endOfLife: '2027-10-28', kubeadmApi: KUBEADM_API_VERSION, pause: '3.10.2', containerd: ['2.3.0', '2.2.0'], newestPatch: '1.37.2' },
];

/** The version a spec gets when it names none. */
export const DEFAULT_KUBERNETES_VERSION = '1.37.2';

/** A minor within this many days of its end of life (or past it) gets a warning. */
export const END_OF_LIFE_WARNING_DAYS = 60;

/** `1.34 to 1.37`. */
export const SUPPORTED_RANGE_TEXT = `${KUBERNETES_MINORS[0]!.minor} to ${KUBERNETES_MINORS.at(-1)!.minor}`;

/** `1.NN` of a version like `1.37.2` (or `v1.37.2`, `1.37.2-1.1`). */
export function minorOf(version: string): string {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  return m ? `${m[1]}.${m[2]}` : version;
}

/** The table's entry for the minor of `version`; undefined outside the supported range. */
export function kubernetesMinor(version: string): KubernetesMinor | undefined {
  const minor = minorOf(version);
  return KUBERNETES_MINORS.find((m) => m.minor === minor);
}

/** The pause image kubeadm of `version`'s minor expects (the newest entry's outside the range). */
export function defaultSandboxImage(version: string): string {
  return `registry.k8s.io/pause:${(kubernetesMinor(version) ?? KUBERNETES_MINORS.at(-1)!).pause}`;
}

/** Whole days from `today` to the minor's end of life (negative once past). */
export function daysToEndOfLife(m: KubernetesMinor, today: Date): number {
  const eol = Date.parse(`${m.endOfLife}T00:00:00Z`);
  const day = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Math.round((eol - day) / 86_400_000);
}

/**
 * A warning for a version whose minor is past its end of life or within END_OF_LIFE_WARNING_DAYS
 * of it, as of `today`; undefined otherwise (and outside the range, which validate refuses).
 */
export function endOfLifeWarning(version: string, today: Date): string | undefined {
  const m = kubernetesMinor(version);
  if (m === undefined) return undefined;
  const days = daysToEndOfLife(m, today);
  const newest = KUBERNETES_MINORS.at(-1)!.minor;
  if (days < 0)
    return `Kubernetes ${m.minor} reached its upstream end of life on ${m.endOfLife} (${-days} days ago) and gets no more patches: upgrade towards ${newest}`;
  if (days <= END_OF_LIFE_WARNING_DAYS)
    return `Kubernetes ${m.minor} reaches its upstream end of life on ${m.endOfLife} (in ${days} days): plan the upgrade towards ${newest}`;
  return undefined;
}

/** The containerd major.minor of a package version (`1.7.24~ds1-3`, `2.1.5-1`, `1:2.2.0`). */
export function containerdMinorOf(version: string): string | undefined {
  const m = /^(?:\d+:)?(\d+)\.(\d+)/.exec(version);
  return m ? `${m[1]}.${m[2]}` : undefined;
}
