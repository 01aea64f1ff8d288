// The Kubernetes stand-ins in the lab, by hand (not by hactl): real haproxy and keepalived on lb1 and
// lb2 in front of three stacked control-plane hosts made with the stand-in kubeadm from the lab's
// mirror. Then one control-plane host is stopped: the API still answers through the VIP, etcd keeps
// quorum, and the controller-manager and scheduler leases move to a surviving host.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { mirrorSourceLine, sshExec, startHost, stopHost, topology, type LabState } from '../lab/index.js';

const VERSION = '1.37.2';
const log = (m: string): void => console.error(`standins: ${m}`);
const lab: LabState = inject('lab');
const VIP = topology('ha-stacked').vip!;
const addr = (name: string): string => {
  const h = lab.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no lab host ${name}`);
  return h.address;
};
const LBS = ['lb1', 'lb2'];
const CPS = ['cp1', 'cp2', 'cp3'];
const KC = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';
const ETCDCTL =
  'ETCDCTL_API=3 etcdctl --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key';
const CNI = '{"cniVersion":"1.0.0","name":"lab","plugins":[{"type":"bridge","bridge":"cni0","ipam":{"type":"host-local","subnet":"10.244.0.0/24"}}]}';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let stopped: string | undefined;

async function sh(host: string, cmd: string, timeoutMs = 300_000): Promise<string> {
  const r = await sshExec(host, cmd, { timeoutMs });
  if (r.code !== 0) throw new Error(`${host}: ${cmd}\nexit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let v: T | undefined;
    try {
      v = await fn();
    } catch {
      v = undefined;
    }
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(1000);
  }
}
const APT = 'DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Options::=--force-confold';

function haproxyCfg(): string {
  return `global
  maxconn 2000
defaults
  mode tcp
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout check 3s
frontend kube-apiserver
  bind *:6443
  default_backend kube-apiserver
backend kube-apiserver
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 1s fall 3 rise 2 check check-ssl verify none
${CPS.map((c) => `  server ${c} ${addr(c)}:6443`).join('\n')}
`;
}
function keepalivedCfg(self: string, peer: string, master: boolean): string {
  return `vrrp_instance apiserver {
  state ${master ? 'MASTER' : 'BACKUP'}
  interface eth0
  virtual_router_id 51
  priority ${master ? 150 : 100}
  advert_int 1
  unicast_src_ip ${addr(self)}
  unicast_peer {
    ${addr(peer)}
  }
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}
const put = (file: string, text: string) => `cat > ${file} <<'STANDINS_EOF'\n${text}STANDINS_EOF\n`;

async function holders(host: string): Promise<Record<string, string>> {
  const l = JSON.parse(await sh(host, `${KC} -n kube-system get leases -o json`, 30_000)) as {
    items: Array<{ metadata: { name: string }; spec: { holderIdentity?: string } }>;
  };
  const out: Record<string, string> = {};
  for (const i of l.items)
    if (['kube-controller-manager', 'kube-scheduler'].includes(i.metadata.name)) out[i.metadata.name] = (i.spec.holderIdentity ?? '').split('_')[0]!;
  return out;
}

beforeAll(async () => {
  const t0 = Date.now();
  const source = mirrorSourceLine(lab.mirrorUrl);
  await Promise.all(
    [...LBS, ...CPS].map((h) =>
      sh(
        h,
        'mkdir -p /root/standins-apt-backup && cp -a /etc/apt/sources.list* /root/standins-apt-backup/ 2>/dev/null; ' +
          `rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; echo '${source}' > /etc/apt/sources.list.d/lab.list && apt-get -q update >/dev/null`,
      ),
    ),
  );
  await Promise.all(
    LBS.map(async (lb, i) => {
      const peer = LBS[1 - i]!;
      await sh(
        lb,
        `${APT} install haproxy keepalived >/dev/null && ${put('/etc/haproxy/haproxy.cfg', haproxyCfg())}${put('/etc/keepalived/keepalived.conf', keepalivedCfg(lb, peer, i === 0))}` +
          'haproxy -c -f /etc/haproxy/haproxy.cfg >/dev/null && systemctl restart haproxy keepalived',
      );
    }),
  );
  log(`load balancers ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const t1 = Date.now();
  await Promise.all(
    CPS.map((cp) =>
      sh(
        cp,
        `${APT} install containerd etcd-client kubeadm=${VERSION}-1.1 kubelet=${VERSION}-1.1 kubectl=${VERSION}-1.1 >/dev/null && apt-mark hold kubeadm kubelet kubectl >/dev/null && ` +
          'sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 && swapoff -a && systemctl is-active containerd >/dev/null',
      ),
    ),
  );
  log(`packages installed on ${CPS.length} control-plane hosts in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
}, 900_000);

// On a failure, the tail of each control-plane host's component logs, for the report.
afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  for (const cp of CPS) {
    const r = await sshExec(
      cp,
      'for f in /var/log/pods/kube-system_*/*/*.log; do echo "== $f"; tail -n 8 "$f" | cut -c1-300; done; journalctl -u kubelet --no-pager | tail -n 15 | cut -c1-300',
      { timeoutMs: 30_000 },
    ).catch(() => undefined);
    log(`${cp} logs:\n${r?.stdout ?? '(unreachable)'}`);
  }
});

afterAll(async () => {
  if (stopped) await startHost(stopped);
  await Promise.all(
    CPS.map((cp) =>
      sshExec(
        cp,
        'kubeadm reset -f >/dev/null 2>&1; systemctl stop kubelet; apt-mark unhold kubeadm kubelet kubectl >/dev/null 2>&1; ' +
          `${APT} purge kubeadm kubelet kubectl cri-tools kubernetes-cni containerd etcd-server etcd-client >/dev/null 2>&1; ${APT} autoremove --purge >/dev/null 2>&1; ` +
          'rm -rf /etc/cni /opt/cni /etc/kubernetes /var/lib/kubelet /var/lib/etcd /var/lib/kube-standins /var/log/pods /root/.kube',
        { timeoutMs: 300_000 },
      ),
    ),
  );
  await Promise.all(
    LBS.map((lb) =>
      sshExec(lb, `systemctl stop keepalived haproxy; ${APT} purge haproxy keepalived >/dev/null 2>&1; ${APT} autoremove --purge >/dev/null 2>&1`, {
        timeoutMs: 300_000,
      }),
    ),
  );
  await Promise.all(
    [...LBS, ...CPS].map((h) =>
      sshExec(
        h,
        'rm -f /etc/apt/sources.list.d/lab.list; cp -a /root/standins-apt-backup/. /etc/apt/ 2>/dev/null; rm -rf /root/standins-apt-backup; apt-get -q update >/dev/null 2>&1',
      ),
    ),
  );
}, 900_000);

describe('stand-in packages from the lab mirror', () => {
  it('are offered in every built version and pinned as installed', async () => {
    const madison = await sh('cp1', 'apt-cache madison kubeadm');
    for (const v of ['1.34.9', '1.35.9', '1.36.4', '1.37.1', '1.37.2']) expect(madison).toContain(`${v}-1.1`);
    expect((await sh('cp1', 'apt-mark showhold')).split('\n').sort().filter(Boolean)).toEqual(['kubeadm', 'kubectl', 'kubelet']);
    expect((await sh('cp1', 'kubeadm version -o short')).trim()).toBe(`v${VERSION}`);
    expect((await sh('cp1', 'systemctl is-enabled kubelet')).trim()).toBe('enabled');
  });
});

describe('a 3-control-plane stacked cluster built by hand with the stand-ins', () => {
  it('kubeadm init and two control-plane joins through the VIP', async () => {
    const t0 = Date.now();
    // The lab's hosts are hybrid (cgroup v1 controllers): kubelet 1.35+ runs there only with
    // failCgroupV1: false, and kubeadm's SystemVerification check must be skipped.
    const config = [
      'apiVersion: kubeadm.k8s.io/v1beta4',
      'kind: InitConfiguration',
      'localAPIEndpoint:',
      `  advertiseAddress: ${addr('cp1')}`,
      'nodeRegistration:',
      '  ignorePreflightErrors: [SystemVerification]',
      '---',
      'apiVersion: kubeadm.k8s.io/v1beta4',
      'kind: ClusterConfiguration',
      `controlPlaneEndpoint: ${VIP}:6443`,
      '---',
      'apiVersion: kubelet.config.k8s.io/v1beta1',
      'kind: KubeletConfiguration',
      'failCgroupV1: false',
      '',
    ].join('\n');
    const init = await sh('cp1', `cat > /root/kubeadm.yaml <<'Y'\n${config}Y\nkubeadm init --config /root/kubeadm.yaml --upload-certs`);
    log(`kubeadm init: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const m = /kubeadm join (\S+) --token (\S+) \\\n\t--discovery-token-ca-cert-hash (\S+) \\\n\t--control-plane --certificate-key (\S+)/.exec(init);
    expect(m?.[1]).toBe(`${VIP}:6443`);
    for (const cp of ['cp2', 'cp3']) {
      const t = Date.now();
      const out = await sh(
        cp,
        `kubeadm join ${m![1]} --token ${m![2]} --discovery-token-ca-cert-hash ${m![3]} --control-plane --certificate-key ${m![4]} --apiserver-advertise-address ${addr(cp)} --ignore-preflight-errors=SystemVerification`,
      );
      expect(out).toContain('A new etcd member was added to the local/stacked etcd cluster.');
      log(`kubeadm join ${cp}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    await Promise.all(CPS.map((cp) => sh(cp, `mkdir -p /etc/cni/net.d && echo '${CNI}' > /etc/cni/net.d/10-lab.conflist`)));
    const waited = await sh('cp1', `${KC} wait --for=condition=Ready node --all --timeout=90s`);
    expect(waited.trim().split('\n')).toHaveLength(3);
    expect(await sh('cp1', 'grep server: /etc/kubernetes/admin.conf')).toContain(`https://${VIP}:6443`);
    const members = await sh('cp1', `${ETCDCTL} --endpoints https://127.0.0.1:2379 member list`);
    expect(
      members
        .trim()
        .split('\n')
        .map((l) => l.split(', ')[2])
        .sort(),
    ).toEqual(CPS);
  });

  it("stopping the leases' control-plane host: API through the VIP, etcd quorum, leases move", async () => {
    const before = await holders('cp1');
    const victim = before['kube-controller-manager']!;
    expect(CPS).toContain(victim);
    const survivors = CPS.filter((c) => c !== victim);
    const probe = survivors[0]!;
    const t0 = Date.now();
    await stopHost(victim);
    stopped = victim;
    log(
      `${victim} stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s (holder of ${Object.entries(before)
        .filter(([, v]) => v === victim)
        .map(([k]) => k)
        .join(', ')})`,
    );
    // The API through the VIP: every request from now on, one per second, until the leases moved.
    let answered = 0,
      failed = 0;
    const moved = await until(
      'leases moved to a survivor',
      async () => {
        const r = await sshExec(probe, `${KC} get nodes --no-headers --request-timeout=5s`, { timeoutMs: 20_000 });
        if (r.code === 0) answered++;
        else failed++;
        const h = await holders(probe);
        return Object.values(h).every((x) => survivors.includes(x)) ? h : undefined;
      },
      90_000,
    );
    log(`leases moved ${((Date.now() - t0) / 1000).toFixed(1)} s after the stop: ${JSON.stringify(moved)}; API via VIP answered ${answered}, failed ${failed}`);
    expect(answered).toBeGreaterThan(0);
    const health = await sh(probe, `${ETCDCTL} --endpoints ${survivors.map((s) => `https://${addr(s)}:2379`).join(',')} endpoint health 2>&1`);
    expect(health.match(/is healthy/g)).toHaveLength(2);
    await sh(
      probe,
      `${KC} apply -f - <<'Y'
apiVersion: v1
kind: ConfigMap
metadata: {name: after-stop, namespace: default}
data: {a: b}
Y`,
    );
    expect((await sh(probe, `${KC} -n default get configmap after-stop -o jsonpath='{.data.a}'`)).trim()).toBe('b');
    const nodes = await until(
      `${victim} NotReady`,
      async () => {
        const out = await sh(probe, `${KC} get nodes --no-headers`, 20_000);
        return new RegExp(`^${victim}\\s+(NotReady|Unknown)`, 'm').test(out) ? out : undefined;
      },
      90_000,
    );
    log(`after the stop:\n${nodes}`);
  });
});
