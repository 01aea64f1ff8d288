// Bundles the CLI into dist/ with esbuild: each command one module (dist/commands/NAME.js, what
// oclif's manifest points at), what they share in dist/chunks/, and @oclif/core itself in
// dist/oclif.js, which bin/run.js starts from. Node then reads a few files instead of resolving
// and loading hundreds of modules (most of a short command's start-up time).
// Type checking is `npm run typecheck`'s job; this only emits.
//
//   node scripts/bundle.mjs [--readable]   --readable: not minified, for CPU profiles by line
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PATCHES } from './bundle-patches.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const commandsDir = join(root, 'src', 'commands');
const OCLIF_ENTRY = 'hactl:oclif-entry';

/**
 * Code from node_modules keeps working where it stays installed: `__dirname`/`__filename` (which
 * ESM output lacks) are resolved at run time through the package's own location, and native
 * addons (`.node`, and the optional `cpu-features`) are loaded from the package, not bundled.
 */
const nodeModulesPlugin = {
  name: 'hactl-node-modules',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => ({ path: packageSpecifier(join(args.resolveDir, args.path)), external: true }));
    b.onResolve({ filter: /^cpu-features$/ }, () => ({ path: 'cpu-features', external: true }));
    b.onResolve({ filter: new RegExp(`^${OCLIF_ENTRY}$`) }, () => ({ path: OCLIF_ENTRY, namespace: 'hactl' }));
    b.onLoad({ filter: /.*/, namespace: 'hactl' }, () => ({
      contents: "export { execute, run, flush, handle, settings, Config } from '@oclif/core';",
      resolveDir: root,
      loader: 'js',
    }));
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, (args) => {
      const [pkg, sub] = packageParts(args.path);
      const original = readFileSync(args.path, 'utf8');
      const text = patched(pkg, sub, original);
      if (!/\b__(dirname|filename)\b/.test(text)) return text === original ? undefined : { contents: text, loader: 'js' };
      const prelude = `var __filename = __hactlInstalledFile(${JSON.stringify(pkg)}, ${JSON.stringify(sub)}), __dirname = __hactlDirname(__filename);`;
      return { contents: `${prelude}\n${text}`, loader: 'js' };
    });
  },
};

function patched(pkg, sub, text) {
  for (const p of PATCHES) {
    if (p.pkg !== pkg || p.sub !== sub) continue;
    if (text.includes(p.find)) text = text.replace(p.find, p.replace);
    else console.error(`bundle: ${pkg}/${sub} changed, not patched: ${p.find}`);
  }
  return text;
}

/** `.../node_modules/@scope/pkg/lib/x.js` as ['@scope/pkg', 'lib/x.js']. */
function packageParts(path) {
  const parts = relative(root, path).split(sep);
  const i = parts.lastIndexOf('node_modules');
  if (i < 0) throw new Error(`not in node_modules: ${path}`);
  const n = parts[i + 1].startsWith('@') ? 2 : 1;
  return [parts.slice(i + 1, i + 1 + n).join('/'), parts.slice(i + 1 + n).join('/')];
}

/** `.../node_modules/pkg/lib/x.node` as `pkg/lib/x.node`, which `require` resolves wherever pkg is installed. */
function packageSpecifier(path) {
  return packageParts(path).join('/');
}

// Every output file starts with this: bundled CommonJS calls require(), which ESM lacks, and the
// plugin above locates bundled files where their package is installed (falling back to the
// bundle's own path for a package that does not export its package.json).
const BANNER = [
  "import { createRequire as __hactlCreateRequire } from 'node:module';",
  "import { dirname as __hactlDirname, join as __hactlJoin } from 'node:path';",
  "import { fileURLToPath as __hactlFileURLToPath } from 'node:url';",
  'const require = __hactlCreateRequire(import.meta.url);',
  // Resolved once per package: resolution walks the file system, and a package's files ask alike.
  'const __hactlPackageDirs = new Map();',
  'function __hactlInstalledFile(pkg, sub) {',
  '  let dir = __hactlPackageDirs.get(pkg);',
  "  if (dir === undefined) { try { dir = __hactlDirname(require.resolve(pkg + '/package.json')); } catch { dir = null; } __hactlPackageDirs.set(pkg, dir); }",
  '  return dir === null ? __hactlFileURLToPath(import.meta.url) : __hactlJoin(dir, sub);',
  '}',
].join('\n');

const readable = process.argv.includes('--readable');
// Topics are folders (src/commands/etcd/snapshot.ts is `hactl etcd snapshot`).
const commands = readdirSync(commandsDir, { recursive: true }).filter((f) => f.endsWith('.ts')).map((f) => f.split(sep).join('/'));
rmSync(dist, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: [
    ...commands.map((f) => ({ in: join(commandsDir, f), out: `commands/${f.replace(/\.ts$/, '')}` })),
    { in: OCLIF_ENTRY, out: 'oclif' },
  ],
  outdir: dist,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Smaller files parse faster; names are kept for readable stack traces.
  minifyWhitespace: !readable,
  minifySyntax: !readable,
  banner: { js: BANNER },
  // typescript: only oclif's development mode (TypeScript sources) loads it. semver: only oclif's
  // Node version check, which bin/run.js turns off (package.json's engines says it); loaded from
  // node_modules if it runs after all.
  external: ['typescript', 'semver'],
  plugins: [nodeModulesPlugin],
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const total = outputs.reduce((n, [, o]) => n + o.bytes, 0);
console.error(`dist/: ${commands.length} commands, ${outputs.length} files, ${(total / 1024).toFixed(0)} KiB (${relative(root, dirname(fileURLToPath(import.meta.url)))}/bundle.mjs)`);
