// The typed model of one host, as observed by the probe (probe.ts) and parsed (parse.ts).
// Preflight and every resource's diff read these; nothing here is computed from the spec.

export type OsFamily = 'debian' | 'rhel' | 'unknown';

export interface FactRequest {
  /** Package names (dpkg or rpm) whose installed version is wanted. */
  packages: string[];
  /** systemd unit names; `.service` is implied when no suffix is given. */
  units: string[];
  /** Absolute paths: existence, hash, mode, owner, and content when small. */
  files: string[];
  /** sysctl keys, dotted (net.ipv4.ip_forward). */
  sysctls: string[];
  /** Kernel modules whose function must be present (br_netfilter, overlay, ...). */
  modules?: string[];
  /** Directories whose `*.crt` files (and one level of subdirectories) are read for expiry. */
  certDirs?: string[];
  /** Packages whose install candidate (the version apt or dnf would install) is wanted. */
  candidates?: string[];
}

export interface OsInfo {
  id: string;
  versionId: string;
  prettyName: string;
  family: OsFamily;
  /** ID_LIKE, split (e.g. ['rhel', 'centos', 'fedora']). */
  like: string[];
}

export interface DiskFacts {
  /** The path asked about (`/`, `/var`). */
  path: string;
  /** The mount point that holds it. */
  mountedOn: string;
  filesystem: string;
  sizeBytes: number;
  freeBytes: number;
}

export interface SwapFacts {
  activeBytes: number;
  /** Active swap areas (from /proc/swaps). */
  devices: string[];
  /** Uncommented swap lines in /etc/fstab. */
  fstabEntries: string[];
}

export interface InterfaceFacts {
  name: string;
  /** CIDR notation, e.g. 198.18.0.11/24 or fe80::1/64. */
  addresses: string[];
  up: boolean;
  mac?: string;
  mtu?: number;
}

/**
 * `loaded`: a loaded module; `builtin`: compiled in, or its function is present without a module
 * (what preflight needs); `absent`: neither.
 */
export type ModuleState = 'loaded' | 'builtin' | 'absent';

export type PackageFacts = { installed: true; version: string; held: boolean; arch?: string } | { installed: false };

export interface UnitFacts {
  exists: boolean;
  active: boolean;
  enabled: boolean;
  /** systemd's ActiveState / UnitFileState, when systemd answered. */
  activeState?: string;
  unitFileState?: string;
}

export interface FileFacts {
  exists: boolean;
  type?: 'file' | 'directory' | 'symlink' | 'other';
  sha256?: string;
  size?: number;
  /** Permission bits, e.g. 0o644. */
  mode?: number;
  owner?: string;
  group?: string;
  /** Content of regular files up to 64 KiB. */
  content?: string;
  /** A symbolic link's target, as stored in the link. */
  linkTarget?: string;
  /** The immutable attribute (`chattr +i`) is set: nobody, root included, can change the file. */
  immutable?: boolean;
  /** The path lies on a read-only mount: that mount point (also reported for absent paths). */
  readOnlyMount?: string;
}

export interface CertificateFacts {
  path: string;
  notAfter?: string;
  subject?: string;
  /** Days until expiry as of the host's clock (negative: expired). */
  daysLeft?: number;
  /** Why expiry is unknown (openssl missing, unreadable file). */
  error?: string;
}

export interface KubernetesFacts {
  /** /etc/kubernetes exists. */
  present: boolean;
  /** Which of admin.conf, kubelet.conf, controller-manager.conf, scheduler.conf, super-admin.conf exist. */
  confFiles: string[];
  /** Files in /etc/kubernetes/manifests. */
  manifests: string[];
  /** /var/lib/kubelet/config.yaml exists. */
  kubeletConfig: boolean;
  /** /etc/kubernetes/pki/ca.crt exists. */
  caPresent: boolean;
}

export interface TimeSyncFacts {
  /** undefined when nothing could tell. */
  synchronized?: boolean;
  /** systemd-timesyncd, chronyd, ntpd or none. */
  service: string;
  /** NTP enabled per timedatectl. */
  ntpEnabled?: boolean;
  source: 'timedatectl' | 'chronyc' | 'timesyncd-flag' | 'none';
}

export interface ListeningPort {
  proto: 'tcp' | 'udp';
  port: number;
  address: string;
  process?: string;
}

/**
 * How the host mounts cgroups: `v2` (cgroup2 at /sys/fs/cgroup), `hybrid` (v1 controllers with a
 * cgroup2 hierarchy at /sys/fs/cgroup/unified), `v1`; `unknown` when the mount table told nothing.
 */
export type CgroupMode = 'v1' | 'hybrid' | 'v2' | 'unknown';

export interface HostFacts {
  hostname: string;
  os: OsInfo;
  arch: string;
  kernel: string;
  cpus: number;
  memoryBytes: number;
  disks: DiskFacts[];
  swap: SwapFacts;
  interfaces: InterfaceFacts[];
  /** Value with whitespace collapsed; null for keys the kernel does not have. */
  sysctls: Record<string, string | null>;
  modules: Record<string, ModuleState>;
  packageManager: 'dpkg' | 'rpm' | 'none';
  packages: Record<string, PackageFacts>;
  /** The version apt or dnf would install, per requested candidate (null: none offered). */
  candidates: Record<string, string | null>;
  cgroupMode: CgroupMode;
  /** PID 1 is systemd (units can be started); otherwise only unit files are seen. */
  init: 'systemd' | 'other';
  units: Record<string, UnitFacts>;
  files: Record<string, FileFacts>;
  certificates: CertificateFacts[];
  kubernetes: KubernetesFacts;
  timeSync: TimeSyncFacts;
  listeningPorts: ListeningPort[];
  /** Names of running processes (comm, deduplicated). */
  processes: string[];
  /**
   * CAP_SYS_TIME is in the bounding set: a time daemon here can set the clock. False in containers
   * whose clock belongs to the machine they run on; undefined when the probe could not tell.
   */
  canSetClock?: boolean;
  /** The host's clock when probed, seconds since the epoch. */
  clockEpochSeconds: number;
  /** Tools the probe looked for and did not find (ss, openssl, dpkg-query/rpm, ip, ...). */
  missingTools: string[];
}
