/**
 * Ranking accuracy, difficulty and idealized ranking accuracy (Chen et al. 2024; METRICS.md 3.1–3.5,
 * 12, 14) and RewardBench DPO scores (METRICS 10.1).
 *
 * Design note.
 * What: per pair, Chen's ranking accuracy R = 1[S_θ(y_w) ≥ S_θ(y_l)] and its length-normalised R̃
 * (A = S/T) for the policy and for the reference (M3.1), the transition category ref → policy (M3.5),
 * the difficulty c = S_ref(y_l) − S_ref(y_w) with its flip threshold L*(c) = softplus(−βc) (M3.4), and
 * the idealized ranking accuracy R* = 1[(S_ref(y_w) − S_ref(y_l)) + (1/β)·log(α/(1−α)) > 0] and R̃*
 * (with A_ref) over the β grid {0.01, 0.1, 1, 5, 10} (M3.3); per dataset, the means, R* min/median/max
 * over the grid and the alignment gap (median R* − R, in percentage points).
 * Why: reward accuracy (π_θ/π_ref, strict) says whether DPO's implicit reward orders a pair; ranking
 * accuracy (π_θ only, ≥) says whether the model itself prefers y_w. Chen et al. show the two diverge and
 * that even a perfect DPO optimum often cannot reach R = 1 (R*), so both must be reported (METRICS 14.5).
 * Invariants:
 *  - R, R̃ use ≥ (ties correct); R*, R̃* use > (strict); RewardBench uses > (METRICS 14.4).
 *  - c puts the dispreferred response first: c > 0 means the reference prefers y_l ("needs flip", 14.7).
 *  - Thm. 4.1: R = 1 iff L_DPO ≤ L*(c), for every β > 0.
 *  - α is the rater proportion preferring y_w; α = 1/0 become 0.999/0.001; without one, α = 0.75 and the
 *    result says `alphaSource: 'simulated'` (App. C.4).
 *  - RewardBench drops β (s = S_θ − S_ref); DPO rewards keep it (METRICS 14.6).
 *  - invalid pairs (T ≤ 0, non-finite; METRICS 1.3) give NaN / null and are excluded from aggregates.
 * Example (METRICS 1.5): R = 0, R̃ = 1; c = 2.7, L*(c) = 0.567232 at β = 0.1; with α = 0.75 the
 * log-space R* margins are 107.161, 8.286, −1.601, −2.480, −2.590 → R* = 1, 1, 0, 0, 0.
 */
import { type PairLogps, isValidPair, softplus } from './losses';

/** Chen's β grid (App. C.4): β is unknown for most models, so R* is reported over it. */
export const BETA_GRID: readonly number[] = [0.01, 0.1, 1, 5, 10];
/** α used when the dataset has no rater proportions (Chen's code `simulate_proportion`). */
export const SIMULATED_ALPHA = 0.75;
/** α = 1 becomes 1 − ALPHA_EPSILON, α = 0 becomes ALPHA_EPSILON (Chen's code `eps = 1e-3`). */
export const ALPHA_EPSILON = 1e-3;

export type AlphaSource = 'dataset' | 'simulated';

/** A pair with an optional rater proportion α ∈ [0, 1]: the fraction of raters preferring `chosen`. */
export interface RatedPair extends PairLogps {
  alpha?: number;
}

/** Chen Def. 2.3 on log-likelihoods: 1 if preferred ≥ dispreferred (ties count as correct). */
export function ranksCorrectly(preferred: number, dispreferred: number): 0 | 1 {
  return preferred >= dispreferred ? 1 : 0;
}

/** R, R̃ for the policy and the same for the reference (M3.1); NaN fields for an invalid pair. */
export interface RankingAccuracy {
  policy: number;
  policyNormalized: number;
  reference: number;
  referenceNormalized: number;
}

export function rankingAccuracy(p: PairLogps): RankingAccuracy {
  if (!isValidPair(p)) return { policy: NaN, policyNormalized: NaN, reference: NaN, referenceNormalized: NaN };
  return {
    policy: ranksCorrectly(p.chosen, p.rejected),
    policyNormalized: ranksCorrectly(p.chosen / p.chosenTokens, p.rejected / p.rejectedTokens),
    reference: ranksCorrectly(p.refChosen, p.refRejected),
    referenceNormalized: ranksCorrectly(p.refChosen / p.chosenTokens, p.refRejected / p.rejectedTokens),
  };
}

export const TRANSITION_CATEGORIES = ['correct_to_correct', 'correct_to_incorrect', 'incorrect_to_correct', 'incorrect_to_incorrect'] as const;
/** Reference ranking → policy ranking (M3.5, Chen Fig. 2). */
export type TransitionCategory = (typeof TRANSITION_CATEGORIES)[number];

/** Transition category with Def. 2.3 (summed, or length-normalised when `normalized`); null when invalid. */
export function rankingTransition(p: PairLogps, normalized = false): TransitionCategory | null {
  if (!isValidPair(p)) return null;
  const a = rankingAccuracy(p);
  const ref = normalized ? a.referenceNormalized : a.reference;
  const pol = normalized ? a.policyNormalized : a.policy;
  return `${ref === 1 ? 'correct' : 'incorrect'}_to_${pol === 1 ? 'correct' : 'incorrect'}`;
}

/** Difficulty of a pair (M3.4, Thm. 4.1). */
export interface Difficulty {
  /** c = S_ref(y_l) − S_ref(y_w); higher = harder. */
  c: number;
  /** L*(c) = softplus(−βc): R = 1 iff L_DPO ≤ L*. */
  lStar: number;
  /** L_DPO = softplus(−βh). */
  dpoLoss: number;
  /** c > 0: the reference ranks the pair wrongly, training must flip it. */
  needsFlip: boolean;
}

export function difficulty(p: PairLogps, beta: number): Difficulty {
  if (!isValidPair(p)) return { c: NaN, lStar: NaN, dpoLoss: NaN, needsFlip: false };
  const c = p.refRejected - p.refChosen;
  const h = p.chosen - p.refChosen - (p.rejected - p.refRejected);
  return { c, lStar: softplus(-beta * c), dpoLoss: softplus(-beta * h), needsFlip: c > 0 };
}

/** α for R*: the dataset's proportion clamped to [0.001, 0.999], else the simulated 0.75. */
export function resolveAlpha(alpha?: number): { alpha: number; alphaSource: AlphaSource } {
  if (alpha === undefined) return { alpha: SIMULATED_ALPHA, alphaSource: 'simulated' };
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`rater proportion must be in [0, 1], got ${alpha}`);
  return { alpha: Math.min(Math.max(alpha, ALPHA_EPSILON), 1 - ALPHA_EPSILON), alphaSource: 'dataset' };
}

/** Log-space argument of R* (Cor. 3.3): refLogRatio + (1/β)·log(α/(1−α)); R* = 1 iff > 0. */
export function idealizedMargin(refLogRatio: number, alpha: number, beta: number): number {
  return refLogRatio + Math.log(alpha / (1 - alpha)) / beta;
}

export interface IdealizedRanking {
  alpha: number;
  alphaSource: AlphaSource;
  betas: readonly number[];
  /** per β: (S_ref(y_w) − S_ref(y_l)) + (1/β)·log(α/(1−α)) */
  margins: number[];
  /** per β: the same with A_ref */
  normalizedMargins: number[];
  rStar: number[];
  rTildeStar: number[];
}

/** R* and R̃* for one pair over `betas` (M3.3); NaN entries for an invalid pair. */
export function idealizedRanking(p: RatedPair, betas: readonly number[] = BETA_GRID): IdealizedRanking {
  const { alpha, alphaSource } = resolveAlpha(p.alpha);
  const valid = isValidPair(p);
  const ref = valid ? p.refChosen - p.refRejected : NaN;
  const refNorm = valid ? p.refChosen / p.chosenTokens - p.refRejected / p.rejectedTokens : NaN;
  const margins = betas.map((b) => idealizedMargin(ref, alpha, b));
  const normalizedMargins = betas.map((b) => idealizedMargin(refNorm, alpha, b));
  const strict = (m: number) => (Number.isNaN(m) ? NaN : m > 0 ? 1 : 0);
  return { alpha, alphaSource, betas, margins, normalizedMargins, rStar: margins.map(strict), rTildeStar: normalizedMargins.map(strict) };
}

/**
 * Chen's R_ties (Def. C.1) on length-normalised probabilities π̃ = exp(A_θ) only: ε = 0.01 is on raw
 * probabilities, and raw sequence probabilities are ~0, so every α = 0.5 pair would count as a tie
 * (METRICS 3.2, 14.15). `alpha` is the rater proportion preferring `chosen`.
 */
export function rankingWithTies(p: PairLogps, alpha: number, epsilon = 0.01): number {
  if (!isValidPair(p)) return NaN;
  const w = Math.exp(p.chosen / p.chosenTokens);
  const l = Math.exp(p.rejected / p.rejectedTokens);
  if (alpha === 0.5) return Math.abs(w - l) < epsilon ? 1 : 0;
  return (alpha > 0.5 ? w > l : w < l) ? 1 : 0;
}

export interface MinMedianMax {
  min: number;
  median: number;
  max: number;
}

function minMedianMax(xs: readonly number[]): MinMedianMax {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return { min: NaN, median: NaN, max: NaN };
  const m = s.length >> 1;
  return { min: s[0]!, median: s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2, max: s[s.length - 1]! };
}

export interface RankingSummary {
  pairs: number;
  valid: number;
  invalid: number;
  /** means over valid pairs of R, R̃ (policy) and the same for the reference */
  R: number;
  RTilde: number;
  refR: number;
  refRTilde: number;
  betas: readonly number[];
  /** mean R*, R̃* per β of the grid */
  rStarByBeta: number[];
  rTildeStarByBeta: number[];
  rStar: MinMedianMax;
  rTildeStar: MinMedianMax;
  /** (median R* − R) · 100 */
  alignmentGapPP: number;
  /** (median R̃* − R̃) · 100 */
  alignmentGapNormalizedPP: number;
  /** 'dataset' only when every valid pair carried α; otherwise the missing ones used 0.75 */
  alphaSource: AlphaSource;
  simulatedAlphaCount: number;
  /** counts of pairs with c > 0 */
  needsFlip: number;
  transitions: Record<TransitionCategory, number>;
  transitionsNormalized: Record<TransitionCategory, number>;
}

/** Dataset aggregates (M3.1, M3.3, M3.5; METRICS 12): equal-weight means over valid pairs. */
export function rankingSummary(pairs: readonly RatedPair[], betas: readonly number[] = BETA_GRID): RankingSummary {
  const zero = () => Object.fromEntries(TRANSITION_CATEGORIES.map((k) => [k, 0])) as Record<TransitionCategory, number>;
  const transitions = zero();
  const transitionsNormalized = zero();
  const rStarSum = betas.map(() => 0);
  const rTildeSum = betas.map(() => 0);
  let valid = 0, R = 0, RTilde = 0, refR = 0, refRTilde = 0, simulated = 0, needsFlip = 0;
  for (const p of pairs) {
    if (!isValidPair(p)) continue;
    valid++;
    const a = rankingAccuracy(p);
    R += a.policy;
    RTilde += a.policyNormalized;
    refR += a.reference;
    refRTilde += a.referenceNormalized;
    transitions[rankingTransition(p)!]++;
    transitionsNormalized[rankingTransition(p, true)!]++;
    if (p.refRejected - p.refChosen > 0) needsFlip++;
    const ir = idealizedRanking(p, betas);
    if (ir.alphaSource === 'simulated') simulated++;
    for (let k = 0; k < betas.length; k++) {
      rStarSum[k]! += ir.rStar[k]!;
      rTildeSum[k]! += ir.rTildeStar[k]!;
    }
  }
  const mean = (x: number) => (valid > 0 ? x / valid : NaN);
  const rStarByBeta = rStarSum.map(mean);
  const rTildeStarByBeta = rTildeSum.map(mean);
  const rStar = minMedianMax(rStarByBeta);
  const rTildeStar = minMedianMax(rTildeStarByBeta);
  return {
    pairs: pairs.length, valid, invalid: pairs.length - valid,
    R: mean(R), RTilde: mean(RTilde), refR: mean(refR), refRTilde: mean(refRTilde),
    betas, rStarByBeta, rTildeStarByBeta, rStar, rTildeStar,
    alignmentGapPP: (rStar.median - mean(R)) * 100,
    alignmentGapNormalizedPP: (rTildeStar.median - mean(RTilde)) * 100,
    alphaSource: valid > 0 && simulated === 0 ? 'dataset' : 'simulated',
    simulatedAlphaCount: simulated,
    needsFlip, transitions, transitionsNormalized,
  };
}

// ---- RewardBench DPO scoring (M10.1) ----

/** `ref`: S_θ − S_ref (β dropped); ref-free `sum` S_θ, `avg` A_θ, `norm` N2 = −‖ℓ_θ‖₂. */
export type RewardBenchMode = 'ref' | 'sum' | 'avg' | 'norm';

/** N2(y) = −‖(ℓ_1..ℓ_T)‖₂ (RewardBench `norm_log_prob`) from the policy's per-token log-probs. */
export function normLogProb(tokenLogps: ArrayLike<number>): number {
  let ss = 0;
  for (let i = 0; i < tokenLogps.length; i++) ss += tokenLogps[i]! * tokenLogps[i]!;
  return -Math.sqrt(ss);
}

export interface RewardBenchScore {
  chosen: number;
  rejected: number;
  /** 1[chosen > rejected] (strict, ties wrong); NaN for an invalid pair */
  correct: number;
}

/** RewardBench score of both responses; `norms` (N2 of chosen and rejected) is required for mode `norm`. */
export function rewardBenchScore(p: PairLogps, mode: RewardBenchMode, norms?: { chosen: number; rejected: number }): RewardBenchScore {
  if (mode === 'norm' && !norms) throw new TypeError('RewardBench norm mode needs the per-response N2 values');
  if (!isValidPair(p)) return { chosen: NaN, rejected: NaN, correct: NaN };
  let chosen: number, rejected: number;
  switch (mode) {
    case 'ref': chosen = p.chosen - p.refChosen; rejected = p.rejected - p.refRejected; break;
    case 'sum': chosen = p.chosen; rejected = p.rejected; break;
    case 'avg': chosen = p.chosen / p.chosenTokens; rejected = p.rejected / p.rejectedTokens; break;
    case 'norm': chosen = norms!.chosen; rejected = norms!.rejected; break;
  }
  return { chosen, rejected, correct: chosen > rejected ? 1 : 0 };
}
