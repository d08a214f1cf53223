/**
 * Host <-> webview protocol: the only definition of what the PrefLens panel and the extension
 * host say to each other.
 *
 * Design note
 * - The webview is the caller (`HostRequests`), the host the callee; the host pushes state with
 *   `WebviewEvents`. Both directions are guarded: params on the host, results and events in
 *   the webview.
 * - The first request is always `ready` with the protocol version; the host answers with the
 *   current dataset summary so the panel can render without a second round trip.
 * - Pure TypeScript with no Node or DOM imports: it is bundled into both sides.
 */
import { isArrayOf, isEmptyParams, isIndex, isOneOf, isRecord, isShape, isString, nullable, type Guard } from './guards';
import type { MethodSpec } from './router';
import { isAnalysisSummary, isPairScore, type AnalysisSummary, type PairScore } from './engineProtocol';

export type { AnalysisSummary, PairScore } from './engineProtocol';

export const WEBVIEW_PROTOCOL_VERSION = 1;

export interface DatasetSummary {
  /** Base name of the dataset file, for display. */
  fileName: string;
  /** Workspace-relative path when inside the workspace, else the absolute path. */
  displayPath: string;
  /** jsonl, jsonl.gz, json, parquet or folder. */
  format: string;
  /** The detected layout, or null with `schemaProblem` saying why. */
  schema: { kind: string; description: string } | null;
  schemaProblem: string | null;
  /** Number of records (non-blank lines for JSONL, rows for Parquet). */
  records: number;
  /** File size in bytes. */
  bytes: number;
}

export interface IssueSummary {
  severity: 'error' | 'warning';
  reason: string;
  file: string;
  line: number | null;
  column: number | null;
  index: number | null;
  field: string | null;
  message: string;
}

/** The result of checking every row (a background pass after the summary). */
export interface DatasetValidation {
  validPairs: number;
  invalidRows: number;
  invalidByReason: Record<string, number>;
  warningsByReason: Record<string, number>;
  duplicatePairs: number;
  contradictoryPairs: number;
  duplicatePrompts: number;
  attributes: string[];
  issuesTotal: number;
  /** The first problems, with their locations. */
  issues: IssueSummary[];
}

export interface ReadyResult {
  protocolVersion: number;
  summary: DatasetSummary | null;
}

export type ScoreRunState = 'none' | 'running' | 'done' | 'cancelled' | 'error' | 'untrusted';

/** The latest scoring run of this dataset, as the host knows it. */
export interface ScoreSnapshot {
  state: ScoreRunState;
  message: string | null;
  done: number;
  total: number;
  records: PairScore[];
  /** Metrics and suspicions over the whole run, once it finished. */
  analysis: AnalysisSummary | null;
}

export type HostRequests = {
  ready: MethodSpec<{ protocolVersion: number }, ReadyResult>;
  getDatasetSummary: MethodSpec<Record<string, never>, DatasetSummary>;
  getScores: MethodSpec<Record<string, never>, ScoreSnapshot>;
};

export type WebviewEvents = {
  /** The dataset shown in the panel changed (file edited on disk, or another file opened). */
  datasetChanged: DatasetSummary;
  /** Progress of the background row check. */
  validationProgress: { done: number; total: number };
  /** Every row has been checked. */
  datasetValidated: DatasetValidation;
  /** The host could not produce a summary; the panel shows this message. */
  datasetError: { message: string };
  /** New per-pair scores (appended to what the panel has), with the run's progress. */
  scoreProgress: { done: number; total: number; records: PairScore[] };
  /** The scoring run changed state (started, finished, cancelled, failed). */
  scoreState: { state: ScoreRunState; message: string | null; done: number; total: number };
  /** The finished run's analysis: summary metrics and the review list. */
  scoreAnalysis: AnalysisSummary;
};

export const isDatasetSummary: Guard<DatasetSummary> = isShape<DatasetSummary>({
  fileName: isString,
  displayPath: isString,
  format: isString,
  schema: nullable(isShape<{ kind: string; description: string }>({ kind: isString, description: isString })),
  schemaProblem: nullable(isString),
  records: isIndex,
  bytes: isIndex,
});

const isCountMap: Guard<Record<string, number>> = (v: unknown): v is Record<string, number> =>
  isRecord(v) && Object.values(v).every((n) => isIndex(n));

const isIssueSummary: Guard<IssueSummary> = isShape<IssueSummary>({
  severity: isOneOf('error', 'warning'),
  reason: isString,
  file: isString,
  line: nullable(isIndex),
  column: nullable(isIndex),
  index: nullable(isIndex),
  field: nullable(isString),
  message: isString,
});

export const isDatasetValidation: Guard<DatasetValidation> = isShape<DatasetValidation>({
  validPairs: isIndex,
  invalidRows: isIndex,
  invalidByReason: isCountMap,
  warningsByReason: isCountMap,
  duplicatePairs: isIndex,
  contradictoryPairs: isIndex,
  duplicatePrompts: isIndex,
  attributes: isArrayOf(isString),
  issuesTotal: isIndex,
  issues: isArrayOf(isIssueSummary),
});

const isRunState = isOneOf<ScoreRunState>('none', 'running', 'done', 'cancelled', 'error', 'untrusted');

export const isScoreSnapshot: Guard<ScoreSnapshot> = isShape<ScoreSnapshot>({
  state: isRunState,
  message: nullable(isString),
  done: isIndex,
  total: isIndex,
  records: isArrayOf(isPairScore),
  analysis: nullable(isAnalysisSummary),
});

export const hostParamGuards: { [K in keyof HostRequests]: Guard<HostRequests[K]['params']> } = {
  ready: isShape<{ protocolVersion: number }>({ protocolVersion: isIndex }),
  getDatasetSummary: isEmptyParams,
  getScores: isEmptyParams,
};

export const hostResultGuards: { [K in keyof HostRequests]: Guard<HostRequests[K]['result']> } = {
  ready: isShape<ReadyResult>({ protocolVersion: isIndex, summary: nullable(isDatasetSummary) }),
  getDatasetSummary: isDatasetSummary,
  getScores: isScoreSnapshot,
};

export const webviewEventGuards: { [K in keyof WebviewEvents]: Guard<WebviewEvents[K]> } = {
  datasetChanged: isDatasetSummary,
  validationProgress: isShape<{ done: number; total: number }>({ done: isIndex, total: isIndex }),
  datasetValidated: isDatasetValidation,
  datasetError: isShape<{ message: string }>({ message: isString }),
  scoreProgress: isShape<{ done: number; total: number; records: PairScore[] }>({ done: isIndex, total: isIndex, records: isArrayOf(isPairScore) }),
  scoreAnalysis: isAnalysisSummary,
  scoreState: isShape<{ state: ScoreRunState; message: string | null; done: number; total: number }>({ state: isRunState, message: nullable(isString), done: isIndex, total: isIndex }),
};
