// Air-gapped install in the lab: `hactl bundle` gathers ha-stacked's packages from the lab mirror
// (the online source), then a spec whose only package source is that bundle (replaceDefaults, no
// apt sources) is applied on bare hosts that cannot reach the mirror (a policy route in each
// host's network namespace makes 198.18.0.1:8765 unreachable; SSH from the bridge address still
// works). haproxy, keepalived, containerd, the Kubernetes packages, kubeadm init and join and the
// CNI must come from the bundle. Then the plan is empty and a re-run of `hactl bundle` downloads
// nothing. (The single topology cannot pass the smoke test: the kubeadm stand-in always taints a
// control-plane node NoSchedule, also one that is a worker.) Leaves ha-stacked converged from the
// bundle; upgrade.test.ts builds from bare hosts anyway.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabState, sshExec } from '../lab/index.js';
import { compileCli, expectStatus, ROOT, type CliPackage } from './support/cli.js';
import { bareLab, LAB_SPEC, specHosts } from './support/cluster.js';

const log = (m: string): void => console.error(`bundle e2e: ${m}`);
const HOSTS = specHosts();
const MIRROR = { address: '198.18.0.1', port: 8765 };
const LOAD = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

let cli: CliPackage;
let work: string;
let online: string;
let offline: string;
const blocked = new Set<string>();

/** Runs `ip` inside the host's network namespace only (the machine's own iproute2). */
function hostIp(host: string, args: string[]): void {
  const pid = readLabState()!.hosts.find((h) => h.name === host)!.pid;
  execFileSync('nsenter', ['-t', String(pid), '-n', '--', 'ip', ...args], { stdio: 'pipe' });
}

/** TCP to the mirror's port is unreachable from the host; everything else (SSH replies to the bridge) still routes. */
function blockMirror(host: string): void {
  hostIp(host, ['route', 'add', 'unreachable', `${MIRROR.address}/32`, 'table', '87']);
  hostIp(host, ['rule', 'add', 'to', `${MIRROR.address}/32`, 'ipproto', 'tcp', 'dport', String(MIRROR.port), 'table', '87', 'priority', '87']);
  blocked.add(host);
}

function unblockMirror(host: string): void {
  hostIp(host, ['rule', 'del', 'priority', '87']);
  hostIp(host, ['route', 'flush', 'table', '87']);
  blocked.delete(host);
}

async function hostReaches(host: string, port: number): Promise<boolean> {
  const r = await sshExec(host, `timeout 5 bash -c 'exec 3<>/dev/tcp/${MIRROR.address}/${port}'`);
  return r.code === 0;
}

const dirBytes = (dir: string): number => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hactl-bundle-e2e-'));
  await bareLab(log);
  cli = compileCli(['bundle', 'apply', 'plan'], 'hactl-bundle-cli-');
  const lab = readFileSync(join(ROOT, LAB_SPEC), 'utf8').replaceAll('../../', ROOT);
  online = join(work, 'online.yaml');
  writeFileSync(online, lab);
  // The same cluster with the bundle as its only package source.
  const packages = lab.indexOf('\npackages:');
  expect(packages).toBeGreaterThan(0);
  offline = join(work, 'offline.yaml');
  writeFileSync(offline, `${lab.slice(0, packages)}\npackages:\n  replaceDefaults: true\n  bundle: ${join(work, 'bundle')}\n`);
  // What a bare host of the lab already has: hactl bundle leaves it out.
  const status = await sshExec(HOSTS[0]!, 'cat /var/lib/dpkg/status');
  expect(status.code).toBe(0);
  writeFileSync(join(work, 'host-status'), status.stdout);
}, 900_000);

afterAll(() => {
  try {
    for (const h of [...blocked]) unblockMirror(h);
  } finally {
    cli?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  }
});

describe('air-gapped: a bundle instead of package sources', () => {
  it('hactl bundle gathers the packages from the mirror, the CNI manifest and the image list', () => {
    const r = cli.run(['bundle', '-f', online, '--out', join(work, 'bundle'), '--host-status', join(work, 'host-status')], { timeoutMs: 600_000 });
    expectStatus(r, 0);
    log(`hactl bundle: ${(r.ms / 1000).toFixed(1)} s, ${(dirBytes(join(work, 'bundle')) / 1024 ** 2).toFixed(1)} MiB (load ${LOAD()}): ${r.stdout.trim()}`);
    const manifest = JSON.parse(readFileSync(join(work, 'bundle', 'bundle.json'), 'utf8')) as { kubernetesVersion: string; packages: { name: string }[] };
    expect(manifest.kubernetesVersion).toBe('1.37.2');
    expect(manifest.packages.map((p) => p.name)).toEqual(
      expect.arrayContaining(['haproxy', 'keepalived', 'containerd', 'kubeadm', 'kubelet', 'kubectl', 'kubernetes-cni', 'cri-tools']),
    );
    expect(readFileSync(join(work, 'bundle', 'images.txt'), 'utf8')).toContain('registry.k8s.io/kube-apiserver:v1.37.2\n');
    expect(readFileSync(join(work, 'bundle', 'manifests', 'cni.yaml'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'test/lab/standins/manifests/lab-cni.yaml'), 'utf8'),
    );
  }, 900_000);

  it('applies on bare hosts that cannot reach the mirror: everything comes from the uploaded bundle', async () => {
    for (const h of HOSTS) {
      blockMirror(h);
      expect(await hostReaches(h, MIRROR.port)).toBe(false);
      expect((await sshExec(h, 'true')).code).toBe(0);
    }

    const plan = cli.run(['plan', '-f', offline, '-o', 'json']);
    expectStatus(plan, 0);
    const doc = JSON.parse(plan.stdout) as { changes: { id: string; action: string; steps: string[] }[] };
    for (const h of HOSTS) {
      const upload = doc.changes.find((c) => c.id === `package-bundle@${h}`)!;
      expect(upload.action).toBe('create');
      expect(upload.steps[0]).toMatch(/^upload the bundle to \/var\/lib\/hactl\/bundle: up to \d+ files, [\d.]+ MiB/);
    }

    const r = cli.run(['apply', '-f', offline, '--auto-approve', '--log-dir', join(work, 'runs')], { timeoutMs: 1_500_000 });
    log(`apply from the bundle: ${(r.ms / 1000).toFixed(1)} s, exit ${r.status} (load ${LOAD()})`);
    expectStatus(r, 0);
    // The upload's time per host, from apply's progress lines (`package-bundle@lb1: done (7.3s)`).
    const uploads = r.stdout.split('\n').filter((l) => /package-bundle@\S+: done/.test(l));
    log(`upload per host: ${uploads.map((l) => l.replace(/^.*package-bundle@/, '')).join(', ')}`);
    expect(uploads).toHaveLength(HOSTS.length);

    for (const h of HOSTS) {
      // Still cut off from the mirror, and apt knows only the bundle.
      expect(await hostReaches(h, MIRROR.port)).toBe(false);
      const sources = await sshExec(h, 'cat /etc/apt/sources.list.d/*.list');
      expect(sources.stdout).toContain('deb [trusted=yes] file:/var/lib/hactl/bundle/apt ./');
      expect(sources.stdout).not.toContain('8765');
      const policy = await sshExec(h, 'apt-cache policy');
      expect(policy.stdout).toContain('file:/var/lib/hactl/bundle/apt ./ Packages');
      expect(policy.stdout).not.toContain('8765');
    }
    const policy = await sshExec('cp1', 'apt-cache policy kubeadm containerd');
    expect(policy.stdout).toMatch(/kubeadm:\n\s+Installed: 1\.37\.2-1\.1/);
    expect((await sshExec('lb1', 'dpkg -s haproxy keepalived')).code).toBe(0);
    // The last node to join turns Ready once the CNI DaemonSet's pod has written its config there.
    expect(
      (await sshExec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf wait --for=condition=Ready node --all --timeout=90s', { timeoutMs: 120_000 }))
        .code,
    ).toBe(0);
    const nodes = await sshExec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes --no-headers');
    expect(nodes.stdout.trim().split('\n')).toHaveLength(5);
    for (const row of nodes.stdout.trim().split('\n')) expect(row).toMatch(/^\S+\s+Ready\s/);

    const again = cli.run(['plan', '-f', offline, '--detailed-exitcode']);
    expectStatus(again, 0);
  }, 1_800_000);

  it('a re-run of hactl bundle downloads nothing and leaves bundle.json as it was', () => {
    const before = readFileSync(join(work, 'bundle', 'bundle.json'), 'utf8');
    const r = cli.run(['bundle', '-f', online, '--out', join(work, 'bundle'), '--host-status', join(work, 'host-status')]);
    expectStatus(r, 0);
    log(`hactl bundle again: ${(r.ms / 1000).toFixed(1)} s (load ${LOAD()}): ${r.stdout.trim()}`);
    expect(r.stdout).toMatch(/ \d+ packages \(0 downloaded, 0 B; \d+ already there\)/);
    expect(readFileSync(join(work, 'bundle', 'bundle.json'), 'utf8')).toBe(before);
  }, 600_000);
});
