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
import type { Message, Turns } from '../data/messages';
import { firstDivergence, tokenRewards } from '../metrics/tokenRewards';
import { segmentRewards, splitSentences } from '../metrics/segments';
import type { ModelRunner, SequenceScores } from './modelRunner';
import type { ModelTokenizer } from './tokenize/modelTokenizer';
import { tokenizePairTrl } from './tokenize/trlTokenize';
import type { PairExplanation, SideExplanation } from '../protocol/explainProtocol';

export type Side = 'chosen' | 'rejected';

/** Replaces the text of the last assistant turn (or the whole string completion). */
export function withCompletionText(turns: Turns, text: string): Turns {
  if (typeof turns === 'string') return text;
  const last = turns.map((m) => m.role).lastIndexOf('assistant');
  const at = last >= 0 ? last : turns.length - 1;
  return turns.map((m, k): Message => (k === at ? { ...m, content: text } : m));
}

/** The editable text of a completion: its last assistant turn, or the whole string. */
export function completionText(turns: Turns): string {
  if (typeof turns === 'string') return turns;
  const last = [...turns].reverse().find((m) => m.role === 'assistant') ?? turns.at(-1);
  return last?.content ?? '';
}

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
  signal?: AbortSignal;
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
  const inputs = sides.map((s) => ({ ids: full[s], completionStart: t.promptIds.length }));
  const [policy, reference] = [
    await models.policy.score(inputs, { signal: options.signal }),
    await models.reference.score(inputs, { signal: options.signal }),
  ];
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
  sides.forEach((side, k) => {
    result[side] = explainSide(models.tokenizer, full[side].slice(first), policy[k]!, reference[k]!, options.beta, models.policy.topK, t.truncated[side]);
  });
  return result;
}
