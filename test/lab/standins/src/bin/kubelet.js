#!/usr/bin/env node
// kubelet stand-in: runs the static pods of staticPodPath as processes, registers its Node, keeps
// its Lease and status, reports Ready only when the container runtime answers and a CNI config exists.
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn, execFileSync } from 'node:child_process';
import { parseArgs, one, die, durationMs } from '../lib/args.js';
import { socketAnswers } from '../lib/socket.js';
import YAML from '../lib/yaml.js';
import { versionInfo } from '../lib/version.js';
import { loadKubeconfig, client, kubeconfigYaml, sleep, watch } from '../lib/kube.js';
import { cgroupMode, KUBELET_CGROUP_V1_ERROR, KUBELET_CGROUP_V1_WARNING } from '../lib/cgroups.js';
import { resolveImage } from '../lib/images.js';
import { newEcKey, newCsr } from '../lib/pki.js';

const KNOWN = new Set([
  'bootstrap-kubeconfig',
  'kubeconfig',
  'config',
  'container-runtime-endpoint',
  'node-ip',
  'hostname-override',
  'version',
  'v',
  'node-labels',
  'register-with-taints',
  'cgroup-driver',
  'fail-swap-on',
]);
// Removed in 1.35 (kubernetes#133779): the runtime's sandbox image is the one that counts.
if (+versionInfo().minor < 35) KNOWN.add('pod-infra-container-image');
const { flags, pos } = parseArgs(process.argv.slice(2), ['version']);
if (pos.length) die(`Error: unknown command "${pos[0]}" for "kubelet"`);
for (const k of Object.keys(flags)) if (!KNOWN.has(k)) die(`E kubelet: "command failed" err="failed to parse kubelet flag: unknown flag: --${k}"`);
if (flags.version) {
  console.log(`Kubernetes ${versionInfo().gitVersion}`);
  process.exit(0);
}

const log = (...a) => console.error(new Date().toISOString(), ...a);
const configFile = one(flags.config);
let cfg = {};
if (configFile) {
  try {
    cfg = YAML.parse(fs.readFileSync(configFile, 'utf8')) || {};
  } catch (e) {
    die(
      `E kubelet: "command failed" err="failed to load kubelet config file, path: ${configFile}, error: failed to load Kubelet config file ${configFile}, error failed to read kubelet config file \\"${configFile}\\", error: ${e.message}"`,
    );
  }
}
// KEP-5573: from 1.35 failCgroupV1 defaults to true and the kubelet refuses a cgroup v1 (or hybrid) host.
if (cgroupMode() !== 'v2') {
  const failCgroupV1 = cfg.failCgroupV1 ?? +versionInfo().minor >= 35;
  if (failCgroupV1) die(`E kubelet: "command failed" err="failed to run Kubelet: ${KUBELET_CGROUP_V1_ERROR}"`);
  console.error(`W kubelet: ${KUBELET_CGROUP_V1_WARNING}`);
}
const staticPodPath = cfg.staticPodPath || '/etc/kubernetes/manifests';
const nodeName = (one(flags['hostname-override']) || os.hostname()).toLowerCase();
const runtimeEndpoint = one(flags['container-runtime-endpoint']) || cfg.containerRuntimeEndpoint || 'unix:///var/run/containerd/containerd.sock';
const cniConfDir = '/etc/cni/net.d';
const podLogDir = '/var/log/pods';
const kubeconfigPath = one(flags.kubeconfig);
const bootstrapPath = one(flags['bootstrap-kubeconfig']);
const v = versionInfo();

// ---------- static pods ----------
const pods = new Map(); // file -> state
const apiPods = new Map(); // pod uid -> state, for pods from the API bound to this node
function podFromFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  return { pod: YAML.parse(text), hash: crypto.createHash('sha256').update(text).digest('hex').slice(0, 32) };
}

function startContainer(st) {
  const c = st.pod.spec.containers[0];
  const img = resolveImage(c.image);
  if (img.error) {
    st.waiting = img.error;
    log(`pod ${st.name}: ${img.error}`);
    return;
  }
  const cmd = [...(c.command || []), ...(c.args || [])];
  const argv = [...img.exec, ...(cmd[0] && path.basename(cmd[0]) === img.replacesCommand ? cmd.slice(1) : cmd)];
  const dir = path.join(podLogDir, `${st.pod.metadata.namespace || 'default'}_${st.logName || `${st.name}-${nodeName}`}_${st.hash.slice(0, 8)}`, c.name);
  fs.mkdirSync(dir, { recursive: true });
  const out = fs.openSync(path.join(dir, `${st.restarts}.log`), 'a');
  const env = { PATH: process.env.PATH, HOME: '/root' };
  const fields = {
    'spec.nodeName': nodeName,
    'metadata.name': st.logName || `${st.name}-${nodeName}`,
    'metadata.namespace': st.pod.metadata.namespace || 'default',
    'status.hostIP': nodeIP(),
    'status.podIP': nodeIP(),
  };
  for (const e of c.env || []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath] ?? '';
  }
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', out, out], env });
  fs.closeSync(out);
  st.child = child;
  st.startedAt = new Date();
  st.waiting = undefined;
  log(`pod ${st.name}: started ${c.image} pid ${child.pid}`);
  child.on('exit', (code, sig) => {
    if (st.child !== child) return;
    st.child = undefined;
    st.lastExit = { code, sig, at: new Date() };
    if (st.stopping) return;
    st.restarts++;
    const delay = Math.min(10000 * 2 ** Math.max(0, st.restarts - 3), 60000);
    const wait = st.restarts <= 3 ? 1000 : delay;
    st.waiting = 'CrashLoopBackOff';
    log(`pod ${st.name}: exited code=${code} signal=${sig}; restart in ${wait} ms`);
    st.timer = setTimeout(() => {
      if (!st.stopping) startContainer(st);
    }, wait);
  });
}

function stopPod(st) {
  st.stopping = true;
  clearTimeout(st.timer);
  const child = st.child;
  if (!child) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// What crictl ps reads: the static pod containers this kubelet runs.
function writeState() {
  const rows = [...pods.values()].map((st) => ({
    id: st.hash.slice(0, 13),
    image: st.pod.spec.containers[0].image,
    name: st.pod.spec.containers[0].name,
    pod: `${st.name}-${nodeName}`,
    state: st.child ? 'Running' : 'Exited',
    pid: st.child?.pid,
    startedAt: st.startedAt?.toISOString(),
    attempt: st.restarts,
  }));
  try {
    fs.mkdirSync('/run/kubelet-standin', { recursive: true });
    fs.writeFileSync('/run/kubelet-standin/containers.json', JSON.stringify(rows));
  } catch {
    /* best effort */
  }
}

async function syncStaticPods() {
  let files;
  try {
    files = fs
      .readdirSync(staticPodPath)
      .filter((f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith('.'))
      .map((f) => path.join(staticPodPath, f));
  } catch {
    files = [];
  }
  for (const [file, st] of pods) {
    let hash;
    try {
      hash = files.includes(file) ? podFromFile(file).hash : undefined;
    } catch {
      hash = st.hash;
    }
    if (hash !== st.hash) {
      log(`pod ${st.name}: manifest ${hash ? 'changed' : 'removed'}`);
      await stopPod(st);
      pods.delete(file);
    }
  }
  for (const file of files) {
    if (pods.has(file)) continue;
    let parsed;
    try {
      parsed = podFromFile(file);
    } catch (e) {
      log(`${file}: ${e.message}`);
      continue;
    }
    const { pod, hash } = parsed;
    if (pod?.kind !== 'Pod' || !pod.spec?.containers?.length) {
      log(`${file}: not a Pod`);
      continue;
    }
    const st = { file, pod, hash, name: pod.metadata.name, restarts: 0 };
    pods.set(file, st);
    startContainer(st);
  }
}

// ---------- runtime and network readiness ----------
function cniConfigured() {
  try {
    return fs.readdirSync(cniConfDir).some((f) => /\.(conf|conflist|json)$/.test(f));
  } catch {
    return false;
  }
}
// Asked once and kept, as the real kubelet keeps the CRI's Version answer, rather than a
// `containerd --version` process at every status check; asked again while unknown.
let runtimeVersionKnown;
function runtimeVersion() {
  if (runtimeVersionKnown) return runtimeVersionKnown;
  try {
    const found = /\s(v?\d+\.\d+\.\d+\S*)/.exec(execFileSync('containerd', ['--version']).toString())?.[1];
    if (found) return (runtimeVersionKnown = 'containerd://' + found.replace(/^v/, ''));
  } catch {
    // not installed yet, or not answering
  }
  return 'containerd://unknown';
}
function nodeIP() {
  if (flags['node-ip']) return one(flags['node-ip']);
  for (const addrs of Object.values(os.networkInterfaces())) for (const a of addrs || []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

// ---------- API: TLS bootstrap, node, lease, mirror pods ----------
let api;
async function connect() {
  if (api) return api;
  if (kubeconfigPath && fs.existsSync(kubeconfigPath)) {
    api = client(loadKubeconfig(kubeconfigPath), { keepAlive: true });
    return api;
  }
  if (!bootstrapPath || !fs.existsSync(bootstrapPath)) return undefined;
  // TLS bootstrap as the real kubelet: a CSR signed by the controller-manager, then kubelet.conf.
  const boot = loadKubeconfig(bootstrapPath);
  const b = client(boot);
  const key = newEcKey();
  const csr = newCsr(key, `system:node:${nodeName}`, ['system:nodes']);
  const name = `node-csr-${crypto
    .randomBytes(8)
    .toString('base64url')
    .replace(/[^a-zA-Z0-9]/g, 'x')
    .toLowerCase()}`;
  await b.post('/apis/certificates.k8s.io/v1/certificatesigningrequests', {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: {
      request: Buffer.from(csr).toString('base64'),
      signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
      usages: ['digital signature', 'key encipherment', 'client auth'],
    },
  });
  log(`TLS bootstrap: created ${name}, waiting for the certificate`);
  for (let i = 0; i < 300; i++) {
    await sleep(1000);
    const o = await b.get(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}`).catch(() => undefined);
    const cert = o?.status?.certificate;
    if (cert) {
      const pem = Buffer.from(cert, 'base64').toString();
      const pki = '/var/lib/kubelet/pki';
      fs.mkdirSync(pki, { recursive: true });
      fs.writeFileSync(path.join(pki, 'kubelet-client-current.pem'), pem + key, { mode: 0o600 });
      const yaml = kubeconfigYaml({ cluster: 'default-cluster', server: boot.server, caPem: boot.ca, user: 'default-auth', certPem: pem, keyPem: key })
        .replace(/client-certificate-data: .*\n/, `client-certificate: ${pki}/kubelet-client-current.pem\n`)
        .replace(/client-key-data: .*\n/, `client-key: ${pki}/kubelet-client-current.pem\n`);
      fs.writeFileSync(kubeconfigPath, yaml, { mode: 0o600 });
      log(`TLS bootstrap: wrote ${kubeconfigPath}`);
      api = client(loadKubeconfig(kubeconfigPath), { keepAlive: true });
      return api;
    }
  }
  throw new Error('TLS bootstrap: no certificate issued');
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
let lastReady;
async function nodeStatus() {
  const runtime = await socketAnswers(runtimeEndpoint);
  const cni = cniConfigured();
  const ready = runtime && cni;
  const msg = !runtime
    ? 'container runtime is down'
    : !cni
      ? 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized'
      : 'kubelet is posting ready status';
  if (lastReady?.ready !== ready) lastReady = { ready, since: now() };
  const cond = (type, status, reason, message, since = lastReady.since) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now(),
    lastTransitionTime: since,
  });
  return {
    addresses: [
      { type: 'InternalIP', address: nodeIP() },
      { type: 'Hostname', address: nodeName },
    ],
    capacity: { cpu: String(os.cpus().length), memory: `${Math.floor(os.totalmem() / 1024)}Ki`, pods: '110' },
    allocatable: { cpu: String(os.cpus().length), memory: `${Math.floor(os.totalmem() / 1024)}Ki`, pods: '110' },
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      cond('Ready', ready ? 'True' : 'False', ready ? 'KubeletReady' : 'KubeletNotReady', msg),
    ],
    nodeInfo: {
      machineID: (() => {
        try {
          return fs.readFileSync('/etc/machine-id', 'utf8').trim();
        } catch {
          return '';
        }
      })(),
      kernelVersion: os.release(),
      osImage: osImage(),
      containerRuntimeVersion: runtimeVersion(),
      kubeletVersion: v.gitVersion,
      kubeProxyVersion: v.gitVersion,
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}
function osImage() {
  try {
    return /PRETTY_NAME="?([^"\n]+)/.exec(fs.readFileSync('/etc/os-release', 'utf8'))[1];
  } catch {
    return 'Linux';
  }
}

// Upstream's cadence (KubeletConfiguration defaults): the status is computed every
// nodeStatusUpdateFrequency (10s) and posted only when it changed or every
// nodeStatusReportFrequency (5m; the update frequency when only that is set); the Lease is renewed
// every quarter of nodeLeaseDurationSeconds (40: every 10 s), and it is what the node lifecycle
// controller watches. Until the node is Ready the status is checked every second, as the kubelet's
// fast status updates at start-up.
const statusUpdateMs = durationMs(cfg.nodeStatusUpdateFrequency) ?? 10000;
const statusReportMs = durationMs(cfg.nodeStatusReportFrequency) ?? (cfg.nodeStatusUpdateFrequency ? statusUpdateMs : 300000);
const leaseRenewMs = (cfg.nodeLeaseDurationSeconds || 40) * 250;
let posted; // the last status posted: { key, at }
let leaseRenewedAt = 0;
let statusCheckedAt = 0;
const statusDue = () => !registered || !lastReady?.ready || Date.now() - statusCheckedAt >= statusUpdateMs;

let registered = false;
async function syncNode(c) {
  statusCheckedAt = Date.now();
  const st = await nodeStatus();
  if (!registered) {
    const labels = {
      'kubernetes.io/hostname': nodeName,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': 'amd64',
    };
    for (const kv of String(one(flags['node-labels']) || '')
      .split(',')
      .filter(Boolean)) {
      const [k, val = ''] = kv.split('=');
      labels[k] = val;
    }
    const taints = String(one(flags['register-with-taints']) || '')
      .split(',')
      .filter(Boolean)
      .map((t) => {
        const m = /^([^=:]+)(?:=([^:]*))?:(.+)$/.exec(t);
        return { key: m[1], value: m[2], effect: m[3] };
      });
    try {
      await c.post('/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: nodeName, labels, annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': runtimeEndpoint } },
        spec: taints.length ? { taints } : {},
      });
      log(`Successfully registered node ${nodeName}`);
    } catch (e) {
      if (e.status !== 409) throw e;
    }
    registered = true;
  }
  const key = JSON.stringify({ ...st, conditions: st.conditions.map((c) => ({ ...c, lastHeartbeatTime: undefined })) });
  if (posted?.key !== key || Date.now() - posted.at >= statusReportMs) {
    await c.patch(`/api/v1/nodes/${nodeName}/status`, { status: st });
    posted = { key, at: Date.now() };
  }
}

async function renewLease(c) {
  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases`;
  const spec = { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') };
  try {
    await c.patch(`${leasePath}/${nodeName}`, { spec });
  } catch (e) {
    if (e.status === 404) await c.post(leasePath, { metadata: { name: nodeName }, spec });
    else throw e;
  }
  leaseRenewedAt = Date.now();
}

const mirrorStatusPosted = new Map();
async function syncMirrorPods(c) {
  const ns = 'kube-system';
  const want = new Map();
  for (const st of pods.values()) {
    const p = st.pod;
    const name = `${st.name}-${nodeName}`;
    const running = !!st.child;
    const c0 = p.spec.containers[0];
    want.set(name, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: p.metadata.namespace || ns,
        labels: p.metadata.labels || {},
        annotations: {
          ...(p.metadata.annotations || {}),
          'kubernetes.io/config.hash': st.hash,
          'kubernetes.io/config.mirror': st.hash,
          'kubernetes.io/config.source': 'file',
        },
      },
      spec: { ...p.spec, nodeName },
      status: {
        phase: running ? 'Running' : 'Pending',
        hostIP: nodeIP(),
        podIP: nodeIP(),
        startTime: st.startedAt?.toISOString(),
        conditions: [{ type: 'Ready', status: running ? 'True' : 'False' }],
        containerStatuses: [
          {
            name: c0.name,
            image: c0.image,
            ready: running,
            restartCount: st.restarts,
            state: running ? { running: { startedAt: st.startedAt.toISOString() } } : { waiting: { reason: st.waiting || 'ContainerCreating' } },
          },
        ],
      },
    });
  }
  const list = await c.get(`/api/v1/pods?fieldSelector=spec.nodeName=${nodeName}`);
  for (const p of list.items) {
    if (p.metadata.annotations?.['kubernetes.io/config.mirror'] && !want.has(p.metadata.name))
      await c.del(`/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`).catch(() => {});
  }
  for (const [name, obj] of want) {
    const cur = list.items.find((p) => p.metadata.name === name);
    const base = `/api/v1/namespaces/${obj.metadata.namespace}/pods`;
    if (cur && cur.metadata.annotations?.['kubernetes.io/config.mirror'] !== obj.metadata.annotations['kubernetes.io/config.mirror']) {
      await c.del(`${base}/${name}`).catch(() => {});
    }
    let fresh = false;
    if (!cur || cur.metadata.annotations?.['kubernetes.io/config.mirror'] !== obj.metadata.annotations['kubernetes.io/config.mirror']) {
      const created = await c.post(base, { ...obj, status: undefined }).catch((e) => {
        if (e.status !== 409) throw e;
      });
      if (!created) continue;
      fresh = true;
    }
    // Posted when it changed (or the mirror pod is new), not at every sync.
    const key = JSON.stringify(obj.status);
    if (fresh || mirrorStatusPosted.get(name) !== key || cur?.status?.phase !== obj.status.phase) {
      await c.patch(`${base}/${name}/status`, { status: obj.status });
      mirrorStatusPosted.set(name, key);
    }
  }
  // Pods from the API bound here: single-container pods whose image the lab can run (pause, the lab
  // CNI installer) run as processes; the others stay Pending with ErrImagePull and the reason.
  const seen = new Set();
  for (const p of list.items) {
    if (p.metadata.annotations?.['kubernetes.io/config.mirror']) continue;
    const uid = p.metadata.uid;
    seen.add(uid);
    const runnable = p.spec.containers.length === 1 && !resolveImage(p.spec.containers[0].image).error;
    let st = apiPods.get(uid);
    if (runnable && !st) {
      st = { pod: p, name: p.metadata.name, logName: p.metadata.name, hash: uid.replace(/-/g, ''), restarts: 0 };
      apiPods.set(uid, st);
      startContainer(st);
    }
    const cs = (p.spec.containers || []).map((ct) => {
      if (!st)
        return {
          name: ct.name,
          image: ct.image,
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ErrImagePull', message: resolveImage(ct.image).error || 'not run by the lab kubelet' } },
        };
      const running = !!st.child;
      return {
        name: ct.name,
        image: ct.image,
        ready: running,
        restartCount: st.restarts,
        state: running ? { running: { startedAt: st.startedAt.toISOString() } } : { waiting: { reason: st.waiting || 'ContainerCreating' } },
      };
    });
    const ready = cs.every((x) => x.ready);
    const status = {
      phase: st ? (st.child || st.restarts ? 'Running' : 'Pending') : 'Pending',
      hostIP: nodeIP(),
      podIP: p.spec.hostNetwork ? nodeIP() : undefined,
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: ready ? 'True' : 'False' },
      ],
      containerStatuses: cs,
    };
    const cur = {
      phase: p.status?.phase,
      hostIP: p.status?.hostIP,
      podIP: p.status?.podIP,
      conditions: (p.status?.conditions || []).map((x) => ({ type: x.type, status: x.status })),
      containerStatuses: p.status?.containerStatuses,
    };
    if (JSON.stringify(JSON.parse(JSON.stringify(cur))) !== JSON.stringify(JSON.parse(JSON.stringify(status))))
      await c.patch(`/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}/status`, { status }).catch(() => {});
  }
  for (const [uid, st] of apiPods)
    if (!seen.has(uid)) {
      apiPods.delete(uid);
      await stopPod(st);
    }
}

// ---------- main loops ----------
const healthPort = cfg.healthzPort ?? 10248;
const healthHost = cfg.healthzBindAddress || '127.0.0.1';
http
  .createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
  })
  .on('error', (e) => die(`failed to listen on ${healthHost}:${healthPort}: ${e.message}`))
  .listen(healthPort, healthHost);

log(`kubelet ${v.gitVersion} node ${nodeName}, static pods from ${staticPodPath}`);
let stopping = false;
(async () => {
  for (;;) {
    if (stopping) return;
    await syncStaticPods().catch((e) => log('static pods:', e.message));
    writeState();
    await sleep(1000);
  }
})();
// The pods bound here are synced when a watch on them reports a change, when a local pod's state
// changes, and every minute regardless (the real kubelet watches its pods too, rather than listing
// them: a list every few seconds from every node loads the apiservers of a big cluster).
const POD_RESYNC_MS = 60_000;
let podsChanged = true;
let podWatch; // stops the watch; unset while there is none
function watchPods(c) {
  // Ended by the server after 5-10 minutes, as client-go's reflectors ask, then started again.
  const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
  podWatch = watch(
    c.conn,
    `/api/v1/pods?fieldSelector=spec.nodeName=${encodeURIComponent(nodeName)}&timeoutSeconds=${timeoutSeconds}`,
    () => (podsChanged = true),
    (err) => {
      if (err) log('pod watch:', err.message);
      podWatch = undefined;
      podsChanged = true;
    },
  );
}
const localPodsKey = () =>
  JSON.stringify([...pods.values(), ...apiPods.values()].map((st) => [st.name, st.hash, !!st.child, st.restarts, st.waiting, st.startedAt?.getTime()]));
(async () => {
  let lastSync = 0;
  let lastKey;
  for (;;) {
    if (stopping) return;
    try {
      const c = await connect();
      if (c) {
        if (statusDue()) await syncNode(c);
        if (registered && Date.now() - leaseRenewedAt >= leaseRenewMs) await renewLease(c);
        if (!podWatch) watchPods(c);
        const key = localPodsKey();
        if (podsChanged || key !== lastKey || Date.now() - lastSync >= POD_RESYNC_MS) {
          podsChanged = false; // a change during the sync brings another
          lastKey = key;
          await syncMirrorPods(c);
          lastSync = Date.now();
        }
      }
    } catch (e) {
      podsChanged = true;
      log('api:', e.message);
    }
    await sleep(1000);
  }
})();

async function shutdown() {
  stopping = true;
  podWatch?.();
  await Promise.all([...pods.values(), ...apiPods.values()].map(stopPod));
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
