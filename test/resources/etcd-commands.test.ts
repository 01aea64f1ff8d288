// The membership commands etcd@<host> runs, against a real etcd on this machine (loopback only,
// plain HTTP; the commands' etcdctl prefix is swapped for one that reaches it): member add, run
// twice, adds once; the added member starts with the initial cluster the plan writes; member
// remove, run twice, removes once.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ETCDCTL, parseEtcdFacts, ETCD_STATUS_MARKER } from '../../src/facts/etcd.js';
import { initialClusterOf, memberAddCommand, memberRemoveCommand } from '../../src/resources/etcd.js';

const hasEtcd = spawnSync('sh', ['-c', 'command -v etcd && command -v etcdctl']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'hactl-etcd-'));
const base = 30000 + Math.floor(Math.random() * 20000);
const peer = (i: number) => `http://127.0.0.1:${base + 10 + i}`;
const client = (i: number) => `http://127.0.0.1:${base + i}`;
const local = `etcdctl --endpoints=${client(1)} --dial-timeout=3s --command-timeout=5s`;
const here = (cmd: string) => cmd.split(ETCDCTL).join(local);
const procs: ChildProcess[] = [];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function etcd(i: number, state: 'new' | 'existing', cluster: string): void {
  const args = [
    `--name=m${i}`,
    `--data-dir=${join(dir, `m${i}`)}`,
    `--listen-peer-urls=${peer(i)}`,
    `--initial-advertise-peer-urls=${peer(i)}`,
    `--listen-client-urls=${client(i)}`,
    `--advertise-client-urls=${client(i)}`,
    `--initial-cluster=${cluster}`,
    `--initial-cluster-state=${state}`,
    '--initial-cluster-token=hactl-test',
  ];
  procs.push(spawn('etcd', args, { stdio: 'ignore' }));
}

function sh(cmd: string): { code: number | null; out: string } {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The members as the facts parser reads them. */
function members() {
  const r = sh(`${local} member list -w json && printf '\\n%s\\n' '${ETCD_STATUS_MARKER}'`);
  return parseEtcdFacts(r.out, 'm1').members;
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out: ${what}`);
    await sleep(500);
  }
}

afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasEtcd)('etcd membership commands against a real etcd', () => {
  it('member add once, the new member starts as planned, member remove once', async () => {
    etcd(1, 'new', `m1=${peer(1)}`);
    await until('m1 answers', () => sh(`${local} endpoint health`).code === 0);

    expect(sh(here(memberAddCommand('m2', peer(2), []))).code).toBe(0);
    expect(sh(here(memberAddCommand('m2', peer(2), []))).code).toBe(0);
    const added = members();
    expect(added.map((m) => [m.name, m.started, m.peerURLs])).toEqual(expect.arrayContaining([['', false, [peer(2)]]]));
    expect(added).toHaveLength(2);

    // The plan's initial cluster for m2: the current members plus itself, state existing.
    etcd(
      2,
      'existing',
      initialClusterOf([
        { name: 'm1', peerURLs: [peer(1)] },
        { name: 'm2', peerURLs: [peer(2)] },
      ]),
    );
    await until('m2 started', () => members().some((m) => m.name === 'm2' && m.started));

    const id = members().find((m) => m.name === 'm2')!.id;
    expect(sh(here(memberRemoveCommand(id, []))).code).toBe(0);
    expect(sh(here(memberRemoveCommand(id, []))).code).toBe(0);
    expect(members().map((m) => m.name)).toEqual(['m1']);
  }, 180_000);
});
