// The API types the stand-in serves a schema for, as data: each type's fields, and for list
// fields upstream's patch tags (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`)
// and list types (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`), copied from
// kubernetes/kubernetes api/openapi-spec/v3. One source for three uses: the OpenAPI v3 component
// schemas (kubectl explain, kubectl's strategic-merge-patch computation), the strategic merge
// patch the apiserver applies, and unknown-field detection (fieldValidation).
//
// Field kinds: 'string' | 'integer' | 'boolean' | 'time' | 'int-or-string' | 'map' (string to
// string) | 'any' (an object modelled no deeper: every field accepted) | a type name of TYPES.
// A list is [element kind, tags]; a field with tags that is no list is { of, ...tags }. A type with `open: true` accepts fields it does not list
// (the status types, which only controllers write: their lists with merge keys are listed).

const MERGE = (key, keys = [key]) => ({ strategy: 'merge', key, listType: 'map', keys });
const SET = { strategy: 'merge', listType: 'set' };
const ATOMIC = { listType: 'atomic' };

const OBJECT = (kind, spec, status, extra = {}) => ({
  gvk: kind,
  props: { apiVersion: 'string', kind: 'string', metadata: 'meta.v1.ObjectMeta', ...(spec ? { spec } : {}), ...(status ? { status } : {}), ...extra },
});
const STATUS = (props = {}) => ({ open: true, props: { conditions: ['any', MERGE('type')], ...props } });

export const TYPES = {
  'meta.v1.ObjectMeta': {
    props: {
      name: 'string',
      generateName: 'string',
      namespace: 'string',
      selfLink: 'string',
      uid: 'string',
      resourceVersion: 'string',
      generation: 'integer',
      creationTimestamp: 'time',
      deletionTimestamp: 'time',
      deletionGracePeriodSeconds: 'integer',
      labels: 'map',
      annotations: 'map',
      ownerReferences: ['meta.v1.OwnerReference', MERGE('uid')],
      finalizers: ['string', SET],
      managedFields: ['any', ATOMIC],
    },
  },
  'meta.v1.OwnerReference': {
    props: { apiVersion: 'string', kind: 'string', name: 'string', uid: 'string', controller: 'boolean', blockOwnerDeletion: 'boolean' },
  },
  // What the stand-in knows of a kind it has no schema for: its metadata (strategic merge patch).
  'meta.v1.PartialObjectMetadata': { open: true, props: { apiVersion: 'string', kind: 'string', metadata: 'meta.v1.ObjectMeta' } },
  'meta.v1.LabelSelector': { props: { matchLabels: 'map', matchExpressions: ['any', ATOMIC] } },

  // ---- core/v1 ----
  'core.v1.Namespace': OBJECT(['', 'v1', 'Namespace'], 'core.v1.NamespaceSpec', 'core.v1.NamespaceStatus'),
  'core.v1.NamespaceSpec': { props: { finalizers: ['string', ATOMIC] } },
  'core.v1.NamespaceStatus': STATUS({ phase: 'string' }),
  'core.v1.Node': OBJECT(['', 'v1', 'Node'], 'core.v1.NodeSpec', 'core.v1.NodeStatus'),
  'core.v1.NodeSpec': {
    props: {
      podCIDR: 'string',
      podCIDRs: ['string', SET],
      providerID: 'string',
      unschedulable: 'boolean',
      taints: ['core.v1.Taint', ATOMIC],
      configSource: 'any',
      externalID: 'string',
    },
  },
  'core.v1.Taint': { props: { key: 'string', value: 'string', effect: 'string', timeAdded: 'time' } },
  'core.v1.NodeStatus': STATUS({ addresses: ['any', { strategy: 'merge', key: 'type', listType: 'atomic' }] }),
  'core.v1.Pod': OBJECT(['', 'v1', 'Pod'], 'core.v1.PodSpec', 'core.v1.PodStatus'),
  'core.v1.PodStatus': STATUS(),
  'core.v1.PodTemplateSpec': { props: { metadata: 'meta.v1.ObjectMeta', spec: 'core.v1.PodSpec' } },
  'core.v1.PodSpec': {
    props: {
      volumes: ['core.v1.Volume', { strategy: 'merge,retainKeys', key: 'name', listType: 'map', keys: ['name'] }],
      initContainers: ['core.v1.Container', MERGE('name')],
      containers: ['core.v1.Container', MERGE('name')],
      ephemeralContainers: ['any', MERGE('name')],
      restartPolicy: 'string',
      terminationGracePeriodSeconds: 'integer',
      activeDeadlineSeconds: 'integer',
      dnsPolicy: 'string',
      nodeSelector: 'map',
      serviceAccountName: 'string',
      serviceAccount: 'string',
      automountServiceAccountToken: 'boolean',
      nodeName: 'string',
      hostNetwork: 'boolean',
      hostPID: 'boolean',
      hostIPC: 'boolean',
      shareProcessNamespace: 'boolean',
      securityContext: 'any',
      imagePullSecrets: ['any', MERGE('name')],
      hostname: 'string',
      hostnameOverride: 'string',
      subdomain: 'string',
      affinity: 'any',
      schedulerName: 'string',
      tolerations: ['any', ATOMIC],
      hostAliases: ['any', MERGE('ip')],
      priorityClassName: 'string',
      priority: 'integer',
      dnsConfig: 'any',
      readinessGates: ['any', ATOMIC],
      runtimeClassName: 'string',
      enableServiceLinks: 'boolean',
      preemptionPolicy: 'string',
      overhead: 'any',
      topologySpreadConstraints: ['any', MERGE('topologyKey', ['topologyKey', 'whenUnsatisfiable'])],
      setHostnameAsFQDN: 'boolean',
      os: 'any',
      hostUsers: 'boolean',
      schedulingGates: ['any', MERGE('name')],
      resourceClaims: ['any', { strategy: 'merge,retainKeys', key: 'name', listType: 'map', keys: ['name'] }],
      resources: 'any',
    },
  },
  'core.v1.Container': {
    props: {
      name: 'string',
      image: 'string',
      command: ['string', ATOMIC],
      args: ['string', ATOMIC],
      workingDir: 'string',
      ports: ['core.v1.ContainerPort', MERGE('containerPort', ['containerPort', 'protocol'])],
      envFrom: ['any', ATOMIC],
      env: ['core.v1.EnvVar', MERGE('name')],
      resources: 'any',
      resizePolicy: ['any', ATOMIC],
      restartPolicy: 'string',
      restartPolicyRules: ['any', ATOMIC],
      volumeMounts: ['core.v1.VolumeMount', MERGE('mountPath')],
      volumeDevices: ['any', MERGE('devicePath')],
      livenessProbe: 'any',
      readinessProbe: 'any',
      startupProbe: 'any',
      lifecycle: 'any',
      terminationMessagePath: 'string',
      terminationMessagePolicy: 'string',
      imagePullPolicy: 'string',
      securityContext: 'any',
      stdin: 'boolean',
      stdinOnce: 'boolean',
      tty: 'boolean',
    },
  },
  'core.v1.ContainerPort': { props: { name: 'string', hostPort: 'integer', containerPort: 'integer', protocol: 'string', hostIP: 'string' } },
  'core.v1.EnvVar': { props: { name: 'string', value: 'string', valueFrom: 'any' } },
  'core.v1.VolumeMount': {
    props: {
      name: 'string',
      readOnly: 'boolean',
      recursiveReadOnly: 'string',
      mountPath: 'string',
      subPath: 'string',
      mountPropagation: 'string',
      subPathExpr: 'string',
    },
  },
  'core.v1.Volume': {
    props: {
      name: 'string',
      ...Object.fromEntries(
        [
          'hostPath',
          'emptyDir',
          'gcePersistentDisk',
          'awsElasticBlockStore',
          'gitRepo',
          'secret',
          'nfs',
          'iscsi',
          'glusterfs',
          'persistentVolumeClaim',
          'rbd',
          'flexVolume',
          'cinder',
          'cephfs',
          'flocker',
          'downwardAPI',
          'fc',
          'azureFile',
          'configMap',
          'vsphereVolume',
          'quobyte',
          'azureDisk',
          'photonPersistentDisk',
          'projected',
          'portworxVolume',
          'scaleIO',
          'storageos',
          'csi',
          'ephemeral',
          'image',
        ].map((k) => [k, 'any']),
      ),
    },
  },
  'core.v1.ConfigMap': OBJECT(['', 'v1', 'ConfigMap'], undefined, undefined, { data: 'map', binaryData: 'map', immutable: 'boolean' }),
  'core.v1.Secret': OBJECT(['', 'v1', 'Secret'], undefined, undefined, { data: 'map', stringData: 'map', type: 'string', immutable: 'boolean' }),
  'core.v1.Service': OBJECT(['', 'v1', 'Service'], 'core.v1.ServiceSpec', 'core.v1.ServiceStatus'),
  'core.v1.ServiceSpec': {
    props: {
      ports: ['core.v1.ServicePort', MERGE('port', ['port', 'protocol'])],
      selector: 'map',
      clusterIP: 'string',
      clusterIPs: ['string', ATOMIC],
      type: 'string',
      externalIPs: ['string', ATOMIC],
      sessionAffinity: 'string',
      loadBalancerIP: 'string',
      loadBalancerSourceRanges: ['string', ATOMIC],
      externalName: 'string',
      externalTrafficPolicy: 'string',
      healthCheckNodePort: 'integer',
      publishNotReadyAddresses: 'boolean',
      sessionAffinityConfig: 'any',
      ipFamilies: ['string', ATOMIC],
      ipFamilyPolicy: 'string',
      allocateLoadBalancerNodePorts: 'boolean',
      loadBalancerClass: 'string',
      internalTrafficPolicy: 'string',
      trafficDistribution: 'string',
    },
  },
  'core.v1.ServicePort': {
    props: { name: 'string', protocol: 'string', appProtocol: 'string', port: 'integer', targetPort: 'int-or-string', nodePort: 'integer' },
  },
  'core.v1.ServiceStatus': STATUS(),
  'core.v1.ServiceAccount': OBJECT(['', 'v1', 'ServiceAccount'], undefined, undefined, {
    secrets: ['any', MERGE('name')],
    imagePullSecrets: ['any', ATOMIC],
    automountServiceAccountToken: 'boolean',
  }),

  // ---- apps/v1 ----
  'apps.v1.Deployment': OBJECT(['apps', 'v1', 'Deployment'], 'apps.v1.DeploymentSpec', 'apps.v1.DeploymentStatus'),
  'apps.v1.DeploymentSpec': {
    props: {
      replicas: 'integer',
      selector: 'meta.v1.LabelSelector',
      template: 'core.v1.PodTemplateSpec',
      strategy: { of: 'apps.v1.DeploymentStrategy', strategy: 'retainKeys' },
      minReadySeconds: 'integer',
      revisionHistoryLimit: 'integer',
      paused: 'boolean',
      progressDeadlineSeconds: 'integer',
    },
  },
  'apps.v1.DeploymentStrategy': { props: { type: 'string', rollingUpdate: 'any' } },
  'apps.v1.DeploymentStatus': STATUS(),
  'apps.v1.DaemonSet': OBJECT(['apps', 'v1', 'DaemonSet'], 'apps.v1.DaemonSetSpec', 'apps.v1.DaemonSetStatus'),
  'apps.v1.DaemonSetSpec': {
    props: {
      selector: 'meta.v1.LabelSelector',
      template: 'core.v1.PodTemplateSpec',
      updateStrategy: 'apps.v1.DaemonSetUpdateStrategy',
      minReadySeconds: 'integer',
      revisionHistoryLimit: 'integer',
    },
  },
  'apps.v1.DaemonSetUpdateStrategy': { props: { type: 'string', rollingUpdate: 'any' } },
  'apps.v1.DaemonSetStatus': STATUS(),

  // ---- others ----
  'coordination.v1.Lease': OBJECT(['coordination.k8s.io', 'v1', 'Lease'], 'coordination.v1.LeaseSpec'),
  'coordination.v1.LeaseSpec': {
    props: {
      holderIdentity: 'string',
      leaseDurationSeconds: 'integer',
      acquireTime: 'time',
      renewTime: 'time',
      leaseTransitions: 'integer',
      strategy: 'string',
      preferredHolder: 'string',
    },
  },
  'policy.v1.Eviction': OBJECT(['policy', 'v1', 'Eviction'], undefined, undefined, { deleteOptions: 'any' }),
  'authorization.v1.SelfSubjectAccessReview': OBJECT(['authorization.k8s.io', 'v1', 'SelfSubjectAccessReview'], 'any', 'any'),
};

// A few descriptions, for `kubectl explain` (upstream's texts).
export const DESCRIPTIONS = {
  'apps.v1.Deployment': 'Deployment enables declarative updates for Pods and ReplicaSets.',
  'apps.v1.DeploymentSpec.replicas': 'Number of desired pods. This is a pointer to distinguish between explicit zero and not specified. Defaults to 1.',
  'apps.v1.DaemonSet': 'DaemonSet represents the configuration of a daemon set.',
  'core.v1.Pod': 'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.',
  'core.v1.Node': 'Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).',
  'core.v1.Namespace': 'Namespace provides a scope for Names. Use of multiple namespaces is optional.',
  'core.v1.ConfigMap': 'ConfigMap holds configuration data for pods to consume.',
  'coordination.v1.Lease': 'Lease defines a lease concept.',
};

/** Upstream's component name of a type (`io.k8s.api.apps.v1.Deployment`). */
export function componentName(type) {
  return type.startsWith('meta.') ? `io.k8s.apimachinery.pkg.apis.${type}` : `io.k8s.api.${type}`;
}

/** The type name of a served kind, or undefined when the stand-in has no schema for it. */
export function typeOfKind(group, version, kind) {
  return Object.keys(TYPES).find((t) => {
    const g = TYPES[t].gvk;
    return g && g[0] === group && g[1] === version && g[2] === kind;
  });
}

/** A field's kind and tags: `{ of, list, tags }` (`of` a scalar kind or a type name). */
export function fieldOf(type, name) {
  const t = TYPES[type];
  const f = t?.props[name];
  if (f === undefined) return undefined;
  if (Array.isArray(f)) return { of: f[0], list: true, tags: f[1] };
  if (typeof f === 'object') {
    const { of, ...tags } = f;
    return { of, list: false, tags };
  }
  return { of: f, list: false, tags: {} };
}

/**
 * The fields of `obj` its type does not declare, as upstream's strict decoding names them
 * (`spec.template.spec.containers[0].imagee`), in document order.
 */
export function unknownFields(type, obj, path = '') {
  const t = TYPES[type];
  if (!t || obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [];
  const out = [];
  for (const [k, v] of Object.entries(obj)) {
    const at = path ? `${path}.${k}` : k;
    const f = fieldOf(type, k);
    if (!f) {
      if (!t.open) out.push(at);
      continue;
    }
    if (!TYPES[f.of]) continue;
    if (f.list && Array.isArray(v)) v.forEach((x, i) => out.push(...unknownFields(f.of, x, `${at}[${i}]`)));
    else if (!f.list) out.push(...unknownFields(f.of, v, at));
  }
  return out;
}

/** `obj` without the fields `unknownFields` names (what upstream's decoding into a Go type drops). */
export function pruneUnknown(type, obj) {
  const t = TYPES[type];
  if (!t || obj === null || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    const f = fieldOf(type, k);
    if (!f) {
      if (t.open) out[k] = v;
      continue;
    }
    if (!TYPES[f.of]) out[k] = v;
    else if (f.list && Array.isArray(v)) out[k] = v.map((x) => pruneUnknown(f.of, x));
    else out[k] = f.list ? v : pruneUnknown(f.of, v);
  }
  return out;
}
