// `hactl apply` against the lab, through the real oclif entry point: from bare hosts, everything
// that does not need Kubernetes binaries (package sources, os-prep, containerd, haproxy and
// keepalived with a working VIP), then nothing left to do; sshd killed on a worker mid-apply;
// two applies at once; a stale saved plan. The hosts are recreated bare afterwards.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutSsh, labUp, readLabState, sshExec, startSshd } from '../lab/index.js';
import { compileCli, expectStatus, type CliPackage, type Run } from './support/cli.js';
import { bareLab, LAB_SPEC as SPEC, specHosts } from './support/cluster.js';

const VIP = '198.18.0.100';
/** The kinds that need no Kubernetes binaries (their ancestors, preflight, come along). */
const KINDS = ['package-sources', 'os-prep', 'containerd', 'lb-haproxy', 'lb-keepalived'];
const TARGETS = KINDS.flatMap((k) => ['--target', k]);
const log = (m: string): void => console.error(`apply e2e: ${m}`);

let pkg: CliPackage;
let work: string;
let changed = false;

/** Applies keep their run logs in the test's scratch directory, not in the working tree. */
function withLogDir(args: string[]): string[] {
  return args[0] === 'apply' && !args.includes('--log-dir') ? [...args, '--log-dir', join(work, 'other-runs')] : args;
}

function hactl(...given: string[]): Run {
  return pkg.run(withLogDir(given), { timeoutMs: 600_000 });
}

/** Start hactl in the background; `waitFor` resolves when its stdout matches. */
function hactlAsync(...given: string[]) {
  return pkg.start(withLogDir(given));
}

/** `plan -o json`: the actions of the targeted kinds' resources that are not no-op. */
function pendingChanges(): string[] {
  const r = hactl('plan', '-f', SPEC, '-o', 'json');
  if (r.status !== 0 && r.status !== 2) throw new Error(`plan failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const plan = JSON.parse(r.stdout) as { changes: { id: string; kind: string; action: string; steps: string[] }[] };
  return plan.changes.filter((c) => KINDS.includes(c.kind) && c.action !== 'no-op').map((c) => `${c.id} ${c.action}: ${c.steps.join('; ')}`);
}

async function ssh(host: string, cmd: string): Promise<string> {
  const r = await sshExec(host, cmd, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${host}: ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const hosts = () => readLabState()!.hosts.map((h) => h.name);

beforeAll(async () => {
  pkg = compileCli(['apply', 'plan', 'force-unlock'], 'hactl-apply-cli-');
  work = mkdtempSync(join(tmpdir(), 'hactl-apply-e2e-'));

  // Start from bare hosts: an earlier test file may have configured them or switched topology.
  await bareLab(log);
}, 900_000);

afterAll(async () => {
  pkg?.remove();
  rmSync(work, { recursive: true, force: true });
  for (const h of hosts()) await startSshd(h).catch(() => undefined);
  // Leave the lab as it was given: bare hosts.
  if (changed) await labUp({ topology: 'ha-stacked', fresh: true, log });
}, 900_000);

describe('hactl apply on the lab', () => {
  it('applies everything without Kubernetes binaries to bare hosts; the VIP answers; then nothing is left', async () => {
    expect(pendingChanges().length).toBeGreaterThan(0);
    changed = true;
    const r = hactl('apply', '-f', SPEC, '--auto-approve', ...TARGETS, '--log-dir', join(work, 'runs'));
    log(`first apply: ${(r.ms / 1000).toFixed(1)} s, exit ${r.status}`);
    expectStatus(r, 0);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.stdout).toMatch(/Apply complete! Resources: \d+ added, \d+ changed, 0 destroyed\./);
    expect(r.status).toBe(0);
    // Not a TTY: one line per event, and a run log per host.
    expect(r.stdout).toMatch(/\d\d:\d\d:\d\d lb1: lb-keepalived@lb1: done \(\d+\.\d+s\)/);
    const dirs = readdirSync(join(work, 'runs'));
    expect(dirs).toHaveLength(1);
    const runDir = join(work, 'runs', dirs[0]!);
    expect(readdirSync(runDir).sort()).toEqual([...specHosts().map((h) => `${h}.log`), 'events.log'].sort());
    expect(readFileSync(join(runDir, 'cp1.log'), 'utf8')).toMatch(/\$ DEBIAN_FRONTEND=noninteractive apt-get install .*containerd[\s\S]*exit 0 in \d+ ms/);

    expect(pendingChanges()).toEqual([]);
    const again = hactl('apply', '-f', SPEC, '--auto-approve', ...TARGETS);
    expect(again.stdout).toContain('Nothing to apply.');
    expect(again.status).toBe(0);

    // The VIP: on lb1 (highest priority) and not on lb2; haproxy listens; reachable from cp1.
    // keepalived takes the VIP a few VRRP adverts after it starts (and once its track script passed).
    const deadline = Date.now() + 30_000;
    let addrs = await ssh('lb1', 'ip -4 -o addr show dev eth0');
    while (!addrs.includes(`${VIP}/24`) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      addrs = await ssh('lb1', 'ip -4 -o addr show dev eth0');
    }
    expect(addrs).toContain(`${VIP}/24`);
    expect(await ssh('lb2', 'ip -4 -o addr show dev eth0')).not.toContain(VIP);
    expect(await ssh('lb1', 'ss -Hltn sport = :6443')).toMatch(/LISTEN/);
    expect((await sshExec('cp1', `timeout 5 bash -c 'exec 3<>/dev/tcp/${VIP}/6443'`)).code).toBe(0);
    expect((await ssh('cp1', 'systemctl is-active containerd')).trim()).toBe('active');
  });

  it('a worker whose sshd dies mid-apply fails alone; the others finish; a re-run converges', async () => {
    // Work on every kubelet host, files only: a package manager killed halfway is another story.
    for (const h of ['cp1', 'cp2', 'cp3', 'w1', 'w2']) await ssh(h, 'rm -f /etc/containerd/config.toml /etc/sysctl.d/99-kubernetes.conf');
    const a = hactlAsync('apply', '-f', SPEC, '--auto-approve', ...TARGETS);
    let r: Run;
    try {
      await a.waitFor(/w1: os-prep@w1: started/);
      await cutSsh('w1');
      r = await a.done;
    } finally {
      await startSshd('w1');
    }
    log(`apply with w1 cut off: ${(r.ms / 1000).toFixed(1)} s, exit ${r.status}`);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/Failed \(\d+\):\n {2}(os-prep|containerd)@w1: /);
    expect(r.stdout).toContain('Apply failed.');
    const failed = r.stdout.slice(r.stdout.indexOf('Failed ('), r.stdout.indexOf('\n\n', r.stdout.indexOf('Failed (')));
    expect(failed).not.toMatch(/@(cp|w2|lb)/);
    for (const id of ['containerd@cp1', 'containerd@cp2', 'containerd@cp3', 'containerd@w2', 'os-prep@w2'])
      expect(r.stdout).toMatch(new RegExp(`: ${id}: done`));

    const again = hactl('apply', '-f', SPEC, '--auto-approve', ...TARGETS);
    log(`re-run: ${(again.ms / 1000).toFixed(1)} s, exit ${again.status}`);
    expectStatus(again, 0);
    expect(again.stdout).toContain('Apply complete!');
    expect(again.status).toBe(0);
    expect(pendingChanges()).toEqual([]);
  });

  it('of two applies at once, the second fails naming the holder; the lock is gone afterwards', async () => {
    for (const h of ['cp1', 'cp2', 'cp3', 'w1', 'w2']) await ssh(h, 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q containerd >/dev/null');
    const a = hactlAsync('apply', '-f', SPEC, '--auto-approve', ...TARGETS);
    await a.waitFor(/: started/);
    const b = hactl('apply', '-f', SPEC, '--auto-approve', ...TARGETS, '--lock-timeout', '0s');
    const ra = await a.done;
    expectStatus(b, 1);
    expectStatus(ra, 0);
    expect(b.stderr).toMatch(
      new RegExp(`the apply lock /var/lib/hactl/apply.lock on cp1 is held by \\S+@\\S+ \\(pid ${a.pid}, operation "apply -f ${SPEC} --target package-sources`),
    );
    expect(b.stderr).toMatch(/lock ID [0-9a-f-]{36}/);
    expect(ra.stdout).toContain('Apply complete!');
    expect(ra.status).toBe(0);
    expect((await sshExec('cp1', 'test ! -e /var/lib/hactl/apply.lock')).code).toBe(0);

    // force-unlock only removes the lock with the right ID.
    const id = '6c1f3d0e-0000-4000-8000-000000000001';
    await ssh(
      'cp1',
      `mkdir -p /var/lib/hactl && printf '%s' '{"id":"${id}","holder":"ghost@gone","pid":1,"operation":"apply","createdAt":"x","refreshedAt":"x"}' > /var/lib/hactl/apply.lock`,
    );
    const wrong = hactl('force-unlock', '-f', SPEC, '6c1f3d0e-0000-4000-8000-000000000002');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`lock ID ${id}, held by ghost@gone`);
    await ssh('w2', 'rm -f /etc/sysctl.d/99-kubernetes.conf');
    const held = hactl('apply', '-f', SPEC, '--auto-approve', '--target', 'os-prep@w2');
    expect(held.status).toBe(1);
    expect(held.stderr).toContain('held by ghost@gone');
    const right = hactl('force-unlock', '-f', SPEC, id);
    expect(right.stdout).toContain(`Released the apply lock ${id} on cp1 (held by ghost@gone`);
    expect(right.status).toBe(0);
    expect((await sshExec('cp1', 'test ! -e /var/lib/hactl/apply.lock')).code).toBe(0);
  });

  it('Ctrl-C starts nothing new, lets running resources finish, releases the lock and reports', async () => {
    for (const h of ['cp1', 'cp2', 'cp3', 'w1', 'w2']) await ssh(h, 'rm -f /etc/containerd/config.toml /etc/sysctl.d/99-kubernetes.conf');
    const a = hactlAsync('apply', '-f', SPEC, '--auto-approve', ...TARGETS);
    await a.waitFor(/: os-prep@\S+: started/);
    process.kill(a.pid, 'SIGINT');
    const r = await a.done;
    expectStatus(r, 1);
    expect(r.stdout).toContain('SIGINT: starting nothing new; waiting for running resources to finish');
    expect(r.stdout).toMatch(/Cancelled \(\d+\):\n {2}\S+/);
    expect(r.stdout).toContain('Apply failed (interrupted).');
    expect(r.stdout).not.toContain('Failed (');
    // What was running finished: every os-prep that started is done, nothing started after the interrupt.
    const started = [...r.stdout.matchAll(/: (os-prep@\S+): started/g)].map((m) => m[1]);
    for (const id of started) expect(r.stdout).toContain(`: ${id}: done`);
    const after = r.stdout.slice(r.stdout.indexOf('SIGINT: starting nothing new'));
    expect(after).not.toContain(': started');
    expect((await sshExec('cp1', 'test ! -e /var/lib/hactl/apply.lock')).code).toBe(0);
    expectStatus(hactl('apply', '-f', SPEC, '--auto-approve', ...TARGETS), 0);
  });

  it('the lock of an apply that was killed expires, and a waiting apply takes it over', async () => {
    // Only file changes (atomic writes), so killing the apply anywhere leaves nothing half done.
    for (const h of ['w1', 'w2']) await ssh(h, 'rm -f /etc/containerd/config.toml');
    const a = hactlAsync('apply', '-f', SPEC, '--auto-approve', ...TARGETS);
    await a.waitFor(/: started/);
    process.kill(a.pid, 'SIGKILL');
    await a.done;
    expect(await ssh('cp1', 'cat /var/lib/hactl/apply.lock')).toContain(`"pid":${a.pid}`);
    const b = hactl('apply', '-f', SPEC, '--auto-approve', ...TARGETS, '--lock-timeout', '2m');
    log(`apply waiting for a dead holder's lock: ${(b.ms / 1000).toFixed(1)} s, exit ${b.status}`);
    expectStatus(b, 0);
    expect(b.stdout).toMatch(new RegExp(`waiting for the apply lock on cp1: held by \\S+ \\(operation "apply -f ${SPEC}`));
    expect(b.stdout).toContain('Apply complete!');
    expect(b.status).toBe(0);
    // Refreshed every 10 s, expired after 30 s without: the wait is 20 to 30 s after the kill.
    expect(b.ms).toBeGreaterThan(15_000);
    expect((await sshExec('cp1', 'test ! -e /var/lib/hactl/apply.lock')).code).toBe(0);
  });

  it('applies a saved plan without asking, and refuses it once a host changed', async () => {
    await ssh('w2', 'rm -f /etc/sysctl.d/99-kubernetes.conf');
    const out = join(work, 'plan.json');
    const p = hactl('plan', '-f', SPEC, '--out', out, '--detailed-exitcode');
    expectStatus(p, 2);
    await ssh('w2', "printf '10.9.9.9 added-by-hand\\n' >> /etc/hosts");
    try {
      const stale = hactl('apply', out, ...TARGETS);
      expect(stale.status).toBe(1);
      expect(stale.stderr).toContain('the plan is stale: host w2 changed since the plan was made (its facts differ)');
      expect((await sshExec('w2', 'test ! -e /etc/sysctl.d/99-kubernetes.conf')).code).toBe(0);
    } finally {
      await ssh('w2', "sed -i '/added-by-hand/d' /etc/hosts");
    }
    const fresh = hactl('apply', out, ...TARGETS);
    expectStatus(fresh, 0);
    expect(fresh.stdout).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed.');
    expect(fresh.status).toBe(0);
    expect((await sshExec('w2', 'test -e /etc/sysctl.d/99-kubernetes.conf')).code).toBe(0);
  });
});
