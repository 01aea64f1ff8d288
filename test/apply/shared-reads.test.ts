// Concurrent readers of the cluster facts share reads, and each gets a read begun after it asked.

import { describe, expect, it } from 'vitest';
import { sharedReads } from '../../src/apply/shared-reads.js';

/** A read whose answers are released by hand: `started` counts reads, `finish(i)` ends the i-th. */
function manualRead() {
  const ends: Array<(v: number) => void> = [];
  const fails: Array<(e: Error) => void> = [];
  let started = 0;
  const read = (): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      const n = ++started;
      ends.push(() => resolve(n));
      fails.push(reject);
    });
  return { read, started: () => started, finish: (i: number) => ends[i]!(0), fail: (i: number) => fails[i]!(new Error(`read ${i + 1} failed`)) };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('shared reads', () => {
  it('callers that ask during a read share the next one; a caller never gets a read begun before it asked', async () => {
    const m = manualRead();
    const shared = sharedReads(m.read);
    const first = shared(undefined);
    const during = [shared(undefined), shared(undefined), shared(undefined)];
    expect(m.started()).toBe(1);
    m.finish(0);
    await tick();
    // The first read ended; the three that asked while it ran get one read begun after that.
    expect(m.started()).toBe(2);
    m.finish(1);
    expect(await first).toBe(1);
    expect(await Promise.all(during)).toEqual([2, 2, 2]);
    // Nothing running: the next caller starts its own read at once.
    const later = shared(undefined);
    expect(m.started()).toBe(3);
    m.finish(2);
    expect(await later).toBe(3);
  });

  it('a failed read fails only its own callers; the queued read still runs', async () => {
    const m = manualRead();
    const shared = sharedReads(m.read);
    const first = shared(undefined);
    const second = shared(undefined);
    m.fail(0);
    await expect(first).rejects.toThrow('read 1 failed');
    await tick();
    expect(m.started()).toBe(2);
    m.finish(1);
    expect(await second).toBe(2);
  });
});
