// known_hosts: parsing (plain names, `[host]:port`, comma lists, wildcards and negations,
// hashed `|1|salt|hash` entries, @revoked and @cert-authority markers), verification of the raw
// host key blob ssh2 hands to `hostVerifier`, and trust-on-first-use appends (only when asked).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, readFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  marker?: 'revoked' | 'cert-authority';
  /** Patterns as written (hashed ones kept as `|1|...`). */
  patterns: string[];
  keyType: string;
  key: Buffer;
  line: number;
}

export type HostKeyVerdict =
  | { status: 'ok'; fingerprint: string }
  | { status: 'unknown'; fingerprint: string }
  | { status: 'mismatch'; fingerprint: string; expected: string[] }
  | { status: 'revoked'; fingerprint: string };

/** OpenSSH's `SHA256:` fingerprint (unpadded base64 of the SHA-256 of the key blob). */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of an SSH wire-format public key blob. */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len > blob.length - 4 || len > 64) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** The name known_hosts uses for a host: `addr` on port 22, `[addr]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue; // unknown marker: ignore the line, as OpenSSH does
    }
    const [hosts, keyType, keyB64] = fields;
    if (!hosts || !keyType || !keyB64) continue;
    const key = Buffer.from(keyB64, 'base64');
    // A key blob names its own type; a line whose blob disagrees is corrupt.
    if (keyTypeOfBlob(key) !== keyType) continue;
    entries.push({ marker, patterns: hosts.split(','), keyType, key, line: i + 1 });
  }
  return entries;
}

// Compiled once per pattern: every connection matches its host against every entry.
const globs = new Map<string, RegExp>();
function globToRegExp(glob: string): RegExp {
  let re = globs.get(glob);
  if (!re) {
    re = new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      'i',
    );
    globs.set(glob, re);
  }
  return re;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    const want = Buffer.from(hash, 'base64');
    return want.length === mac.length && timingSafeEqual(want, mac);
  }
  return globToRegExp(pattern).test(name);
}

/** OpenSSH semantics: some positive pattern matches and no negated (`!`) pattern does. */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  let positive = false;
  for (const p of entry.patterns) {
    if (p.startsWith('!')) {
      if (patternMatches(p.slice(1), name)) return false;
    } else if (patternMatches(p, name)) {
      positive = true;
    }
  }
  return positive;
}

export class KnownHosts {
  constructor(
    readonly file: string,
    readonly entries: KnownHostEntry[],
  ) {}

  static async load(file: string): Promise<KnownHosts> {
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new KnownHosts(file, parseKnownHosts(text));
  }

  private forHost(name: string): KnownHostEntry[] {
    return this.entries.filter((e) => e.marker !== 'cert-authority' && entryMatches(e, name));
  }

  /** Key types recorded for the host, so the connection can ask for those first (as OpenSSH does). */
  keyTypesFor(name: string): string[] {
    return [
      ...new Set(
        this.forHost(name)
          .filter((e) => e.marker === undefined)
          .map((e) => e.keyType),
      ),
    ];
  }

  verify(name: string, keyBlob: Buffer): HostKeyVerdict {
    const fp = fingerprint(keyBlob);
    const entries = this.forHost(name);
    if (entries.some((e) => e.marker === 'revoked' && e.key.equals(keyBlob))) return { status: 'revoked', fingerprint: fp };
    const plain = entries.filter((e) => e.marker === undefined);
    if (plain.some((e) => e.key.equals(keyBlob))) return { status: 'ok', fingerprint: fp };
    if (plain.length === 0) return { status: 'unknown', fingerprint: fp };
    return { status: 'mismatch', fingerprint: fp, expected: [...new Set(plain.map((e) => fingerprint(e.key)))] };
  }

  /** Record a key (trust on first use); callers do this only with --accept-new-host-keys. */
  async add(name: string, keyBlob: Buffer): Promise<void> {
    const keyType = keyTypeOfBlob(keyBlob);
    const line = `${name} ${keyType} ${keyBlob.toString('base64')}\n`;
    this.entries.push({ patterns: [name], keyType, key: Buffer.from(keyBlob), line: -1 });
    appendQueue = appendQueue.then(() => appendLine(this.file, line));
    await appendQueue;
  }
}

// Appends from concurrent connections go one at a time, so lines never interleave.
let appendQueue: Promise<void> = Promise.resolve();

async function appendLine(file: string, line: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  let prefix = '';
  try {
    const cur = await readFile(file);
    if (cur.length > 0 && cur[cur.length - 1] !== 0x0a) prefix = '\n';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await appendFile(file, prefix + line, { mode: 0o600 });
}

const ALGOS_BY_KEY_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

const DEFAULT_HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'];

/**
 * Host key algorithms to offer: those of keys already recorded first, so a host with several
 * keys presents the one known_hosts holds (a different one would look like a mismatch).
 */
export function hostKeyAlgorithms(knownTypes: string[]): string[] {
  const first = knownTypes.flatMap((t) => ALGOS_BY_KEY_TYPE[t] ?? []);
  return [...new Set([...first, ...DEFAULT_HOST_KEY_ALGOS])];
}
