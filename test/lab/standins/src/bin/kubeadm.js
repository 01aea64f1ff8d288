#!/usr/bin/env node
// kubeadm stand-in: init, join, reset, token, certs, upgrade, config, version — following the real
// tool's phases, files, flags and output (see docs/lab-standins.md for what differs).
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execFileSync, spawnSync } from 'node:child_process';
import { socketAnswers } from '../lib/socket.js';
import { parseArgs, one, all, truthy, die, durationMs } from '../lib/args.js';
import YAML, { stringify } from '../lib/yaml.js';
import { versionInfo, parseVersion, cmpVersion } from '../lib/version.js';
import * as pki from '../lib/pki.js';
import { loadKubeconfig, kubeconfigYaml, client, request, retry, sleep } from '../lib/kube.js';
import { Etcd } from '../lib/etcd.js';
import { loadConfig, clusterDefaults, clusterConfigDoc, ConfigError } from '../lib/kubeadm-config.js';
import { etcdManifest, apiserverManifest, controllerManagerManifest, schedulerManifest } from '../lib/kubeadm-manifests.js';
import { pullOwnImages, CONTROL_PLANE } from '../lib/images.js';
import { cgroupMode, CGROUP_V1_VALIDATOR_MESSAGE, CGROUP_V1_MAINTENANCE_MESSAGE } from '../lib/cgroups.js';

const TREE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const KDIR = '/etc/kubernetes';
const MANIFESTS = `${KDIR}/manifests`;
const KUBELET_DIR = '/var/lib/kubelet';
const V = versionInfo();
const OWN = parseVersion(V.gitVersion);
const ETCD_TAG = JSON.parse(fs.readFileSync(path.join(TREE, 'version.json'), 'utf8')).etcdImage;
const PAUSE = JSON.parse(fs.readFileSync(path.join(TREE, 'version.json'), 'utf8')).pauseImage;
const say = (s = '') => process.stdout.write(s + '\n');

class PhaseError extends Error {
  constructor(phase, msg) {
    super(`error execution phase ${phase}: ${msg}`);
  }
}
function fail(e) {
  process.stderr.write(
    (e instanceof PhaseError || e instanceof ConfigError ? e.message : `${e.message}`) +
      '\nTo see the stack trace of this error execute with --v=5 or higher\n',
  );
  process.exit(1);
}

// ---------- helpers ----------
const readText = (f) => fs.readFileSync(f, 'utf8');
const exists = (f) => fs.existsSync(f);
function write(f, data, mode = 0o600) {
  pki.writeFile(f, data, mode);
}
function hostIPv4() {
  for (const addrs of Object.values(os.networkInterfaces())) for (const a of addrs || []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}
function isIP(s) {
  return net.isIP(s) !== 0;
}
function splitHostPort(ep, defPort) {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(ep);
  return { host: m[1], port: +(m[2] || defPort) };
}
function randomToken() {
  const a = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n) => Array.from(crypto.randomBytes(n), (b) => a[b % 36]).join('');
  return `${pick(6)}.${pick(16)}`;
}
const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
// As kubeadm's init-system detection: systemd when systemctl is on PATH.
function systemctl(...args) {
  if (!which('systemctl')) return { ok: false, err: 'no supported init system detected' };
  const r = spawnSync('systemctl', args, { encoding: 'utf8' });
  return { ok: r.status === 0, err: (r.stderr || '').trim() };
}
function kubeletVersion() {
  try {
    return parseVersion(
      execFileSync('kubelet', ['--version'], { encoding: 'utf8' })
        .trim()
        .replace(/^Kubernetes /, ''),
    );
  } catch {
    return null;
  }
}
function httpOk(url, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}
function portFree(port, host) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}
function which(bin) {
  return (process.env.PATH || '').split(':').some((d) => {
    try {
      fs.accessSync(path.join(d, bin), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
// kubeadm polls its API calls (timeouts.kubernetesAPICall); here: retry network errors and 5xx for 60 s.
async function withRetry(what, fn) {
  const end = Date.now() + 60000;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if ((e.status && e.status < 500) || Date.now() > end) throw e;
      await sleep(1000);
    }
  }
}
function image(cc, name, version) {
  return `${cc.imageRepository}/${name}:${version}`;
}

// ---------- preflight ----------
async function preflight({ controlPlane, join, cc, ignore, criSocket, k8sVersion }) {
  say('[preflight] Running pre-flight checks');
  const errors = [],
    warnings = [];
  const E = (name, msg) => errors.push([name, msg]);
  const W = (name, msg) => warnings.push([name, msg]);
  if (process.getuid?.() !== 0) E('IsPrivilegedUser', 'user is not running as root');
  if (controlPlane) {
    if (os.cpus().length < 2) E('NumCPU', `the number of available CPUs ${os.cpus().length} is less than the required 2`);
    const mb = Math.floor(os.totalmem() / 1048576);
    if (mb < 1700) E('Mem', `the system RAM (${mb} MB) is less than the minimum 1700 MB`);
  }
  try {
    const swaps = readText('/proc/swaps').trim().split('\n').slice(1).filter(Boolean);
    if (swaps.length) E('Swap', 'running with swap on is not supported. Please disable swap');
  } catch {
    /* no /proc/swaps: no swap */
  }
  for (const f of ['/proc/sys/net/bridge/bridge-nf-call-iptables', '/proc/sys/net/ipv4/ip_forward']) {
    const name = `FileContent-${f.replace(/\//g, '-')}`;
    if (!exists(f)) E(name, `${f} does not exist`);
    else if (readText(f).trim() !== '1') E(name, `${f} contents are not set to 1`);
  }
  if (!(await socketAnswers(criSocket)))
    E(
      'CRI',
      `container runtime is not running: validate service connection: validate CRI v1 runtime API for endpoint "${criSocket}": rpc error: code = Unavailable desc = connection error`,
    );
  const ports = controlPlane
    ? [
        [6443, 'Port-6443'],
        [10259, 'Port-10259'],
        [10257, 'Port-10257'],
        [2379, 'Port-2379'],
        [2380, 'Port-2380'],
        [10250, 'Port-10250'],
      ]
    : [[10250, 'Port-10250']];
  if (controlPlane && cc?.etcd?.external) ports.splice(3, 2);
  for (const [p, name] of ports) if (!(await portFree(p))) E(name, `Port ${p} is in use`);
  const files = controlPlane ? ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'].map((n) => `${MANIFESTS}/${n}.yaml`) : [];
  if (join) files.push(`${KDIR}/kubelet.conf`, `${KDIR}/pki/ca.crt`);
  for (const f of files) if (exists(f)) E(`FileAvailable-${f.replace(/\//g, '-')}`, `${f} already exists`);
  if (controlPlane && !cc?.etcd?.external) {
    const d = cc?.etcd?.local?.dataDir || '/var/lib/etcd';
    if (exists(d) && fs.readdirSync(d).length) E(`DirAvailable-${d.replace(/\//g, '-')}`, `${d} is not empty`);
  }
  for (const b of ['crictl', 'conntrack', 'ip', 'iptables', 'mount', 'nsenter']) if (!which(b)) E(`FileExisting-${b}`, `${b} not found in system path`);
  for (const b of ['ebtables', 'ethtool', 'socat', 'tc', 'touch']) if (!which(b)) W(`FileExisting-${b}`, `${b} not found in system path`);
  const kv = kubeletVersion();
  const target = parseVersion(k8sVersion);
  if (!kv) E('KubeletVersion', "couldn't get kubelet version: executable file not found in $PATH");
  else {
    const min = { major: OWN.major, minor: OWN.minor - 3, patch: 0 };
    if (kv.minor < min.minor) E('KubeletVersion', `Kubelet version "${kv.s}" is lower than kubeadm can support. Please upgrade kubelet`);
    else if (target && (kv.major > target.major || kv.minor > target.minor))
      E(
        'KubeletVersion',
        `the kubelet version is higher than the control plane version. This is not a supported version skew and may lead to a malfunctional cluster. Kubelet version: "${kv.s}" Control plane version: "${target.s}"`,
      );
  }
  if (kv) cgroupsCheck(kv.minor, E, W);
  const enabled = systemctl('is-enabled', 'kubelet.service');
  if (!enabled.ok) W('Service-Kubelet', "kubelet service is not enabled, please run 'systemctl enable kubelet.service'");
  reportPreflight(errors, warnings, ignore);
}

// SystemVerification's cgroups validator: kubelet 1.35+ on a cgroup v1 or hybrid host is an error
// for kubeadm 1.35+, which the opt-in (failCgroupV1: false) must skip by the check's name.
function cgroupsCheck(kubeletMinor, E, W) {
  if (cgroupMode() === 'v2') return;
  if (OWN.minor < 35) W('SystemVerification', CGROUP_V1_MAINTENANCE_MESSAGE);
  else if (kubeletMinor >= 35) E('SystemVerification', CGROUP_V1_VALIDATOR_MESSAGE);
  else W('SystemVerification', CGROUP_V1_VALIDATOR_MESSAGE);
}

function reportPreflight(errors, warnings, ignore) {
  const ign = new Set(ignore.map((s) => s.toLowerCase()));
  const fatal = [];
  for (const [n, m] of warnings) say(`\t[WARNING ${n}]: ${m}`);
  for (const [n, m] of errors) {
    if (ign.has('all') || ign.has(n.toLowerCase())) say(`\t[WARNING ${n}]: ${m}`);
    else fatal.push(`\t[ERROR ${n}]: ${m}`);
  }
  if (fatal.length)
    throw new PhaseError(
      'preflight',
      `[preflight] Some fatal errors occurred:\n${fatal.join('\n')}\n[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\``,
    );
}

function pullImages(cc, version) {
  say('[preflight] Pulling images required for setting up a Kubernetes cluster');
  say('[preflight] This might take a minute or two, depending on the speed of your internet connection');
  say("[preflight] You can also perform this action beforehand using 'kubeadm config images pull'");
  if (version !== V.gitVersion) {
    // Only the images of this kubeadm's own version ship with it; older ones must already be in the store.
    for (const n of CONTROL_PLANE)
      if (!exists(`/var/lib/kube-standins/images/${n}/${version}`))
        throw new PhaseError(
          'preflight',
          `[preflight] Some fatal errors occurred:\n\t[ERROR ImagePull]: failed to pull image ${image(cc, n, version)}: not available in the lab`,
        );
    return;
  }
  pullOwnImages(TREE, V.gitVersion);
}

// ---------- certificates and kubeconfigs ----------
function loadPair(dir, name) {
  const c = `${dir}/${name}.crt`,
    k = `${dir}/${name}.key`;
  return exists(c) && exists(k) ? { cert: readText(c), key: readText(k) } : null;
}
function savePair(dir, name, p) {
  write(`${dir}/${name}.crt`, p.cert, 0o644);
  write(`${dir}/${name}.key`, p.key, 0o600);
}

function certsPhase(cc, { nodeName, ip }) {
  const dir = cc.certificatesDir;
  say(`[certs] Using certificateDir folder "${dir}"`);
  const ca = (name, file, cn) => {
    let p = loadPair(dir, file);
    if (p) {
      say(`[certs] Using existing ${name} certificate authority`);
      return p;
    }
    say(`[certs] Generating "${name}" certificate and key`);
    p = pki.selfSignedCa(cn);
    savePair(dir, file, p);
    return p;
  };
  const leaf = (name, file, signer, opts, announce) => {
    if (loadPair(dir, file)) {
      say(`[certs] Using existing ${name} certificate and key on disk`);
      return;
    }
    say(`[certs] Generating "${name}" certificate and key`);
    if (announce) say(announce);
    savePair(dir, file, pki.signedCert(signer, opts));
  };
  const rootCa = ca('ca', 'ca', 'kubernetes');
  const svcIP = firstServiceIP(cc.networking.serviceSubnet);
  const ep = cc.controlPlaneEndpoint ? splitHostPort(cc.controlPlaneEndpoint, 6443).host : undefined;
  const dns = [nodeName, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${cc.networking.dnsDomain}`];
  const ips = [svcIP, ip];
  for (const s of [ep, ...(cc.apiServer.certSANs || [])].filter(Boolean)) (isIP(s) ? ips : dns).push(s);
  const u = (a) => [...new Set(a)];
  leaf(
    'apiserver',
    'apiserver',
    rootCa,
    { cn: 'kube-apiserver', usage: 'server', dns: u(dns), ips: u(ips) },
    `[certs] apiserver serving cert is signed for DNS names [${u(dns).join(' ')}] and IPs [${u(ips).join(' ')}]`,
  );
  leaf('apiserver-kubelet-client', 'apiserver-kubelet-client', rootCa, {
    cn: 'kube-apiserver-kubelet-client',
    orgs: ['kubeadm:cluster-admins'],
    usage: 'client',
  });
  const fp = ca('front-proxy-ca', 'front-proxy-ca', 'front-proxy-ca');
  leaf('front-proxy-client', 'front-proxy-client', fp, { cn: 'front-proxy-client', usage: 'client' });
  if (cc.etcd.local) {
    const eca = ca('etcd/ca', 'etcd/ca', 'etcd-ca');
    const edns = u([nodeName, 'localhost', ...(cc.etcd.local.serverCertSANs || [])]);
    const eips = [ip, '127.0.0.1', '0:0:0:0:0:0:0:1'];
    leaf(
      'etcd/server',
      'etcd/server',
      eca,
      { cn: nodeName, usage: 'both', dns: edns, ips: eips },
      `[certs] etcd/server serving cert is signed for DNS names [${edns.join(' ')}] and IPs [${ip} 127.0.0.1 ::1]`,
    );
    leaf(
      'etcd/peer',
      'etcd/peer',
      eca,
      { cn: nodeName, usage: 'both', dns: edns, ips: eips },
      `[certs] etcd/peer serving cert is signed for DNS names [${edns.join(' ')}] and IPs [${ip} 127.0.0.1 ::1]`,
    );
    leaf('etcd/healthcheck-client', 'etcd/healthcheck-client', eca, { cn: 'kube-etcd-healthcheck-client', usage: 'client' });
    leaf('apiserver-etcd-client', 'apiserver-etcd-client', eca, { cn: 'kube-apiserver-etcd-client', usage: 'client' });
  }
  if (exists(`${dir}/sa.key`)) say('[certs] Using the existing "sa" key');
  else {
    say('[certs] Generating "sa" key and public key');
    const sa = pki.newServiceAccountKeys();
    write(`${dir}/sa.key`, sa.key, 0o600);
    write(`${dir}/sa.pub`, sa.pub, 0o644);
  }
  return rootCa;
}
function firstServiceIP(cidr) {
  const [a, b, c, d] = cidr.split('/')[0].split('.').map(Number);
  return [a, b, c, d + 1].join('.');
}

function kubeconfigPhase(cc, rootCa, { nodeName, ip, port, files }) {
  const endpoint = `https://${cc.controlPlaneEndpoint || `${ip}:${port}`}`;
  const local = `https://${ip}:${port}`;
  const defs = {
    'admin.conf': ['kubernetes-admin', ['kubeadm:cluster-admins'], endpoint],
    'super-admin.conf': ['kubernetes-super-admin', ['system:masters'], endpoint],
    'kubelet.conf': [`system:node:${nodeName}`, ['system:nodes'], endpoint],
    'controller-manager.conf': ['system:kube-controller-manager', [], local],
    'scheduler.conf': ['system:kube-scheduler', [], local],
  };
  say(`[kubeconfig] Using kubeconfig folder "${KDIR}"`);
  for (const f of files) {
    const [user, orgs, server] = defs[f];
    say(`[kubeconfig] Writing "${f}" kubeconfig file`);
    const p = pki.signedCert(rootCa, { cn: user, orgs, usage: 'client' });
    write(`${KDIR}/${f}`, kubeconfigYaml({ cluster: cc.clusterName, server, caPem: rootCa.cert, user, certPem: p.cert, keyPem: p.key }));
  }
}

function controlPlaneManifests(cc, { ip, port, version }) {
  say(`[control-plane] Using manifest folder "${MANIFESTS}"`);
  const docs = {
    'kube-apiserver': apiserverManifest({ cc, ip, port, image: image(cc, 'kube-apiserver', version) }),
    'kube-controller-manager': controllerManagerManifest({ cc, image: image(cc, 'kube-controller-manager', version) }),
    'kube-scheduler': schedulerManifest({ cc, image: image(cc, 'kube-scheduler', version) }),
  };
  for (const [n, d] of Object.entries(docs)) {
    say(`[control-plane] Creating static Pod manifest for "${n}"`);
    write(`${MANIFESTS}/${n}.yaml`, stringify(d), 0o600);
  }
}

function kubeletConfigDoc(cc, user) {
  const svc = cc.networking.serviceSubnet.split('/')[0].split('.').map(Number);
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    authentication: { anonymous: { enabled: false }, webhook: { cacheTTL: '0s', enabled: true }, x509: { clientCAFile: `${cc.certificatesDir}/ca.crt` } },
    authorization: { mode: 'Webhook', webhook: { cacheAuthorizedTTL: '0s', cacheUnauthorizedTTL: '0s' } },
    cgroupDriver: 'systemd',
    clusterDNS: [[svc[0], svc[1], svc[2], svc[3] + 10].join('.')],
    clusterDomain: cc.networking.dnsDomain,
    containerRuntimeEndpoint: '',
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    rotateCertificates: true,
    staticPodPath: MANIFESTS,
    ...(user || {}),
  };
}

function kubeletStart(kcfgYaml, nodeReg, nodeName) {
  // kubeadm 1.35+ no longer writes the sandbox image flag the kubelet dropped (kubernetes#133779).
  const sandbox = OWN.minor < 35 ? { 'pod-infra-container-image': PAUSE } : {};
  const extra = { 'container-runtime-endpoint': nodeReg.criSocket, ...sandbox, ...(nodeReg.kubeletExtraArgs || {}) };
  if (nodeName !== os.hostname().toLowerCase()) extra['hostname-override'] = nodeName;
  say(`[kubelet-start] Writing kubelet environment file with flags to file "${KUBELET_DIR}/kubeadm-flags.env"`);
  write(
    `${KUBELET_DIR}/kubeadm-flags.env`,
    `KUBELET_KUBEADM_ARGS="${Object.entries(extra)
      .map(([k, v]) => `--${k}=${v}`)
      .join(' ')}"\n`,
    0o644,
  );
  say(`[kubelet-start] Writing kubelet configuration to file "${KUBELET_DIR}/config.yaml"`);
  write(`${KUBELET_DIR}/config.yaml`, kcfgYaml, 0o644);
  say('[kubelet-start] Starting the kubelet');
  const r = systemctl('restart', 'kubelet');
  if (!r.ok) say(`\t[WARNING] unable to start the kubelet service: ${r.err}. Please ensure kubelet is reloadable via systemctl`);
}

async function waitKubelet(kcfg) {
  const url = `http://${kcfg.healthzBindAddress || '127.0.0.1'}:${kcfg.healthzPort ?? 10248}/healthz`;
  say(`[kubelet-check] Waiting for a healthy kubelet at ${url}. This can take up to 4m0s`);
  const t0 = Date.now();
  for (;;) {
    if (await httpOk(url)) break;
    if (Date.now() - t0 > 240000) throw new PhaseError('wait-control-plane', 'The kubelet is not healthy after 4m0s');
    await sleep(500);
  }
  say(`[kubelet-check] The kubelet is healthy after ${((Date.now() - t0) / 1000).toFixed(3)}s`);
}

async function waitApi(conn) {
  say('[api-check] Waiting for a healthy API server. This can take up to 4m0s');
  const t0 = Date.now();
  for (;;) {
    try {
      if ((await request(conn, 'GET', '/healthz', undefined, { timeoutMs: 3000 })) === 'ok') break;
    } catch {
      /* not yet */
    }
    if (Date.now() - t0 > 240000) throw new PhaseError('wait-control-plane', 'the API server is not healthy after 4m0s');
    await sleep(500);
  }
  say(`[api-check] The API server is healthy after ${((Date.now() - t0) / 1000).toFixed(3)}s`);
}

async function markControlPlane(api, nodeName) {
  const labels = ['node-role.kubernetes.io/control-plane', 'node.kubernetes.io/exclude-from-external-load-balancers'];
  say(`[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the labels: [${labels.join(' ')}]`);
  say(`[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the taints [node-role.kubernetes.io/control-plane:NoSchedule]`);
  await retry(
    'mark-control-plane',
    async () => {
      const n = await api.get(`/api/v1/nodes/${nodeName}`);
      const taints = (n.spec?.taints || []).filter((t) => t.key !== 'node-role.kubernetes.io/control-plane');
      taints.push({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
      await api.patch(`/api/v1/nodes/${nodeName}`, { metadata: { labels: Object.fromEntries(labels.map((l) => [l, ''])) }, spec: { taints } });
    },
    { timeoutMs: 240000, everyMs: 1000 },
  );
}

// ---------- bootstrap tokens ----------
async function createToken(
  api,
  { token, ttl = '24h0m0s', description, groups = ['system:bootstrappers:kubeadm:default-node-token'], usages = ['signing', 'authentication'] },
) {
  const m = TOKEN_RE.exec(token);
  if (!m) throw new Error(`the bootstrap token "${token}" was not of the form "^([a-z0-9]{6})\\.([a-z0-9]{16})$"`);
  const data = { 'token-id': m[1], 'token-secret': m[2] };
  const ms = durationMs(ttl) ?? 0;
  if (ms > 0) data.expiration = new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z');
  for (const u of usages) data[`usage-bootstrap-${u}`] = 'true';
  if (groups.length) data['auth-extra-groups'] = groups.join(',');
  if (description) data.description = description;
  const enc = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  await api.apply('/api/v1/namespaces/kube-system/secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${m[1]}`, namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    data: enc,
  });
}

const CERT_FILES = {
  'ca.crt': 'ca.crt',
  'ca.key': 'ca.key',
  'front-proxy-ca.crt': 'front-proxy-ca.crt',
  'front-proxy-ca.key': 'front-proxy-ca.key',
  'etcd-ca.crt': 'etcd/ca.crt',
  'etcd-ca.key': 'etcd/ca.key',
  'sa.key': 'sa.key',
  'sa.pub': 'sa.pub',
};

async function uploadCerts(api, cc, key) {
  say('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace');
  const data = {};
  for (const [k, f] of Object.entries(CERT_FILES)) {
    const file = `${cc.certificatesDir}/${f}`;
    if (exists(file)) data[k] = pki.encrypt(fs.readFileSync(file), key).toString('base64');
  }
  await api.apply('/api/v1/namespaces/kube-system/secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'kubeadm-certs', namespace: 'kube-system' },
    type: 'Opaque',
    data,
  });
  say('[upload-certs] Using certificate key:');
  say(key);
}

function joinCommand(endpoint, token, hash, certKey) {
  const lines = [`kubeadm join ${endpoint} --token ${token} \\`, `\t--discovery-token-ca-cert-hash ${hash}`];
  if (certKey) {
    lines[1] += ' \\';
    lines.push(`\t--control-plane --certificate-key ${certKey}`);
  }
  return lines.join('\n');
}

// ---------- init ----------
function readConfigFlag(flags) {
  const f = one(flags.config);
  if (!f) return {};
  try {
    return loadConfig(readText(f), OWN.minor);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`unable to read config from "${f}" : ${e.message}`);
  }
}

async function init(flags) {
  const conf = readConfigFlag(flags);
  for (const w of conf.warnings || []) say(w);
  if (conf.JoinConfiguration) throw new ConfigError('kubeadm init: a JoinConfiguration was given to init');
  const ic = conf.InitConfiguration || {};
  const cc = clusterDefaults(conf.ClusterConfiguration, V.gitVersion);
  if (flags['control-plane-endpoint']) cc.controlPlaneEndpoint = one(flags['control-plane-endpoint']);
  if (flags['pod-network-cidr']) cc.networking.podSubnet = one(flags['pod-network-cidr']);
  if (flags['service-cidr']) cc.networking.serviceSubnet = one(flags['service-cidr']);
  if (flags['kubernetes-version']) cc.kubernetesVersion = one(flags['kubernetes-version']);
  if (flags['cert-dir']) cc.certificatesDir = one(flags['cert-dir']);
  if (flags['apiserver-cert-extra-sans']) cc.apiServer.certSANs.push(...one(flags['apiserver-cert-extra-sans']).split(','));
  const target = parseVersion(cc.kubernetesVersion);
  if (!target) throw new ConfigError(`couldn't parse Kubernetes version "${cc.kubernetesVersion}"`);
  cc.kubernetesVersion = target.s;
  if (target.minor < OWN.minor - 1)
    throw new ConfigError(
      `this version of kubeadm only supports deploying clusters with the control plane version >= ${OWN.major}.${OWN.minor - 1}.0. Current version: ${target.s}`,
    );
  if (cmpVersion(target.s, OWN.s) > 0)
    throw new ConfigError(`the specified Kubernetes version ${target.s} is newer than this kubeadm ${OWN.s}; upgrade kubeadm first`);
  const nodeReg = { criSocket: 'unix:///var/run/containerd/containerd.sock', ...(ic.nodeRegistration || {}) };
  if (flags['cri-socket']) nodeReg.criSocket = one(flags['cri-socket']);
  const nodeName = (one(flags['node-name']) || nodeReg.name || os.hostname()).toLowerCase();
  const ip = one(flags['apiserver-advertise-address']) || ic.localAPIEndpoint?.advertiseAddress || hostIPv4();
  const port = +(one(flags['apiserver-bind-port']) || ic.localAPIEndpoint?.bindPort || 6443);
  const uploadCertsFlag = truthy(flags['upload-certs']);
  const certKey = one(flags['certificate-key']) || ic.certificateKey || crypto.randomBytes(32).toString('hex');
  if (!/^[0-9a-f]{64}$/.test(certKey)) throw new ConfigError('invalid certificate key: it must be 32 bytes in hex (64 characters)');
  const token = one(flags.token) || ic.bootstrapTokens?.[0]?.token || randomToken();
  if (!TOKEN_RE.test(token)) throw new ConfigError(`the bootstrap token "${token}" was not of the form "^([a-z0-9]{6})\\.([a-z0-9]{16})$"`);
  const ignore = [...all(flags['ignore-preflight-errors']).flatMap((s) => s.split(',')), ...(nodeReg.ignorePreflightErrors || [])];

  say(`[init] Using Kubernetes version: ${cc.kubernetesVersion}`);
  await preflight({ controlPlane: true, cc, ignore, criSocket: nodeReg.criSocket, k8sVersion: cc.kubernetesVersion });
  pullImages(cc, cc.kubernetesVersion);
  const rootCa = certsPhase(cc, { nodeName, ip });
  kubeconfigPhase(cc, rootCa, { nodeName, ip, port, files: ['admin.conf', 'super-admin.conf', 'kubelet.conf', 'controller-manager.conf', 'scheduler.conf'] });
  if (cc.etcd.local) {
    say(`[etcd] Creating static Pod manifest for local etcd in "${MANIFESTS}"`);
    write(
      `${MANIFESTS}/etcd.yaml`,
      stringify(etcdManifest({ cc, nodeName, ip, image: `${cc.imageRepository}/etcd:${ETCD_TAG}`, initialCluster: `${nodeName}=https://${ip}:2380` })),
      0o600,
    );
  }
  controlPlaneManifests(cc, { ip, port, version: cc.kubernetesVersion });
  const kcfg = kubeletConfigDoc(cc, conf.KubeletConfiguration);
  kubeletStart(stringify(kcfg), nodeReg, nodeName);
  say(`[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "${MANIFESTS}"`);
  await waitKubelet(kcfg);
  const superAdmin = loadKubeconfig(`${KDIR}/super-admin.conf`);
  const localConn = { ...superAdmin, server: `https://${ip}:${port}` };
  await waitApi(localConn);
  const api = client(localConn);

  say('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace');
  await retry(
    'upload-config',
    () =>
      api.apply('/api/v1/namespaces/kube-system/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'kubeadm-config', namespace: 'kube-system' },
        data: { ClusterConfiguration: stringify(clusterConfigDoc(cc, OWN.minor)) },
      }),
    { timeoutMs: 60000 },
  );
  say('[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster');
  await api.apply('/api/v1/namespaces/kube-system/configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'kubelet-config', namespace: 'kube-system' },
    data: { kubelet: stringify({ ...kcfg, staticPodPath: MANIFESTS }) },
  });
  // RBAC objects kubeadm creates with super-admin.conf: the admin group, bootstrap and node approval roles.
  await api.apply('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'kubeadm:cluster-admins' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'kubeadm:cluster-admins' }],
  });
  if (uploadCertsFlag) await uploadCerts(api, cc, certKey);
  await markControlPlane(api, nodeName);
  say(`[bootstrap-token] Using token: ${token}`);
  say('[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles');
  await createToken(api, {
    token,
    ttl: ic.bootstrapTokens?.[0]?.ttl,
    description: ic.bootstrapTokens?.[0]?.description,
    groups: ic.bootstrapTokens?.[0]?.groups,
    usages: ic.bootstrapTokens?.[0]?.usages,
  });
  say('[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials');
  say('[bootstrap-token] Configured RBAC rules to allow the csrapprover controller automatically approve CSRs from a Node Bootstrap Token');
  say('[bootstrap-token] Configured RBAC rules to allow certificate rotation for all node client certificates in the cluster');
  say('[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace');
  const endpoint = cc.controlPlaneEndpoint || `${ip}:${port}`;
  const clusterInfo = YAML.stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': Buffer.from(rootCa.cert).toString('base64'), server: `https://${endpoint}` }, name: '' }],
    contexts: null,
    'current-context': '',
    kind: 'Config',
    preferences: {},
    users: null,
  });
  await api.apply('/api/v1/namespaces/kube-public/configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cluster-info', namespace: 'kube-public' },
    data: { kubeconfig: clusterInfo },
  });
  say(`[kubelet-finalize] Updating "${KDIR}/kubelet.conf" to point to a rotatable kubelet client certificate and key`);
  say('[addons] Skipped CoreDNS and kube-proxy: the lab runs no containers (see docs/lab-standins.md)');
  const hash = pki.caCertHash(rootCa.cert);
  say(`
Your Kubernetes control-plane has initialized successfully!

To start using your cluster, you need to run the following as a regular user:

  mkdir -p $HOME/.kube
  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config
  sudo chown $(id -u):$(id -g) $HOME/.kube/config

Alternatively, if you are the root user, you can run:

  export KUBECONFIG=/etc/kubernetes/admin.conf

You should now deploy a pod network to the cluster.
Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:
  https://kubernetes.io/docs/concepts/cluster-administration/addons/
`);
  if (cc.controlPlaneEndpoint) {
    say('You can now join any number of the control-plane node running the following command on each as root:\n');
    say(
      '  ' +
        joinCommand(endpoint, token, hash, uploadCertsFlag ? certKey : undefined)
          .replace(/\n/g, '\n  ')
          .replace(/\n {2}\t/g, '\n\t'),
    );
    if (uploadCertsFlag) {
      say('\nPlease note that the certificate-key gives access to cluster sensitive data, keep it secret!');
      say('As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use');
      say('"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.');
    } else {
      say('\nand copy the certificate authorities and service account keys first (or use --upload-certs).');
    }
    say('\nThen you can join any number of worker nodes by running the following on each as root:\n');
  } else say('Then you can join any number of worker nodes by running the following on each as root:\n');
  say(joinCommand(endpoint, token, hash));
}

// ---------- join ----------
function jwsVerify(jws, payload, tokenId, secret) {
  const [h, , sig] = jws.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  if (header.kid !== tokenId || header.alg !== 'HS256') return false;
  const want = crypto
    .createHmac('sha256', secret)
    .update(`${h}.${Buffer.from(payload).toString('base64url')}`)
    .digest('base64url');
  return crypto.timingSafeEqual(Buffer.from(want), Buffer.from(sig));
}

async function discover({ endpoint, token, hashes, unsafeSkip }) {
  const [, id, secret] = TOKEN_RE.exec(token) || [];
  if (!id) throw new ConfigError(`the bootstrap token "${token}" was not of the form "^([a-z0-9]{6})\\.([a-z0-9]{16})$"`);
  if (!hashes.length && !unsafeSkip)
    throw new ConfigError(
      'discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue',
    );
  say(`[discovery] Trying to connect to API Server "${endpoint}"`);
  const server = `https://${endpoint}`;
  // First without trusting any CA (the hash pins it), then again over the pinned CA.
  const cm = await retry(
    'discovery',
    async () => {
      const o = await request({ server, insecure: true }, 'GET', '/api/v1/namespaces/kube-public/configmaps/cluster-info', undefined, { timeoutMs: 5000 });
      if (!o.data?.[`jws-kubeconfig-${id}`])
        throw new Error(
          `token id "${id}" is invalid for this cluster or it has expired. Use "kubeadm token create" on the control-plane node to create a new valid token`,
        );
      return o;
    },
    { timeoutMs: 300000, everyMs: 2000 },
  );
  const kc = cm.data.kubeconfig;
  if (!jwsVerify(cm.data[`jws-kubeconfig-${id}`], kc, id, secret))
    throw new PhaseError(
      'preflight',
      `couldn't validate the identity of the API Server: failed to verify JWS signature of received cluster info object, can't trust this API Server`,
    );
  const parsed = YAML.parse(kc);
  const caPem = Buffer.from(parsed.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
  if (!unsafeSkip) {
    const h = pki.caCertHash(caPem);
    if (!hashes.map((x) => x.toLowerCase()).includes(h))
      throw new PhaseError(
        'preflight',
        `couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${h}" are pinned`,
      );
  }
  say(`[discovery] Cluster info signature and contents are valid and TLS certificate validates against pinned roots, will use API Server "${endpoint}"`);
  const conn = { server: parsed.clusters[0].cluster.server, ca: Buffer.from(caPem), token };
  await withRetry('cluster-info', () => request(conn, 'GET', '/api/v1/namespaces/kube-public/configmaps/cluster-info'));
  say(`[discovery] Successfully established connection with API Server "${endpoint}"`);
  return { conn, caPem, server: parsed.clusters[0].cluster.server };
}

async function etcdEndpoints(api) {
  const pods = await api.get('/api/v1/namespaces/kube-system/pods?labelSelector=component=etcd,tier=control-plane');
  const eps = pods.items.map((p) => p.metadata.annotations?.['kubeadm.kubernetes.io/etcd.advertise-client-urls']).filter(Boolean);
  if (!eps.length) throw new Error('could not retrieve the list of etcd endpoints: no etcd pods with the advertise-client-urls annotation');
  return eps;
}

async function join(pos, flags) {
  const conf = readConfigFlag(flags);
  for (const w of conf.warnings || []) say(w);
  const jc = conf.JoinConfiguration || {};
  const bt = jc.discovery?.bootstrapToken || {};
  const endpoint = pos[0] || bt.apiServerEndpoint;
  const token = one(flags['discovery-token']) || one(flags.token) || bt.token || jc.discovery?.tlsBootstrapToken;
  const hashes = [...all(flags['discovery-token-ca-cert-hash']), ...(bt.caCertHashes || [])];
  const unsafeSkip = truthy(flags['discovery-token-unsafe-skip-ca-verification']) || !!bt.unsafeSkipCAVerification;
  const controlPlane = truthy(flags['control-plane']) || !!jc.controlPlane;
  const certKey = one(flags['certificate-key']) || jc.controlPlane?.certificateKey;
  const nodeReg = { criSocket: 'unix:///var/run/containerd/containerd.sock', ...(jc.nodeRegistration || {}) };
  if (flags['cri-socket']) nodeReg.criSocket = one(flags['cri-socket']);
  const nodeName = (one(flags['node-name']) || nodeReg.name || os.hostname()).toLowerCase();
  const ip = one(flags['apiserver-advertise-address']) || jc.controlPlane?.localAPIEndpoint?.advertiseAddress || hostIPv4();
  const port = +(one(flags['apiserver-bind-port']) || jc.controlPlane?.localAPIEndpoint?.bindPort || 6443);
  const ignore = [...all(flags['ignore-preflight-errors']).flatMap((s) => s.split(',')), ...(nodeReg.ignorePreflightErrors || [])];
  if (!endpoint || !token) throw new ConfigError('discovery: Invalid value: "": bootstrapToken or file must be set');

  await preflight({ controlPlane: false, join: true, ignore, criSocket: nodeReg.criSocket, k8sVersion: V.gitVersion });
  const { conn, caPem, server } = await discover({ endpoint, token, hashes, unsafeSkip });
  const boot = client(conn);
  say('[preflight] Reading configuration from the cluster...');
  say("[preflight] FYI: You can look at this config file with 'kubectl -n kube-system get cm kubeadm-config -o yaml'");
  const kcm = await withRetry('kubeadm-config', () => boot.get('/api/v1/namespaces/kube-system/configmaps/kubeadm-config'));
  const clusterConf = loadConfig(kcm.data.ClusterConfiguration, OWN.minor).ClusterConfiguration;
  const cc = clusterDefaults(clusterConf, V.gitVersion);
  const kver = parseVersion(cc.kubernetesVersion);
  const kv = kubeletVersion();
  if (kv && kv.minor > kver.minor)
    throw new PhaseError(
      'kubelet-start',
      `cannot get Node "${nodeName}": the kubelet version is higher than the control plane version. Kubelet version: "${kv.s}" Control plane version: "${kver.s}"`,
    );
  try {
    const n = await withRetry('node', () => boot.get(`/api/v1/nodes/${nodeName}`));
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready)
      throw new PhaseError(
        'kubelet-start',
        `a Node with name "${nodeName}" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node`,
      );
  } catch (e) {
    if (e instanceof PhaseError) throw e;
    if (e.status !== 404 && e.status !== 403) throw e;
  }
  const kubeletCm = await withRetry('kubelet-config', () => boot.get('/api/v1/namespaces/kube-system/configmaps/kubelet-config'));

  let rootCa;
  if (controlPlane) {
    if (!cc.controlPlaneEndpoint)
      throw new PhaseError(
        'preflight',
        `One or more conditions for hosting a new control plane instance is not satisfied.\n\nunable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address\n\nPlease ensure that:\n* The cluster has a stable controlPlaneEndpoint address.\n* The certificates that must be shared among control plane instances are provided.`,
      );
    say('[preflight] Running pre-flight checks before initializing the new control plane instance');
    await preflight({ controlPlane: true, cc, ignore, criSocket: nodeReg.criSocket, k8sVersion: cc.kubernetesVersion });
    pullImages(cc, cc.kubernetesVersion);
    if (certKey) {
      say('[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace');
      const sec = await withRetry('kubeadm-certs', () => boot.get('/api/v1/namespaces/kube-system/secrets/kubeadm-certs')).catch((e) => {
        throw new PhaseError('control-plane-prepare/download-certs', `error downloading certs: error downloading the secret: ${e.message}`);
      });
      say(`[download-certs] Saving the certificates to the folder: "${cc.certificatesDir}"`);
      for (const [k, f] of Object.entries(CERT_FILES)) {
        if (!sec.data?.[k]) continue;
        let plain;
        try {
          plain = pki.decrypt(Buffer.from(sec.data[k], 'base64'), certKey);
        } catch {
          throw new PhaseError(
            'control-plane-prepare/download-certs',
            'error downloading certs: error decoding secret data with provided key: cipher: message authentication failed',
          );
        }
        write(`${cc.certificatesDir}/${f}`, plain, f.endsWith('.key') ? 0o600 : 0o644);
      }
    }
    if (!exists(`${cc.certificatesDir}/ca.key`))
      throw new PhaseError(
        'control-plane-prepare/certs',
        `[certs] failure loading ca certificate authority: couldn't load the certificate file ${cc.certificatesDir}/ca.crt: open ${cc.certificatesDir}/ca.crt: no such file or directory`,
      );
    rootCa = certsPhase(cc, { nodeName, ip });
    if (rootCa.cert.trim() !== caPem.trim())
      throw new PhaseError('control-plane-prepare/certs', 'the downloaded CA does not match the CA of the cluster being joined');
    say('[certs] Valid certificates and keys now exist in "' + cc.certificatesDir + '"');
    say('[kubeconfig] Generating kubeconfig files');
    kubeconfigPhase(cc, rootCa, { nodeName, ip, port, files: ['admin.conf', 'controller-manager.conf', 'scheduler.conf'] });
    controlPlaneManifests(cc, { ip, port, version: cc.kubernetesVersion });
  } else {
    write(`${KDIR}/pki/ca.crt`, caPem, 0o644);
  }
  say('[check-etcd] Checking that the etcd cluster is healthy');
  write(`${KDIR}/bootstrap-kubelet.conf`, kubeconfigYaml({ cluster: cc.clusterName, server, caPem, user: 'tls-bootstrap-token-user', token }));
  const kcfg = { ...YAML.parse(kubeletCm.data.kubelet) };
  kubeletStart(stringify(kcfg), nodeReg, nodeName);
  await waitKubelet(kcfg);
  say('[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap');
  const t0 = Date.now();
  while (!exists(`${KDIR}/kubelet.conf`)) {
    if (Date.now() - t0 > 240000) throw new PhaseError('kubelet-start', 'timed out waiting for the condition: the kubelet did not perform the TLS Bootstrap');
    await sleep(500);
  }
  fs.rmSync(`${KDIR}/bootstrap-kubelet.conf`, { force: true });

  if (controlPlane) {
    const admin = client(loadKubeconfig(`${KDIR}/admin.conf`));
    if (cc.etcd.local) {
      const eps = await withRetry('etcd endpoints', () => etcdEndpoints(admin));
      const etcd = new Etcd({
        endpoints: eps,
        ca: `${cc.certificatesDir}/etcd/ca.crt`,
        cert: `${cc.certificatesDir}/apiserver-etcd-client.crt`,
        key: `${cc.certificatesDir}/apiserver-etcd-client.key`,
      });
      const peer = `https://${ip}:2380`;
      // A learner first (kubeadm's EtcdLearnerMode), promoted once in sync: quorum is unchanged meanwhile.
      const added = await withRetry('etcd member add', () => etcd.post('/v3/cluster/member/add', { peerURLs: [peer], isLearner: true }));
      const members = added.members.map((m) => (m.peerURLs?.includes(peer) ? { ...m, name: nodeName } : m)).filter((m) => m.name);
      const initialCluster = members.flatMap((m) => m.peerURLs.map((u) => `${m.name}=${u}`)).join(',');
      say('[etcd] Announced new etcd member joining to the existing etcd cluster');
      say(`[etcd] Creating static Pod manifest for "etcd"`);
      write(
        `${MANIFESTS}/etcd.yaml`,
        stringify(etcdManifest({ cc, nodeName, ip, image: `${cc.imageRepository}/etcd:${ETCD_TAG}`, initialCluster, existing: true })),
        0o600,
      );
      say('[etcd] Waiting for the new etcd member to join the cluster. This can take up to 40s');
      const id = added.member.ID;
      await retry(
        'etcd learner promotion',
        async () => {
          await etcd.post('/v3/cluster/member/promote', { ID: id });
        },
        { timeoutMs: 120000, everyMs: 1000 },
      );
      say(`[etcd] The new etcd member was promoted to a voting member`);
    }
    await markControlPlane(admin, nodeName);
    say(`
This node has joined the cluster and a new control plane instance was created:

* Certificate signing request was sent to apiserver and approval was received.
* The Kubelet was informed of the new secure connection details.
* Control plane label and taint were applied to the new node.
* The Kubernetes control plane instances scaled up.
* A new etcd member was added to the local/stacked etcd cluster.

To start administering your cluster from this node, you need to run the following as a regular user:

\tmkdir -p $HOME/.kube
\tsudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config
\tsudo chown $(id -u):$(id -g) $HOME/.kube/config

Run 'kubectl get nodes' to see this node join the cluster.
`);
  } else {
    say(`
This node has joined the cluster:
* Certificate signing request was sent to apiserver and a response was received.
* The Kubelet was informed of the new secure connection details.

Run 'kubectl get nodes' on the control-plane to see this node join the cluster.
`);
  }
}

// ---------- reset ----------
async function reset(flags) {
  // `kubeadm reset --config` reads a ResetConfiguration (v1beta4); flags win over it.
  const conf = readConfigFlag(flags);
  for (const w of conf.warnings || []) say(w);
  const rc = conf.ResetConfiguration || {};
  if (!truthy(flags.force) && !truthy(flags.f) && !rc.force) {
    say("[reset] WARNING: Changes made to this host by 'kubeadm init' or 'kubeadm join' will be reverted.");
    process.stdout.write('[reset] Are you sure you want to proceed? [y/N]: ');
    const buf = Buffer.alloc(16);
    let n;
    try {
      n = fs.readSync(0, buf, 0, 16, null);
    } catch {
      n = 0;
    }
    if (!/^y/i.test(buf.subarray(0, n).toString())) throw new Error('aborted reset operation');
  }
  const certDir = one(flags['cert-dir']) || rc.certificatesDir || '/etc/kubernetes/pki';
  say('[preflight] Running pre-flight checks');
  const etcdYaml = `${MANIFESTS}/etcd.yaml`;
  let dataDir = '/var/lib/etcd';
  if (exists(etcdYaml)) {
    // Remove this host's member from the stacked etcd cluster while its peers can still reach quorum.
    try {
      const cmd = YAML.parse(readText(etcdYaml)).spec.containers[0].command;
      const f = Object.fromEntries(
        cmd
          .slice(1)
          .map((a) => /^--([^=]+)=(.*)$/.exec(a))
          .filter(Boolean)
          .map((m) => [m[1], m[2]]),
      );
      dataDir = f['data-dir'] || dataDir;
      const eps = [f['advertise-client-urls']];
      try {
        eps.push(...(await etcdEndpoints(client(loadKubeconfig(`${KDIR}/admin.conf`)))));
      } catch {
        /* local endpoint only */
      }
      const etcd = new Etcd({
        endpoints: [...new Set(eps)],
        ca: `${certDir}/etcd/ca.crt`,
        cert: `${certDir}/apiserver-etcd-client.crt`,
        key: `${certDir}/apiserver-etcd-client.key`,
      });
      const list = await etcd.memberList();
      const me = list.members.find((m) => m.name === f.name || m.peerURLs?.includes(f['initial-advertise-peer-urls']));
      if (me && list.members.length > 1) {
        await etcd.memberRemove(me.ID);
        say(`[reset] Removed member ${f.name} from the etcd cluster`);
      }
    } catch (e) {
      say(`W1122 [reset] Failed to remove etcd member: ${e.message}. Please manually remove this etcd member using etcdctl`);
    }
  }
  say('[reset] Stopping the kubelet service');
  systemctl('stop', 'kubelet');
  const dirs = [MANIFESTS, KUBELET_DIR, certDir];
  for (const d of [dataDir])
    if (exists(d)) {
      for (const e of fs.readdirSync(d)) fs.rmSync(path.join(d, e), { recursive: true, force: true });
      say(`[reset] Deleted contents of the etcd data directory: ${d}`);
    }
  say(`[reset] Deleting contents of directories: [${dirs.join(' ')}]`);
  for (const d of dirs) if (exists(d)) for (const e of fs.readdirSync(d)) fs.rmSync(path.join(d, e), { recursive: true, force: true });
  const files = ['admin.conf', 'super-admin.conf', 'kubelet.conf', 'bootstrap-kubelet.conf', 'controller-manager.conf', 'scheduler.conf'].map(
    (f) => `${KDIR}/${f}`,
  );
  say(`[reset] Deleting files: [${files.join(' ')}]`);
  for (const f of files) fs.rmSync(f, { force: true });
  say(`
The reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d

The reset process does not reset or clean up iptables rules or IPVS tables.
If you wish to reset iptables, you must do so manually by using the "iptables" command.

The reset process does not clean your kubeconfig files and you must remove them manually.
Please, check the contents of the $HOME/.kube/config file.`);
}

// ---------- token ----------
function adminClient(flags) {
  return client(loadKubeconfig(one(flags.kubeconfig) || `${KDIR}/admin.conf`));
}
async function token(pos, flags) {
  const sub = pos[0];
  const api = adminClient(flags);
  if (sub === 'create') {
    const t = pos[1] || randomToken();
    await createToken(api, {
      token: t,
      ttl: one(flags.ttl) || '24h0m0s',
      description: one(flags.description),
      groups: flags.groups ? one(flags.groups).split(',') : undefined,
    });
    if (!truthy(flags['print-join-command'])) return say(t);
    const cm = await api.get('/api/v1/namespaces/kube-public/configmaps/cluster-info');
    const c = YAML.parse(cm.data.kubeconfig).clusters[0].cluster;
    const hash = pki.caCertHash(Buffer.from(c['certificate-authority-data'], 'base64').toString());
    const ep = c.server.replace(/^https:\/\//, '');
    const ck = one(flags['certificate-key']);
    return say(`kubeadm join ${ep} --token ${t} --discovery-token-ca-cert-hash ${hash} ${ck ? `--control-plane --certificate-key ${ck} ` : ''}`);
  }
  if (sub === 'list') {
    const l = await api.get('/api/v1/namespaces/kube-system/secrets');
    const rows = [['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS']];
    for (const s of l.items.filter((x) => x.type === 'bootstrap.kubernetes.io/token')) {
      const d = (k) => (s.data[k] ? Buffer.from(s.data[k], 'base64').toString() : '');
      const exp = d('expiration');
      const usages = Object.keys(s.data)
        .filter((k) => k.startsWith('usage-bootstrap-'))
        .map((k) => k.slice(16))
        .sort()
        .join(',');
      rows.push([
        `${d('token-id')}.${d('token-secret')}`,
        exp ? shortDuration(new Date(exp) - Date.now()) : '<forever>',
        exp || '<never>',
        usages,
        d('description') || '<none>',
        d('auth-extra-groups'),
      ]);
    }
    return say(table(rows));
  }
  if (sub === 'delete') {
    for (const t of pos.slice(1)) {
      const id = t.split('.')[0];
      await api.del(`/api/v1/namespaces/kube-system/secrets/bootstrap-token-${id}`);
      say(`bootstrap token "${id}" deleted`);
    }
    return;
  }
  if (sub === 'generate') return say(randomToken());
  throw new Error(`unknown command "${sub}" for "kubeadm token"`);
}

// Go's tabwriter as kubeadm uses it: columns padded to the widest cell plus 3 spaces.
function table(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(w[i] + 3)).join('')).join('\n');
}
// k8s.io/apimachinery duration.ShortHumanDuration.
function shortDuration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  if (s < 365 * 24 * 3600) return `${Math.floor(s / 86400)}d`;
  return `${Math.floor(s / (365 * 86400))}y`;
}
function expiryDate(d) {
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n) => String(n).padStart(2, '0');
  return `${mon} ${p(d.getUTCDate())}, ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}

// ---------- certs ----------
const LEAVES = [
  ['admin.conf', 'kubeconfig', 'ca'],
  ['apiserver', 'apiserver', 'ca'],
  ['apiserver-etcd-client', 'apiserver-etcd-client', 'etcd-ca'],
  ['apiserver-kubelet-client', 'apiserver-kubelet-client', 'ca'],
  ['controller-manager.conf', 'kubeconfig', 'ca'],
  ['etcd-healthcheck-client', 'etcd/healthcheck-client', 'etcd-ca'],
  ['etcd-peer', 'etcd/peer', 'etcd-ca'],
  ['etcd-server', 'etcd/server', 'etcd-ca'],
  ['front-proxy-client', 'front-proxy-client', 'front-proxy-ca'],
  ['scheduler.conf', 'kubeconfig', 'ca'],
  ['super-admin.conf', 'kubeconfig', 'ca'],
];
function leafCert(dir, name, file) {
  if (file === 'kubeconfig') {
    const f = `${KDIR}/${name}`;
    if (!exists(f)) return null;
    const kc = loadKubeconfig(f);
    return kc.cert?.toString();
  }
  const f = `${dir}/${file}.crt`;
  return exists(f) ? readText(f) : null;
}
async function certs(pos, flags) {
  const dir = one(flags['cert-dir']) || '/etc/kubernetes/pki';
  if (pos[0] === 'certificate-key') return say(crypto.randomBytes(32).toString('hex'));
  if (pos[0] === 'check-expiration') {
    say('[check-expiration] Reading configuration from the cluster...');
    say("[check-expiration] FYI: You can look at this config file with 'kubectl -n kube-system get cm kubeadm-config -o yaml'\n");
    const rows = [['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED']];
    const json = [];
    for (const [name, file, ca] of LEAVES) {
      const pem = leafCert(dir, name, file);
      if (!pem) continue;
      const na = pki.certInfo(pem).notAfter;
      rows.push([name, expiryDate(na), shortDuration(na - Date.now()), ca, 'no']);
      json.push({ name, expirationDate: na.toISOString(), residualTime: Math.floor((na - Date.now()) / 1000) * 1e9, caName: ca, externallyManaged: false });
    }
    const carows = [['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED']];
    const cajson = [];
    for (const [name, file] of [
      ['ca', 'ca'],
      ['etcd-ca', 'etcd/ca'],
      ['front-proxy-ca', 'front-proxy-ca'],
    ]) {
      if (!exists(`${dir}/${file}.crt`)) continue;
      const na = pki.certInfo(readText(`${dir}/${file}.crt`)).notAfter;
      carows.push([name, expiryDate(na), shortDuration(na - Date.now()), exists(`${dir}/${file}.key`) ? 'no' : 'yes']);
      cajson.push({
        name,
        expirationDate: na.toISOString(),
        residualTime: Math.floor((na - Date.now()) / 1000) * 1e9,
        externallyManaged: !exists(`${dir}/${file}.key`),
      });
    }
    const o = one(flags.o) || one(flags.output) || one(flags['experimental-output']);
    if (o === 'json' || o === 'yaml') {
      const doc = { kind: 'CertificateExpirationInfo', apiVersion: 'output.kubeadm.k8s.io/v1alpha3', certificates: json, certificateAuthorities: cajson };
      return say(o === 'json' ? JSON.stringify(doc, null, 4) : stringify(doc));
    }
    say(table(rows));
    say('');
    return say(table(carows));
  }
  if (pos[0] === 'renew') {
    const what = pos[1];
    const caPair = loadPair(dir, 'ca');
    if (!caPair) throw new Error(`failed to load the CA: ${dir}/ca.key missing`);
    const renewed = renewCerts(dir, what === 'all' ? null : [what]);
    for (const n of renewed) say(`[renew] ${n} renewed`);
    say(
      '\nDone renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.',
    );
    return;
  }
  throw new Error(`unknown command "${pos[0]}" for "kubeadm certs"`);
}

// Re-sign each leaf with the same subject, SANs and key usage, keeping its key.
function renewCerts(dir, only) {
  const done = [];
  const cas = { ca: loadPair(dir, 'ca'), 'etcd-ca': loadPair(dir, 'etcd/ca'), 'front-proxy-ca': loadPair(dir, 'front-proxy-ca') };
  for (const [name, file, caName] of LEAVES) {
    if (only && !only.includes(name)) continue;
    const ca = cas[caName];
    if (!ca) continue;
    if (file === 'kubeconfig') {
      const f = `${KDIR}/${name}`;
      if (!exists(f)) continue;
      const kc = loadKubeconfig(f);
      if (!kc.cert) continue;
      const { cn, orgs } = subjectOf(kc.cert.toString());
      const key = kc.key.toString();
      const cert = pki.signCsr(pki.newCsr(key, cn, orgs), ca, { usage: 'client' });
      const doc = YAML.parse(readText(f));
      doc.users[0].user['client-certificate-data'] = Buffer.from(cert).toString('base64');
      write(f, YAML.stringify(doc));
    } else {
      const crt = `${dir}/${file}.crt`;
      if (!exists(crt)) continue;
      const info = pki.certInfo(readText(crt));
      const { cn, orgs } = subjectOf(readText(crt));
      const sans = (info.san || '').split(', ').filter(Boolean);
      const eku = info.x.keyUsage || [];
      const usage = eku.includes('1.3.6.1.5.5.7.3.1') && eku.includes('1.3.6.1.5.5.7.3.2') ? 'both' : eku.includes('1.3.6.1.5.5.7.3.1') ? 'server' : 'client';
      const key = readText(`${dir}/${file}.key`);
      const cert = pki.signCsr(pki.newCsr(key, cn, orgs), ca, {
        usage,
        dns: sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
        ips: sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice(11)),
      });
      write(crt, cert, 0o644);
    }
    done.push(
      `certificate ${name === 'admin.conf' || file === 'kubeconfig' ? `embedded in the kubeconfig file for ${name.replace('.conf', '')}` : `for ${name}`}`,
    );
  }
  return done;
}
function subjectOf(pem) {
  const s = pki.certInfo(pem).subject.split('\n');
  return { cn: s.find((l) => l.startsWith('CN='))?.slice(3), orgs: s.filter((l) => l.startsWith('O=')).map((l) => l.slice(2)) };
}

// ---------- upgrade ----------
async function clusterConfig(api) {
  const cm = await api.get('/api/v1/namespaces/kube-system/configmaps/kubeadm-config');
  return { cm, cc: clusterDefaults(loadConfig(cm.data.ClusterConfiguration, OWN.minor).ClusterConfiguration, V.gitVersion) };
}
function manifestVersion(name) {
  const f = `${MANIFESTS}/${name}.yaml`;
  if (!exists(f)) return null;
  return YAML.parse(readText(f)).spec.containers[0].image.split(':').pop();
}
async function waitStaticPod(api, name, nodeName, hashBefore) {
  await retry(
    `static pod ${name}`,
    async () => {
      const p = await api.get(`/api/v1/namespaces/kube-system/pods/${name}-${nodeName}`);
      const h = p.metadata.annotations?.['kubernetes.io/config.hash'];
      if (h === hashBefore || p.status?.phase !== 'Running') throw new Error('not yet restarted');
    },
    { timeoutMs: 300000, everyMs: 1000 },
  );
}
function localNodeName() {
  try {
    return /CN=system:node:([^\s,/]+)/.exec(pki.certInfo(loadKubeconfig(`${KDIR}/kubelet.conf`).cert.toString()).subject.replace(/\n/g, '/'))[1];
  } catch {
    return os.hostname().toLowerCase();
  }
}
async function upgradeControlPlane(api, cc, version, renew, etcdUpgrade = true) {
  const nodeName = localNodeName();
  const ip = YAML.parse(readText(`${MANIFESTS}/kube-apiserver.yaml`)).metadata.annotations['kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint'];
  const { host, port } = splitHostPort(ip, 6443);
  pullOwnImages(TREE, V.gitVersion);
  if (renew) {
    say('[upgrade/staticpods] Renewing certificates');
    renewCerts(cc.certificatesDir, null);
  }
  say(`[upgrade/staticpods] Writing new Static Pod manifests to "${MANIFESTS}"`);
  cc.kubernetesVersion = version;
  // etcd first, as kubeadm: only the image tag changes (the lab runs one Debian etcd for every tag).
  if (etcdUpgrade && exists(`${MANIFESTS}/etcd.yaml`)) {
    const etcdPod = YAML.parse(readText(`${MANIFESTS}/etcd.yaml`));
    const want = `${cc.imageRepository}/etcd:${ETCD_TAG}`;
    if (etcdPod.spec.containers[0].image === want) say('[upgrade/staticpods] Current and new manifests of etcd are equal, skipping upgrade');
    else {
      const before = await api
        .get(`/api/v1/namespaces/kube-system/pods/etcd-${nodeName}`)
        .then((p) => p.metadata.annotations?.['kubernetes.io/config.hash'])
        .catch(() => undefined);
      etcdPod.spec.containers[0].image = want;
      say('[upgrade/staticpods] Preparing for "etcd" upgrade');
      write(`${MANIFESTS}/etcd.yaml`, stringify(etcdPod), 0o600);
      await waitStaticPod(api, 'etcd', nodeName, before);
      say('[upgrade/staticpods] Component "etcd" upgraded successfully!');
    }
  }
  const docs = {
    'kube-apiserver': apiserverManifest({ cc, ip: host, port, image: image(cc, 'kube-apiserver', version) }),
    'kube-controller-manager': controllerManagerManifest({ cc, image: image(cc, 'kube-controller-manager', version) }),
    'kube-scheduler': schedulerManifest({ cc, image: image(cc, 'kube-scheduler', version) }),
  };
  for (const [n, d] of Object.entries(docs)) {
    const before = await api
      .get(`/api/v1/namespaces/kube-system/pods/${n}-${nodeName}`)
      .then((p) => p.metadata.annotations?.['kubernetes.io/config.hash'])
      .catch(() => undefined);
    const backup = `/etc/kubernetes/tmp/kubeadm-backup-manifests-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '-')}`;
    fs.mkdirSync(backup, { recursive: true });
    if (exists(`${MANIFESTS}/${n}.yaml`)) fs.copyFileSync(`${MANIFESTS}/${n}.yaml`, `${backup}/${n}.yaml`);
    say(`[upgrade/staticpods] Moving new manifest to "${MANIFESTS}/${n}.yaml" and backing up old manifest to "${backup}/${n}.yaml"`);
    write(`${MANIFESTS}/${n}.yaml`, stringify(d), 0o600);
    say(`[upgrade/staticpods] Waiting for the kubelet to restart the component`);
    await waitStaticPod(api, n, nodeName, before);
    say(`[upgrade/staticpods] Component "${n}" upgraded successfully!`);
  }
}

// As kubeadm 1.35+ on upgrade: the kubelet flag 1.35 removed goes from kubeadm-flags.env.
function dropSandboxFlag() {
  const f = `${KUBELET_DIR}/kubeadm-flags.env`;
  if (OWN.minor < 35 || !exists(f)) return;
  const text = readText(f);
  const cleaned = text.replace(/\s*--pod-infra-container-image=\S*?(?=[\s"])/g, '');
  if (cleaned !== text) write(f, cleaned, 0o644);
}

// `kubeadm upgrade apply|node --config`: an UpgradeConfiguration (v1beta4), flags win over it.
function upgradeOptions(sub, flags) {
  const conf = readConfigFlag(flags);
  for (const w of conf.warnings || []) say(w);
  for (const k of ['InitConfiguration', 'ClusterConfiguration', 'JoinConfiguration'])
    if (conf[k]) say(`[upgrade/config] WARNING: Ignored configuration document ${k}: "kubeadm upgrade ${sub}" reads an UpgradeConfiguration`);
  const uc = conf.UpgradeConfiguration || {};
  const part = (sub === 'apply' ? uc.apply : sub === 'node' ? uc.node : uc.plan) || {};
  const flag = (name) => (flags[name] === undefined ? undefined : truthy(flags[name]));
  return {
    version: pos1(sub, part),
    certificateRenewal: flag('certificate-renewal') ?? part.certificateRenewal ?? true,
    etcdUpgrade: flag('etcd-upgrade') ?? part.etcdUpgrade ?? true,
    force: flag('force') ?? part.forceUpgrade ?? false,
    ignore: [...all(flags['ignore-preflight-errors']).flatMap((x) => x.split(',')), ...(part.ignorePreflightErrors || [])],
  };
}
function pos1(sub, part) {
  return sub === 'apply' || sub === 'plan' ? part.kubernetesVersion : undefined;
}

// Upgrade preflight: as kubeadm 1.35+, the system verification assumes the kubelet will follow
// the control plane to the next minor (kubernetes#134744).
function upgradePreflight(ignore) {
  say('[upgrade/preflight] Running preflight checks');
  const errors = [],
    warnings = [];
  const kv = kubeletVersion();
  if (kv)
    cgroupsCheck(
      kv.minor + 1,
      (n, m) => errors.push([n, m]),
      (n, m) => warnings.push([n, m]),
    );
  reportPreflight(errors, warnings, ignore);
}

async function upgrade(pos, flags) {
  const sub = pos[0];
  const opts = upgradeOptions(sub, flags);
  // As kubeadm: `upgrade node` on a node without the kube-apiserver manifest (a worker) talks to the
  // cluster with kubelet.conf, everything else with admin.conf (unless --kubeconfig says).
  const worker = sub === 'node' && !one(flags.kubeconfig) && !exists(`${MANIFESTS}/kube-apiserver.yaml`);
  const api = worker ? client(loadKubeconfig(`${KDIR}/kubelet.conf`)) : adminClient(flags);
  const { cm, cc } = await clusterConfig(api);
  const current = parseVersion(cc.kubernetesVersion);
  if (sub === 'plan') {
    say('[preflight] Running pre-flight checks.');
    say('[upgrade/config] Reading configuration from the cluster...');
    say('[upgrade] Running cluster health checks');
    say('[upgrade] Fetching available versions to upgrade to');
    say(`[upgrade/versions] Cluster version: ${current.s}`);
    say(`[upgrade/versions] kubeadm version: ${V.gitVersion}`);
    const nodes = (await api.get('/api/v1/nodes')).items;
    if (cmpVersion(V.gitVersion, current.s) <= 0) return say("\nAwesome, you're up-to-date! Enjoy!");
    say("\nComponents that must be upgraded manually after you have upgraded the control plane with 'kubeadm upgrade apply':");
    say(
      table([
        ['COMPONENT', 'NODE', 'CURRENT', 'TARGET'],
        ...nodes.map((n) => ['kubelet', n.metadata.name, n.status?.nodeInfo?.kubeletVersion || '', V.gitVersion]),
      ]),
    );
    say(`\nUpgrade to the latest version in the v${OWN.major}.${OWN.minor} series:\n`);
    const cps = nodes.filter((n) => 'node-role.kubernetes.io/control-plane' in (n.metadata.labels || {}));
    const rows = [['COMPONENT', 'NODE', 'CURRENT', 'TARGET']];
    for (const c of CONTROL_PLANE)
      for (const n of cps) {
        const p = await api.get(`/api/v1/namespaces/kube-system/pods/${c}-${n.metadata.name}`).catch(() => null);
        rows.push([c, n.metadata.name, p?.spec?.containers?.[0]?.image?.split(':').pop() || '', V.gitVersion]);
      }
    for (const n of cps) {
      const p = await api.get(`/api/v1/namespaces/kube-system/pods/etcd-${n.metadata.name}`).catch(() => null);
      if (p) rows.push(['etcd', n.metadata.name, p.spec.containers[0].image.split(':').pop(), ETCD_TAG]);
    }
    say(table(rows));
    say(`\nYou can now apply the upgrade by executing the following command:\n\n\tkubeadm upgrade apply ${V.gitVersion}\n`);
    say('_____________________________________________________________________\n');
    return;
  }
  if (sub === 'apply') {
    const target = parseVersion(pos[1] || opts.version);
    if (!target) throw new Error('missing one or more required arguments. Required arguments: [version]');
    if (cmpVersion(target.s, V.gitVersion) > 0)
      throw new PhaseError(
        'preflight',
        `Specified version to upgrade to "${target.s}" is higher than the kubeadm version "${V.gitVersion}". Upgrade kubeadm first using the tool you used to install kubeadm`,
      );
    if (target.minor > current.minor + 1)
      throw new PhaseError('preflight', `Specified version to upgrade to "${target.s}" is too high; kubeadm can upgrade only 1 minor version at a time`);
    if (target.minor < current.minor)
      throw new PhaseError('preflight', `Specified version to upgrade to "${target.s}" is an unsupported version and --force wasn't specified`);
    say('[upgrade] Reading configuration from the cluster...');
    say("[upgrade] FYI: You can look at this config file with 'kubectl -n kube-system get cm kubeadm-config -o yaml'");
    upgradePreflight(opts.ignore);
    say('[upgrade] Running cluster health checks');
    const nodes = (await api.get('/api/v1/nodes')).items.filter((n) => 'node-role.kubernetes.io/control-plane' in (n.metadata.labels || {}));
    const notReady = nodes.filter((n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True');
    if (notReady.length && !opts.force)
      throw new PhaseError(
        'preflight',
        `[upgrade/health] FATAL: [preflight] Some fatal errors occurred:\n\t[ERROR ControlPlaneNodesReady]: there are NotReady control-planes in the cluster: [${notReady.map((n) => n.metadata.name).join(' ')}]`,
      );
    for (const n of nodes) {
      const kv = parseVersion(n.status?.nodeInfo?.kubeletVersion);
      if (kv && target.minor - kv.minor > 3) throw new PhaseError('preflight', `the kubelet on node ${n.metadata.name} (${kv.s}) is too old for ${target.s}`);
    }
    say(`[upgrade/version] You have chosen to change the cluster version to "${target.s}"`);
    say(`[upgrade/versions] Cluster version: ${current.s}`);
    say(`[upgrade/versions] kubeadm version: ${V.gitVersion}`);
    if (!truthy(flags.yes) && !truthy(flags.y) && !opts.force) {
      process.stdout.write('[upgrade] Are you sure you want to proceed? [y/N]: ');
      const buf = Buffer.alloc(16);
      let n;
      try {
        n = fs.readSync(0, buf, 0, 16, null);
      } catch {
        n = 0;
      }
      if (!/^y/i.test(buf.subarray(0, n).toString())) throw new Error("won't proceed; the user didn't answer (Y|y) in order to continue");
    }
    say(`[upgrade/apply] Upgrading your Static Pod-hosted control plane to version "${target.s}" (timeout: 5m0s)...`);
    await upgradeControlPlane(api, cc, target.s, opts.certificateRenewal, opts.etcdUpgrade);
    dropSandboxFlag();
    const doc = clusterConfigDoc(cc, OWN.minor);
    await api.put('/api/v1/namespaces/kube-system/configmaps/kubeadm-config', { ...cm, data: { ...cm.data, ClusterConfiguration: stringify(doc) } });
    say('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace');
    say(`\n[upgrade/successful] SUCCESS! Your cluster was upgraded to "${target.s}". Enjoy!\n`);
    say("[upgrade/kubelet] Now that your control plane is upgraded, please proceed with upgrading your kubelets if you haven't already done so.");
    return;
  }
  if (sub === 'node') {
    say('[upgrade] Reading configuration from the cluster...');
    say("[upgrade] FYI: You can look at this config file with 'kubectl -n kube-system get cm kubeadm-config -o yaml'");
    if (cmpVersion(current.s, V.gitVersion) > 0)
      throw new PhaseError('preflight', `the cluster version ${current.s} is higher than this kubeadm ${V.gitVersion}. Upgrade kubeadm first`);
    upgradePreflight(opts.ignore);
    if (exists(`${MANIFESTS}/kube-apiserver.yaml`)) {
      say('[upgrade] Upgrading your Static Pod-hosted control plane instance to version "' + current.s + '"...');
      if (manifestVersion('kube-apiserver') === current.s) say('[upgrade] The control plane instance for this node is already at the cluster version');
      else await upgradeControlPlane(api, cc, current.s, opts.certificateRenewal, opts.etcdUpgrade);
      say('[upgrade] The control plane instance for this node was successfully updated!');
    } else say('[upgrade] Skipping phase. Not a control plane node.');
    const kcm = await api.get('/api/v1/namespaces/kube-system/configmaps/kubelet-config');
    write(`${KUBELET_DIR}/config.yaml`, kcm.data.kubelet, 0o644);
    dropSandboxFlag();
    say(`[upgrade] Backing up kubelet config file to /etc/kubernetes/tmp/kubeadm-kubelet-config.yaml`);
    say(`[kubelet-start] Writing kubelet configuration to file "${KUBELET_DIR}/config.yaml"`);
    say('[upgrade] The configuration for this node was successfully updated!');
    say('[upgrade] Now you should go ahead and upgrade the kubelet package using your package manager.');
    return;
  }
  throw new Error(`unknown command "${sub}" for "kubeadm upgrade"`);
}

// ---------- config, version ----------
async function config(pos, flags) {
  if (pos[0] === 'validate') {
    const conf = readConfigFlag(flags);
    if (!one(flags.config)) throw new Error('the --config flag is mandatory');
    for (const w of conf.warnings) say(w);
    return say('ok');
  }
  if (pos[0] === 'images') {
    const cc = clusterDefaults(readConfigFlag(flags).ClusterConfiguration, V.gitVersion);
    const v = one(flags['kubernetes-version']) || cc.kubernetesVersion;
    const list = [...CONTROL_PLANE.map((n) => image(cc, n, v)), `${cc.imageRepository}/${PAUSE.split('/').pop()}`, `${cc.imageRepository}/etcd:${ETCD_TAG}`];
    if (pos[1] === 'list') return say(list.join('\n'));
    if (pos[1] === 'pull') {
      pullOwnImages(TREE, V.gitVersion);
      for (const i of list) say(`[config/images] Pulled ${i}`);
      return;
    }
  }
  if (pos[0] === 'print' && pos[1] === 'init-defaults') {
    const cc = clusterDefaults({}, V.gitVersion);
    const av = OWN.minor >= 31 ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3';
    say(
      stringify({
        apiVersion: av,
        kind: 'InitConfiguration',
        bootstrapTokens: [
          {
            groups: ['system:bootstrappers:kubeadm:default-node-token'],
            token: 'abcdef.0123456789abcdef',
            ttl: '24h0m0s',
            usages: ['signing', 'authentication'],
          },
        ],
        localAPIEndpoint: { advertiseAddress: '1.2.3.4', bindPort: 6443 },
        nodeRegistration: { criSocket: 'unix:///var/run/containerd/containerd.sock', imagePullPolicy: 'IfNotPresent', name: 'node', taints: null },
      }),
    );
    say('---');
    return say(stringify(clusterConfigDoc(cc, OWN.minor)));
  }
  throw new Error(`unknown command "${pos.join(' ')}" for "kubeadm config"`);
}

function version(flags) {
  const o = one(flags.o) || one(flags.output);
  const vi = V;
  if (o === 'short') return say(vi.gitVersion);
  if (o === 'json') return say(JSON.stringify({ clientVersion: vi }, null, 2));
  if (o === 'yaml') return say(stringify({ clientVersion: vi }));
  const go = Object.entries(vi)
    .map(([k, v]) => `${k[0].toUpperCase()}${k.slice(1)}:"${v}"`)
    .join(', ');
  say(`kubeadm version: &version.Info{${go}}`);
}

async function initPhase(pos, flags) {
  if (pos[0] === 'upload-certs') {
    if (!truthy(flags['upload-certs'])) return say('[upload-certs] Skipping phase. Please see --upload-certs');
    const api = client(loadKubeconfig(`${KDIR}/admin.conf`));
    const { cc } = await clusterConfig(api);
    const key = one(flags['certificate-key']) || crypto.randomBytes(32).toString('hex');
    return uploadCerts(api, cc, key);
  }
  throw new Error(`phase "${pos[0]}" is not provided by this stand-in`);
}

// ---------- main ----------
const BOOLEANS = [
  'upload-certs',
  'control-plane',
  'print-join-command',
  'force',
  'f',
  'yes',
  'y',
  'discovery-token-unsafe-skip-ca-verification',
  'dry-run',
  'etcd-upgrade',
];
const { flags, pos } = parseArgs(process.argv.slice(2), BOOLEANS);
const cmd = pos.shift();
(async () => {
  switch (cmd) {
    case 'version':
      return version(flags);
    case 'init':
      return pos[0] === 'phase' ? initPhase(pos.slice(1), flags) : init(flags);
    case 'join':
      return join(pos, flags);
    case 'reset':
      return reset(flags);
    case 'token':
      return token(pos, flags);
    case 'certs':
      return certs(pos, flags);
    case 'upgrade':
      return upgrade(pos, flags);
    case 'config':
      return config(pos, flags);
    case undefined:
    case 'help':
      return say('Usage:\n  kubeadm [command]\n\nAvailable Commands:\n  certs, config, init, join, reset, token, upgrade, version');
    default:
      die(`unknown command "${cmd}" for "kubeadm"\nRun 'kubeadm --help' for usage.`);
  }
})().catch(fail);
