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
import { isArrayOf, isBoolean, isEmptyParams, isIndex, isOneOf, isRecord, isShape, isString, nullable, optional, type Guard } from './guards';
import type { MethodSpec } from './router';
import { isAnalysisSummary, isPairScore, type AnalysisSummary, type PairScore } from './engineProtocol';
import { isPairExplanation, type PairExplanation } from './explainProtocol';

export type { AnalysisSummary, PairScore } from './engineProtocol';
export type { PairExplanation } from './explainProtocol';

export const WEBVIEW_PROTOCOL_VERSION = 2;

/**
 * Per-row numbers the charts and the table need, one typed array per column (NaN where a row
 * is not scored), indexed by row. Float32 halves the bytes of Float64 and is exact enough for
 * display; the host keeps full precision for exports.
 */
export const SCORE_COLUMNS = ['margin', 'chosen_reward', 'rejected_reward', 'chosen_logratio', 'rejected_logratio', 'chosen_tokens', 'rejected_tokens', 'ches_ln', 'review_score', 'displaced', 'ensemble_mean', 'flag'] as const;
export type ScoreColumnName = (typeof SCORE_COLUMNS)[number];
/** Codes of the `flag` column: 0 none, then FLAG_CODES order. */
export const FLAG_CODES = ['ok', 'noisy', 'swap', 'drop'] as const;
export type PanelFlag = (typeof FLAG_CODES)[number];

export interface ScoreColumns {
  rows: number;
  columns: Record<ScoreColumnName, Float32Array>;
}

export interface RowPreview {
  index: number;
  /** 1-based line in the file, null for formats without lines. */
  line: number | null;
  id: string | null;
  prompt: string;
  chosen: string;
  rejected: string;
  /** Why the row is not a valid pair, or null. */
  problem: string | null;
}

export interface FactorRow {
  name: string;
  description: string;
  labelTau: number;
  modelTau: number;
  labelShare: number | null;
  modelShare: number | null;
}

export interface FactorsView {
  state: 'ready' | 'not-scored';
  message: string | null;
  factors: FactorRow[];
  sentences: string[];
  spearman: number | null;
  lengthBias: { against: string; pearson: number | null; spearman: number | null }[];
}

/** One scored version of a counterfactual edit. */
export interface CounterfactualVersion {
  n: number;
  chosen: string;
  rejected: string;
  chosenReward: number;
  rejectedReward: number;
  margin: number;
  /** Keystroke pause to scores, in the host. */
  latencyMs: number;
  recomputedFrom: { chosen: number | null; rejected: number | null };
}

/** What the panel shows of a pair's counterfactual session. */
export interface CounterfactualState {
  index: number;
  originalMargin: number;
  original: { chosen: string; rejected: string };
  versions: CounterfactualVersion[];
  /** The explanation of the latest version's edited sides (null for sides not recomputed). */
  latest: PairExplanation | null;
  /** Why the latest edit could not be scored (markers damaged, engine error), or null. */
  problem: string | null;
}

export interface PairDetail {
  index: number;
  texts: RowPreview;
  /** The token-level explanation, or null with `explainProblem` saying why (no models, untrusted...). */
  explanation: PairExplanation | null;
  explainProblem: string | null;
  suspicions: { reason: string; evidence: string; strength: number }[];
  flag: PanelFlag | null;
  note: string | null;
}

export interface DatasetSummary {
  /** Base name of the dataset file, for display. */
  fileName: string;
  /** The dataset's URI (the panel keeps it in its state, so a reloaded window restores it). */
  datasetUri: string;
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
  /** Whether policy and reference models are configured (and the workspace is trusted). */
  modelsConfigured: boolean;
  /** Metrics and suspicions over the whole run, once it finished. */
  analysis: AnalysisSummary | null;
}

export type HostRequests = {
  ready: MethodSpec<{ protocolVersion: number }, ReadyResult>;
  getDatasetSummary: MethodSpec<Record<string, never>, DatasetSummary>;
  getScores: MethodSpec<Record<string, never>, ScoreSnapshot>;
  /** Every row's numbers as typed-array columns. */
  getColumns: MethodSpec<Record<string, never>, ScoreColumns>;
  /** Text previews of up to 200 rows (the table pages through these). */
  getRows: MethodSpec<{ indices: number[] }, { rows: RowPreview[] }>;
  /** Rows whose prompt or responses contain `text` (case-insensitive), at most `limit`. */
  search: MethodSpec<{ text: string; limit: number }, { indices: number[]; truncated: boolean }>;
  getPairDetail: MethodSpec<{ index: number }, PairDetail>;
  setFlag: MethodSpec<{ index: number; flag: PanelFlag | null; note?: string }, { flag: PanelFlag | null }>;
  getFactors: MethodSpec<Record<string, never>, FactorsView>;
  /** Rows where the factor differs between chosen and rejected (where it can decide). */
  getFactorRows: MethodSpec<{ factor: string }, { indices: number[] }>;
  /** Reveal and highlight the row's line in the dataset editor; `open` opens the file if no editor shows it. */
  revealRow: MethodSpec<{ index: number; open?: boolean }, { revealed: boolean }>;
  /** Open the pair as an editable counterfactual, or write / append a version to the dataset. */
  counterfactual: MethodSpec<{ index: number; action: 'open' | 'write' | 'append'; n?: number }, { done: boolean }>;
  /** Run a PrefLens command on the user's behalf (buttons in empty states). */
  runCommand: MethodSpec<{ command: 'score' | 'configureModels' | 'openReport' }, { started: boolean }>;
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
  /** A row's flag changed (from the panel, the editor or another window). */
  flagChanged: { index: number; flag: PanelFlag | null };
  /** The editor asks the panel to show this row (cursor moved to its line). */
  selectRow: { index: number };
  /** A counterfactual of a pair was re-scored (or failed): show it. */
  counterfactual: CounterfactualState;
  /** Flags changed wholesale (cleared, or the sidecar changed on disk): reload the flag column. */
  flagsReset: Record<string, never>;
};

export const isDatasetSummary: Guard<DatasetSummary> = isShape<DatasetSummary>({
  fileName: isString,
  datasetUri: isString,
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
  modelsConfigured: isBoolean,
  analysis: nullable(isAnalysisSummary),
});

const isFloat32 = (v: unknown): v is Float32Array => v instanceof Float32Array;
export const isScoreColumns: Guard<ScoreColumns> = (v: unknown): v is ScoreColumns =>
  isRecord(v) && isIndex(v.rows) && isRecord(v.columns) && SCORE_COLUMNS.every((name) => {
    const column = (v.columns as Record<string, unknown>)[name];
    return isFloat32(column) && column.length === v.rows;
  });

const isRowPreview = isShape<RowPreview>({ index: isIndex, line: nullable(isIndex), id: nullable(isString), prompt: isString, chosen: isString, rejected: isString, problem: nullable(isString) });
const isFlag = isOneOf<PanelFlag>(...FLAG_CODES);
const isNum = (v: unknown): v is number => typeof v === 'number';
const isFactorRow = isShape<FactorRow>({ name: isString, description: isString, labelTau: isNum, modelTau: isNum, labelShare: nullable(isNum), modelShare: nullable(isNum) });
const isIndices = isArrayOf(isIndex);
const isSuspicionList = isArrayOf(isShape<{ reason: string; evidence: string; strength: number }>({ reason: isString, evidence: isString, strength: isNum }));

export const hostParamGuards: { [K in keyof HostRequests]: Guard<HostRequests[K]['params']> } = {
  ready: isShape<{ protocolVersion: number }>({ protocolVersion: isIndex }),
  getDatasetSummary: isEmptyParams,
  getScores: isEmptyParams,
  getColumns: isEmptyParams,
  getRows: isShape<{ indices: number[] }>({ indices: (v): v is number[] => isIndices(v) && v.length <= 200 }),
  search: isShape<{ text: string; limit: number }>({ text: (v): v is string => isString(v) && v.length > 0 && v.length <= 500, limit: isIndex }),
  getPairDetail: isShape<{ index: number }>({ index: isIndex }),
  setFlag: isShape<{ index: number; flag: PanelFlag | null; note?: string }>({ index: isIndex, flag: nullable(isFlag), note: optional((v): v is string => isString(v) && v.length <= 4000) }),
  getFactors: isEmptyParams,
  getFactorRows: isShape<{ factor: string }>({ factor: isString }),
  revealRow: isShape<{ index: number; open?: boolean }>({ index: isIndex, open: optional(isBoolean) }),
  runCommand: isShape<{ command: 'score' | 'configureModels' | 'openReport' }>({ command: isOneOf('score', 'configureModels', 'openReport') }),
  counterfactual: isShape<{ index: number; action: 'open' | 'write' | 'append'; n?: number }>({ index: isIndex, action: isOneOf('open', 'write', 'append'), n: optional(isIndex) }),
};

export const hostResultGuards: { [K in keyof HostRequests]: Guard<HostRequests[K]['result']> } = {
  ready: isShape<ReadyResult>({ protocolVersion: isIndex, summary: nullable(isDatasetSummary) }),
  getDatasetSummary: isDatasetSummary,
  getScores: isScoreSnapshot,
  getColumns: isScoreColumns,
  getRows: isShape<{ rows: RowPreview[] }>({ rows: isArrayOf(isRowPreview) }),
  search: isShape<{ indices: number[]; truncated: boolean }>({ indices: isIndices, truncated: isBoolean }),
  getPairDetail: isShape<PairDetail>({ index: isIndex, texts: isRowPreview, explanation: nullable(isPairExplanation), explainProblem: nullable(isString), suspicions: isSuspicionList, flag: nullable(isFlag), note: nullable(isString) }),
  setFlag: isShape<{ flag: PanelFlag | null }>({ flag: nullable(isFlag) }),
  getFactors: isShape<FactorsView>({
    state: isOneOf('ready', 'not-scored'),
    message: nullable(isString),
    factors: isArrayOf(isFactorRow),
    sentences: isArrayOf(isString),
    spearman: nullable(isNum),
    lengthBias: isArrayOf(isShape<{ against: string; pearson: number | null; spearman: number | null }>({ against: isString, pearson: nullable(isNum), spearman: nullable(isNum) })),
  }),
  getFactorRows: isShape<{ indices: number[] }>({ indices: isIndices }),
  revealRow: isShape<{ revealed: boolean }>({ revealed: isBoolean }),
  runCommand: isShape<{ started: boolean }>({ started: isBoolean }),
  counterfactual: isShape<{ done: boolean }>({ done: isBoolean }),
};

export const webviewEventGuards: { [K in keyof WebviewEvents]: Guard<WebviewEvents[K]> } = {
  datasetChanged: isDatasetSummary,
  validationProgress: isShape<{ done: number; total: number }>({ done: isIndex, total: isIndex }),
  datasetValidated: isDatasetValidation,
  datasetError: isShape<{ message: string }>({ message: isString }),
  scoreProgress: isShape<{ done: number; total: number; records: PairScore[] }>({ done: isIndex, total: isIndex, records: isArrayOf(isPairScore) }),
  scoreAnalysis: isAnalysisSummary,
  scoreState: isShape<{ state: ScoreRunState; message: string | null; done: number; total: number }>({ state: isRunState, message: nullable(isString), done: isIndex, total: isIndex }),
  flagChanged: isShape<{ index: number; flag: PanelFlag | null }>({ index: isIndex, flag: nullable(isFlag) }),
  selectRow: isShape<{ index: number }>({ index: isIndex }),
  flagsReset: isEmptyParams,
  counterfactual: isShape<CounterfactualState>({
    index: isIndex,
    originalMargin: isNum,
    original: isShape<{ chosen: string; rejected: string }>({ chosen: isString, rejected: isString }),
    versions: isArrayOf(isShape<CounterfactualVersion>({
      n: isIndex, chosen: isString, rejected: isString, chosenReward: isNum, rejectedReward: isNum, margin: isNum, latencyMs: isNum,
      recomputedFrom: isShape<{ chosen: number | null; rejected: number | null }>({ chosen: nullable(isIndex), rejected: nullable(isIndex) }),
    })),
    latest: nullable(isPairExplanation),
    problem: nullable(isString),
  }),
};
