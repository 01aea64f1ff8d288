// `npm run lab -- ARGS` as a user runs it, in the background so that a VIP probe in this process
// keeps running; the lab lock is the e2e run's, so it passes. Its own log (stderr) is passed on.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from './cli.js';

export async function lab(...args: string[]): Promise<string> {
  const r = await promisify(execFile)(process.execPath, [`${ROOT}node_modules/tsx/dist/cli.mjs`, 'test/lab/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.stderr.trim() !== '') console.error(r.stderr.trimEnd());
  return r.stdout;
}
