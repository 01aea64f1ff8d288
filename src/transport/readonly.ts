// The read-only transport every observing command (facts, plan, status) works through.
//
// How a mutating call is made impossible:
// - Observing code is typed against `Observer`, which has no exec, writeFile or upload at all.
// - The object behind it is a ReadOnlyTransport: casting it to Transport does not help, because
//   its exec/writeFile/upload always throw ReadOnlyViolationError, and the writable connection it
//   wraps sits in a `#private` field that no cast or property access can reach.
// - A HostPool created with `readOnly: true` only ever hands out ReadOnlyTransports.
// - The only commands it runs are `Observation`s (built with `observation()`); a test checks that
//   observations are only defined in src/facts, where the probe script lives.
import {
  ReadOnlyViolationError,
  describeCommand,
  type ExecOptions,
  type ExecResult,
  type Observation,
  type Observer,
  type Transport,
  type WriteFileOptions,
} from './transport.js';
import type { CommandLine } from './sensitive.js';

export class ReadOnlyTransport implements Transport, Observer {
  readonly readOnly = true as const;
  readonly #inner: Transport;

  constructor(inner: Transport) {
    this.#inner = inner;
  }

  get host(): string {
    return this.#inner.host;
  }

  exec(cmd: string | CommandLine, opts?: ExecOptions): Promise<ExecResult> {
    return Promise.reject(new ReadOnlyViolationError(this.host, `exec ${describeCommand(cmd, opts?.secrets)}`));
  }

  observe(o: Observation): Promise<ExecResult> {
    // Checked at run time too: a cast or plain JavaScript can hand over anything.
    const v = o as { kind?: unknown } | null;
    if (v === null || typeof v !== 'object' || v.kind !== 'observation' || !Object.isFrozen(v)) {
      return Promise.reject(new ReadOnlyViolationError(this.host, 'observe of something that is not an observation'));
    }
    return this.#inner.observe(o);
  }

  readFile(path: string): Promise<Buffer | undefined> {
    return this.#inner.readFile(path);
  }

  writeFile(path: string, _content: string | Buffer, _opts: WriteFileOptions): Promise<void> {
    return Promise.reject(new ReadOnlyViolationError(this.host, `writeFile ${path}`));
  }

  upload(localPath: string, remotePath: string, _mode: number): Promise<void> {
    return Promise.reject(new ReadOnlyViolationError(this.host, `upload ${localPath} to ${remotePath}`));
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

export function readOnly(t: Transport): ReadOnlyTransport {
  return t instanceof ReadOnlyTransport ? t : new ReadOnlyTransport(t);
}
