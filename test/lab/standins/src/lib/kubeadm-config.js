// kubeadm configuration files (kubeadm.k8s.io/v1beta3 and v1beta4): strict decoding, defaults.
import { parseAllDocs } from './yaml.js';

const any = '*';
const str = 'string',
  num = 'number',
  bool = 'boolean';
// v1beta3 takes extraArgs as a map, v1beta4 as a list of {name, value}.
const argsMap = { $map: str };
const argsList = { $list: { name: str, value: str } };
const envList = { $list: { name: str, value: str, valueFrom: any } };
const volumes = { $list: { name: str, hostPath: str, mountPath: str, readOnly: bool, pathType: str } };
const taint = { $list: { key: str, value: str, effect: str, timeAdded: str } };
const meta = { name: str, namespace: str, labels: any, annotations: any, creationTimestamp: any };

function nodeRegistration(b4) {
  return {
    name: str,
    criSocket: str,
    taints: taint,
    kubeletExtraArgs: b4 ? argsList : argsMap,
    ignorePreflightErrors: { $list: str },
    imagePullPolicy: str,
    ...(b4 ? { imagePullSerial: bool } : {}),
  };
}
const endpoint = { advertiseAddress: str, bindPort: num };
const bootstrapToken = { $list: { token: str, description: str, ttl: str, expires: str, usages: { $list: str }, groups: { $list: str } } };
const timeouts = {
  controlPlaneComponentHealthCheck: str,
  kubeletHealthCheck: str,
  kubernetesAPICall: str,
  etcdAPICall: str,
  tlsBootstrap: str,
  discovery: str,
  upgradeManifests: str,
};

function schemas(b4) {
  const args = b4 ? argsList : argsMap;
  const component = { extraArgs: args, extraVolumes: volumes, ...(b4 ? { extraEnvs: envList } : {}) };
  const head = { apiVersion: str, kind: str };
  return {
    InitConfiguration: {
      ...head,
      metadata: meta,
      bootstrapTokens: bootstrapToken,
      nodeRegistration: nodeRegistration(b4),
      localAPIEndpoint: endpoint,
      certificateKey: str,
      skipPhases: { $list: str },
      patches: { directory: str },
      ...(b4 ? { dryRun: bool, timeouts } : {}),
    },
    ClusterConfiguration: {
      ...head,
      metadata: meta,
      etcd: {
        local: {
          imageRepository: str,
          imageTag: str,
          dataDir: str,
          extraArgs: args,
          serverCertSANs: { $list: str },
          peerCertSANs: { $list: str },
          ...(b4 ? { extraEnvs: envList } : {}),
        },
        external: { endpoints: { $list: str }, caFile: str, certFile: str, keyFile: str },
      },
      networking: { serviceSubnet: str, podSubnet: str, dnsDomain: str },
      kubernetesVersion: str,
      controlPlaneEndpoint: str,
      apiServer: { ...component, certSANs: { $list: str }, ...(b4 ? {} : { timeoutForControlPlane: str }) },
      controllerManager: component,
      scheduler: component,
      dns: { imageRepository: str, imageTag: str, ...(b4 ? { disabled: bool } : {}) },
      ...(b4 ? { proxy: { disabled: bool }, encryptionAlgorithm: str, certificateValidityPeriod: str, caCertificateValidityPeriod: str } : {}),
      certificatesDir: str,
      imageRepository: str,
      featureGates: { $map: bool },
      clusterName: str,
    },
    JoinConfiguration: {
      ...head,
      metadata: meta,
      nodeRegistration: nodeRegistration(b4),
      caCertPath: str,
      discovery: {
        bootstrapToken: { token: str, apiServerEndpoint: str, caCertHashes: { $list: str }, unsafeSkipCAVerification: bool },
        file: { kubeConfigPath: str },
        tlsBootstrapToken: str,
        ...(b4 ? {} : { timeout: str }),
      },
      controlPlane: { localAPIEndpoint: endpoint, certificateKey: str },
      skipPhases: { $list: str },
      patches: { directory: str },
      ...(b4 ? { dryRun: bool, timeouts } : {}),
    },
    ...(b4
      ? {
          ResetConfiguration: {
            ...head,
            metadata: meta,
            cleanupTmpDir: bool,
            certificatesDir: str,
            criSocket: str,
            dryRun: bool,
            force: bool,
            ignorePreflightErrors: { $list: str },
            skipPhases: { $list: str },
            unmountFlags: { $list: str },
            timeouts,
          },
          // cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go: UpgradeApplyConfiguration, UpgradeNodeConfiguration,
          // UpgradePlanConfiguration, UpgradeDiffConfiguration.
          UpgradeConfiguration: {
            ...head,
            metadata: meta,
            timeouts,
            apply: {
              kubernetesVersion: str,
              allowExperimentalUpgrades: bool,
              allowRCUpgrades: bool,
              certificateRenewal: bool,
              dryRun: bool,
              etcdUpgrade: bool,
              forceUpgrade: bool,
              ignorePreflightErrors: { $list: str },
              patches: { directory: str },
              printConfig: bool,
              skipPhases: { $list: str },
              imagePullPolicy: str,
              imagePullSerial: bool,
            },
            node: {
              certificateRenewal: bool,
              dryRun: bool,
              etcdUpgrade: bool,
              ignorePreflightErrors: { $list: str },
              skipPhases: { $list: str },
              patches: { directory: str },
              imagePullPolicy: str,
              imagePullSerial: bool,
            },
            plan: {
              kubernetesVersion: str,
              allowExperimentalUpgrades: bool,
              allowRCUpgrades: bool,
              dryRun: bool,
              ignorePreflightErrors: { $list: str },
              printConfig: bool,
            },
            diff: { kubernetesVersion: str, contextLines: num },
          },
        }
      : {}),
  };
}

export class ConfigError extends Error {}

function check(value, schema, path, gvk) {
  if (schema === any || value === null || value === undefined) return;
  const fail = (m) => {
    throw new ConfigError(
      `error unmarshaling configuration schema.GroupVersionKind{Group:"kubeadm.k8s.io", Version:"${gvk.version}", Kind:"${gvk.kind}"}: ${m}`,
    );
  };
  if (typeof schema === 'string') {
    if (typeof value !== schema && !(schema === str && typeof value === 'number'))
      fail(`json: cannot unmarshal ${typeof value} into Go struct field ${path} of type ${schema}`);
    return;
  }
  if (schema.$list) {
    if (!Array.isArray(value)) fail(`json: cannot unmarshal ${typeof value} into Go struct field ${path} of type []`);
    value.forEach((v, i) => check(v, schema.$list, `${path}[${i}]`, gvk));
    return;
  }
  if (schema.$map) {
    if (typeof value !== 'object' || Array.isArray(value))
      fail(`json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go struct field ${path} of type map[string]${schema.$map}`);
    for (const [k, v] of Object.entries(value)) check(v, schema.$map, `${path}.${k}`, gvk);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value))
    fail(`json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go struct field ${path} of type object`);
  for (const [k, v] of Object.entries(value)) {
    if (!(k in schema)) fail(`strict decoding error: unknown field "${path ? path + '.' : ''}${k}"`);
    check(v, schema[k], path ? `${path}.${k}` : k, gvk);
  }
}

// The versions of the config API each kubeadm minor reads: v1beta4 arrived in 1.31 (v1beta3 then
// deprecated, with a warning) and v1beta3 was removed in 1.36 (kubernetes#136016), after which it
// is an "old API spec" naming the last kubeadm that read it (validateSupportedVersion in
// cmd/kubeadm/app/util/config/common.go).
export function supportedApiVersions(minor) {
  if (minor >= 36) return ['kubeadm.k8s.io/v1beta4'];
  return minor >= 31 ? ['kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta4'] : ['kubeadm.k8s.io/v1beta3'];
}
const OLD_API_VERSIONS = { 'kubeadm.k8s.io/v1beta1': 'v1.15', 'kubeadm.k8s.io/v1beta2': 'v1.22', 'kubeadm.k8s.io/v1beta3': 'v1.35' };
const MIGRATE =
  "Please use 'kubeadm config migrate --old-config old.yaml --new-config new.yaml', which will write the new, similar spec using a newer API version.";

function checkApiVersion(doc, minor, warnings) {
  const allowed = supportedApiVersions(minor);
  const gv = doc.apiVersion;
  const old = OLD_API_VERSIONS[gv];
  if (old && !allowed.includes(gv)) {
    throw new ConfigError(
      `your configuration file uses an old API spec: "${gv}" (kind: "${doc.kind}"). Please use kubeadm ${old} instead and run 'kubeadm config migrate --old-config old.yaml --new-config new.yaml', which will write the new, similar spec using a newer API version.`,
    );
  }
  if (!allowed.includes(gv))
    throw new ConfigError(
      `no kind "${doc.kind}" is registered for version "${gv}" in scheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"`,
    );
  if (gv === 'kubeadm.k8s.io/v1beta3' && minor >= 31) {
    warnings.push(`W1207 00:00:00.000000       1 common.go:101] your configuration file uses a deprecated API spec: "${gv}" (kind: "${doc.kind}"). ${MIGRATE}`);
  }
}

// Returns {InitConfiguration?, ClusterConfiguration?, JoinConfiguration?, KubeletConfiguration?, ..., apiVersion}.
export function loadConfig(text, minor) {
  const out = { warnings: [] };
  for (const doc of parseAllDocs(text)) {
    if (!doc.apiVersion || !doc.kind) throw new ConfigError(`Object 'Kind' is missing in '${JSON.stringify(doc).slice(0, 80)}'`);
    const [group, version] = doc.apiVersion.split('/');
    if (group === 'kubeadm.k8s.io') {
      checkApiVersion(doc, minor, out.warnings);
      const sch = schemas(version === 'v1beta4')[doc.kind];
      if (!sch)
        throw new ConfigError(
          `no kind "${doc.kind}" is registered for version "${doc.apiVersion}" in scheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"`,
        );
      check(doc, sch, '', { version, kind: doc.kind });
      if (out[doc.kind]) throw new ConfigError(`duplicate ${doc.kind} document`);
      out[doc.kind] = normalise(doc, version);
      out.apiVersion = doc.apiVersion;
    } else if (doc.kind === 'KubeletConfiguration' && doc.apiVersion === 'kubelet.config.k8s.io/v1beta1') out.KubeletConfiguration = doc;
    else if (doc.kind === 'KubeProxyConfiguration' && doc.apiVersion === 'kubeproxy.config.k8s.io/v1alpha1') out.KubeProxyConfiguration = doc;
    else out.warnings.push(`[config] WARNING: Ignored configuration document with GroupVersionKind ${doc.apiVersion}, Kind=${doc.kind}`);
  }
  return out;
}

// Internal form: extraArgs always as a map.
function normalise(doc, version) {
  const toMap = (a) => (Array.isArray(a) ? Object.fromEntries(a.map((x) => [x.name, x.value])) : a || {});
  const d = structuredClone(doc);
  for (const c of [d.apiServer, d.controllerManager, d.scheduler, d.etcd?.local]) if (c) c.extraArgs = toMap(c.extraArgs);
  if (d.nodeRegistration) d.nodeRegistration.kubeletExtraArgs = toMap(d.nodeRegistration.kubeletExtraArgs);
  d._version = version;
  return d;
}

export function clusterDefaults(cc = {}, ownVersion) {
  return {
    kubernetesVersion: cc.kubernetesVersion || ownVersion,
    controlPlaneEndpoint: cc.controlPlaneEndpoint || '',
    certificatesDir: cc.certificatesDir || '/etc/kubernetes/pki',
    imageRepository: cc.imageRepository || 'registry.k8s.io',
    clusterName: cc.clusterName || 'kubernetes',
    networking: { serviceSubnet: '10.96.0.0/12', dnsDomain: 'cluster.local', ...(cc.networking || {}) },
    etcd: cc.etcd?.external
      ? { external: cc.etcd.external }
      : { local: { dataDir: '/var/lib/etcd', extraArgs: {}, serverCertSANs: [], peerCertSANs: [], ...(cc.etcd?.local || {}) } },
    apiServer: { extraArgs: {}, certSANs: [], ...(cc.apiServer || {}) },
    controllerManager: { extraArgs: {}, ...(cc.controllerManager || {}) },
    scheduler: { extraArgs: {}, ...(cc.scheduler || {}) },
    dns: cc.dns || {},
    featureGates: cc.featureGates || {},
  };
}

// The ClusterConfiguration as kubeadm stores it in the kubeadm-config ConfigMap (v1beta3 wire form until 1.31's v1beta4).
export function clusterConfigDoc(cc, minor) {
  const b4 = minor >= 31;
  const args = (m) => (b4 ? Object.entries(m || {}).map(([name, value]) => ({ name, value: String(value) })) : m || {});
  const out = {
    apiServer: { ...(cc.apiServer.certSANs?.length ? { certSANs: cc.apiServer.certSANs } : {}), extraArgs: args(cc.apiServer.extraArgs) },
    apiVersion: b4 ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3',
    certificatesDir: cc.certificatesDir,
    clusterName: cc.clusterName,
    controlPlaneEndpoint: cc.controlPlaneEndpoint,
    controllerManager: { extraArgs: args(cc.controllerManager.extraArgs) },
    dns: {},
    etcd: cc.etcd.external ? { external: cc.etcd.external } : { local: { dataDir: cc.etcd.local.dataDir, extraArgs: args(cc.etcd.local.extraArgs) } },
    imageRepository: cc.imageRepository,
    kind: 'ClusterConfiguration',
    kubernetesVersion: cc.kubernetesVersion,
    networking: cc.networking,
    scheduler: { extraArgs: args(cc.scheduler.extraArgs) },
  };
  if (!b4) out.apiServer.timeoutForControlPlane = '4m0s';
  return out;
}
