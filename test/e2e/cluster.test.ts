// A whole cluster from bare hosts with one `hactl apply` on the lab's ha-stacked topology: load
// balancers with the VIP, kubeadm init on cp1, cp2 and cp3 joined one at a time, w1 and w2 joined,
// the lab CNI, node config and the smoke test. Then every node is Ready (asked on cp1 with
// admin.conf), a plan has nothing left to do (--detailed-exitcode 0), and no bootstrap token is in
// the run log. The converged cluster is left for the tests that share it (support/cluster.ts).

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshExec } from '../lab/index.js';
import { compileCli, expectStatus, type CliPackage, type Run } from './support/cli.js';
import { bareLab, LAB_SPEC as SPEC } from './support/cluster.js';

const NODES = ['cp1', 'cp2', 'cp3', 'w1', 'w2'];
const log = (m: string): void => console.error(`cluster e2e: ${m}`);

let pkg: CliPackage;
let work: string;

function hactl(...args: string[]): Run {
  return pkg.run(args);
}

beforeAll(async () => {
  pkg = compileCli(['apply', 'plan', 'validate'], 'hactl-cluster-cli-');
  work = mkdtempSync(join(tmpdir(), 'hactl-cluster-e2e-'));

  // Start from bare hosts: an earlier test file may have configured them or switched topology.
  await bareLab(log);
}, 900_000);

afterAll(() => {
  pkg?.remove();
  rmSync(work, { recursive: true, force: true });
});

describe('a whole cluster with hactl apply', () => {
  it('builds ha-stacked from bare hosts: all nodes Ready, nothing left to plan, no token in the run log', async () => {
    const validate = hactl('validate', '-f', SPEC);
    expectStatus(validate, 0);

    const runs = join(work, 'runs');
    const r = hactl('apply', '-f', SPEC, '--auto-approve', '--log-dir', runs);
    log(`apply from bare hosts: ${(r.ms / 1000).toFixed(1)} s, exit ${r.status}`);
    expectStatus(r, 0);
    expect(r.stdout).toMatch(/Apply complete! Resources: \d+ added, \d+ changed, 0 destroyed\./);
    for (const id of [
      'kubeadm-init@cp1',
      'join-control-plane@cp2',
      'join-control-plane@cp3',
      'join-worker@w1',
      'join-worker@w2',
      'cni',
      'node-config@w2',
      'smoke-test',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`: ${id.replace(/[@.]/g, '\\$&')}: done`));
    }

    // Every node Ready, asked on cp1 with admin.conf. The last host to join (its place in the walk
    // varies) turns Ready once the CNI DaemonSet's pod has written its config there.
    const waited = await sshExec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf wait --for=condition=Ready node --all --timeout=90s', {
      timeoutMs: 120_000,
    });
    expect(waited.code, waited.stderr).toBe(0);
    const nodes = await sshExec('cp1', 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes --no-headers', { timeoutMs: 60_000 });
    expect(nodes.code, nodes.stderr).toBe(0);
    const rows = nodes.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    log(`nodes:\n${nodes.stdout.trim()}`);
    expect(rows.map((c) => c[0]).sort()).toEqual(NODES);
    for (const c of rows) expect(`${c[0]} ${c[1]}`).toBe(`${c[0]} Ready`);

    // Nothing left: the plan (with the cluster's facts) changes nothing.
    const plan = hactl('plan', '-f', SPEC, '--detailed-exitcode');
    log(`plan after apply: ${(plan.ms / 1000).toFixed(1)} s, exit ${plan.status}`);
    expectStatus(plan, 0);
    const noop = hactl('apply', '-f', SPEC, '--auto-approve', '--log-dir', join(work, 'noop-runs'));
    log(`no-op apply: ${(noop.ms / 1000).toFixed(1)} s, exit ${noop.status}`);
    expectStatus(noop, 0);
    expect(noop.stdout).toContain('Nothing to apply.');

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
