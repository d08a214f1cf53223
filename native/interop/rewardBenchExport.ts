/**
 * RewardBench export: PrefLens scores written in RewardBench's own per-pair layouts, so that
 * RewardBench's analysis scripts (and `rewardBench.ts`, which reads them back) take them as a
 * RewardBench run. Where RewardBench writes what is described in rewardBench.ts's design note.
 *
 * Design note
 * - scores_* = S_policy - S_ref of that side (RewardBench's DPO score: summed completion
 *   log-ratio, without beta); from rewards alone, reward / beta.
 * - results = 1 when scores_chosen > scores_rejected: strict, as RewardBench and TRL's reward
 *   accuracy (METRICS 2.4).
 * - Rows are in dataset row order and carry `preflens_index` / `preflens_pair_id`, so a
 *   re-import matches them exactly.
 */
import { responseOf, type Turns } from './rewardBench';

export interface RewardBenchExportRecord {
  index: number;
  status?: string;
  error?: string | null;
  chosen_logps?: number | null;
  rejected_logps?: number | null;
  ref_chosen_logps?: number | null;
  ref_rejected_logps?: number | null;
  chosen_reward?: number | null;
  rejected_reward?: number | null;
  beta?: number;
}

export interface ExportPair {
  /** PrefLens pair id. */
  id: string;
  prompt: Turns;
  chosen: Turns;
  rejected: Turns;
  attributes?: Readonly<Record<string, unknown>>;
}

/** Pairs by dataset row index: a Map, or an array indexed by row. */
export type PairLookup = ReadonlyMap<number, ExportPair> | readonly (ExportPair | null | undefined)[];

export interface RewardBenchExportOptions {
  /** The dataset column written as `id` (default `id`); without it, the PrefLens pair id. */
  idColumn?: string;
  model?: string;
  refModel?: string;
}

export interface RewardBenchExport {
  text: string;
  written: number;
  skipped: { index: number; reason: string }[];
}

const lookup = (pairs: PairLookup, index: number): ExportPair | undefined => ('get' in pairs ? pairs.get(index) : pairs[index]) ?? undefined;
const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** RewardBench's DPO scores of a record: the log-ratios, else rewards / beta. */
function logRatios(r: RewardBenchExportRecord): [number, number] | undefined {
  if (finite(r.chosen_logps) && finite(r.rejected_logps) && finite(r.ref_chosen_logps) && finite(r.ref_rejected_logps)) {
    return [r.chosen_logps - r.ref_chosen_logps, r.rejected_logps - r.ref_rejected_logps];
  }
  if (finite(r.chosen_reward) && finite(r.rejected_reward) && finite(r.beta) && r.beta > 0) return [r.chosen_reward / r.beta, r.rejected_reward / r.beta];
  return undefined;
}

/** The rows, in RewardBench's field names, one per scored pair in row order. */
export function rewardBenchRows(records: readonly RewardBenchExportRecord[], pairs: PairLookup, options: RewardBenchExportOptions = {}): { rows: Record<string, unknown>[]; skipped: RewardBenchExport['skipped'] } {
  const idColumn = options.idColumn ?? 'id';
  const rows: Record<string, unknown>[] = [];
  const skipped: RewardBenchExport['skipped'] = [];
  for (const r of [...records].sort((a, b) => a.index - b.index)) {
    const pair = lookup(pairs, r.index);
    if (!pair) {
      skipped.push({ index: r.index, reason: 'the dataset has no readable pair at this row' });
      continue;
    }
    const scores = r.status === undefined || r.status === 'ok' ? logRatios(r) : undefined;
    if (!scores) {
      skipped.push({ index: r.index, reason: r.status !== undefined && r.status !== 'ok' ? `not scored: ${r.error ?? r.status}` : 'no log-probs or rewards to score' });
      continue;
    }
    const own = pair.attributes?.[idColumn];
    const row: Record<string, unknown> = { id: typeof own === 'string' || (typeof own === 'number' && Number.isFinite(own)) ? own : pair.id };
    const subset = pair.attributes?.subset;
    if (typeof subset === 'string') row.subset = subset;
    row.prompt = pair.prompt;
    row.chosen = responseOf(pair.chosen);
    row.rejected = responseOf(pair.rejected);
    row.results = scores[0] > scores[1] ? 1 : 0;
    row.scores_chosen = scores[0];
    row.scores_rejected = scores[1];
    if (options.model !== undefined) {
      row.model = options.model;
      row.model_type = 'DPO';
    }
    if (options.refModel !== undefined) row.ref_model = options.refModel;
    row.preflens_index = r.index;
    row.preflens_pair_id = pair.id;
    rows.push(row);
  }
  return { rows, skipped };
}

/**
 * The JSONL PrefLens exports for RewardBench: one row per scored pair, with the per-row keys of
 * the CLI's `{model}_outputs.jsonl` (`id`, `subset`, `prompt`, `chosen`, `rejected`, `results`,
 * `scores_chosen`, `scores_rejected`) plus `preflens_index` / `preflens_pair_id` for re-import.
 * `pandas.read_json(path, lines=True)` and `datasets.load_dataset("json", ...)` read it as the
 * CLI's output (as `--push_results_to_hub` uploads it); `parseRewardBenchOutput` reads it back.
 */
export function toRewardBenchJsonl(records: readonly RewardBenchExportRecord[], pairs: PairLookup, options: RewardBenchExportOptions = {}): RewardBenchExport {
  const { rows, skipped } = rewardBenchRows(records, pairs, options);
  return { text: rows.map((row) => `${JSON.stringify(row)}\n`).join(''), written: rows.length, skipped };
}

/**
 * The same rows as the object of columns run_dpo.py saves (`save_to_hub`: sorted keys, indent
 * 4), plus `model` / `model_type` scalars: the `eval-set-scores/{model}.json` layout that
 * analysis/run_ensemble_offline.py reads (`pd.read_json`, then `id`, `subset`, `scores_*`).
 */
export function toRewardBenchScoresJson(records: readonly RewardBenchExportRecord[], pairs: PairLookup, options: RewardBenchExportOptions = {}): RewardBenchExport {
  const { rows, skipped } = rewardBenchRows(records, pairs, { ...options, model: undefined, refModel: undefined });
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const object: Record<string, unknown> = { model: options.model ?? 'preflens', model_type: 'DPO' };
  if (options.refModel !== undefined) object.ref_model = options.refModel;
  for (const key of keys) object[key] = rows.map((row) => row[key] ?? null);
  const sorted = Object.fromEntries(Object.keys(object).sort().map((k) => [k, object[k]]));
  return { text: JSON.stringify(sorted, null, 4), written: rows.length, skipped };
}
