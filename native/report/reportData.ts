/**
 * The data of a PrefLens report (`preflens report DATA --scores FILE --out report.html`): one
 * plain JSON-serialisable value, written either as pretty JSON or embedded in the HTML report.
 *
 * Design note
 * - Every text field may come from an untrusted dataset (title, path, prompts, responses,
 *   evidence, factor and checkpoint names): renderers must treat them as text, never as markup
 *   or URLs. htmlReport.ts embeds this value as escaped JSON and renders it with textContent.
 * - Metric numbers are `number | null`: null means "not available" (no reference model, no
 *   held-out split, an empty dataset). NaN/Infinity are not JSON, so producers must use null.
 * - `isReportData` / `reportDataProblems` check the shape of a value read back from JSON (for
 *   example a report re-rendered from a saved .json) before it reaches a renderer.
 */

export interface ReportDataset {
  path: string;
  format: string;
  schema: string;
  rows: number;
  validPairs: number;
}

export interface ReportSummary {
  /** Fraction (0..1) of pairs whose implicit reward prefers the chosen response. */
  rewardAccuracy: number | null;
  meanMargin: number | null;
  /** Fraction (0..1) of pairs the policy ranks by likelihood as labelled. */
  rankingAccuracy: number | null;
  referenceRankingAccuracy: number | null;
  /** rankingAccuracy - referenceRankingAccuracy, in percentage points. */
  alignmentGapPP: number | null;
  /** Fraction (0..1) of pairs whose chosen log-likelihood fell during training. */
  displacementRate: number | null;
  /** Number of suspicious pairs. */
  suspicious: number;
  /** A sentence describing the confident-learning result (or why it did not run). */
  confidentLearning: string;
}

export interface ReportHistogram {
  /** Bin edges, counts.length + 1 of them, increasing. */
  edges: number[];
  counts: number[];
}

export interface ReportFactor {
  name: string;
  description: string;
  /** Kendall τ of the factor with the labels and with the model's margins. */
  labelTau: number;
  modelTau: number;
  labelShare?: number;
  modelShare?: number;
}

export interface ReportTrajectories {
  checkpoints: string[];
  meanMargin: number[];
  displaced: number[];
}

export interface ReportReason {
  reason: string;
  evidence: string;
}

export interface ReportSuspiciousPair {
  index: number;
  /** 1-based line of the row in the dataset file, or null (Parquet, JSON arrays). */
  line: number | null;
  id: string;
  margin: number;
  prompt: string;
  chosen: string;
  rejected: string;
  reasons: ReportReason[];
}

/** One coefficient of the Bradley–Terry logistic fit on standardized factor differences. */
export interface ReportCoefficient {
  factor: string;
  coefficient: number;
  low: number;
  high: number;
}

/** Label profile vs model profile beyond the per-factor τ (METRICS 5 and 12). */
export interface ReportProfile {
  /** Rank correlation of τ_label and τ_model across factors. */
  spearman: number | null;
  kendall: number | null;
  /** Plain statements of the largest disagreements ("the model prefers the longer response in 81% of pairs; the labels in 55%"). */
  sentences: string[];
  labelFit: ReportCoefficient[];
  modelFit: ReportCoefficient[];
  /** Correlations of the length difference (T_w − T_l) with the margin, reward correctness and CHES. */
  lengthBias: { against: string; pearson: number | null; spearman: number | null }[];
}

export interface ReportData {
  title: string;
  generatedAt: string;
  dataset: ReportDataset;
  summary: ReportSummary;
  marginHistogram: ReportHistogram;
  factors: ReportFactor[];
  trajectories?: ReportTrajectories;
  profile?: ReportProfile;
  suspicious: ReportSuspiciousPair[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown): boolean => v === null || isNum(v);
const isNumArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNum);

function checkFields(value: Obj, where: string, fields: Record<string, (v: unknown) => boolean>, out: string[]): void {
  for (const [key, ok] of Object.entries(fields)) {
    if (!ok(value[key])) out.push(`${where}.${key} is missing or has the wrong type`);
  }
}

const str = (v: unknown): boolean => typeof v === 'string';
const optNum = (v: unknown): boolean => v === undefined || isNum(v);

/** Every way `value` differs from a ReportData (empty when it is one). */
export function reportDataProblems(value: unknown): string[] {
  const out: string[] = [];
  if (!isObj(value)) return ['report data is not an object'];
  checkFields(value, 'report', { title: str, generatedAt: str, dataset: isObj, summary: isObj, marginHistogram: isObj }, out);
  if (!Array.isArray(value.factors)) out.push('report.factors is not an array');
  if (!Array.isArray(value.suspicious)) out.push('report.suspicious is not an array');
  if (out.length > 0) return out;
  checkFields(value.dataset as Obj, 'dataset', { path: str, format: str, schema: str, rows: isNum, validPairs: isNum }, out);
  const summaryNumbers = ['rewardAccuracy', 'meanMargin', 'rankingAccuracy', 'referenceRankingAccuracy', 'alignmentGapPP', 'displacementRate'];
  checkFields(value.summary as Obj, 'summary', { ...Object.fromEntries(summaryNumbers.map((k) => [k, isNumOrNull])), suspicious: isNum, confidentLearning: str }, out);
  const hist = value.marginHistogram as Obj;
  if (!isNumArray(hist.edges) || !isNumArray(hist.counts)) out.push('marginHistogram.edges/counts must be number arrays');
  else if (hist.counts.length > 0 && hist.edges.length !== hist.counts.length + 1) out.push('marginHistogram.edges must have counts.length + 1 entries');
  (value.factors as unknown[]).forEach((f, i) => {
    if (!isObj(f)) out.push(`factors[${i}] is not an object`);
    else checkFields(f, `factors[${i}]`, { name: str, description: str, labelTau: isNum, modelTau: isNum, labelShare: optNum, modelShare: optNum }, out);
  });
  if (value.trajectories !== undefined) {
    const t = value.trajectories;
    if (!isObj(t) || !Array.isArray(t.checkpoints) || !t.checkpoints.every((c) => typeof c === 'string') || !isNumArray(t.meanMargin) || !isNumArray(t.displaced)) {
      out.push('trajectories must have checkpoints: string[], meanMargin: number[], displaced: number[]');
    } else if (t.meanMargin.length !== t.checkpoints.length || t.displaced.length !== t.checkpoints.length) {
      out.push('trajectories arrays must have one entry per checkpoint');
    }
  }
  if (value.profile !== undefined) {
    const p = value.profile;
    const coefs = (v: unknown): boolean => Array.isArray(v) && v.every((c) => isObj(c) && typeof c.factor === 'string' && isNum(c.coefficient) && isNum(c.low) && isNum(c.high));
    if (!isObj(p)) out.push('profile is not an object');
    else {
      checkFields(p, 'profile', { spearman: isNumOrNull, kendall: isNumOrNull, labelFit: coefs, modelFit: coefs }, out);
      if (!Array.isArray(p.sentences) || !p.sentences.every((x) => typeof x === 'string')) out.push('profile.sentences must be string[]');
      if (!Array.isArray(p.lengthBias) || !p.lengthBias.every((b) => isObj(b) && typeof b.against === 'string' && isNumOrNull(b.pearson) && isNumOrNull(b.spearman))) out.push('profile.lengthBias must be { against, pearson, spearman }[]');
    }
  }
  (value.suspicious as unknown[]).forEach((s, i) => {
    if (!isObj(s)) return void out.push(`suspicious[${i}] is not an object`);
    const line = (v: unknown): boolean => v === null || (Number.isInteger(v) && (v as number) >= 1);
    checkFields(s, `suspicious[${i}]`, { index: isNum, line, id: str, margin: isNum, prompt: str, chosen: str, rejected: str, reasons: Array.isArray }, out);
    if (Array.isArray(s.reasons) && !s.reasons.every((r) => isObj(r) && typeof r.reason === 'string' && typeof r.evidence === 'string')) {
      out.push(`suspicious[${i}].reasons must be { reason: string; evidence: string }[]`);
    }
  });
  return out;
}

export function isReportData(value: unknown): value is ReportData {
  return reportDataProblems(value).length === 0;
}
