/**
 * The per-pair metrics and dataset summary PrefLens reports, computed from cached scores only
 * (no model call): rewards and margin (METRICS 2.1-2.2), DPO loss and implied preference (2.2-2.3),
 * reward accuracy (2.4), ranking accuracy of policy and reference with the transition (3.1, 3.5),
 * difficulty c and L*(c) (3.4), idealized ranking accuracy and the alignment gap (3.3),
 * likelihood displacement (4.2), CHES percentiles (4.1), ensemble preference strength and
 * trajectories over checkpoints (7.1-7.2), confident learning (11) and suspicions with a review
 * ranking (suspicions.ts).
 *
 * Design note: the inputs are plain numbers per pair (the `preflens score` record), the pair's
 * text for the text-only suspicions, and optionally the margins of several policy checkpoints
 * scored against the same reference (ordered: ensembles and trajectories). Confident learning
 * needs out-of-sample probabilities: the caller says which pairs are out of sample for the
 * policy (the held-out split), and only those are used.
 */
import { confidentLearning, calibrateTemperature, probabilitiesFromMargins } from './confidentLearning';
import { checkpointTrajectories, preferenceStrength, strengthBuckets, type Trajectories } from './ensemble';
import { dpoLoss, impliedPreference, rewardAccuracy, type PairLogps } from './losses';
import { percentileRanks } from './percentiles';
import { difficulty, rankingAccuracy, rankingSummary, rankingTransition, type RankingSummary } from './rankings';
import { reviewPairs, type Suspicion, type SuspicionThresholds, DEFAULT_THRESHOLDS } from './suspicions';

export interface ScoredPair {
  index: number;
  id: string;
  chosenLogps: number;
  rejectedLogps: number;
  refChosenLogps: number;
  refRejectedLogps: number;
  chosenTokens: number;
  rejectedTokens: number;
  ches: number;
  chesLn: number;
  chosenText: string;
  rejectedText: string;
  chosenTokenIds?: ArrayLike<number>;
  rejectedTokenIds?: ArrayLike<number>;
  attributes?: Record<string, unknown>;
  contradictory?: boolean;
  /** Not trained on by the policy (e.g. the held-out split): usable by confident learning. */
  outOfSample?: boolean;
}

export interface CheckpointMargins {
  label: string;
  /** Per pair (same order as the pairs): policy-vs-reference margin and chosen log-ratio ρ_w. */
  margin: ArrayLike<number>;
  rhoChosen: ArrayLike<number>;
}

export interface PairMetrics {
  index: number;
  id: string;
  chosen_reward: number;
  rejected_reward: number;
  margin: number;
  loss: number;
  p_hat: number;
  reward_correct: number;
  policy_ranks_correctly: number;
  policy_ranks_correctly_ln: number;
  reference_ranks_correctly: number;
  transition: string | null;
  difficulty_c: number;
  loss_threshold: number;
  needs_flip: boolean;
  displaced: boolean;
  ches: number;
  ches_ln: number;
  ches_ln_percentile: number;
  ensemble_mean: number | null;
  ensemble_std: number | null;
  ensemble_bucket: string | null;
  cl_p: number | null;
  cl_flagged: boolean;
  suspicions: Suspicion[];
  review_score: number;
  review_rank: number | null;
}

export interface DatasetAnalysis {
  pairs: number;
  rewardAccuracy: number;
  meanMargin: number;
  displacementRate: number;
  meanChosenLogRatio: number;
  ranking: RankingSummary;
  suspicious: number;
  confidentLearning: { informative: boolean; reason?: string; flipRate?: number; expectedIssues?: number; temperature?: number; pairs: number };
  trajectories?: { checkpoints: string[]; displacedByCheckpoint: number[]; meanMarginByCheckpoint: number[] };
  metrics: PairMetrics[];
  /** The checkpoints' per-pair margins as given (aligned with `metrics`), for trajectory views. */
  checkpointSeries?: CheckpointMargins[];
  /** positions into `metrics`, most suspicious first */
  reviewOrder: number[];
}

export interface AnalyzeOptions {
  beta: number;
  thresholds?: SuspicionThresholds;
  checkpoints?: CheckpointMargins[];
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

export function analyzeDataset(pairs: readonly ScoredPair[], options: AnalyzeOptions): DatasetAnalysis {
  const beta = options.beta;
  const logps: PairLogps[] = pairs.map((p) => ({ chosen: p.chosenLogps, rejected: p.rejectedLogps, refChosen: p.refChosenLogps, refRejected: p.refRejectedLogps, chosenTokens: p.chosenTokens, rejectedTokens: p.rejectedTokens }));
  const margins = logps.map((l) => beta * (l.chosen - l.refChosen - (l.rejected - l.refRejected)));
  const chesPct = percentileRanks(pairs.map((p) => p.chesLn));

  let ensemble: { mean: Float64Array; std: Float64Array } | undefined;
  let buckets: (string | null)[] | undefined;
  let trajectories: Trajectories | undefined;
  if (options.checkpoints && options.checkpoints.length > 0) {
    const d = pairs.map((_, k) => options.checkpoints!.map((c) => c.margin[k]!));
    ensemble = preferenceStrength(d);
    buckets = strengthBuckets(ensemble.mean, { mode: 'sign', delta: 0.05 }).buckets;
    trajectories = checkpointTrajectories(options.checkpoints.map((c) => ({ label: c.label, margin: c.margin, rhoChosen: c.rhoChosen })));
  }

  // Confident learning on the out-of-sample pairs only (METRICS 11 step 1).
  const oos = pairs.map((p, k) => (p.outOfSample ? k : -1)).filter((k) => k >= 0);
  const clP = new Map<number, number>();
  let cl: DatasetAnalysis['confidentLearning'] = { informative: false, reason: 'no out-of-sample pairs: name the rows the policy was not trained on (setting preflens.outOfSample, CLI --out-of-sample, e.g. split=heldout)', pairs: 0 };
  if (oos.length >= 10) {
    const fit = calibrateTemperature(oos.map((k) => margins[k]!));
    const p = probabilitiesFromMargins(oos.map((k) => margins[k]!), fit.temperature);
    oos.forEach((k, j) => clP.set(k, p[j]!));
    const result = confidentLearning(p);
    if (result.informative) {
      cl = { informative: true, flipRate: result.flipRate, expectedIssues: result.expectedIssues, temperature: fit.temperature, pairs: oos.length };
      for (const j of result.flagged) clP.set(-1 - oos[j]!, 1); // marker: flagged
    } else cl = { informative: false, reason: result.reason, pairs: oos.length };
  }
  const clFlagged = (k: number): boolean => clP.has(-1 - k);

  const review = reviewPairs(
    pairs.map((p, k) => ({
      index: p.index, id: p.id, margin: margins[k]!, refChosen: p.refChosenLogps, refRejected: p.refRejectedLogps, chosenText: p.chosenText, rejectedText: p.rejectedText,
      chosenTokenIds: p.chosenTokenIds, rejectedTokenIds: p.rejectedTokenIds, attributes: p.attributes, contradictory: p.contradictory,
      ensembleMean: ensemble?.mean[k], ensembleStd: ensemble?.std[k], confidentLearningFlag: clFlagged(k), selfConfidence: clP.get(k),
    })),
    options.thresholds ?? DEFAULT_THRESHOLDS,
  );
  const rankOf = new Map(review.ranking.map((k, r) => [k, r]));

  const metrics: PairMetrics[] = pairs.map((p, k) => {
    const l = logps[k]!;
    const ranking = rankingAccuracy(l);
    const diff = difficulty(l, beta);
    return {
      index: p.index,
      id: p.id,
      chosen_reward: beta * (l.chosen - l.refChosen),
      rejected_reward: beta * (l.rejected - l.refRejected),
      margin: margins[k]!,
      loss: dpoLoss(margins[k]!),
      p_hat: impliedPreference(l, beta),
      reward_correct: rewardAccuracy(l, beta),
      policy_ranks_correctly: ranking.policy,
      policy_ranks_correctly_ln: ranking.policyNormalized,
      reference_ranks_correctly: ranking.reference,
      transition: rankingTransition(l),
      difficulty_c: diff.c,
      loss_threshold: diff.lStar,
      needs_flip: diff.needsFlip,
      displaced: l.chosen - l.refChosen < 0,
      ches: p.ches,
      ches_ln: p.chesLn,
      ches_ln_percentile: chesPct[k]!,
      ensemble_mean: ensemble ? ensemble.mean[k]! : null,
      ensemble_std: ensemble ? ensemble.std[k]! : null,
      ensemble_bucket: buckets ? buckets[k]! : null,
      cl_p: clP.get(k) ?? null,
      cl_flagged: clFlagged(k),
      suspicions: review.suspicions[k]!,
      review_score: review.score[k]!,
      review_rank: rankOf.get(k) ?? null,
    };
  });
  return {
    pairs: pairs.length,
    rewardAccuracy: mean(metrics.map((m) => m.reward_correct).filter(Number.isFinite)),
    meanMargin: mean(margins.filter(Number.isFinite)),
    displacementRate: mean(metrics.map((m) => (m.displaced ? 1 : 0))),
    meanChosenLogRatio: mean(logps.map((l) => l.chosen - l.refChosen)),
    ranking: rankingSummary(logps),
    suspicious: review.ranking.length,
    confidentLearning: cl,
    trajectories: trajectories
      ? {
          checkpoints: options.checkpoints!.map((c) => c.label),
          displacedByCheckpoint: trajectories.perCheckpoint.map((s) => s.fractionDisplaced),
          meanMarginByCheckpoint: options.checkpoints!.map((c) => mean(Array.from(c.margin).filter(Number.isFinite))),
        }
      : undefined,
    metrics,
    checkpointSeries: options.checkpoints && options.checkpoints.length > 0 ? options.checkpoints : undefined,
    reviewOrder: review.ranking,
  };
}
