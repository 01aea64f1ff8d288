// The hactl command line as users run it (bin/run.js, oclif), with only the commands a test needs
// compiled into a scratch package: a test does not depend on the rest of the tree building.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Run {
  status: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliPackage {
  dir: string;
  /** Run hactl to the end (cwd: the repository root, no colours). */
  run(args: string[], opts?: { timeoutMs?: number }): Run;
  /** Start hactl in the background; `waitFor` resolves when its stdout matches. */
  start(args: string[]): Background;
  remove(): void;
}

export interface Background {
  pid: number;
  done: Promise<Run>;
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
}

/** Compiles src/commands/<command>.ts for each of `commands` (and what they import) into a scratch package. */
export function compileCli(commands: readonly string[], prefix = 'hactl-cli-'): CliPackage {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // tsc's output is a tree, not the bundle package.json names: oclif finds its commands by file.
  const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { oclif: { commands: unknown; hooks?: unknown } };
  pjson.oclif.commands = './dist/commands';
  // "Did you mean" from its own compiled module rather than the bundle.
  pjson.oclif.hooks = { command_not_found: { target: './dist/cli/not-found.js', identifier: 'commandNotFound' } };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pjson));
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(ROOT, 'schemas'), join(dir, 'schemas'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: { rootDir: join(ROOT, 'src'), outDir: join(dir, 'dist'), noEmit: false, sourceMap: false },
      include: [],
      files: [...commands.map((c) => join(ROOT, 'src/commands', `${c}.ts`)), join(ROOT, 'src/cli/not-found.ts')],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  if (tsc.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  }
  const argv = (args: string[]) => [join(dir, 'bin/run.js'), ...args];
  const env = { ...process.env, NO_COLOR: '1' };
  return {
    dir,
    run(args, opts = {}) {
      const started = Date.now();
      const r = spawnSync(process.execPath, argv(args), { cwd: ROOT, encoding: 'utf8', env, timeout: opts.timeoutMs ?? 1_500_000 });
      return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
    },
    start(args) {
      const started = Date.now();
      const child = spawn(process.execPath, argv(args), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const watchers: { re: RegExp; resolve: () => void }[] = [];
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        for (const w of [...watchers]) {
          if (!w.re.test(stdout)) continue;
          watchers.splice(watchers.indexOf(w), 1);
          w.resolve();
        }
      });
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const done = new Promise<Run>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr, ms: Date.now() - started })));
      return {
        pid: child.pid!,
        done,
        waitFor: (re, timeoutMs = 300_000) =>
          new Promise<void>((resolve, reject) => {
            if (re.test(stdout)) return resolve();
            const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${stdout}\n${stderr}`)), timeoutMs);
            watchers.push({ re, resolve: () => (clearTimeout(t), resolve()) });
            void done.then(() => (re.test(stdout) ? resolve() : reject(new Error(`hactl ended before ${re}:\n${stdout}\n${stderr}`))));
          }),
      };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The run's status must be `status`; otherwise fail with what hactl printed. */
export function expectStatus(r: Run, status: number): void {
  if (r.status !== status)
    throw new Error(`hactl exited ${r.status}${r.signal ? ` (${r.signal})` : ''}, expected ${status}:\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-3000)}`);
}
