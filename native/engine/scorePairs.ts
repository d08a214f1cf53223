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
import type { PairScore } from '../protocol/engineProtocol';
import type { Pair } from '../data/normalizePair';
import { ches } from '../metrics/ches';
import { implicitRewards, sum } from '../metrics/rewards';
import type { ModelRunner, SequenceInput, SequenceScores } from './modelRunner';
import { canSharePrompt, scoreSharedPrompt } from './promptSharing';
import { decodePairScores, encodePairScores, type SideResult } from './scoreCodec';
import type { ModelTokenizer } from './tokenize/modelTokenizer';
import { tokenizePairTrl, type TokenizedPair } from './tokenize/trlTokenize';

export const CONVENTION = 'trl-dpo-head (METRICS 1.1 convention A: TRL >= 1.0 DPOTrainer tokenization, sum of completion log-probs)';

/** A `preflens score` record: the streamed per-pair numbers plus run details and, with --tokens, per-token arrays. */
export interface ScoreRecord extends PairScore {
  beta: number;
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
  cache?: ScoreCacheBinding;
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

/** Scores chosen and rejected of every pair under one model: [k] = [chosen, rejected]. */
async function runModel(runner: ModelRunner, pairs: TokenizedPair[], wantHidden: boolean, options: ScoreOptions): Promise<[SequenceScores, SequenceScores][]> {
  const mode = options.promptSharing ?? 'auto';
  const min = mode === 'always' ? 2 : (options.sharePromptMin ?? 32);
  const shared = (t: TokenizedPair): boolean => mode !== 'off' && t.promptIds.length >= min && canSharePrompt(runner, t.promptIds.length);
  const out: [SequenceScores, SequenceScores][] = new Array(pairs.length);
  const batched = pairs.map((t, k) => ({ t, k })).filter(({ t }) => !shared(t));
  const scores = await runner.score(batched.flatMap(({ t }) => sequences(t)), { tokenBudget: options.tokenBudget, signal: options.signal, wantHidden });
  batched.forEach(({ k }, j) => (out[k] = [scores[2 * j]!, scores[2 * j + 1]!]));
  for (const [k, t] of pairs.entries()) {
    if (!shared(t)) continue;
    options.signal?.throwIfAborted();
    const [c, r] = await scoreSharedPrompt(runner, t.promptIds, [t.chosenIds, t.rejectedIds], wantHidden);
    out[k] = [c!, r!];
  }
  return out;
}

/** Where cached per-model results live: the store and one namespace per model. */
export interface ScoreCacheBinding {
  store: {
    getMany(namespace: string, keys: readonly string[]): Promise<Map<string, Uint8Array>>;
    putMany(namespace: string, entries: readonly [string, Uint8Array][]): Promise<void>;
  };
  namespaces: { policy: string; reference: string };
}

export interface ScoreStats {
  computed: { policy: number; reference: number };
  cached: { policy: number; reference: number };
}

const sameIds = (a: Int32Array, b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Results of one model for the work items, from the cache where possible. Entries are stored
 * with the two responses in their canonical (id) order, so a swapped pair is still a hit; a hit
 * is used only when its token ids equal this run's tokenization.
 */
async function modelResults(
  which: 'policy' | 'reference',
  runner: ModelRunner,
  work: { pair: Pair; tokenized: TokenizedPair }[],
  scorers: Scorers,
  options: ScoreOptions,
  stats: ScoreStats,
): Promise<[SequenceScores, SequenceScores][]> {
  const wantHidden = which === 'reference';
  const out: [SequenceScores, SequenceScores][] = new Array(work.length);
  const cache = scorers.cache;
  const namespace = cache?.namespaces[which] ?? '';
  const hits = cache ? await cache.store.getMany(namespace, work.map((w) => w.pair.id)) : new Map<string, Uint8Array>();
  const missing: number[] = [];
  work.forEach(({ pair, tokenized }, k) => {
    const bytes = hits.get(pair.id);
    if (bytes) {
      try {
        const [a, b] = decodePairScores(bytes);
        const [c, r] = pair.direction === 1 ? [a, b] : [b, a];
        const first = Math.max(tokenized.promptIds.length, 1);
        const chosenIds = [...tokenized.promptIds, ...tokenized.chosenIds].slice(first);
        const rejectedIds = [...tokenized.promptIds, ...tokenized.rejectedIds].slice(first);
        if (sameIds(c.tokenIds, chosenIds) && sameIds(r.tokenIds, rejectedIds) && (!wantHidden || c.scores.hiddenSum)) {
          out[k] = [c.scores, r.scores];
          stats.cached[which]++;
          return;
        }
      } catch {
        // an unreadable entry is recomputed
      }
    }
    missing.push(k);
  });
  if (missing.length === 0) return out;
  const computed = await runModel(runner, missing.map((k) => work[k]!.tokenized), wantHidden, options);
  const entries: [string, Uint8Array][] = [];
  missing.forEach((k, j) => {
    out[k] = computed[j]!;
    const { pair, tokenized } = work[k]!;
    const first = Math.max(tokenized.promptIds.length, 1);
    const chosen: SideResult = { tokenIds: Int32Array.from([...tokenized.promptIds, ...tokenized.chosenIds].slice(first)), scores: computed[j]![0] };
    const rejected: SideResult = { tokenIds: Int32Array.from([...tokenized.promptIds, ...tokenized.rejectedIds].slice(first)), scores: computed[j]![1] };
    if (cache) entries.push([pair.id, encodePairScores(pair.direction === 1 ? [chosen, rejected] : [rejected, chosen], runner.topK)]);
  });
  stats.computed[which] += missing.length;
  if (cache && entries.length) await cache.store.putMany(namespace, entries);
  return out;
}

export async function scorePairs(results: readonly PairResult[], scorers: Scorers, options: ScoreOptions, stats: ScoreStats = { computed: { policy: 0, reference: 0 }, cached: { policy: 0, reference: 0 } }): Promise<ScoreRecord[]> {
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
  const items = work.map(({ slot, tokenized }) => ({ pair: (results[slot] as Extract<PairResult, { ok: true }>).pair, tokenized }));
  const policy = await modelResults('policy', scorers.policy, items, scorers, options, stats);
  const reference = await modelResults('reference', scorers.reference, items, scorers, options, stats);
  work.forEach(({ slot, tokenized }, k) => {
    const pair = items[k]!.pair;
    const [pc, pr] = policy[k]!;
    const [rc, rr] = reference[k]!;
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
