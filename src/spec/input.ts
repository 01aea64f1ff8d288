// The cluster spec as written in cluster.yaml, before defaults: every key the schema
// (schemas/cluster.schema.json) allows, optional where the schema does not require it.
// test/spec/types-schema.test.ts holds these interfaces and the schema together.

import type { CniPlugin, EtcdTopology, LoadBalancerType, Profile, Role, TaintEffect } from './types.js';

export interface BastionInput {
  address: string;
  port?: number;
  user?: string;
  privateKeyFile?: string;
}

export interface SshOverrideInput {
  user?: string;
  port?: number;
  privateKeyFile?: string;
  passphraseEnv?: string;
  knownHostsFile?: string;
  bastion?: BastionInput;
  sudo?: boolean;
  connectTimeoutSeconds?: number;
}

export interface SshInput extends SshOverrideInput {
  parallelism?: number;
}

export interface TaintInput {
  key: string;
  value?: string;
  effect: TaintEffect;
}

export interface HostInput {
  name: string;
  address: string;
  roles: Role[];
  labels?: Record<string, string>;
  taints?: TaintInput[];
  ssh?: SshOverrideInput;
}

export interface ControlPlaneEndpointInput {
  host?: string;
  port?: number;
  extraSANs?: string[];
}

export interface KeepalivedInput {
  virtualRouterId?: number;
  interface: string;
  priorities?: Record<string, number>;
  unicast?: boolean;
  authPasswordEnv?: string;
  subnetPrefix?: number;
}

export interface KubeVipInput {
  interface: string;
  version?: string;
}

export interface HealthCheckInput {
  intervalMs?: number;
  fall?: number;
  rise?: number;
}

export interface LoadBalancerInput {
  type?: LoadBalancerType;
  placement?: 'dedicated' | 'co-located';
  frontendPort?: number;
  keepalived?: KeepalivedInput;
  kubeVip?: KubeVipInput;
  healthCheck?: HealthCheckInput;
}

export interface EtcdInput {
  topology?: EtcdTopology;
  version?: string;
}

export interface KubernetesInput {
  version?: string;
  podSubnet?: string;
  serviceSubnet?: string;
  clusterDomain?: string;
  certificates?: { validityDays?: number; renewBeforeDays?: number; warnWithinDays?: number };
  kubelet?: { allowCgroupV1?: boolean };
  upgrade?: { maxUnavailable?: number | string };
}

export interface RegistryMirrorInput {
  registry: string;
  endpoints: string[];
}

export interface PrivateRegistryInput {
  host: string;
  caFile?: string;
  insecureSkipVerify?: boolean;
  usernameEnv?: string;
  passwordEnv?: string;
}

export interface ContainerdInput {
  version?: string;
  systemdCgroup?: boolean;
  sandboxImage?: string;
  registryMirrors?: RegistryMirrorInput[];
  privateRegistries?: PrivateRegistryInput[];
}

export interface CniInput {
  plugin?: CniPlugin;
  version?: string;
  manifest?: string;
}

export interface AptSourceInput {
  uri: string;
  suite: string;
  components?: string[];
  keyFile?: string;
  trusted?: boolean;
}

export interface DnfSourceInput {
  name: string;
  baseurl: string;
  gpgkeyFile?: string;
  gpgcheck?: boolean;
}

export interface PackageSourcesInput {
  replaceDefaults?: boolean;
  bundle?: string;
  kubernetesRepository?: { baseUrl?: string; keyFile?: string };
  apt?: { os?: AptSourceInput[]; kubernetes?: AptSourceInput[] };
  dnf?: { os?: DnfSourceInput[]; kubernetes?: DnfSourceInput[] };
}

export interface ClusterInput {
  apiVersion: string;
  kind: 'Cluster';
  metadata: { name: string };
  profile?: Profile;
  ssh?: SshInput;
  hosts: HostInput[];
  controlPlaneEndpoint?: ControlPlaneEndpointInput;
  loadBalancer?: LoadBalancerInput;
  etcd?: EtcdInput;
  kubernetes?: KubernetesInput;
  containerd?: ContainerdInput;
  cni?: CniInput;
  packages?: PackageSourcesInput;
}
