// Server-side Table output (meta.k8s.io/v1 Table) for `kubectl get`: the columns of upstream's
// printers for the resources the lab uses (pkg/printers/internalversion), priority 1 for the
// `-o wide` ones, and upstream's default (Name, Created At) for the rest.

/** upstream's duration.HumanDuration: 42s, 5m3s, 17m, 2h5m, 30h, 3d4h, 120d, 2y30d, 9y. */
export function humanDuration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(s / 3600);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  const y = Math.floor(d / 365);
  if (y < 2) return `${d}d`;
  if (y < 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

const age = (o, now) => (o.metadata?.creationTimestamp ? humanDuration(now - Date.parse(o.metadata.creationTimestamp)) : '<unknown>');
const none = (v) => (v === undefined || v === null || v === '' ? '<none>' : v);
const col = (name, type = 'string', priority = 0, format = '') => ({ name, type, format, description: '', priority });
const NAME = col('Name', 'string', 0, 'name');
const AGE = col('Age');

function nodeStatus(n) {
  const ready = (n.status?.conditions || []).find((c) => c.type === 'Ready');
  const s = [ready ? (ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown') : 'Unknown'];
  if (n.spec?.unschedulable) s.push('SchedulingDisabled');
  return s.join(',');
}
function nodeRoles(n) {
  const roles = Object.keys(n.metadata?.labels || {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean);
  if (n.metadata?.labels?.['kubernetes.io/role']) roles.push(n.metadata.labels['kubernetes.io/role']);
  return roles.length ? roles.sort().join(',') : '<none>';
}
const address = (n, type) => none((n.status?.addresses || []).find((a) => a.type === type)?.address);
function podStatus(p) {
  if (p.metadata?.deletionTimestamp) return 'Terminating';
  let reason = p.status?.reason || p.status?.phase || 'Unknown';
  for (const c of p.status?.containerStatuses || []) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
  }
  return reason;
}
const containers = (spec) => (spec?.containers || []).map((c) => c.name).join(',');
const images = (spec) => (spec?.containers || []).map((c) => c.image).join(',');
const selector = (sel) =>
  sel?.matchLabels || sel?.matchExpressions
    ? Object.entries(sel.matchLabels || {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>'
    : '<none>';
const ports = (svc) => (svc.spec?.ports || []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol || 'TCP'}`).join(',') || '<none>';

// resource → [columns, row(obj, now)]
const PRINTERS = {
  nodes: [
    [
      NAME,
      col('Status'),
      col('Roles'),
      AGE,
      col('Version'),
      col('Internal-IP', 'string', 1),
      col('External-IP', 'string', 1),
      col('OS-Image', 'string', 1),
      col('Kernel-Version', 'string', 1),
      col('Container-Runtime', 'string', 1),
    ],
    (n, now) => [
      n.metadata.name,
      nodeStatus(n),
      nodeRoles(n),
      age(n, now),
      n.status?.nodeInfo?.kubeletVersion ?? '',
      address(n, 'InternalIP'),
      address(n, 'ExternalIP'),
      none(n.status?.nodeInfo?.osImage),
      none(n.status?.nodeInfo?.kernelVersion),
      none(n.status?.nodeInfo?.containerRuntimeVersion),
    ],
  ],
  pods: [
    [
      NAME,
      col('Ready'),
      col('Status'),
      col('Restarts', 'string'),
      AGE,
      col('IP', 'string', 1),
      col('Node', 'string', 1),
      col('Nominated Node', 'string', 1),
      col('Readiness Gates', 'string', 1),
    ],
    (p, now) => {
      const cs = p.status?.containerStatuses || [];
      return [
        p.metadata.name,
        `${cs.filter((c) => c.ready).length}/${(p.spec?.containers || []).length}`,
        podStatus(p),
        String(cs.reduce((n, c) => n + (c.restartCount || 0), 0)),
        age(p, now),
        none(p.status?.podIP),
        none(p.spec?.nodeName),
        none(p.status?.nominatedNodeName),
        '<none>',
      ];
    },
  ],
  namespaces: [[NAME, col('Status'), AGE], (n, now) => [n.metadata.name, n.status?.phase ?? 'Active', age(n, now)]],
  leases: [[NAME, col('Holder'), AGE], (l, now) => [l.metadata.name, l.spec?.holderIdentity ?? '', age(l, now)]],
  deployments: [
    [
      NAME,
      col('Ready'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    (d, now) => [
      d.metadata.name,
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      age(d, now),
      containers(d.spec?.template?.spec),
      images(d.spec?.template?.spec),
      selector(d.spec?.selector),
    ],
  ],
  daemonsets: [
    [
      NAME,
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Node Selector'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    (d, now) => [
      d.metadata.name,
      d.status?.desiredNumberScheduled ?? 0,
      d.status?.currentNumberScheduled ?? 0,
      d.status?.numberReady ?? 0,
      d.status?.updatedNumberScheduled ?? 0,
      d.status?.numberAvailable ?? 0,
      Object.entries(d.spec?.template?.spec?.nodeSelector || {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>',
      age(d, now),
      containers(d.spec?.template?.spec),
      images(d.spec?.template?.spec),
      selector(d.spec?.selector),
    ],
  ],
  services: [
    [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 'string', 1)],
    (s, now) => [
      s.metadata.name,
      s.spec?.type ?? 'ClusterIP',
      none(s.spec?.clusterIP),
      (s.spec?.externalIPs || []).join(',') || '<none>',
      ports(s),
      age(s, now),
      Object.entries(s.spec?.selector || {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>',
    ],
  ],
  configmaps: [
    [NAME, col('Data', 'integer'), AGE],
    (c, now) => [c.metadata.name, Object.keys(c.data || {}).length + Object.keys(c.binaryData || {}).length, age(c, now)],
  ],
  secrets: [[NAME, col('Type'), col('Data', 'integer'), AGE], (s, now) => [s.metadata.name, s.type ?? 'Opaque', Object.keys(s.data || {}).length, age(s, now)]],
  serviceaccounts: [[NAME, col('Secrets', 'integer'), AGE], (s, now) => [s.metadata.name, (s.secrets || []).length, age(s, now)]],
  certificatesigningrequests: [
    [NAME, AGE, col('SignerName'), col('Requestor'), col('RequestedDuration'), col('Condition')],
    (c, now) => [
      c.metadata.name,
      age(c, now),
      c.spec?.signerName ?? '',
      c.spec?.username ?? '',
      '<none>',
      (c.status?.conditions || []).map((x) => x.type).join(',') + (c.status?.certificate ? ',Issued' : '') || 'Pending',
    ],
  ],
};
const DEFAULT = [[NAME, col('Created At', 'date')], (o) => [o.metadata.name, o.metadata.creationTimestamp ?? '']];

function partial(o) {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/**
 * The Table for `objects` of resource `res` (a list, or one object for a named get);
 * `includeObject` as the query parameter: None, Metadata (default) or Object.
 */
export function toTable(res, objects, { resourceVersion, includeObject = 'Metadata', apiVersion = 'meta.k8s.io/v1', now = Date.now() } = {}) {
  const [columns, row] = PRINTERS[res.resource] ?? DEFAULT;
  return {
    kind: 'Table',
    apiVersion,
    metadata: resourceVersion ? { resourceVersion } : {},
    columnDefinitions: columns,
    rows: objects.map((o) => ({
      cells: row(o, now),
      ...(includeObject === 'None' ? {} : { object: includeObject === 'Object' ? o : partial(o) }),
    })),
  };
}

/** The Table version an Accept header asks for (`v1`, `v1beta1`), or undefined for plain JSON. */
export function wantsTable(accept) {
  for (const part of String(accept ?? '').split(',')) {
    const t = part.trim().replace(/\s+/g, '');
    if (/(^|;)as=Table(;|$)/.test(t) && /(^|;)g=meta\.k8s\.io(;|$)/.test(t)) {
      const v = /(^|;)v=(v1|v1beta1)(;|$)/.exec(t)?.[2];
      if (v) return v;
    }
    if (/^application\/json$|^\*\/\*$/.test(t)) return undefined;
  }
  return undefined;
}
