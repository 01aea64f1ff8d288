// The Transport interface: all host I/O in hactl goes through it (DEVELOPERS.md: no I/O outside
// src/transport). One Transport is one live connection to one host.

import { maskSecrets, type CommandLine, type SecretField, type Sensitive } from './sensitive.js';

export interface ExecOptions {
  /** Sent to the command's standard input, then closed. */
  stdin?: string | Buffer;
  /** Kill the channel and throw CommandTimeoutError after this long. */
  timeoutMs?: number;
  /**
   * Run through `sudo -n`. Undefined means the host's setting (SshSettings.sudo, true for
   * non-root users); false runs as the login user even then.
   */
  sudo?: boolean;
  /**
   * Secrets the host may print back (a token this command was given on its input): masked in every
   * error message and log line this call produces. Secrets in the command text itself are marked
   * in its `CommandLine`.
   */
  secrets?: readonly Sensitive[];
  /** Fields of what the command prints that hold secrets (a config check quoting a line): masked in logs and errors. */
  secretFields?: readonly SecretField[];
}

export interface ExecResult {
  code: number;
  /** Standard output as UTF-8 text. */
  stdout: string;
  /** Standard output's exact bytes, where the transport has them (observations that carry binary data). */
  stdoutBytes?: Buffer;
  stderr: string;
  durationMs: number;
}

export interface WriteFileOptions {
  /** Octal permission bits, e.g. 0o644. */
  mode: number;
  owner?: string;
  group?: string;
}

/**
 * A command that only observes the host. Only the read-only transport's `observe` runs commands,
 * and only these (see readonly.ts). Built with `observation()`.
 */
export interface Observation {
  readonly kind: 'observation';
  /** Short name for errors and logs, e.g. `facts-probe`. */
  readonly name: string;
  readonly script: string;
  readonly timeoutMs?: number;
}

export function observation(name: string, script: string, timeoutMs?: number): Observation {
  return Object.freeze({ kind: 'observation' as const, name, script, timeoutMs });
}

export interface Transport {
  /** Host name from the spec (not the address). */
  readonly host: string;
  readonly readOnly: boolean;
  exec(cmd: string | CommandLine, opts?: ExecOptions): Promise<ExecResult>;
  /** Run an observation (never changes the host). */
  observe(o: Observation): Promise<ExecResult>;
  /** File content, or undefined when the file does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** Atomic: temp file in the same directory, mode/owner set, then renamed over `path`. */
  writeFile(path: string, content: string | Buffer, opts: WriteFileOptions): Promise<void>;
  /** Copy a local file to the host over SFTP, atomically, with `mode`. */
  upload(localPath: string, remotePath: string, mode: number): Promise<void>;
  close(): Promise<void>;
}

/** The read-only view handed to every observing command: no exec, writeFile or upload. */
export interface Observer {
  readonly host: string;
  readonly readOnly: true;
  observe(o: Observation): Promise<ExecResult>;
  readFile(path: string): Promise<Buffer | undefined>;
}

// ---- errors -------------------------------------------------------------------------------

export class TransportError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Could not reach or keep a connection to the host (after retries). */
export class HostUnreachableError extends TransportError {
  constructor(
    host: string,
    readonly reason: string,
  ) {
    super(host, `${host}: unreachable: ${reason}`);
  }
}

/** The connection went away while a command was running. */
export class ConnectionLostError extends TransportError {
  constructor(
    host: string,
    readonly command: string,
    readonly reason: string,
  ) {
    super(host, `${host}: connection lost while running ${command}: ${reason}`);
  }
}

export class HostKeyMismatchError extends TransportError {
  constructor(
    host: string,
    readonly expected: string[],
    readonly presented: string,
    readonly knownHostsFile: string,
  ) {
    super(
      host,
      `${host}: HOST KEY MISMATCH: the host presented ${presented} but ${knownHostsFile} expects ` +
        `${expected.join(' or ')}. Someone may be intercepting the connection, or the host was ` +
        `reinstalled; if so, remove its old entry from ${knownHostsFile}.`,
    );
  }
}

export class UnknownHostKeyError extends TransportError {
  constructor(
    host: string,
    readonly presented: string,
    readonly knownHostsFile: string,
  ) {
    super(
      host,
      `${host}: host key ${presented} is not in ${knownHostsFile}; add it (ssh-keyscan, checked ` +
        `out of band) or pass --accept-new-host-keys to trust it on first use.`,
    );
  }
}

/** The host key matches a `@revoked` entry. */
export class RevokedHostKeyError extends TransportError {
  constructor(
    host: string,
    readonly presented: string,
    readonly knownHostsFile: string,
  ) {
    super(host, `${host}: host key ${presented} is marked @revoked in ${knownHostsFile}`);
  }
}

export class AuthError extends TransportError {
  constructor(
    host: string,
    readonly user: string,
    readonly detail: string,
  ) {
    super(host, `${host}: authentication as ${user} failed: ${detail}`);
  }
}

export class CommandTimeoutError extends TransportError {
  constructor(
    host: string,
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(host, `${host}: command timed out after ${timeoutMs} ms: ${command}`);
  }
}

export class SudoPasswordRequiredError extends TransportError {
  constructor(
    host: string,
    readonly user: string,
  ) {
    super(
      host,
      `${host}: sudo asks ${user} for a password; hactl runs sudo non-interactively (sudo -n): ` + `allow ${user} NOPASSWD in sudoers or connect as root`,
    );
  }
}

export class ReadOnlyViolationError extends TransportError {
  constructor(
    host: string,
    readonly operation: string,
  ) {
    super(host, `${host}: refused ${operation}: this transport is read-only (observing commands never change a host)`);
  }
}

/** A non-zero exit where the caller needed success (readFile, writeFile, upload). */
export class RemoteCommandError extends TransportError {
  constructor(
    host: string,
    readonly command: string,
    readonly code: number,
    readonly stderr: string,
  ) {
    super(host, `${host}: ${command} exited ${code}${stderr ? `: ${stderr.trim().slice(0, 500)}` : ''}`);
  }
}

// ---- secrets ------------------------------------------------------------------------------

/** The text a host runs. */
export function commandText(cmd: string | CommandLine): string {
  return typeof cmd === 'string' ? cmd : cmd.text;
}

/** A command as it may appear in errors and logs: secret parts masked, long scripts shortened. */
export function describeCommand(cmd: string | CommandLine, secrets?: readonly Sensitive[]): string {
  const shown = typeof cmd === 'string' ? cmd : cmd.shown;
  const masked = secrets && secrets.length > 0 ? maskSecrets(shown, { values: secrets }) : shown;
  const oneLine = masked.replace(/\s+/g, ' ').trim();
  return oneLine.length > 160 ? `${oneLine.slice(0, 157)}...` : oneLine;
}
