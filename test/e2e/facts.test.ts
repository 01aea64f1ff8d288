// Facts from real lab hosts, and the read-only guarantee: observing a host changes nothing on it.
import { describe, expect, inject, it } from 'vitest';
import { gatherFacts } from '../../src/facts/gather.js';
import { defaultFactRequest } from '../../src/facts/default-request.js';
import { HostPool } from '../../src/transport/pool.js';
import type { HostTarget } from '../../src/transport/ssh.js';
import { ReadOnlyViolationError } from '../../src/transport/transport.js';
import { clientKeyFile, knownHostsFile, LAB_OSES, readLabState, sshExec, type LabHost, type LabState } from '../lab/index.js';

function lab(): LabState {
  // Earlier test files may have recreated the lab: read the current state, not the injected one.
  return readLabState() ?? inject('lab');
}

function target(h: Pick<LabHost, 'name' | 'address'>): HostTarget {
  return {
    name: h.name,
    address: h.address,
    ssh: { user: 'root', port: 22, privateKeyFile: clientKeyFile, knownHostsFile, sudo: false, connectTimeoutSeconds: 5 },
  };
}

/**
 * Paths changed (content, or metadata via ctime) since the marker, outside the pseudo and
 * volatile filesystems. The marker lives in /run, which is excluded.
 */
const CHANGED =
  'find / -xdev \\( -path /proc -o -path /sys -o -path /run -o -path /tmp -o -path /dev \\) -prune -o \\( -newer /run/hactl-marker -o -cnewer /run/hactl-marker \\) -print | sort';

/** journald records every SSH login, whoever logs in and whatever runs (seen on the lab hosts). */
const LOGIN_NOISE = /^\/var\/log\/journal(\/.*)?$/;

async function changedSince(host: string): Promise<string[]> {
  const r = await sshExec(host, CHANGED);
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '' && !LOGIN_NOISE.test(l));
}

describe('facts on lab hosts', () => {
  it('gathers facts from every host in one probe each; an unreachable host is reported, not hiding the others', async () => {
    const state = lab();
    const pool = new HostPool({ readOnly: true, parallelism: 10, attempts: 1 });
    const unreachable = { name: 'ghost', address: '198.18.0.250' };
    const results = await gatherFacts([...state.hosts.map(target), target(unreachable)], pool);
    await pool.close();

    const ghost = results.find((r) => r.host === 'ghost')!;
    expect(ghost.ok).toBe(false);
    if (!ghost.ok) expect(ghost.reason).toMatch(/timed out|EHOSTUNREACH/);

    for (const h of state.hosts) {
      const r = results.find((x) => x.host === h.name)!;
      if (!r.ok) throw new Error(`${h.name}: ${r.reason}`);
      const f = r.facts;
      expect(f.hostname).toBe(h.name);
      expect(f.os).toMatchObject({ id: 'debian', versionId: LAB_OSES[state.os].version, family: 'debian' });
      expect(f.interfaces.find((i) => i.name === 'eth0')?.addresses).toContain(`${h.address}/24`);
      expect(f.cpus).toBeGreaterThan(0);
      expect(f.memoryBytes).toBeGreaterThan(0);
      expect(f.disks.map((d) => d.path)).toEqual(['/', '/var']);
      // The lab's kernel has both built in (lab notes): counted by their function.
      expect(f.modules).toEqual({ br_netfilter: 'builtin', overlay: 'builtin' });
      expect(f.sysctls['net.ipv4.ip_forward']).toMatch(/^[01]$/);
      expect(f.packageManager).toBe('dpkg');
      expect(f.listeningPorts).toContainEqual(expect.objectContaining({ proto: 'tcp', port: 22 }));
      expect(f.init).toBe(h.kind === 'light' ? 'other' : 'systemd');
      expect(f.files['/etc/hostname']).toMatchObject({ exists: true, content: `${h.name}\n` });
      expect(Math.abs(r.clockSkewSeconds)).toBeLessThan(5);
    }
  });

  it('observing a host changes nothing on it, and a write through the read-only transport throws', async () => {
    const h = lab().hosts[0]!;
    const probe = `/etc/hactl-readonly-${process.pid}`;
    expect((await sshExec(h.name, `touch /run/hactl-marker && sleep 1.1 && test ! -e ${probe}`)).code).toBe(0);
    const before = await changedSince(h.name);

    const pool = new HostPool({ readOnly: true });
    const [r] = await gatherFacts([target(h)], pool, defaultFactRequest());
    expect(r!.ok).toBe(true);
    await pool.run(target(h), async (t) => {
      await expect(t.writeFile(probe, 'x', { mode: 0o644 })).rejects.toBeInstanceOf(ReadOnlyViolationError);
      await expect(t.exec(`touch ${probe}`)).rejects.toBeInstanceOf(ReadOnlyViolationError);
      await expect(t.upload(clientKeyFile, probe, 0o600)).rejects.toBeInstanceOf(ReadOnlyViolationError);
    });
    await pool.close();

    const after = await changedSince(h.name);
    expect(after).toEqual(before);
    expect((await sshExec(h.name, `test ! -e ${probe}`)).code).toBe(0);
    // The check itself can see a change: a write made the same way is caught.
    await sshExec(h.name, 'touch /etc/hactl-canary && rm -f /etc/hactl-canary');
    expect(await changedSince(h.name)).toContain('/etc');
  });
});
