// Brings the host lab (ha-stacked) up once for all end-to-end tests and always tears it down:
// after the run, when a test fails, and on SIGINT/SIGTERM. With HACTL_LAB_REUSE=1 a lab that is
// already up and healthy is used as is and left up afterwards (for quick local iterations).
import type { TestProject } from 'vitest/node';
import { acquireLabSession, interruptLabUp, labDown, labUp, readLabState, type LabState } from '../lab/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabState;
  }
}

const log = (m: string): void => console.error(`lab: ${m}`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reuse = process.env.HACTL_LAB_REUSE === '1';
  // Another test run on this machine keeps its lab until it ends: wait for it.
  const release = await acquireLabSession(log);
  let tornDown = false;
  const teardown = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    const started = Date.now();
    try {
      await labDown({ log });
      log(`torn down in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      release();
    }
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: tearing the lab down`);
    interruptLabUp(sig);
    teardown().finally(() => process.exit(130));
  };
  if (!reuse) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const started = Date.now();
  let state: LabState;
  try {
    state = await labUp({ topology: 'ha-stacked', fresh: !reuse, log });
  } catch (err) {
    release();
    throw err;
  }
  log(`ha-stacked ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('lab', state);
  return async () => {
    if (reuse && readLabState() !== undefined) {
      log('HACTL_LAB_REUSE=1: leaving the lab up (npm run lab -- down)');
      release();
      return;
    }
    await teardown();
  };
}
