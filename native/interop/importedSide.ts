/**
 * One response of one pair under one model, as imported from elsewhere: the common form every
 * importer (interchange schema, vLLM `prompt_logprobs` dumps, TRL reference columns, PrefLens
 * score files) produces, and the only thing `importScores` consumes.
 *
 * Design note: the per-token fields are optional because some sources carry only sums (TRL's
 * `ref_*_logps`, a score file); `sum` is always the summed completion log-prob under METRICS
 * 1.1 convention A (docs/interchange.md). `from` locates the source row for error messages.
 */

export type SideName = 'chosen' | 'rejected';
export type ModelRole = 'policy' | 'reference';

/** How a source row names its pair: a dataset row index, a PrefLens pair id, or a column value. */
export type ExampleKey = { kind: 'index'; index: number } | { kind: 'value'; value: string } | { kind: 'pair-id'; id: string };

export interface ImportedSide {
  example: ExampleKey;
  /** For a pair-id key: the pair's direction in the source (a copy with the label swapped has the other one). */
  direction?: 1 | -1;
  side: SideName;
  modelId: string;
  role?: ModelRole;
  /** Summed completion log-prob. */
  sum: number;
  /** Completion tokens (unknown for sum-only sources). */
  nTokens?: number;
  /** The whole sequence (prompt then completion) and its per-position log-probs (NaN where none). */
  tokenIds?: number[];
  tokenLogps?: Float64Array;
  completionStart?: number;
  /** Per position, when the source has them. */
  entropy?: Float64Array;
  rank?: Float64Array;
  topkIds?: number[][];
  topkLogps?: number[][];
  /** A score file's record names the pair it was computed on: checked against the dataset row. */
  expectedPairId?: string;
  provenance: { dtype?: string; revision?: string; tokenizerSha256?: string; chatTemplateSha256?: string };
  from: { file: string; line?: number; index: number };
}

/** Summed log-probs over the completion, with convention A's first-position rule. */
export function completionSum(tokenLogps: ArrayLike<number>, completionStart: number): { sum: number; missingAt?: number } {
  let sum = 0;
  // With an empty prompt the first token has no log-prob and is not scored (TRL drops position 0).
  for (let t = Math.max(completionStart, 1); t < tokenLogps.length; t++) {
    const v = tokenLogps[t]!;
    if (!Number.isFinite(v)) return { sum: Number.NaN, missingAt: t };
    sum += v;
  }
  return { sum };
}

/** Scored completion tokens under the same rule. */
export function completionTokens(length: number, completionStart: number): number {
  return Math.max(0, length - Math.max(completionStart, 1));
}
