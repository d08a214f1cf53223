/**
 * Opens an Arrow IPC file as a `RowSource`: what Hugging Face `datasets` writes
 * (`save_to_disk` folders hold `data-00000-of-0000N.arrow`, and its cache holds
 * `cache-<fingerprint>.arrow`, e.g. TRL's precomputed `ref_chosen_logps` / `ref_rejected_logps`).
 *
 * Design note
 * - Both IPC layouts are read (`datasets` writes the streaming format; `.arrow` files from
 *   pyarrow's `new_file` use the file format); apache-arrow detects which from the magic bytes.
 * - The table is decoded once when the file is opened and rows are converted to plain JSON-like
 *   objects on demand, like the Parquet source: int64 -> number when safe (else a decimal
 *   string), lists -> arrays, structs and maps -> objects, binary -> base64, dates -> ISO text.
 *   Arrow files are loaded whole (`datasets` memory-maps them; Node cannot), so this source is
 *   for the sizes an import or a review needs, not for browsing multi-gigabyte files: those are
 *   better converted to Parquet (`ds.to_parquet`), which PrefLens pages from disk.
 * - A row whose conversion fails becomes a located `read-error` issue; the others still load.
 */
import { readFile } from 'node:fs/promises';
import { MapRow, StructRow, tableFromIPC, Vector, type Table } from 'apache-arrow';
import type { DataIssue, RowResult, RowSource } from './types';

export interface ArrowRowSource extends RowSource {
  readonly format: 'arrow';
}

/** A value from an Arrow row as plain JSON-like data. */
export function arrowToPlain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, arrowToPlain);
  if (Array.isArray(value)) return value.map(arrowToPlain);
  if (value instanceof Vector) return Array.from(value as Iterable<unknown>, arrowToPlain);
  if (value instanceof MapRow) return Object.fromEntries([...(value.toJSON() as Map<unknown, unknown>).entries()].map(([k, x]) => [String(k), arrowToPlain(x)]));
  if (value instanceof StructRow) return arrowToPlain(value.toJSON());
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(value)) out[k] = arrowToPlain(x);
  return out;
}

export async function openArrowSource(path: string): Promise<ArrowRowSource> {
  let table: Table;
  try {
    table = tableFromIPC(await readFile(path));
  } catch (error) {
    throw new Error(`${path}: not a readable Arrow IPC file (${error instanceof Error ? error.message : String(error)})`);
  }
  const columns = table.schema.fields.map((f) => f.name);
  const rowCount = table.numRows;
  let closed = false;
  return {
    format: 'arrow',
    path,
    rowCount,
    columns,
    fileIssues: [],
    async readRows(start: number, end: number, signal?: AbortSignal): Promise<RowResult[]> {
      if (closed) throw new Error(`${path}: the source is closed`);
      signal?.throwIfAborted();
      const out: RowResult[] = [];
      for (let index = Math.max(0, start); index < Math.min(end, rowCount); index++) {
        try {
          const row: Record<string, unknown> = {};
          for (const name of columns) row[name] = arrowToPlain(table.getChild(name)?.get(index));
          out.push({ ok: true, index, value: row });
        } catch (error) {
          const issue: DataIssue = { reason: 'read-error', severity: 'error', file: path, index, message: `row ${index + 1} could not be decoded: ${error instanceof Error ? error.message : String(error)}` };
          out.push({ ok: false, index, issue });
        }
      }
      return out;
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
