// Reads the local files a spec names (CA files, CNI manifest, signing keys) for the planner, which
// stays pure. A file that cannot be read is reported here and, by the planner, at the resource
// that needs it.
import { readFile } from 'node:fs/promises';
import { localFilesFor } from '../plan/planner.js';
import type { ClusterSpec } from '../spec/types.js';

export async function readLocalFiles(spec: ClusterSpec, warn: (message: string) => void): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const path of localFilesFor(spec)) {
    try {
      files.set(path, await readFile(path, 'utf8'));
    } catch (e) {
      warn(`cannot read ${path}: ${(e as Error).message}`);
    }
  }
  return files;
}
