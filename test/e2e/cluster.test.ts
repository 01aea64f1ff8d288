// A whole cluster from bare hosts with one `hactl apply` on the lab's ha-stacked topology: load
// balancers with the VIP, kubeadm init on cp1, cp2 and cp3 joined one at a time, w1 and w2 joined,
// the lab CNI, node config and the smoke test. Then every node is Ready (asked on cp1 with
// admin.conf), a plan has nothing left to do (--detailed-exitcode 0), and no bootstrap token is in
// the run log. The hosts are recreated bare afterwards.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUp, readLabState, sshExec } from '../lab/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');
const SPEC = 'examples/lab/ha-stacked.yaml';
const NODES = ['cp1', 'cp2', 'cp3', 'w1', 'w2'];
const log = (m: string): void => console.error(`cluster e2e: ${m}`);

let pkg: string;
let work: string;
let changed = false;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function hactl(...args: string[]): Run {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(pkg, 'bin/run.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 1_500_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

function expectStatus(r: Run, status: number): void {
  if (r.status !== status) throw new Error(`hactl exited ${r.status}, expected ${status}:\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-3000)}`);
}

const hosts = () => readLabState()!.hosts.map((h) => h.name);

beforeAll(async () => {
  pkg = mkdtempSync(join(tmpdir(), 'hactl-cluster-cli-'));
  work = mkdtempSync(join(tmpdir(), 'hactl-cluster-e2e-'));
  cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  cpSync(join(ROOT, 'bin'), join(pkg, 'bin'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  symlinkSync(join(ROOT, 'schemas'), join(pkg, 'schemas'));
  writeFileSync(
    join(pkg, 'tsconfig.json'),
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: { rootDir: SRC, outDir: join(pkg, 'dist'), noEmit: false, sourceMap: false },
      include: [],
      files: ['apply.ts', 'plan.ts', 'validate.ts'].map((f) => join(SRC, 'commands', f)),
    }),
  );
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(pkg, 'tsconfig.json')], { encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);

  // Start from bare hosts: an earlier test file may have configured them.
  const configured = await Promise.all(hosts().map(async (h) => (await sshExec(h, 'test -e /etc/apt/sources.list.d/hactl-os.list || dpkg -s containerd >/dev/null 2>&1')).code === 0));
  if (configured.some(Boolean)) {
    log('hosts are not bare: recreating the lab');
    await labUp({ topology: 'ha-stacked', fresh: true, log });
  }
}, 900_000);

afterAll(async () => {
  rmSync(pkg, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  // Leave the lab as it was given: bare hosts.
  if (changed) await labUp({ topology: 'ha-stacked', fresh: true, log });
}, 900_000);

describe('a whole cluster with hactl apply', () => {
  it('builds ha-stacked from bare hosts: all nodes Ready, nothing left to plan, no token in the run log', async () => {
    const validate = hactl('validate', '-f', SPEC);
    expectStatus(validate, 0);

    changed = true;
    const runs = join(work, 'runs');
    const r = hactl('apply', '-f', SPEC, '--auto-approve', '--log-dir', runs);
    log(`apply from bare hosts: ${(r.ms / 1000).toFixed(1)} s, exit ${r.status}`);
    expectStatus(r, 0);
    expect(r.stdout).toMatch(/Apply complete! Resources: \d+ added, \d+ changed, 0 destroyed\./);
    for (const id of ['kubeadm-init@cp1', 'join-control-plane@cp2', 'join-control-plane@cp3', 'join-worker@w1', 'join-worker@w2', 'cni', 'node-config@w2', 'smoke-test']) {
      expect(r.stdout).toMatch(new RegExp(`: ${id.replace(/[@.]/g, '\\$&')}: done`));
    }

    // Every node Ready, asked on cp1 with admin.conf.
    const nodes = await sshExec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes --no-headers', { timeoutMs: 60_000 });
    expect(nodes.code, nodes.stderr).toBe(0);
    const rows = nodes.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    log(`nodes:\n${nodes.stdout.trim()}`);
    expect(rows.map((c) => c[0]).sort()).toEqual(NODES);
    for (const c of rows) expect(`${c[0]} ${c[1]}`).toBe(`${c[0]} Ready`);

    // Nothing left: the plan (with the cluster's facts) changes nothing.
    const plan = hactl('plan', '-f', SPEC, '--detailed-exitcode');
    log(`plan after apply: ${(plan.ms / 1000).toFixed(1)} s, exit ${plan.status}`);
    expectStatus(plan, 0);

    // Bootstrap tokens and certificate keys never reached the run log or the output.
    const dirs = readdirSync(runs);
    expect(dirs).toHaveLength(1);
    const texts = [r.stdout, r.stderr, ...readdirSync(join(runs, dirs[0]!)).map((f) => readFileSync(join(runs, dirs[0]!, f), 'utf8'))];
    for (const t of texts) {
      expect(t).not.toMatch(/--token [a-z0-9]{6}\.[a-z0-9]{16}/);
      expect(t).not.toMatch(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/);
    }
    // The smoke test ran its steps (pods created, waited for, removed).
    expect(readFileSync(join(runs, dirs[0]!, 'cp1.log'), 'utf8')).toMatch(/smoke-test: checks passed \(3 read step\(s\) ran\)/);
  }, 1_800_000);
});
