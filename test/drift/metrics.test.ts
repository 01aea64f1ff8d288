// The metrics of `hactl drift --listen`, from one fixture run: the series and their values,
// promtool's lint, OpenMetrics on request, a failed check, no secret anywhere, and the examples
// (alerting rules, dashboard) naming only metrics that exist.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DriftMetrics } from '../../src/drift/metrics.js';
import { ROOT } from '../e2e/support/cli.js';
import { promtool, RUN_PROMTOOL } from './promtool.js';
import { fixtureRun, HOSTILE_PATH, SECRETS } from './run-fixture.js';

const BUILD = { version: '9.9.9', nodeVersion: 'v20.0.0' };

async function exposition(accept?: string) {
  const m = new DriftMetrics(BUILD);
  m.recordRun(fixtureRun());
  return m.expose(accept);
}

/** `name{labels} value` lines, without comments. */
const samples = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

describe('drift metrics', () => {
  it('exports drift per resource, reachability, certificates, etcd, the snapshot, VIP, leases, the run and the build', async () => {
    const { contentType, body } = await exposition();
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = samples(body);
    for (const l of [
      'hactl_build_info{version="9.9.9",node_version="v20.0.0"} 1',
      'hactl_resource_drifted{resource="containerd@cp1",kind="containerd",host="cp1"} 1',
      'hactl_host_reachable{host="cp1"} 1',
      'hactl_host_reachable{host="worker1"} 0',
      'hactl_certificate_expiry_timestamp_seconds{host="cp1",path="/etc/kubernetes/pki/apiserver.crt"} 1826870400',
      'hactl_etcd_membership_known{cluster="fixture"} 1',
      'hactl_etcd_members{cluster="fixture"} 3',
      'hactl_etcd_members_healthy{cluster="fixture"} 2',
      'hactl_etcd_member_healthy{member="cp3<b>",id="a3"} 0',
      'hactl_etcd_leader{member="cp1",id="a1"} 1',
      'hactl_etcd_last_snapshot_timestamp_seconds{cluster="fixture"} 1795248000',
      'hactl_vip_holder{address="10.0.0.10",host="lb1"} 1',
      'hactl_vip_holder{address="10.0.0.10",host="lb2"} 0',
      'hactl_leader_lease_holder{lease="kube-scheduler",host="cp2"} 1',
      'hactl_leader_lease_holder{lease="kube-controller-manager",host="cp1"} 1',
      'hactl_last_run_duration_seconds 3.25',
      'hactl_last_run_timestamp_seconds 1795334403.25',
      'hactl_last_run_outcome{outcome="drift"} 1',
      'hactl_last_run_outcome{outcome="in-sync"} 0',
      'hactl_runs_total{outcome="drift"} 1',
    ])
      expect(lines).toContain(l);
    // The unreachable host's resources were not checked: no series says they are in sync.
    expect(lines.filter((l) => l.includes('host="worker1"') && l.startsWith('hactl_resource_drifted'))).toEqual([]);
    // A certificate whose expiry could not be read has no series (a 0 would be "expired in 1970").
    expect(body).not.toContain('broken.crt');
    expect(body).toContain(HOSTILE_PATH);
  });

  it.runIf(RUN_PROMTOOL)('passes promtool check metrics (names, units, help, types)', async () => {
    const { body } = await exposition();
    const r = promtool(['check', 'metrics'], body);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('speaks OpenMetrics when the Accept header asks for it', async () => {
    const { contentType, body } = await exposition('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5');
    expect(contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(body.trimEnd().endsWith('# EOF')).toBe(true);
    expect(body).toContain('# TYPE hactl_runs counter');
    expect(body).toContain('hactl_runs_total{outcome="drift"} 1');
  });

  it('keeps the last observations after a failed check, and says it failed', async () => {
    const m = new DriftMetrics(BUILD);
    m.recordRun(fixtureRun());
    m.recordFailure(1.5, new Date('2026-11-22T09:00:00Z'));
    const lines = samples((await m.expose(undefined)).body);
    expect(lines).toContain('hactl_last_run_outcome{outcome="failed"} 1');
    expect(lines).toContain('hactl_last_run_outcome{outcome="drift"} 0');
    expect(lines).toContain('hactl_runs_total{outcome="failed"} 1');
    expect(lines).toContain('hactl_last_run_timestamp_seconds 1795338000');
    expect(lines).toContain('hactl_host_reachable{host="worker1"} 0');
  });

  it('exports only the build and the run counters before the first check ends', async () => {
    const names = new Set(samples((await new DriftMetrics(BUILD).expose(undefined)).body).map((l) => /^[a-z_]+/.exec(l)![0]));
    expect([...names]).toEqual(['hactl_build_info', 'hactl_runs_total']);
  });

  it('drops the series of a run that no longer has them (a host back, a certificate gone)', async () => {
    const m = new DriftMetrics(BUILD);
    const run = fixtureRun();
    m.recordRun(run);
    m.recordRun({ ...run, status: { ...run.status, certificates: [], hosts: run.status.hosts.map((h) => ({ ...h, reachable: true })) } });
    const body = (await m.expose(undefined)).body;
    expect(body).not.toContain('hactl_certificate_expiry_timestamp_seconds{');
    expect(body).toContain('hactl_host_reachable{host="worker1"} 1');
    expect(body).toContain('hactl_runs_total{outcome="drift"} 2');
  });

  it('leaves out what it cannot know: no etcd counts when no member answered, no snapshot without a directory', async () => {
    const m = new DriftMetrics(BUILD);
    const run = fixtureRun();
    const { snapshot: _, ...status } = run.status;
    m.recordRun({ ...run, status: { ...status, etcd: { members: [], unknown: 'no etcd member answered' } } });
    const lines = samples((await m.expose(undefined)).body);
    expect(lines).toContain('hactl_etcd_membership_known{cluster="fixture"} 0');
    expect(lines.some((l) => /^hactl_etcd_members(_healthy)?\{/.test(l))).toBe(false);
    expect(lines.some((l) => l.startsWith('hactl_etcd_last_snapshot'))).toBe(false);
  });

  it('carries no secret of the spec', async () => {
    for (const accept of [undefined, 'application/openmetrics-text']) {
      const { body } = await exposition(accept);
      for (const s of SECRETS) expect(body).not.toContain(s);
    }
  });

  it('has every metric the example alerting rules and dashboard use', async () => {
    const { body } = await exposition();
    const exported = new Set(samples(body).map((l) => /^[a-z_:]+/.exec(l)![0]));
    for (const file of ['examples/monitoring/alerts.yml', 'examples/monitoring/grafana-dashboard.json']) {
      const used = new Set(readFileSync(`${ROOT}${file}`, 'utf8').match(/\bhactl_[a-z_]+/g));
      expect(used.size, file).toBeGreaterThan(3);
      expect(
        [...used].filter((n) => !exported.has(n)),
        file,
      ).toEqual([]);
    }
  });
});

describe('example alerting rules', () => {
  it.runIf(RUN_PROMTOOL)('pass promtool check rules and their unit tests (promtool test rules)', () => {
    const dir = `${ROOT}examples/monitoring`;
    const check = promtool(['check', 'rules', 'alerts.yml'], undefined, dir);
    expect(check.status, check.output).toBe(0);
    const test = promtool(['test', 'rules', 'alerts.test.yml'], undefined, dir);
    expect(test.status, test.output).toBe(0);
    expect(test.output).toContain('SUCCESS');
    const config = promtool(['check', 'config', 'prometheus.yml'], undefined, dir);
    expect(config.status, config.output).toBe(0);
  });
});
