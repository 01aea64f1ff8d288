// The cluster spec after loading and defaulting: what every later stage (compiler, planner,
// resources) reads. `schemas/cluster.schema.json` is the source of truth for the *input* shape;
// a test holds these types to it. Every optional input field that has a default is required here.

export type Role = 'lb' | 'control-plane' | 'etcd' | 'worker';
export type Profile = 'test' | 'production';
export type LoadBalancerType = 'keepalived-haproxy' | 'keepalived-nginx' | 'kube-vip' | 'external' | 'none';
export type EtcdTopology = 'stacked' | 'external';
/** `unmanaged`: installed by other means (an adopted cluster); hactl leaves it alone. */
export type CniPlugin = 'calico' | 'flannel' | 'cilium' | 'manifest' | 'unmanaged';
export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

/** SSH settings; a host's `ssh` overrides the cluster-wide defaults field by field. */
export interface SshSettings {
  user: string;
  port: number;
  /** Private key file; undefined means ssh-agent (SSH_AUTH_SOCK). */
  privateKeyFile?: string;
  /** Name of the environment variable holding the key's passphrase (never the passphrase). */
  passphraseEnv?: string;
  knownHostsFile: string;
  bastion?: BastionSettings;
  /** Run commands through `sudo -n` (for non-root users). Defaults to user !== 'root'. */
  sudo: boolean;
  connectTimeoutSeconds: number;
}

export interface BastionSettings {
  address: string;
  port: number;
  user: string;
  privateKeyFile?: string;
}

export interface Host {
  name: string;
  address: string;
  roles: Role[];
  labels: Record<string, string>;
  taints: Taint[];
  /** Effective SSH settings (defaults merged with the host's overrides). */
  ssh: SshSettings;
}

export interface ControlPlaneEndpoint {
  /** VIP address or DNS name that every node and client uses to reach the apiservers. */
  host: string;
  port: number;
  extraSANs: string[];
}

export interface HealthCheck {
  intervalMs: number;
  fall: number;
  rise: number;
}

export interface KeepalivedSettings {
  virtualRouterId: number;
  /** Interface the VIP is placed on (e.g. eth0). */
  interface: string;
  /** Priority per LB host name; the highest holds the VIP. */
  priorities: Record<string, number>;
  /** Unicast VRRP to the other LB hosts (default); false means multicast. */
  unicast: boolean;
  /** Environment variable that holds the VRRP auth password (never the password). */
  authPasswordEnv?: string;
  /** Prefix length of the LB hosts' network, which holds the VIP (default 24). */
  subnetPrefix: number;
}

export interface KubeVipSettings {
  /** Interface the VIP is announced on (ARP). */
  interface: string;
  version: string;
}

export interface LoadBalancer {
  type: LoadBalancerType;
  /** `dedicated`: hosts with the `lb` role; `co-located`: the control-plane hosts. */
  placement: 'dedicated' | 'co-located';
  /** Port the proxy listens on; differs from the apiserver port when co-located. */
  frontendPort: number;
  /** Present iff the type is keepalived-haproxy or keepalived-nginx. */
  keepalived?: KeepalivedSettings;
  /** Present iff the type is kube-vip. */
  kubeVip?: KubeVipSettings;
  healthCheck: HealthCheck;
}

export interface Etcd {
  topology: EtcdTopology;
  /** Package version for external members; undefined = what the package source offers. */
  version?: string;
}

export interface Kubernetes {
  version: string;
  podSubnet: string;
  serviceSubnet: string;
  clusterDomain: string;
  certificates: {
    /** Validity of leaf certificates kubeadm issues, in days (kubeadm default 365). */
    validityDays: number;
    /** Renew when fewer days than this are left. */
    renewBeforeDays: number;
    /** Plans list certificates that expire within this many days. */
    warnWithinDays: number;
  };
  kubelet: {
    /** Run kubelet 1.35+ on cgroup v1 / hybrid hosts (failCgroupV1: false and the preflight skip). */
    allowCgroupV1: boolean;
  };
  upgrade: {
    /** Workers upgraded at the same time: a count, or a percentage (`10%`) of the workers. */
    maxUnavailable: number | string;
  };
}

export interface RegistryMirror {
  /** Registry being mirrored, e.g. docker.io. */
  registry: string;
  endpoints: string[];
}

export interface PrivateRegistry {
  /** host[:port] of the registry, e.g. harbor.corp.example:443. */
  host: string;
  caFile?: string;
  insecureSkipVerify: boolean;
  usernameEnv?: string;
  passwordEnv?: string;
}

export interface Containerd {
  version?: string;
  systemdCgroup: boolean;
  sandboxImage: string;
  registryMirrors: RegistryMirror[];
  privateRegistries: PrivateRegistry[];
}

export interface Cni {
  plugin: CniPlugin;
  version?: string;
  /** Local manifest file, required when plugin is `manifest`. */
  manifest?: string;
}

export interface AptSource {
  uri: string;
  suite: string;
  components: string[];
  /** Local path of the signing key; undefined with `trusted: true`. */
  keyFile?: string;
  trusted: boolean;
}

export interface DnfSource {
  name: string;
  baseurl: string;
  gpgkeyFile?: string;
  gpgcheck: boolean;
}

/** pkgs.k8s.io-style per-minor repositories. */
export interface KubernetesRepository {
  /** Root URL ending in `/` (default https://pkgs.k8s.io/). */
  baseUrl: string;
  /** Local path (expanded) of the ASCII-armored signing key; undefined: fetched by the host over HTTPS. */
  keyFile?: string;
}

export interface PackageSources {
  /** Replace the hosts' own sources (air-gapped) or add to them. */
  replaceDefaults: boolean;
  /** Local directory of a bundle made by `hactl bundle` (expanded path): its packages are served to the hosts. */
  bundle?: string;
  /** Used for the Kubernetes packages when the package manager's `kubernetes` list is empty (and no bundle). */
  kubernetesRepository: KubernetesRepository;
  apt: { os: AptSource[]; kubernetes: AptSource[] };
  dnf: { os: DnfSource[]; kubernetes: DnfSource[] };
}

export interface ClusterSpec {
  apiVersion: string;
  kind: 'Cluster';
  name: string;
  profile: Profile;
  ssh: SshSettings & { parallelism: number };
  hosts: Host[];
  controlPlaneEndpoint: ControlPlaneEndpoint;
  loadBalancer: LoadBalancer;
  etcd: Etcd;
  kubernetes: Kubernetes;
  containerd: Containerd;
  cni: Cni;
  packages: PackageSources;
}
