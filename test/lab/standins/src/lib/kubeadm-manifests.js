// Static pod manifests as kubeadm writes them (flags sorted, extraArgs override the defaults).

function withExtra(defaults, extra) {
  const m = { ...defaults, ...(extra || {}) };
  return Object.keys(m)
    .sort()
    .map((k) => `--${k}=${m[k]}`);
}
function hostPath(name, path, type, readOnly) {
  return { vol: { name, hostPath: { path, type } }, mount: { name, mountPath: path, ...(readOnly ? { readOnly: true } : {}) } };
}
function pod(name, image, command, { annotations = {}, vols = [], probePort, probeHost, probeScheme = 'HTTPS', probePath = '/livez' } = {}) {
  const probe = (path, fail) => ({
    failureThreshold: fail,
    httpGet: { host: probeHost, path, port: probePort, scheme: probeScheme },
    initialDelaySeconds: 10,
    periodSeconds: 10,
    timeoutSeconds: 15,
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { annotations, creationTimestamp: null, labels: { component: name, tier: 'control-plane' }, name, namespace: 'kube-system' },
    spec: {
      containers: [
        {
          command,
          image,
          imagePullPolicy: 'IfNotPresent',
          livenessProbe: probe(probePath, 8),
          name,
          resources: { requests: { cpu: name === 'etcd' ? undefined : '250m' } },
          startupProbe: probe(probePath, 24),
          volumeMounts: vols.map((v) => v.mount),
        },
      ],
      hostNetwork: true,
      priority: 2000001000,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      volumes: vols.map((v) => v.vol),
    },
    status: {},
  };
}

export function etcdManifest({ cc, nodeName, ip, image, initialCluster, existing }) {
  const pki = cc.certificatesDir;
  const local = cc.etcd.local;
  const flags = {
    'advertise-client-urls': `https://${ip}:2379`,
    'cert-file': `${pki}/etcd/server.crt`,
    'client-cert-auth': 'true',
    'data-dir': local.dataDir,
    'experimental-initial-corrupt-check': 'true',
    'experimental-watch-progress-notify-interval': '5s',
    'initial-advertise-peer-urls': `https://${ip}:2380`,
    'initial-cluster': initialCluster,
    'key-file': `${pki}/etcd/server.key`,
    'listen-client-urls': `https://127.0.0.1:2379,https://${ip}:2379`,
    'listen-metrics-urls': 'http://127.0.0.1:2381',
    'listen-peer-urls': `https://${ip}:2380`,
    name: nodeName,
    'peer-cert-file': `${pki}/etcd/peer.crt`,
    'peer-client-cert-auth': 'true',
    'peer-key-file': `${pki}/etcd/peer.key`,
    'peer-trusted-ca-file': `${pki}/etcd/ca.crt`,
    'snapshot-count': '10000',
    'trusted-ca-file': `${pki}/etcd/ca.crt`,
  };
  if (existing) flags['initial-cluster-state'] = 'existing';
  return pod('etcd', image, ['etcd', ...withExtra(flags, local.extraArgs)], {
    annotations: { 'kubeadm.kubernetes.io/etcd.advertise-client-urls': `https://${ip}:2379` },
    vols: [hostPath('etcd-certs', `${pki}/etcd`, 'DirectoryOrCreate'), hostPath('etcd-data', local.dataDir, 'DirectoryOrCreate')],
    probePort: 2381,
    probeHost: '127.0.0.1',
    probeScheme: 'HTTP',
    probePath: '/health?exclude=NOSPACE&serializable=true',
  });
}

export function apiserverManifest({ cc, ip, port, image }) {
  const pki = cc.certificatesDir;
  const etcdFlags = cc.etcd.external
    ? {
        'etcd-cafile': cc.etcd.external.caFile,
        'etcd-certfile': cc.etcd.external.certFile,
        'etcd-keyfile': cc.etcd.external.keyFile,
        'etcd-servers': cc.etcd.external.endpoints.join(','),
      }
    : {
        'etcd-cafile': `${pki}/etcd/ca.crt`,
        'etcd-certfile': `${pki}/apiserver-etcd-client.crt`,
        'etcd-keyfile': `${pki}/apiserver-etcd-client.key`,
        'etcd-servers': 'https://127.0.0.1:2379',
      };
  const flags = {
    'advertise-address': ip,
    'allow-privileged': 'true',
    'authorization-mode': 'Node,RBAC',
    'client-ca-file': `${pki}/ca.crt`,
    'enable-admission-plugins': 'NodeRestriction',
    'enable-bootstrap-token-auth': 'true',
    ...etcdFlags,
    'kubelet-client-certificate': `${pki}/apiserver-kubelet-client.crt`,
    'kubelet-client-key': `${pki}/apiserver-kubelet-client.key`,
    'kubelet-preferred-address-types': 'InternalIP,ExternalIP,Hostname',
    'proxy-client-cert-file': `${pki}/front-proxy-client.crt`,
    'proxy-client-key-file': `${pki}/front-proxy-client.key`,
    'requestheader-allowed-names': 'front-proxy-client',
    'requestheader-client-ca-file': `${pki}/front-proxy-ca.crt`,
    'requestheader-extra-headers-prefix': 'X-Remote-Extra-',
    'requestheader-group-headers': 'X-Remote-Group',
    'requestheader-username-headers': 'X-Remote-User',
    'secure-port': String(port),
    'service-account-issuer': `https://kubernetes.default.svc.${cc.networking.dnsDomain}`,
    'service-account-key-file': `${pki}/sa.pub`,
    'service-account-signing-key-file': `${pki}/sa.key`,
    'service-cluster-ip-range': cc.networking.serviceSubnet,
    'tls-cert-file': `${pki}/apiserver.crt`,
    'tls-private-key-file': `${pki}/apiserver.key`,
  };
  return pod('kube-apiserver', image, ['kube-apiserver', ...withExtra(flags, cc.apiServer.extraArgs)], {
    annotations: { 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `${ip}:${port}` },
    vols: [hostPath('ca-certs', '/etc/ssl/certs', 'DirectoryOrCreate', true), hostPath('k8s-certs', pki, 'DirectoryOrCreate', true)],
    probePort: port,
    probeHost: ip,
  });
}

export function controllerManagerManifest({ cc, image }) {
  const pki = cc.certificatesDir;
  const flags = {
    'authentication-kubeconfig': '/etc/kubernetes/controller-manager.conf',
    'authorization-kubeconfig': '/etc/kubernetes/controller-manager.conf',
    'bind-address': '127.0.0.1',
    'client-ca-file': `${pki}/ca.crt`,
    'cluster-name': cc.clusterName,
    'cluster-signing-cert-file': `${pki}/ca.crt`,
    'cluster-signing-key-file': `${pki}/ca.key`,
    controllers: '*,bootstrapsigner,tokencleaner',
    kubeconfig: '/etc/kubernetes/controller-manager.conf',
    'leader-elect': 'true',
    'requestheader-client-ca-file': `${pki}/front-proxy-ca.crt`,
    'root-ca-file': `${pki}/ca.crt`,
    'service-account-private-key-file': `${pki}/sa.key`,
    'use-service-account-credentials': 'true',
  };
  if (cc.networking.podSubnet) Object.assign(flags, { 'allocate-node-cidrs': 'true', 'cluster-cidr': cc.networking.podSubnet });
  return pod('kube-controller-manager', image, ['kube-controller-manager', ...withExtra(flags, cc.controllerManager.extraArgs)], {
    vols: [hostPath('k8s-certs', pki, 'DirectoryOrCreate', true), hostPath('kubeconfig', '/etc/kubernetes/controller-manager.conf', 'FileOrCreate', true)],
    probePort: 10257,
    probeHost: '127.0.0.1',
    probePath: '/healthz',
  });
}

export function schedulerManifest({ cc, image }) {
  const flags = {
    'authentication-kubeconfig': '/etc/kubernetes/scheduler.conf',
    'authorization-kubeconfig': '/etc/kubernetes/scheduler.conf',
    'bind-address': '127.0.0.1',
    kubeconfig: '/etc/kubernetes/scheduler.conf',
    'leader-elect': 'true',
  };
  return pod('kube-scheduler', image, ['kube-scheduler', ...withExtra(flags, cc.scheduler.extraArgs)], {
    vols: [hostPath('kubeconfig', '/etc/kubernetes/scheduler.conf', 'FileOrCreate', true)],
    probePort: 10259,
    probeHost: '127.0.0.1',
    probePath: '/healthz',
  });
}
