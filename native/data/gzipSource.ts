/**
 * `.jsonl.gz` as a `RowSource`: gzip allows no random access, so the file is decompressed once,
 * streaming, into the cache folder and then indexed like plain JSONL.
 *
 * A truncated or corrupt archive keeps everything decompressed before the damage: the rows that
 * came out intact load, the last (cut) line reports malformed JSON, and a file-level issue says
 * the archive is truncated. The cache entry is keyed by path, size and mtime and is only marked
 * complete after a full decompression, so a crash never leaves a half file that looks whole.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { openJsonlSource, type OpenJsonlOptions } from './jsonlSource';
import type { DataIssue, RowSource } from './types';

interface Marker {
  size: number;
  mtimeMs: number;
  error: string | null;
}

export async function openGzipJsonlSource(path: string, options: OpenJsonlOptions & { cacheDir: string }): Promise<RowSource> {
  const { size, mtimeMs } = await stat(path);
  const key = createHash('sha256').update(resolve(path)).digest('hex').slice(0, 32);
  const dir = join(options.cacheDir, 'gunzip');
  const target = join(dir, `${key}.jsonl`);
  const markerPath = `${target}.json`;
  await mkdir(dir, { recursive: true });

  let marker: Marker | undefined;
  try {
    marker = JSON.parse(await readFile(markerPath, 'utf8')) as Marker;
    if (marker.size !== size || marker.mtimeMs !== mtimeMs) marker = undefined;
  } catch {
    marker = undefined;
  }
  if (!marker) {
    await rm(markerPath, { force: true });
    const temp = `${target}.${process.pid}.tmp`;
    let error: string | null = null;
    try {
      await pipeline(createReadStream(path), createGunzip(), createWriteStream(temp), { signal: options.signal });
    } catch (e) {
      if (options.signal?.aborted) {
        await rm(temp, { force: true });
        throw e;
      }
      error = e instanceof Error ? e.message : String(e);
    }
    await rename(temp, target);
    marker = { size, mtimeMs, error };
    await writeFile(markerPath, JSON.stringify(marker));
  }
  const issues: DataIssue[] = marker.error
    ? [{ reason: 'truncated-file', severity: 'error', file: path, message: `the gzip archive is truncated or corrupt (${marker.error}); rows before the damage were read` }]
    : [];
  return openJsonlSource(target, { ...options, format: 'jsonl.gz', displayPath: path, fileIssues: issues });
}
