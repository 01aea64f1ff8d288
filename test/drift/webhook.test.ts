// The webhook against a real HTTP server on 127.0.0.1: what is posted, when, with which headers,
// and how failed deliveries are retried.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliverReport, driftEvent, IN_SYNC_DIGEST, notifyOnChange, readDriftState, redactUrl } from '../../src/drift/webhook.js';
import { noChanges, replaceAndDestroy, updates } from '../views/fixtures.js';
import { report } from './fixtures.js';

const SECRET = 's3cr3t-webhook-value';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  url: string;
}

let server: Server;
let base: string;
let received: Received[] = [];
/** Status codes to answer, in order; 200 once they run out. */
let answers: (number | { status: number; headers: Record<string, string> })[] = [];
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body, url: req.url ?? '' });
      const a = answers.shift() ?? 200;
      const { status, headers } = typeof a === 'number' ? { status: a, headers: {} } : a;
      res.writeHead(status, headers).end(status >= 400 ? 'nope' : 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  received = [];
  answers = [];
  dir = mkdtempSync(join(tmpdir(), 'hactl-drift-webhook-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fast = { backoffMs: 1, sleep: async () => undefined };

describe('deliverReport', () => {
  it('posts the JSON report with the event, the status and the secret header', async () => {
    const r = report(updates());
    const res = await deliverReport(r, {
      url: `${base}/hooks/drift?token=abc`,
      event: 'appeared',
      secretHeader: { name: 'X-Hactl-Webhook-Secret', value: SECRET },
      userAgent: 'hactl/0.1.0',
    });
    expect(res).toEqual({ ok: true, attempts: 1, status: 200 });
    expect(received).toHaveLength(1);
    const got = received[0]!;
    expect(got.url).toBe('/hooks/drift?token=abc');
    expect(JSON.parse(got.body)).toEqual(r);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-hactl-webhook-secret']).toBe(SECRET);
    expect(got.headers['x-hactl-drift-event']).toBe('appeared');
    expect(got.headers['x-hactl-drift-status']).toBe('drift');
    expect(got.headers['user-agent']).toBe('hactl/0.1.0');
  });

  it('retries after 500s with a doubling backoff, and says so without the secret or the URL path', async () => {
    answers = [500, 503];
    const waits: number[] = [];
    const logs: string[] = [];
    const res = await deliverReport(report(updates()), {
      url: `${base}/secret-path-token`,
      event: 'changed',
      secretHeader: { name: 'Authorization', value: SECRET },
      backoffMs: 5,
      sleep: async (ms) => void waits.push(ms),
      log: (m) => logs.push(m),
    });
    expect(res).toEqual({ ok: true, attempts: 3, status: 200 });
    expect(received).toHaveLength(3);
    expect(received.every((x) => x.headers.authorization === SECRET)).toBe(true);
    expect(waits).toEqual([5, 10]);
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatch(/^webhook: http:\/\/127\.0\.0\.1:\d+\/… answered 500; retrying in 0\.0 s \(attempt 2 of 5\)$/);
    expect(logs.join('\n')).not.toContain(SECRET);
    expect(logs.join('\n')).not.toContain('secret-path-token');
  });

  it('gives up after the retries, and does not retry what retrying cannot fix', async () => {
    answers = [500, 500, 500];
    const failed = await deliverReport(report(updates()), { url: base, event: 'appeared', retries: 2, ...fast });
    expect(failed).toMatchObject({ ok: false, attempts: 3, status: 500 });
    expect(received).toHaveLength(3);

    received = [];
    answers = [401];
    expect(await deliverReport(report(updates()), { url: base, event: 'appeared', ...fast })).toMatchObject({ ok: false, attempts: 1, status: 401 });
    expect(received).toHaveLength(1);
  });

  it('honours Retry-After on 429', async () => {
    answers = [{ status: 429, headers: { 'retry-after': '2' } }];
    const waits: number[] = [];
    const res = await deliverReport(report(updates()), { url: base, event: 'appeared', sleep: async (ms) => void waits.push(ms) });
    expect(res.ok).toBe(true);
    expect(waits).toEqual([2000]);
  });

  it('reports a server that cannot be reached, after retrying', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const res = await deliverReport(report(updates()), { url: `http://127.0.0.1:${port}/x`, event: 'appeared', retries: 1, ...fast });
    expect(res.ok).toBe(false);
    expect(res.attempts).toBe(2);
    expect(res.error).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/…: .*ECONNREFUSED`));
  });
});

describe('notifyOnChange', () => {
  it('posts when drift appears, not again while it stays the same, again when it changes and when it clears', async () => {
    const stateFile = join(dir, '.hactl', 'drift-state.json');
    const opts = { url: base, stateFile, secretHeader: { name: 'X-Hactl-Webhook-Secret', value: SECRET }, ...fast };

    expect(await notifyOnChange(report(noChanges()), opts)).toEqual({});
    expect(received).toHaveLength(0);

    const first = await notifyOnChange(report(updates()), opts);
    expect(first.event).toBe('appeared');
    expect(first.delivery?.ok).toBe(true);
    expect(received).toHaveLength(1);
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ stateVersion: 1, spec: 'cluster.yaml', driftDigest: report(updates()).driftDigest, status: 'drift' });
    expect(readFileSync(stateFile, 'utf8')).not.toContain(SECRET);

    // The same drift, found by a later one-shot run: nothing posted.
    expect(await notifyOnChange(report(updates()), opts)).toEqual({});
    expect(received).toHaveLength(1);

    expect((await notifyOnChange(report(replaceAndDestroy()), opts)).event).toBe('changed');
    expect((await notifyOnChange(report(noChanges()), opts)).event).toBe('cleared');
    expect(received.map((x) => x.headers['x-hactl-drift-event'])).toEqual(['appeared', 'changed', 'cleared']);
    expect(await notifyOnChange(report(noChanges()), opts)).toEqual({});
    expect(received).toHaveLength(3);
  });

  it('keeps the old state when a delivery fails, so the next run tries again', async () => {
    const stateFile = join(dir, 'state.json');
    answers = [500, 500];
    const failed = await notifyOnChange(report(updates()), { url: base, stateFile, retries: 1, ...fast });
    expect(failed.delivery?.ok).toBe(false);
    expect(existsSync(stateFile)).toBe(false);
    const retried = await notifyOnChange(report(updates()), { url: base, stateFile, ...fast });
    expect(retried).toMatchObject({ event: 'appeared', delivery: { ok: true } });
    expect(received).toHaveLength(3);
  });

  it('ignores the state of another spec and refuses a file that is not a state file', async () => {
    const stateFile = join(dir, 'state.json');
    writeFileSync(
      stateFile,
      JSON.stringify({ stateVersion: 1, spec: 'other.yaml', driftDigest: report(updates()).driftDigest, status: 'drift', deliveredAt: 'x' }),
    );
    expect(await readDriftState(stateFile, 'cluster.yaml')).toBeUndefined();
    expect((await notifyOnChange(report(updates()), { url: base, stateFile, ...fast })).event).toBe('appeared');
    writeFileSync(stateFile, '{"hello": 1}');
    await expect(readDriftState(stateFile, 'cluster.yaml')).rejects.toThrow(/not a drift state file/);
  });
});

describe('helpers', () => {
  it('driftEvent compares with "in sync" when there is no previous state', () => {
    expect(driftEvent(undefined, report(noChanges()))).toBeUndefined();
    expect(driftEvent(undefined, report(updates()))).toBe('appeared');
    expect(driftEvent(IN_SYNC_DIGEST, report(updates()))).toBe('appeared');
    expect(driftEvent(report(updates()).driftDigest, report(noChanges()))).toBe('cleared');
  });

  it('redactUrl keeps scheme and host only', () => {
    expect(redactUrl('https://hooks.slack.com/services/T000/B000/XXXX')).toBe('https://hooks.slack.com/…');
    expect(redactUrl('https://example.com/?token=abc')).toBe('https://example.com/…');
    expect(redactUrl('https://user:pw@example.com:8443/')).toBe('https://example.com:8443/');
    expect(redactUrl('not a url')).toBe('(invalid URL)');
  });
});
