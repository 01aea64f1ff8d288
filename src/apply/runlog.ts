// The run log: one directory per apply (default ./.hactl/runs/<timestamp>-<id>/) with one file per
// host holding every command hactl ran there, its exit code, duration and output, and events.log
// with the walk's events. Commands carrying a secret are logged as their CommandLine shows them,
// secrets a step printed are masked in all that follows; file contents are never written (only
// path, mode and size), so a sensitive file cannot leak through the log.

import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { maskSecrets, type CommandLine, type SecretField, type Sensitive } from '../transport/sensitive.js';
import type { ExecOptions, ExecResult, Observation, Transport, WriteFileOptions } from '../transport/transport.js';

export const DEFAULT_LOG_ROOT = '.hactl/runs';

/** Output longer than this is cut in the middle: the start says what ran, the end why it stopped. */
const MAX_OUTPUT = 64 * 1024;

function clip(s: string): string {
  if (s.length <= MAX_OUTPUT) return s;
  const half = MAX_OUTPUT / 2;
  return `${s.slice(0, half)}\n... (${s.length - MAX_OUTPUT} characters left out) ...\n${s.slice(-half)}`;
}

function indent(s: string): string {
  return s
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/** What a call declares secret in what it prints: values a step printed before, fields of its output. */
interface Secrets {
  values?: readonly Sensitive[];
  fields?: readonly SecretField[];
}

export class RunLog {
  readonly dir: string;
  readonly id: string;
  private readonly secrets: Sensitive[] = [];

  constructor(opts: { root?: string; id: string; startedAt?: Date }) {
    const at = (opts.startedAt ?? new Date())
      .toISOString()
      .replace(/[:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    this.id = opts.id;
    this.dir = join(opts.root ?? DEFAULT_LOG_ROOT, `${at}-${safeName(opts.id).slice(0, 8)}`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  addSecrets(secrets: readonly Sensitive[]): void {
    this.secrets.push(...secrets);
  }

  mask(text: string, extra: Secrets = {}): string {
    return maskSecrets(text, { values: [...this.secrets, ...(extra.values ?? [])], fields: extra.fields ?? [] });
  }

  fileFor(host: string): string {
    return join(this.dir, `${safeName(host)}.log`);
  }

  private append(file: string, text: string, extra: Secrets = {}): void {
    try {
      appendFileSync(file, this.mask(text, extra), { mode: 0o600 });
    } catch {
      // A full disk must not turn a working apply into a failed one.
    }
  }

  /** A line in the host's log, time-stamped. */
  host(host: string, line: string, extra: Secrets = {}): void {
    this.append(this.fileFor(host), `[${new Date().toISOString()}] ${line}\n`, extra);
  }

  /** One command and its outcome. */
  command(host: string, entry: { resource?: string; command: string; result?: ExecResult; error?: string; stdin?: boolean }, extra: Secrets = {}): void {
    const lines = [`[${new Date().toISOString()}] ${entry.resource ? `${entry.resource}: ` : ''}$ ${entry.command}${entry.stdin ? ' (with input)' : ''}`];
    if (entry.result) {
      lines.push(`  exit ${entry.result.code} in ${Math.round(entry.result.durationMs)} ms`);
      if (entry.result.stdout) lines.push('  stdout:', indent(clip(entry.result.stdout)));
      if (entry.result.stderr) lines.push('  stderr:', indent(clip(entry.result.stderr)));
    }
    if (entry.error) lines.push(`  error: ${entry.error}`);
    this.append(this.fileFor(host), lines.join('\n') + '\n', extra);
  }

  /** The run's own events (start, walk events, summary). */
  event(line: string): void {
    this.append(join(this.dir, 'events.log'), `[${new Date().toISOString()}] ${line}\n`);
  }
}

/**
 * A Transport that logs every call into the run log under the current resource's name, masking
 * the run's secrets and those the call declares.
 */
export class LoggedTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly log: RunLog,
    private readonly resource?: string,
  ) {}

  get host(): string {
    return this.inner.host;
  }

  get readOnly(): boolean {
    return this.inner.readOnly;
  }

  async exec(cmd: string | CommandLine, opts?: ExecOptions): Promise<ExecResult> {
    const secrets = { values: opts?.secrets ?? [], fields: opts?.secretFields ?? [] };
    const base = {
      command: typeof cmd === 'string' ? cmd : cmd.shown,
      stdin: opts?.stdin !== undefined,
      ...(this.resource ? { resource: this.resource } : {}),
    };
    try {
      const result = await this.inner.exec(cmd, opts);
      this.log.command(this.host, { ...base, result }, secrets);
      return result;
    } catch (e) {
      this.log.command(this.host, { ...base, error: (e as Error).message }, secrets);
      throw e;
    }
  }

  async observe(o: Observation): Promise<ExecResult> {
    const start = Date.now();
    try {
      const r = await this.inner.observe(o);
      // The probe's output is the facts, not a record of what happened: its size is enough.
      this.log.host(
        this.host,
        `${this.resource ? `${this.resource}: ` : ''}observe ${o.name}: exit ${r.code} in ${Math.round(r.durationMs)} ms, ${r.stdout.length} bytes`,
      );
      return r;
    } catch (e) {
      this.log.host(this.host, `${this.resource ? `${this.resource}: ` : ''}observe ${o.name}: error after ${Date.now() - start} ms: ${(e as Error).message}`);
      throw e;
    }
  }

  readFile(path: string): Promise<Buffer | undefined> {
    return this.inner.readFile(path);
  }

  async writeFile(path: string, content: string | Buffer, opts: WriteFileOptions): Promise<void> {
    const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
    const what = `${this.resource ? `${this.resource}: ` : ''}write ${path} (mode ${opts.mode.toString(8).padStart(4, '0')}${opts.owner ? `, ${opts.owner}:${opts.group ?? ''}` : ''}, ${size} bytes)`;
    const start = Date.now();
    try {
      await this.inner.writeFile(path, content, opts);
      this.log.host(this.host, `${what}: done in ${Date.now() - start} ms`);
    } catch (e) {
      this.log.host(this.host, `${what}: error: ${(e as Error).message}`);
      throw e;
    }
  }

  upload(localPath: string, remotePath: string, mode: number): Promise<void> {
    this.log.host(this.host, `${this.resource ? `${this.resource}: ` : ''}upload ${localPath} to ${remotePath}`);
    return this.inner.upload(localPath, remotePath, mode);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
