// `hactl drift` through the real oclif entry point, against a host that cannot be reached (a
// closed port on 127.0.0.1): exit codes, the JSON report, the webhook posted once, the schedule
// stopped by SIGTERM. Drift on real hosts is tested in the lab (test/e2e/drift.test.ts).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCli, type CliPackage } from '../e2e/support/cli.js';
import { closedPort } from '../transport/ssh-server.js';
import { driftReportProblems } from './schema.js';

let pkg: CliPackage;
let dir: string;
let spec: string;
let server: Server;
let hook: string;
const posts: { headers: IncomingHttpHeaders; body: string }[] = [];

const SECRET_ENV = 'HACTL_TEST_WEBHOOK_SECRET';

beforeAll(async () => {
  // The scratch package passes this process's environment on to hactl.
  process.env[SECRET_ENV] = 'the-secret-value-9f3';
  pkg = compileCli(['drift'], 'hactl-drift-cli-');
  dir = mkdtempSync(join(tmpdir(), 'hactl-drift-cmd-'));
  writeFileSync(join(dir, 'known_hosts'), '');
  spec = join(dir, 'cluster.yaml');
  writeFileSync(
    spec,
    [
      'apiVersion: hactl.io/v1alpha1',
      'kind: Cluster',
      'metadata: { name: gone }',
      'profile: test',
      `ssh: { user: root, port: ${await closedPort()}, knownHostsFile: ${join(dir, 'known_hosts')}, connectTimeoutSeconds: 2 }`,
      'hosts:',
      '  - { name: node1, address: 127.0.0.1, roles: [control-plane, worker] }',
      'loadBalancer: { type: none }',
      '',
    ].join('\n'),
  );
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      posts.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/token-in-path`;
}, 120_000);

afterAll(async () => {
  pkg?.remove();
  Reflect.deleteProperty(process.env, SECRET_ENV);
  rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((r) => server.close(() => r()));
});

describe('hactl drift (no reachable host)', { timeout: 90_000 }, () => {
  it('reports the host as unreachable in a valid JSON report and exits 1', async () => {
    const r = await pkg.start(['drift', '-f', spec, '-o', 'json']).done;
    expect(r.status, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { status: string; unreachableHosts: { name: string }[]; summary: { hostsUnreachable: number } };
    expect(driftReportProblems(report)).toEqual([]);
    expect(report.status).toBe('error');
    expect(report.unreachableHosts.map((h) => h.name)).toEqual(['node1']);
    const human = await pkg.start(['drift', '-f', spec]).done;
    expect(human.stdout).toMatch(/Host node1 \(127\.0\.0\.1\) is unreachable: /);
    expect(human.stdout).toContain('1 host was not checked (unreachable).');
    expect(human.status).toBe(1);
  });

  it('posts to the webhook when the state changes, with the secret header, and not on the next quiet run', async () => {
    const state = join(dir, 'state', 'drift.json');
    {
      const args = ['drift', '-f', spec, '-o', 'json', '--webhook', hook, '--webhook-secret-env', SECRET_ENV, '--state-file', state];
      const first = await pkg.start(args).done;
      expect(first.status, first.stderr).toBe(1);
      expect(posts).toHaveLength(1);
      expect(posts[0]!.headers['x-hactl-webhook-secret']).toBe('the-secret-value-9f3');
      expect(posts[0]!.headers['x-hactl-drift-event']).toBe('appeared');
      expect(JSON.parse(posts[0]!.body)).toMatchObject({ status: 'error', unreachableHosts: [{ name: 'node1' }] });
      expect(first.stderr).toMatch(/webhook: drift appeared; report delivered to http:\/\/127\.0\.0\.1:\d+\/…/);
      expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ stateVersion: 1, status: 'error' });

      const second = await pkg.start(args).done;
      expect(second.status).toBe(1);
      expect(posts).toHaveLength(1);
      for (const out of [first.stdout, first.stderr, second.stdout, second.stderr]) {
        expect(out).not.toContain('the-secret-value-9f3');
        expect(out).not.toContain('token-in-path');
      }
    }
  });

  it('refuses a secret variable that is not set, and usage errors, with exit 1 (2 means drift)', () => {
    const r = pkg.run(['drift', '-f', spec, '--webhook', hook, '--webhook-secret-env', 'HACTL_TEST_UNSET_VARIABLE']);
    expect(r.status).toBe(1);
    expect(r.stderr.replace(/\s*›\s*/g, ' ')).toContain('environment variable HACTL_TEST_UNSET_VARIABLE is not set');
    expect(pkg.run(['drift', '-f', spec, '--every', '5m', '--cron', '* * * * *']).status).toBe(1);
    expect(pkg.run(['drift', '-f', spec, '--cron', '* * *']).stderr.replace(/\s*›\s*/g, ' ')).toMatch(/--cron "\* \* \*": .*five fields/);
    expect(pkg.run(['drift', '-f', spec, '--no-such-flag']).status).toBe(1);
  });

  it('--every keeps checking, one run at a time, until SIGTERM, then exits 0', async () => {
    const bg = pkg.start(['drift', '-f', spec, '-o', 'json', '--every', '1s']);
    // JSON Lines while scheduled: one report per line.
    await bg.waitFor(/^\{.*\}\n\{.*\}\n/m, 60_000);
    process.kill(bg.pid, 'SIGTERM');
    const r = await bg.done;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('checking every 1s; SIGINT or SIGTERM stops');
    expect(r.stderr).toContain('SIGTERM: stopping after the check in progress, if any');
    const reports = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { startedAt: string; finishedAt: string });
    expect(reports.length).toBeGreaterThanOrEqual(2);
    // Never overlapping: each run starts after the previous one finished.
    for (let i = 1; i < reports.length; i++) expect(Date.parse(reports[i]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(reports[i - 1]!.finishedAt));
  });
});
