// A command that exits with a status must still deliver all of its output to a pipe whose reader
// is slower than the writer (`hactl plan -o json | jq` on a plan with errors).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hactl-pipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Hosts on loopback addresses where nothing listens on port 1: each one refuses at once. */
function refusingSpec(count: number): string {
  const lines = ['apiVersion: hactl.io/v1alpha1', 'kind: Cluster', 'metadata:', '  name: pipe', 'profile: test', 'ssh:', '  port: 1', '  user: root'];
  lines.push(`  privateKeyFile: ${join(dir, 'id')}`, `  knownHostsFile: ${join(dir, 'known_hosts')}`, 'kubernetes:', '  podSubnet: 10.128.0.0/11', 'hosts:');
  for (let i = 0; i < count; i++)
    lines.push(`  - { name: h${i}, address: 127.1.${i >> 7}.${(i & 127) + 1}, roles: [${i === 0 ? 'control-plane' : 'worker'}] }`);
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, lines.join('\n') + '\n');
  writeFileSync(join(dir, 'id'), 'not a key\n');
  writeFileSync(join(dir, 'known_hosts'), '');
  return file;
}

describe.skipIf(!existsSync(join(root, 'dist/hactl.cjs')))('node bin/run.js (built CLI) piped to a slow reader', () => {
  it('delivers every byte of its output before exiting 1', () => {
    const hosts = 600;
    const cmd = [process.execPath, join(root, 'bin/run.js'), 'facts', '-f', refusingSpec(hosts), '-o', 'json', '--parallelism', String(hosts)];
    // The reader starts after a second: the pipe fills and the writer has to wait for it.
    const script = `${cmd.map((a) => `'${a}'`).join(' ')} | (sleep 1; cat); exit "\${PIPESTATUS[0]}"`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(r.stdout.length, r.stderr).toBeGreaterThan(64 * 1024);
    const parsed = JSON.parse(r.stdout) as { hosts: { reachable: boolean }[] };
    expect(parsed.hosts).toHaveLength(hosts);
    expect(parsed.hosts.every((h) => !h.reachable)).toBe(true);
    expect(r.status).toBe(1);
  }, 60_000);
});
