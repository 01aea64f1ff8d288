// `hactl import` of clusters built without hactl, as people build them, from the lab's bare hosts
// with the lab's packages and stand-ins:
// - by hand, per the kubeadm HA guide: keepalived + haproxy on their own host (lb1) holding the
//   VIP, `kubeadm init --control-plane-endpoint VIP:6443 --upload-certs` with flags and no config
//   file on cp1, `kubeadm join ... --control-plane --certificate-key` on cp2 and cp3 (1.34, whose
//   kubelet still runs on the lab's cgroup v1 layout without a config file saying so), its
//   control-plane hosts untainted to run workloads, as kubeadm's guide allows;
// - kubeasz-like: a local nginx (kubeasz's kube-lb: /etc/kube-lb/sbin/kube-lb, conf/kube-lb.conf,
//   kube-lb.service) on every node listening on 127.0.0.1:6443 instead of a VIP, a kubeadm config
//   file, one control-plane host (w1) and two workers (w2, lb2), 1.37.
// For each: import (timed), plan (nothing replaced, restarted or removed in the control plane or
// etcd; exactly the adoption changes import listed), apply, plan again (no changes), while the
// API is probed every 500 ms. Then the bad inputs that are cheap here: hosts of two clusters, an
// address with no host behind it, a host with no Kubernetes; each exits 1 and writes nothing.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { clientKeyFile, knownHostsFile, minorRepoUrl, mirrorSourceLine, REPOSITORY_KEY_FILE, sshExec, topology, type LabState } from '../lab/index.js';
import { compileCli, ROOT, type CliPackage, type Run } from './support/cli.js';
import { probeVip } from './support/vip-probe.js';

const lab: LabState = inject('lab');
const log = (m: string): void => console.error(`import: ${m}`);
const VIP = topology('ha-stacked').vip!;
const addr = (name: string): string => {
  const h = lab.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no lab host ${name}`);
  return h.address;
};
const HAND = { lb: 'lb1', cps: ['cp1', 'cp2', 'cp3'], version: '1.34.9' };
const EASZ = { master: 'w1', nodes: ['w2', 'lb2'], version: '1.37.2' };
const ALL = [HAND.lb, ...HAND.cps, EASZ.master, ...EASZ.nodes];
const KC = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';
const APT = 'DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Options::=--force-confold';
const put = (file: string, text: string) => `cat > ${file} <<'IMPORT_EOF'\n${text}IMPORT_EOF\n`;
let cli: CliPackage;
let work: string;

async function sh(host: string, cmd: string, timeoutMs = 300_000): Promise<string> {
  const r = await sshExec(host, cmd, { timeoutMs });
  if (r.code !== 0) throw new Error(`${host}: ${cmd.slice(0, 300)}\nexit ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return r.stdout;
}
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
function hactl(...args: string[]): Run {
  return cli.run(args, { timeoutMs: 900_000 });
}
function expectStatus(r: Run, code: number): void {
  if (r.status !== code) throw new Error(`exit ${r.status}, expected ${code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
}

/** The lab's signing key, dearmored (what `gpg --dearmor` makes of Release.key, as the install guide does). */
function dearmoredKey(): Buffer {
  const text = readFileSync(REPOSITORY_KEY_FILE, 'utf8');
  const body = text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('-----') && !l.startsWith('=') && !/^[A-Za-z-]+: /.test(l))
    .join('');
  return Buffer.from(body, 'base64');
}

/** Package sources as the install guide has them: the OS mirror, and pkgs.k8s.io's per-minor repository under its own key. */
async function packageSources(host: string, minor: string, key: { file: string; base64: string }): Promise<void> {
  await sh(
    host,
    'mkdir -p /root/import-apt-backup /etc/apt/keyrings && cp -a /etc/apt/sources.list* /root/import-apt-backup/ 2>/dev/null; ' +
      `rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; echo '${mirrorSourceLine(lab.mirrorUrl, 'debian')}' > /etc/apt/sources.list.d/lab.list && ` +
      `echo '${key.base64}' | base64 -d > ${key.file} && ` +
      `echo 'deb [signed-by=${key.file}] ${minorRepoUrl(lab.mirrorUrl, minor)} /' > /etc/apt/sources.list.d/kubernetes.list && apt-get -q update >/dev/null`,
  );
}

/** containerd as the install guide configures it: the default config with the systemd cgroup driver, and a registry mirror. */
const CONTAINERD_SETUP =
  'containerd config default | sed -e \'s/SystemdCgroup = false/SystemdCgroup = true/\' -e \'s#config_path = ""#config_path = "/etc/containerd/certs.d"#\' > /etc/containerd/config.toml && ' +
  'mkdir -p /etc/containerd/certs.d/docker.io && ' +
  put(
    '/etc/containerd/certs.d/docker.io/hosts.toml',
    'server = "https://registry-1.docker.io"\n\n[host."http://198.18.0.1:5000"]\n  capabilities = ["pull", "resolve"]\n',
  ) +
  'systemctl restart containerd';

async function installKubernetes(host: string, version: string): Promise<void> {
  await sh(
    host,
    `${APT} install containerd kubeadm=${version}-1.1 kubelet=${version}-1.1 kubectl=${version}-1.1 >/dev/null && apt-mark hold kubeadm kubelet kubectl >/dev/null && ` +
      `sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 && swapoff -a && ${CONTAINERD_SETUP}`,
  );
}

/** The lab's CNI (a DaemonSet whose process writes the bridge config), applied by hand as a user applies theirs. */
async function applyCni(host: string): Promise<void> {
  const manifest = readFileSync(join(ROOT, 'test/lab/standins/manifests/lab-cni.yaml'), 'utf8');
  await sh(host, `${put('/root/cni.yaml', manifest)}${KC} apply -f /root/cni.yaml`);
}

function joinLine(initOutput: string): { endpoint: string; token: string; hash: string; key?: string } {
  const m = /kubeadm join (\S+) --token (\S+) \\\n\t--discovery-token-ca-cert-hash (\S+)(?: \\\n\t--control-plane --certificate-key (\S+))?/.exec(initOutput);
  if (!m) throw new Error(`no join command in:\n${initOutput.slice(-1500)}`);
  return { endpoint: m[1]!, token: m[2]!, hash: m[3]!, ...(m[4] !== undefined ? { key: m[4] } : {}) };
}

// ---- style 1: by hand, per the kubeadm HA guide ------------------------------------------------

const haproxyGuide = () => `global
    log /dev/log local0
    daemon

defaults
    mode                    http
    log                     global
    option                  httplog
    option                  dontlognull
    option                  http-server-close
    option                  redispatch
    retries                 1
    timeout http-request    10s
    timeout queue           20s
    timeout connect         5s
    timeout client          35s
    timeout server          35s
    timeout http-keep-alive 10s
    timeout check           10s

frontend apiserver
    bind *:6443
    mode tcp
    option tcplog
    default_backend apiserverbackend

backend apiserverbackend
    option httpchk
    http-check connect ssl
    http-check send meth GET uri /healthz
    http-check expect status 200
    mode tcp
    balance     roundrobin
${HAND.cps.map((c) => `    server ${c} ${addr(c)}:6443 check verify none`).join('\n')}
`;

const keepalivedGuide = () => `! Configuration File for keepalived
global_defs {
    router_id LVS_DEVEL
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 101
    authentication {
        auth_type PASS
        auth_pass 42
    }
    virtual_ipaddress {
        ${VIP}
    }
}
`;

async function buildByHand(): Promise<void> {
  const t0 = Date.now();
  const key = { file: '/etc/apt/keyrings/kubernetes-apt-keyring.gpg', base64: dearmoredKey().toString('base64') };
  await Promise.all([HAND.lb, ...HAND.cps].map((h) => packageSources(h, '1.34', key)));
  await Promise.all([
    sh(
      HAND.lb,
      `${APT} install haproxy keepalived >/dev/null && ${put('/etc/haproxy/haproxy.cfg', haproxyGuide())}${put('/etc/keepalived/keepalived.conf', keepalivedGuide())}` +
        'haproxy -c -f /etc/haproxy/haproxy.cfg >/dev/null && systemctl restart haproxy keepalived',
    ),
    ...HAND.cps.map((c) => installKubernetes(c, HAND.version)),
  ]);
  log(`by hand: packages on ${HAND.lb}, ${HAND.cps.join(', ')} in ${secs(Date.now() - t0)}`);
  const [cp1, ...others] = HAND.cps;
  const init = await sh(
    cp1!,
    `kubeadm init --control-plane-endpoint ${VIP}:6443 --upload-certs --pod-network-cidr 10.244.0.0/16 --apiserver-advertise-address ${addr(cp1!)}`,
  );
  const j = joinLine(init);
  for (const cp of others)
    await sh(
      cp,
      `kubeadm join ${j.endpoint} --token ${j.token} --discovery-token-ca-cert-hash ${j.hash} --control-plane --certificate-key ${j.key!} --apiserver-advertise-address ${addr(cp)}`,
    );
  await applyCni(cp1!);
  // A small cluster without workers runs its workloads on the control plane, as kubeadm's guide
  // says to allow ("Control plane node isolation").
  for (const cp of HAND.cps) await sh(cp1!, `${KC} taint nodes ${cp} node-role.kubernetes.io/control-plane:NoSchedule-`);
  await sh(cp1!, `${KC} wait --for=condition=Ready node --all --timeout=120s`);
  log(`by hand: cluster of ${HAND.cps.length} control-plane hosts behind ${HAND.lb} built in ${secs(Date.now() - t0)}`);
}

// ---- style 2: kubeasz-like ---------------------------------------------------------------------

const kubeLbConf = () => `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
user root;
worker_processes 1;

error_log  /etc/kube-lb/logs/error.log warn;

events {
    worker_connections  3000;
}

stream {
    upstream backend {
        server ${addr(EASZ.master)}:6443    max_fails=2 fail_timeout=3s;
    }

    server {
        listen 127.0.0.1:6443;
        proxy_connect_timeout 1s;
        proxy_pass backend;
    }
}
`;

const KUBE_LB_UNIT = `[Unit]
Description=l4 nginx proxy for kube-apiservers
After=network.target
After=network-online.target
Wants=network-online.target

[Service]
Type=forking
ExecStartPre=/etc/kube-lb/sbin/kube-lb -c /etc/kube-lb/conf/kube-lb.conf -p /etc/kube-lb -t
ExecStart=/etc/kube-lb/sbin/kube-lb -c /etc/kube-lb/conf/kube-lb.conf -p /etc/kube-lb
ExecReload=/etc/kube-lb/sbin/kube-lb -c /etc/kube-lb/conf/kube-lb.conf -p /etc/kube-lb -s reload
PrivateTmp=true
Restart=always
RestartSec=15
StartLimitInterval=0
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;

const easzConfig = () => `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: ${addr(EASZ.master)}
nodeRegistration:
  ignorePreflightErrors: [SystemVerification, Port-6443]
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v${EASZ.version}
controlPlaneEndpoint: 127.0.0.1:6443
apiServer:
  extraArgs:
    - { name: bind-address, value: ${addr(EASZ.master)} }
networking:
  podSubnet: 172.20.0.0/16
  serviceSubnet: 10.68.0.0/16
  dnsDomain: cluster.local
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
`;

async function buildKubeaszLike(): Promise<void> {
  const t0 = Date.now();
  const armored = readFileSync(REPOSITORY_KEY_FILE);
  const key = { file: '/etc/apt/keyrings/kubernetes.asc', base64: armored.toString('base64') };
  const nodes = [EASZ.master, ...EASZ.nodes];
  await Promise.all(nodes.map((h) => packageSources(h, '1.37', key)));
  await Promise.all(
    nodes.map((h) =>
      sh(
        h,
        `${APT} install nginx libnginx-mod-stream >/dev/null && systemctl disable --now nginx >/dev/null 2>&1; ` +
          'mkdir -p /etc/kube-lb/sbin /etc/kube-lb/logs /etc/kube-lb/conf && cp /usr/sbin/nginx /etc/kube-lb/sbin/kube-lb && ' +
          `${put('/etc/kube-lb/conf/kube-lb.conf', kubeLbConf())}${put('/etc/systemd/system/kube-lb.service', KUBE_LB_UNIT)}` +
          'systemctl daemon-reload && systemctl enable --now kube-lb >/dev/null 2>&1 && systemctl is-active kube-lb >/dev/null',
      ).then(() => installKubernetes(h, EASZ.version)),
    ),
  );
  log(`kubeasz-like: kube-lb and packages on ${nodes.join(', ')} in ${secs(Date.now() - t0)}`);
  const init = await sh(EASZ.master, `${put('/etc/kubeadm-config.yaml', easzConfig())}kubeadm init --config /etc/kubeadm-config.yaml`);
  const j = joinLine(init);
  await Promise.all(
    EASZ.nodes.map((n) =>
      sh(n, `kubeadm join ${j.endpoint} --token ${j.token} --discovery-token-ca-cert-hash ${j.hash} --ignore-preflight-errors=SystemVerification`),
    ),
  );
  await applyCni(EASZ.master);
  await sh(EASZ.master, `${KC} wait --for=condition=Ready node --all --timeout=120s`);
  log(`kubeasz-like: cluster of ${EASZ.master} and ${EASZ.nodes.join(', ')} built in ${secs(Date.now() - t0)}`);
}

// ---- probing, importing, planning --------------------------------------------------------------

const sshFlags = () => ['--ssh-user', 'root', '--ssh-key', clientKeyFile, '--known-hosts', knownHostsFile];

interface PlanJson {
  changes: { id: string; kind: string; host: string; action: string; steps: string[] }[];
  diagnostics: { severity: string; message: string }[];
}
const CONTROL_PLANE_KINDS = ['join-control-plane', 'upgrade-control-plane', 'etcd', 'etcd-pki', 'certificate-renewal', 'host-removal'];

/** Import, plan (adoption changes only), apply with the API probed, plan again (empty). */
async function adopt(style: string, hosts: string[], cps: string[], probeAt: string): Promise<void> {
  const dir = join(work, style);
  mkdirSync(dir);
  const spec = join(dir, 'cluster.yaml');
  const imp = hactl('import', '--hosts', hosts.map(addr).join(','), ...sshFlags(), '-o', spec);
  log(`${style}: import took ${secs(imp.ms)} (${hosts.length} hosts)\n${imp.stdout}`);
  expectStatus(imp, 0);
  expectStatus(hactl('validate', '-f', spec), 0);
  const text = readFileSync(spec, 'utf8');
  expect(text).toContain('# inferred from');

  const p1 = hactl('plan', '-f', spec, '-o', 'json');
  expectStatus(p1, 0);
  const plan = JSON.parse(p1.stdout) as PlanJson;
  const changing = plan.changes.filter((c) => c.action !== 'no-op' && c.action !== 'read');
  log(`${style}: first plan changes ${changing.map((c) => c.id).join(', ') || 'nothing'}`);
  expect(changing.filter((c) => c.action === 'replace' || c.action === 'delete')).toEqual([]);
  expect(changing.filter((c) => CONTROL_PLANE_KINDS.includes(c.kind))).toEqual([]);
  const cpRestarts = changing.filter((c) => cps.includes(c.host)).flatMap((c) => c.steps.filter((s) => /(restart|stop) (kubelet|etcd)\b/.test(s)));
  expect(cpRestarts).toEqual([]);
  // kubeadm-init only writes hactl's record of the kubeadm config: no kubeadm command runs.
  expect((changing.find((c) => c.kind === 'kubeadm-init')?.steps ?? []).filter((s) => /\bkubeadm /.test(s))).toEqual([]);
  // Exactly what import listed: every changing resource is named in its adoption changes.
  for (const c of changing) expect(imp.stdout).toContain(`${c.kind} on `);
  for (const c of changing) expect(imp.stdout).toMatch(new RegExp(`${c.kind} on [^\\n]*\\b${c.host}\\b`));

  const watch = probeVip(probeAt);
  const applied = await cli.start(['apply', '-f', spec, '--auto-approve', '--log-dir', join(dir, 'runs')]).done;
  const seen = await watch.stop();
  log(
    `${style}: apply ${secs(applied.ms)}, exit ${applied.status}; /readyz at ${probeAt}: ${seen.probes} probes, ${seen.failed} failed, longest gap ${secs(seen.longestGapMs)}`,
  );
  expectStatus(applied, 0);
  expect(seen.failed).toBe(0);

  const p2 = hactl('plan', '-f', spec, '--detailed-exitcode');
  if (p2.status !== 0) log(`${style}: second plan:\n${p2.stdout}\n${p2.stderr}`);
  expectStatus(p2, 0);
  expect(p2.stdout).toContain('No changes');
}

beforeAll(() => {
  cli = compileCli(['import', 'validate', 'plan', 'apply'], 'hactl-import-cli-');
  work = mkdtempSync(join(tmpdir(), 'hactl-import-'));
});

afterAll(async () => {
  cli?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
  // Undo everything built here: the next test file starts from bare hosts.
  await Promise.all(
    ALL.map((h) =>
      sshExec(
        h,
        'kubeadm reset -f >/dev/null 2>&1; systemctl stop kubelet kube-lb haproxy keepalived >/dev/null 2>&1; systemctl disable kube-lb >/dev/null 2>&1; ' +
          'apt-mark unhold kubeadm kubelet kubectl >/dev/null 2>&1; ' +
          `${APT} purge kubeadm kubelet kubectl cri-tools kubernetes-cni containerd etcd-server etcd-client haproxy keepalived nginx libnginx-mod-stream >/dev/null 2>&1; ${APT} autoremove --purge >/dev/null 2>&1; ` +
          'rm -rf /etc/cni /opt/cni /etc/kubernetes /var/lib/kubelet /var/lib/etcd /var/lib/kube-standins /var/log/pods /root/.kube /etc/kube-lb /etc/systemd/system/kube-lb.service ' +
          '/etc/containerd /etc/kubeadm-config.yaml /root/cni.yaml /etc/apt/keyrings/kubernetes* /etc/apt/keyrings/hactl-* /etc/sysctl.d/99-kubernetes.conf /etc/modules-load.d/kubernetes.conf; ' +
          'rm -f /etc/apt/sources.list.d/*; cp -a /root/import-apt-backup/. /etc/apt/ 2>/dev/null; rm -rf /root/import-apt-backup; systemctl daemon-reload; apt-get -q update >/dev/null 2>&1',
        { timeoutMs: 300_000 },
      ),
    ),
  );
}, 900_000);

/** import exits 1, says why, and writes nothing. */
function refused(what: string, addresses: string[], re: RegExp): void {
  const out = join(work, 'refused.yaml');
  const r = hactl('import', '--hosts', addresses.join(','), ...sshFlags(), '-o', out);
  log(`bad input (${what}): exit ${r.status} in ${secs(r.ms)}: ${r.stderr.trim().split('\n').slice(0, 3).join(' / ')}`);
  expect(r.status, what).toBe(1);
  expect(r.stderr, what).toMatch(re);
  expect(r.stderr, what).toContain('nothing was written');
  expect(existsSync(out), what).toBe(false);
}

describe('hactl import: bad input on bare hosts', () => {
  it('a host without Kubernetes, and an address with no host behind it: exit 1, nothing written', () => {
    refused('no Kubernetes', [addr(EASZ.master)], /no Kubernetes here/);
    refused('no host behind the address', [addr(EASZ.master), '198.18.0.250'], /198\.18\.0\.250: unreachable/);
  });
});

describe('hactl import of clusters built without hactl', () => {
  beforeAll(async () => {
    await Promise.all([buildByHand(), buildKubeaszLike()]);
  }, 900_000);

  it('by hand per the kubeadm HA guide (keepalived + haproxy on lb1, kubeadm init with flags): import, plan, apply, plan again', async () => {
    await adopt('by-hand', [HAND.lb, ...HAND.cps], HAND.cps, VIP);
    const spec = parseYaml(readFileSync(join(work, 'by-hand', 'cluster.yaml'), 'utf8')) as {
      hosts: { name: string; roles: string[] }[];
      controlPlaneEndpoint: { host: string; port: number };
      kubernetes: { version: string; podSubnet: string };
      containerd: { registryMirrors: { registry: string }[] };
      cni: { plugin: string };
    };
    expect(spec.hosts.map((h) => [h.name, h.roles.join(',')])).toEqual(HAND.cps.map((c) => [c, 'control-plane,worker']));
    expect(spec.controlPlaneEndpoint).toEqual({ host: VIP, port: 6443 });
    expect(spec.kubernetes.version).toBe(HAND.version);
    expect(spec.kubernetes.podSubnet).toBe('10.244.0.0/16');
    expect(spec.containerd.registryMirrors.map((m) => m.registry)).toEqual(['docker.io']);
    expect(spec.cni.plugin).toBe('unmanaged');
  });

  it('kubeasz-like (kube-lb on every node, no VIP): import, plan, apply, plan again', async () => {
    await adopt('kubeasz-like', [EASZ.master, ...EASZ.nodes], [EASZ.master], addr(EASZ.master));
    const text = readFileSync(join(work, 'kubeasz-like', 'cluster.yaml'), 'utf8');
    const spec = parseYaml(text) as {
      hosts: { name: string; roles: string[] }[];
      controlPlaneEndpoint: { host: string; port: number };
      loadBalancer: { type: string };
      kubernetes: { version: string; podSubnet: string; serviceSubnet: string; kubelet: { allowCgroupV1: boolean } };
    };
    expect(spec.hosts.map((h) => [h.name, h.roles.join(',')])).toEqual([[EASZ.master, 'control-plane'], ...EASZ.nodes.map((n) => [n, 'worker'])]);
    expect(spec.controlPlaneEndpoint).toEqual({ host: '127.0.0.1', port: 6443 });
    expect(spec.loadBalancer.type).toBe('external');
    expect(spec.kubernetes).toMatchObject({
      version: EASZ.version,
      podSubnet: '172.20.0.0/16',
      serviceSubnet: '10.68.0.0/16',
      kubelet: { allowCgroupV1: true },
    });
    expect(text).toContain('/etc/kube-lb/conf/kube-lb.conf');
  });

  it('hosts of two clusters: exit 1, nothing written', () => {
    refused('two clusters', [addr('cp1'), addr(EASZ.master)], /different clusters/);
  });
});
