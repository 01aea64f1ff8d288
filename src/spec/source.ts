// Where a spec's bytes come from: a file, or standard input for `-f -`. Standard input is read once
// and kept, so the loader and the plan's sha256 see the same bytes. Relative paths inside a spec
// read from standard input resolve from the current directory.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** `-f -`: the spec comes from standard input. */
export const STDIN_SPEC = '-';

/** How diagnostics name a spec read from standard input. */
export const STDIN_NAME = '<stdin>';

interface Input extends AsyncIterable<Buffer | string> {
  isTTY?: boolean;
}

const read = new WeakMap<Input, Promise<Buffer>>();

export class SpecInputError extends Error {}

/** The spec's bytes; `-` reads `stdin` (once; a terminal is refused rather than waited on). */
export function readSpecBytes(path: string, stdin: Input = process.stdin): Promise<Buffer> {
  if (path !== STDIN_SPEC) return readFile(path);
  let bytes = read.get(stdin);
  if (bytes === undefined) {
    bytes =
      stdin.isTTY === true
        ? Promise.reject(new SpecInputError('standard input is a terminal; pipe the spec in (cat cluster.yaml | hactl ... -f -)'))
        : readAll(stdin);
    read.set(stdin, bytes);
  }
  return bytes;
}

async function readAll(input: Input): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

/** The name diagnostics give the spec. */
export function specName(path: string): string {
  return path === STDIN_SPEC ? STDIN_NAME : path;
}

/** The directory relative paths in the spec resolve from. */
export function specBaseDir(path: string): string {
  return path === STDIN_SPEC ? process.cwd() : dirname(resolve(path));
}
