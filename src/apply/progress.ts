// What the operator sees while apply runs, driven by the walker's events. On a terminal: a live
// view redrawn in place, per host, of running resources (elapsed time and current step) and
// finished ones (✓ ✗ skipped). Elsewhere (CI logs, pipes): one line per event. Then the summary.

import type { WalkEvent, WalkResult } from './walker.js';
import type { Plan } from '../plan/model.js';

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  rows?: number;
  columns?: number;
}

export interface ProgressOptions {
  out: ProgressStream;
  /** Live view; defaults to out.isTTY. */
  tty?: boolean;
  /** The host each resource id runs on. */
  hostOf: (id: string) => string;
  /** Hosts in display order (spec order). */
  hosts: readonly string[];
  now?: () => number;
  redrawMs?: number;
}

type Status =
  | { s: 'running'; since: number; step?: string }
  | { s: 'succeeded'; ms: number }
  | { s: 'failed'; ms: number; error: string }
  | { s: 'skipped'; because: string[] }
  | { s: 'cancelled' };

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

const clock = (t: number) => new Date(t).toISOString().slice(11, 19);

const firstLine = (s: string) => {
  const l = s.split('\n')[0] ?? '';
  return l.length > 200 ? `${l.slice(0, 197)}...` : l;
};

export class Progress {
  private readonly status = new Map<string, Status>();
  private readonly order: string[] = [];
  private readonly tty: boolean;
  private readonly now: () => number;
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly started: number;

  constructor(private readonly o: ProgressOptions) {
    this.tty = o.tty ?? o.out.isTTY === true;
    this.now = o.now ?? Date.now;
    this.started = this.now();
  }

  start(): void {
    if (this.tty && this.timer === undefined) {
      this.timer = setInterval(() => this.redraw(), this.o.redrawMs ?? 250);
      this.timer.unref();
    }
  }

  /** Final frame, then leave the terminal to whoever writes next. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.redraw();
    this.drawn = 0;
  }

  /** A message outside the per-resource view (stopping, lock waits). */
  note(line: string): void {
    if (this.tty) {
      this.clear();
      this.o.out.write(`${line}\n`);
      this.redraw();
    } else {
      this.o.out.write(`${clock(this.now())} ${line}\n`);
    }
  }

  onStep = (id: string, description: string): void => {
    const st = this.status.get(id);
    if (st?.s === 'running') st.step = description;
  };

  onEvent = (e: WalkEvent): void => {
    if (!this.status.has(e.id)) this.order.push(e.id);
    switch (e.type) {
      case 'started':
        this.status.set(e.id, { s: 'running', since: e.at });
        break;
      case 'succeeded':
        this.status.set(e.id, { s: 'succeeded', ms: e.durationMs });
        break;
      case 'failed':
        this.status.set(e.id, { s: 'failed', ms: e.durationMs, error: e.error });
        break;
      case 'skipped':
        this.status.set(e.id, { s: 'skipped', because: e.because });
        break;
      case 'cancelled':
        this.status.set(e.id, { s: 'cancelled' });
        break;
    }
    if (this.tty) this.redraw();
    else this.o.out.write(`${eventLine(e, this.o.hostOf(e.id))}\n`);
  };

  private clear(): void {
    if (this.drawn > 0) this.o.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  /** The live view's lines, for the current state. */
  frame(): string[] {
    const now = this.now();
    const byHost = new Map<string, string[]>();
    for (const id of this.order) {
      const h = this.o.hostOf(id);
      byHost.set(h, [...(byHost.get(h) ?? []), id]);
    }
    const width = Math.max(0, ...this.order.map((id) => id.length));
    const line = (id: string): string => {
      const st = this.status.get(id)!;
      const name = id.padEnd(width);
      switch (st.s) {
        case 'running':
          return `  ⠿ ${name}  ${formatDuration(now - st.since).padStart(6)}${st.step ? `  ${firstLine(st.step)}` : ''}`;
        case 'succeeded':
          return `  ✓ ${name}  ${formatDuration(st.ms).padStart(6)}`;
        case 'failed':
          return `  ✗ ${name}  ${formatDuration(st.ms).padStart(6)}  ${firstLine(st.error)}`;
        case 'skipped':
          return `  - ${name}  skipped (${st.because.join(', ')} failed)`;
        case 'cancelled':
          return `  · ${name}  cancelled`;
      }
    };
    const rows = this.o.out.rows ?? 50;
    const hosts = [...this.o.hosts.filter((h) => byHost.has(h)), ...[...byHost.keys()].filter((h) => !this.o.hosts.includes(h))];
    const full: string[] = [];
    for (const h of hosts) full.push(h, ...byHost.get(h)!.map(line));
    const running = [...this.status.values()].filter((s) => s.s === 'running').length;
    const header = `Applying: ${running} running, ${formatDuration(now - this.started)} elapsed`;
    if (full.length + 1 < rows) return [header, ...full];
    // Too tall for the terminal: finished successes become a count per host.
    const compact: string[] = [];
    for (const h of hosts) {
      const ids = byHost.get(h)!;
      const done = ids.filter((id) => this.status.get(id)!.s === 'succeeded').length;
      compact.push(`${h}  ${done} done`, ...ids.filter((id) => this.status.get(id)!.s !== 'succeeded').map(line));
    }
    return [header, ...compact.slice(0, Math.max(1, rows - 2))];
  }

  private redraw(): void {
    if (!this.tty) return;
    const cols = this.o.out.columns ?? 120;
    const lines = this.frame().map((l) => (l.length > cols - 1 ? `${l.slice(0, cols - 2)}…` : l));
    this.clear();
    this.o.out.write(lines.join('\n') + '\n');
    this.drawn = lines.length;
  }
}

export function eventLine(e: WalkEvent, host: string): string {
  const t = clock(e.at);
  switch (e.type) {
    case 'started':
      return `${t} ${host}: ${e.id}: started`;
    case 'succeeded':
      return `${t} ${host}: ${e.id}: done (${formatDuration(e.durationMs)})`;
    case 'failed':
      return `${t} ${host}: ${e.id}: FAILED (${formatDuration(e.durationMs)}): ${e.error}`;
    case 'skipped':
      return `${t} ${host}: ${e.id}: skipped (because ${e.because.join(', ')} failed)`;
    case 'cancelled':
      return `${t} ${host}: ${e.id}: cancelled`;
  }
}

export interface ApplyCounts {
  added: number;
  changed: number;
  destroyed: number;
}

/** Terraform's counting, over the resources that succeeded. */
export function countApplied(plan: Pick<Plan, 'changes'>, succeeded: readonly string[]): ApplyCounts {
  const done = new Set(succeeded);
  const c: ApplyCounts = { added: 0, changed: 0, destroyed: 0 };
  for (const ch of plan.changes) {
    if (!done.has(ch.id)) continue;
    if (ch.action === 'create') c.added++;
    else if (ch.action === 'update') c.changed++;
    else if (ch.action === 'delete') c.destroyed++;
    else if (ch.action === 'replace') {
      c.added++;
      c.destroyed++;
    }
  }
  return c;
}

/** The final report: what succeeded, failed (why), was skipped (because of what), was cancelled. */
export function renderSummary(result: WalkResult, plan: Pick<Plan, 'changes'>, opts: { stoppedBy?: string } = {}): string {
  const out: string[] = [];
  const list = (title: string, items: string[]) => {
    if (items.length === 0) return;
    out.push(`${title} (${items.length}):`, ...items.map((i) => `  ${i}`));
  };
  list('Succeeded', result.succeeded);
  list(
    'Failed',
    result.failed.map((f) => `${f.id}: ${f.error}`),
  );
  list(
    'Skipped',
    result.skipped.map((s) => `${s.id} (because ${s.because.join(', ')} failed)`),
  );
  list('Cancelled', result.cancelled);
  if (out.length > 0) out.push('');
  const c = countApplied(plan, result.succeeded);
  const counts = `Resources: ${c.added} added, ${c.changed} changed, ${c.destroyed} destroyed.`;
  if (result.failed.length === 0 && result.skipped.length === 0 && result.cancelled.length === 0) {
    out.push(`Apply complete! ${counts}`);
  } else {
    const why = opts.stoppedBy ? ` (${opts.stoppedBy})` : '';
    out.push(`Apply failed${why}. ${counts.replace('Resources:', 'Resources applied before it stopped:')}`);
  }
  return out.join('\n') + '\n';
}
