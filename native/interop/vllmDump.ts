/**
 * Reads one line of a vLLM `prompt_logprobs` dump (ENGINE-NOTES 6.1; docs/vllm.md) into an
 * `ImportedSide`.
 *
 * A line is what `RequestOutput` gives, serialised: `prompt_token_ids` and `prompt_logprobs`, a
 * list whose first entry is null (the first token has no context) and then, per position, an
 * object keyed by token id (a string in JSON) of `{logprob, rank, decoded_token}` that holds the
 * actual token plus the top-k. The pair and side come from `example_id` and `side`, or from a
 * `request_id` of the form `"<example>:<side>"`. `completion_start` may be omitted: the importer
 * then takes the prompt length from the local tokenizer (`--tokenizer`).
 *
 * Design note: vLLM's rank is 1-based; PrefLens's is 0-based (number of tokens strictly more
 * likely), so rank - 1 is stored. The top-k list is the dict's other entries by rank. A position
 * whose dict lacks the actual token is a hard error for that row (the log-prob is unknowable).
 */
import type { ExampleKey, SideName } from './importedSide';
import { exampleKeyOf, fail, finishSide, intArray, roleOf, sideOf, type RowContext, type RowParse } from './interchangeRow';

interface VllmLogprob {
  logprob: number;
  rank?: number | null;
  decoded_token?: string | null;
}

function requestKey(requestId: unknown): { example: ExampleKey; side: SideName } | undefined {
  if (typeof requestId !== 'string') return undefined;
  const match = /^(.*)[:/#](chosen|rejected)$/.exec(requestId);
  if (!match) return undefined;
  const raw = match[1]!;
  const example = /^\d+$/.test(raw) ? exampleKeyOf(Number(raw)) : exampleKeyOf(raw);
  return example ? { example, side: match[2] as SideName } : undefined;
}

export function isVllmDumpRow(row: Record<string, unknown>): boolean {
  return Array.isArray(row.prompt_logprobs) && Array.isArray(row.prompt_token_ids);
}

export function parseVllmRow(row: Record<string, unknown>, ctx: RowContext, defaultModelId: string): RowParse {
  const fromRequest = requestKey(row.request_id);
  const example = exampleKeyOf(row.example_id) ?? fromRequest?.example;
  if (!example) return fail(ctx, 'example_id', 'each line needs example_id (row index or id) or a request_id like "17:chosen"', 'missing-field');
  const side = sideOf(row.side) ?? fromRequest?.side;
  if (!side) return fail(ctx, 'side', 'each line needs side "chosen" or "rejected" (or a request_id ending in :chosen / :rejected)', 'missing-field');
  const role = roleOf(row.model_role);
  if (role === null) return fail(ctx, 'model_role', `model_role must be "policy" or "reference" (got ${JSON.stringify(row.model_role)})`);
  const tokenIds = intArray(row.prompt_token_ids);
  if (!tokenIds) return fail(ctx, 'prompt_token_ids', 'prompt_token_ids must be an array of integers');
  const entries = row.prompt_logprobs as unknown[];
  if (entries.length !== tokenIds.length) return fail(ctx, 'prompt_logprobs', `prompt_logprobs has ${entries.length} entries for ${tokenIds.length} prompt_token_ids`);
  const logps = new Float64Array(tokenIds.length).fill(Number.NaN);
  const rank = new Float64Array(tokenIds.length).fill(Number.NaN);
  const topkIds: number[][] = [];
  const topkLogps: number[][] = [];
  for (let t = 0; t < entries.length; t++) {
    const entry = entries[t];
    topkIds.push([]);
    topkLogps.push([]);
    if (entry === null || entry === undefined) continue;
    if (typeof entry !== 'object' || Array.isArray(entry)) return fail(ctx, `prompt_logprobs[${t}]`, 'each entry is null or an object keyed by token id');
    const dict = entry as Record<string, VllmLogprob>;
    const actual = dict[String(tokenIds[t])];
    if (!actual || typeof actual.logprob !== 'number') return fail(ctx, `prompt_logprobs[${t}]`, `the entry has no log-prob for the actual token ${tokenIds[t]}`, 'missing-field');
    // vLLM writes -inf as -Infinity in Python's json (not valid JSON); a null logprob is a gap.
    logps[t] = actual.logprob;
    if (typeof actual.rank === 'number') rank[t] = actual.rank - 1;
    const others = Object.entries(dict)
      .filter(([, v]) => v && typeof v.logprob === 'number')
      .sort(([, a], [, b]) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || b.logprob - a.logprob);
    for (const [id, v] of others) {
      topkIds[t]!.push(Number(id));
      topkLogps[t]!.push(v.logprob);
    }
  }
  const modelId = typeof row.model_id === 'string' && row.model_id ? row.model_id : defaultModelId;
  const start = row.completion_start;
  if (start === undefined || start === null) {
    // completed by the importer from the local tokenization (withCompletionStart)
    return {
      ok: true,
      warnings: [],
      side: {
        example, side, modelId, role, sum: Number.NaN, nTokens: undefined, tokenIds, tokenLogps: logps, completionStart: undefined, rank, topkIds, topkLogps,
        provenance: {}, from: { file: ctx.file, line: ctx.line, index: ctx.index },
      },
    };
  }
  if (typeof start !== 'number' || !Number.isInteger(start) || start < 0 || start > tokenIds.length) return fail(ctx, 'completion_start', `completion_start must be an integer in 0..${tokenIds.length}`);
  return finishSide({ example, side, modelId, role, tokenIds, tokenLogps: logps, completionStart: start, row, ctx, extra: { rank, topkIds, topkLogps } });
}
