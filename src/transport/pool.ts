// One connection per host, opened lazily and reused by observation and apply alike, and one
// cap on how many hosts are worked on at once, shared by every caller of the pool.
import { ReadOnlyTransport } from './readonly.js';
import { Semaphore } from './semaphore.js';
import { SshConnector, type ConnectorOptions, type HostTarget, type SshTransport } from './ssh.js';
import type { Observer, Transport } from './transport.js';

/** Enough for a few hundred hosts without exhausting file descriptors or the local CPU. */
export const DEFAULT_PARALLELISM = 32;

/** Opens a connection; the pool uses ssh2 unless a test gives it something else. */
export type Connect = (target: HostTarget) => Promise<Transport & { isOpen?: boolean }>;

export interface HostPoolOptions extends ConnectorOptions {
  parallelism?: number;
  /** Hand out only read-only transports (every observing command). */
  readOnly: boolean;
  connect?: Connect;
}

export class HostPool {
  readonly readOnly: boolean;
  private readonly sem: Semaphore;
  private readonly connector: SshConnector | undefined;
  private readonly connectFn: Connect;
  private readonly conns = new Map<string, Promise<Transport & { isOpen?: boolean }>>();
  /** Hosts currently holding a slot, with how many callers share it. */
  private readonly holders = new Map<string, number>();
  private peak = 0;

  constructor(opts: HostPoolOptions) {
    this.readOnly = opts.readOnly;
    this.sem = new Semaphore(opts.parallelism ?? DEFAULT_PARALLELISM);
    if (opts.connect) {
      this.connectFn = opts.connect;
    } else {
      const connector = new SshConnector(opts);
      this.connector = connector;
      this.connectFn = (t) => connector.connect(t);
    }
  }

  get parallelism(): number {
    return this.sem.limit;
  }

  /** Most hosts worked on at once so far. */
  get peakConcurrency(): number {
    return this.peak;
  }

  /**
   * Run `fn` with the host's connection while holding one of the pool's slots. Nested calls for
   * a host that already holds a slot share it, so they never deadlock against the cap.
   */
  async run<T>(host: HostTarget, fn: (t: Transport) => Promise<T>): Promise<T> {
    await this.enter(host.name);
    try {
      const t = await this.connection(host);
      return await fn(this.readOnly ? new ReadOnlyTransport(t) : t);
    } finally {
      this.leave(host.name);
    }
  }

  /** Like run, but typed for observation: the callback gets no way to change the host. */
  observe<T>(host: HostTarget, fn: (o: Observer) => Promise<T>): Promise<T> {
    return this.run(host, (t) => fn(t instanceof ReadOnlyTransport ? t : new ReadOnlyTransport(t)));
  }

  private async enter(name: string): Promise<void> {
    const n = this.holders.get(name);
    if (n !== undefined) {
      this.holders.set(name, n + 1);
      await this.waiting.get(name);
      return;
    }
    // Mark the host as waiting so that concurrent calls for it queue behind one slot.
    this.holders.set(name, 1);
    const ready = this.sem.acquire();
    this.waiting.set(name, ready);
    await ready;
    this.waiting.delete(name);
    this.peak = Math.max(this.peak, this.sem.inUse);
  }

  private readonly waiting = new Map<string, Promise<void>>();

  private leave(name: string): void {
    const n = this.holders.get(name) ?? 1;
    if (n > 1) {
      this.holders.set(name, n - 1);
      return;
    }
    this.holders.delete(name);
    this.sem.release();
  }

  private connection(host: HostTarget): Promise<Transport & { isOpen?: boolean }> {
    const cached = this.conns.get(host.name);
    if (cached) {
      return cached.then(
        (t) => (t.isOpen === false ? this.reconnect(host) : t),
        () => this.reconnect(host),
      );
    }
    return this.reconnect(host);
  }

  private reconnect(host: HostTarget): Promise<Transport & { isOpen?: boolean }> {
    const p = this.connectFn(host);
    this.conns.set(host.name, p);
    p.catch(() => {
      if (this.conns.get(host.name) === p) this.conns.delete(host.name);
    });
    return p;
  }

  async close(): Promise<void> {
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(
      all.map((p) =>
        p.then(
          (t) => t.close(),
          () => undefined,
        ),
      ),
    );
    await this.connector?.close();
  }
}

export type { HostTarget, SshTransport };
export { Semaphore };
