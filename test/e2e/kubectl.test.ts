// The real kubectl against the lab's control plane (support/cluster.ts's converged ha-stacked
// cluster): the lab mirror serves Debian's kubectl under the kubectl package's version
// (docs/lab-standins.md), so the hosts run a client nobody here wrote. Every kubectl command
// hactl issues runs first, built by hactl's own code, then the commands an administrator runs on a
// fresh cluster. Each must succeed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readyzCommand, judgeReadyz } from '../../src/apply/readyz.js';
import { CLUSTER_FACTS_COMMAND, parseClusterFacts } from '../../src/facts/cluster.js';
import { CNI_MANIFEST } from '../../src/resources/cni.js';
import { removalOperations } from '../../src/resources/host-removal.js';
import { KUBECTL } from '../../src/resources/kubeadm-config.js';
import { smokeOperations } from '../../src/resources/smoke-test.js';
import { defaultSandboxImage } from '../../src/spec/versions.js';
import { shellQuote } from '../../src/transport/quote.js';
import { sshExec } from '../lab/index.js';
import { convergedCluster, specHosts, ssh, VIP, type Cluster } from './support/cluster.js';

const log = (m: string): void => console.error(`kubectl e2e: ${m}`);
const WORKERS = ['w1', 'w2'];
const CONTROL_PLANE = ['cp1', 'cp2', 'cp3'];
const VERSION = '1.37.2';
let cluster: Cluster;

/** A command on cp1 that must exit 0; returns its output. */
async function onCp1(command: string, timeoutMs = 120_000): Promise<string> {
  const started = Date.now();
  const r = await sshExec('cp1', command, { timeoutMs });
  log(`${((Date.now() - started) / 1000).toFixed(1)} s, exit ${r.code}: ${command.slice(0, 160)}`);
  if (r.code !== 0) throw new Error(`cp1: ${command}\nexit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  cluster = await convergedCluster(log);
}, 1_800_000);

afterAll(async () => {
  // Leave the shared cluster as found, whatever failed above.
  for (const n of WORKERS) await sshExec('cp1', `${KUBECTL} uncordon ${n}`);
  await sshExec('cp1', `${KUBECTL} delete node contract-ghost --ignore-not-found; ${KUBECTL} delete namespace kubectl-contract --ignore-not-found`, {
    timeoutMs: 120_000,
  });
  cluster?.remove();
});

describe('the real kubectl against the lab control plane', () => {
  it("is Debian's kubectl on every control-plane host, under the kubectl package's pkgs.k8s.io version", async () => {
    for (const h of CONTROL_PLANE) {
      const out = await ssh(h, `dpkg-query -W -f '\${Version}' kubectl; echo; head -c 4 /usr/bin/kubectl | od -An -c; kubectl version --client -o json`);
      const [pkgVersion, magic, ...json] = out.split('\n');
      expect(pkgVersion).toBe(`${VERSION}-1.1`);
      expect(magic?.replace(/\s+/g, '')).toBe('177ELF');
      const client = (JSON.parse(json.join('\n')) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
      // The binary says its own version: Debian's 1.36, within ±1 minor of the cluster's 1.37.
      expect(client).toMatch(/^v1\.36\.\d+$/);
      log(`${h}: package kubectl ${pkgVersion}, binary ${client}`);
    }
  });

  it('runs the commands hactl issues: cluster facts, readyz, CNI apply, node config, drain, uncordon, node deletion, smoke test', async () => {
    // Cluster facts (nodes, DaemonSets, leases) as hactl reads them, parsed by hactl's parser.
    const facts = parseClusterFacts(await onCp1(CLUSTER_FACTS_COMMAND), 'cp1');
    expect(facts.nodes.map((n) => n.name)).toEqual(specHosts().filter((h) => !h.startsWith('lb')));
    expect(facts.nodes.every((n) => n.ready)).toBe(true);
    expect(facts.daemonsets.map((d) => `${d.namespace}/${d.name}`)).toContain('kube-system/lab-cni');
    expect(CONTROL_PLANE).toContain(facts.leaseHolders.scheduler);
    expect(CONTROL_PLANE).toContain(facts.leaseHolders.controllerManager);

    // The /readyz gate through kubectl (the branch taken on hosts without curl).
    const noCurl = `command() { if [ "$1" = -v ] && [ "$2" = curl ]; then return 1; fi; builtin command "$@"; }; `;
    const readyz = await sshExec('cp1', noCurl + readyzCommand({ host: VIP, port: 6443 }), { timeoutMs: 30_000 });
    expect(judgeReadyz({ ...readyz, durationMs: 0 })).toEqual({ ready: true });

    // The CNI manifest as hactl applies it (already there: unchanged).
    expect(await onCp1(`${KUBECTL} apply -f ${shellQuote(CNI_MANIFEST)}`)).toMatch(/daemonset\.apps\/lab-cni (unchanged|configured)/);

    // node-config's label, taint and annotate (set, then removed again).
    await onCp1(`${KUBECTL} label --overwrite node w1 hactl.io/contract=yes`);
    await onCp1(`${KUBECTL} taint --overwrite node w1 hactl.io/contract=yes:PreferNoSchedule`);
    await onCp1(`${KUBECTL} annotate --overwrite node w1 hactl.io/contract=yes`);
    const w1 = JSON.parse(await onCp1(`${KUBECTL} get node w1 -o json`)) as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: { taints?: { key: string }[] };
    };
    expect(w1.metadata.labels['hactl.io/contract']).toBe('yes');
    expect(w1.metadata.annotations['hactl.io/contract']).toBe('yes');
    expect(w1.spec.taints?.map((t) => t.key)).toContain('hactl.io/contract');
    await onCp1(`${KUBECTL} label node w1 hactl.io/contract- && ${KUBECTL} taint node w1 hactl.io/contract- && ${KUBECTL} annotate node w1 hactl.io/contract-`);

    // Host removal's drain (also the upgrades' drain: same flags) of w2, then the upgrades' uncordon.
    expect(await onCp1(removalOperations('w2', 'cp1', { inCluster: true, drain: true })[0]!.command, 330_000)).toMatch(/node\/w2 drained/);
    expect(await onCp1(`${KUBECTL} get node w2 -o jsonpath='{.spec.unschedulable}'`)).toBe('true');
    await onCp1(`${KUBECTL} uncordon w2`);

    // Node deletion, on a Node without a kubelet behind it (deleting w2 would take it out of the cluster).
    await onCp1(`printf '%s' '{"apiVersion":"v1","kind":"Node","metadata":{"name":"contract-ghost"}}' | ${KUBECTL} apply -f -`);
    await onCp1(removalOperations('contract-ghost', 'cp1', { inCluster: true, drain: true })[3]!.command);
    expect(await onCp1(`${KUBECTL} get nodes -o name`)).not.toContain('node/contract-ghost');
    await onCp1(removalOperations('never-registered', 'cp1', { inCluster: true, drain: true })[3]!.command);
    // kubeadm-init's removal of stale nodes through the local apiserver.
    await onCp1(`${KUBECTL} --server https://198.18.0.13:6443 delete node never-a never-b --ignore-not-found`);

    // The smoke test, step by step.
    for (const op of smokeOperations(WORKERS, defaultSandboxImage(VERSION))) await onCp1(op.command, 400_000);
  }, 900_000);

  it('runs what an administrator runs on a fresh cluster', async () => {
    const wide = await onCp1(`${KUBECTL} get nodes -o wide`);
    expect(wide.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/);
    expect(wide).toMatch(/^cp1\s+Ready\s+control-plane\s+\S+\s+v1\.37\.2\s+198\.18\.0\.13\s/m);
    expect(await onCp1(`${KUBECTL} get pods -A`)).toMatch(/^kube-system\s+kube-apiserver-cp1\s+\S+\s+Running\s/m);
    expect(await onCp1(`${KUBECTL} get leases -n kube-system`)).toMatch(/^kube-controller-manager\s+cp\d_/m);
    const resources = await onCp1(`${KUBECTL} api-resources`);
    for (const r of ['deployments\\s+deploy\\s+apps/v1', 'leases\\s+coordination.k8s.io/v1', 'certificatesigningrequests\\s+csr\\s+certificates.k8s.io/v1'])
      expect(resources).toMatch(new RegExp(r));
    expect(await onCp1(`${KUBECTL} cluster-info`)).toContain(`Kubernetes control plane is running at https://${VIP}:6443`);
    expect(await onCp1(`${KUBECTL} get cm kubeadm-config -n kube-system -o yaml`)).toMatch(/ClusterConfiguration: \|-?\n[\s\S]*kind: ClusterConfiguration/);

    await onCp1(`${KUBECTL} create namespace kubectl-contract`);
    const deployment = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: { name: web, namespace: kubectl-contract }',
      'spec:',
      '  replicas: 2',
      '  selector: { matchLabels: { app: web } }',
      '  template:',
      '    metadata: { labels: { app: web } }',
      '    spec:',
      `      containers: [{ name: pause, image: "${defaultSandboxImage(VERSION)}" }]`,
      '',
    ].join('\n');
    expect(await onCp1(`printf '%s' ${shellQuote(deployment)} | ${KUBECTL} apply -f -`)).toContain('deployment.apps/web created');
    expect(await onCp1(`${KUBECTL} -n kubectl-contract rollout status deployment/web --timeout=120s`, 150_000)).toContain(
      'deployment "web" successfully rolled out',
    );
    // A second apply with a change is a three-way strategic merge patch.
    expect(await onCp1(`printf '%s' ${shellQuote(deployment.replace('replicas: 2', 'replicas: 1'))} | ${KUBECTL} apply -f -`)).toContain(
      'deployment.apps/web configured',
    );
    // A typo in a manifest: the real client asks for strict server-side field validation, and a
    // real apiserver refuses the object (nothing is created) and says which field.
    const typo = deployment.replace('name: web,', 'name: typo,').replace('replicas: 2', 'replica: 2');
    const refused = await sshExec('cp1', `printf '%s' ${shellQuote(typo)} | ${KUBECTL} apply -f -`, { timeoutMs: 60_000 });
    expect({ code: refused.code, stderr: refused.stderr.trim() }).toEqual({
      code: 1,
      stderr:
        'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"',
    });
    expect(await onCp1(`${KUBECTL} -n kubectl-contract get deployments -o name`)).not.toContain('typo');
    // kubectl explain reads the OpenAPI v3 schemas.
    expect(await onCp1(`${KUBECTL} explain deployment.spec.replicas`)).toMatch(
      /^KIND:\s+Deployment\n[\s\S]*^FIELD:\s+replicas <integer>\n[\s\S]*Number of desired pods/m,
    );
    await onCp1(`${KUBECTL} delete namespace kubectl-contract --timeout=60s`, 90_000);
    expect(await onCp1(`${KUBECTL} get namespaces -o name`)).not.toContain('namespace/kubectl-contract');

    expect(await onCp1(`${KUBECTL} cordon w1`)).toContain('node/w1 cordoned');
    expect(await onCp1(`${KUBECTL} uncordon w1`)).toContain('node/w1 uncordoned');
    expect(await onCp1(`${KUBECTL} drain w1 --ignore-daemonsets --delete-emptydir-data --dry-run=server`)).toContain('node/w1 drained (server dry run)');
    expect(await onCp1(`${KUBECTL} get node w1 -o jsonpath='{.spec.unschedulable}'`)).toBe('');
    expect((await onCp1(`${KUBECTL} auth can-i '*' '*'`)).trim()).toBe('yes');
  }, 600_000);
});
