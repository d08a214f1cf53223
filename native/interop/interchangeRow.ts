/**
 * Reads one row of the interchange schema (docs/interchange.md; ENGINE-NOTES 6.4) into an
 * `ImportedSide`, or says exactly which field is wrong.
 *
 * Design note: the per-token log-probs are the source of truth; `sum_logprob` is checked against
 * their completion sum (1e-3, a producer summing in bf16 drifts by about that on long
 * responses) and a disagreement is reported as a warning while the per-token sum is used.
 * `null` and NaN both mean "no log-prob" (JSON has no NaN; Parquet float columns have no null).
 */
import type { DataIssue } from '../data/types';
import { completionSum, completionTokens, type ExampleKey, type ImportedSide, type ModelRole, type SideName } from './importedSide';

export interface RowContext {
  file: string;
  index: number;
  line?: number;
}

export type RowParse = { ok: true; side: ImportedSide; warnings: DataIssue[] } | { ok: false; issue: DataIssue };

export const SUM_TOLERANCE = 1e-3;

export function fail(ctx: RowContext, field: string, message: string, reason: DataIssue['reason'] = 'wrong-type'): { ok: false; issue: DataIssue } {
  return { ok: false, issue: { reason, severity: 'error', file: ctx.file, index: ctx.index, line: ctx.line, field, message } };
}

export function exampleKeyOf(value: unknown): ExampleKey | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { kind: 'index', index: value };
  if (typeof value === 'string' && value.length > 0) return { kind: 'value', value };
  return undefined;
}

export function sideOf(value: unknown): SideName | undefined {
  return value === 'chosen' || value === 'rejected' ? value : undefined;
}

export function roleOf(value: unknown): ModelRole | undefined | null {
  if (value === undefined || value === null) return undefined;
  return value === 'policy' || value === 'reference' ? value : null;
}

/** Numbers of a per-position array; null / NaN become NaN. Undefined when not an array of numbers. */
export function floatArray(value: unknown): Float64Array | undefined {
  if (!Array.isArray(value)) return undefined;
  const out = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (v === null || v === undefined) out[i] = Number.NaN;
    else if (typeof v === 'number') out[i] = v;
    else return undefined;
  }
  return out;
}

export function intArray(value: unknown): number[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isInteger(v)) ? (value as number[]) : undefined;
}

const optionalString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function parseInterchangeRow(row: Record<string, unknown>, ctx: RowContext): RowParse {
  const example = exampleKeyOf(row.example_id);
  if (!example) return fail(ctx, 'example_id', 'example_id must be a row index (integer >= 0) or a non-empty string id', 'missing-field');
  const side = sideOf(row.side);
  if (!side) return fail(ctx, 'side', `side must be "chosen" or "rejected" (got ${JSON.stringify(row.side)})`);
  if (typeof row.model_id !== 'string' || !row.model_id) return fail(ctx, 'model_id', 'model_id must be a non-empty string', 'missing-field');
  const role = roleOf(row.model_role);
  if (role === null) return fail(ctx, 'model_role', `model_role must be "policy" or "reference" (got ${JSON.stringify(row.model_role)})`);
  const tokenIds = intArray(row.token_ids);
  if (!tokenIds) return fail(ctx, 'token_ids', 'token_ids must be an array of integers', 'missing-field');
  const tokenLogps = floatArray(row.token_logprobs);
  if (!tokenLogps) return fail(ctx, 'token_logprobs', 'token_logprobs must be an array of numbers (null where not computed)', 'missing-field');
  if (tokenLogps.length !== tokenIds.length) return fail(ctx, 'token_logprobs', `token_logprobs has ${tokenLogps.length} entries for ${tokenIds.length} token_ids`);
  const start = row.completion_start;
  if (typeof start !== 'number' || !Number.isInteger(start) || start < 0 || start > tokenIds.length) {
    return fail(ctx, 'completion_start', `completion_start must be an integer in 0..${tokenIds.length}`, typeof start === 'number' ? 'wrong-type' : 'missing-field');
  }
  return finishSide({ example, side, modelId: row.model_id, role, tokenIds, tokenLogps, completionStart: start, row, ctx });
}

/** Shared by the interchange and vLLM readers once the sequence is known. */
export function finishSide(input: { example: ExampleKey; side: SideName; modelId: string; role?: ModelRole; tokenIds: number[]; tokenLogps: Float64Array; completionStart: number; row: Record<string, unknown>; ctx: RowContext; extra?: Partial<ImportedSide> }): RowParse {
  const { tokenIds, tokenLogps, completionStart, row, ctx } = input;
  const { sum, missingAt } = completionSum(tokenLogps, completionStart);
  if (missingAt !== undefined) return fail(ctx, `token_logprobs[${missingAt}]`, `no log-prob for completion token ${missingAt} (id ${tokenIds[missingAt]})`, 'missing-field');
  const warnings: DataIssue[] = [];
  const declared = row.sum_logprob;
  if (typeof declared === 'number' && Math.abs(declared - sum) > SUM_TOLERANCE) {
    warnings.push({ reason: 'wrong-type', severity: 'warning', file: ctx.file, index: ctx.index, line: ctx.line, field: 'sum_logprob', message: `sum_logprob ${declared} differs from the sum of the completion's token_logprobs ${sum.toFixed(6)}; the per-token sum is used` });
  }
  const side: ImportedSide = {
    example: input.example, side: input.side, modelId: input.modelId, role: input.role,
    sum, nTokens: completionTokens(tokenIds.length, completionStart), tokenIds, tokenLogps, completionStart,
    entropy: floatArray(row.token_entropy), rank: floatArray(row.target_rank),
    topkIds: Array.isArray(row.topk_ids) ? (row.topk_ids as number[][]) : undefined,
    topkLogps: Array.isArray(row.topk_logprobs) ? (row.topk_logprobs as number[][]) : undefined,
    provenance: { dtype: optionalString(row.dtype), revision: optionalString(row.model_revision), tokenizerSha256: optionalString(row.tokenizer_sha256), chatTemplateSha256: optionalString(row.chat_template_sha256) },
    from: { file: ctx.file, line: ctx.line, index: ctx.index },
    ...input.extra,
  };
  return { ok: true, side, warnings };
}

/** A side read without `completion_start` (a vLLM dump), completed once the prompt length is known. */
export function withCompletionStart(side: ImportedSide, completionStart: number): ImportedSide | { missingAt: number } {
  const logps = side.tokenLogps!;
  const { sum, missingAt } = completionSum(logps, completionStart);
  if (missingAt !== undefined) return { missingAt };
  return { ...side, completionStart, sum, nTokens: completionTokens(logps.length, completionStart) };
}
