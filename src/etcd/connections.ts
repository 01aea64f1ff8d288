// One SSH connection per host for the etcd commands, opened when first needed, closed together.
import { SshConnector } from '../transport/ssh.js';
import type { SshTransport } from '../transport/ssh.js';
import type { Host } from '../spec/types.js';
import type { ConnectHost } from './snapshot.js';

export function sshConnections(opts: { acceptNewHostKeys: boolean; log?: (line: string) => void }): { connect: ConnectHost; close(): Promise<void> } {
  const connector = new SshConnector({ acceptNewHostKeys: opts.acceptNewHostKeys, log: opts.log });
  const open = new Map<string, Promise<SshTransport>>();
  const connect = (host: Host): Promise<SshTransport> => {
    let c = open.get(host.name);
    if (!c) {
      c = connector.connect(host);
      open.set(host.name, c);
    }
    return c;
  };
  const close = async () => {
    await Promise.all(
      [...open.values()].map((c) =>
        c.then(
          (t) => t.close(),
          () => undefined,
        ),
      ),
    );
    await connector.close();
  };
  return { connect, close };
}
