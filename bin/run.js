#!/usr/bin/env node
// `npm run build` bundles @oclif/core with the commands into dist/hactl.cjs (scripts/bundle.mjs),
// which this compiles with V8's code cache. A tree compiled by tsc alone (no bundle; its
// package.json pointing oclif at dist/commands, as the tests' scratch packages do) runs on
// @oclif/core as installed.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

// Writes to a pipe are queued when the reader is slower; a command that exits with a status (a plan
// with errors, piped to jq) would lose the queued rest of its output. Blocking writes keep it.
for (const stream of [process.stdout, process.stderr]) stream._handle?.setBlocking?.(true);

// oclif compares the Node version with its own engines range (semver) at every start; npm has
// already checked package.json's, which is stricter.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';

const argv = process.argv.slice(2);
const bundle = fileURLToPath(new URL('../dist/hactl.cjs', import.meta.url));
if (existsSync(bundle)) {
  // With --enable-source-maps, through Node's own loader, which maps stack traces to src/ (code
  // compiled by vm is not mapped), without the code cache.
  const cli = process.sourceMapsEnabled ? createRequire(import.meta.url)(bundle) : loadBundle(bundle);
  await cli.run(argv, import.meta.url);
} else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}

/**
 * The bundle, compiled from V8's code cache when an earlier run of the same command left one: code
 * that run compiled is neither parsed nor compiled again (a quarter of a short command's CPU time).
 * Node 20 caches CommonJS only, hence a CommonJS bundle compiled here rather than imported.
 *
 * One cache per command in dist/v8-cache/, named after the bundle's size and modification time:
 * V8 itself checks its version, its flags and only the length of the source, so a rebuilt bundle
 * must not meet an old cache. Written at exit when missing or rejected (another Node, other
 * flags); where dist/ is read-only, hactl runs without.
 */
function loadBundle(file) {
  const { size, mtimeMs } = statSync(file);
  const cacheDir = join(dirname(file), 'v8-cache');
  const cacheFile = (key) => join(cacheDir, `${key}.${size}-${Math.trunc(mtimeMs)}.cache`);
  let readKey;
  let cachedData;
  for (const key of cacheKeys(argv)) {
    try {
      cachedData = readFileSync(cacheFile(key));
      readKey = key;
      break;
    } catch {
      // No cache for this key yet (or unreadable): compile without.
    }
  }
  // CommonJS's own wrapper, as Node's loader would compile the file.
  const source = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'utf8')}\n});`;
  const script = new vm.Script(source, { filename: file, cachedData });
  // Registered before it runs: oclif requires the bundle for its commands (package.json
  // `oclif.commands`) and must get this instance.
  const require = createRequire(file);
  const module = new Module(file);
  module.filename = file;
  require.cache[file] = module;
  script.runInThisContext().call(module.exports, module.exports, require, module, file, dirname(file));
  module.loaded = true;

  const cli = module.exports;
  process.on('exit', () => {
    const key = cli.commandOf(argv) ?? 'all';
    if (cachedData !== undefined && !script.cachedDataRejected && readKey === key) return;
    const tmp = `${cacheFile(key)}.${process.pid}.tmp`;
    try {
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile(key));
    } catch {
      // Nothing to clean where the directory could not be made; a half-written file otherwise.
      try {
        rmSync(tmp, { force: true });
      } catch {
        // Nothing more to do: the cache is an optimisation.
      }
    }
  });
  return cli;
}

/**
 * The caches that may fit: the command the leading words could name (`etcd snapshot` is
 * etcd:snapshot), shorter first words, then the cache of a run that loaded every command.
 * Only words a command id can hold make a file name. A guess made before the bundle is loaded
 * (src/cli/commands.ts' selectCommand decides which command runs, and so which cache is written).
 */
function cacheKeys(args) {
  const words = [];
  for (const a of args) {
    if (a.startsWith('-') || words.length === 2) break;
    if (!/^[a-z][a-z0-9-]*(:[a-z][a-z0-9-]*)*$/.test(a)) break;
    words.push(...a.split(':'));
  }
  const keys = [];
  for (let n = Math.min(words.length, 2); n > 0; n--) keys.push(words.slice(0, n).join(':'));
  return [...keys, 'all'];
}
