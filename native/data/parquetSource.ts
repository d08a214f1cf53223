/**
 * Opens a Parquet file as a `RowSource` (see `types.ts`).
 *
 * Design note
 * - What: only the footer (metadata) is read when opening; `readRows` decodes just the rows it
 *   needs with hyparquet and turns them into plain JSON-like objects, so the rest of PrefLens
 *   treats Parquet rows exactly like parsed JSONL records.
 * - Why a span cache: hyparquet decodes whole row groups (only the needed pages when the file
 *   has an offset index). A viewer reads consecutive 100-row pages, so re-decoding a 1000-row
 *   group per page would cost 10x. Decoded spans stay in an LRU bounded by their uncompressed
 *   size (`maxCachedBytes`); the most recent one is always kept.
 * - A span is a whole row group when it fits the budget; bigger groups (pyarrow's default of
 *   1M rows of long chats decodes to gigabytes) are cut into windows of half the budget: memory
 *   stays bounded whatever the writer chose, at the price of re-reading chunks per window.
 * - The file is read through one open handle, not by path: a file renamed over this path (an
 *   export onto itself) cannot mix new bytes with the old footer, and reads are ~4x faster than
 *   hyparquet's stream-per-slice `asyncBufferFromFile`.
 * - Invariants: results are in row order, one per requested row; conversion failures and decode
 *   failures become `read-error` issues for the rows concerned and never reject the call (only
 *   an abort or a closed source rejects); failed decodes are not cached, so a retry re-reads.
 * - Value mapping: bigint -> number when safe, else decimal string; Date -> ISO string;
 *   Uint8Array (binary without a text annotation) -> base64 string; other typed arrays and lists
 *   -> arrays; structs and maps -> plain objects; undefined -> null. NaN/Infinity stay numbers.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ParquetTemplate } from './parquetWriter';
import type { DataIssue, RowResult, RowSource } from './types';

export interface ParquetRowSource extends RowSource {
  readonly format: 'parquet';
  readonly columns: readonly string[];
  /** The file's schema and key/value metadata, for `writeParquetRows` to keep column types. */
  readonly template: ParquetTemplate;
  /** How many spans have been decoded so far (diagnostics and tests of the cache). */
  readonly decodeCount: number;
}

export interface ParquetOpenOptions {
  /** Budget of decoded spans, in uncompressed Parquet bytes (default 128 MiB). */
  maxCachedBytes?: number;
}

const DEFAULT_MAX_CACHED_BYTES = 128 << 20;
/** Windows of an oversized group never get smaller than this, so a page is never split further. */
const MIN_WINDOW_ROWS = 100;
const MAGIC = 'PAR1';

interface Group {
  start: number;
  rows: number;
  bytes: number;
}
interface Span {
  start: number;
  end: number;
  bytes: number;
}
type Row = Record<string, unknown>;

export async function openParquetSource(path: string, options: ParquetOpenOptions = {}): Promise<ParquetRowSource> {
  const { file, handle, metadata } = await openFile(path);
  const columns = parquetSchema(metadata).children.map((child) => child.element.name);
  const groups: Group[] = [];
  let rowCount = 0;
  for (const group of metadata.row_groups) {
    const rows = Number(group.num_rows);
    groups.push({ start: rowCount, rows, bytes: Number(group.total_byte_size) });
    rowCount += rows;
  }
  const fileIssues: DataIssue[] = [];
  if (rowCount !== Number(metadata.num_rows)) {
    // The row groups are what can actually be read; report the disagreement instead of failing.
    fileIssues.push({
      reason: 'read-error', severity: 'warning', file: path,
      message: `${path}: the footer declares ${metadata.num_rows} rows but its row groups hold ${rowCount}`,
    });
  }
  const maxCachedBytes = options.maxCachedBytes ?? DEFAULT_MAX_CACHED_BYTES;
  const cache = new Map<number, { rows: Promise<Row[]>; bytes: number }>();
  let decodeCount = 0;
  let closed = false;

  function spanOf(row: number): Span {
    let lo = 0;
    let hi = groups.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (groups[mid]!.start <= row) lo = mid;
      else hi = mid - 1;
    }
    const group = groups[lo]!;
    const groupEnd = group.start + group.rows;
    if (group.bytes <= maxCachedBytes) return { start: group.start, end: groupEnd, bytes: group.bytes };
    const windowRows = Math.max(MIN_WINDOW_ROWS, Math.floor((group.rows * maxCachedBytes) / 2 / group.bytes));
    const start = group.start + Math.floor((row - group.start) / windowRows) * windowRows;
    const end = Math.min(start + windowRows, groupEnd);
    return { start, end, bytes: Math.ceil((group.bytes * (end - start)) / group.rows) };
  }

  function load(span: Span): Promise<Row[]> {
    const hit = cache.get(span.start);
    if (hit) {
      // Re-insert to mark it most recently used (Map keeps insertion order).
      cache.delete(span.start);
      cache.set(span.start, hit);
      return hit.rows;
    }
    decodeCount++;
    // useOffsetIndex lets hyparquet fetch only the pages of a window when the file indexes them.
    const entry = {
      rows: parquetReadObjects({ file, metadata, compressors, rowStart: span.start, rowEnd: span.end, useOffsetIndex: true }),
      bytes: span.bytes,
    };
    cache.set(span.start, entry);
    entry.rows.catch(() => {
      if (cache.get(span.start) === entry) cache.delete(span.start);
    });
    let cached = 0;
    for (const { bytes } of cache.values()) cached += bytes;
    // Oldest first; the entry just added is last and always stays.
    for (const [start, { bytes }] of cache) {
      if (cached <= maxCachedBytes || cache.size === 1) break;
      cache.delete(start);
      cached -= bytes;
    }
    return entry.rows;
  }

  function issue(index: number, message: string): RowResult {
    return { ok: false, index, issue: { reason: 'read-error', severity: 'error', file: path, index, message } };
  }

  function convertRow(raw: Row | undefined, index: number): RowResult {
    if (!raw) return issue(index, `${path}: row ${index} is missing from its decoded row group`);
    const value: Row = {};
    for (const column of columns) {
      try {
        value[column] = toPlain(raw[column]);
      } catch (error) {
        return issue(index, `${path}: row ${index}, column "${column}": cannot convert the value (${errorText(error)})`);
      }
    }
    return { ok: true, index, value };
  }

  return {
    format: 'parquet',
    path,
    rowCount,
    columns,
    fileIssues,
    template: metadata,
    get decodeCount() {
      return decodeCount;
    },
    async readRows(start: number, end: number, signal?: AbortSignal): Promise<RowResult[]> {
      if (closed) throw new Error(`${path}: the Parquet source is closed`);
      const results: RowResult[] = [];
      let row = Math.max(0, Math.floor(start));
      const stop = Math.min(rowCount, Math.floor(end));
      while (row < stop) {
        signal?.throwIfAborted();
        const span = spanOf(row);
        const spanStop = Math.min(stop, span.end);
        let decoded: Row[] | undefined;
        let failure: unknown;
        try {
          decoded = await load(span);
        } catch (error) {
          failure = error;
        }
        signal?.throwIfAborted();
        for (; row < spanStop; row++) {
          results.push(decoded
            ? convertRow(decoded[row - span.start], row)
            : issue(row, `${path}: cannot decode rows ${span.start}-${span.end - 1} (${errorText(failure)})`));
        }
      }
      return results;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      cache.clear();
      await handle.close();
    },
  };
}

/** Reads and checks the footer; every failure names the file and says what is wrong. */
async function openFile(path: string): Promise<{ file: AsyncBuffer; handle: FileHandle; metadata: FileMetaData }> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const file = handleBuffer(handle, (await handle.stat()).size);
    return { file, handle, metadata: await readFooter(file) };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    throw new Error(`Cannot open Parquet file ${path}: ${errorText(error)}`);
  }
}

async function readFooter(file: AsyncBuffer): Promise<FileMetaData> {
  const size = file.byteLength;
  if (size === 0) throw new Error('the file is empty');
  // Header magic + footer length + footer magic: anything shorter cannot be Parquet.
  if (size < 12) throw new Error(`${size} bytes is too short for a Parquet file`);
  const text = async (from: number, to: number) => Buffer.from(await file.slice(from, to)).toString('latin1');
  if ((await text(0, 4)) !== MAGIC) throw new Error('not a Parquet file (it does not start with "PAR1")');
  if ((await text(size - 4, size)) !== MAGIC) {
    throw new Error('the Parquet footer is missing: the file is truncated or was not completely written');
  }
  try {
    const metadata = await parquetMetadataAsync(file);
    parquetSchema(metadata); // throws on a malformed schema, better now than on the first page
    return metadata;
  } catch (error) {
    throw new Error(`corrupt Parquet metadata (${errorText(error)})`);
  }
}

/** An hyparquet AsyncBuffer over an open handle (sizes are fixed at open: the footer is too). */
function handleBuffer(handle: FileHandle, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    async slice(start: number, end = byteLength): Promise<ArrayBuffer> {
      const bytes = new Uint8Array(Math.max(0, end - start));
      for (let done = 0; done < bytes.length; ) {
        const { bytesRead } = await handle.read(bytes, done, bytes.length - done, start + done);
        if (bytesRead === 0) throw new Error(`the file ended at byte ${start + done}: it changed after opening`);
        done += bytesRead;
      }
      return bytes.buffer;
    },
  };
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Turns a decoded hyparquet value into a JSON-compatible one (see the design note). */
export function toPlain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
    case 'object':
      break;
    default:
      throw new Error(`unexpected ${typeof value} value`);
  }
  if (value instanceof Date) return value.toISOString(); // throws RangeError on an invalid date
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(toPlain);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<unknown>, toPlain);
  }
  if (value instanceof Map) {
    return Object.fromEntries(Array.from(value, ([key, item]) => [String(key), toPlain(item)]));
  }
  const out: Row = {};
  for (const key of Object.keys(value)) out[key] = toPlain((value as Row)[key]);
  return out;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
