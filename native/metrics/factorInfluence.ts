/**
 * Factor influence profiles (METRICS.md §5: PrefLens's own definition, after PROFILE, Oh et al.
 * arXiv 2410.06965) and the length-confound summary (METRICS.md §12).
 *
 * What: for each factor f and a judge (the dataset label, or the model), over pairs with factor
 * values s_f(w) for chosen and s_f(l) for rejected and a judge direction j_i ∈ {+1, −1, 0}
 * (+1: the judge prefers chosen; the label is always +1; the model is sign(margin) or the sign of the
 * policy log-likelihood difference, M2.4 / M3.1):
 *     d_i = sign(s_f(w) − s_f(l)) · j_i     (+1 concordant C, −1 discordant D, 0 tie T)
 *     τ(f) = (C − D) / (C + D)              ties: 'exclude' (default)
 *     τ(f) = (C − D) / (C + D + T)          ties: 'include'
 * τ > 0: the judge prefers the response with the larger value. preferLarger = C / (C + D), the share
 * of the pairs where the factor differs (and the judge has a preference) in which the judge picks
 * the larger one; it is what the plain sentence states. Human–model alignment is the Spearman ρ and
 * Kendall τ-b between the two τ profiles across factors; disagreements sort by |τ_label − τ_model|.
 *
 * Why: shows which surface factors (length, lists, refusals, …) the labels and the model reward, and
 * where they part: "the model prefers the longer response in 81% of pairs; the labels in 55%".
 *
 * Invariants: pairs where a factor is non-finite on either side are left out of that factor's
 * counts; profiles are sorted by |τ| descending (NaN last), then by evidence C + D, then by name;
 * a factor with no non-tied pair has τ = NaN (no evidence), never 0. Correlations of constant
 * inputs are NaN.
 *
 * Length bias (§12): Pearson and Spearman correlation of T_w − T_l with the margin h, with reward
 * correctness 1[h > 0] (R vs R̃) and with CHES, over the pairs where both values are finite.
 *
 * Speed: each factor's column of sign(s_f(w) − s_f(l)) is read out of the pair records once, into
 * an Int8Array, and compareProfiles shares those columns between the label and the model profile;
 * the judge is reduced to signs once too. τ is then a tight integer loop per factor and judge.
 */
import { FACTORS, attributeFactors, responseFactors } from './factors';

export interface FactorPair {
  chosen: Readonly<Record<string, number>>;
  rejected: Readonly<Record<string, number>>;
}

export type TieHandling = 'exclude' | 'include';

export interface InfluenceOptions {
  ties?: TieHandling;
  /** Factors to profile (default: every factor present on both sides of the first pair). */
  factors?: readonly string[];
}

export interface FactorInfluence {
  factor: string;
  tau: number;
  concordant: number;
  discordant: number;
  ties: number;
  /** C / (C + D): share of differing pairs where the judge prefers the larger value; NaN if none. */
  preferLarger: number;
}

/** Text factors for both responses plus the dataset's numeric chosen/rejected rating columns. */
export function pairFactors(
  chosen: string,
  rejected: string,
  prompt = '',
  tokens?: { chosen: number; rejected: number },
  attributes?: Record<string, unknown>,
): FactorPair {
  const c = responseFactors(chosen, prompt, tokens?.chosen);
  const r = responseFactors(rejected, prompt, tokens?.rejected);
  for (const a of attributeFactors(attributes)) {
    c[a.name] = a.chosen;
    r[a.name] = a.rejected;
  }
  return { chosen: c, rejected: r };
}

/** The label judge: the dataset always prefers chosen. */
export const labelJudge = (n: number): number[] => new Array<number>(n).fill(1);
/** The model judge: sign of the implicit-reward margin (or of S_θ(w) − S_θ(l)); 0 is no preference. */
export const modelJudge = (margins: readonly number[]): number[] => margins.map((m) => (Number.isFinite(m) ? Math.sign(m) : 0));

const byAbsTau = (a: FactorInfluence, b: FactorInfluence): number => {
  const x = Number.isNaN(a.tau) ? -1 : Math.abs(a.tau);
  const y = Number.isNaN(b.tau) ? -1 : Math.abs(b.tau);
  return y - x || b.concordant + b.discordant - (a.concordant + a.discordant) || a.factor.localeCompare(b.factor);
};

/** In a sign column: the pair has no finite value of the factor on one side, and is left out. */
const EXCLUDED = 2;

/**
 * sign(s_f(w) − s_f(l)) per pair (−1, 0, +1) or EXCLUDED, one Int8Array per name. Pair-major: each
 * pair's two records are read once for all factors while they are in cache (factor-major reading
 * missed the cache on nearly every load at 100k pairs).
 */
function signColumns(pairs: readonly FactorPair[], names: readonly string[]): Int8Array[] {
  const columns = names.map(() => new Int8Array(pairs.length));
  for (let i = 0; i < pairs.length; i++) {
    const { chosen, rejected } = pairs[i]!;
    for (let f = 0; f < names.length; f++) {
      const w = chosen[names[f]!];
      const l = rejected[names[f]!];
      // For finite w, l: w > l exactly when w − l > 0 (no underflow to 0), so this is Math.sign(w − l).
      columns[f]![i] = w === undefined || l === undefined || !Number.isFinite(w) || !Number.isFinite(l) ? EXCLUDED : w > l ? 1 : w < l ? -1 : 0;
    }
  }
  return columns;
}

/** Math.sign of each judgement, with NaN as 0: d = sign · judge is then neither > 0 nor < 0, a tie. */
function judgeSigns(pairs: readonly FactorPair[], judge: readonly number[]): Int8Array {
  if (judge.length !== pairs.length) throw new Error(`factorInfluence: ${pairs.length} pairs but ${judge.length} judgements`);
  const out = new Int8Array(judge.length);
  for (let i = 0; i < judge.length; i++) {
    const j = judge[i]!;
    out[i] = j > 0 ? 1 : j < 0 ? -1 : 0;
  }
  return out;
}

function influence(factor: string, signs: Int8Array, judge: Int8Array, ties: TieHandling | undefined): FactorInfluence {
  let concordant = 0;
  let discordant = 0;
  let tied = 0;
  for (let i = 0; i < signs.length; i++) {
    const s = signs[i]!;
    if (s === EXCLUDED) continue;
    const d = s * judge[i]!;
    if (d > 0) concordant++;
    else if (d < 0) discordant++;
    else tied++;
  }
  const denominator = concordant + discordant + (ties === 'include' ? tied : 0);
  const tau = denominator === 0 ? NaN : (concordant - discordant) / denominator;
  const preferLarger = concordant + discordant === 0 ? NaN : concordant / (concordant + discordant);
  return { factor, tau, concordant, discordant, ties: tied, preferLarger };
}

const defaultFactors = (pairs: readonly FactorPair[]): string[] => {
  const first = pairs[0];
  return first ? Object.keys(first.chosen).filter((f) => f in first.rejected) : [];
};

/** The profile of one judge over `names`, whose sign columns are `columns` (same order). */
function profile(names: readonly string[], columns: readonly Int8Array[], judge: Int8Array, ties: TieHandling | undefined): FactorInfluence[] {
  return names.map((factor, f) => influence(factor, columns[f]!, judge, ties)).sort(byAbsTau);
}

/** τ(f) per factor for one judge, sorted by |τ| descending. */
export function factorInfluence(pairs: readonly FactorPair[], judge: readonly number[], options: InfluenceOptions = {}): FactorInfluence[] {
  const signs = judgeSigns(pairs, judge);
  const names = options.factors ?? defaultFactors(pairs);
  return profile(names, signColumns(pairs, names), signs, options.ties);
}

// ---------------------------------------------------------------- correlations

/** Average ranks (1-based; ties share their mean rank). */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length).fill(0);
  for (let s = 0; s < order.length; ) {
    let e = s;
    while (e + 1 < order.length && order[e + 1]![0] === order[s]![0]) e++;
    for (let k = s; k <= e; k++) out[order[k]![1]] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return out;
}

export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2 || y.length !== n) return NaN;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

export const spearman = (x: readonly number[], y: readonly number[]): number => pearson(ranks(x), ranks(y));

/** Kendall τ-b (tie-corrected), O(n²): fine for factor vectors and moderate samples. */
export function kendall(x: readonly number[], y: readonly number[]): number {
  let c = 0;
  let d = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const s = Math.sign(x[i]! - x[j]!) * Math.sign(y[i]! - y[j]!);
      if (s > 0) c++;
      else if (s < 0) d++;
      else if (x[i] === x[j] && y[i] !== y[j]) tx++;
      else if (y[i] === y[j] && x[i] !== x[j]) ty++;
    }
  }
  const denominator = Math.sqrt((c + d + tx) * (c + d + ty));
  return denominator > 0 ? (c - d) / denominator : NaN;
}

// ---------------------------------------------------------------- label vs model

export interface FactorDisagreement {
  factor: string;
  tauLabel: number;
  tauModel: number;
  /** |τ_label − τ_model|. */
  gap: number;
}

export interface ProfileComparison {
  label: FactorInfluence[];
  model: FactorInfluence[];
  /** Rank correlations of τ_label and τ_model across the factors where both are defined. */
  spearman: number;
  kendall: number;
  /** Sorted by gap, largest first. */
  disagreements: FactorDisagreement[];
  /** One plain sentence per factor, in the label profile's order. */
  sentences: string[];
}

const percent = (share: number): string => (Number.isNaN(share) ? 'no' : `${Math.round(100 * share)}%`);

/** What a larger value means, as a noun phrase ("the longer response"); attr:X gives "the response with higher X". */
export function largerPhrase(factor: string): string {
  const known = FACTORS.find((f) => f.name === factor);
  if (known) return known.higher;
  return `the response with higher ${factor.replace(/^attr:/, '')}`;
}

/** "the model prefers the longer response in 81% of pairs; the labels in 55%". */
export function describeInfluence(factor: string, model: FactorInfluence | undefined, label: FactorInfluence | undefined): string {
  const phrase = largerPhrase(factor);
  const m = model?.preferLarger ?? NaN;
  const l = label?.preferLarger ?? NaN;
  if (model && label) return `the model prefers ${phrase} in ${percent(m)} of pairs; the labels in ${percent(l)}`;
  if (model) return `the model prefers ${phrase} in ${percent(m)} of pairs`;
  return `the labels prefer ${phrase} in ${percent(l)} of pairs`;
}

/** Label profile (judge +1 everywhere) against the model profile (modelJudges, e.g. modelJudge(margins)). */
export function compareProfiles(pairs: readonly FactorPair[], modelJudges: readonly number[], options: InfluenceOptions = {}): ProfileComparison {
  // Both profiles cover the same factors (the model's in the label's order, as before): their sign
  // columns are read once and shared.
  const names = options.factors ?? defaultFactors(pairs);
  const labelSigns = judgeSigns(pairs, labelJudge(pairs.length));
  const modelSigns = judgeSigns(pairs, modelJudges);
  const columns = signColumns(pairs, names);
  const label = profile(names, columns, labelSigns, options.ties);
  const column = new Map(names.map((name, f) => [name, columns[f]!]));
  const modelNames = label.map((f) => f.factor); // the sort is stable: keep its input order as before
  const model = profile(modelNames, modelNames.map((name) => column.get(name)!), modelSigns, options.ties);
  const modelBy = new Map(model.map((f) => [f.factor, f]));
  const both = label.filter((f) => !Number.isNaN(f.tau) && !Number.isNaN(modelBy.get(f.factor)?.tau ?? NaN));
  const tl = both.map((f) => f.tau);
  const tm = both.map((f) => modelBy.get(f.factor)!.tau);
  const disagreements = both
    .map((f, i) => ({ factor: f.factor, tauLabel: tl[i]!, tauModel: tm[i]!, gap: Math.abs(tl[i]! - tm[i]!) }))
    .sort((a, b) => b.gap - a.gap || a.factor.localeCompare(b.factor));
  const sentences = label.map((f) => describeInfluence(f.factor, modelBy.get(f.factor), f));
  return { label, model, spearman: spearman(tl, tm), kendall: kendall(tl, tm), disagreements, sentences };
}

// ---------------------------------------------------------------- length bias (METRICS §12)

export interface LengthBiasRow {
  chosenTokens: number;
  rejectedTokens: number;
  margin?: number;
  /** Reward correctness (R vs R̃): default 1[margin > 0] when margin is given. */
  correct?: boolean;
  ches?: number;
}

export interface Correlation {
  pearson: number;
  spearman: number;
  n: number;
}

export interface LengthBias {
  margin: Correlation;
  correctness: Correlation;
  ches: Correlation;
}

function correlate(rows: readonly LengthBiasRow[], value: (r: LengthBiasRow) => number | undefined): Correlation {
  const x: number[] = [];
  const y: number[] = [];
  for (const r of rows) {
    const dl = r.chosenTokens - r.rejectedTokens;
    const v = value(r);
    if (v === undefined || !Number.isFinite(v) || !Number.isFinite(dl)) continue;
    x.push(dl);
    y.push(v);
  }
  return { pearson: pearson(x, y), spearman: spearman(x, y), n: x.length };
}

/** Correlations of the length difference T_w − T_l with the margin, with correctness and with CHES. */
export function lengthBias(rows: readonly LengthBiasRow[]): LengthBias {
  return {
    margin: correlate(rows, (r) => r.margin),
    correctness: correlate(rows, (r) => (r.correct !== undefined ? Number(r.correct) : r.margin !== undefined ? Number(r.margin > 0) : undefined)),
    ches: correlate(rows, (r) => r.ches),
  };
}
