/**
 * Host <-> engine protocol: what the extension host (or the CLI) and the engine child process
 * say to each other over Node's IPC channel.
 *
 * Design note: the host is the caller and the engine the callee, with the same envelope,
 * request ids, progress and cancel as the webview protocol (`envelope.ts`). This module holds
 * the method table and its guards; later methods (score, cache, counterfactuals) extend it.
 */
import { isArrayOf, isBoolean, isEmptyParams, isFiniteNumber, isIndex, isOneOf, isRecord, isShape, isString, optional, type Guard } from './guards';
import type { MethodSpec } from './router';
import { isPairExplanation, type PairExplanation } from './explainProtocol';

export const ENGINE_PROTOCOL_VERSION = 1;

export interface BackendInfo {
  name: string;
  bundled: boolean;
}

export interface EngineHello {
  protocolVersion: number;
  pid: number;
  node: string;
  onnxruntime: string;
  backends: BackendInfo[];
}

/** What the engine needs to score a dataset (mirrors native/engine/scoringEngine.ts). */
export interface ScoreParams {
  dataset: string;
  mapping?: { prompt?: string; chosen: string; rejected: string };
  policy: string;
  reference: string;
  beta: number;
  maxLength: number;
  device: 'auto' | 'cpu' | 'cuda';
  tokenBudget: number;
  promptSharing?: 'auto' | 'off' | 'always';
  threads?: number;
  cacheDir: string;
  cacheMaxBytes?: number;
  /** Policy checkpoints scored against the same reference (ensembles, trajectories). */
  checkpoints?: string[];
  /** `FIELD=VALUE`: rows the policy was not trained on, used by confident learning. */
  outOfSample?: string;
  /** Suspicion thresholds (native/metrics/suspicions.ts); defaults when absent. */
  thresholds?: { marginScales: number; referenceC: number; nearIdentical: number };
}

/** Log-probs computed elsewhere, imported for a dataset (native/interop/importScores.ts). */
export interface ImportParams {
  dataset: string;
  mapping?: { prompt?: string; chosen: string; rejected: string };
  cacheDir: string;
  beta: number;
  /** Sources: interchange rows, a vLLM dump, TRL ref columns (reference) or a PrefLens score file. */
  policy: string;
  reference: string;
  /** Model or tokenizer folder to check token ids against. */
  tokenizer?: string;
  maxLength?: number;
  outOfSample?: string;
  thresholds?: { marginScales: number; referenceC: number; nearIdentical: number };
}

export interface ImportSummary {
  total: number;
  ok: number;
  invalid: number;
  records: PairScore[];
  analysis: AnalysisSummary | null;
  sources: { role: string; file: string; kind: string; rows: number; models: string[] }[];
  /** Row problems (errors) in the sources, and sides whose token ids differ from PrefLens's. */
  problems: number;
  tokenMismatches: number;
  tokenizationChecked: boolean;
  /** The first few problems and mismatches, located, for the log. */
  firstProblems: string[];
}

/** One entry of the review list: a pair with its suspicions, most suspicious first. */
export interface ReviewEntry {
  index: number;
  id: string;
  score: number;
  margin: number;
  suspicions: { reason: string; evidence: string; strength: number }[];
}

/** Per-pair analysis numbers, aligned arrays over the scored pairs (null where not defined). */
export interface AnalysisColumns {
  index: number[];
  reviewScore: number[];
  /** 1 when the chosen log-ratio is negative (likelihood displacement, METRICS 4.2). */
  displaced: number[];
  /** Policy ranks chosen above rejected (METRICS 3.1). */
  policyRanksCorrectly: number[];
  ensembleMean: (number | null)[];
}

/** Margins and chosen log-ratios of each policy checkpoint, per pair (aligned with `columns.index`). */
export interface CheckpointSeries {
  labels: string[];
  margin: (number | null)[][];
  rhoChosen: (number | null)[][];
  meanMargin: number[];
  displaced: number[];
}

export interface AnalysisSummary {
  rewardAccuracy: number;
  meanMargin: number;
  displacementRate: number;
  rankingAccuracy: number;
  referenceRankingAccuracy: number;
  alignmentGapPP: number;
  suspicious: number;
  confidentLearning: string;
  review: ReviewEntry[];
  columns: AnalysisColumns;
  checkpoints: CheckpointSeries | null;
}

/** Explain one pair token by token, optionally with edited completions (counterfactuals). */
export interface ExplainParams {
  dataset: string;
  mapping?: { prompt?: string; chosen: string; rejected: string };
  policy: string;
  reference: string;
  beta: number;
  maxLength: number;
  device: 'auto' | 'cpu' | 'cuda';
  threads?: number;
  cacheDir: string;
  index: number;
  edits?: { chosen?: string; rejected?: string };
  sides?: ('chosen' | 'rejected')[];
}

/** Per-pair numbers streamed to the host while a dataset is scored (no per-token arrays). */
export interface PairScore {
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
  ches: number | null;
  ches_ln: number | null;
}

export interface ScoreProgress {
  done: number;
  total: number;
  records: PairScore[];
}

export interface ScoreResult {
  total: number;
  ok: number;
  invalid: number;
  modelCalls: { policy: number; reference: number };
  computed: { policy: number; reference: number };
  cached: { policy: number; reference: number };
  device: string;
  deviceReason: string;
  durationMs: number;
  analysis: AnalysisSummary | null;
}

export type EngineRequests = {
  hello: MethodSpec<Record<string, never>, EngineHello>;
  score: MethodSpec<ScoreParams, ScoreResult>;
  clearCache: MethodSpec<{ cacheDir: string }, { cleared: boolean }>;
  explain: MethodSpec<ExplainParams, PairExplanation>;
  importScores: MethodSpec<ImportParams, ImportSummary>;
};

export type EngineEvents = {
  log: { level: 'info' | 'warn' | 'error'; message: string };
};

const isPositive = (v: unknown): v is number => isFiniteNumber(v) && v > 0;
const isCount = (v: unknown): v is number => isIndex(v);
const isPerModel = isShape<{ policy: number; reference: number }>({ policy: isCount, reference: isCount });

/** Guards of the fields `score` and `explain` share: the dataset, the two models and how to run them. */
const modelJobGuards = {
  dataset: isString,
  mapping: optional(isShape<{ prompt?: string; chosen: string; rejected: string }>({ prompt: optional(isString), chosen: isString, rejected: isString })),
  policy: isString,
  reference: isString,
  beta: isPositive,
  maxLength: isPositive,
  device: isOneOf<'auto' | 'cpu' | 'cuda'>('auto', 'cpu', 'cuda'),
  threads: optional(isPositive),
  cacheDir: isString,
};

export const isScoreParams: Guard<ScoreParams> = isShape<ScoreParams>({
  ...modelJobGuards,
  tokenBudget: isPositive,
  promptSharing: optional(isOneOf('auto', 'off', 'always')),
  cacheMaxBytes: optional(isPositive),
  checkpoints: optional(isArrayOf(isString)),
  outOfSample: optional(isString),
  thresholds: optional(isShape<{ marginScales: number; referenceC: number; nearIdentical: number }>({ marginScales: isFiniteNumber, referenceC: isFiniteNumber, nearIdentical: isFiniteNumber })),
});

const isReviewEntry = isShape<ReviewEntry>({
  index: isIndex,
  id: isString,
  score: isFiniteNumber,
  margin: (v: unknown): v is number => typeof v === 'number',
  suspicions: isArrayOf(isShape<{ reason: string; evidence: string; strength: number }>({ reason: isString, evidence: isString, strength: isFiniteNumber })),
});

const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');
const isNullableNumbers = (v: unknown): v is (number | null)[] => Array.isArray(v) && v.every((x) => x === null || typeof x === 'number');

export const isAnalysisSummary: Guard<AnalysisSummary> = isShape<AnalysisSummary>({
  rewardAccuracy: (v: unknown): v is number => typeof v === 'number',
  meanMargin: (v: unknown): v is number => typeof v === 'number',
  displacementRate: (v: unknown): v is number => typeof v === 'number',
  rankingAccuracy: (v: unknown): v is number => typeof v === 'number',
  referenceRankingAccuracy: (v: unknown): v is number => typeof v === 'number',
  alignmentGapPP: (v: unknown): v is number => typeof v === 'number',
  suspicious: isIndex,
  confidentLearning: isString,
  review: isArrayOf(isReviewEntry),
  columns: isShape<AnalysisColumns>({
    index: isNumbers,
    reviewScore: isNumbers,
    displaced: isNumbers,
    policyRanksCorrectly: isNumbers,
    ensembleMean: isNullableNumbers,
  }),
  checkpoints: (v: unknown): v is CheckpointSeries | null =>
    v === null ||
    isShape<CheckpointSeries>({ labels: isArrayOf(isString), margin: isArrayOf(isNullableNumbers), rhoChosen: isArrayOf(isNullableNumbers), meanMargin: isNumbers, displaced: isNumbers })(v),
});

export const isExplainParams: Guard<ExplainParams> = isShape<ExplainParams>({
  ...modelJobGuards,
  index: isIndex,
  edits: optional(isShape<{ chosen?: string; rejected?: string }>({ chosen: optional(isString), rejected: optional(isString) })),
  sides: optional(isArrayOf(isOneOf('chosen', 'rejected'))),
});

const isNullableNumber = (v: unknown): v is number | null => v === null || typeof v === 'number';
export const isPairScore: Guard<PairScore> = isShape<PairScore>({
  index: isIndex,
  id: (v): v is string | null => v === null || isString(v),
  status: isOneOf('ok', 'invalid'),
  error: (v): v is string | null => v === null || isString(v),
  chosen_tokens: isNullableNumber,
  rejected_tokens: isNullableNumber,
  chosen_logps: isNullableNumber,
  rejected_logps: isNullableNumber,
  ref_chosen_logps: isNullableNumber,
  ref_rejected_logps: isNullableNumber,
  chosen_reward: isNullableNumber,
  rejected_reward: isNullableNumber,
  margin: isNullableNumber,
  ches: isNullableNumber,
  ches_ln: isNullableNumber,
});

const isThresholds = isShape<{ marginScales: number; referenceC: number; nearIdentical: number }>({ marginScales: isFiniteNumber, referenceC: isFiniteNumber, nearIdentical: isFiniteNumber });

export const isImportParams: Guard<ImportParams> = isShape<ImportParams>({
  dataset: isString,
  mapping: modelJobGuards.mapping,
  cacheDir: isString,
  beta: isPositive,
  policy: isString,
  reference: isString,
  tokenizer: optional(isString),
  maxLength: optional(isPositive),
  outOfSample: optional(isString),
  thresholds: optional(isThresholds),
});

export const isScoreProgress: Guard<ScoreProgress> = isShape<ScoreProgress>({ done: isIndex, total: isIndex, records: isArrayOf(isPairScore) });

export const engineParamGuards: { [K in keyof EngineRequests]: Guard<EngineRequests[K]['params']> } = {
  hello: isEmptyParams,
  score: isScoreParams,
  clearCache: isShape<{ cacheDir: string }>({ cacheDir: isString }),
  explain: isExplainParams,
  importScores: isImportParams,
};

const isBackendInfo = isShape<BackendInfo>({ name: isString, bundled: isBoolean });

export const engineResultGuards: { [K in keyof EngineRequests]: Guard<EngineRequests[K]['result']> } = {
  hello: isShape<EngineHello>({
    protocolVersion: isIndex,
    pid: isIndex,
    node: isString,
    onnxruntime: isString,
    backends: isArrayOf(isBackendInfo),
  }),
  score: isShape<ScoreResult>({
    total: isIndex,
    ok: isIndex,
    invalid: isIndex,
    modelCalls: isPerModel,
    computed: isPerModel,
    cached: isPerModel,
    device: isString,
    deviceReason: isString,
    durationMs: isIndex,
    analysis: (v: unknown): v is AnalysisSummary | null => v === null || isAnalysisSummary(v),
  }),
  clearCache: (v: unknown): v is { cleared: boolean } => isRecord(v) && isBoolean(v.cleared),
  explain: isPairExplanation,
  importScores: isShape<ImportSummary>({
    total: isIndex,
    ok: isIndex,
    invalid: isIndex,
    records: isArrayOf(isPairScore),
    analysis: (v: unknown): v is AnalysisSummary | null => v === null || isAnalysisSummary(v),
    sources: isArrayOf(isShape<ImportSummary['sources'][number]>({ role: isString, file: isString, kind: isString, rows: isIndex, models: isArrayOf(isString) })),
    problems: isIndex,
    tokenMismatches: isIndex,
    tokenizationChecked: isBoolean,
    firstProblems: isArrayOf(isString),
  }),
};

export const engineEventGuards: { [K in keyof EngineEvents]: Guard<EngineEvents[K]> } = {
  log: isShape<EngineEvents['log']>({
    level: (v: unknown): v is 'info' | 'warn' | 'error' => v === 'info' || v === 'warn' || v === 'error',
    message: isString,
  }),
};
