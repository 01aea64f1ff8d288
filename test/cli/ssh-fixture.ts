// What a command test needs to run a command against a host: a scratch directory holding an SSH
// key (`id`), a TestSshServer on 127.0.0.1 that accepts it, and a known_hosts that names the
// server (and, if asked, further addresses and ports with the same host key). Specs written there
// say SSH_SETTINGS and give each host its port.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestSshServer, knownHostsLine, newKey } from '../transport/ssh-server.js';

/** The spec's ssh block for hosts of an SshFixture (paths relative to the spec in its directory). */
export const SSH_SETTINGS = 'ssh: { user: root, privateKeyFile: id, knownHostsFile: known_hosts, connectTimeoutSeconds: 2 }';

export interface SshFixture {
  dir: string;
  server: TestSshServer;
  /** The server's port on 127.0.0.1. */
  port: number;
  /** Writes `lines` to `name` (cluster.yaml) in the directory; returns its path. */
  writeSpec(lines: string[], name?: string): string;
  /** Stops the server and removes the directory. */
  close(): Promise<void>;
}

/** `alsoKnown`: further [address, port] pairs known_hosts gives the server's key (hosts that refuse connections). */
export async function sshFixture(prefix: string, alsoKnown: [address: string, port: number][] = []): Promise<SshFixture> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const key = newKey();
  writeFileSync(join(dir, 'id'), key.private, { mode: 0o600 });
  const server = new TestSshServer({ users: { root: [key.public] } });
  const port = await server.listen();
  writeFileSync(
    join(dir, 'known_hosts'),
    [knownHostsLine(port, server.hostKey.public), ...alsoKnown.map(([address, p]) => knownHostsLine(p, server.hostKey.public, address))].join(''),
  );
  return {
    dir,
    server,
    port,
    writeSpec(lines, name = 'cluster.yaml') {
      const path = join(dir, name);
      writeFileSync(path, lines.join('\n'));
      return path;
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
