// The layers of src/ point one way: no file imports itself back through others, and no folder
// does either (plan -> resources -> graph, never back). Type-only imports count: a cycle of types
// is still two folders that cannot be understood apart. dependency-cruiser reads the imports as
// TypeScript resolves them (a well-kept library: imports, re-exports, type-only imports and
// path resolution are its whole job).

import { cruise, type IModule } from 'dependency-cruiser';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

let modules: IModule[] = [];

beforeAll(async () => {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const result = await cruise(['src'], { tsPreCompilationDeps: true, exclude: { path: '^src/spec/schema-validator\\.generated\\.ts$' } }, undefined, {
      tsConfig: { fileName: 'tsconfig.json' },
    });
    if (typeof result.output === 'string') throw new Error('dependency-cruiser returned text, not modules');
    modules = result.output.modules.filter((m) => m.source.startsWith('src/'));
  } finally {
    process.chdir(cwd);
  }
}, 60_000);

/** Edges between the files (or folders) of src/, without self-edges. */
function edges(groupOf: (file: string) => string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of modules) {
    for (const d of m.dependencies) {
      // A lazy import() is the command registry handing control to a command (src/cli/commands.ts),
      // loaded only when that command runs: a registry, not a layer leaning on the one above.
      if (!d.resolved.startsWith('src/') || d.dependencyTypes.includes('dynamic-import')) continue;
      const from = groupOf(m.source);
      const to = groupOf(d.resolved);
      if (from === to) continue;
      if (!out.has(from)) out.set(from, new Set());
      out.get(from)!.add(to);
    }
  }
  return out;
}

/** Every cycle's members (Tarjan's strongly connected components of more than one node). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** `src/plan/model.ts` -> `src/plan`; `src/commands/etcd/restore.ts` -> `src/commands`. */
const folderOf = (file: string): string => file.split('/').slice(0, 2).join('/');

describe('the layers of src/', () => {
  it('reads the whole tree', () => {
    expect(modules.length).toBeGreaterThan(100);
    expect(modules.some((m) => m.source === 'src/plan/planner.ts')).toBe(true);
  });

  it('have no file that imports itself back', () => {
    expect(cycles(edges((f) => f))).toEqual([]);
  });

  it('have no folder that imports itself back', () => {
    expect(cycles(edges(folderOf))).toEqual([]);
  });

  it('find a cycle where there is one', () => {
    const g = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c']]);
  });
});
