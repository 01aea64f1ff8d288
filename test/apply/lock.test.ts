// The apply lock's scripts run for real in a local shell on a temp directory: create, contend,
// wait, expire and take over, refresh, lose, release and force-unlock.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplyLock, LockError, LockHeldError, parseLockInfo } from '../../src/apply/lock.js';
import { localShell } from './fake.js';

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hactl-lock-'));
  path = join(dir, 'var/lib/hactl/apply.lock');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Make the lock file look `seconds` old (the holder stopped refreshing it). */
function age(seconds: number): void {
  const t = Math.floor(Date.now() / 1000) - seconds;
  execFileSync('touch', ['-d', `@${t}`, path]);
}

const lockFor = (holder: string, opts: { refreshMs?: number; ttlMs?: number } = {}) =>
  new ApplyLock(localShell(), {
    path,
    holder,
    pid: holder === 'alice@admin1' ? 111 : 222,
    refreshMs: opts.refreshMs ?? 60_000,
    ...(opts.ttlMs ? { ttlMs: opts.ttlMs } : {}),
  });

describe('the apply lock', () => {
  it('is created atomically with holder, operation and times inside, and released', async () => {
    const held = await lockFor('alice@admin1').acquire({ operation: 'apply -f cluster.yaml' });
    const info = parseLockInfo(readFileSync(path, 'utf8'))!;
    expect(info).toMatchObject({ id: held.id, holder: 'alice@admin1', pid: 111, operation: 'apply -f cluster.yaml' });
    expect(info.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(info.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(info.refreshedAt).toBe(info.createdAt);
    expect(statSync(path).mode & 0o777).toBe(0o644);
    // Nothing of the temp file is left beside it.
    expect(execFileSync('ls', ['-A', join(dir, 'var/lib/hactl')], { encoding: 'utf8' }).trim()).toBe('apply.lock');
    expect(await held.release()).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(await held.release()).toBe(false);
  });

  it('refuses a second holder at once, naming holder, operation, age and ID', async () => {
    const held = await lockFor('alice@admin1').acquire({ operation: 'apply plan.json' });
    const err = await lockFor('bob@admin2')
      .acquire({ operation: 'apply -f cluster.yaml', timeoutMs: 0 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    const msg = (err as Error).message;
    expect(msg).toContain('held by alice@admin1 (pid 111, operation "apply plan.json")');
    expect(msg).toContain(`lock ID ${held.id}`);
    expect(msg).toMatch(/refreshed \d+ s ago/);
    expect(msg).toContain(`hactl force-unlock -f <cluster.yaml> ${held.id}`);
    // The loser changed nothing.
    expect(parseLockInfo(readFileSync(path, 'utf8'))!.id).toBe(held.id);
    await held.release();
  });

  it('lets exactly one of many simultaneous applies win', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => lockFor(`user${i}@admin`).acquire({ operation: `apply ${i}` })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof LockHeldError)).toHaveLength(7);
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<ApplyLock['acquire']>>>).value;
    expect(parseLockInfo(readFileSync(path, 'utf8'))!.id).toBe(winner.id);
    await winner.release();
  });

  it('waits with a timeout and gets the lock once the holder releases it', async () => {
    const held = await lockFor('alice@admin1').acquire({ operation: 'apply a' });
    const waits: string[] = [];
    const started = Date.now();
    setTimeout(() => void held.release(), 400);
    const second = await lockFor('bob@admin2').acquire({ operation: 'apply b', timeoutMs: 10_000, pollMs: 100, onWait: (l) => waits.push(l.info!.holder) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(waits[0]).toBe('alice@admin1');
    expect(parseLockInfo(readFileSync(path, 'utf8'))).toMatchObject({ id: second.id, holder: 'bob@admin2' });
    await second.release();
  });

  it('gives up after the timeout when the holder keeps it', async () => {
    const held = await lockFor('alice@admin1').acquire({ operation: 'apply a' });
    const started = Date.now();
    const err = await lockFor('bob@admin2')
      .acquire({ operation: 'apply b', timeoutMs: 500, pollMs: 100 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect((err as Error).message).toMatch(/waited \d+ s/);
    await held.release();
  });

  it('takes over a lock whose holder stopped refreshing it, and only one contender does', async () => {
    const dead = await lockFor('alice@admin1', { ttlMs: 30_000 }).acquire({ operation: 'apply a' });
    await dead.release();
    // A holder that died: its lock is still there, last written a minute ago.
    writeFileSync(path, JSON.stringify({ id: 'dead-beef', holder: 'alice@admin1', pid: 111, operation: 'apply a', createdAt: 'x', refreshedAt: 'x' }));
    age(60);
    const results = await Promise.allSettled([1, 2, 3].map((i) => lockFor(`user${i}@admin`, { ttlMs: 30_000 }).acquire({ operation: `apply ${i}` })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const info = parseLockInfo(readFileSync(path, 'utf8'))!;
    expect(info.id).not.toBe('dead-beef');
    expect(info.id).toBe((won[0] as PromiseFulfilledResult<{ id: string }>).value.id);
    // The others see the new, fresh lock and are refused.
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockHeldError);
  });

  it('does not take over a lock younger than the TTL', async () => {
    const held = await lockFor('alice@admin1', { ttlMs: 30_000 }).acquire({ operation: 'apply a' });
    age(20);
    await expect(lockFor('bob@admin2', { ttlMs: 30_000 }).acquire({ operation: 'apply b' })).rejects.toBeInstanceOf(LockHeldError);
    await held.release();
  });

  it('is refreshed while held, which keeps it from expiring', async () => {
    const held = await lockFor('alice@admin1', { refreshMs: 150, ttlMs: 1000 }).acquire({ operation: 'apply a' });
    const first = parseLockInfo(readFileSync(path, 'utf8'))!;
    age(30);
    await new Promise((r) => setTimeout(r, 600));
    const later = parseLockInfo(readFileSync(path, 'utf8'))!;
    expect(later.id).toBe(first.id);
    expect(Date.parse(later.refreshedAt)).toBeGreaterThan(Date.parse(first.refreshedAt));
    expect(Math.floor(Date.now() / 1000) - Math.floor(statSync(path).mtimeMs / 1000)).toBeLessThanOrEqual(1);
    await expect(lockFor('bob@admin2', { ttlMs: 1000 }).acquire({ operation: 'apply b' })).rejects.toBeInstanceOf(LockHeldError);
    await held.release();
  });

  it('force-unlock removes the lock only for the right ID; the holder then learns it lost it', async () => {
    const lost: string[] = [];
    const held = await lockFor('alice@admin1', { refreshMs: 100 }).acquire({ operation: 'apply a', onLost: (m) => lost.push(m) });
    const admin = lockFor('bob@admin2');
    await expect(admin.forceUnlock('0000-not-it')).rejects.toThrow(new RegExp(`lock ID ${held.id}, held by alice@admin1.*not 0000-not-it: nothing removed`));
    expect(existsSync(path)).toBe(true);
    await expect(admin.forceUnlock('bad id; rm -rf /')).rejects.toBeInstanceOf(LockError);
    const was = await admin.forceUnlock(held.id);
    expect(was).toMatchObject({ holder: 'alice@admin1', operation: 'apply a' });
    expect(existsSync(path)).toBe(false);
    await expect(admin.forceUnlock(held.id)).rejects.toThrow(/no apply lock is held/);
    // Someone else takes it; the old holder's refresh must not overwrite it, nor its release remove it.
    const bob = await admin.acquire({ operation: 'apply b' });
    await new Promise((r) => setTimeout(r, 300));
    expect(lost[0]).toMatch(/no longer ours/);
    expect(await held.release()).toBe(false);
    expect(parseLockInfo(readFileSync(path, 'utf8'))!.id).toBe(bob.id);
    await bob.release();
  });
});
