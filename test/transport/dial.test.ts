import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EarlyDials } from '../../src/transport/dial.js';
import { HostPool } from '../../src/transport/pool.js';
import { SshConnector, type HostTarget } from '../../src/transport/ssh.js';
import { HostUnreachableError } from '../../src/transport/transport.js';
import { TestSshServer, closedPort, knownHostsLine, newKey } from './ssh-server.js';

const dir = mkdtempSync(join(tmpdir(), 'hactl-dial-'));
const clientKey = newKey();
const keyFile = join(dir, 'id_ed25519');
writeFileSync(keyFile, clientKey.private, { mode: 0o600 });
let server: TestSshServer;
let knownHosts: string;

function target(name: string, port = server.port, over: Partial<HostTarget['ssh']> = {}): HostTarget {
  return {
    name,
    address: '127.0.0.1',
    ssh: { user: 'root', port, privateKeyFile: keyFile, knownHostsFile: knownHosts, sudo: false, connectTimeoutSeconds: 5, ...over },
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  server = new TestSshServer({ users: { root: [clientKey.public] } });
  await server.listen();
  knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, knownHostsLine(server.port, server.hostKey.public));
});

afterAll(async () => {
  await server.close();
});

describe('early dials', () => {
  it("a host's first connection is the socket dialled before ssh2 ran: one TCP connection, checked and working", async () => {
    // A TCP forwarder in front of the SSH server counts the connections and when they came.
    let accepted = 0;
    const forwarder = createServer((s) => {
      accepted++;
      const upstream = connect(server.port, '127.0.0.1');
      s.pipe(upstream).pipe(s);
      s.on('error', () => upstream.destroy());
      upstream.on('error', () => s.destroy());
    });
    await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r));
    const port = (forwarder.address() as AddressInfo).port;
    const kh = join(dir, 'forwarded_known_hosts');
    writeFileSync(kh, knownHostsLine(port, server.hostKey.public));
    const h = target('early', port, { knownHostsFile: kh });
    const dials = EarlyDials.start([h], 4);
    // The host has accepted before the pool exists.
    await until(() => accepted === 1, 'the early dial to be accepted');
    const pool = new HostPool({ readOnly: false, dials });
    try {
      expect((await pool.run(h, (t) => t.exec('echo early'))).stdout).toBe('early\n');
      expect(accepted).toBe(1);
      expect(dials.pending).toBe(0);
    } finally {
      await pool.close();
      forwarder.close();
    }
  });

  it('a dial that failed is dropped: the connector dials again, and its own errors and retries stand', async () => {
    const port = await closedPort();
    const h = target('late', port, { knownHostsFile: join(dir, 'late_known_hosts') });
    const dials = EarlyDials.start([h], 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(dials.take(h)).toBeUndefined();

    // Refused everywhere: the connector's error, after its own attempts.
    const logs: string[] = [];
    const refused = EarlyDials.start([h], 1);
    const err = await new SshConnector({ attempts: 2, backoffMs: 20, dials: refused, log: (l) => logs.push(l) }).connect(h).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    // Each attempt's own error, the first one's too (not the handshake timeout that waits for a
    // socket that failed before ssh2 took it).
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/attempt 1 failed \(.*ECONNREFUSED/);

    // Refused when dialled early, listening by the time the connector dials: connected.
    const late = new TestSshServer({ hostKey: server.hostKey, users: { root: [clientKey.public] } });
    writeFileSync(h.ssh.knownHostsFile, knownHostsLine(port, server.hostKey.public));
    const early = EarlyDials.start([h], 1);
    await new Promise((r) => setTimeout(r, 100));
    await late.listen(port);
    try {
      const t = await new SshConnector({ attempts: 1, dials: early }).connect(h);
      expect((await t.exec('echo late')).stdout).toBe('late\n');
      expect(late.connectionsAccepted).toBe(1);
      await t.close();
    } finally {
      await late.close();
    }
  });

  it('dials only direct hosts, the first `limit` of them; closing ends the sockets never taken', async () => {
    const open = new Set<Socket>();
    let accepted = 0;
    const tcp: Server = createServer((s) => {
      accepted++;
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as AddressInfo).port;
    try {
      const bastion = { address: '127.0.0.1', port, user: 'jump' };
      const hosts = [target('b1', port, { bastion }), target('d1', port), target('d2', port), target('d3', port)];
      const dials = EarlyDials.start(hosts, 2);
      expect(dials.pending).toBe(2);
      await until(() => accepted === 2 && open.size === 2, 'two dials');
      expect(dials.take(hosts[0]!)).toBeUndefined(); // behind the bastion
      expect(dials.take(hosts[3]!)).toBeUndefined(); // past the limit
      dials.close();
      await until(() => open.size === 0, 'the dialled sockets to close');
      expect(accepted).toBe(2);
      expect(dials.pending).toBe(0);
    } finally {
      tcp.close();
    }
  });
});
