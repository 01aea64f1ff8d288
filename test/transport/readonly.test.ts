import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostPool } from '../../src/transport/pool.js';
import { ReadOnlyTransport } from '../../src/transport/readonly.js';
import { ReadOnlyViolationError, observation, type ExecResult, type Observation, type Transport } from '../../src/transport/transport.js';
import type { HostTarget } from '../../src/transport/ssh.js';
import { Sensitive } from '../../src/transport/sensitive.js';

/** A transport that records what reaches it, to prove what the wrapper lets through. */
class Recorder implements Transport {
  readonly readOnly = false;
  calls: string[] = [];
  isOpen = true;
  constructor(readonly host: string) {}
  async exec(cmd: string): Promise<ExecResult> {
    this.calls.push(`exec ${cmd}`);
    return { code: 0, stdout: '', stderr: '', durationMs: 0 };
  }
  async observe(o: Observation): Promise<ExecResult> {
    this.calls.push(`observe ${o.name}`);
    return { code: 0, stdout: 'seen', stderr: '', durationMs: 0 };
  }
  async readFile(p: string): Promise<Buffer | undefined> {
    this.calls.push(`read ${p}`);
    return Buffer.from('x');
  }
  async writeFile(p: string): Promise<void> {
    this.calls.push(`write ${p}`);
  }
  async upload(l: string, r: string): Promise<void> {
    this.calls.push(`upload ${l} ${r}`);
  }
  async close(): Promise<void> {
    this.isOpen = false;
  }
}

const host = (name: string): HostTarget => ({
  name,
  address: '198.18.0.99',
  ssh: { user: 'root', port: 22, knownHostsFile: '/dev/null', sudo: false, connectTimeoutSeconds: 1 },
});

describe('read-only transport', () => {
  it('lets observations and reads through, refuses everything else before it reaches the host', async () => {
    const inner = new Recorder('h');
    const ro = new ReadOnlyTransport(inner);
    await expect(ro.exec('rm -rf /', { secrets: [new Sensitive('rf')] })).rejects.toThrow(ReadOnlyViolationError);
    await expect(ro.writeFile('/etc/hosts', 'x', { mode: 0o644 })).rejects.toThrow(/refused writeFile \/etc\/hosts/);
    await expect(ro.upload('/a', '/b', 0o755)).rejects.toThrow(ReadOnlyViolationError);
    // A hand-made object is not an observation; observation() freezes what it makes.
    await expect(ro.observe({ kind: 'observation', name: 'x', script: 'touch /x' })).rejects.toThrow(ReadOnlyViolationError);
    expect((await ro.observe(observation('probe', 'cat /etc/os-release'))).stdout).toBe('seen');
    expect((await ro.readFile('/etc/hosts'))?.toString()).toBe('x');
    expect(inner.calls).toEqual(['observe probe', 'read /etc/hosts']);
    // No property leads back to the writable transport.
    expect(Object.values(ro)).not.toContain(inner);
    expect(JSON.stringify(Object.getOwnPropertyNames(ro))).not.toContain('inner');
  });

  it('a read-only pool never hands out a writable transport', async () => {
    const made: Recorder[] = [];
    const pool = new HostPool({
      readOnly: true,
      connect: async (t) => {
        const r = new Recorder(t.name);
        made.push(r);
        return r;
      },
    });
    await pool.run(host('a'), async (t) => {
      expect(t).toBeInstanceOf(ReadOnlyTransport);
      await expect(t.exec('touch /x')).rejects.toThrow(ReadOnlyViolationError);
      await expect(t.writeFile('/x', 'x', { mode: 0o600 })).rejects.toThrow(ReadOnlyViolationError);
    });
    await pool.observe(host('a'), async (o) => {
      await o.observe(observation('probe', 'true'));
    });
    expect(made).toHaveLength(1);
    expect(made[0]!.calls).toEqual(['observe probe']);
    await pool.close();
    expect(made[0]!.isOpen).toBe(false);
  });

  it('observations are only defined where the probe lives (src/facts)', () => {
    const root = join(import.meta.dirname, '..', '..', 'src');
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          const rel = relative(root, p);
          if (rel.startsWith('transport') || rel.startsWith('facts')) continue;
          if (/\bobservation\s*\(/.test(readFileSync(p, 'utf8'))) offenders.push(rel);
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});

describe('host pool cap (no network)', () => {
  it('never works on more hosts than the cap, and nested calls for a host share its slot', async () => {
    let active = 0;
    let peak = 0;
    const pool = new HostPool({ readOnly: false, parallelism: 3, connect: async (t) => new Recorder(t.name) });
    const work = Array.from({ length: 12 }, (_, i) =>
      pool.run(host(`h${i}`), async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 10));
        // Re-entering the same host while holding its slot must not deadlock.
        await pool.run(host(`h${i}`), async () => undefined);
        active--;
      }),
    );
    await Promise.all(work);
    expect(peak).toBe(3);
    expect(pool.peakConcurrency).toBe(3);
    await pool.close();
  });

  it('rejects a nonsensical cap', () => {
    expect(() => new HostPool({ readOnly: true, parallelism: 0 })).toThrow(/positive integer/);
  });
});
