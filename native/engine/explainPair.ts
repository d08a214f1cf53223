/**
 * One pair, explained token by token: what the pair detail view and the counterfactual editor
 * show. Per completion token: its text and character span, the policy and reference log-probs,
 * the token implicit reward beta x (log pi - log pi_ref) (METRICS 9), the policy's rank of the
 * token and its top alternatives; per sentence: the segment reward (METRICS 6.2-6.4), which
 * sums to the response reward exactly; and the first token where chosen and rejected diverge.
 *
 * Design note
 * - The pair is tokenized exactly as `preflens score` does (TRL convention, trlTokenize.ts), so
 *   the summed token log-probs here equal the record's `chosen_logps` etc. to float precision.
 * - `edits` replace the text of a completion's last assistant turn (or the whole completion of
 *   a string pair) before tokenization: the counterfactual editor re-scores an edited response
 *   with the same code. Only the sides named in `sides` are run through the models; the others
 *   come back as null so an edit of one side never recomputes the other.
 * - Token spans come from decoding growing prefixes of the completion ids, so they tile the
 *   decoded completion text (including template tokens such as `<|im_end|>`) and sentence
 *   segments are found in the same text. Quadratic in the completion length, which max_length
 *   bounds; a pair is explained on demand, never in bulk.
 */
import type { Pair } from '../data/normalizePair';
import { completionText, withCompletionText, type Side } from '../data/completionEdit';
import { firstDivergence, tokenRewards } from '../metrics/tokenRewards';
import { segmentRewards, splitSentences } from '../metrics/segments';
import type { ModelRunner, SequenceScores } from './modelRunner';
import { canSharePrompt, scoreSharedPrompt } from './promptSharing';
import type { ModelTokenizer } from './tokenize/modelTokenizer';
import { tokenizePairTrl } from './tokenize/trlTokenize';
import type { PairExplanation, SideExplanation } from '../protocol/explainProtocol';

export type { Side };

/** Character spans of each token in the decoded completion, from growing prefixes. */
function tokenSpans(tokenizer: ModelTokenizer, ids: readonly number[]): { text: string; spans: [number, number][] } {
  const spans: [number, number][] = [];
  let previous = 0;
  for (let t = 1; t <= ids.length; t++) {
    // A byte-level token that ends inside a multi-byte character decodes to U+FFFD until the
    // character completes; clamping keeps spans monotonic and the final text exact.
    const length = tokenizer.decode(ids.slice(0, t)).length;
    const end = Math.max(previous, length);
    spans.push([previous, end]);
    previous = end;
  }
  const text = tokenizer.decode([...ids]);
  if (spans.length) spans[spans.length - 1]![1] = text.length;
  return { text, spans };
}

function explainSide(tokenizer: ModelTokenizer, ids: number[], policy: SequenceScores, reference: SequenceScores, beta: number, topK: number, truncated: boolean): SideExplanation {
  const { text, spans } = tokenSpans(tokenizer, ids);
  const rewards = tokenRewards(policy.tokenLogps, reference.tokenLogps, beta);
  const segments = segmentRewards(spans, rewards, splitSentences(text), 0).map((s) => ({
    start: s.span[0], end: s.span[1], reward: s.reward, firstToken: s.tokens[0], endToken: s.tokens[1], text: text.slice(s.span[0], s.span[1]),
  }));
  const k = Math.min(topK, 3);
  const alternatives = ids.map((_, t) => Array.from({ length: k }, (_, j) => ({
    text: tokenizer.decode([policy.topkIds[t * topK + j]!]),
    logp: policy.topkLogps[t * topK + j]!,
  })));
  const sumOf = (xs: ArrayLike<number>): number => Array.from(xs).reduce((a, b) => a + b, 0);
  return {
    text,
    truncated,
    logps: sumOf(policy.tokenLogps),
    refLogps: sumOf(reference.tokenLogps),
    reward: sumOf(rewards),
    tokens: {
      ids,
      text: spans.map(([s, e]) => text.slice(s, e)),
      start: spans.map((s) => s[0]),
      end: spans.map((s) => s[1]),
      policyLogp: Array.from(policy.tokenLogps),
      refLogp: Array.from(reference.tokenLogps),
      reward: Array.from(rewards),
      rank: Array.from(policy.rank),
      alternatives,
    },
    segments,
  };
}

export interface ExplainModels {
  tokenizer: ModelTokenizer;
  policy: ModelRunner;
  reference: ModelRunner;
}

export interface ExplainOptions {
  beta: number;
  maxLength: number;
  edits?: { chosen?: string; rejected?: string };
  /** Sides to run through the models (default both). */
  sides?: Side[];
  /** Earlier results of this pair per side (read and updated): unchanged prefixes are reused. */
  memo?: Map<Side, SideMemo>;
  signal?: AbortSignal;
}

/** What an earlier explanation of the same pair computed for one side, for prefix reuse. */
export interface SideMemo {
  /** Scored completion ids (the positions the scores cover). */
  ids: number[];
  policy: SequenceScores;
  reference: SequenceScores;
}

/** Scores of tokens [0, L) from `head` and [L, ...) from `tail` (top-k blocks of K per token). */
function concatScores(head: SequenceScores, L: number, tail: SequenceScores | undefined, K: number): SequenceScores {
  const n = L + (tail?.scored ?? 0);
  const join = <T extends Float32Array | Int32Array>(a: T, b: T | undefined, per: number, make: new (n: number) => T): T => {
    const out = new make(n * per);
    out.set(a.subarray(0, L * per));
    if (b) out.set(b.subarray(0, (n - L) * per), L * per);
    return out;
  };
  return {
    scored: n,
    tokenLogps: join(head.tokenLogps, tail?.tokenLogps, 1, Float32Array),
    entropy: join(head.entropy, tail?.entropy, 1, Float32Array),
    rank: join(head.rank, tail?.rank, 1, Float32Array),
    topkIds: join(head.topkIds, tail?.topkIds, K, Int32Array),
    topkLogps: join(head.topkLogps, tail?.topkLogps, K, Float32Array),
  };
}

const commonPrefix = (a: readonly number[], b: readonly number[]): number => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

/**
 * One side under one model, reusing an earlier run's values for the unchanged prefix: with a
 * graph that takes a KV cache, prompt + unchanged prefix is run once and only the changed tail
 * is scored from it (promptSharing.ts); without one, the side is run whole. Returns the scores
 * and the first token index that was recomputed.
 */
async function scoreSide(runner: ModelRunner, promptIds: number[], ids: number[], memo: SequenceScores | undefined, memoIds: number[] | undefined, signal?: AbortSignal): Promise<{ scores: SequenceScores; from: number }> {
  // The first completion token is predicted from the last prompt position, so token k of the
  // completion depends on the prompt and tokens [0, k): keep tokens [0, L) when [0, L) match.
  const L = memo && memoIds ? commonPrefix(memoIds, ids) : 0;
  if (memo && L > 0 && L === ids.length && L <= memoIds!.length) return { scores: concatScores(memo, L, undefined, runner.topK), from: L };
  if (memo && L > 0 && canSharePrompt(runner, promptIds.length + L)) {
    const [tail] = await scoreSharedPrompt(runner, [...promptIds, ...ids.slice(0, L)], [ids.slice(L)], false);
    return { scores: concatScores(memo, L, tail!, runner.topK), from: L };
  }
  const [scores] = await runner.score([{ ids: [...promptIds, ...ids], completionStart: promptIds.length }], { signal });
  return { scores: scores!, from: 0 };
}

export async function explainPair(pair: Pair, models: ExplainModels, options: ExplainOptions): Promise<PairExplanation> {
  const edited: Pair = {
    ...pair,
    chosen: options.edits?.chosen !== undefined ? withCompletionText(pair.chosen, options.edits.chosen) : pair.chosen,
    rejected: options.edits?.rejected !== undefined ? withCompletionText(pair.rejected, options.edits.rejected) : pair.rejected,
  };
  const t = tokenizePairTrl(edited, models.tokenizer, { maxLength: options.maxLength });
  if (t.dropped) throw new Error(`pair ${pair.index} cannot be scored: ${t.dropped}`);
  const first = Math.max(t.promptIds.length, 1);
  const full = { chosen: [...t.promptIds, ...t.chosenIds], rejected: [...t.promptIds, ...t.rejectedIds] };
  const sides = options.sides ?? ['chosen', 'rejected'];
  const computed: Partial<Record<Side, { policy: SequenceScores; reference: SequenceScores; from: number }>> = {};
  for (const side of sides) {
    const ids = full[side].slice(first);
    const promptIds = full[side].slice(0, first);
    const memo = options.memo?.get(side);
    const policy = await scoreSide(models.policy, promptIds, ids, memo?.policy, memo?.ids, options.signal);
    const reference = await scoreSide(models.reference, promptIds, ids, memo?.reference, memo?.ids, options.signal);
    computed[side] = { policy: policy.scores, reference: reference.scores, from: Math.min(policy.from, reference.from) };
    options.memo?.set(side, { ids, policy: policy.scores, reference: reference.scores });
  }
  const result: PairExplanation = {
    index: pair.index,
    id: pair.id,
    beta: options.beta,
    prompt: models.tokenizer.decode(t.promptIds),
    chosen: null,
    rejected: null,
    firstDivergence: firstDivergence(full.chosen.slice(first), full.rejected.slice(first)),
    chosenEditable: completionText(edited.chosen),
    rejectedEditable: completionText(edited.rejected),
  };
  for (const side of sides) {
    const c = computed[side]!;
    result[side] = explainSide(models.tokenizer, full[side].slice(first), c.policy, c.reference, options.beta, models.policy.topK, t.truncated[side]);
    result.recomputedFrom = { ...(result.recomputedFrom ?? { chosen: null, rejected: null }), [side]: c.from };
  }
  return result;
}
