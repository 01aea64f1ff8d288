// Holds src/spec/input.ts and src/spec/types.ts to schemas/cluster.schema.json: the TypeScript
// compiler lists every property path of the interfaces, and a walk of the schema lists its own.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

type Schema = Record<string, unknown>;
/** Property path -> whether it is optional. Array elements appear as `[]`. */
type Paths = Map<string, boolean>;

const SPEC_DIR = fileURLToPath(new URL('../../src/spec/', import.meta.url));
const schema = JSON.parse(readFileSync(new URL('../../schemas/cluster.schema.json', import.meta.url), 'utf8')) as Schema;

let program: ts.Program | undefined;

function typePaths(file: string, name: string): Paths {
  const path = `${SPEC_DIR}${file}`;
  program ??= ts.createProgram([`${SPEC_DIR}input.ts`, `${SPEC_DIR}types.ts`], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(path)!)!;
  const symbol = checker.getExportsOfModule(moduleSymbol).find((s) => s.name === name)!;
  const out: Paths = new Map();

  const descend = (t: ts.Type, prefix: string): void => {
    const type = checker.getNonNullableType(t);
    if (checker.isArrayType(type)) {
      descend(checker.getTypeArguments(type as ts.TypeReference)[0]!, `${prefix}[]`);
    } else if (type.flags & ts.TypeFlags.Object || type.isIntersection()) {
      for (const prop of checker.getPropertiesOfType(type)) {
        const p = prefix === '' ? prop.name : `${prefix}.${prop.name}`;
        out.set(p, (prop.flags & ts.SymbolFlags.Optional) !== 0);
        descend(checker.getTypeOfSymbol(prop), p);
      }
    }
  };
  descend(checker.getDeclaredTypeOfSymbol(symbol), '');
  return out;
}

function resolveRef(s: Schema): Schema {
  let cur = s;
  while (typeof cur.$ref === 'string') {
    const name = cur.$ref.replace('#/$defs/', '');
    cur = { ...((schema.$defs as Record<string, Schema>)[name] as Schema), ...Object.fromEntries(Object.entries(cur).filter(([k]) => k !== '$ref')) };
  }
  return cur;
}

/** Property paths of the schema, with optionality and whether the schema gives a default. */
function schemaPaths(): { paths: Paths; defaulted: Set<string> } {
  const paths: Paths = new Map();
  const defaulted = new Set<string>();
  const walk = (raw: Schema, prefix: string): void => {
    const s = resolveRef(raw);
    if (s.items !== undefined) walk(s.items as Schema, `${prefix}[]`);
    const required = new Set((s.required as string[] | undefined) ?? []);
    for (const [key, sub] of Object.entries((s.properties as Record<string, Schema> | undefined) ?? {})) {
      const p = prefix === '' ? key : `${prefix}.${key}`;
      paths.set(p, !required.has(key));
      if (resolveRef(sub).default !== undefined) defaulted.add(p);
      walk(sub, p);
    }
  };
  walk(schema, '');
  return { paths, defaulted };
}

const sorted = (m: Paths): [string, boolean][] => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));

describe('types agree with the schema', () => {
  const fromSchema = schemaPaths();

  it('both walks see the whole tree', () => {
    const input = typePaths('input.ts', 'ClusterInput');
    for (const p of ['hosts[].ssh.bastion.address', 'packages.dnf.kubernetes[].gpgcheck', 'loadBalancer.keepalived.priorities']) {
      expect(fromSchema.paths.has(p), p).toBe(true);
      expect(input.has(p), p).toBe(true);
    }
    expect(fromSchema.paths.size).toBeGreaterThan(90);
  });

  it('ClusterInput has exactly the schema properties, optional exactly where the schema does not require them', () => {
    expect(sorted(typePaths('input.ts', 'ClusterInput'))).toEqual(sorted(fromSchema.paths));
  });

  it('ClusterSpec has every schema property, and nothing the schema lacks', () => {
    const spec = typePaths('types.ts', 'ClusterSpec');
    // The normalized spec lifts metadata.name to name.
    const toSpec = (p: string): string => (p === 'metadata.name' ? 'name' : p);
    const schemaKeys = [...fromSchema.paths.keys()]
      .filter((p) => p !== 'metadata')
      .map(toSpec)
      .sort();
    expect([...spec.keys()].sort()).toEqual(schemaKeys);
  });

  it('every property the schema gives a default is required in ClusterSpec', () => {
    const spec = typePaths('types.ts', 'ClusterSpec');
    const optionalButDefaulted = [...fromSchema.defaulted].filter((p) => spec.get(p) !== false);
    expect(optionalButDefaulted).toEqual([]);
    expect(fromSchema.defaulted.size).toBeGreaterThan(20);
  });
});
