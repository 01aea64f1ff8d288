// `hactl plan` on real lab hosts is read-only: after a full plan of the lab cluster, no file on any
// host has changed (content or metadata), and the plan did observe every host.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readLabState, sshExec, type LabState } from '../lab/index.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SPEC = join(ROOT, 'examples/lab/ha-stacked.yaml');

function lab(): LabState {
  // Earlier test files may have recreated the lab: read the current state, not the injected one.
  return readLabState() ?? inject('lab');
}

/** Paths changed since the marker (content, or metadata via ctime), outside pseudo and volatile filesystems. */
const CHANGED =
  'find / -xdev \\( -path /proc -o -path /sys -o -path /run -o -path /tmp -o -path /dev \\) -prune -o \\( -newer /run/hactl-marker -o -cnewer /run/hactl-marker \\) -print | sort';
/** journald records every SSH login, whoever logs in and whatever runs. */
const LOGIN_NOISE = /^\/var\/log\/journal(\/.*)?$/;

async function changedSince(host: string): Promise<string[]> {
  const r = await sshExec(host, CHANGED);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '' && !LOGIN_NOISE.test(l));
}

beforeAll(() => {
  // The suite builds before the lab tests; a run of this file alone builds here.
  if (!existsSync(join(ROOT, 'dist/hactl.cjs'))) {
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`build failed:\n${b.stdout}${b.stderr}`);
  }
}, 300_000);

describe('hactl plan on the lab', () => {
  it('observes every host and changes nothing on any of them', async () => {
    const hosts = lab().hosts.map((h) => h.name);
    expect(hosts.length).toBeGreaterThan(1);
    await Promise.all(hosts.map(async (h) => expect((await sshExec(h, 'touch /run/hactl-marker && sleep 1.1')).code).toBe(0)));
    const before = await Promise.all(hosts.map(changedSince));

    const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), 'plan', '-f', SPEC, '-o', 'json', '--detailed-exitcode'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 300_000,
    });
    // 0: nothing to change, 2: changes; 1 would be an error.
    expect([0, 2], r.stderr).toContain(r.status);
    const plan = JSON.parse(r.stdout) as { hosts: { name: string; factsDigest?: string; unreachable?: string }[] };
    for (const h of hosts) {
      const seen = plan.hosts.find((p) => p.name === h);
      expect(seen?.unreachable, `${h} unreachable`).toBeUndefined();
      expect(seen?.factsDigest, `${h} observed`).toMatch(/^[0-9a-f]{64}$/);
    }

    const after = await Promise.all(hosts.map(changedSince));
    expect(after).toEqual(before);
    // The check can see a change: one write made the same way is caught.
    await sshExec(hosts[0]!, 'touch /etc/hactl-canary && rm -f /etc/hactl-canary');
    expect(await changedSince(hosts[0]!)).toContain('/etc');
  });
});
