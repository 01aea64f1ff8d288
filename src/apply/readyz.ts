// The control-plane gate: after a control-plane join or a restart of a control-plane or etcd
// member, wait until the apiserver answers /readyz through the control-plane endpoint before the
// next member may go. The probe runs on the cluster host (curl, or kubectl, over SSH), because the
// admin machine may have no route to the VIP.

import { shellQuote } from '../transport/quote.js';
import type { ExecOptions, ExecResult } from '../transport/transport.js';
import { sleep } from './duration.js';

export interface ReadyzTarget {
  /** The endpoint every node uses: the VIP or DNS name, and its port. */
  host: string;
  port: number;
}

export interface ReadyzOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Per-request limit, in seconds (curl --max-time). */
  requestSeconds?: number;
  signal?: AbortSignal;
}

export class NotReadyError extends Error {
  constructor(
    readonly url: string,
    readonly last: string,
    readonly waitedMs: number,
  ) {
    super(`the apiserver did not become ready at ${url} within ${Math.round(waitedMs / 1000)} s (last answer: ${last})`);
    this.name = 'NotReadyError';
  }
}

export function readyzUrl(t: ReadyzTarget): string {
  const h = t.host.includes(':') && !t.host.startsWith('[') ? `[${t.host}]` : t.host;
  return `https://${h}:${t.port}/readyz`;
}

/**
 * The command run on the probing host: prints the body, then the HTTP status on a line of its own.
 * curl where the host has it; otherwise kubectl (installed on every control-plane host) with
 * admin.conf's credentials, pointed at the endpoint (`--server`), which answers the same.
 */
export function readyzCommand(t: ReadyzTarget, requestSeconds = 5): string {
  const secs = Math.max(1, Math.floor(requestSeconds));
  const url = readyzUrl(t);
  const server = url.slice(0, -'/readyz'.length);
  const curl = `curl -sk --max-time ${secs} -w '\\n%{http_code}' ${shellQuote(url)}`;
  const kubectl = `b=$(kubectl --kubeconfig /etc/kubernetes/admin.conf --server ${shellQuote(server)} --request-timeout=${secs}s get --raw /readyz) || exit; printf '%s\\n200' "$b"`;
  return `if command -v curl >/dev/null 2>&1; then ${curl}; else ${kubectl}; fi`;
}

/** 'ready', or what was answered instead. */
export function judgeReadyz(r: ExecResult): { ready: true } | { ready: false; answer: string } {
  const lines = r.stdout.replace(/\n$/, '').split('\n');
  const status = lines.pop() ?? '';
  const body = lines.join('\n').trim();
  if (r.code === 0 && status === '200' && body === 'ok') return { ready: true };
  if (r.code !== 0) return { ready: false, answer: `the probe exited ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim().slice(0, 200)}` : ''}` };
  return { ready: false, answer: `HTTP ${status}${body ? `: ${body.split('\n').slice(-3).join(' | ').slice(0, 200)}` : ''}` };
}

/** Poll /readyz from `via` until it answers 200 "ok"; throws NotReadyError at the timeout. */
export async function waitForReadyz(
  via: { exec(cmd: string, opts?: ExecOptions): Promise<ExecResult> },
  target: ReadyzTarget,
  opts: ReadyzOptions = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const intervalMs = opts.intervalMs ?? 2000;
  const requestSeconds = opts.requestSeconds ?? 5;
  const started = Date.now();
  const cmd = readyzCommand(target, requestSeconds);
  let last = 'no answer yet';
  for (;;) {
    if (opts.signal?.aborted) throw new Error(`stopped while waiting for ${readyzUrl(target)} (last answer: ${last})`);
    try {
      const r = await via.exec(cmd, { timeoutMs: (requestSeconds + 5) * 1000 });
      const v = judgeReadyz(r);
      if (v.ready) return;
      last = v.answer;
    } catch (e) {
      last = (e as Error).message;
    }
    const waited = Date.now() - started;
    if (waited >= timeoutMs) throw new NotReadyError(readyzUrl(target), last, waited);
    await sleep(Math.min(intervalMs, timeoutMs - waited), opts.signal);
  }
}
