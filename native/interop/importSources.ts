/**
 * Reads an import source (a file or a folder of shards, in any format PrefLens opens: JSONL,
 * JSON, Parquet, Arrow) and tells which kind it is from its first readable row:
 * - `vllm`: a vLLM `prompt_logprobs` dump (`prompt_token_ids` + `prompt_logprobs`);
 * - `interchange`: docs/interchange.md rows (`token_logprobs` + `side`);
 * - `preflens-scores`: the output of `preflens score` / `preflens import` (`status`, `chosen_logps`);
 * - `trl-ref`: a dataset with TRL's precomputed `ref_chosen_logps` / `ref_rejected_logps`
 *   columns (reference model only), matched to pairs by their content, so a filtered or
 *   reordered copy (e.g. `preflens export --ref-logps`, or TRL's own processed dataset) still
 *   lines up; a copy with the label swapped has its two columns swapped back.
 *
 * Design note: one bad row is a located issue and never stops the others; rows for the other
 * role (`model_role`) are skipped silently, so one file holding both models can be given to
 * `--policy` and `--ref`.
 */
import { Dataset } from '../data/dataset';
import { openRowSource } from '../data/openSource';
import type { ColumnMapping } from '../data/schema';
import type { DataIssue, RowSource } from '../data/types';
import type { ImportedSide, ModelRole } from './importedSide';
import { parseInterchangeRow, type RowParse } from './interchangeRow';
import { isVllmDumpRow, parseVllmRow } from './vllmDump';

export type SourceKind = 'interchange' | 'vllm' | 'preflens-scores' | 'trl-ref';

export interface SourceRead {
  file: string;
  kind: SourceKind;
  rows: number;
  sides: ImportedSide[];
  issues: DataIssue[];
}

export class ImportSourceError extends Error {}

const PAGE = 2000;

export function kindOfRow(row: Record<string, unknown>): SourceKind | undefined {
  if (isVllmDumpRow(row)) return 'vllm';
  if (Array.isArray(row.token_logprobs) && 'side' in row) return 'interchange';
  if (typeof row.status === 'string' && typeof row.index === 'number' && ('chosen_logps' in row || 'ref_chosen_logps' in row)) return 'preflens-scores';
  if ('ref_chosen_logps' in row && 'ref_rejected_logps' in row) return 'trl-ref';
  return undefined;
}

async function firstRow(source: RowSource): Promise<Record<string, unknown> | undefined> {
  for (let start = 0; start < Math.min(source.rowCount, 200); start += 50) {
    const ok = (await source.readRows(start, start + 50)).find((r) => r.ok);
    if (ok?.ok) return ok.value;
  }
  return undefined;
}

const fileName = (path: string): string => path.replace(/^.*[\\/]/, '');

export async function readImportSource(path: string, role: ModelRole, options: { cacheDir: string; mapping?: ColumnMapping; signal?: AbortSignal }): Promise<SourceRead> {
  const source = await openRowSource(path, { cacheDir: options.cacheDir, signal: options.signal });
  try {
    const first = await firstRow(source);
    if (!first) throw new ImportSourceError(`${path}: no readable rows`);
    const kind = kindOfRow(first);
    if (!kind) {
      throw new ImportSourceError(`${path}: not a format PrefLens imports (columns ${Object.keys(first).slice(0, 12).join(', ')}); expected the interchange schema (docs/interchange.md), a vLLM prompt_logprobs dump, TRL ref_chosen_logps/ref_rejected_logps columns, or a preflens score file`);
    }
    if (kind === 'trl-ref') {
      if (role !== 'reference') throw new ImportSourceError(`${path}: TRL's ref_chosen_logps / ref_rejected_logps are the reference model's log-probs: give this file as --ref`);
      await source.close();
      return await readTrlRef(path, options);
    }
    const out: SourceRead = { file: path, kind, rows: source.rowCount, sides: [], issues: [...source.fileIssues] };
    for (let start = 0; start < source.rowCount; start += PAGE) {
      for (const r of await source.readRows(start, start + PAGE, options.signal)) {
        if (!r.ok) {
          out.issues.push(r.issue);
          continue;
        }
        const ctx = { file: source.fileOf?.(r.index) ?? path, index: r.index, line: r.line ?? source.lineOf?.(r.index) };
        if (kind === 'preflens-scores') {
          out.sides.push(...scoreFileSides(r.value, role, ctx, out.issues));
          continue;
        }
        const parsed: RowParse = kind === 'vllm' ? parseVllmRow(r.value, ctx, fileName(path)) : parseInterchangeRow(r.value, ctx);
        if (!parsed.ok) out.issues.push(parsed.issue);
        else if (parsed.side.role === undefined || parsed.side.role === role) {
          out.sides.push(parsed.side);
          out.issues.push(...parsed.warnings);
        }
      }
    }
    return out;
  } finally {
    await source.close();
  }
}

/** A preflens score record: the policy's or the reference's two sums and token counts. */
function scoreFileSides(row: Record<string, unknown>, role: ModelRole, ctx: { file: string; index: number; line?: number }, issues: DataIssue[]): ImportedSide[] {
  if (row.status !== 'ok') return [];
  const prefix = role === 'policy' ? '' : 'ref_';
  const sides: ImportedSide[] = [];
  for (const side of ['chosen', 'rejected'] as const) {
    const sum = row[`${prefix}${side}_logps`];
    if (typeof sum !== 'number') {
      issues.push({ reason: 'missing-field', severity: 'error', file: ctx.file, index: ctx.index, line: ctx.line, field: `${prefix}${side}_logps`, message: `no ${prefix}${side}_logps in a scored record` });
      continue;
    }
    const tokens = row[`${side}_tokens`];
    sides.push({
      example: { kind: 'index', index: row.index as number }, side, modelId: `${fileName(ctx.file)}:${role}`, role, sum,
      nTokens: typeof tokens === 'number' ? tokens : undefined, provenance: {}, from: ctx,
      ...(typeof row.id === 'string' ? { expectedPairId: row.id } : {}),
    });
  }
  return sides;
}

/** TRL's reference columns, read through the dataset reader so pairs match by content. */
async function readTrlRef(path: string, options: { cacheDir: string; mapping?: ColumnMapping; signal?: AbortSignal }): Promise<SourceRead> {
  const dataset = await Dataset.open(path, { cacheDir: options.cacheDir, mapping: options.mapping, signal: options.signal });
  const out: SourceRead = { file: path, kind: 'trl-ref', rows: dataset.rowCount, sides: [], issues: [] };
  try {
    if (!dataset.schema) throw new ImportSourceError(`${path}: has ref_chosen_logps / ref_rejected_logps but no prompt/chosen/rejected columns to match pairs by (${dataset.schemaProblem ?? 'unknown layout'})`);
    for (let start = 0; start < dataset.rowCount; start += PAGE) {
      for (const p of await dataset.readPairs(start, start + PAGE, options.signal)) {
        if (!p.ok) {
          out.issues.push(p.issue);
          continue;
        }
        const { pair } = p;
        const from = { file: path, index: pair.index, line: pair.line };
        for (const side of ['chosen', 'rejected'] as const) {
          const sum = pair.attributes[`ref_${side}_logps`];
          if (typeof sum !== 'number') {
            out.issues.push({ reason: 'missing-field', severity: 'error', file: path, index: pair.index, line: pair.line, field: `ref_${side}_logps`, message: `ref_${side}_logps is ${JSON.stringify(sum ?? null)}, not a number` });
            continue;
          }
          out.sides.push({ example: { kind: 'pair-id', id: pair.id }, direction: pair.direction, side, modelId: `${fileName(path)}:reference`, role: 'reference', sum, provenance: {}, from });
        }
      }
    }
    return out;
  } finally {
    await dataset.close();
  }
}
