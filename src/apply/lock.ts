// The apply lock: one file on the first control-plane host (the first host when there is none) that
// says who is changing the cluster. Two operators, or one operator twice, never apply at once.
//
// - Created atomically: the JSON is written to a temp file and hard-linked to the lock path;
//   link(2) fails when the path exists, so exactly one creator wins and nobody ever reads half a lock.
// - Every other change (refresh, take-over of an expired lock, release, force-unlock) is a
//   compare-and-swap made under a mutex directory (`mkdir` is atomic): the lock is only rewritten
//   or removed when it still is the one the caller saw.
// - The holder rewrites the file every `refreshMs`; age is judged by the file's mtime on the lock
//   host's own clock, so clock skew between admin machines does not matter. A lock not refreshed
//   for `ttlMs` belonged to a holder that died, and may be taken over.

import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { shellQuote } from '../transport/quote.js';
import type { ExecOptions, ExecResult } from '../transport/transport.js';
import { sleep } from './duration.js';
import { sha256 } from '../resources/diff.js';

export const DEFAULT_LOCK_PATH = '/var/lib/hactl/apply.lock';
export const DEFAULT_REFRESH_MS = 10_000;
/** Three missed refreshes: the holder is gone. */
export const DEFAULT_TTL_MS = 3 * DEFAULT_REFRESH_MS;

export interface LockInfo {
  id: string;
  /** user@hostname of the admin machine. */
  holder: string;
  pid: number;
  operation: string;
  createdAt: string;
  refreshedAt: string;
}

/** A lock as found on the host. `info` is undefined when the file is not a lock hactl wrote. */
export interface ObservedLock {
  info?: LockInfo;
  raw: string;
  /** Seconds since the file was last written, by the lock host's clock. */
  ageSeconds: number;
}

/** Where the lock lives: any way to run a command on that host. */
export interface LockHost {
  readonly name: string;
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult>;
}

export class LockHeldError extends Error {
  constructor(
    readonly host: string,
    readonly path: string,
    readonly lock: ObservedLock,
    waitedMs: number,
  ) {
    const i = lock.info;
    const who = i
      ? `held by ${i.holder} (pid ${i.pid}, operation "${i.operation}") since ${i.createdAt}, refreshed ${lock.ageSeconds} s ago; lock ID ${i.id}`
      : `held, but its content is not a hactl lock (${JSON.stringify(lock.raw.slice(0, 120))}), written ${lock.ageSeconds} s ago`;
    const waited = waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)} s)` : '';
    super(
      `the apply lock ${path} on ${host} is ${who}${waited}. ` +
        `Wait for it with --lock-timeout, or if that holder is gone: hactl force-unlock -f <cluster.yaml> ${i?.id ?? '<ID>'}`,
    );
    this.name = 'LockHeldError';
  }
}

export class LockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockError';
  }
}

const ID_RE = /^[A-Za-z0-9-]{1,64}$/;

export function parseLockInfo(raw: string): LockInfo | undefined {
  try {
    // Read from a file another run wrote: any field may have any type.
    const v = JSON.parse(raw) as { [K in keyof LockInfo]?: unknown };
    if (typeof v.id !== 'string' || !ID_RE.test(v.id) || typeof v.holder !== 'string' || typeof v.operation !== 'string') return undefined;
    return {
      id: v.id,
      holder: v.holder,
      pid: typeof v.pid === 'number' ? v.pid : 0,
      operation: v.operation,
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only shown: whatever the file holds, as text
      createdAt: String(v.createdAt ?? ''),
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- as above
      refreshedAt: String(v.refreshedAt ?? ''),
    };
  } catch {
    return undefined;
  }
}

export function defaultHolder(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): the uid is still something
    user = String(process.getuid?.() ?? 'unknown');
  }
  return `${user}@${hostname()}`;
}

/** Scripts, each one remote command. Paths are quoted; ids are checked against ID_RE before use. */
function scripts(path: string) {
  const dir = path.replace(/\/[^/]*$/, '') || '/';
  const f = shellQuote(path);
  const m = shellQuote(`${path}.mutex`);
  const d = shellQuote(dir);
  // A process that dies inside the mutex leaves the directory behind; the mutex is only ever held
  // for a moment, so one older than 10 s is left over and removed.
  const mutex = [
    `mkdir -p -m 0755 ${d}`,
    'n=0',
    `while ! mkdir ${m} 2>/dev/null; do`,
    `  a=$(( $(date +%s) - $(stat -c %Y ${m} 2>/dev/null || date +%s) ))`,
    `  if [ "$a" -gt 10 ]; then rmdir ${m} 2>/dev/null; continue; fi`,
    '  n=$((n+1)); if [ "$n" -ge 100 ]; then echo busy; exit 0; fi',
    '  sleep 0.1',
    'done',
    `trap 'rmdir ${m}' EXIT`,
  ];
  const mismatch = `echo mismatch; if [ -e ${f} ]; then echo "present $(date +%s) $(stat -c %Y ${f})"; cat ${f}; fi; exit 0`;
  const replaceFromStdin = `t=${f}.new.$$; cat > "$t" && chmod 0644 "$t" && mv -f "$t" ${f} && echo ok`;
  return {
    // One read of the content, so a lock released between the test and the read reads as absent.
    read: `if m=$(stat -c %Y ${f} 2>/dev/null) && c=$(cat ${f} 2>/dev/null); then echo "present $(date +%s) $m"; printf '%s' "$c"; else echo absent; fi`,
    create: [
      `mkdir -p -m 0755 ${d}`,
      `t=${f}.new.$$`,
      'cat > "$t" && chmod 0644 "$t"',
      `if ln "$t" ${f} 2>/dev/null; then rm -f "$t"; echo created; else rm -f "$t"; echo exists; fi`,
    ].join('\n'),
    /** Replace the lock with stdin iff its content hashes to `sha` and it is older than `minAge` s. */
    takeOver: (sha: string, minAgeSeconds: number) =>
      [
        ...mutex,
        `if [ ! -e ${f} ] || [ "$(sha256sum < ${f} | cut -d' ' -f1)" != ${shellQuote(sha)} ]; then ${mismatch}; fi`,
        `if [ $(( $(date +%s) - $(stat -c %Y ${f}) )) -lt ${Math.floor(minAgeSeconds)} ]; then ${mismatch}; fi`,
        replaceFromStdin,
      ].join('\n'),
    /** Replace the lock with stdin iff it holds `id`. */
    refresh: (id: string) => [...mutex, `if [ ! -e ${f} ] || ! grep -qF ${shellQuote(`"id":"${id}"`)} ${f}; then ${mismatch}; fi`, replaceFromStdin].join('\n'),
    /** Remove the lock iff it holds `id`. */
    remove: (id: string) =>
      [...mutex, `if [ ! -e ${f} ] || ! grep -qF ${shellQuote(`"id":"${id}"`)} ${f}; then ${mismatch}; fi`, `rm -f ${f} && echo ok`].join('\n'),
  };
}

/** Parses `present <now> <mtime>\n<content>` / `absent`. */
function parseObserved(out: string): ObservedLock | undefined {
  const nl = out.indexOf('\n');
  const first = nl < 0 ? out : out.slice(0, nl);
  const m = /^present (\d+) (\d+)$/.exec(first.trim());
  if (!m) return undefined;
  const raw = nl < 0 ? '' : out.slice(nl + 1);
  const info = parseLockInfo(raw);
  return { ...(info ? { info } : {}), raw, ageSeconds: Math.max(0, Number(m[1]) - Number(m[2])) };
}

export interface LockOptions {
  path?: string;
  refreshMs?: number;
  ttlMs?: number;
  holder?: string;
  pid?: number;
  now?: () => Date;
}

export interface AcquireOptions {
  operation: string;
  /** 0: fail at once when held; otherwise poll until this long has passed. */
  timeoutMs?: number;
  pollMs?: number;
  /** The refresher found the lock gone or taken (force-unlocked): stop changing things. */
  onLost?: (reason: string) => void;
  /** A refresh failed for a reason that may pass (network); the lock is still ours. */
  onRefreshError?: (error: Error) => void;
  /** Called once per wait, while the lock is held by someone else. */
  onWait?: (lock: ObservedLock) => void;
  signal?: AbortSignal;
}

export class ApplyLock {
  readonly path: string;
  readonly refreshMs: number;
  readonly ttlMs: number;
  private readonly holder: string;
  private readonly pid: number;
  private readonly now: () => Date;
  private readonly s: ReturnType<typeof scripts>;

  constructor(
    readonly host: LockHost,
    opts: LockOptions = {},
  ) {
    this.path = opts.path ?? DEFAULT_LOCK_PATH;
    this.refreshMs = opts.refreshMs ?? DEFAULT_REFRESH_MS;
    this.ttlMs = opts.ttlMs ?? 3 * this.refreshMs;
    this.holder = opts.holder ?? defaultHolder();
    this.pid = opts.pid ?? process.pid;
    this.now = opts.now ?? (() => new Date());
    this.s = scripts(this.path);
  }

  private async run(script: string, stdin?: string): Promise<string> {
    const r = await this.host.exec(script, stdin !== undefined ? { stdin } : {});
    if (r.code !== 0) throw new LockError(`${this.host.name}: lock command failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
    return r.stdout;
  }

  /** The lock as it is now, or undefined when nobody holds it. */
  async read(): Promise<ObservedLock | undefined> {
    const out = await this.run(this.s.read);
    if (out.trim() === 'absent') return undefined;
    const o = parseObserved(out);
    if (!o) throw new LockError(`${this.host.name}: unexpected answer reading ${this.path}: ${out.slice(0, 200)}`);
    return o;
  }

  isExpired(lock: ObservedLock): boolean {
    return lock.ageSeconds * 1000 > this.ttlMs;
  }

  /**
   * Take the lock: create it, or take over one whose holder stopped refreshing it. Held by a live
   * holder: fail at once (timeout 0) or poll until the timeout, then throw LockHeldError.
   */
  async acquire(opts: AcquireOptions): Promise<HeldLock> {
    const started = Date.now();
    const timeoutMs = opts.timeoutMs ?? 0;
    const pollMs = opts.pollMs ?? 2000;
    const at = this.now().toISOString();
    const info: LockInfo = { id: randomUUID(), holder: this.holder, pid: this.pid, operation: opts.operation, createdAt: at, refreshedAt: at };
    for (;;) {
      const content = JSON.stringify(info);
      const created = (await this.run(this.s.create, content)).trim();
      if (created === 'created') return new HeldLock(this, info, opts);
      if (created !== 'exists') throw new LockError(`${this.host.name}: unexpected answer creating ${this.path}: ${created.slice(0, 200)}`);
      const current = await this.read();
      if (current === undefined) continue; // released in between: try again at once
      if (this.isExpired(current)) {
        const r = (await this.run(this.s.takeOver(sha256(current.raw), this.ttlMs / 1000), content)).trim();
        if (r === 'ok') return new HeldLock(this, info, opts);
        // Someone else took it over, or its holder came back: look again.
        continue;
      }
      const waited = Date.now() - started;
      if (waited >= timeoutMs || opts.signal?.aborted) throw new LockHeldError(this.host.name, this.path, current, waited);
      opts.onWait?.(current);
      await sleep(Math.min(pollMs, timeoutMs - waited), opts.signal);
    }
  }

  /** Rewrite the lock with `info` iff it still holds `info.id`. 'lost' when it does not. */
  async refresh(info: LockInfo): Promise<'ok' | 'lost' | 'busy'> {
    const r = (await this.run(this.s.refresh(info.id), JSON.stringify(info))).trim();
    if (r === 'ok') return 'ok';
    if (r === 'busy') return 'busy';
    return 'lost';
  }

  /** Remove the lock iff it holds `id`. False when it holds something else (or nothing). */
  async remove(id: string): Promise<{ removed: boolean; current?: ObservedLock }> {
    if (!ID_RE.test(id)) throw new LockError(`not a lock ID: ${JSON.stringify(id)}`);
    const out = await this.run(this.s.remove(id));
    if (out.trim() === 'ok') return { removed: true };
    if (out.trim() === 'busy') throw new LockError(`${this.host.name}: the lock's mutex stayed busy; try again`);
    const rest = out.slice(out.indexOf('\n') + 1);
    const current = parseObserved(rest);
    return { removed: false, ...(current ? { current } : {}) };
  }

  /** `hactl force-unlock ID`: remove the lock only if its ID is `id`. */
  async forceUnlock(id: string): Promise<LockInfo | undefined> {
    const before = await this.read();
    const r = await this.remove(id);
    if (r.removed) return before?.info;
    if (r.current === undefined) throw new LockError(`no apply lock is held on ${this.host.name} (${this.path})`);
    const holder = r.current.info
      ? `lock ID ${r.current.info.id}, held by ${r.current.info.holder} (operation "${r.current.info.operation}")`
      : "a lock that is not hactl's";
    throw new LockError(`the apply lock on ${this.host.name} is ${holder}, not ${id}: nothing removed`);
  }

  stamp(info: LockInfo): LockInfo {
    return { ...info, refreshedAt: this.now().toISOString() };
  }
}

/** A lock this process holds: refreshed in the background until released. */
export class HeldLock {
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private released = false;
  lost: string | undefined;

  constructor(
    private readonly lock: ApplyLock,
    public info: LockInfo,
    private readonly opts: Pick<AcquireOptions, 'onLost' | 'onRefreshError'>,
  ) {
    this.timer = setInterval(() => {
      if (this.refreshing === undefined) this.refreshing = this.refreshOnce().finally(() => (this.refreshing = undefined));
    }, lock.refreshMs);
  }

  get id(): string {
    return this.info.id;
  }

  get host(): string {
    return this.lock.host.name;
  }

  get path(): string {
    return this.lock.path;
  }

  async refreshOnce(): Promise<void> {
    if (this.released || this.lost !== undefined) return;
    const next = this.lock.stamp(this.info);
    try {
      const r = await this.lock.refresh(next);
      if (r === 'ok') this.info = next;
      else if (r === 'lost') {
        this.lost = `the apply lock on ${this.lock.host.name} is no longer ours (force-unlocked or taken over)`;
        this.stop();
        this.opts.onLost?.(this.lost);
      }
    } catch (e) {
      this.opts.onRefreshError?.(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Remove the lock if it is still ours. Safe to call more than once. */
  async release(): Promise<boolean> {
    if (this.released) return false;
    this.released = true;
    this.stop();
    await this.refreshing;
    if (this.lost !== undefined) return false;
    const r = await this.lock.remove(this.info.id);
    return r.removed;
  }
}
