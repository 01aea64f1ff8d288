// promtool (Debian: prometheus; scripts/setup.sh installs it). Tests that need it run when it is
// installed; in CI (CI=true) a missing promtool fails them instead of skipping them.
import { spawnSync } from 'node:child_process';

export const PROMTOOL = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
export const PROMTOOL_REQUIRED = process.env.CI === 'true';
/** Run the test: promtool is there, or CI must see it fail. */
export const RUN_PROMTOOL = PROMTOOL || PROMTOOL_REQUIRED;

export function promtool(args: string[], input?: string, cwd?: string): { status: number | null; output: string } {
  if (!PROMTOOL) throw new Error('promtool is not installed (Debian: apt-get install prometheus; scripts/setup.sh installs it)');
  const r = spawnSync('promtool', args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}), ...(cwd !== undefined ? { cwd } : {}) });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
