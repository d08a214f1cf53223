/**
 * On-disk cache of JSONL line indexes, so reopening a large file costs one small read.
 *
 * Entries live in a cache folder (extension storage or the CLI's cache), never beside the
 * user's data. The key is a hash of the absolute path; the header stores size and mtime, and a
 * mismatch means the file changed: the entry is ignored and rebuilt. Writes are atomic
 * (temp file + rename), so a crash leaves either the old entry or the new one.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LineIndex } from './lineIndex';

const MAGIC = 'PLIDX001';
const HEADER = 8 + 8 * 3 + 4 + 4; // magic, size, mtime, count, bom flag, reserved

function entryPath(cacheDir: string, file: string): string {
  const key = createHash('sha256').update(resolve(file)).digest('hex').slice(0, 32);
  return join(cacheDir, 'line-index', `${key}.idx`);
}

export async function loadCachedIndex(cacheDir: string, file: string): Promise<LineIndex | undefined> {
  try {
    const [{ size, mtimeMs }, data] = await Promise.all([stat(file), readFile(entryPath(cacheDir, file))]);
    if (data.length < HEADER || data.toString('latin1', 0, 8) !== MAGIC) return undefined;
    if (data.readDoubleLE(8) !== size || data.readDoubleLE(16) !== mtimeMs) return undefined;
    const count = data.readDoubleLE(24);
    if (data.length !== HEADER + count * 12) return undefined;
    const startsBytes = data.subarray(HEADER, HEADER + count * 8);
    const linesBytes = data.subarray(HEADER + count * 8);
    const starts = new Float64Array(count);
    Buffer.from(starts.buffer).set(startsBytes);
    const lines = new Uint32Array(count);
    Buffer.from(lines.buffer).set(linesBytes);
    return { starts, lines, count, size, mtimeMs, bom: data.readUInt32LE(32) === 1 };
  } catch {
    return undefined;
  }
}

export async function saveCachedIndex(cacheDir: string, file: string, index: LineIndex): Promise<void> {
  const target = entryPath(cacheDir, file);
  await mkdir(join(cacheDir, 'line-index'), { recursive: true });
  const header = Buffer.alloc(HEADER);
  header.write(MAGIC, 0, 'latin1');
  header.writeDoubleLE(index.size, 8);
  header.writeDoubleLE(index.mtimeMs, 16);
  header.writeDoubleLE(index.count, 24);
  header.writeUInt32LE(index.bom ? 1 : 0, 32);
  const body = Buffer.concat([
    header,
    Buffer.from(index.starts.buffer, index.starts.byteOffset, index.count * 8),
    Buffer.from(index.lines.buffer, index.lines.byteOffset, index.count * 4),
  ]);
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, body);
  await rename(temp, target);
}
