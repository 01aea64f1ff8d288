// TCP connections opened before the SSH library is loaded. On accepting a connection sshd forks,
// re-executes itself and loads its host keys before it says a word: most of what a connection
// costs the host ahead of the handshake. Dialled first, that work runs on the hosts while this
// process is still loading ssh2 and reading keys. Only node:net here, so that importing this
// module costs nothing.
import { Socket, connect } from 'node:net';

/** What dialling needs of a host: a subset of the connector's HostTarget. */
export interface DialTarget {
  name: string;
  address: string;
  ssh: { port: number; bastion?: unknown };
}

export class EarlyDials {
  private readonly sockets = new Map<string, { socket: Socket; failed: boolean }>();

  private constructor() {}

  /**
   * Dial the first `limit` hosts (the pool's cap: the ones it will connect to first) that are
   * reached directly; hosts behind a bastion are reached through its forwarded channels instead.
   */
  static start(targets: readonly DialTarget[], limit: number): EarlyDials {
    const dials = new EarlyDials();
    for (const t of targets.filter((x) => x.ssh.bastion === undefined).slice(0, Math.max(0, limit))) {
      const socket = connect({ host: t.address, port: t.ssh.port });
      const entry = { socket, failed: false };
      // A dial that fails is only dropped: the connector dials again and reports that attempt's
      // error, so errors, retries and timeouts stay the connector's.
      socket.once('error', () => (entry.failed = true));
      // Ended or closed by the host before anyone took it (sshd's LoginGraceTime, MaxStartups).
      socket.once('end', () => (entry.failed = true));
      socket.once('close', () => (entry.failed = true));
      dials.sockets.set(dialKey(t), entry);
    }
    return dials;
  }

  /** The host's socket (connected, or still connecting), once; undefined when there is none or it failed. */
  take(target: DialTarget): Socket | undefined {
    const key = dialKey(target);
    const entry = this.sockets.get(key);
    if (entry === undefined) return undefined;
    this.sockets.delete(key);
    if (entry.failed || entry.socket.destroyed) {
      entry.socket.destroy();
      return undefined;
    }
    return entry.socket;
  }

  /** How many sockets wait to be taken. */
  get pending(): number {
    return this.sockets.size;
  }

  /** Close the sockets never taken (hosts the command did not get to). */
  close(): void {
    for (const { socket } of this.sockets.values()) socket.destroy();
    this.sockets.clear();
  }
}

function dialKey(t: DialTarget): string {
  return `${t.name}\0${t.address}\0${t.ssh.port}`;
}
