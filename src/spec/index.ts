// Loading a cluster spec: YAML (positions kept) -> JSON Schema -> semantic checks -> defaults.
// Every problem comes back at once, placed at a line and column of the source.

import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import { readSpecBytes, specBaseDir, specName, STDIN_SPEC } from './source.js';
import { applyDefaults } from './defaults.js';
import type { ClusterInput } from './input.js';
import { formatPath, SourcePositions, type Path } from './positions.js';
import { validateSchema } from './schema.js';
import { checkSemantics } from './semantic.js';
import type { ClusterSpec } from './types.js';
import { endOfLifeWarning } from './versions.js';

export type * from './types.js';
export type * from './input.js';
export { DEFAULT_CNI_VERSIONS } from './constants.js';
export { KUBERNETES_MINORS, SUPPORTED_RANGE_TEXT, endOfLifeWarning } from './versions.js';
export { expandPath } from './defaults.js';
export { formatPath } from './positions.js';
export { minimumSize, PROFILE_MINIMUMS, resolvePlacement, type HostSize, type Placement } from './topology.js';

export interface Diagnostic {
  severity: 'error' | 'warning';
  file: string;
  line: number;
  col: number;
  /** Readable path into the spec, e.g. `hosts[3].roles` or `etcd.topology`. */
  path: string;
  message: string;
}

export interface LoadResult {
  /** Present iff there are no errors (warnings allowed). */
  spec?: ClusterSpec;
  diagnostics: Diagnostic[];
}

/** `file:line:col: path: message`; warnings carry `warning: ` before the message. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.path}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;
}

const byPosition = (a: Diagnostic, b: Diagnostic): number => a.line - b.line || a.col - b.col;

interface Loaded {
  result: LoadResult;
  /** Positions, for the file checks loadSpecFile adds. */
  positions?: SourcePositions;
}

export interface LoadOptions {
  /**
   * The current date: when given, a Kubernetes minor past or near its upstream end of life gets a
   * warning (the CLI passes the clock; tests a fixed date).
   */
  today?: Date;
}

function load(text: string, file: string, baseDir: string, opts: LoadOptions = {}): Loaded {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_SPEC_BYTES) {
    diagnostics.push({
      severity: 'error',
      file,
      line: 1,
      col: 1,
      path: '(file)',
      message: `the spec is ${size} bytes; hactl reads specs of at most ${MAX_SPEC_BYTES} bytes (4 MiB)`,
    });
    return { result: { diagnostics } };
  }
  // `<<` merge keys let long host lists share settings (`<<: *defaults`). yaml's own duplicate-key
  // check compares each key with every earlier one (quadratic in a mapping's keys); duplicateKeys
  // below does the same check in linear time.
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: false });
  const at = (offset: number): { line: number; col: number } => lineCounter.linePos(offset);

  // parseAllDocuments returns an EmptyStream (no documents) for an empty file.
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    for (const e of [...doc.errors]) {
      const { line, col } = at(e.pos[0]);
      diagnostics.push({ severity: 'error', file, line, col, path: '(yaml)', message: yamlMessage(e.code, e.message) });
    }
    for (const offset of duplicateKeys(doc)) {
      const { line, col } = at(offset);
      diagnostics.push({ severity: 'error', file, line, col, path: '(yaml)', message: yamlMessage('DUPLICATE_KEY', 'Map keys must be unique') });
    }
  }
  if (diagnostics.length > 0) return { result: { diagnostics: diagnostics.sort(byPosition) } };
  if (list.length === 0 || list[0]!.contents === null) {
    return { result: { diagnostics: [{ severity: 'error', file, line: 1, col: 1, path: '(root)', message: 'the file holds no cluster spec' }] } };
  }
  if (list.length > 1) {
    const { line, col } = at(list[1]!.range[0]);
    return {
      result: {
        diagnostics: [
          { severity: 'error', file, line, col, path: '(yaml)', message: 'expected one YAML document, found a second one (remove the --- separator)' },
        ],
      },
    };
  }
  const doc: Document = list[0]!;
  const positions = new SourcePositions(doc, lineCounter);
  const place = (severity: Diagnostic['severity'], path: Path, atKey: boolean, message: string): Diagnostic => {
    const { line, col } = positions.at(path, atKey);
    return { severity, file, line, col, path: formatPath(path), message };
  };

  let data: unknown;
  try {
    // Aliases may expand to at most about as many nodes as the text has lines: enough for every
    // host to merge a shared anchor, too few for nested alias "bombs" to blow up.
    data = doc.toJS({ maxAliasCount: Math.max(100, 2 * lineCounter.lineStarts.length) });
  } catch (e) {
    return {
      result: {
        diagnostics: [{ severity: 'error', file, line: 1, col: 1, path: '(yaml)', message: `cannot expand the YAML aliases: ${(e as Error).message}` }],
      },
    };
  }
  const schemaProblems = validateSchema(data);
  for (const p of schemaProblems) diagnostics.push(place('error', p.path, p.atKey, p.message));

  // Semantic checks assume the shape the schema guarantees. With schema errors they still run
  // (so one pass shows as much as possible), but a check that trips over the broken shape is
  // skipped, and findings on or around a path the schema already faulted are dropped.
  const tolerant = schemaProblems.length > 0;
  const input = (tolerant ? patchForChecks(data) : data) as ClusterInput | undefined;
  let spec: ClusterSpec | undefined;
  let semantic: ReturnType<typeof checkSemantics> = [];
  if (input !== undefined) {
    try {
      spec = applyDefaults(input, baseDir);
      semantic = checkSemantics(input, spec, tolerant);
      const eol = opts.today !== undefined ? endOfLifeWarning(spec.kubernetes.version, opts.today) : undefined;
      if (eol !== undefined) semantic.push({ severity: 'warning', path: ['kubernetes', 'version'], atKey: false, message: eol });
    } catch (e) {
      if (!tolerant) throw e;
    }
  }
  const faulted = new Set<string>();
  const faultedAncestors = new Set<string>();
  const key = (path: Path): string => path.join('\u0000');
  for (const p of schemaProblems) {
    // What a misspelled key was meant to hold is missing only because of the misspelling.
    if (p.suggests !== undefined) faulted.add(key(p.suggests));
    faulted.add(key(p.path));
    for (let i = 0; i < p.path.length; i++) faultedAncestors.add(key(p.path.slice(0, i)));
  }
  const overlapsSchemaError = (path: Path): boolean => {
    if (faultedAncestors.has(key(path))) return true;
    for (let i = 0; i <= path.length; i++) if (faulted.has(key(path.slice(0, i)))) return true;
    return false;
  };
  const seen = new Set<string>();
  for (const p of semantic) {
    if (schemaProblems.length > 0 && overlapsSchemaError(p.path)) continue;
    const d = place(p.severity, p.path, p.atKey, p.message);
    const text = formatDiagnostic(d);
    if (!seen.has(text)) {
      seen.add(text);
      diagnostics.push(d);
    }
  }
  diagnostics.sort(byPosition);
  const ok = !diagnostics.some((d) => d.severity === 'error');
  return { result: ok && spec !== undefined ? { spec, diagnostics } : { diagnostics }, positions };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Gives schema-invalid data the shape the semantic checks walk (hosts keep their indices, so
 * paths stay right); undefined when even the outline is missing. Findings about the patched
 * places are dropped later, as they sit on paths the schema already faulted.
 */
function patchForChecks(data: unknown): unknown {
  if (!isObject(data) || !Array.isArray(data.hosts)) return undefined;
  const hosts = data.hosts.map((h: unknown) => {
    const host = isObject(h) ? { ...h } : {};
    if (typeof host.name !== 'string') host.name = '';
    if (typeof host.address !== 'string') host.address = '';
    host.roles = Array.isArray(host.roles) ? host.roles.filter((r) => typeof r === 'string') : [];
    if (!isObject(host.labels)) host.labels = {};
    if (!Array.isArray(host.taints)) host.taints = [];
    if (host.ssh !== undefined && !isObject(host.ssh)) delete host.ssh;
    return host;
  });
  const metadata = isObject(data.metadata) ? data.metadata : { name: '' };
  return { ...data, metadata, hosts };
}

/** Where a key repeats an earlier key of the same mapping (merge keys `<<` aside), in one pass. */
function duplicateKeys(doc: Document): number[] {
  const out: number[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const k = isScalar(pair.key) ? pair.key.value : pair.key;
        if (k === '<<' && isScalar(pair.key)) continue;
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a collection key is a YAML node, whose toString() is its YAML text
        const id = typeof k === 'string' ? `s${k}` : isScalar(pair.key) || k === null ? `v${String(k)}` : `n${String(k)}`;
        if (seen.has(id)) out.push(isScalar(pair.key) || isMap(pair.key) ? (pair.key.range?.[0] ?? 0) : 0);
        else seen.add(id);
      }
    },
  });
  return out;
}

function yamlMessage(code: string, message: string): string {
  // yaml's messages end with a source excerpt; the first line is the statement.
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'DUPLICATE_KEY':
      return `${first} (a key appears twice in the same mapping)`;
    case 'TAB_AS_INDENT':
      return 'tabs are not allowed for indentation in YAML; use spaces';
    default:
      return `invalid YAML: ${first}`;
  }
}

/** The largest spec hactl reads: far above any real cluster's, far below what would hurt to parse. */
export const MAX_SPEC_BYTES = 4 * 1024 * 1024;

/** Loads a spec from text; relative paths in it resolve against the directory of `file`. */
export function loadSpec(text: string, file: string, opts: LoadOptions = {}): LoadResult {
  return load(text, file, dirname(resolve(file)), opts).result;
}

/**
 * Reads and loads a spec file (`-`: standard input, relative paths resolved from the current
 * directory), and checks that the local files it names (CA files, CNI
 * manifest, package signing keys) exist. SSH keys and known_hosts are left to the transport.
 */
export async function loadSpecFile(path: string, opts: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  const name = specName(path);
  try {
    // A file is refused before it is read: a huge one would cost its size in memory first. (Standard
    // input has no size to ask; load() refuses it by its length.)
    if (path !== STDIN_SPEC) {
      const size = (await stat(path)).size;
      if (size > MAX_SPEC_BYTES) {
        return {
          diagnostics: [
            {
              severity: 'error',
              file: name,
              line: 1,
              col: 1,
              path: '(file)',
              message: `the spec is ${size} bytes; hactl reads specs of at most ${MAX_SPEC_BYTES} bytes (4 MiB)`,
            },
          ],
        };
      }
    }
    text = (await readSpecBytes(path)).toString('utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return { diagnostics: [{ severity: 'error', file: name, line: 1, col: 1, path: '(file)', message: `cannot read the spec: ${reason}` }] };
  }
  const { result, positions } = load(text, name, specBaseDir(path), opts);
  if (result.spec === undefined || positions === undefined) return result;

  const spec = result.spec;
  const refs: [Path, string][] = [];
  spec.containerd.privateRegistries.forEach((r, i) => {
    if (r.caFile !== undefined) refs.push([['containerd', 'privateRegistries', i, 'caFile'], r.caFile]);
  });
  if (spec.cni.manifest !== undefined) refs.push([['cni', 'manifest'], spec.cni.manifest]);
  for (const kind of ['os', 'kubernetes'] as const) {
    spec.packages.apt[kind].forEach((s, i) => {
      if (s.keyFile !== undefined) refs.push([['packages', 'apt', kind, i, 'keyFile'], s.keyFile]);
    });
    spec.packages.dnf[kind].forEach((s, i) => {
      if (s.gpgkeyFile !== undefined) refs.push([['packages', 'dnf', kind, i, 'gpgkeyFile'], s.gpgkeyFile]);
    });
  }
  const repoKey = spec.packages.kubernetesRepository.keyFile;
  if (repoKey !== undefined) refs.push([['packages', 'kubernetesRepository', 'keyFile'], repoKey]);
  const missing = await Promise.all(
    refs.map(async ([p, file]) => {
      try {
        await access(file);
        return undefined;
      } catch {
        return [p, file] as const;
      }
    }),
  );
  const diagnostics = [...result.diagnostics];
  for (const m of missing) {
    if (m === undefined) continue;
    const { line, col } = positions.at(m[0]);
    diagnostics.push({ severity: 'error', file: name, line, col, path: formatPath(m[0]), message: `file not found: ${m[1]}` });
  }
  if (diagnostics.length === result.diagnostics.length) return result;
  return { diagnostics: diagnostics.sort(byPosition) };
}
