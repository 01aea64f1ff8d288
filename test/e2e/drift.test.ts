// `hactl drift` on lab hosts: os-prep is applied to two workers (cheap: no Kubernetes), then
// drift is injected by hand over SSH (a sysctl and its managed file) and reported with exit 2,
// also while the other worker is unreachable; after a repairing apply, exit 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUp, readLabState, sshExec, startSshd, stopSshd } from '../lab/index.js';
import { compileCli, expectStatus, type CliPackage, type Run } from './support/cli.js';

const SPEC = 'examples/lab/ha-stacked.yaml';
const TARGETS = ['--target', 'os-prep@w1', '--target', 'os-prep@w2'];
const SYSCTL_FILE = '/etc/sysctl.d/99-kubernetes.conf';
const log = (m: string): void => console.error(`drift e2e: ${m}`);

interface Report {
  status: string;
  drifted: { id: string; action: string; attributes: { name: string; before?: unknown; after?: unknown }[]; files: { path: string; diff: string }[] }[];
  unreachableHosts: { name: string; reason: string }[];
  summary: { drifted: number; hostsUnreachable: number };
}

let pkg: CliPackage;
let changed = false;

function drift(...extra: string[]): { run: Run; report: Report } {
  const run = pkg.run(['drift', '-f', SPEC, '-o', 'json', ...TARGETS, ...extra], { timeoutMs: 300_000 });
  log(`drift: exit ${run.status} in ${(run.ms / 1000).toFixed(1)} s`);
  return { run, report: JSON.parse(run.stdout) as Report };
}

async function ssh(host: string, cmd: string): Promise<string> {
  const r = await sshExec(host, cmd, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${host}: ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  pkg = compileCli(['apply', 'drift'], 'hactl-drift-e2e-');
}, 300_000);

afterAll(async () => {
  pkg?.remove();
  await startSshd('w2').catch(() => undefined);
  // Leave the lab as it was given: bare hosts.
  if (changed) await labUp({ topology: 'ha-stacked', fresh: true, log });
}, 900_000);

describe('hactl drift on the lab', () => {
  it('reports drift injected on converged hosts with exit 2, also with a host unreachable, and 0 after repair', async () => {
    expect(readLabState()?.hosts.map((h) => h.name)).toContain('w2');
    changed = true;
    const apply = pkg.run(['apply', '-f', SPEC, '--auto-approve', ...TARGETS, '--log-dir', pkg.dir], { timeoutMs: 900_000 });
    log(`apply os-prep on w1, w2: exit ${apply.status} in ${(apply.ms / 1000).toFixed(1)} s`);
    expectStatus(apply, 0);

    const clean = drift();
    expectStatus(clean.run, 0);
    expect(clean.report.status).toBe('in-sync');

    // Drift by hand: IP forwarding off, at run time and in the file hactl manages.
    await ssh('w1', `sed -i 's/^net.ipv4.ip_forward = 1$/net.ipv4.ip_forward = 0/' ${SYSCTL_FILE} && sysctl -q -w net.ipv4.ip_forward=0`);
    const drifted = drift();
    expectStatus(drifted.run, 2);
    expect(drifted.report.status).toBe('drift');
    expect(drifted.report.drifted.map((d) => `${d.id} ${d.action}`)).toEqual(['os-prep@w1 update']);
    const osPrep = drifted.report.drifted[0]!;
    expect(osPrep.files.find((f) => f.path === SYSCTL_FILE)?.diff).toMatch(/-net\.ipv4\.ip_forward = 0\n\+net\.ipv4\.ip_forward = 1/);
    expect(JSON.stringify(osPrep.attributes)).toContain('net.ipv4.ip_forward');

    // w2 cut off: reported as unreachable, and the drift on w1 is still there, still exit 2.
    await stopSshd('w2');
    try {
      const partial = drift();
      expectStatus(partial.run, 2);
      expect(partial.report.unreachableHosts.map((h) => h.name)).toEqual(['w2']);
      expect(partial.report.drifted.map((d) => d.id)).toEqual(['os-prep@w1']);
      const human = pkg.run(['drift', '-f', SPEC, ...TARGETS], { timeoutMs: 300_000 });
      expect(human.stdout).toMatch(/Host w2 \(198\.18\.0\.17\) is unreachable: /);
      expect(human.stdout).toContain('# os-prep@w1 differs from the spec');
      expect(human.status).toBe(2);
    } finally {
      await startSshd('w2');
    }

    const repair = pkg.run(['apply', '-f', SPEC, '--auto-approve', ...TARGETS, '--log-dir', pkg.dir], { timeoutMs: 900_000 });
    expectStatus(repair, 0);
    expect(repair.stdout).toContain('Apply complete!');
    expect((await ssh('w1', 'sysctl -n net.ipv4.ip_forward')).trim()).toBe('1');
    const repaired = drift();
    expectStatus(repaired.run, 0);
    expect(repaired.report.summary).toMatchObject({ drifted: 0, hostsUnreachable: 0 });
  });
});
