/**
 * Export of a filtered dataset with a provenance manifest (`preflens export`, and the
 * extension's "Export filtered dataset").
 *
 * Design note
 * - Filters, applied in this order: invalid rows (kept unless `dropInvalid`), person flags in
 *   `dropFlags` (default `drop`), suspicion reasons in `dropSuspected` (from a scores file),
 *   then the `--where` expression over scores, attributes, the flag and the prompt/chosen/rejected
 *   text. `applySwaps` reverses
 *   the label of pairs flagged `swap` (see swapRow.ts); without it the swap flag changes nothing.
 * - JSONL output: a kept row that is not swapped is written as its exact source bytes, so an
 *   export without filters reproduces every record line byte for byte. Swapped rows are
 *   re-serialised with their key order kept. Parquet output keeps the source's column types
 *   when the source is Parquet.
 * - Writes are atomic (AtomicFileWriter); the manifest beside the output records the source
 *   hash, filters, counts and, when scores were used, where they came from. The source is never
 *   the output unless the caller explicitly allows it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AtomicFileWriter, writeFileAtomic } from './atomicFile';
import type { Dataset } from './dataset';
import type { FlagValue } from './flagsStore';
import type { ParquetRowSource } from './parquetSource';
import { writeParquetRows } from './parquetWriter';
import { turnsText } from './messages';
import { swapRow } from './swapRow';
import type { CompiledWhere } from './whereExpression';

export interface ScoreRecord {
  id?: string;
  index?: number;
  suspicions?: { reason: string }[];
  [field: string]: unknown;
}

export interface ExportOptions {
  out: string;
  format?: 'jsonl' | 'parquet';
  flags: ReadonlyMap<string, FlagValue>;
  dropFlags?: readonly FlagValue[];
  applySwaps?: boolean;
  dropSuspected?: readonly string[];
  where?: CompiledWhere;
  scores?: { path: string; byId: ReadonlyMap<string, ScoreRecord>; byIndex?: ReadonlyMap<number, ScoreRecord>; meta?: unknown };
  /**
   * Add TRL's precomputed reference columns `ref_chosen_logps` / `ref_rejected_logps` (summed
   * completion log-probs under the reference, TRL's convention) from the scores, so TRL's
   * DPOTrainer can skip its reference pass. Every kept pair must have a score.
   */
  refLogps?: boolean;
  dropInvalid?: boolean;
  allowOverwriteSource?: boolean;
  version: string;
  signal?: AbortSignal;
}

export interface ExportCounts {
  rows: number;
  kept: number;
  swapped: number;
  dropped: { invalid: number; flagged: Partial<Record<FlagValue, number>>; suspected: number; where: number };
}

export interface ExportManifest {
  preflens: string;
  kind: 'export-manifest';
  createdAt: string;
  source: { path: string; format: string; schema: string | null; sha256: string; bytes: number };
  output: { path: string; format: 'jsonl' | 'parquet'; sha256: string; bytes: number };
  filters: { dropFlags: FlagValue[]; applySwaps: boolean; dropSuspected: string[]; where: string | null; dropInvalid: boolean; refLogps?: boolean };
  counts: ExportCounts;
  scores: { path: string; meta: unknown } | null;
}

/** The row with TRL's reference columns, from its score record (matched by row, else by pair id). */
function withRefLogps(value: Record<string, unknown>, index: number, id: string, swapped: boolean, scores: ExportOptions['scores']): Record<string, unknown> {
  const record = scores?.byIndex?.get(index) ?? scores?.byId.get(id);
  const chosen = record?.ref_chosen_logps;
  const rejected = record?.ref_rejected_logps;
  if (record?.status !== 'ok' || typeof chosen !== 'number' || typeof rejected !== 'number') {
    throw new Error(`row ${index + 1} (pair ${id}) has no reference log-probs in ${scores?.path ?? 'the scores'}: score it, or drop it from the export (e.g. --drop-invalid, --where)`);
  }
  // a swapped row's chosen is the scored rejected response
  return { ...value, ref_chosen_logps: swapped ? rejected : chosen, ref_rejected_logps: swapped ? chosen : rejected };
}

export function manifestPath(out: string): string {
  return `${out}.manifest.json`;
}

async function sha256OfFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** A file's hash, or for a folder the hash of its shards' names and hashes in order. */
async function sourceHash(path: string): Promise<{ sha256: string; bytes: number }> {
  if (!(await stat(path)).isDirectory()) return sha256OfFile(path);
  const hash = createHash('sha256');
  let bytes = 0;
  for (const name of (await readdir(path)).sort()) {
    if (name.startsWith('.')) continue;
    const entry = join(path, name);
    if ((await stat(entry)).isDirectory()) continue;
    const part = await sha256OfFile(entry);
    hash.update(`${name}\0${part.sha256}\n`);
    bytes += part.bytes;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export async function exportDataset(dataset: Dataset, options: ExportOptions): Promise<ExportManifest> {
  const format = options.format ?? (options.out.toLowerCase().endsWith('.parquet') ? 'parquet' : 'jsonl');
  if (resolve(options.out) === resolve(dataset.path) && !options.allowOverwriteSource) {
    throw new Error(`refusing to overwrite the source dataset ${dataset.path}; choose another --out (or pass --overwrite-source to replace it deliberately)`);
  }
  const schema = dataset.schema;
  const dropFlags = new Set<FlagValue>(options.dropFlags ?? ['drop']);
  const dropSuspected = new Set(options.dropSuspected ?? []);
  if (dropSuspected.size > 0 && !options.scores) {
    throw new Error('--drop-suspected needs --scores FILE (the output of preflens score)');
  }
  const counts: ExportCounts = { rows: dataset.rowCount, kept: 0, swapped: 0, dropped: { invalid: 0, flagged: {}, suspected: 0, where: 0 } };
  const writer = format === 'jsonl' ? await AtomicFileWriter.create(options.out) : undefined;
  const parquetRows: Record<string, unknown>[] = [];
  // JSONL sources give their exact bytes; other sources (JSON arrays, Parquet) are serialised.
  const rawOrJson = async (index: number, value: unknown): Promise<Buffer> =>
    dataset.source.readRawLine ? Buffer.concat([await dataset.source.readRawLine(index), Buffer.from('\n')]) : Buffer.from(`${JSON.stringify(value)}\n`);
  try {
    for (let start = 0; start < dataset.rowCount; start += 2000) {
      options.signal?.throwIfAborted();
      const end = Math.min(start + 2000, dataset.rowCount);
      const rows = await dataset.source.readRows(start, end, options.signal);
      const pairs = dataset.pairsFromRows(rows);
      for (let k = 0; k < rows.length; k++) {
        const row = rows[k]!;
        const result = pairs[k]!;
        if (!result.ok) {
          // Rows PrefLens cannot use are kept verbatim unless asked otherwise: an export never
          // loses data silently. They carry no pair id, so flags and scores cannot apply.
          if (options.dropInvalid || (!writer && !row.ok)) {
            counts.dropped.invalid++;
            continue;
          }
          counts.kept++;
          if (writer) await writer.write(await rawOrJson(row.index, row.ok ? row.value : undefined));
          else if (row.ok) parquetRows.push(row.value);
          continue;
        }
        const pair = result.pair;
        const flag = options.flags.get(pair.id);
        if (flag && dropFlags.has(flag)) {
          counts.dropped.flagged[flag] = (counts.dropped.flagged[flag] ?? 0) + 1;
          continue;
        }
        const score = options.scores?.byId.get(pair.id);
        if (dropSuspected.size > 0 && score?.suspicions?.some((s) => dropSuspected.has(s.reason))) {
          counts.dropped.suspected++;
          continue;
        }
        if (options.where) {
          const view: Record<string, unknown> = {
            ...pair.attributes,
            ...(score ?? {}),
            prompt: turnsText(pair.prompt),
            chosen: turnsText(pair.chosen),
            rejected: turnsText(pair.rejected),
            attributes: pair.attributes,
            flag: flag ?? null,
            index: row.index,
            id: pair.id,
          };
          if (!options.where.test(view)) {
            counts.dropped.where++;
            continue;
          }
        }
        const swap = options.applySwaps === true && flag === 'swap' && schema !== undefined && row.ok;
        counts.kept++;
        if (swap) counts.swapped++;
        let value = row.ok ? (swap ? swapRow(row.value, schema.mapping) : row.value) : undefined;
        if (options.refLogps && value) value = withRefLogps(value, row.index, pair.id, swap, options.scores);
        const reserialise = swap || options.refLogps === true;
        if (writer) await writer.write(reserialise ? `${JSON.stringify(value)}\n` : await rawOrJson(row.index, value));
        else if (value) parquetRows.push(value);
      }
    }
    if (writer) await writer.commit();
    else {
      const source = dataset.source.format === 'parquet' ? (dataset.source as ParquetRowSource) : undefined;
      const columns = source?.columns ? [...source.columns] : [...new Set(parquetRows.flatMap((r) => Object.keys(r)))];
      await writeParquetRows(options.out, parquetRows, { columns, template: source?.template });
    }
  } catch (error) {
    await writer?.abort();
    throw error;
  }
  const manifest: ExportManifest = {
    preflens: options.version,
    kind: 'export-manifest',
    createdAt: new Date().toISOString(),
    source: { path: resolve(dataset.path), format: dataset.source.format, schema: schema?.kind ?? null, ...(await sourceHash(dataset.path)) },
    output: { path: resolve(options.out), format, ...(await sha256OfFile(options.out)) },
    filters: { dropFlags: [...dropFlags], applySwaps: options.applySwaps === true, dropSuspected: [...dropSuspected], where: options.where?.source ?? null, dropInvalid: options.dropInvalid === true, refLogps: options.refLogps === true },
    counts,
    scores: options.scores ? { path: resolve(options.scores.path), meta: options.scores.meta ?? null } : null,
  };
  await writeFileAtomic(manifestPath(options.out), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
