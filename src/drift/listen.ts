// `hactl drift --every … --listen ADDR`: the flags and their checks, all before any host is
// touched. What is served lives in watch-views.ts and serve.ts, loaded only when --listen is given.

import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:9100`, `[::1]:9100`, `localhost:9100`, `0.0.0.0:9100`, or a bare port (localhost). */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text) ?? (/^\d{1,5}$/.test(text) ? [text, undefined, '127.0.0.1', text] : null);
  if (m === null) throw new Error(`--listen: "${text}" is not HOST:PORT (e.g. 127.0.0.1:9100, [::1]:9100, 0.0.0.0:9100)`);
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`--listen: port ${m[3]} is not from 1 to 65535`);
  if (m[1] !== undefined && isIP(host) !== 6) throw new Error(`--listen: "${host}" is not an IPv6 address`);
  if (m[1] === undefined && host !== 'localhost' && isIP(host) === 0)
    throw new Error(`--listen: "${host}" is not an IP address or localhost (a name could resolve to any interface)`);
  return { host, port };
}

/** Loopback only: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

export interface ListenAuth {
  basic?: { user: string; password: string };
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
}

/**
 * Refuses (throws) a non-loopback address that would answer without authentication: it needs a
 * password or a client CA. Returns the warnings to print (a password over plain HTTP).
 */
export function checkListenSecurity(address: ListenAddress, auth: ListenAuth): string[] {
  const authenticated = auth.basic !== undefined || auth.tls?.clientCa !== undefined;
  if (!isLoopback(address.host) && !authenticated) {
    throw new Error(
      `--listen ${address.host}:${address.port} is not a loopback address: it needs authentication, ` +
        'a password (--listen-password-env NAME) or client certificates (--tls-cert, --tls-key, --tls-client-ca)',
    );
  }
  if (!isLoopback(address.host) && auth.basic !== undefined && auth.tls === undefined) {
    return [`--listen ${address.host}:${address.port}: the password travels in clear text without --tls-cert and --tls-key`];
  }
  return [];
}

export const DEFAULT_LISTEN_USER = 'hactl';

export const listenFlags = {
  listen: Flags.string({
    description: 'with --every or --cron: serve /metrics (Prometheus), / (status page) and /healthz here; other than loopback only with authentication',
    helpValue: '<host:port>',
  }),
  'listen-user': Flags.string({ description: 'user name of basic authentication', default: DEFAULT_LISTEN_USER, helpValue: '<name>' }),
  'listen-password-env': Flags.string({
    description: 'environment variable holding the password of basic authentication',
    helpValue: '<NAME>',
    dependsOn: ['listen'],
  }),
  'tls-cert': Flags.string({ description: 'serve HTTPS with this certificate (PEM)', helpValue: '<file>', dependsOn: ['listen', 'tls-key'] }),
  'tls-key': Flags.string({ description: 'private key of --tls-cert (PEM)', helpValue: '<file>', dependsOn: ['tls-cert'] }),
  'tls-client-ca': Flags.string({ description: 'require client certificates signed by this CA (PEM)', helpValue: '<file>', dependsOn: ['tls-cert'] }),
  snapshots: Flags.string({
    description: "directory `hactl etcd snapshot --out` writes to: the newest snapshot's time is shown and exported",
    helpValue: '<dir>',
    dependsOn: ['listen'],
  }),
  history: Flags.integer({ description: 'runs listed on the status page', default: 20, min: 1, max: 1000 }),
};

export interface ListenFlags {
  listen?: string | undefined;
  'listen-user': string;
  'listen-password-env'?: string | undefined;
  'tls-cert'?: string | undefined;
  'tls-key'?: string | undefined;
  'tls-client-ca'?: string | undefined;
  snapshots?: string | undefined;
  history: number;
  every?: string | undefined;
  cron?: string | undefined;
}

export interface ListenSettings {
  address: ListenAddress;
  auth: ListenAuth;
  warnings: string[];
}

function readPem(flag: string, path: string): Buffer {
  try {
    const b = readFileSync(path);
    if (!b.toString('latin1').includes('-----BEGIN ')) throw new Error('not PEM');
    return b;
  } catch (e) {
    throw new Error(`--${flag}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

/** The flags checked and read; throws with the flag and the reason. Undefined without --listen. */
export function listenSettings(flags: ListenFlags, env: Readonly<Record<string, string | undefined>>): ListenSettings | undefined {
  if (flags.listen === undefined) return undefined;
  if (flags.every === undefined && flags.cron === undefined) throw new Error('--listen: serves a watch; add --every or --cron');
  const address = parseListen(flags.listen);
  const auth: ListenAuth = {};
  if (flags['listen-password-env'] !== undefined) {
    const name = flags['listen-password-env'];
    const password = env[name];
    if (password === undefined || password === '') throw new Error(`--listen-password-env: environment variable ${name} is not set`);
    if (flags['listen-user'] === '' || flags['listen-user'].includes(':'))
      throw new Error('--listen-user: a user name of basic authentication cannot be empty or contain ":"');
    auth.basic = { user: flags['listen-user'], password };
  }
  if (flags['tls-cert'] !== undefined) {
    if (flags['tls-key'] === undefined) throw new Error('--tls-cert: needs --tls-key');
    auth.tls = {
      cert: readPem('tls-cert', flags['tls-cert']),
      key: readPem('tls-key', flags['tls-key']),
      ...(flags['tls-client-ca'] !== undefined ? { clientCa: readPem('tls-client-ca', flags['tls-client-ca']) } : {}),
    };
  }
  const warnings = checkListenSecurity(address, auth);
  return { address, auth, warnings };
}
