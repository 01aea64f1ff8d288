import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnector, type HostTarget } from '../../src/transport/ssh.js';
import { RemoteCommandError } from '../../src/transport/transport.js';
import { TestSshServer, knownHostsLine, newKey } from './ssh-server.js';

const dir = mkdtempSync(join(tmpdir(), 'hactl-download-'));
const clientKey = newKey();
const keyFile = join(dir, 'id_ed25519');
writeFileSync(keyFile, clientKey.private, { mode: 0o600 });
let server: TestSshServer;
let target: HostTarget;

beforeAll(async () => {
  server = new TestSshServer({ users: { root: [clientKey.public] } });
  await server.listen();
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, knownHostsLine(server.port, server.hostKey.public));
  target = {
    name: 'h1',
    address: '127.0.0.1',
    ssh: { user: 'root', port: server.port, privateKeyFile: keyFile, knownHostsFile: knownHosts, sudo: false, connectTimeoutSeconds: 5 },
  };
});

afterAll(async () => {
  await server.close();
});

describe('streaming download', () => {
  it('writes the remote bytes with the mode and returns their size and sha256', async () => {
    const t = await new SshConnector().connect(target);
    // Several MiB of varied bytes: more than one channel window, so flow control is exercised.
    const data = Buffer.concat(Array.from({ length: 40 }, (_, i) => Buffer.alloc(128 * 1024, i)));
    const remote = join(server.home, "snap 'quoted'.db");
    writeFileSync(remote, data);
    const local = join(dir, 'etcd.db');
    const r = await t.download(remote, local, 0o600);
    expect(r.bytes).toBe(data.length);
    expect(r.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(readFileSync(local).equals(data)).toBe(true);
    expect(statSync(local).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);
    await t.close();
  });

  it('a missing remote file is an error, and nothing is left locally', async () => {
    const t = await new SshConnector().connect(target);
    const local = join(dir, 'missing.db');
    await expect(t.download(join(server.home, 'nope.db'), local, 0o600)).rejects.toThrow(RemoteCommandError);
    expect(readdirSync(dir).filter((f) => f.startsWith('missing'))).toEqual([]);
    await t.close();
  });
});
