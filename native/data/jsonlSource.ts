/**
 * JSONL as a `RowSource`: records are read in pages by byte offset from a `LineIndex`, so the
 * first page of a multi-gigabyte file is available as soon as the index exists, and memory
 * holds only the index and the page being read.
 *
 * The index is reused from the on-disk cache when the file's size and mtime are unchanged.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { buildLineIndex, type IndexProgress, type LineIndex } from './lineIndex';
import { loadCachedIndex, saveCachedIndex } from './lineIndexCache';
import { parseRecordBytes } from './jsonText';
import type { DataIssue, DatasetFormat, RowResult, RowSource } from './types';

export interface OpenJsonlOptions {
  /** Folder for the index cache (extension storage or the CLI cache); no caching when absent. */
  cacheDir?: string;
  signal?: AbortSignal;
  onProgress?: (p: IndexProgress) => void;
  /** The format to report (a decompressed `.jsonl.gz` reports `jsonl.gz`). */
  format?: DatasetFormat;
  /** The path to name in issues and to report (the `.gz` for a decompressed cache file). */
  displayPath?: string;
  fileIssues?: DataIssue[];
}

export async function openJsonlSource(path: string, options: OpenJsonlOptions = {}): Promise<RowSource> {
  let index: LineIndex | undefined = options.cacheDir ? await loadCachedIndex(options.cacheDir, path) : undefined;
  if (!index) {
    index = await buildLineIndex(path, { signal: options.signal, onProgress: options.onProgress });
    if (options.cacheDir) await saveCachedIndex(options.cacheDir, path, index).catch(() => undefined);
  }
  const handle = await open(path, 'r');
  return new JsonlSource(options.displayPath ?? path, handle, index, options.format ?? 'jsonl', options.fileIssues ?? []);
}

class JsonlSource implements RowSource {
  readonly fileIssues: readonly DataIssue[];

  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly index: LineIndex,
    readonly format: DatasetFormat,
    issues: DataIssue[],
  ) {
    const bomIssue: DataIssue[] = index.bom
      ? [{ reason: 'byte-order-mark', severity: 'warning', file: path, line: 1, column: 1, message: 'the file starts with a UTF-8 byte-order mark; it is ignored' }]
      : [];
    this.fileIssues = [...issues, ...bomIssue];
  }

  get rowCount(): number {
    return this.index.count;
  }

  lineOf(index: number): number | undefined {
    return index >= 0 && index < this.index.count ? this.index.lines[index] : undefined;
  }

  /** Byte range [start, end) of records [first, last), end at the last record's newline. */
  private async readSpan(first: number, last: number): Promise<{ buffer: Buffer; base: number }> {
    const base = this.index.starts[first]!;
    const end = last < this.index.count ? this.index.starts[last]! : this.index.size;
    const buffer = Buffer.allocUnsafe(end - base);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await this.handle.read(buffer, filled, buffer.length - filled, base + filled);
      if (bytesRead === 0) throw new Error(`${this.path} changed while it was being read (expected ${buffer.length} bytes at offset ${base})`);
      filled += bytesRead;
    }
    return { buffer, base };
  }

  private recordBytes(buffer: Buffer, base: number, i: number): Buffer {
    const from = this.index.starts[i]! - base;
    const newline = buffer.indexOf(0x0a, from);
    return buffer.subarray(from, newline === -1 ? buffer.length : newline);
  }

  async readRows(start: number, end: number, signal?: AbortSignal): Promise<RowResult[]> {
    const first = Math.max(0, start);
    const last = Math.min(end, this.index.count);
    if (first >= last) return [];
    signal?.throwIfAborted();
    const { buffer, base } = await this.readSpan(first, last);
    const rows: RowResult[] = [];
    for (let i = first; i < last; i++) {
      const line = this.index.lines[i]!;
      const parsed = parseRecordBytes(this.recordBytes(buffer, base, i), { file: this.path, index: i, line });
      rows.push(parsed.ok ? { ok: true, index: i, line, value: parsed.value } : { ok: false, index: i, line, issue: parsed.issue });
    }
    return rows;
  }

  async readRawLine(index: number): Promise<Buffer> {
    if (index < 0 || index >= this.index.count) throw new RangeError(`record ${index} is out of range (0..${this.index.count - 1})`);
    const { buffer, base } = await this.readSpan(index, index + 1);
    return Buffer.from(this.recordBytes(buffer, base, index));
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * The first `count` records of a JSONL file, read by streaming from the start without an
 * index, so a view can show rows at once while the full index of a large file is built.
 */
export async function peekJsonlRows(path: string, count: number): Promise<RowResult[]> {
  const handle = await open(path, 'r');
  try {
    const rows: RowResult[] = [];
    const chunk = Buffer.allocUnsafe(1 << 20);
    let carry = Buffer.alloc(0);
    let position = 0;
    let line = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      const data = bytesRead > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : carry;
      position += bytesRead;
      let start = 0;
      for (;;) {
        const newline = data.indexOf(0x0a, start);
        if (newline === -1 && bytesRead > 0) break;
        const end = newline === -1 ? data.length : newline;
        line++;
        let bytes = data.subarray(start, end);
        if (line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
        if (bytes.some((b) => b !== 0x20 && b !== 0x09 && b !== 0x0d)) {
          const index = rows.length;
          const parsed = parseRecordBytes(bytes, { file: path, index, line });
          rows.push(parsed.ok ? { ok: true, index, line, value: parsed.value } : { ok: false, index, line, issue: parsed.issue });
          if (rows.length >= count) return rows;
        }
        if (newline === -1) return rows;
        start = newline + 1;
      }
      carry = Buffer.from(data.subarray(start));
    }
  } finally {
    await handle.close();
  }
}
