// The ssh2 implementation of Transport, and the connector that opens connections: host keys
// checked against known_hosts, key-file or agent auth, optional bastion, retries with backoff.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { posix } from 'node:path';
import ssh2, { Client, type AgentAuthMethod, type ClientChannel, type ConnectConfig, type ParsedKey, type PublicKeyAuthMethod, type SFTPWrapper } from 'ssh2';
import type { Readable } from 'node:stream';
import type { BastionSettings, SshSettings } from '../spec/types.js';
import type { EarlyDials } from './dial.js';
import { KnownHosts, hostKeyAlgorithms, knownHostsName, type HostKeyVerdict } from './known-hosts.js';
import { shellQuote } from './quote.js';
import { Semaphore } from './semaphore.js';
import {
  AuthError,
  CommandTimeoutError,
  ConnectionLostError,
  HostKeyMismatchError,
  HostUnreachableError,
  RemoteCommandError,
  RevokedHostKeyError,
  SudoPasswordRequiredError,
  TransportError,
  UnknownHostKeyError,
  commandText,
  describeCommand,
  type ExecOptions,
  type ExecResult,
  type Observation,
  type Transport,
  type WriteFileOptions,
} from './transport.js';
import { maskSecrets, type CommandLine } from './sensitive.js';

/** What a connection needs to know about a host: a subset of the spec's Host. */
export interface HostTarget {
  name: string;
  address: string;
  ssh: SshSettings;
}

export interface ConnectorOptions {
  /** Record unknown host keys (trust on first use). Never the default. */
  acceptNewHostKeys?: boolean;
  /** Connect attempts for unreachable hosts (refused, timed out); auth and host key errors never retry. */
  attempts?: number;
  /** First backoff delay; doubles per attempt. */
  backoffMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Where passphrase variables and SSH_AUTH_SOCK are read from. */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Sockets dialled before ssh2 was loaded, taken by each host's first attempt. */
  dials?: EarlyDials;
}

/** How to authenticate: a key parsed once per file (not once per connection), or the agent. */
type Credentials = { key: ParsedKey } | { agent: string };

/** An error from one connect attempt, and whether trying again could help. */
class AttemptError extends Error {
  constructor(
    readonly error: TransportError,
    readonly retryable: boolean,
    /** A silent host costs a whole connect timeout per attempt: those are retried only once. */
    readonly timedOut = false,
  ) {
    super(error.message);
  }
}

const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE']);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SshConnector {
  private readonly knownHosts = new Map<string, Promise<KnownHosts>>();
  private readonly keys = new Map<string, Promise<Buffer>>();
  private readonly parsedKeys = new Map<string, ParsedKey>();
  private readonly bastions = new Map<string, Promise<Client>>();
  private readonly opts: Required<Omit<ConnectorOptions, 'log' | 'dials'>> & Pick<ConnectorOptions, 'log' | 'dials'>;

  constructor(opts: ConnectorOptions = {}) {
    this.opts = {
      acceptNewHostKeys: opts.acceptNewHostKeys ?? false,
      attempts: opts.attempts ?? 3,
      backoffMs: opts.backoffMs ?? 250,
      keepaliveIntervalMs: opts.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: opts.keepaliveCountMax ?? 4,
      env: opts.env ?? process.env,
      log: opts.log,
      dials: opts.dials,
    };
  }

  /** Open a connection to `target`, retrying unreachable hosts with exponential backoff. */
  async connect(target: HostTarget): Promise<SshTransport> {
    let delay = this.opts.backoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const client = await this.connectTarget(target);
        return new SshTransport(target, client, this.opts.log);
      } catch (err) {
        if (!(err instanceof AttemptError)) throw err;
        if (!err.retryable || attempt >= this.opts.attempts || (err.timedOut && attempt >= 2)) throw err.error;
        this.opts.log?.(`${target.name}: connect attempt ${attempt} failed (${err.error.message}); retrying in ${delay} ms`);
        await sleep(delay);
        delay *= 2;
      }
    }
  }

  /** Close the shared bastion connections, and sockets dialled early that no host took. */
  async close(): Promise<void> {
    this.opts.dials?.close();
    const all = [...this.bastions.values()];
    this.bastions.clear();
    await Promise.all(
      all.map(async (p) => {
        try {
          const c = await p;
          await endClient(c);
        } catch {
          // a bastion that never connected has nothing to close
        }
      }),
    );
  }

  private async connectTarget(target: HostTarget): Promise<Client> {
    const { ssh } = target;
    let sock: Readable | undefined;
    if (ssh.bastion) {
      const bastion = await this.bastion(target, ssh.bastion);
      sock = await new Promise<ClientChannel>((resolve, reject) => {
        bastion.forwardOut('127.0.0.1', 0, target.address, ssh.port, (err, stream) => {
          if (err) {
            reject(new AttemptError(new HostUnreachableError(target.name, `via bastion ${ssh.bastion!.address}: ${err.message}`), true));
          } else resolve(stream);
        });
      });
    }
    return this.connectOnce({
      label: target.name,
      address: target.address,
      port: ssh.port,
      user: ssh.user,
      privateKeyFile: ssh.privateKeyFile,
      passphraseEnv: ssh.passphraseEnv,
      knownHostsFile: ssh.knownHostsFile,
      timeoutMs: ssh.connectTimeoutSeconds * 1000,
      sock,
      dialled: sock === undefined ? () => this.opts.dials?.take(target) : undefined,
    });
  }

  /** One connection per bastion, shared by every host behind it. */
  private bastion(target: HostTarget, b: BastionSettings): Promise<Client> {
    const key = `${b.user}@${b.address}:${b.port}`;
    let p = this.bastions.get(key);
    if (!p) {
      p = this.connectOnce({
        label: `bastion ${b.address}`,
        address: b.address,
        port: b.port,
        user: b.user,
        // Without its own key the bastion is reached with the host's key (or the agent).
        privateKeyFile: b.privateKeyFile ?? target.ssh.privateKeyFile,
        passphraseEnv: b.privateKeyFile ? undefined : target.ssh.passphraseEnv,
        knownHostsFile: target.ssh.knownHostsFile,
        timeoutMs: target.ssh.connectTimeoutSeconds * 1000,
      });
      this.bastions.set(key, p);
      p.then(
        (c) => c.on('close', () => this.bastions.delete(key)),
        () => this.bastions.delete(key),
      );
    }
    return p;
  }

  private loadKnownHosts(file: string): Promise<KnownHosts> {
    let p = this.knownHosts.get(file);
    if (!p) {
      p = KnownHosts.load(file);
      this.knownHosts.set(file, p);
    }
    return p;
  }

  private async credentials(label: string, user: string, keyFile: string | undefined, passphraseEnv: string | undefined): Promise<Credentials> {
    if (keyFile) {
      let p = this.keys.get(keyFile);
      if (!p) {
        p = readFile(keyFile);
        this.keys.set(keyFile, p);
      }
      let privateKey: Buffer;
      try {
        privateKey = await p;
      } catch (err) {
        throw new AttemptError(new AuthError(label, user, `cannot read private key ${keyFile}: ${(err as Error).message}`), false);
      }
      let passphrase: string | undefined;
      if (passphraseEnv) {
        passphrase = this.opts.env[passphraseEnv];
        if (passphrase === undefined) {
          throw new AttemptError(new AuthError(label, user, `environment variable ${passphraseEnv} (passphrase of ${keyFile}) is not set`), false);
        }
      }
      let key = this.parsedKeys.get(keyFile);
      if (!key) {
        // `utils` is not a named export Node can see in ssh2 (CommonJS): reached through the default.
        const parsed = ssh2.utils.parseKey(privateKey, passphrase);
        const first = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
        // ssh2 types getPrivatePEM() as a string; it is null for a public key.
        const problem =
          first instanceof Error
            ? first.message
            : first === undefined || (first.getPrivatePEM() as string | null) === null
              ? 'no private key in the file'
              : undefined;
        if (problem !== undefined) throw new AttemptError(new AuthError(label, user, `cannot use private key ${keyFile}: ${problem}`), false);
        key = first as ParsedKey;
        this.parsedKeys.set(keyFile, key);
      }
      return { key };
    }
    const agent = this.opts.env.SSH_AUTH_SOCK;
    if (!agent) throw new AttemptError(new AuthError(label, user, 'no private key file configured and SSH_AUTH_SOCK is not set'), false);
    return { agent };
  }

  private async connectOnce(t: {
    label: string;
    address: string;
    port: number;
    user: string;
    privateKeyFile?: string;
    passphraseEnv?: string;
    knownHostsFile: string;
    timeoutMs: number;
    sock?: Readable;
    /** A socket dialled early, if any: taken right before ssh2 gets it, so none of its events is missed. */
    dialled?: () => Readable | undefined;
  }): Promise<Client> {
    const [kh, creds] = await Promise.all([this.loadKnownHosts(t.knownHostsFile), this.credentials(t.label, t.user, t.privateKeyFile, t.passphraseEnv)]);
    const name = knownHostsName(t.address, t.port);
    let verdict: HostKeyVerdict | undefined;
    let recordError: Error | undefined;
    const accept = this.opts.acceptNewHostKeys;
    const log = this.opts.log;

    const auth: PublicKeyAuthMethod | AgentAuthMethod =
      'key' in creds ? { type: 'publickey', username: t.user, key: creds.key } : { type: 'agent', username: t.user, agent: creds.agent };
    const config: ConnectConfig = {
      host: t.address,
      port: t.port,
      username: t.user,
      readyTimeout: t.timeoutMs,
      keepaliveInterval: this.opts.keepaliveIntervalMs,
      keepaliveCountMax: this.opts.keepaliveCountMax,
      algorithms: { serverHostKey: hostKeyAlgorithms(kh.keyTypesFor(name)) as never },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        verdict = kh.verify(name, key);
        if (verdict.status === 'ok') return verify(true);
        if (verdict.status === 'unknown' && accept) {
          kh.add(name, key).then(
            () => {
              log?.(`${t.label}: recorded new host key ${verdict!.fingerprint} in ${kh.file}`);
              verify(true);
            },
            (err: unknown) => {
              recordError = err as Error;
              verify(false);
            },
          );
          return;
        }
        verify(false);
      },
      // Straight to the one method configured: no `none` probe first (a round trip, and a failed
      // authentication in the server's log for every connection).
      authHandler: [auth],
    };
    if (t.sock) config.sock = t.sock;

    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let settled = false;
      client.once('ready', () => {
        settled = true;
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (settled) return; // later errors are the transport's to report
        settled = true;
        client.destroy();
        reject(classifyConnectError(t.label, t.user, kh.file, err, verdict, recordError));
      });
      client.once('close', () => {
        if (settled) return;
        settled = true;
        reject(new AttemptError(new HostUnreachableError(t.label, 'connection closed during handshake'), true));
      });
      try {
        // Taken and handed over in one synchronous step: a socket that failed while keys were
        // read is not taken (ssh2 dials itself), and one failing later fails under ssh2's eyes.
        const early = config.sock === undefined ? t.dialled?.() : undefined;
        if (early !== undefined) config.sock = early;
        client.connect(config);
      } catch (err) {
        settled = true;
        // ssh2 throws synchronously for unusable keys (bad passphrase, unsupported format).
        reject(new AttemptError(new AuthError(t.label, t.user, (err as Error).message), false));
      }
    });
  }
}

function classifyConnectError(
  label: string,
  user: string,
  knownHostsFile: string,
  err: Error & { level?: string; code?: string },
  verdict: HostKeyVerdict | undefined,
  recordError: Error | undefined,
): AttemptError {
  if (verdict && verdict.status !== 'ok' && /Host denied/i.test(err.message)) {
    if (recordError) return new AttemptError(new TransportError(label, `${label}: cannot record host key in ${knownHostsFile}: ${recordError.message}`), false);
    if (verdict.status === 'mismatch') return new AttemptError(new HostKeyMismatchError(label, verdict.expected, verdict.fingerprint, knownHostsFile), false);
    if (verdict.status === 'revoked') return new AttemptError(new RevokedHostKeyError(label, verdict.fingerprint, knownHostsFile), false);
    return new AttemptError(new UnknownHostKeyError(label, verdict.fingerprint, knownHostsFile), false);
  }
  if (err.level === 'client-authentication') {
    return new AttemptError(new AuthError(label, user, 'the server accepted none of the offered credentials'), false);
  }
  if (err.level === 'client-timeout') return new AttemptError(new HostUnreachableError(label, 'timed out waiting for the SSH handshake'), true, true);
  if (err.code === 'ETIMEDOUT') return new AttemptError(new HostUnreachableError(label, `${err.code}: ${err.message}`), true, true);
  if (err.code && RETRYABLE_CODES.has(err.code)) return new AttemptError(new HostUnreachableError(label, `${err.code}: ${err.message}`), true);
  return new AttemptError(new HostUnreachableError(label, err.message), false);
}

function endClient(c: Client): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      c.destroy();
      resolve();
    }, 2000);
    c.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    c.end();
  });
}

/** What `download` wrote: its size and sha256, computed on the way in. */
export interface DownloadResult {
  bytes: number;
  sha256: string;
  durationMs: number;
}

interface RawResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
  durationMs: number;
}

/** OpenSSH's sshd allows 10 sessions per connection (MaxSessions); stay under it. */
const MAX_CHANNELS = 8;

const SUDO_PASSWORD = /sudo: (a password is required|a terminal is required|\d+ incorrect password attempts?)/;

export class SshTransport implements Transport {
  readonly host: string;
  readonly readOnly = false;
  private readonly user: string;
  private readonly sudoDefault: boolean;
  private closed: string | undefined;
  private readonly pending = new Set<(reason: string) => void>();
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private readonly channels = new Semaphore(MAX_CHANNELS);

  constructor(
    target: HostTarget,
    private readonly client: Client,
    private readonly log?: (line: string) => void,
  ) {
    this.host = target.name;
    this.user = target.ssh.user;
    this.sudoDefault = target.ssh.sudo && target.ssh.user !== 'root';
    const lost = (reason: string) => {
      if (this.closed === undefined) this.closed = reason;
      for (const fail of [...this.pending]) fail(reason);
    };
    client.on('error', (err: Error) => lost(err.message));
    client.on('close', () => lost('connection closed'));
  }

  get isOpen(): boolean {
    return this.closed === undefined;
  }

  async exec(cmd: string | CommandLine, opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.execRaw(commandText(cmd), opts, describeCommand(cmd, opts.secrets));
    return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), durationMs: r.durationMs };
  }

  async observe(o: Observation): Promise<ExecResult> {
    // Errors name the observation, not its (long) script.
    const r = await this.execRaw(o.script, { timeoutMs: o.timeoutMs }, `observation ${o.name}`);
    return { code: r.code, stdout: r.stdout.toString('utf8'), stdoutBytes: r.stdout, stderr: r.stderr.toString('utf8'), durationMs: r.durationMs };
  }

  private wrap(cmd: string, sudo: boolean | undefined): { line: string; sudo: boolean } {
    const useSudo = (sudo ?? this.sudoDefault) && this.user !== 'root';
    return { line: useSudo ? `sudo -n -- sh -c ${shellQuote(cmd)}` : cmd, sudo: useSudo };
  }

  private async execRaw(cmd: string, opts: ExecOptions = {}, label?: string): Promise<RawResult> {
    await this.channels.acquire();
    try {
      return await this.execChannel(cmd, opts, label);
    } finally {
      this.channels.release();
    }
  }

  private execChannel(cmd: string, opts: ExecOptions, label?: string): Promise<RawResult> {
    const shown = label ?? describeCommand(cmd, opts.secrets);
    const { line, sudo } = this.wrap(cmd, opts.sudo);
    if (this.closed !== undefined) return Promise.reject(new ConnectionLostError(this.host, shown, this.closed));
    const started = performance.now();
    this.log?.(`${this.host}: exec ${shown}`);

    return new Promise<RawResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code: number | undefined;
      let signal: string | undefined;
      let timer: NodeJS.Timeout | undefined;
      let channel: ClientChannel | undefined;
      let done = false;

      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        this.pending.delete(onLost);
        fn();
      };
      const onLost = (reason: string) => finish(() => reject(new ConnectionLostError(this.host, shown, maskSecrets(reason, { values: opts.secrets ?? [] }))));
      this.pending.add(onLost);

      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          finish(() => reject(new CommandTimeoutError(this.host, shown, opts.timeoutMs!)));
          if (channel) {
            // Ask the server to kill the process, then close the channel (its pipes go with it).
            try {
              channel.signal('KILL');
            } catch {
              // servers may refuse signals; closing is what matters
            }
            channel.close();
          }
        }, opts.timeoutMs);
      }

      try {
        this.client.exec(line, (e, stream) => {
          if (e) {
            finish(() => reject(new ConnectionLostError(this.host, shown, maskSecrets(e.message, { values: opts.secrets ?? [] }))));
            return;
          }
          channel = stream;
          if (done) {
            stream.close(); // timed out before the channel opened
            return;
          }
          stream.on('data', (d: Buffer) => out.push(d));
          stream.stderr.on('data', (d: Buffer) => err.push(d));
          stream.on('exit', (c: number | null, sig?: string) => {
            if (typeof c === 'number') code = c;
            else signal = sig ?? 'unknown';
          });
          stream.on('close', () => {
            if (done) return;
            const stderr = Buffer.concat(err);
            if (code === undefined && signal === undefined) {
              // No exit status: the connection went away under the command.
              return onLost(this.closed ?? 'channel closed without an exit status');
            }
            const result: RawResult = {
              code: code ?? 128 + 9,
              stdout: Buffer.concat(out),
              stderr: signal ? Buffer.concat([stderr, Buffer.from(`\nkilled by signal ${signal}\n`)]) : stderr,
              durationMs: performance.now() - started,
            };
            if (sudo && result.code === 1 && SUDO_PASSWORD.test(stderr.toString('utf8'))) {
              finish(() => reject(new SudoPasswordRequiredError(this.host, this.user)));
              return;
            }
            finish(() => resolve(result));
          });
          if (opts.stdin !== undefined) stream.end(opts.stdin);
          else stream.end();
        });
      } catch (e) {
        onLost((e as Error).message);
      }
    });
  }

  async readFile(path: string): Promise<Buffer | undefined> {
    const q = shellQuote(path);
    const cmd = `if [ -e ${q} ]; then exec cat -- ${q}; else exit 44; fi`;
    const r = await this.execRaw(cmd);
    if (r.code === 44) return undefined;
    if (r.code !== 0) throw new RemoteCommandError(this.host, `read ${path}`, r.code, r.stderr.toString('utf8'));
    return r.stdout;
  }

  async writeFile(path: string, content: string | Buffer, opts: WriteFileOptions): Promise<void> {
    const script = installScript(path, opts, 'cat > "$tmp"');
    const r = await this.execRaw(script, { stdin: content });
    if (r.code !== 0) throw new RemoteCommandError(this.host, `write ${path}`, r.code, r.stderr.toString('utf8'));
  }

  async upload(localPath: string, remotePath: string, mode: number): Promise<void> {
    const sftp = await this.sftp();
    // SFTP runs as the login user: stage in its home directory, then move into place (with sudo if needed).
    const staged = `.hactl-upload-${randomBytes(6).toString('hex')}`;
    await new Promise<void>((resolve, reject) => {
      sftp.fastPut(localPath, staged, (e) => (e ? reject(new RemoteCommandError(this.host, `upload ${localPath}`, 1, e.message)) : resolve()));
    });
    const home = await this.execRaw('pwd', { sudo: false });
    const stagedAbs = posix.join(home.stdout.toString('utf8').trim(), staged);
    const script = installScript(remotePath, { mode }, `cat -- "$staged" > "$tmp"`);
    const r = await this.execRaw(`staged=${shellQuote(stagedAbs)}; trap 'rm -f -- "$staged"' EXIT; ${script}`);
    if (r.code !== 0) throw new RemoteCommandError(this.host, `upload ${remotePath}`, r.code, r.stderr.toString('utf8'));
  }

  /**
   * Stream a remote file (read with the host's sudo setting) into `localPath`, created with `mode`:
   * never held in memory whole, so a snapshot of gigabytes is fine. The bytes land in
   * `localPath.part` and are renamed into place only when the remote read succeeded.
   */
  async download(remotePath: string, localPath: string, mode: number): Promise<DownloadResult> {
    await this.channels.acquire();
    try {
      return await this.downloadChannel(remotePath, localPath, mode);
    } finally {
      this.channels.release();
    }
  }

  private async downloadChannel(remotePath: string, localPath: string, mode: number): Promise<DownloadResult> {
    const shown = `download ${remotePath}`;
    if (this.closed !== undefined) throw new ConnectionLostError(this.host, shown, this.closed);
    const q = shellQuote(remotePath);
    const { line } = this.wrap(`if [ -f ${q} ]; then exec cat -- ${q}; else echo 'no such file' >&2; exit 44; fi`, undefined);
    const part = `${localPath}.part`;
    const started = performance.now();
    this.log?.(`${this.host}: ${shown}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const outcome = await new Promise<{ code: number; stderr: string }>((resolve, reject) => {
      const onLost = (reason: string) => reject(new ConnectionLostError(this.host, shown, reason));
      this.pending.add(onLost);
      const settle = (fn: () => void) => {
        this.pending.delete(onLost);
        fn();
      };
      this.client.exec(line, (e, stream) => {
        if (e) return settle(() => reject(new ConnectionLostError(this.host, shown, e.message)));
        const file = createWriteStream(part, { mode });
        const err: Buffer[] = [];
        let code: number | undefined;
        stream.stderr.on('data', (d: Buffer) => err.push(d));
        stream.on('data', (d: Buffer) => {
          hash.update(d);
          bytes += d.length;
        });
        stream.on('exit', (c: number | null) => (code = c ?? 128 + 9));
        file.on('error', (fe) => {
          stream.close();
          settle(() => reject(new TransportError(this.host, `${this.host}: cannot write ${part}: ${fe.message}`)));
        });
        // pipe() pauses the channel while the local disk is behind, so memory stays bounded.
        stream.pipe(file);
        // The exit status may arrive after the data's end: wait for the channel and the file both.
        let waiting = 2;
        const both = () => {
          if (--waiting > 0) return;
          if (code === undefined)
            return settle(() => reject(new ConnectionLostError(this.host, shown, this.closed ?? 'channel closed without an exit status')));
          settle(() => resolve({ code: code!, stderr: Buffer.concat(err).toString('utf8') }));
        };
        file.on('finish', both);
        stream.on('close', both);
        stream.end();
      });
    }).catch(async (e: unknown) => {
      await rm(part, { force: true });
      throw e;
    });
    if (outcome.code !== 0) {
      await rm(part, { force: true });
      throw new RemoteCommandError(this.host, shown, outcome.code, outcome.stderr);
    }
    await rename(part, localPath);
    return { bytes, sha256: hash.digest('hex'), durationMs: performance.now() - started };
  }

  private sftp(): Promise<SFTPWrapper> {
    if (!this.sftpSession) {
      this.sftpSession = new Promise((resolve, reject) => {
        this.client.sftp((e, s) => (e ? reject(new ConnectionLostError(this.host, 'sftp', e.message)) : resolve(s)));
      });
      this.sftpSession.catch(() => (this.sftpSession = undefined));
    }
    return this.sftpSession;
  }

  async close(): Promise<void> {
    if (this.closed !== undefined) return;
    this.closed = 'closed by hactl';
    await endClient(this.client);
  }
}

const NAME = /^([a-z_][a-z0-9_.-]*\$?|[0-9]+)$/i;

/**
 * A script that fills a temp file in the target's directory (`fill` writes "$tmp"), sets mode
 * and owner, and renames it over the target: readers see the old or the new file, never half.
 * `-T`: a directory in the target's place makes the rename fail rather than take the file inside it.
 */
export function installScript(path: string, opts: WriteFileOptions, fill: string): string {
  if (!path.startsWith('/')) throw new Error(`remote paths must be absolute: ${path}`);
  if (!Number.isInteger(opts.mode) || opts.mode < 0 || opts.mode > 0o7777) throw new Error(`bad mode ${opts.mode}`);
  for (const n of [opts.owner, opts.group]) if (n !== undefined && !NAME.test(n)) throw new Error(`bad user or group name: ${n}`);
  const dir = posix.dirname(path);
  const chown =
    opts.owner !== undefined || opts.group !== undefined
      ? `chown ${shellQuote(`${opts.owner ?? ''}${opts.group !== undefined ? `:${opts.group}` : ''}`)} "$tmp" &&`
      : '';
  return (
    `tmp=$(mktemp ${shellQuote(`${dir}/.hactl.XXXXXX`)}) || exit 1; ` +
    `if ${fill} && chmod ${opts.mode.toString(8).padStart(4, '0')} "$tmp" && ${chown} mv -f -T -- "$tmp" ${shellQuote(path)}; ` +
    `then :; else rm -f -- "$tmp"; exit 1; fi`
  );
}
