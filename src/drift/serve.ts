// The HTTP side of `hactl drift --listen`: `/metrics` (metrics.ts), `/` (the status page,
// src/views/status-page.ts), `/healthz`, and the page's two scripts. Localhost needs nothing more;
// any other address is refused unless every request must authenticate, with a password (basic
// auth, compared in constant time) or a client certificate signed by the given CA (TLS).

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ListenAddress, ListenAuth } from './listen.js';
import type { DriftMetrics } from './metrics.js';
import type { DriftRun, RunRecord } from './status.js';
import { renderStatusPage, STATUS_PAGE_ASSETS, STATUS_PAGE_SCRIPT } from './status-page.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Basic credentials, compared in constant time (digests of equal length, whatever was sent). */
export function basicAuthOk(header: string | undefined, expected: { user: string; password: string }): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  const sent = m !== null ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
  const colon = sent.indexOf(':');
  const user = colon >= 0 ? sent.slice(0, colon) : '';
  const password = colon >= 0 ? sent.slice(colon + 1) : '';
  const userOk = timingSafeEqual(digest(user), digest(expected.user));
  const passwordOk = timingSafeEqual(digest(password), digest(expected.password));
  return m !== null && colon >= 0 && userOk && passwordOk;
}

/** mermaid's browser build: the copy `npm run build` puts in dist/, else the installed package's. */
export function mermaidScript(): Buffer | undefined {
  const candidates = [
    () => fileURLToPath(new URL('../../dist/mermaid.min.js', import.meta.url)),
    () => createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js'),
  ];
  for (const path of candidates) {
    try {
      return readFileSync(path());
    } catch {
      continue;
    }
  }
  return undefined;
}

/** What the views show; the watch replaces it after every run. */
export interface ServedState {
  run?: DriftRun;
  history: RunRecord[];
}

export interface DriftServerOptions {
  address: ListenAddress;
  auth: ListenAuth;
  metrics: DriftMetrics;
  state: () => ServedState;
  version: string;
  schedule: string;
  /** mermaid's script; without it the page shows the graph as text. */
  mermaid?: Buffer;
}

const SECURITY_HEADERS: Record<string, string> = {
  // The page's scripts come from this server only; mermaid styles its SVG inline.
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export interface DriftServer {
  /** The address actually bound (port 0 picks one). */
  url: string;
  close(): Promise<void>;
}

export async function startDriftServer(opts: DriftServerOptions): Promise<DriftServer> {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res, opts).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(err as Error).message}\n`);
      else res.destroy();
    });
  };
  const tls = opts.auth.tls;
  const server: Server = tls
    ? createHttpsServer(
        {
          cert: tls.cert,
          key: tls.key,
          ...(tls.clientCa !== undefined ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          minVersion: 'TLSv1.2',
        },
        handler,
      )
    : createHttpServer(handler);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.address.port, opts.address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : opts.address.port;
  const host = isIP(opts.address.host) === 6 ? `[${opts.address.host}]` : opts.address.host;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, code: number, contentType: string, body: string | Buffer, extra: Record<string, string> = {}, headOnly = false): void {
  res.writeHead(code, { ...SECURITY_HEADERS, 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
  res.end(headOnly ? undefined : body);
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: DriftServerOptions): Promise<void> {
  if (opts.auth.basic !== undefined && !basicAuthOk(req.headers.authorization, opts.auth.basic)) {
    send(res, 401, 'text/plain; charset=utf-8', 'authentication required\n', { 'WWW-Authenticate': 'Basic realm="hactl drift", charset="UTF-8"' });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { Allow: 'GET, HEAD' });
    return;
  }
  const head = req.method === 'HEAD';
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  switch (path) {
    case '/metrics': {
      const m = await opts.metrics.expose(req.headers.accept);
      send(res, 200, m.contentType, m.body, {}, head);
      return;
    }
    case '/healthz':
      send(res, 200, 'text/plain; charset=utf-8', 'ok\n', {}, head);
      return;
    case '/': {
      const state = opts.state();
      const page = renderStatusPage({
        ...(state.run !== undefined ? { run: state.run } : {}),
        history: state.history,
        version: opts.version,
        schedule: opts.schedule,
      });
      send(res, 200, 'text/html; charset=utf-8', page, {}, head);
      return;
    }
    case STATUS_PAGE_ASSETS.script:
      send(res, 200, 'text/javascript; charset=utf-8', STATUS_PAGE_SCRIPT, {}, head);
      return;
    case STATUS_PAGE_ASSETS.mermaid:
      if (opts.mermaid === undefined) send(res, 404, 'text/plain; charset=utf-8', 'mermaid is not installed with this hactl\n', {}, head);
      else send(res, 200, 'text/javascript; charset=utf-8', opts.mermaid, { 'Cache-Control': 'max-age=3600' }, head);
      return;
    default:
      send(res, 404, 'text/plain; charset=utf-8', 'not found; try /, /metrics or /healthz\n', {}, head);
  }
}
