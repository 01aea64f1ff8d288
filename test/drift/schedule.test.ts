import { describe, expect, it } from 'vitest';
import { firstTick, parseSchedule, runOnSchedule, ScheduleError, tickAfter, ticksSkipped, type Schedule } from '../../src/drift/schedule.js';

const T0 = new Date('2026-11-22T08:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

describe('parseSchedule', () => {
  it('reads --every as a duration and --cron as five crontab fields', () => {
    expect(parseSchedule({})).toBeUndefined();
    expect(parseSchedule({ every: '15m' })).toMatchObject({ kind: 'every', everyMs: 900_000 });
    expect(parseSchedule({ every: '1h30m' })).toMatchObject({ kind: 'every', everyMs: 5_400_000 });
    expect(parseSchedule({ cron: '*/15 * * * *' })).toMatchObject({ kind: 'cron', text: '*/15 * * * *' });
    expect(parseSchedule({ cron: '0 3 * * mon-fri' })?.kind).toBe('cron');
  });

  it('refuses what it cannot schedule, saying why', () => {
    expect(() => parseSchedule({ every: '15m', cron: '* * * * *' })).toThrow(/cannot be used together/);
    expect(() => parseSchedule({ every: 'often' })).toThrow(/--every: not a duration: "often"/);
    expect(() => parseSchedule({ every: '500ms' })).toThrow(/at least 1s/);
    expect(() => parseSchedule({ every: '0s' })).toThrow(ScheduleError);
    expect(() => parseSchedule({ cron: '*/15 * * *' })).toThrow(/--cron "\*\/15 \* \* \*": .*five fields/);
    expect(() => parseSchedule({ cron: '0 */15 * * * *' })).toThrow(/requires exactly 5 parts/);
    expect(() => parseSchedule({ cron: '61 * * * *' })).toThrow(/Invalid value for minute: 61/);
    expect(() => parseSchedule({ cron: 'every day' })).toThrow(ScheduleError);
  });
});

describe('ticks', () => {
  const every = parseSchedule({ every: '10s' })!;
  const cron = parseSchedule({ cron: '*/15 * * * *' })!;

  it('--every: at once, then on the interval from the start', () => {
    expect(firstTick(every, T0)).toEqual(T0);
    expect(tickAfter(every, T0, T0)).toEqual(at(10));
    expect(tickAfter(every, T0, at(7))).toEqual(at(10));
    expect(tickAfter(every, T0, at(10))).toEqual(at(20));
    expect(tickAfter(every, T0, at(25.5))).toEqual(at(30));
  });

  it('--cron: the next matching minute, never the current instant', () => {
    const first = firstTick(cron, new Date('2026-11-22T08:07:30.000Z'));
    expect(first.getMinutes() % 15).toBe(0);
    expect(first.getSeconds()).toBe(0);
    expect(first.getTime() - new Date('2026-11-22T08:07:30.000Z').getTime()).toBeLessThanOrEqual(15 * 60_000);
    const next = tickAfter(cron, T0, first);
    expect(next.getTime() - first.getTime()).toBe(15 * 60_000);
  });

  it('counts the ticks a run overran', () => {
    expect(ticksSkipped(every, T0, T0, at(9))).toBe(0);
    expect(ticksSkipped(every, T0, T0, at(25))).toBe(2);
    const first = firstTick(cron, T0);
    expect(ticksSkipped(cron, T0, first, new Date(first.getTime() + 31 * 60_000))).toBe(2);
  });
});

/** A clock that only moves when the loop sleeps or a job "takes" time. */
function fakeClock() {
  let now = T0.getTime();
  return {
    now: () => new Date(now),
    advance: (ms: number) => void (now += ms),
    sleep: async (ms: number) => void (now += ms),
  };
}

describe('runOnSchedule', () => {
  it('never overlaps runs: ticks during a run are skipped, the next run starts on the schedule', async () => {
    const clock = fakeClock();
    const stop = new AbortController();
    const starts: number[] = [];
    const skipped: [number, number][] = [];
    let running = 0;
    let maxRunning = 0;
    const durations = [25_000, 1_000, 3_000];
    await runOnSchedule(
      parseSchedule({ every: '10s' })!,
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        starts.push((clock.now().getTime() - T0.getTime()) / 1000);
        clock.advance(durations[starts.length - 1]!);
        running--;
        if (starts.length === durations.length) stop.abort();
      },
      { signal: stop.signal, now: clock.now, sleep: clock.sleep, onSkipped: (n, next) => skipped.push([n, (next.getTime() - T0.getTime()) / 1000]) },
    );
    expect(starts).toEqual([0, 30, 40]);
    expect(skipped).toEqual([[2, 30]]);
    expect(maxRunning).toBe(1);
  });

  it('stops at once while waiting, and starts nothing after an abort during a run', async () => {
    const stop = new AbortController();
    let runs = 0;
    // A real wait that only an abort ends: the loop must return without a second run.
    const waiting = runOnSchedule(
      parseSchedule({ every: '1h' })!,
      async () => {
        runs++;
      },
      { signal: stop.signal },
    );
    await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await waiting;
    expect(runs).toBe(1);

    const stop2 = new AbortController();
    let finished = 0;
    await runOnSchedule(
      parseSchedule({ every: '1s' })!,
      async () => {
        stop2.abort();
        await new Promise((r) => setTimeout(r, 20));
        finished++;
      },
      { signal: stop2.signal },
    );
    expect(finished).toBe(1);
  });

  it('a cron schedule waits for its first matching time', async () => {
    const clock = fakeClock();
    const stop = new AbortController();
    const schedule: Schedule = parseSchedule({ cron: '*/15 * * * *' })!;
    const ticks: Date[] = [];
    await runOnSchedule(
      schedule,
      async (tick) => {
        ticks.push(tick);
        expect(clock.now().getTime()).toBe(tick.getTime());
        if (ticks.length === 2) stop.abort();
      },
      { signal: stop.signal, now: clock.now, sleep: clock.sleep },
    );
    expect(ticks[0]!.getTime()).toBeGreaterThan(T0.getTime() - 1);
    expect(ticks[1]!.getTime() - ticks[0]!.getTime()).toBe(15 * 60_000);
  });
});
