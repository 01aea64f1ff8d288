// Failures during a Kubernetes apply on the shared ha-stacked cluster. w2 is reset and its node
// deleted, so the apply has a join to do: sshd dies on w2 while it joins (w2 fails alone, the rest
// finishes, a re-run converges), and hactl is SIGKILLed while it joins (the lock stays, is
// force-released by its ID, and a re-run converges).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutSsh, startSshd } from '../lab/index.js';
import { expectStatus } from './support/cli.js';
import { ADMIN, convergedCluster, LAB_SPEC, ssh, type Cluster } from './support/cluster.js';

const log = (m: string): void => console.error(`cluster failure e2e: ${m}`);
const LOCK = '/var/lib/hactl/apply.lock';

let cluster: Cluster;

/** w2 out of the cluster, as before its first join. */
async function unjoinW2(): Promise<void> {
  await ssh('cp1', `${ADMIN} delete node w2 --ignore-not-found`);
  await ssh('w2', 'kubeadm reset -f >/dev/null');
}

beforeAll(async () => {
  cluster = await convergedCluster(log, ['force-unlock']);
}, 1_800_000);

afterAll(async () => {
  try {
    await startSshd('w2').catch(() => undefined);
    cluster?.converge();
  } finally {
    cluster?.remove();
  }
}, 1_200_000);

describe('failures during a cluster apply', () => {
  it('sshd dies on a worker while it joins: only that worker fails; a re-run converges', async () => {
    await unjoinW2();
    const a = cluster.cli.start(['apply', '-f', LAB_SPEC, '--auto-approve', '--log-dir', `${cluster.cli.dir}/runs`]);
    let r;
    try {
      await a.waitFor(/w2: join-worker@w2: started/);
      await cutSsh('w2');
      r = await a.done;
    } finally {
      await startSshd('w2');
    }
    log(`apply with w2 cut off: ${(r.ms / 1000).toFixed(1)} s, exit ${r.status}`);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('Apply failed.');
    const failed = r.stdout.slice(r.stdout.indexOf('Failed ('), r.stdout.indexOf('\n\n', r.stdout.indexOf('Failed (')));
    expect(failed).toMatch(/join-worker@w2: /);
    expect(failed).not.toMatch(/@(cp|w1|lb)/);

    const again = cluster.hactl('apply', '-f', LAB_SPEC, '--auto-approve');
    log(`re-run: ${(again.ms / 1000).toFixed(1)} s, exit ${again.status}`);
    expectStatus(again, 0);
    expectStatus(cluster.hactl('plan', '-f', LAB_SPEC, '--detailed-exitcode'), 0);
  }, 900_000);

  it('hactl SIGKILLed during a join: the lock stays, force-unlock releases it, a re-run converges', async () => {
    await unjoinW2();
    const a = cluster.cli.start(['apply', '-f', LAB_SPEC, '--auto-approve', '--log-dir', `${cluster.cli.dir}/runs`]);
    await a.waitFor(/w2: join-worker@w2: started/);
    process.kill(a.pid, 'SIGKILL');
    await a.done;
    const lock = JSON.parse(await ssh('cp1', `cat ${LOCK}`)) as { id: string; pid: number };
    expect(lock.pid).toBe(a.pid);

    const unlock = cluster.hactl('force-unlock', '-f', LAB_SPEC, lock.id);
    expectStatus(unlock, 0);
    expect(unlock.stdout).toContain(`Released the apply lock ${lock.id} on cp1`);

    const again = cluster.hactl('apply', '-f', LAB_SPEC, '--auto-approve');
    log(`re-run after SIGKILL: ${(again.ms / 1000).toFixed(1)} s, exit ${again.status}`);
    expectStatus(again, 0);
    expectStatus(cluster.hactl('plan', '-f', LAB_SPEC, '--detailed-exitcode'), 0);
    expect((await ssh('cp1', `test ! -e ${LOCK} && echo gone`)).trim()).toBe('gone');
  }, 900_000);
});
