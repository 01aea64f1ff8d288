// `--webhook URL`: the JSON report is posted when the drift state appears, changes or clears,
// never on a quiet run. The state is the report's drift digest, compared with the last one
// delivered, which is kept in a small state file so that one-shot runs (cron, CI) remember it.
// A delivery is retried with exponential backoff on network errors, timeouts, 408, 429 and 5xx;
// the digest is saved only once a delivery succeeded, so a failed one is tried again next run.
// The secret header's value comes from an environment variable and is never printed; nor is the
// URL's path or query, which often carry a token themselves.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DriftReport } from './report.js';
import { driftDigest } from './report.js';
import { maskSecrets, Sensitive } from '../transport/sensitive.js';

export const DEFAULT_STATE_FILE = '.hactl/drift-state.json';
export const DEFAULT_SECRET_HEADER = 'X-Hactl-Webhook-Secret';
export const STATE_VERSION = 1 as const;

/** The digest of "no drift, every host checked": a run without a previous state compares with it. */
export const IN_SYNC_DIGEST = driftDigest([], []);

export interface DriftState {
  stateVersion: typeof STATE_VERSION;
  spec: string;
  driftDigest: string;
  status: DriftReport['status'];
  deliveredAt: string;
}

export type DriftEvent = 'appeared' | 'changed' | 'cleared';

/** What changed since the last delivered state, or undefined when nothing did. */
export function driftEvent(previousDigest: string | undefined, report: DriftReport): DriftEvent | undefined {
  const before = previousDigest ?? IN_SYNC_DIGEST;
  if (before === report.driftDigest) return undefined;
  if (before === IN_SYNC_DIGEST) return 'appeared';
  return report.driftDigest === IN_SYNC_DIGEST ? 'cleared' : 'changed';
}

/** The last delivered state for `spec`; undefined when there is none (or it is for another spec). */
export async function readDriftState(path: string, spec: string): Promise<DriftState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const state = JSON.parse(text) as Partial<DriftState>;
  if (state.stateVersion !== STATE_VERSION || typeof state.driftDigest !== 'string') throw new Error(`${path}: not a drift state file of this hactl`);
  return state.spec === spec ? (state as DriftState) : undefined;
}

export async function writeDriftState(path: string, state: DriftState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // Written aside and renamed, so a crash never leaves half a state file.
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, path);
}

/** `https://hooks.example.com/…`: enough to say where, nothing that may be a credential. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' && u.search === '' ? '/' : '/…'}`;
  } catch {
    return '(invalid URL)';
  }
}

export interface DeliveryOptions {
  url: string;
  /** Header name and value; the value is a secret. */
  secretHeader?: { name: string; value: string };
  event: DriftEvent;
  /** Retries after the first attempt (default 4). */
  retries?: number;
  /** First backoff in ms, doubled each retry (default 1000). */
  backoffMs?: number;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Longest wait a `Retry-After` may ask for (default 60 s). */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
  userAgent?: string;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  /** Last HTTP status, when a response came. */
  status?: number;
  /** Why it failed, without the secret or the URL's path. */
  error?: string;
}

const RETRIABLE = (status: number): boolean => status === 408 || status === 429 || status >= 500;

function retryAfterMs(header: string | null, max: number): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, max) : undefined;
}

export async function deliverReport(report: DriftReport, opts: DeliveryOptions): Promise<DeliveryResult> {
  const retries = opts.retries ?? 4;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const where = redactUrl(opts.url);
  const secret = opts.secretHeader?.value;
  // A message from the network layer could echo a header back; never let the secret through.
  const clean = (s: string): string => (secret !== undefined && secret !== '' ? maskSecrets(s, { values: [new Sensitive(secret)] }) : s);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': opts.userAgent ?? 'hactl',
    'x-hactl-drift-event': opts.event,
    'x-hactl-drift-status': report.status,
  };
  if (opts.secretHeader !== undefined) headers[opts.secretHeader.name] = opts.secretHeader.value;
  const body = JSON.stringify(report);
  let last: DeliveryResult = { ok: false, attempts: 0 };
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    let wait: number | undefined;
    try {
      const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
      const res = await fetch(opts.url, { method: 'POST', headers, body, signal, redirect: 'error' });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: attempt, status: res.status };
      last = { ok: false, attempts: attempt, status: res.status, error: `${where} answered ${res.status}` };
      if (!RETRIABLE(res.status)) return last;
      wait = retryAfterMs(res.headers.get('retry-after'), opts.maxRetryAfterMs ?? 60_000);
    } catch (e) {
      const err = e as Error & { cause?: Error };
      const why = err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (err.cause?.message ?? err.message);
      last = { ok: false, attempts: attempt, error: clean(`${where}: ${why}`) };
    }
    if (attempt > retries || opts.signal?.aborted) break;
    const delay = wait ?? (opts.backoffMs ?? 1_000) * 2 ** (attempt - 1);
    opts.log?.(`webhook: ${last.error}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${retries + 1})`);
    await sleep(delay);
  }
  return last;
}

/**
 * Post the report when its drift state differs from the last delivered one, and remember it.
 * Returns what happened, for the command to say.
 */
export async function notifyOnChange(
  report: DriftReport,
  opts: Omit<DeliveryOptions, 'event'> & { stateFile: string; now?: () => Date },
): Promise<{ event?: DriftEvent; delivery?: DeliveryResult }> {
  const previous = await readDriftState(opts.stateFile, report.spec.file);
  const event = driftEvent(previous?.driftDigest, report);
  if (event === undefined) return {};
  const delivery = await deliverReport(report, { ...opts, event });
  if (delivery.ok) {
    await writeDriftState(opts.stateFile, {
      stateVersion: STATE_VERSION,
      spec: report.spec.file,
      driftDigest: report.driftDigest,
      status: report.status,
      deliveredAt: (opts.now?.() ?? new Date()).toISOString(),
    });
  }
  return { event, delivery };
}
