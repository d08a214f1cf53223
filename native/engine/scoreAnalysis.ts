/**
 * The analysis step of `preflens score`: after the pairs are scored, per-pair metrics and
 * suspicions are computed from the scores alone (native/metrics/analyzeDataset.ts), optionally
 * with checkpoints scored as extra policies (ensembles, trajectories; the reference side comes
 * from the cache), and written into the records, FILE.review.jsonl and the meta file.
 */
import { Dataset } from '../data/dataset';
import { turnsText } from '../data/messages';
import type { ColumnMapping } from '../data/schema';
import type { ScoreRecord } from './scorePairs';
import type { ScoringEngine, ScoreJobParams } from './scoringEngine';
import { analyzeDataset, type CheckpointMargins, type DatasetAnalysis, type ScoredPair } from '../metrics/analyzeDataset';
import type { SuspicionThresholds } from '../metrics/suspicions';

/** What the analysis needs of a run; checkpoints need the whole job (they are scored like the policy). */
export type AnalysisParams = Pick<ScoreJobParams, 'dataset' | 'cacheDir' | 'beta'> & Partial<ScoreJobParams>;

export interface AnalysisInputs {
  records: ScoreRecord[];
  params: AnalysisParams;
  mapping?: ColumnMapping;
  checkpoints: string[];
  /** `FIELD=VALUE`: rows the policy was not trained on (e.g. split=heldout), for confident learning. */
  outOfSample?: string;
  thresholds?: SuspicionThresholds;
}

/** `engine` may be undefined when no checkpoints are asked for (imported scores). */
export async function analyzeScores(engine: ScoringEngine | undefined, inputs: AnalysisInputs, log: (line: string) => void): Promise<DatasetAnalysis> {
  const { records, params } = inputs;
  const dataset = await Dataset.open(params.dataset, { cacheDir: params.cacheDir, mapping: inputs.mapping });
  const pairs = await dataset.readPairs(0, dataset.rowCount);
  await dataset.close();
  const [field, value] = inputs.outOfSample ? inputs.outOfSample.split('=', 2) : [];
  const directions = new Map<string, Set<number>>();
  for (const p of pairs) if (p.ok) (directions.get(p.pair.id) ?? directions.set(p.pair.id, new Set()).get(p.pair.id)!).add(p.pair.direction);
  const ok = records.filter((r) => r.status === 'ok');
  const scored: ScoredPair[] = ok.map((r) => {
    const pair = pairs[r.index];
    const p = pair?.ok ? pair.pair : undefined;
    return {
      index: r.index, id: r.id!, chosenLogps: r.chosen_logps!, rejectedLogps: r.rejected_logps!, refChosenLogps: r.ref_chosen_logps!, refRejectedLogps: r.ref_rejected_logps!,
      chosenTokens: r.chosen_tokens!, rejectedTokens: r.rejected_tokens!, ches: r.ches ?? Number.NaN, chesLn: r.ches_ln ?? Number.NaN,
      chosenText: p ? turnsText(p.chosen) : '', rejectedText: p ? turnsText(p.rejected) : '', chosenTokenIds: r.chosen_token_ids, rejectedTokenIds: r.rejected_token_ids,
      attributes: p?.attributes, contradictory: p ? (directions.get(p.id)?.size ?? 0) > 1 : false,
      outOfSample: field !== undefined && p !== undefined && String(p.attributes[field]) === value,
    };
  });
  const checkpoints: CheckpointMargins[] = [];
  for (const dir of inputs.checkpoints) {
    if (!engine || !isJob(params)) throw new Error('checkpoints are scored against the reference model: they need a scoring run, not imported scores');
    log(`scoring checkpoint ${dir} against the reference`);
    const byIndex = new Map<number, ScoreRecord>();
    await engine.run({ ...params, policy: dir, tokens: false }, { onRecords: (rs) => rs.forEach((r) => byIndex.set(r.index, r)) });
    checkpoints.push({
      label: dir,
      margin: ok.map((r) => byIndex.get(r.index)?.margin ?? Number.NaN),
      rhoChosen: ok.map((r) => { const c = byIndex.get(r.index); return c ? c.chosen_logps! - c.ref_chosen_logps! : Number.NaN; }),
    });
  }
  return analyzeDataset(scored, { beta: params.beta, checkpoints, thresholds: inputs.thresholds });
}

function isJob(params: AnalysisParams): params is ScoreJobParams {
  return typeof params.policy === 'string' && typeof params.reference === 'string';
}

/** Adds the per-pair metrics to the score records (matched by row index). */
export function mergeMetrics(records: ScoreRecord[], analysis: DatasetAnalysis): Record<string, unknown>[] {
  const byIndex = new Map(analysis.metrics.map((m) => [m.index, m]));
  return records.map((r) => {
    const m = byIndex.get(r.index);
    if (!m) return { ...r };
    const { index: _index, id: _id, chosen_reward: _c, rejected_reward: _r, margin: _m, ches: _ch, ches_ln: _cl, ...extra } = m;
    return { ...r, ...extra };
  });
}

export function summaryOf(analysis: DatasetAnalysis): Record<string, unknown> {
  const { metrics: _metrics, reviewOrder: _order, checkpointSeries: _series, ...summary } = analysis;
  return summary;
}
