// `hactl drift --listen` through the real oclif entry point, against a host that cannot be
// reached: the refusals (exit 1 before any host is touched), and a watch that serves what its
// checks found until SIGTERM. Against a real cluster and a real Prometheus: test/e2e/monitoring.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCli, type CliPackage } from '../e2e/support/cli.js';
import { closedPort } from '../transport/ssh-server.js';

let pkg: CliPackage;
let dir: string;
let spec: string;

beforeAll(async () => {
  pkg = compileCli(['drift'], 'hactl-drift-listen-');
  dir = mkdtempSync(join(tmpdir(), 'hactl-drift-listen-'));
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
}, 120_000);

afterAll(() => {
  pkg?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const oneLine = (s: string) => s.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ');

describe('hactl drift --listen', { timeout: 90_000 }, () => {
  it('refuses a non-loopback address without authentication, and a listen without a schedule, with exit 1', () => {
    const open = pkg.run(['drift', '-f', spec, '--every', '1h', '--listen', '0.0.0.0:9100']);
    expect(open.status).toBe(1);
    expect(oneLine(open.stderr)).toContain(
      '--listen 0.0.0.0:9100 is not a loopback address: it needs authentication, a password (--listen-password-env NAME) or client certificates',
    );
    const once = pkg.run(['drift', '-f', spec, '--listen', '127.0.0.1:9100']);
    expect(once.status).toBe(1);
    expect(oneLine(once.stderr)).toContain('--listen: serves a watch; add --every or --cron');
    const unset = pkg.run(['drift', '-f', spec, '--every', '1h', '--listen', '0.0.0.0:9100', '--listen-password-env', 'HACTL_TEST_UNSET_PASSWORD']);
    expect(unset.status).toBe(1);
    expect(oneLine(unset.stderr)).toContain('environment variable HACTL_TEST_UNSET_PASSWORD is not set');
  });

  it('serves the last check on /metrics, / and /healthz until SIGTERM', async () => {
    const port = await closedPort();
    const bg = pkg.start(['drift', '-f', spec, '-o', 'json', '--every', '1h', '--listen', `127.0.0.1:${port}`]);
    await bg.waitFor(/^\{.*\}\n/m, 60_000);
    const base = `http://127.0.0.1:${port}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('hactl_host_reachable{host="node1"} 0');
    expect(metrics).toContain('hactl_last_run_outcome{outcome="error"} 1');
    expect(metrics).toMatch(/^hactl_build_info\{version="[^"]+",node_version="v\d+/m);
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('<h1>hactl drift: gone</h1>');
    expect(page).toContain('node1');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const mermaid = await fetch(`${base}/assets/mermaid.min.js`);
    expect(mermaid.status).toBe(200);
    expect((await mermaid.text()).length).toBeGreaterThan(1_000_000);
    process.kill(bg.pid, 'SIGTERM');
    const r = await bg.done;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`serving http://127.0.0.1:${port}/metrics`);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
