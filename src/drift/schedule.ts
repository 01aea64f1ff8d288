// When a long-running `hactl drift` checks: `--every 15m` (at once, then every interval from the
// start) or `--cron "*/15 * * * *"` (the five crontab fields, in the local time zone, parsed by
// croner). Runs never overlap: a run that lasts past one or more ticks makes those ticks be
// skipped, and the next run starts at the first tick after it ended. Skipping rather than
// starting at once keeps runs on the schedule (a cron time means something to whoever wrote it)
// and keeps a cluster whose checks are always slow from being probed back to back.

import { Cron } from 'croner';
import { parseDuration, sleep as abortableSleep } from '../apply/duration.js';

export type Schedule = { kind: 'every'; text: string; everyMs: number } | { kind: 'cron'; text: string; cron: Cron };

/** Shorter intervals would be a busy loop against the hosts, not drift detection. */
export const MIN_EVERY_MS = 1_000;

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

/** The schedule the flags ask for; undefined for a one-shot run. */
export function parseSchedule(flags: { every?: string; cron?: string }): Schedule | undefined {
  if (flags.every !== undefined && flags.cron !== undefined) throw new ScheduleError('--every and --cron cannot be used together');
  if (flags.every !== undefined) {
    let everyMs: number;
    try {
      everyMs = parseDuration(flags.every);
    } catch (e) {
      throw new ScheduleError(`--every: ${(e as Error).message}`);
    }
    if (everyMs < MIN_EVERY_MS) throw new ScheduleError(`--every must be at least 1s, got "${flags.every}"`);
    return { kind: 'every', text: flags.every, everyMs };
  }
  if (flags.cron !== undefined) {
    try {
      // No callback: croner only evaluates the pattern and schedules nothing itself.
      return { kind: 'cron', text: flags.cron, cron: new Cron(flags.cron.trim(), { mode: '5-part' }) };
    } catch (e) {
      throw new ScheduleError(
        `--cron "${flags.cron}": ${(e as Error).message.replace(/^CronPattern: /, '')} (five fields: minute hour day-of-month month day-of-week)`,
      );
    }
  }
  return undefined;
}

/** The first tick of a schedule started at `start`: at once for --every, the next match for --cron. */
export function firstTick(schedule: Schedule, start: Date): Date {
  return schedule.kind === 'every' ? start : nextCronTick(schedule.cron, start);
}

/** The first tick strictly after `after`, for a schedule started at `start`. */
export function tickAfter(schedule: Schedule, start: Date, after: Date): Date {
  if (schedule.kind === 'cron') return nextCronTick(schedule.cron, after);
  const k = Math.floor((after.getTime() - start.getTime()) / schedule.everyMs) + 1;
  return new Date(start.getTime() + Math.max(1, k) * schedule.everyMs);
}

function nextCronTick(cron: Cron, after: Date): Date {
  const next = cron.nextRun(after);
  // A valid five-field pattern always matches again (croner gives up only past year 3000).
  if (next === null) throw new ScheduleError(`--cron "${cron.getPattern()}" never matches again`);
  return next;
}

/** Ticks strictly between `tick` and `ended`: the ones a run from `tick` that ended at `ended` overran. */
export function ticksSkipped(schedule: Schedule, start: Date, tick: Date, ended: Date): number {
  let n = 0;
  for (let t = tickAfter(schedule, start, tick); t.getTime() <= ended.getTime() && n < 10_000; t = tickAfter(schedule, start, t)) n++;
  return n;
}

export interface LoopOptions {
  /** Aborted on SIGINT/SIGTERM: no new run starts; a run in progress finishes. */
  signal: AbortSignal;
  now?: () => Date;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Told when a run overran ticks that are therefore skipped. */
  onSkipped?: (skipped: number, next: Date) => void;
}

/** Run `job` on every tick until `signal` aborts, one run at a time. */
export async function runOnSchedule(schedule: Schedule, job: (tick: Date) => Promise<void>, opts: LoopOptions): Promise<void> {
  const now = opts.now ?? (() => new Date());
  const sleep = opts.sleep ?? abortableSleep;
  const start = now();
  let tick = firstTick(schedule, start);
  while (!opts.signal.aborted) {
    const wait = tick.getTime() - now().getTime();
    if (wait > 0) await sleep(wait, opts.signal);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the signal may abort during the sleep above
    if (opts.signal.aborted) break;
    await job(tick);
    const ended = now();
    const skipped = ticksSkipped(schedule, start, tick, ended);
    tick = tickAfter(schedule, start, ended.getTime() > tick.getTime() ? ended : tick);
    if (skipped > 0) opts.onSkipped?.(skipped, tick);
  }
}
