// The server of `hactl drift --listen`: addresses, the refusal of an unauthenticated non-loopback
// address, basic auth, TLS client certificates, the routes and their headers; and what the views
// read beside the plan (the newest snapshot, stacked etcd's members).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkListenSecurity, isLoopback, listenSettings, parseListen, type ListenFlags } from '../../src/drift/listen.js';
import { DriftMetrics } from '../../src/drift/metrics.js';
import { basicAuthOk, startDriftServer, type DriftServer } from '../../src/drift/serve.js';
import { gatherEtcdStacked, STACKED_ETCD_FACTS_COMMAND } from '../../src/facts/etcd-stacked.js';
import { latestSnapshot, runRecord } from '../../src/drift/status.js';
import type { HostFacts } from '../../src/facts/types.js';
import type { HostPool } from '../../src/transport/pool.js';
import { fixtureRun } from './run-fixture.js';

describe('--listen settings', () => {
  it('parses addresses; a bare port is localhost; names other than localhost are refused', () => {
    expect(parseListen('127.0.0.1:9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListen('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
    expect(parseListen('9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListen('0.0.0.0:9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(() => parseListen('monitoring.example:9100')).toThrow(/not an IP address or localhost/);
    expect(() => parseListen('127.0.0.1:99999')).toThrow(/port 99999 is not from 1 to 65535/);
    expect(() => parseListen('127.0.0.1')).toThrow(/is not HOST:PORT/);
    expect(isLoopback('127.0.0.5')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('198.18.0.1')).toBe(false);
  });

  it('refuses a non-loopback address without a password or client CA, and warns of a password in clear text', () => {
    expect(() => checkListenSecurity({ host: '0.0.0.0', port: 9100 }, {})).toThrow(/0\.0\.0\.0:9100 is not a loopback address: it needs authentication/);
    const tlsOnly = { tls: { cert: Buffer.from(''), key: Buffer.from('') } };
    expect(() => checkListenSecurity({ host: '198.18.0.1', port: 9100 }, tlsOnly)).toThrow(/needs authentication/);
    expect(checkListenSecurity({ host: '127.0.0.1', port: 9100 }, {})).toEqual([]);
    expect(checkListenSecurity({ host: '0.0.0.0', port: 9100 }, { basic: { user: 'hactl', password: 'x' } })[0]).toMatch(/clear text/);
  });

  it('reads the password from the environment and refuses what is missing', () => {
    const base: ListenFlags = { listen: '0.0.0.0:9100', 'listen-user': 'hactl', history: 20, every: '15m' };
    expect(() => listenSettings(base, {})).toThrow(/needs authentication/);
    expect(() => listenSettings({ ...base, every: undefined }, {})).toThrow(/add --every or --cron/);
    expect(() => listenSettings({ ...base, 'listen-password-env': 'PW' }, {})).toThrow(/environment variable PW is not set/);
    expect(listenSettings({ ...base, 'listen-password-env': 'PW' }, { PW: 's3cret' })?.auth.basic).toEqual({ user: 'hactl', password: 's3cret' });
    expect(() => listenSettings({ ...base, 'tls-cert': '/nonexistent.crt', 'tls-key': '/nonexistent.key' }, {})).toThrow(
      /--tls-cert: cannot read \/nonexistent\.crt: ENOENT/,
    );
    expect(listenSettings({ ...base, listen: undefined }, {})).toBeUndefined();
  });

  it('compares basic credentials whole', () => {
    const creds = { user: 'hactl', password: 'pa:ss' };
    const header = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    expect(basicAuthOk(header('hactl:pa:ss'), creds)).toBe(true);
    expect(basicAuthOk(header('hactl:pa:s'), creds)).toBe(false);
    expect(basicAuthOk(header('other:pa:ss'), creds)).toBe(false);
    expect(basicAuthOk(header('hactlpa:ss'), creds)).toBe(false);
    expect(basicAuthOk(undefined, creds)).toBe(false);
    expect(basicAuthOk('Bearer x', creds)).toBe(false);
  });
});

function viewsOf() {
  const metrics = new DriftMetrics({ version: '9.9.9', nodeVersion: 'v20' });
  const run = fixtureRun();
  metrics.recordRun(run);
  return { metrics, state: () => ({ run, history: [runRecord(run.report)] }), version: '9.9.9', schedule: 'every 15m', mermaid: Buffer.from('/* mermaid */') };
}

describe('drift server over HTTP with basic auth', () => {
  let server: DriftServer;
  const auth = { authorization: `Basic ${Buffer.from('hactl:pw-7').toString('base64')}` };
  beforeAll(async () => {
    server = await startDriftServer({ ...viewsOf(), address: { host: '127.0.0.1', port: 0 }, auth: { basic: { user: 'hactl', password: 'pw-7' } } });
  });
  afterAll(() => server.close());

  it('asks for credentials, and answers with them', async () => {
    const denied = await fetch(`${server.url}metrics`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await fetch(`${server.url}healthz`, { headers: { authorization: `Basic ${Buffer.from('hactl:wrong').toString('base64')}` } })).status).toBe(401);
    const ok = await fetch(`${server.url}healthz`, { headers: auth });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('ok\n');
  });

  it('serves /metrics in the format asked for, the page with a strict policy, its scripts, and nothing else', async () => {
    const text = await fetch(`${server.url}metrics`, { headers: auth });
    expect(text.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await text.text()).toContain('hactl_build_info{version="9.9.9",node_version="v20"} 1');
    const om = await fetch(`${server.url}metrics`, { headers: { ...auth, accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(om.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const page = await fetch(server.url, { headers: auth });
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'; script-src 'self'");
    expect(await page.text()).toContain('<h1>hactl drift: fixture</h1>');
    const mermaid = await fetch(`${server.url}assets/mermaid.min.js`, { headers: auth });
    expect(await mermaid.text()).toBe('/* mermaid */');
    const script = await fetch(`${server.url}assets/status-page.js`, { headers: auth });
    expect(await script.text()).toContain('mermaid.run(');
    expect((await fetch(`${server.url}other`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${server.url}metrics`, { method: 'POST', headers: auth })).status).toBe(405);
  });
});

describe('drift server over TLS with client certificates', () => {
  let dir: string;
  let server: DriftServer;
  const pem = (name: string) => readFileSync(join(dir, name));
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hactl-serve-tls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ext = join(dir, 'san.ext');
    writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\n');
    for (const ca of ['ca', 'other-ca'])
      openssl(
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${ca}.key`,
        '-out',
        `${ca}.crt`,
        '-subj',
        `/CN=${ca}`,
        '-days',
        '2',
      );
    for (const [name, ca] of [
      ['server', 'ca'],
      ['client', 'ca'],
      ['stranger', 'other-ca'],
    ] as const) {
      openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      openssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${ca}.crt`,
        '-CAkey',
        `${ca}.key`,
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        ...(name === 'server' ? ['-extfile', ext] : []),
      );
    }
    const settings = listenSettings(
      {
        listen: '127.0.0.1:1',
        'listen-user': 'hactl',
        history: 20,
        every: '15m',
        'tls-cert': join(dir, 'server.crt'),
        'tls-key': join(dir, 'server.key'),
        'tls-client-ca': join(dir, 'ca.crt'),
      },
      {},
    )!;
    server = await startDriftServer({ ...viewsOf(), address: { host: '127.0.0.1', port: 0 }, auth: settings.auth });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (client?: string) =>
    new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        `${server.url}healthz`,
        { ca: pem('ca.crt'), ...(client ? { cert: pem(`${client}.crt`), key: pem(`${client}.key`) } : {}) },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });

  it('answers a client with a certificate of the CA, and no other', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await get('client')).toBe(200);
    await expect(get()).rejects.toThrow();
    await expect(get('stranger')).rejects.toThrow();
  });

  it('accepts a client CA as the authentication of a non-loopback address', () => {
    expect(() =>
      checkListenSecurity({ host: '0.0.0.0', port: 9100 }, { tls: { cert: pem('server.crt'), key: pem('server.key'), clientCa: pem('ca.crt') } }),
    ).not.toThrow();
  });
});

describe('what the views read beside the plan', () => {
  it('finds the newest complete snapshot of the cluster, and says why it cannot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hactl-snapshots-'));
    try {
      const snap = (name: string, record?: object) => {
        mkdirSync(join(dir, name));
        if (record) writeFileSync(join(dir, name, 'snapshot.json'), JSON.stringify(record));
      };
      snap('lab-20261120T010000Z', { created: '2026-11-20T01:00:00.000Z', member: { host: 'cp1' }, etcd: { revision: 10 } });
      snap('lab-20261121T010000Z', { created: '2026-11-21T01:00:00.000Z', member: { host: 'cp2' }, etcd: { revision: 20 } });
      snap('lab-20261122T010000Z'); // incomplete: no snapshot.json
      snap('other-20261123T010000Z', { created: '2026-11-23T01:00:00.000Z', member: { host: 'x' }, etcd: { revision: 1 } });
      expect(await latestSnapshot(dir, 'lab')).toEqual({
        dir,
        latest: { name: 'lab-20261121T010000Z', created: '2026-11-21T01:00:00.000Z', member: 'cp2', revision: 20 },
      });
      expect(await latestSnapshot(dir, 'none')).toEqual({ dir });
      expect(await latestSnapshot(join(dir, 'missing'), 'lab')).toEqual({ dir: join(dir, 'missing'), unknown: `cannot read ${join(dir, 'missing')}: ENOENT` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks stacked etcd on the first control-plane host with the health-check certificate, read-only, and moves on when it fails', async () => {
    const withCert = { certificates: [{ path: '/etc/kubernetes/pki/etcd/healthcheck-client.crt' }] } as unknown as HostFacts;
    const facts = new Map<string, HostFacts>([
      ['cp1', { certificates: [] } as unknown as HostFacts],
      ['cp2', withCert],
      ['cp3', withCert],
    ]);
    const asked: string[] = [];
    const memberList = JSON.stringify({
      header: { cluster_id: 1, member_id: 2 },
      members: [{ ID: 2, name: 'cp3', peerURLs: ['https://10.0.0.13:2380'], clientURLs: ['https://10.0.0.13:2379'] }],
    });
    const pool = {
      observe: async (host: { name: string }, fn: (o: { observe: (x: { script: string; kind: string }) => Promise<unknown> }) => Promise<unknown>) =>
        fn({
          observe: async (x) => {
            expect(x.kind).toBe('observation');
            expect(x.script).toBe(STACKED_ETCD_FACTS_COMMAND);
            asked.push(host.name);
            return host.name === 'cp2'
              ? { code: 1, stdout: '', stderr: 'Error: context deadline exceeded' }
              : { code: 0, stdout: `${memberList}\n\n@@hactl:etcd-status\n\n@@hactl:etcd-health\n`, stderr: '' };
          },
        }),
    } as unknown as HostPool;
    const hosts = ['cp1', 'cp2', 'cp3'].map((name) => ({ name, address: name }) as never);
    const r = await gatherEtcdStacked(hosts, facts, pool);
    expect(asked).toEqual(['cp2', 'cp3']);
    expect(r).toMatchObject({ ok: true, facts: { observedFrom: 'cp3' } });
    expect(STACKED_ETCD_FACTS_COMMAND).toMatch(/--cert='?\/etc\/kubernetes\/pki\/etcd\/healthcheck-client\.crt/);
    expect(await gatherEtcdStacked(hosts, new Map(), pool)).toBeUndefined();
  });
});
