// Bundles the CLI into one CommonJS file, dist/hactl.cjs, with esbuild: @oclif/core, the packages
// and every command (src/cli/main.ts), each command's modules evaluated only when it runs. Node
// then reads one file instead of resolving and loading hundreds of modules, and bin/run.js can
// compile it with V8's code cache, which Node 20 offers for CommonJS only (most of a short
// command's start-up is compiling).
// Type checking is `npm run typecheck`'s job; this only emits.
//
//   node scripts/bundle.mjs [--readable]   --readable: not minified, for CPU profiles by line
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PATCHES } from './bundle-patches.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const BUNDLE = join(dist, 'hactl.cjs');

/**
 * Code keeps working where it stays: in node_modules, `__dirname`/`__filename` are resolved at run
 * time through the package's own location, and native addons (`.node`, and the optional
 * `cpu-features`) are loaded from the package, not bundled. In src/, `import.meta.url` (which
 * CommonJS lacks) is the module's own source file, so that paths relative to it (the schemas)
 * resolve as in the tree.
 */
const locationsPlugin = {
  name: 'hactl-locations',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => ({ path: packageSpecifier(join(args.resolveDir, args.path)), external: true }));
    b.onResolve({ filter: /^cpu-features$/ }, () => ({ path: 'cpu-features', external: true }));
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, (args) => {
      const [pkg, sub] = packageParts(args.path);
      const original = readFileSync(args.path, 'utf8');
      const text = patched(pkg, sub, original);
      if (!/\b__(dirname|filename)\b/.test(text)) return text === original ? undefined : { contents: text, loader: 'js' };
      const prelude = `var __filename = __hactlInstalledFile(${JSON.stringify(pkg)}, ${JSON.stringify(sub)}), __dirname = __hactlDirname(__filename);`;
      return { contents: `${prelude}\n${text}`, loader: 'js' };
    });
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const source = relative(root, args.path).split(sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `__hactlSourceUrl(${JSON.stringify(source)})`), loader: 'ts' };
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

// The helpers the plugin's rewrites call. A package that does not export its package.json falls
// back to the bundle's own path.
const BANNER = [
  "const { dirname: __hactlDirname, join: __hactlJoin } = require('node:path');",
  // Resolved once per package: resolution walks the file system, and a package's files ask alike.
  'const __hactlPackageDirs = new Map();',
  'function __hactlInstalledFile(pkg, sub) {',
  '  let dir = __hactlPackageDirs.get(pkg);',
  "  if (dir === undefined) { try { dir = __hactlDirname(require.resolve(pkg + '/package.json')); } catch { dir = null; } __hactlPackageDirs.set(pkg, dir); }",
  '  return dir === null ? __filename : __hactlJoin(dir, sub);',
  '}',
  // The bundle is dist/hactl.cjs: the tree's root is one level up.
  "function __hactlSourceUrl(source) { return require('node:url').pathToFileURL(__hactlJoin(__dirname, '..', source)).href; }",
].join('\n');

/** The commit the bundle is built from, for `hactl version` (src/cli/build-info.ts); null outside a git checkout. */
function buildInfo() {
  const git = (args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  const head = git(['rev-parse', 'HEAD']);
  if (head.error !== undefined || head.status !== 0) return { commit: null, modified: false };
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return { commit: head.stdout.trim(), modified: status.status !== 0 || status.stdout.trim() !== '' };
}

const readable = process.argv.includes('--readable');
rmSync(dist, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: [join(root, 'src', 'cli', 'main.ts')],
  outfile: BUNDLE,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Smaller files parse faster; names are kept for readable stack traces.
  minifyWhitespace: !readable,
  minifySyntax: !readable,
  banner: { js: BANNER },
  define: { HACTL_BUILD: JSON.stringify(buildInfo()) },
  // typescript: only oclif's development mode (TypeScript sources) loads it. semver: only oclif's
  // Node version check, which bin/run.js turns off (package.json's engines says it); loaded from
  // node_modules if it runs after all.
  external: ['typescript', 'semver'],
  plugins: [locationsPlugin],
  metafile: true,
  logLevel: 'warning',
});
const bytes = result.metafile.outputs[relative(root, BUNDLE).split(sep).join('/')]?.bytes ?? 0;
console.error(`${relative(root, BUNDLE)}: ${(bytes / 1024).toFixed(0)} KiB (${relative(root, dirname(fileURLToPath(import.meta.url)))}/bundle.mjs)`);

// mermaid's self-contained browser build, served by `hactl drift --listen` to draw the status
// page's resource graph (src/drift/serve.ts): shipped in dist/, so the page needs nothing from
// the network and an install needs no more runtime dependencies.
const mermaidDir = dirname(createRequire(import.meta.url).resolve('mermaid/package.json'));
copyFileSync(join(mermaidDir, 'dist', 'mermaid.min.js'), join(dist, 'mermaid.min.js'));
copyFileSync(join(mermaidDir, 'LICENSE'), join(dist, 'mermaid.LICENSE'));

// The code cache that any command can start from (bin/run.js): `--version` loads every command and
// leaves it as dist/v8-cache/all.*, so that an install whose dist/ is read-only still has one.
const warm = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), '--version'], { encoding: 'utf8' });
if (warm.status !== 0) throw new Error(`bin/run.js --version failed after bundling:\n${warm.stdout}${warm.stderr}`);
console.error(`dist/v8-cache: ${readdirSync(join(dist, 'v8-cache')).join(', ')}`);
