// Fetching from the spec's package sources on the admin machine (the one connected machine):
// http(s) with Node's fetch, file:// from the local disk. Hosts never run any of this.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';

/** A source answered, but not with the file: `missing` tells "not there" from "could not ask". */
export class FetchError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
    readonly missing: boolean,
  ) {
    super(`${url}: ${reason}`);
    this.name = 'FetchError';
  }
}

const TIMEOUT_MS = 120_000;

function why(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause !== undefined ? `${err.message ?? String(e)} (${cause})` : (err.message ?? String(e));
}

async function open(url: string): Promise<Readable> {
  if (url.startsWith('file:')) {
    const path = fileURLToPath(url);
    // Looking first turns a missing file into an error here rather than mid-stream.
    await stat(path).then(
      () => undefined,
      (err: unknown) => {
        const e = err as NodeJS.ErrnoException;
        throw new FetchError(url, e.code === 'ENOENT' ? 'no such file' : e.message, e.code === 'ENOENT');
      },
    );
    return createReadStream(path);
  }
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    throw new FetchError(url, `unreachable: ${why(e)}`, false);
  }
  if (!res.ok || res.body === null) throw new FetchError(url, `HTTP ${res.status} ${res.statusText}`, res.status === 404 || res.status === 410);
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
}

/** The whole content of a URL. */
export async function fetchBytes(url: string): Promise<Buffer> {
  const stream = await open(url);
  const chunks: Buffer[] = [];
  try {
    for await (const c of stream) chunks.push(c as Buffer);
  } catch (e) {
    throw new FetchError(url, `interrupted: ${why(e)}`, false);
  }
  return Buffer.concat(chunks);
}

/**
 * Saves a URL to `dest` only if its sha256 is `sha256`: written to `dest.part` first and renamed
 * when it checks out, so `dest` is never a partial or unverified file.
 */
export async function downloadVerified(url: string, dest: string, sha256: string): Promise<number> {
  await mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const hash = createHash('sha256');
  let size = 0;
  const stream = await open(url);
  stream.on('data', (c: Buffer) => {
    hash.update(c);
    size += c.length;
  });
  try {
    await pipeline(stream, createWriteStream(part));
  } catch (e) {
    await rm(part, { force: true });
    throw new FetchError(url, `interrupted: ${why(e)}`, false);
  }
  const got = hash.digest('hex');
  if (got !== sha256) {
    await rm(part, { force: true });
    throw new FetchError(url, `sha256 ${got} does not match the index's ${sha256}`, false);
  }
  await rename(part, dest);
  return size;
}

/** sha256 and size of a local file, or undefined when it does not exist. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number } | undefined> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const c of createReadStream(path)) {
      hash.update(c as Buffer);
      size += (c as Buffer).length;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return { sha256: hash.digest('hex'), size };
}
