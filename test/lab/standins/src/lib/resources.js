// The API resources the stand-in serves, and their storage keys in etcd.

// What discovery says of each resource besides its name (upstream's short names, categories and
// verbs; `ephemeral`: created and answered, never stored).
const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const DISCOVERY = {
  namespaces: { shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: ['status', 'finalize'] },
  nodes: { shortNames: ['no'], subresources: ['status'] },
  pods: { shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding', 'eviction'] },
  services: {
    shortNames: ['svc'],
    categories: ['all'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
  },
  endpoints: { shortNames: ['ep'] },
  configmaps: { shortNames: ['cm'] },
  secrets: {},
  serviceaccounts: { shortNames: ['sa'] },
  events: { shortNames: ['ev'] },
  daemonsets: { shortNames: ['ds'], categories: ['all'], subresources: ['status'] },
  deployments: { shortNames: ['deploy'], categories: ['all'], subresources: ['status'] },
  leases: {},
  certificatesigningrequests: { shortNames: ['csr'], subresources: ['status', 'approval'] },
  clusterroles: {},
  clusterrolebindings: {},
  roles: {},
  rolebindings: {},
  selfsubjectaccessreviews: { verbs: ['create'], ephemeral: true },
};
for (const d of Object.values(DISCOVERY)) {
  d.verbs ||= ALL_VERBS;
  d.shortNames ||= [];
  d.categories ||= [];
  d.subresources ||= [];
}
export const RESOURCES = [
  // group, version, resource, kind, namespaced, has status subresource
  ['', 'v1', 'namespaces', 'Namespace', false, true],
  ['', 'v1', 'nodes', 'Node', false, true],
  ['', 'v1', 'pods', 'Pod', true, true],
  ['', 'v1', 'services', 'Service', true, true],
  ['', 'v1', 'endpoints', 'Endpoints', true, false],
  ['', 'v1', 'configmaps', 'ConfigMap', true, false],
  ['', 'v1', 'secrets', 'Secret', true, false],
  ['', 'v1', 'serviceaccounts', 'ServiceAccount', true, false],
  ['', 'v1', 'events', 'Event', true, false],
  ['apps', 'v1', 'daemonsets', 'DaemonSet', true, true],
  ['apps', 'v1', 'deployments', 'Deployment', true, true],
  ['coordination.k8s.io', 'v1', 'leases', 'Lease', true, false],
  ['certificates.k8s.io', 'v1', 'certificatesigningrequests', 'CertificateSigningRequest', false, true],
  ['rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false, false],
  ['rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false, false],
  ['rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true, false],
  ['rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true, false],
  // Not stored: answered at once (create only), as upstream's review APIs.
  ['authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, false],
].map(([group, version, resource, kind, namespaced, status]) => ({
  group,
  version,
  resource,
  kind,
  namespaced,
  status,
  apiVersion: group ? `${group}/${version}` : version,
  base: group ? `/apis/${group}/${version}` : `/api/${version}`,
  ...DISCOVERY[resource],
}));

// kubectl's short names and singular forms.
const ALIASES = {
  no: 'nodes',
  node: 'nodes',
  ns: 'namespaces',
  namespace: 'namespaces',
  po: 'pods',
  pod: 'pods',
  svc: 'services',
  service: 'services',
  ep: 'endpoints',
  cm: 'configmaps',
  configmap: 'configmaps',
  secret: 'secrets',
  sa: 'serviceaccounts',
  serviceaccount: 'serviceaccounts',
  ev: 'events',
  event: 'events',
  ds: 'daemonsets',
  daemonset: 'daemonsets',
  deploy: 'deployments',
  deployment: 'deployments',
  lease: 'leases',
  csr: 'certificatesigningrequests',
  certificatesigningrequest: 'certificatesigningrequests',
  clusterrole: 'clusterroles',
  clusterrolebinding: 'clusterrolebindings',
  role: 'roles',
  rolebinding: 'rolebindings',
};

export function byName(name) {
  const n = String(name).toLowerCase().split('.')[0];
  const r = ALIASES[n] || n;
  return RESOURCES.find((x) => x.resource === r);
}
export function byKind(apiVersion, kind) {
  return RESOURCES.find((x) => x.kind === kind && x.apiVersion === apiVersion);
}
export function collectionPath(res, ns) {
  return res.namespaced ? `${res.base}/namespaces/${ns}/${res.resource}` : `${res.base}/${res.resource}`;
}
export function storageKey(res, ns, name) {
  return res.namespaced ? `/registry/${res.resource}/${ns}/${name}` : `/registry/${res.resource}/${name}`;
}
