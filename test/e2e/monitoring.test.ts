// Drift you can alert on, end to end, on the shared converged ha-stacked cluster
// (support/cluster.ts): `hactl drift --every 10s --listen` watches the cluster, a real Prometheus
// (Debian's package, a child process on 127.0.0.1) scrapes it with the example alerting rules, a
// drift made by hand on a host shows up in Prometheus' query API within one check interval and
// fires its alert, and headless Chromium (Debian's package) renders the status page, graph
// included. The host is put back by hand and the metric seen to clear.
// Artifacts (screenshot, DOM, Prometheus' log): test-artifacts/monitoring/ (git-ignored).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../transport/ssh-server.js';
import { expectStatus, ROOT, type Background } from './support/cli.js';
import { convergedCluster, LAB_SPEC, specHosts, ssh, type Cluster } from './support/cluster.js';

const log = (m: string): void => console.error(`monitoring e2e: ${m}`);

/** hactl checks this often; Prometheus scrapes and evaluates every SCRAPE. */
const EVERY_SECONDS = 10;
const SCRAPE_SECONDS = 2;
const ARTIFACTS = join(ROOT, 'test-artifacts', 'monitoring');

/** The drift made by hand, what it drifts, and how it is put back (the spec wants 1). */
const DRIFT = { host: 'w1', change: 'sysctl -q -w net.ipv4.ip_forward=0', restore: 'sysctl -q -w net.ipv4.ip_forward=1', resource: 'os-prep@w1' };

let cluster: Cluster;
let dir: string;
let watch: Background | undefined;
let prometheus: ChildProcess | undefined;
let prometheusLog = '';
let hactlUrl: string;
let promUrl: string;

/** Prometheus' instant query: the result vector. */
async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (r.status !== 'success') throw new Error(`query ${expr}: ${JSON.stringify(r)}`);
  return r.data.result;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\nprometheus:\n${prometheusLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function chromium(args: string[]): string {
  const profile = mkdtempSync(join(dir, 'chromium-'));
  const r = spawnSync(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      // Time for mermaid to draw before the DOM or the picture is taken.
      '--virtual-time-budget=15000',
      ...args,
    ],
    { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`chromium ${args.join(' ')}: exit ${r.status} ${r.signal ?? ''}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

beforeAll(async () => {
  cluster = await convergedCluster(log, ['drift', 'etcd/snapshot']);
  dir = mkdtempSync(join(tmpdir(), 'hactl-monitoring-'));
  // A real snapshot, so that the watch can tell its age (--snapshots).
  const snap = cluster.hactl('etcd', 'snapshot', '-f', LAB_SPEC, '--out', join(dir, 'snapshots'));
  expectStatus(snap, 0);
  log(`etcd snapshot in ${(snap.ms / 1000).toFixed(1)} s`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const hactlPort = await closedPort();
  const promPort = await closedPort();
  hactlUrl = `http://127.0.0.1:${hactlPort}`;
  promUrl = `http://127.0.0.1:${promPort}`;

  // The example rules as they are, but for the drift alert: its `for: 30m` becomes 0s here so the
  // alert fires within the test. The rules as written are tested by `promtool test rules`
  // (test/drift/metrics.test.ts).
  const rules = readFileSync(join(ROOT, 'examples/monitoring/alerts.yml'), 'utf8');
  const shortened = rules.replace(/(- alert: HactlDriftPresent\n(?:(?!\n\s*- alert:)[\s\S])*?for: )30m/, '$10s');
  expect(shortened).not.toBe(rules);
  writeFileSync(join(dir, 'alerts.yml'), shortened);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      `  scrape_interval: ${SCRAPE_SECONDS}s`,
      `  evaluation_interval: ${SCRAPE_SECONDS}s`,
      'rule_files: [alerts.yml]',
      'scrape_configs:',
      '  - job_name: hactl-drift',
      `    static_configs: [{ targets: ['127.0.0.1:${hactlPort}'] }]`,
      '',
    ].join('\n'),
  );

  watch = cluster.cli.start([
    'drift',
    '-f',
    LAB_SPEC,
    '-o',
    'json',
    '--every',
    `${EVERY_SECONDS}s`,
    '--listen',
    `127.0.0.1:${hactlPort}`,
    '--snapshots',
    join(dir, 'snapshots'),
  ]);
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout!.on('data', (d: Buffer) => (prometheusLog += d.toString()));
  prometheus.stderr!.on('data', (d: Buffer) => (prometheusLog += d.toString()));
  log(`hactl drift pid ${watch.pid} on ${hactlUrl}, prometheus pid ${prometheus.pid} on ${promUrl}`);
}, 1_800_000);

afterAll(async () => {
  // The host as the spec wants it, whatever happened.
  if (cluster !== undefined) await ssh(DRIFT.host, DRIFT.restore).catch((e: Error) => log(`restoring ${DRIFT.host}: ${e.message}`));
  const stop = async (p: { pid?: number | undefined; exited: Promise<unknown> } | undefined) => {
    if (p?.pid === undefined) return;
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      return;
    }
    await Promise.race([p.exited, new Promise((r) => setTimeout(r, 15_000))]);
  };
  if (prometheus !== undefined) {
    const exited = prometheus.exitCode !== null ? Promise.resolve() : new Promise((r) => prometheus!.once('exit', r));
    await stop({ pid: prometheus.pid, exited });
  }
  if (watch !== undefined) await stop({ pid: watch.pid, exited: watch.done });
  if (dir !== undefined) writeFileSync(join(ARTIFACTS, 'prometheus.log'), prometheusLog);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  cluster?.remove();
}, 60_000);

describe('drift you can alert on', () => {
  it('Prometheus scrapes the converged cluster: in sync, every host reachable, etcd healthy, one VIP holder, lease holders', async () => {
    const started = Date.now();
    await until('a first in-sync check in Prometheus', 120_000, async () =>
      (await query('hactl_last_run_outcome{outcome="in-sync"} == 1')).length === 1 ? true : undefined,
    );
    log(`first check scraped ${((Date.now() - started) / 1000).toFixed(1)} s after start`);
    const hosts = specHosts();
    const reachable = await query('hactl_host_reachable == 1');
    expect(reachable.map((r) => r.metric.host).sort()).toEqual([...hosts].sort());
    expect(Number((await query('sum(hactl_resource_drifted)'))[0]!.value[1])).toBe(0);
    expect((await query('hactl_etcd_members_healthy'))[0]!.value[1]).toBe('3');
    expect((await query('hactl_etcd_members'))[0]!.value[1]).toBe('3');
    expect(await query('hactl_etcd_leader == 1')).toHaveLength(1);
    const vip = await query('hactl_vip_holder == 1');
    expect(vip.map((r) => r.metric.host)).toHaveLength(1);
    expect(['lb1', 'lb2']).toContain(vip[0]!.metric.host);
    const leases = await query('hactl_leader_lease_holder == 1');
    expect(leases.map((r) => r.metric.lease).sort()).toEqual(['kube-controller-manager', 'kube-scheduler']);
    const certs = await query('(hactl_certificate_expiry_timestamp_seconds - time()) / 86400 > 300');
    expect(certs.some((c) => c.metric.path === '/etc/kubernetes/pki/apiserver.crt' && c.metric.host === 'cp1')).toBe(true);
    const snapshotAge = Number((await query('time() - hactl_etcd_last_snapshot_timestamp_seconds'))[0]!.value[1]);
    expect(snapshotAge).toBeGreaterThan(0);
    expect(snapshotAge).toBeLessThan(600);
    const duration = Number((await query('hactl_last_run_duration_seconds'))[0]!.value[1]);
    log(`a check of the cluster takes ${duration.toFixed(1)} s`);
  }, 180_000);

  it('a drift made by hand shows up in the query API within one check interval, and its alert fires', async () => {
    const duration = Number((await query('hactl_last_run_duration_seconds'))[0]!.value[1]);
    await ssh(DRIFT.host, DRIFT.change);
    const changed = Date.now();
    const expr = `hactl_resource_drifted{resource="${DRIFT.resource}",kind="os-prep",host="${DRIFT.host}"} == 1`;
    await until(`${DRIFT.resource} drifted in Prometheus`, 60_000, async () => ((await query(expr)).length === 1 ? true : undefined));
    const seen = (Date.now() - changed) / 1000;
    log(
      `drift visible in Prometheus ${seen.toFixed(1)} s after the change (interval ${EVERY_SECONDS} s, a check ${duration.toFixed(1)} s, scrape ${SCRAPE_SECONDS} s)`,
    );
    // The next check starts within one interval, then takes its time, then the next scrape reads it.
    expect(seen).toBeLessThanOrEqual(EVERY_SECONDS + duration * 1.5 + SCRAPE_SECONDS + 2);
    expect((await query('sum(hactl_resource_drifted)'))[0]!.value[1]).toBe('1');

    const alert = await until('HactlDriftPresent firing', 30_000, async () => {
      const r = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      return r.data.alerts.find((a) => a.labels.alertname === 'HactlDriftPresent' && a.state === 'firing');
    });
    log(`HactlDriftPresent firing ${((Date.now() - changed) / 1000).toFixed(1)} s after the change`);
    expect(alert.labels).toMatchObject({ resource: DRIFT.resource, host: DRIFT.host, kind: 'os-prep', severity: 'warning' });
  }, 120_000);

  it('the status page reads without JavaScript, and Chromium draws its graph', async () => {
    const html = await (await fetch(`${hactlUrl}/`)).text();
    const text = html
      .replace(/<script[^>]*>[\s\S]*?<\/script>/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ');
    expect(text).toContain('hactl drift: lab-ha-stacked');
    expect(text).toMatch(/drift : Drift: 1 resource differs from the spec/);
    expect(text).toContain(`${DRIFT.resource} os-prep ${DRIFT.host} update`);
    expect(text).toMatch(/VIP 198\.18\.0\.100 \(keepalived-haproxy\): held by lb[12]/);
    expect(text).toMatch(/etcd: 3 members, 3 healthy/);
    expect(text).toContain('sysctl.net.ipv4.ip_forward');
    expect(text).toMatch(/lab-ha-stacked-\d{8}T\d{6}Z in .*: taken /);

    const started = Date.now();
    const dom = chromium(['--dump-dom', `${hactlUrl}/`]);
    writeFileSync(join(ARTIFACTS, 'status-page.dom.html'), dom);
    expect(dom).toContain('data-graph="rendered"');
    expect(dom).toMatch(/<svg[^>]+id="mermaid-/);
    // The drawn graph shows the resources by name.
    expect(dom).toMatch(/<span[^>]*class="nodeLabel"[^>]*>(?:<p>)?os-prep@w1/);
    // ... and marks the drifted one, and it alone.
    expect([...dom.matchAll(/<g class="node[^"]*\bdrifted\b[^"]*" id="[^"]*-flowchart-([A-Za-z0-9_]+)-\d+"/g)].map((m) => m[1])).toEqual(['os_prep_w1']);
    const png = join(ARTIFACTS, 'status-page.png');
    chromium(['--hide-scrollbars', '--window-size=1280,2400', `--screenshot=${png}`, `${hactlUrl}/`]);
    const bytes = readFileSync(png);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(50_000);
    log(`chromium: DOM and screenshot in ${((Date.now() - started) / 1000).toFixed(1)} s; ${png}`);
  }, 200_000);

  it('the host put back, the drift clears in Prometheus', async () => {
    await ssh(DRIFT.host, DRIFT.restore);
    const restored = Date.now();
    await until('no drift in Prometheus', 60_000, async () => ((await query('sum(hactl_resource_drifted) == 0')).length === 1 ? true : undefined));
    log(`drift cleared in Prometheus ${((Date.now() - restored) / 1000).toFixed(1)} s after the host was put back`);
    expect((await query('hactl_last_run_outcome{outcome="in-sync"} == 1')).length).toBe(1);
  }, 120_000);
});
