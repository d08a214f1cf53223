/**
 * Opens any supported dataset path as a `RowSource`: `.jsonl`, `.jsonl.gz`, `.json`,
 * `.parquet`, `.arrow` (Hugging Face `datasets` files), or a folder of such shards read as one dataset in natural file-name order
 * (`train-00002-of-00010` before `train-00010-of-00010`).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openGzipJsonlSource } from './gzipSource';
import { openJsonArraySource } from './jsonArraySource';
import { openJsonlSource, type OpenJsonlOptions } from './jsonlSource';
import { openParquetSource } from './parquetSource';
import { openArrowSource } from './arrowSource';
import type { DataIssue, DatasetFormat, RowResult, RowSource } from './types';

export interface OpenOptions {
  /** Cache folder for line indexes and decompressed archives. */
  cacheDir: string;
  signal?: AbortSignal;
  onProgress?: OpenJsonlOptions['onProgress'];
}

const SHARD = /\.(jsonl|jsonl\.gz|json|parquet|arrow)$/i;

export function formatOf(path: string): Exclude<DatasetFormat, 'folder'> | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.jsonl.gz')) return 'jsonl.gz';
  if (lower.endsWith('.jsonl')) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.parquet')) return 'parquet';
  if (lower.endsWith('.arrow')) return 'arrow';
  return undefined;
}

export async function openRowSource(path: string, options: OpenOptions): Promise<RowSource> {
  const info = await stat(path);
  if (info.isDirectory()) return openFolderSource(path, options);
  switch (formatOf(path)) {
    case 'jsonl':
      return openJsonlSource(path, options);
    case 'jsonl.gz':
      return openGzipJsonlSource(path, options);
    case 'json':
      return openJsonArraySource(path);
    case 'parquet':
      return openParquetSource(path);
    case 'arrow':
      return openArrowSource(path);
    default:
      throw new Error(`${path}: unsupported file type; PrefLens reads .jsonl, .jsonl.gz, .json, .parquet, .arrow or a folder of them`);
  }
}

const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

async function openFolderSource(dir: string, options: OpenOptions): Promise<RowSource> {
  let names = (await readdir(dir)).filter((name) => SHARD.test(name) && !name.startsWith('.')).sort(naturalOrder);
  // A `datasets` save_to_disk folder: its .arrow shards are the data, state.json and
  // dataset_info.json are metadata.
  if (names.some((n) => /\.arrow$/i.test(n))) names = names.filter((n) => /\.arrow$/i.test(n));
  if (names.length === 0) throw new Error(`${dir}: the folder holds no .jsonl, .jsonl.gz, .json, .parquet or .arrow files`);
  const shards: RowSource[] = [];
  try {
    for (const name of names) shards.push(await openRowSource(join(dir, name), options));
  } catch (error) {
    await Promise.all(shards.map((s) => s.close()));
    throw error;
  }
  const offsets: number[] = [];
  let total = 0;
  for (const shard of shards) {
    offsets.push(total);
    total += shard.rowCount;
  }
  const locate = (index: number): number => {
    let lo = 0;
    let hi = shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (offsets[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const shift = (row: RowResult, by: number): RowResult =>
    row.ok ? { ...row, index: row.index + by } : { ...row, index: row.index + by, issue: { ...row.issue, index: row.index + by } };
  const columns = shards.every((s) => s.columns) ? [...new Set(shards.flatMap((s) => s.columns ?? []))] : undefined;
  const fileIssues: DataIssue[] = shards.flatMap((s) => s.fileIssues);
  return {
    format: 'folder',
    path: dir,
    rowCount: total,
    columns,
    fileIssues,
    lineOf: (index) => {
      const s = locate(index);
      return shards[s]!.lineOf?.(index - offsets[s]!);
    },
    fileOf: (index: number) => shards[locate(index)]!.path,
    readRawLine: shards.every((s) => s.readRawLine)
      ? (index: number) => {
          const s = locate(index);
          return shards[s]!.readRawLine!(index - offsets[s]!);
        }
      : undefined,
    async readRows(start: number, end: number, signal?: AbortSignal): Promise<RowResult[]> {
      const rows: RowResult[] = [];
      let i = Math.max(0, start);
      const stop = Math.min(end, total);
      while (i < stop) {
        const s = locate(i);
        const shardEnd = Math.min(stop, offsets[s]! + shards[s]!.rowCount);
        const page = await shards[s]!.readRows(i - offsets[s]!, shardEnd - offsets[s]!, signal);
        rows.push(...page.map((row) => shift(row, offsets[s]!)));
        i = shardEnd;
      }
      return rows;
    },
    async close(): Promise<void> {
      await Promise.all(shards.map((s) => s.close()));
    },
  };
}
