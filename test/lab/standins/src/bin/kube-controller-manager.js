#!/usr/bin/env node
// kube-controller-manager stand-in. The leader runs: CSR approving and signing for kubelet client
// certificates, the bootstrap signer (cluster-info JWS) and token cleaner, node lifecycle (Ready
// Unknown when a kubelet stops renewing its Lease), and the DaemonSet and Deployment controllers.
import fs from 'node:fs';
import crypto from 'node:crypto';
import { startComponent, every } from '../lib/component.js';
import { signCsr, csrSubject } from '../lib/pki.js';
import { tolerates } from '../lib/scheduling.js';

const KNOWN = new Set([
  'authentication-kubeconfig',
  'authorization-kubeconfig',
  'bind-address',
  'client-ca-file',
  'cluster-name',
  'cluster-signing-cert-file',
  'cluster-signing-key-file',
  'controllers',
  'kubeconfig',
  'leader-elect',
  'requestheader-client-ca-file',
  'root-ca-file',
  'service-account-private-key-file',
  'use-service-account-credentials',
  'allocate-node-cidrs',
  'cluster-cidr',
  'node-monitor-grace-period',
  'secure-port',
  'v',
  'version',
  'feature-gates',
  'service-cluster-ip-range',
  'node-cidr-mask-size',
]);

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const b64 = (s) => Buffer.from(s).toString('base64');
const unb64 = (s) => Buffer.from(s || '', 'base64').toString();

async function csrController(api, F, log) {
  const list = (await api.get('/apis/certificates.k8s.io/v1/certificatesigningrequests')).items;
  for (const csr of list) {
    if (csr.status?.certificate) continue;
    const conds = csr.status?.conditions || [];
    if (conds.some((c) => c.type === 'Denied' || c.type === 'Failed')) continue;
    const path = `/apis/certificates.k8s.io/v1/certificatesigningrequests/${csr.metadata.name}`;
    const pem = unb64(csr.spec.request);
    const subj = csrSubject(pem);
    if (!conds.some((c) => c.type === 'Approved')) {
      const groups = csr.spec.groups || [];
      const nodeClient =
        csr.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet' &&
        /^system:node:/.test(subj.cn || '') &&
        subj.orgs.length === 1 &&
        subj.orgs[0] === 'system:nodes';
      const fromBootstrap = groups.includes('system:bootstrappers') || groups.includes('system:nodes');
      if (!nodeClient || !fromBootstrap) continue;
      csr.status = {
        conditions: [
          ...conds,
          {
            type: 'Approved',
            status: 'True',
            reason: 'AutoApproved',
            message: 'Auto approving kubelet client certificate after SubjectAccessReview.',
            lastUpdateTime: now(),
            lastTransitionTime: now(),
          },
        ],
      };
      await api.put(`${path}/approval`, csr);
      log(`approved ${csr.metadata.name} for ${subj.cn}`);
    }
    if (!F['cluster-signing-cert-file']) continue;
    const ca = { cert: fs.readFileSync(F['cluster-signing-cert-file'], 'utf8'), key: fs.readFileSync(F['cluster-signing-key-file'], 'utf8') };
    const cert = signCsr(pem, ca, { usage: 'client' });
    const cur = await api.get(path);
    await api.put(`${path}/status`, { ...cur, status: { ...cur.status, certificate: b64(cert) } });
    log(`signed ${csr.metadata.name} for ${subj.cn}`);
  }
}

// The bootstrap signer: a detached HS256 JWS of cluster-info's kubeconfig per signing token.
async function bootstrapSigner(api, log) {
  const cmPath = '/api/v1/namespaces/kube-public/configmaps/cluster-info';
  const cm = await api.get(cmPath).catch((e) => {
    if (e.status === 404) return null;
    throw e;
  });
  if (!cm) return;
  const secrets = (await api.get('/api/v1/namespaces/kube-system/secrets')).items.filter((s) => s.type === 'bootstrap.kubernetes.io/token');
  const want = {};
  for (const s of secrets) {
    const d = (k) => unb64(s.data?.[k]);
    if (d('usage-bootstrap-signing') !== 'true') continue;
    if (d('expiration') && new Date(d('expiration')) < new Date()) continue;
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', kid: d('token-id') })).toString('base64url');
    const payload = Buffer.from(cm.data.kubeconfig).toString('base64url');
    const sig = crypto.createHmac('sha256', d('token-secret')).update(`${header}.${payload}`).digest('base64url');
    want[`jws-kubeconfig-${d('token-id')}`] = `${header}..${sig}`;
  }
  const data = Object.fromEntries(Object.entries(cm.data).filter(([k]) => !k.startsWith('jws-kubeconfig-')));
  Object.assign(data, want);
  if (JSON.stringify(data) !== JSON.stringify(cm.data)) {
    await api.put(cmPath, { ...cm, data });
    log(`bootstrap signer: cluster-info signed for ${Object.keys(want).length} token(s)`);
  }
}

async function tokenCleaner(api, log) {
  const secrets = (await api.get('/api/v1/namespaces/kube-system/secrets')).items.filter((s) => s.type === 'bootstrap.kubernetes.io/token');
  for (const s of secrets) {
    const exp = unb64(s.data?.expiration);
    if (exp && new Date(exp) < new Date()) {
      await api.del(`/api/v1/namespaces/kube-system/secrets/${s.metadata.name}`).catch(() => {});
      log(`token cleaner: deleted expired ${s.metadata.name}`);
    }
  }
}

async function nodeLifecycle(api, F, log, observed) {
  // Upstream's default is 50s since 1.32 (40s before).
  const grace = parseFloat(F['node-monitor-grace-period'] || '50') * 1000;
  const nodes = (await api.get('/api/v1/nodes')).items;
  const leases = (await api.get('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')).items;
  for (const n of nodes) {
    const l = leases.find((x) => x.metadata.name === n.metadata.name);
    const key = l?.spec?.renewTime || '';
    const o = observed.get(n.metadata.name);
    if (!o || o.key !== key) {
      observed.set(n.metadata.name, { key, at: Date.now() });
      continue;
    }
    if (Date.now() - o.at < grace) continue;
    const conds = n.status?.conditions || [];
    if (conds.every((c) => c.status === 'Unknown')) continue;
    const t = now();
    const next = conds.map((c) => ({
      ...c,
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
      lastTransitionTime: t,
    }));
    await api.patch(`/api/v1/nodes/${n.metadata.name}/status`, { status: { conditions: next } });
    log(`node ${n.metadata.name}: kubelet stopped posting node status; Ready=Unknown`);
  }
}

function podFor(owner, kind, template, extra) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace,
      labels: { ...(template.metadata?.labels || {}), ...(extra.labels || {}) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: { ...template.spec, ...(extra.spec || {}) },
  };
}
const owned = (pods, o) => pods.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === o.metadata.uid));
const podReady = (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

async function daemonSets(api) {
  const dss = (await api.get('/apis/apps/v1/daemonsets')).items;
  if (!dss.length) return;
  const nodes = (await api.get('/api/v1/nodes')).items;
  const pods = (await api.get('/api/v1/pods')).items;
  for (const ds of dss) {
    const mine = owned(pods, ds);
    const tpl = ds.spec.template;
    // DaemonSet pods tolerate the not-ready and unreachable taints, as the real controller adds.
    const probe = {
      spec: {
        ...tpl.spec,
        tolerations: [
          ...(tpl.spec.tolerations || []),
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists' },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists' },
        ],
      },
    };
    const eligible = nodes.filter(
      (n) =>
        !(n.spec?.taints || []).some((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(probe, t)) &&
        Object.entries(tpl.spec.nodeSelector || {}).every(([k, v]) => (n.metadata.labels || {})[k] === v),
    );
    const names = new Set(eligible.map((n) => n.metadata.name));
    for (const n of eligible) {
      if (mine.some((p) => p.spec.nodeName === n.metadata.name)) continue;
      await api.post(
        `/api/v1/namespaces/${ds.metadata.namespace}/pods`,
        podFor(ds, 'DaemonSet', tpl, { spec: { nodeName: n.metadata.name, tolerations: probe.spec.tolerations } }),
      );
    }
    for (const p of mine) if (!names.has(p.spec.nodeName)) await api.del(`/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`).catch(() => {});
    const current = mine.filter((p) => names.has(p.spec.nodeName));
    const ready = current.filter(podReady).length;
    const status = {
      currentNumberScheduled: current.length,
      desiredNumberScheduled: eligible.length,
      numberMisscheduled: 0,
      numberReady: ready,
      numberAvailable: ready,
      numberUnavailable: eligible.length - ready,
      updatedNumberScheduled: current.length,
      observedGeneration: ds.metadata.generation || 1,
    };
    if (JSON.stringify(status) !== JSON.stringify(ds.status))
      await api.patch(`/apis/apps/v1/namespaces/${ds.metadata.namespace}/daemonsets/${ds.metadata.name}/status`, { status });
  }
}

async function deployments(api) {
  const deps = (await api.get('/apis/apps/v1/deployments')).items;
  if (!deps.length) return;
  const pods = (await api.get('/api/v1/pods')).items;
  for (const d of deps) {
    const mine = owned(pods, d);
    const want = d.spec.replicas ?? 1;
    const hash = crypto.createHash('sha256').update(JSON.stringify(d.spec.template)).digest('hex').slice(0, 10);
    const stale = mine.filter((p) => p.metadata.labels?.['pod-template-hash'] !== hash);
    for (const p of stale) await api.del(`/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`).catch(() => {});
    const fresh = mine.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash);
    for (let i = fresh.length; i < want; i++)
      await api.post(`/api/v1/namespaces/${d.metadata.namespace}/pods`, podFor(d, 'Deployment', d.spec.template, { labels: { 'pod-template-hash': hash } }));
    for (const p of fresh.slice(want)) await api.del(`/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`).catch(() => {});
    const ready = fresh.slice(0, want).filter(podReady).length;
    const status = {
      observedGeneration: d.metadata.generation || 1,
      replicas: Math.min(fresh.length, want),
      updatedReplicas: Math.min(fresh.length, want),
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: want - ready,
    };
    if (JSON.stringify(status) !== JSON.stringify(d.status))
      await api.patch(`/apis/apps/v1/namespaces/${d.metadata.namespace}/deployments/${d.metadata.name}/status`, { status });
  }
}

startComponent('kube-controller-manager', KNOWN, ({ api, F, log }) => {
  const observed = new Map();
  const stops = [
    every(1000, () => csrController(api, F, log), log),
    every(2000, () => bootstrapSigner(api, log), log),
    every(30000, () => tokenCleaner(api, log), log),
    every(5000, () => nodeLifecycle(api, F, log, observed), log),
    every(2000, () => daemonSets(api), log),
    every(2000, () => deployments(api), log),
  ];
  return () => stops.forEach((s) => s());
});
