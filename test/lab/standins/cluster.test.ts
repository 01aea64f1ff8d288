// The stand-ins end to end on this machine: packages built by build.sh, a stacked 3-control-plane
// cluster plus a worker made by kubeadm init/join inside private network namespaces (harness.sh),
// real etcd, the kubelet running static pods, leader election, scheduling, upgrade, quorum loss.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, buildPackages, extractRoot, standinsDir } from './test/harness.js';

const IP = { cp1: '198.19.255.11', cp2: '198.19.255.12', cp3: '198.19.255.13', w1: '198.19.255.21' } as const;
// The harness host lacks these binaries; every other preflight check runs for real.
const IGNORE = '--ignore-preflight-errors=FileExisting-conntrack,FileExisting-iptables';
const KC = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';

const work = mkdtempSync(join(tmpdir(), 'standins-test-'));
const debs = join(work, 'debs');
let packages: string[] = [];
const roots: Record<string, string> = {};
const h = new Harness();
let join_: { token: string; hash: string; key: string };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ok(node: string, script: string, rootfs?: string): string {
  const r = h.sh(node, script, rootfs ? { rootfs } : {});
  if (r.code !== 0) throw new Error(`${node}: ${script}\nexit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let v: T | undefined;
    try {
      v = fn();
    } catch {
      v = undefined;
    }
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(1000);
  }
}

beforeAll(() => {
  packages = buildPackages(debs);
  for (const v of ['1.35.9', '1.36.4', '1.37.1', '1.37.2']) roots[v] = extractRoot(debs, v, join(work, `root-${v}`));
  h.switch();
  h.node('cp1', IP.cp1, roots['1.36.4']!);
  h.node('cp2', IP.cp2, roots['1.36.4']!);
  h.node('cp3', IP.cp3, roots['1.36.4']!);
}, 300_000);

afterAll(() => {
  h.down();
  rmSync(work, { recursive: true, force: true });
});

describe('packages', () => {
  it('builds kubeadm, kubelet, kubectl in five versions of four minors, with cri-tools and kubernetes-cni', () => {
    for (const v of ['1.34.9', '1.35.9', '1.36.4', '1.37.1', '1.37.2'])
      for (const p of ['kubeadm', 'kubelet', 'kubectl']) expect(packages).toContain(`${p}_${v}-1.1_amd64.deb`);
    expect(packages.filter((p) => p.startsWith('cri-tools_')).sort()).toEqual(['34', '35', '36', '37'].map((m) => `cri-tools_1.${m}.0-1.1_amd64.deb`));
    expect(packages).toContain('kubernetes-cni_1.7.1-1.1_amd64.deb');
  });
  it('reports each version from every binary', () => {
    for (const v of ['1.36.4', '1.37.2']) {
      const r = roots[v]!;
      expect(ok('cp1', 'kubeadm version -o short', r).trim()).toBe(`v${v}`);
      expect(ok('cp1', 'kubelet --version', r).trim()).toBe(`Kubernetes v${v}`);
      expect(ok('cp1', 'kubectl version --client', r)).toContain(`Client Version: v${v}`);
    }
  });
});

describe('a stacked HA cluster made by kubeadm', () => {
  it('init runs real preflight checks and refuses what the real tool refuses', () => {
    // kubelet 1.37 under a 1.36 control plane: the skew kubeadm refuses.
    const skew = h.sh('cp1', `kubeadm init --kubernetes-version v1.36.4 ${IGNORE} 2>&1`, { rootfs: roots['1.37.2']! });
    expect(skew.code).toBe(1);
    expect(skew.stdout).toContain('[ERROR KubeletVersion]: the kubelet version is higher than the control plane version');
    const ipf = h.sh('cp1', `echo 0 > /proc/sys/net/ipv4/ip_forward; kubeadm init ${IGNORE} 2>&1; r=$?; echo 1 > /proc/sys/net/ipv4/ip_forward; exit $r`);
    expect(ipf.code).toBe(1);
    expect(ipf.stdout).toContain('[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents are not set to 1');
  });

  it('kubeadm config validate rejects unknown fields, and v1beta3 from 1.36 on', () => {
    const bad = h.sh(
      'cp1',
      `printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: ClusterConfiguration\\nnetworking:\\n  podSubnets: 10.244.0.0/16\\n' > /run/kubelet-standin/bad.yaml; kubeadm config validate --config /run/kubelet-standin/bad.yaml 2>&1`,
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('strict decoding error: unknown field "networking.podSubnets"');
    const b3 =
      'printf "apiVersion: kubeadm.k8s.io/v1beta3\\nkind: ClusterConfiguration\\n" > /run/kubelet-standin/b3.yaml; kubeadm config validate --config /run/kubelet-standin/b3.yaml 2>&1';
    const refused = h.sh('cp1', b3);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      'your configuration file uses an old API spec: "kubeadm.k8s.io/v1beta3" (kind: "ClusterConfiguration"). Please use kubeadm v1.35 instead',
    );
    const warned = h.sh('cp1', b3, { rootfs: roots['1.35.9']! });
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain('your configuration file uses a deprecated API spec: "kubeadm.k8s.io/v1beta3"');
  });

  it('kubelet 1.35+ and kubeadm preflight refuse a hybrid cgroup host unless told otherwise', () => {
    // Unmounting the node's cgroup2 view shows this machine's own hybrid layout.
    const hybrid = (cmd: string) => `unshare --mount --propagation private sh -c 'umount /sys/fs/cgroup && ${cmd}' 2>&1`;
    ok(
      'cp1',
      "mkdir -p /run/kubelet-standin && printf 'apiVersion: kubelet.config.k8s.io/v1beta1\\nkind: KubeletConfiguration\\nhealthzPort: 0\\n' > /run/kubelet-standin/kubelet.yaml",
    );
    const refused = h.sh('cp1', hybrid('kubelet --config /run/kubelet-standin/kubelet.yaml'));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      'failed to run Kubelet: kubelet is configured to not run on a host using cgroup v1. cgroup v1 support is unsupported and will be removed in a future release',
    );
    // kubelet 1.35 dropped --pod-infra-container-image (kubernetes#133779); 1.34's still takes it.
    const flag = h.sh('cp1', 'kubelet --pod-infra-container-image=registry.k8s.io/pause:3.10.2 --version 2>&1');
    expect(flag.code).toBe(1);
    expect(flag.stdout).toContain('failed to parse kubelet flag: unknown flag: --pod-infra-container-image');
    const pre = h.sh('cp1', hybrid(`kubeadm init ${IGNORE}`));
    expect(pre.code).toBe(1);
    expect(pre.stdout).toContain(
      "[ERROR SystemVerification]: cgroups v1 support is deprecated and will be removed in a future release. Please migrate to cgroups v2. To explicitly enable cgroups v1 support for kubelet v1.35 or newer, you must set the kubelet configuration option 'FailCgroupV1' to 'false'.",
    );
  });

  it('init brings up etcd, apiserver, controller-manager and scheduler as static pods', () => {
    const cfg = `apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.36.4
controlPlaneEndpoint: ${IP.cp1}:6443
networking:
  podSubnet: 10.244.0.0/16
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
  - token: abcdef.0123456789abcdef
`;
    const out = ok(
      'cp1',
      `cat > /run/kubelet-standin/kubeadm.yaml <<'Y'\n${cfg}Y\nkubeadm init --config /run/kubelet-standin/kubeadm.yaml --upload-certs ${IGNORE}`,
    );
    expect(out).toContain('Your Kubernetes control-plane has initialized successfully!');
    const m =
      /kubeadm join \S+ --token (\S+) \\\n\t--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64}) \\\n\t--control-plane --certificate-key ([0-9a-f]{64})/.exec(
        out,
      );
    expect(m).not.toBeNull();
    join_ = { token: m![1]!, hash: m![2]!, key: m![3]! };
    expect(join_.token).toBe('abcdef.0123456789abcdef');
    const spki = ok('cp1', 'openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | sha256sum');
    expect(join_.hash).toBe(`sha256:${spki.split(' ')[0]}`);
    for (const f of [
      'ca.crt',
      'ca.key',
      'apiserver.crt',
      'apiserver-kubelet-client.crt',
      'front-proxy-ca.crt',
      'front-proxy-client.crt',
      'etcd/ca.crt',
      'etcd/server.crt',
      'etcd/peer.crt',
      'etcd/healthcheck-client.crt',
      'apiserver-etcd-client.crt',
      'sa.key',
      'sa.pub',
    ])
      ok('cp1', `test -s /etc/kubernetes/pki/${f}`);
    const etcdCmd = ok('cp1', 'ps -eo args | grep "^/usr/bin/etcd "');
    expect(etcdCmd).toContain(`--initial-cluster=cp1=https://${IP.cp1}:2380`);
    expect(ok('cp1', 'cat /var/lib/kubelet/kubeadm-flags.env')).not.toContain('--pod-infra-container-image');
    expect(JSON.parse(ok('cp1', `${KC} get --raw /version`)).gitVersion).toBe('v1.36.4');
  });

  it('joins two more control-plane nodes: certificates from kubeadm-certs, etcd members added', () => {
    for (const n of ['cp2', 'cp3']) {
      const out = ok(
        n,
        `kubeadm join ${IP.cp1}:6443 --token ${join_.token} --discovery-token-ca-cert-hash ${join_.hash} --control-plane --certificate-key ${join_.key} ${IGNORE}`,
      );
      expect(out).toContain('This node has joined the cluster and a new control plane instance was created');
      expect(ok(n, 'cat /etc/kubernetes/pki/ca.crt')).toBe(ok('cp1', 'cat /etc/kubernetes/pki/ca.crt'));
    }
    const members = ok(
      'cp3',
      'ETCDCTL_API=3 etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key member list',
    );
    expect(
      members
        .trim()
        .split('\n')
        .map((l) => l.split(', ')[2])
        .sort(),
    ).toEqual(['cp1', 'cp2', 'cp3']);
    expect(members).not.toContain('true'); // no learner left
  });

  it('refuses a wrong CA hash and a wrong certificate key', () => {
    h.node('w1', IP.w1, roots['1.36.4']!);
    const bad = h.sh('w1', `kubeadm join ${IP.cp1}:6443 --token ${join_.token} --discovery-token-ca-cert-hash sha256:${'0'.repeat(64)} ${IGNORE} 2>&1`);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('none of the public keys');
    const badKey = h.sh(
      'w1',
      `kubeadm join ${IP.cp1}:6443 --token ${join_.token} --discovery-token-ca-cert-hash ${join_.hash} --control-plane --certificate-key ${'1'.repeat(64)} ${IGNORE} 2>&1`,
    );
    expect(badKey.code).toBe(1);
    expect(badKey.stdout).toContain('error decoding secret data with provided key: cipher: message authentication failed');
    expect(h.sh('w1', 'ls /etc/kubernetes/pki').stdout.trim()).toBe('');
  });

  it('joins a worker through TLS bootstrap; nodes are Ready only with a CNI config', async () => {
    const tok = ok('cp1', `kubeadm token create --print-join-command`).trim();
    expect(tok).toMatch(/^kubeadm join 198\.19\.255\.11:6443 --token [a-z0-9]{6}\.[a-z0-9]{16} --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}$/);
    const out = ok('w1', `${tok} ${IGNORE}`);
    expect(out).toContain('This node has joined the cluster:');
    expect(ok('w1', 'cat /etc/kubernetes/kubelet.conf')).toContain('client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem');
    await until('nodes registered', () => ok('cp1', `${KC} get nodes --no-headers`).trim().split('\n').length === 4);
    expect(ok('cp1', `${KC} get nodes --no-headers`)).not.toMatch(/\sReady\s/);
    // The lab CNI DaemonSet: its pods run as processes on every node and write the CNI config.
    ok('cp1', `${KC} apply -f ${standinsDir}/manifests/lab-cni.yaml`);
    const waited = ok('cp1', `${KC} wait --for=condition=Ready node --all --timeout=90s`);
    expect(waited.trim().split('\n')).toHaveLength(4);
    expect(JSON.parse(ok('w1', 'cat /etc/cni/net.d/10-lab-bridge.conflist')).plugins[0].ipam.ranges[0][0].subnet).toBe('10.244.21.0/24');
    await until('lab-cni pods ready', () => JSON.parse(ok('cp1', `${KC} -n kube-system get ds lab-cni -o json`)).status.numberReady === 4 || undefined);
  });

  it('places pods on Ready nodes only: DaemonSet and Deployment on the untainted worker', async () => {
    const manifest = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: registry.k8s.io/pause:3.9}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: registry.k8s.io/pause:3.9}]}
`;
    const applied = ok('cp1', `cat > /run/kubelet-standin/m.yaml <<'Y'\n${manifest}Y\n${KC} apply -f /run/kubelet-standin/m.yaml`);
    expect(applied).toBe('daemonset.apps/agent created\ndeployment.apps/web created\n');
    expect(ok('cp1', `${KC} apply -f /run/kubelet-standin/m.yaml`)).toBe('daemonset.apps/agent unchanged\ndeployment.apps/web unchanged\n');
    const placed = await until('pods placed', () => {
      const pods = JSON.parse(ok('cp1', `${KC} get pods -o json`)).items as Array<{ metadata: { name: string }; spec: { nodeName?: string } }>;
      return pods.length === 3 && pods.every((p) => p.spec.nodeName) ? pods : undefined;
    });
    expect(new Set(placed.map((p) => p.spec.nodeName))).toEqual(new Set(['w1']));
    expect(JSON.parse(ok('cp1', `${KC} get ds agent -o json`)).status.desiredNumberScheduled).toBe(1);
    // pause runs as a process: the Deployment becomes ready (no pod network: no pod IP).
    await until('web ready', () => JSON.parse(ok('cp1', `${KC} get deploy web -o json`)).status?.readyReplicas === 2 || undefined);
    expect(ok('cp1', `${KC} get deploy web`)).toMatch(/^web\s+2\/2\s+2\s+2\s+\S+$/m);
    expect(ok('cp1', `${KC} get pods -o wide --no-headers`)).toMatch(/^web-\S+\s+1\/1\s+Running\s+0\s+\S+\s+<none>\s+w1\s/m);
    expect(ok('cp1', `${KC} delete deployment web`)).toBe('deployment.apps "web" deleted\n');
  });

  it('reset removes a control-plane host from etcd; it rejoins with re-uploaded certificates', async () => {
    const out = ok('cp3', 'kubeadm reset -f');
    expect(out).toContain('[reset] Removed member cp3 from the etcd cluster');
    expect(ok('cp3', 'ls /etc/kubernetes/manifests /etc/kubernetes/pki /var/lib/etcd | grep -v :$ | grep -v ^$ || true').trim()).toBe('');
    const etcdctl =
      'ETCDCTL_API=3 etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key member list';
    expect(ok('cp1', etcdctl).trim().split('\n')).toHaveLength(2);
    ok('cp1', `${KC} delete node cp3`);
    const up = ok('cp1', 'kubeadm init phase upload-certs --upload-certs');
    const key = /Using certificate key:\n([0-9a-f]{64})/.exec(up)?.[1];
    expect(key).toBeDefined();
    const cmd = ok('cp1', `kubeadm token create --print-join-command --certificate-key ${key}`).trim();
    expect(cmd).toContain(`--control-plane --certificate-key ${key}`);
    expect(ok('cp3', `${cmd} ${IGNORE}`)).toContain('A new etcd member was added to the local/stacked etcd cluster.');
    expect(ok('cp1', etcdctl).trim().split('\n')).toHaveLength(3);
    ok('cp1', `${KC} wait --for=condition=Ready node cp3 --timeout=90s`);
  });

  it('upgrades the control plane by one minor, then one patch, with kubeadm upgrade apply and node', async () => {
    const r = roots['1.37.1']!;
    const tooNew = h.sh('cp1', `kubeadm upgrade apply v1.37.2 -y 2>&1`, { rootfs: r });
    expect(tooNew.code).toBe(1);
    expect(tooNew.stdout).toContain('is higher than the kubeadm version "v1.37.1". Upgrade kubeadm first');
    expect(ok('cp1', 'kubeadm upgrade plan', r)).toContain('kubeadm upgrade apply v1.37.1');
    // The target from an UpgradeConfiguration (v1beta4), as hactl writes it.
    ok(
      'cp1',
      "printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: UpgradeConfiguration\\napply:\\n  kubernetesVersion: v1.37.1\\n  forceUpgrade: true\\n' > /run/kubelet-standin/upgrade.yaml",
    );
    expect(ok('cp1', 'kubeadm upgrade apply --config /run/kubelet-standin/upgrade.yaml', r)).toContain(
      '[upgrade/successful] SUCCESS! Your cluster was upgraded to "v1.37.1". Enjoy!',
    );
    for (const n of ['cp2', 'cp3']) expect(ok(n, 'kubeadm upgrade node', r)).toContain('The control plane instance for this node was successfully updated!');
    // A worker has no admin.conf: kubeadm upgrade node reads the cluster with kubelet.conf.
    expect(ok('w1', 'kubeadm upgrade node', r)).toContain('[upgrade] Skipping phase. Not a control plane node.');
    for (const [n, ip] of [
      ['cp1', IP.cp1],
      ['cp2', IP.cp2],
      ['cp3', IP.cp3],
    ] as const) {
      expect(JSON.parse(ok(n, `${KC} --server https://${ip}:6443 version -o json`)).serverVersion.gitVersion).toBe('v1.37.1');
      expect(ok(n, 'grep image: /etc/kubernetes/manifests/etcd.yaml')).toContain('registry.k8s.io/etcd:3.6.9-0');
    }
    expect(ok('cp1', `${KC} -n kube-system get cm kubeadm-config -o jsonpath='{.data.ClusterConfiguration}'`)).toContain('apiVersion: kubeadm.k8s.io/v1beta4');
    // Then one patch.
    const r2 = roots['1.37.2']!;
    expect(ok('cp1', 'kubeadm upgrade apply v1.37.2 -y', r2)).toContain('[upgrade/successful] SUCCESS! Your cluster was upgraded to "v1.37.2". Enjoy!');
    for (const n of ['cp2', 'cp3']) ok(n, 'kubeadm upgrade node', r2);
    for (const [n, ip] of [
      ['cp1', IP.cp1],
      ['cp2', IP.cp2],
      ['cp3', IP.cp3],
    ] as const)
      expect(JSON.parse(ok(n, `${KC} --server https://${ip}:6443 version -o json`)).serverVersion.gitVersion).toBe('v1.37.2');
    const exp = ok('cp1', 'kubeadm certs check-expiration', r);
    expect(exp).toMatch(/^apiserver {18}\w{3} \d\d, \d{4} \d\d:\d\d UTC {3}364d {12}ca {22}no/m);
    expect(exp).toMatch(/^etcd-ca\s+\w{3} \d\d, \d{4} \d\d:\d\d UTC {3}9y/m);
  });

  it("survives the loss of the leaders' host: API answers, etcd keeps quorum, leases move", async () => {
    const holders = () =>
      JSON.parse(ok('cp2', `${KC} --server https://${IP.cp2}:6443 -n kube-system get leases -o json`))
        .items.filter((l: { metadata: { name: string } }) => ['kube-controller-manager', 'kube-scheduler'].includes(l.metadata.name))
        .map((l: { spec: { holderIdentity: string } }) => l.spec.holderIdentity.split('_')[0]) as string[];
    const before = holders();
    expect(before).toHaveLength(2);
    // Stop the host holding the controller-manager lease (and every process on it).
    const victim = before[0]!;
    const survivors = (['cp1', 'cp2', 'cp3'] as const).filter((n) => n !== victim);
    const t0 = Date.now();
    h.kill(victim);
    const s = survivors[0]!;
    const server = `--server https://${IP[s]}:6443`;
    const after = await until(
      'leases moved',
      () => {
        const x = JSON.parse(ok(s, `${KC} ${server} -n kube-system get leases -o json`))
          .items.filter((l: { metadata: { name: string } }) => ['kube-controller-manager', 'kube-scheduler'].includes(l.metadata.name))
          .map((l: { spec: { holderIdentity: string } }) => l.spec.holderIdentity.split('_')[0]) as string[];
        return x.every((hld) => hld !== victim) ? x : undefined;
      },
      60_000,
    );
    console.error(`leases moved ${((Date.now() - t0) / 1000).toFixed(1)} s after ${victim} was killed: ${after.join(', ')}`);
    for (const hld of after) expect(survivors).toContain(hld);
    expect(ok(s, `${KC} ${server} get --raw /readyz`).trim()).toBe('ok');
    expect(ok(s, `${KC} ${server} apply -f - <<'Y'\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: after-loss, namespace: default}\ndata: {a: b}\nY`)).toBe(
      'configmap/after-loss created\n',
    );
    // A second loss leaves one etcd member of three: no quorum, the survivor's apiserver is not ready.
    h.kill(survivors[1]!);
    const last = survivors[0]!;
    const readyz = await until(
      'readyz reports etcd failure',
      () => {
        const r = h.sh(
          last,
          `node -e "require('https').get({host:'${IP[last]}',port:6443,path:'/readyz?verbose',rejectUnauthorized:false},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log(r.statusCode+' '+b))})"`,
        );
        return r.stdout.startsWith('500') ? r.stdout : undefined;
      },
      30_000,
    );
    expect(readyz).toContain('[-]etcd failed: reason withheld');
    const livez = h.sh(
      last,
      `node -e "require('https').get({host:'${IP[last]}',port:6443,path:'/livez',rejectUnauthorized:false},r=>console.log(r.statusCode))"`,
    );
    expect(livez.stdout.trim()).toBe('200');
  });
});
