/**
 * Scores preference pairs: tokenizes each like TRL's DPOTrainer, runs the policy and the
 * reference over chosen and rejected, and assembles the `preflens score` record (the contract
 * in ARCHITECTURE.md: summed completion log-probs under TRL's column names, implicit rewards,
 * margin, CHES from the reference model's hidden states, and per-token arrays on request).
 *
 * Design note: pairs are processed in chunks so memory stays bounded on any dataset size and
 * records can be written as they are ready. Rows that cannot be scored (invalid data, a prompt
 * longer than max_length, a completion truncated away) keep their place with status `invalid`
 * and the reason; every other row is scored.
 */
import type { PairResult } from '../data/dataset';
import { ches } from '../metrics/ches';
import { implicitRewards, sum } from '../metrics/rewards';
import type { ModelRunner, SequenceInput, SequenceScores } from './modelRunner';
import { canSharePrompt, scoreSharedPrompt } from './promptSharing';
import type { ModelTokenizer } from './tokenize/modelTokenizer';
import { tokenizePairTrl, type TokenizedPair } from './tokenize/trlTokenize';

export const CONVENTION = 'trl-dpo-head (METRICS 1.1 convention A: TRL >= 1.0 DPOTrainer tokenization, sum of completion log-probs)';

export interface ScoreRecord {
  index: number;
  id: string | null;
  status: 'ok' | 'invalid';
  error: string | null;
  chosen_tokens: number | null;
  rejected_tokens: number | null;
  chosen_logps: number | null;
  rejected_logps: number | null;
  ref_chosen_logps: number | null;
  ref_rejected_logps: number | null;
  chosen_reward: number | null;
  rejected_reward: number | null;
  margin: number | null;
  beta: number;
  ches: number | null;
  ches_ln: number | null;
  chosen_truncated?: boolean;
  rejected_truncated?: boolean;
  prefix_mismatch?: boolean;
  chosen_token_ids?: number[];
  rejected_token_ids?: number[];
  chosen_token_logps?: number[];
  rejected_token_logps?: number[];
  ref_chosen_token_logps?: number[];
  ref_rejected_token_logps?: number[];
}

export interface ScoreOptions {
  beta: number;
  maxLength: number;
  tokens?: boolean;
  tokenBudget?: number;
  /** Run each prompt once and continue both completions from its KV cache: 'auto' (default)
   *  does so for prompts of at least `sharePromptMin` tokens when the graph takes a cache. */
  promptSharing?: 'auto' | 'off' | 'always';
  sharePromptMin?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface Scorers {
  tokenizer: ModelTokenizer;
  policy: ModelRunner;
  reference: ModelRunner;
}

function invalid(index: number, id: string | null, error: string, beta: number): ScoreRecord {
  return {
    index, id, status: 'invalid', error,
    chosen_tokens: null, rejected_tokens: null, chosen_logps: null, rejected_logps: null, ref_chosen_logps: null, ref_rejected_logps: null,
    chosen_reward: null, rejected_reward: null, margin: null, beta, ches: null, ches_ln: null,
  };
}

const round = (values: Float32Array): number[] => Array.from(values);

function sequences(t: TokenizedPair): [SequenceInput, SequenceInput] {
  const start = t.promptIds.length;
  return [
    { ids: [...t.promptIds, ...t.chosenIds], completionStart: start },
    { ids: [...t.promptIds, ...t.rejectedIds], completionStart: start },
  ];
}

/** Scores chosen and rejected of every pair under both models: [2k] chosen, [2k+1] rejected. */
async function runModels(pairs: TokenizedPair[], scorers: Scorers, options: ScoreOptions): Promise<{ policy: SequenceScores[]; reference: SequenceScores[] }> {
  const mode = options.promptSharing ?? 'auto';
  const min = mode === 'always' ? 2 : (options.sharePromptMin ?? 32);
  const shared = (t: TokenizedPair): boolean =>
    mode !== 'off' && t.promptIds.length >= min && canSharePrompt(scorers.policy, t.promptIds.length) && canSharePrompt(scorers.reference, t.promptIds.length);
  const policy: SequenceScores[] = new Array(pairs.length * 2);
  const reference: SequenceScores[] = new Array(pairs.length * 2);
  const batched = pairs.map((t, k) => ({ t, k })).filter(({ t }) => !shared(t));
  const seqs = batched.flatMap(({ t }) => sequences(t));
  const run = { tokenBudget: options.tokenBudget, signal: options.signal };
  const [p, r] = [await scorers.policy.score(seqs, run), await scorers.reference.score(seqs, { ...run, wantHidden: true })];
  batched.forEach(({ k }, j) => {
    [policy[2 * k], policy[2 * k + 1], reference[2 * k], reference[2 * k + 1]] = [p[2 * j]!, p[2 * j + 1]!, r[2 * j]!, r[2 * j + 1]!];
  });
  for (const [k, t] of pairs.entries()) {
    if (!shared(t)) continue;
    options.signal?.throwIfAborted();
    const completions = [t.chosenIds, t.rejectedIds];
    const [pc, pr] = await scoreSharedPrompt(scorers.policy, t.promptIds, completions, false);
    const [rc, rr] = await scoreSharedPrompt(scorers.reference, t.promptIds, completions, true);
    [policy[2 * k], policy[2 * k + 1], reference[2 * k], reference[2 * k + 1]] = [pc!, pr!, rc!, rr!];
  }
  return { policy, reference };
}

export async function scorePairs(results: readonly PairResult[], scorers: Scorers, options: ScoreOptions): Promise<ScoreRecord[]> {
  const records: ScoreRecord[] = new Array(results.length);
  const work: { slot: number; tokenized: TokenizedPair }[] = [];
  results.forEach((result, slot) => {
    if (!result.ok) {
      records[slot] = invalid(result.index, null, result.issue.message, options.beta);
      return;
    }
    const tokenized = tokenizePairTrl(result.pair, scorers.tokenizer, { maxLength: options.maxLength });
    if (tokenized.dropped) {
      records[slot] = invalid(result.pair.index, result.pair.id, tokenized.dropped, options.beta);
      return;
    }
    const [c, r] = sequences(tokenized);
    const [nc, nr] = [c.ids.length - Math.max(c.completionStart, 1), r.ids.length - Math.max(r.completionStart, 1)];
    if (nc <= 0 || nr <= 0) {
      records[slot] = invalid(result.pair.index, result.pair.id, 'a completion has no scored tokens after truncation to max_length', options.beta);
      return;
    }
    work.push({ slot, tokenized });
  });
  const { policy, reference } = await runModels(work.map((w) => w.tokenized), scorers, options);
  work.forEach(({ slot, tokenized }, k) => {
    const pair = (results[slot] as Extract<PairResult, { ok: true }>).pair;
    const [pc, pr, rc, rr] = [policy[2 * k]!, policy[2 * k + 1]!, reference[2 * k]!, reference[2 * k + 1]!] as SequenceScores[];
    const s = { chosen: sum(pc!.tokenLogps), rejected: sum(pr!.tokenLogps), refChosen: sum(rc!.tokenLogps), refRejected: sum(rr!.tokenLogps) };
    const rewards = implicitRewards(s, options.beta);
    const c = ches(rc!.hiddenSum!, rr!.hiddenSum!, rc!.scored, rr!.scored);
    const record: ScoreRecord = {
      index: pair.index,
      id: pair.id,
      status: 'ok',
      error: null,
      chosen_tokens: pc!.scored,
      rejected_tokens: pr!.scored,
      chosen_logps: s.chosen,
      rejected_logps: s.rejected,
      ref_chosen_logps: s.refChosen,
      ref_rejected_logps: s.refRejected,
      chosen_reward: rewards.chosenReward,
      rejected_reward: rewards.rejectedReward,
      margin: rewards.margin,
      beta: options.beta,
      ches: c.ches,
      ches_ln: c.chesLn,
      chosen_truncated: tokenized.truncated.chosen,
      rejected_truncated: tokenized.truncated.rejected,
      prefix_mismatch: tokenized.prefixMismatch.chosen || tokenized.prefixMismatch.rejected,
    };
    if (options.tokens) {
      const first = Math.max(tokenized.promptIds.length, 1);
      record.chosen_token_ids = [...tokenized.promptIds, ...tokenized.chosenIds].slice(first);
      record.rejected_token_ids = [...tokenized.promptIds, ...tokenized.rejectedIds].slice(first);
      record.chosen_token_logps = round(pc!.tokenLogps);
      record.rejected_token_logps = round(pr!.tokenLogps);
      record.ref_chosen_token_logps = round(rc!.tokenLogps);
      record.ref_rejected_token_logps = round(rr!.tokenLogps);
    }
    records[slot] = record;
  });
  return records;
}
