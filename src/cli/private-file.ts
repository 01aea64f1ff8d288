// Writing a file that holds a secret on this machine (the admin kubeconfig): created 0600 under a
// temporary name in the same directory and renamed into place, so it is never readable by others,
// not even for a moment, and whatever permissions an older file had do not carry over.
import { lstat, rename, rm, writeFile } from 'node:fs/promises';

export class PrivateFileError extends Error {}

/** Writes `content` to `path` with mode 0600; an existing file only with `replace` (what it was is returned). */
export async function writePrivateFile(path: string, content: string, opts: { replace: boolean }): Promise<{ replacedMode?: number }> {
  let existing: number | undefined;
  try {
    const st = await lstat(path);
    if (!st.isFile() && !st.isSymbolicLink()) throw new PrivateFileError(`${path} exists and is not a file`);
    existing = st.mode & 0o777;
  } catch (e) {
    if (e instanceof PrivateFileError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (existing !== undefined && !opts.replace) throw new PrivateFileError(`${path} exists; --force replaces it (with a new file, mode 0600)`);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return existing !== undefined ? { replacedMode: existing } : {};
}
