// Maps a path into the loaded data (['hosts', 3, 'roles']) back to a line and column of the YAML
// source, and renders it readably (hosts[3].roles).

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

export interface Position {
  line: number;
  col: number;
}

export function formatPath(path: Path): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export class SourcePositions {
  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /**
   * Position of the value at `path` (or of its key with `atKey`). A path the source does not
   * spell out (a defaulted field) falls back to its nearest written ancestor.
   */
  at(path: Path, atKey = false): Position {
    let node: unknown = this.doc.contents;
    let offset = this.startOf(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isAlias(node)) node = node.resolve(this.doc);
      let keyNode: unknown;
      let next: unknown;
      if (isMap(node)) {
        const pair = this.pairsOf(node).get(String(seg));
        if (pair === undefined) break;
        keyNode = pair.key;
        next = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
        if (next === undefined) break;
      } else {
        break;
      }
      const last = i === path.length - 1;
      const keyStart = this.startOf(keyNode);
      const valueStart = this.startOf(next);
      if (last && atKey && keyStart !== undefined) offset = keyStart;
      else offset = valueStart ?? keyStart ?? offset;
      if (next === null || next === undefined) break;
      node = next;
    }
    return this.lineCounter.linePos(offset);
  }

  /** A mapping's pairs by key, built once per mapping: one lookup per diagnostic, not a scan. */
  private readonly pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

  private pairsOf(map: YAMLMap): Map<string, Pair> {
    let index = this.pairIndex.get(map);
    if (index === undefined) {
      index = new Map();
      for (const p of map.items) {
        const k = isScalar(p.key) ? String(p.key.value) : String(p.key);
        if (!index.has(k)) index.set(k, p);
      }
      this.pairIndex.set(map, index);
    }
    return index;
  }

  private startOf(node: unknown): number | undefined {
    if (node === null || typeof node !== 'object') return undefined;
    const range = (node as Node).range;
    return range ? range[0] : undefined;
  }
}
