// `hactl reset`: the plan from the spec (what goes on which host, in which order, quoted), carried
// out over fake hosts (order, one control-plane host at a time, unreachable and failing hosts), and
// the command's confirmation rules.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import Reset from '../../src/commands/reset.js';
import { planReset } from '../../src/reset/plan.js';
import { carryOutReset, findUnreachable } from '../../src/reset/run.js';
import { HostPool, type Connect } from '../../src/transport/pool.js';
import { HostUnreachableError, type ExecResult, type Transport } from '../../src/transport/transport.js';
import { ApplyLock, DEFAULT_LOCK_PATH } from '../../src/apply/lock.js';
import { specFromText } from '../resources/helpers.js';
import { localShell } from '../apply/fake.js';
import { runCommand } from '../cli/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'hactl-reset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HA = `apiVersion: hactl.io/v1alpha1
kind: Cluster
metadata: { name: prod-a }
profile: test
hosts:
  - { name: lb1, address: 10.0.10.5, roles: [lb] }
  - { name: lb2, address: 10.0.10.6, roles: [lb] }
  - { name: cp1, address: 10.0.10.11, roles: [control-plane] }
  - { name: cp2, address: 10.0.10.12, roles: [control-plane] }
  - { name: cp3, address: 10.0.10.13, roles: [control-plane] }
  - { name: w1, address: 10.0.10.21, roles: [worker] }
  - { name: w2, address: 10.0.10.22, roles: [worker] }
controlPlaneEndpoint: { host: 10.0.10.10 }
loadBalancer: { keepalived: { interface: eth0, authPasswordEnv: VRRP_PW } }
`;

const EXTERNAL = `apiVersion: hactl.io/v1alpha1
kind: Cluster
metadata: { name: ext }
profile: test
hosts:
  - { name: cp1, address: 10.0.10.11, roles: [control-plane] }
  - { name: cp2, address: 10.0.10.12, roles: [control-plane] }
  - { name: cp3, address: 10.0.10.13, roles: [control-plane] }
  - { name: e1, address: 10.0.10.31, roles: [etcd] }
  - { name: e2, address: 10.0.10.32, roles: [etcd] }
  - { name: e3, address: 10.0.10.33, roles: [etcd] }
controlPlaneEndpoint: { host: 10.0.10.10 }
loadBalancer: { type: keepalived-nginx, keepalived: { interface: eth0, authPasswordEnv: VRRP_PW } }
etcd: { topology: external }
`;

const commands = (spec: string, host: string) =>
  planReset(specFromText(spec))
    .hosts.find((r) => r.host.name === host)!
    .operations.map((o) => o.command);

describe('planReset', () => {
  it('workers first, then control-plane hosts with the first one last, then the load balancers', () => {
    const plan = planReset(specFromText(HA));
    expect(plan.hosts.map((r) => [r.host.name, r.phase])).toEqual([
      ['w1', 'workers'],
      ['w2', 'workers'],
      ['cp3', 'control-plane'],
      ['cp2', 'control-plane'],
      ['cp1', 'control-plane'],
      ['lb1', 'infrastructure'],
      ['lb2', 'infrastructure'],
    ]);
    expect(plan.hosts.find((r) => r.host.name === 'cp1')!.roles).toEqual(['control-plane, etcd member']);
    expect(plan.kept).toContain('etcd snapshots taken before upgrades (/var/lib/hactl/etcd-snapshots)');
  });

  it("a node: kubeadm reset, kubelet and CNI (the host-removal steps), then kubeadm's and hactl's files; stacked etcd data on control-plane hosts only", () => {
    const w = commands(HA, 'w1');
    expect(w[0]).toBe('if command -v kubeadm >/dev/null 2>&1; then kubeadm reset -f; fi');
    expect(w[1]).toMatch(/systemctl disable --now kubelet\.service.*rm -rf \/etc\/cni\/net\.d\/\* \/var\/lib\/cni/);
    expect(w[2]).toBe('rm -rf -- /etc/kubernetes/kubeadm-config.yaml /etc/kubernetes/hactl /etc/kubernetes/hactl-restart /var/lib/hactl/restore');
    expect(w.join('\n')).not.toMatch(/\/var\/lib\/etcd/);
    expect(commands(HA, 'cp1')).toContain('rm -rf -- /var/lib/etcd');
  });

  it('load balancers: keepalived (the VIP) before the proxy, each stopped and its configuration removed', () => {
    expect(commands(HA, 'lb1')).toEqual([
      'if systemctl cat keepalived.service >/dev/null 2>&1; then systemctl disable --now keepalived.service; fi && rm -rf -- /etc/keepalived/keepalived.conf',
      'if systemctl cat haproxy.service >/dev/null 2>&1; then systemctl disable --now haproxy.service; fi && rm -rf -- /etc/haproxy/haproxy.cfg',
    ]);
  });

  it('external etcd: its members lose data, certificates and settings after the control plane; co-located nginx on the control-plane hosts', () => {
    const plan = planReset(specFromText(EXTERNAL));
    expect(plan.hosts.map((r) => r.host.name)).toEqual(['cp3', 'cp2', 'cp1', 'e1', 'e2', 'e3']);
    expect(commands(EXTERNAL, 'e1')).toEqual([
      'if systemctl cat etcd.service >/dev/null 2>&1; then systemctl disable --now etcd.service; fi && rm -rf -- /var/lib/etcd/hactl /etc/hactl/etcd-pki /etc/default/etcd /etc/etcd/etcd.conf',
    ]);
    const cp = commands(EXTERNAL, 'cp1');
    expect(cp.join('\n')).not.toMatch(/\/var\/lib\/etcd( |$)/m);
    expect(cp.slice(-2)).toEqual([
      expect.stringMatching(/disable --now keepalived\.service.*keepalived\.conf/),
      expect.stringMatching(/disable --now nginx\.service.*\/etc\/nginx\/nginx\.conf/),
    ]);
  });

  it('every command is valid shell', () => {
    for (const spec of [HA, EXTERNAL]) {
      for (const r of planReset(specFromText(spec)).hosts) {
        for (const op of r.operations) expect(spawnSync('bash', ['-n', '-c', op.command]).status, op.command).toBe(0);
      }
    }
  });
});

/** Where the fake hosts keep apply's lock: a real shell runs the lock's scripts on a temp directory. */
const lockDir = join(dir, 'lock');
const LOCK = join(lockDir, 'apply.lock');
const lockShell = localShell('cp1');
/** The lock's scripts with its directory (/var/lib/hactl) moved to the temp one. */
const onLockDir = (cmd: string) => cmd.replaceAll(dirname(DEFAULT_LOCK_PATH), lockDir);

/**
 * Fake hosts recording every command with its start and end; some down, some failing a command.
 * apply's lock commands run for real, on a temp directory, and are recorded apart.
 */
function fakeHosts(opts: { down?: string[]; fail?: (host: string, cmd: string) => boolean } = {}) {
  const calls: { host: string; cmd: string; start: number; end: number }[] = [];
  const lockCalls: string[] = [];
  const connect: Connect = async (target) => {
    if (opts.down?.includes(target.name)) throw new HostUnreachableError(target.name, 'connect ETIMEDOUT');
    const t: Transport = {
      host: target.name,
      readOnly: false,
      exec: async (line, execOpts): Promise<ExecResult> => {
        const cmd = typeof line === 'string' ? line : line.text;
        if (cmd.includes(DEFAULT_LOCK_PATH)) {
          lockCalls.push(target.name);
          return lockShell.exec(onLockDir(cmd), execOpts);
        }
        const start = performance.now();
        await new Promise((r) => setTimeout(r, 5));
        calls.push({ host: target.name, cmd, start, end: performance.now() });
        const failed = opts.fail?.(target.name, cmd) ?? false;
        return { code: failed ? 1 : 0, stdout: '', stderr: failed ? 'rm: cannot remove\u001b[31m: busy\n' : '', durationMs: 5 };
      },
      observe: async () => {
        throw new Error('no observations in reset');
      },
      readFile: async () => Buffer.from('host\n'),
      writeFile: async () => {
        throw new Error('reset writes no files');
      },
      upload: async () => undefined,
      close: async () => undefined,
    };
    return t;
  };
  return { connect, calls, lockCalls };
}

describe('carryOutReset', () => {
  const spec = specFromText(HA);
  const plan = planReset(spec);
  const pools = (connect: Connect) => ({
    observer: new HostPool({ readOnly: true, connect, acceptNewHostKeys: false }),
    writer: new HostPool({ readOnly: false, connect, acceptNewHostKeys: false }),
  });

  it("runs every host's steps in order, phase by phase, control-plane hosts never at once", async () => {
    const { connect, calls } = fakeHosts();
    const { observer, writer } = pools(connect);
    const unreachable = await findUnreachable(plan, observer);
    expect(unreachable.size).toBe(0);
    const out = await carryOutReset(plan, writer, { unreachable, parallelism: 10, stepTimeoutMs: 1000 });
    expect(out.every((o) => o.status === 'reset')).toBe(true);
    for (const r of plan.hosts) expect(calls.filter((c) => c.host === r.host.name).map((c) => c.cmd)).toEqual(r.operations.map((o) => o.command));
    const span = (host: string) => {
      const mine = calls.filter((c) => c.host === host);
      return { start: Math.min(...mine.map((c) => c.start)), end: Math.max(...mine.map((c) => c.end)) };
    };
    expect(span('w1').end).toBeLessThanOrEqual(span('cp3').start);
    expect(span('cp3').end).toBeLessThanOrEqual(span('cp2').start);
    expect(span('cp2').end).toBeLessThanOrEqual(span('cp1').start);
    expect(span('cp1').end).toBeLessThanOrEqual(span('lb1').start);
    // Workers together.
    expect(span('w2').start).toBeLessThan(span('w1').end);
  });

  it('an unreachable host is named, skipped, and the rest go on; a failed step stops only its host', async () => {
    const { connect, calls } = fakeHosts({ down: ['w2'], fail: (h, cmd) => h === 'cp2' && cmd.includes('kubelet') });
    const { observer, writer } = pools(connect);
    const unreachable = await findUnreachable(plan, observer);
    expect([...unreachable]).toEqual([['w2', 'unreachable: connect ETIMEDOUT']]);
    const out = await carryOutReset(plan, writer, { unreachable, parallelism: 10, stepTimeoutMs: 1000 });
    expect(out.find((o) => o.host === 'w2')).toEqual({ host: 'w2', status: 'unreachable', error: 'unreachable: connect ETIMEDOUT' });
    expect(out.find((o) => o.host === 'cp2')).toMatchObject({ status: 'failed', steps: 1, error: 'exit 1: rm: cannot remove\\x1b[31m: busy' });
    expect(calls.filter((c) => c.host === 'cp2')).toHaveLength(2);
    expect(out.filter((o) => o.status === 'reset').map((o) => o.host)).toEqual(['w1', 'cp3', 'cp1', 'lb1', 'lb2']);
    expect(calls.some((c) => c.host === 'w2')).toBe(false);
  });

  it('an aborted reset starts no new host', async () => {
    const { connect, calls } = fakeHosts();
    const { writer } = pools(connect);
    const ac = new AbortController();
    ac.abort();
    const out = await carryOutReset(plan, writer, { unreachable: new Map(), parallelism: 10, stepTimeoutMs: 1000, signal: ac.signal });
    expect(out.every((o) => o.status === 'cancelled')).toBe(true);
    expect(calls).toEqual([]);
  });
});

describe('hactl reset', () => {
  const specFile = join(dir, 'cluster.yaml');
  writeFileSync(specFile, HA);
  afterEach(() => {
    Reset.connect = undefined;
  });

  it('without --auto-approve and no terminal: shows the plan, refuses, touches nothing', async () => {
    const { connect, calls } = fakeHosts();
    Reset.connect = connect;
    const r = await runCommand(Reset, ['-f', specFile]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^hactl reset will tear down cluster 'prod-a'/);
    expect(r.out).toMatch(/ {2}cp1 \(10\.0\.10\.11; control-plane, etcd member\)\n {4}- kubeadm reset -f/);
    expect(r.err).toMatch(/refusing to reset without confirmation: stdin is not a terminal/);
    expect(calls).toEqual([]);
  });

  it('--auto-approve: resets every host under the apply lock (released after) and says so, exit 0', async () => {
    const { connect, calls, lockCalls } = fakeHosts();
    Reset.connect = connect;
    const r = await runCommand(Reset, ['-f', specFile, '--auto-approve']);
    expect(r.code).toBe(0);
    expect(lockCalls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(lockCalls)).toEqual(new Set(['cp1']));
    expect(existsSync(LOCK)).toBe(false);
    expect(r.out).toMatch(/Reset: 7 of 7 hosts\./);
    expect(r.out).toMatch(/Reset complete: 7 host\(s\) reset\.\n$/);
    expect(new Set(calls.map((c) => c.host)).size).toBe(7);
  });

  it('an unreachable host: named in the plan and the outcome, the others reset, exit 1', async () => {
    const { connect, calls } = fakeHosts({ down: ['lb2'] });
    Reset.connect = connect;
    const r = await runCommand(Reset, ['-f', specFile, '--auto-approve']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/lb2 \(10\.0\.10\.6; load balancer\): UNREACHABLE \(unreachable: connect ETIMEDOUT\), will be skipped/);
    expect(r.out).toMatch(/Reset: 6 of 7 hosts; 1 cannot be reached now \(lb2\)/);
    expect(r.out).toMatch(/lb2: NOT RESET, unreachable/);
    expect(r.out).toMatch(/Reset incomplete: 6 reset, 0 failed, 1 unreachable/);
    expect(calls.some((c) => c.host === 'lb2')).toBe(false);
  });
});

describe('hactl reset with no host answering', () => {
  it('shows the plan and stops: nothing to confirm, exit 1', async () => {
    const specFile = join(dir, 'down.yaml');
    writeFileSync(specFile, HA);
    const { connect, calls } = fakeHosts({ down: ['lb1', 'lb2', 'cp1', 'cp2', 'cp3', 'w1', 'w2'] });
    Reset.connect = connect;
    try {
      const r = await runCommand(Reset, ['-f', specFile, '--auto-approve']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/Nothing can be reset: no host answered/);
      expect(calls).toEqual([]);
    } finally {
      Reset.connect = undefined;
    }
  });
});

describe('hactl reset while an apply holds the lock', () => {
  it('refuses with the holder, before any host is touched, exit 1', async () => {
    const specFile = join(dir, 'locked.yaml');
    writeFileSync(specFile, HA);
    const other = new ApplyLock({ name: 'cp1', exec: (cmd, o) => lockShell.exec(onLockDir(cmd), o) }, { holder: 'alice@laptop', refreshMs: 60_000 });
    const held = await other.acquire({ operation: 'apply -f cluster.yaml' });
    const { connect, calls } = fakeHosts();
    Reset.connect = connect;
    try {
      const r = await runCommand(Reset, ['-f', specFile, '--auto-approve']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/hactl will not reset: the apply lock .* is held by alice@laptop .*operation "apply -f cluster\.yaml"/);
      expect(calls).toEqual([]);
    } finally {
      Reset.connect = undefined;
      await held.release();
    }
  });
});

describe('the reset plan as shown', () => {
  it('names the etcd member only where there is one', () => {
    const plan = planReset(specFromText(HA));
    const first = (h: string) => plan.hosts.find((r) => r.host.name === h)!.operations[0]!.description;
    expect(first('cp2')).toBe('kubeadm reset -f (removes its stacked etcd member, static pods, kubelet state, certificates and kubeconfigs)');
    expect(first('w1')).toBe('kubeadm reset -f (removes static pods, kubelet state, certificates and kubeconfigs)');
  });
});
