/**
 * DPO loss and its variants as per-pair "what-if" losses (METRICS.md 1.3, 2.2, 2.3, 2.4, 8; TRL HEAD
 * `DPOTrainer._compute_loss`, `experimental/cpo` for SimPO).
 *
 * Design note.
 * What: stable softplus / log-sigmoid, the implied preference p̂ = σ(βh) and gradient weight σ(−βh)
 * (M2.2), the per-pair loss of every per-pair TRL loss type (M2.3) and TRL's reward accuracy (M2.4),
 * all from six cached numbers per pair (summed log-probs and scored-token counts), so that a user can
 * ask "what would this pair cost under IPO / rDPO / SimPO at β = …" without a forward pass.
 * Why: the loss a pair *would* have under another objective is a cheap, model-free diagnostic; the
 * same kernel (`lossFromTerms`) drives the column-wise recomputation in `whatIf.ts`.
 * Invariants:
 *  - summed log-probs everywhere (ρ = S_θ − S_ref, h = ρ_w − ρ_l), per-token means only where a loss
 *    defines them: IPO (TRL HEAD Δ̄ = ρ_w/T_w − ρ_l/T_l), sigmoid_norm (Δ̄) and SimPO (A_θ = S_θ/T, no
 *    reference). `lengthNormalized: true` reproduces legacy TRL (v0.11–v0.19 IPO), which divided every
 *    log-ratio by T before anything else (METRICS 14.10).
 *  - a pair with T_w ≤ 0 or T_l ≤ 0, or any non-finite input, is invalid (METRICS 1.3, 12): every
 *    function here returns NaN for it. TRL instead clamps T to ≥ 1 inside IPO/sigmoid_norm.
 *  - softplus(z) = max(z, 0) + log1p(e^−|z|); never log(sigmoid(z)).
 *  - nothing is clipped: rDPO is unbounded below and may be negative (METRICS 8).
 *  - `sigmoid` ignores `labelSmoothing`, as TRL HEAD does; cDPO is the separate type `cdpo` (METRICS 14.9).
 * Example (METRICS 1.5, β = 0.1): ρ_w = 0.5, ρ_l = −0.7, h = 1.2 → L_DPO 0.634946, p̂ 0.529964,
 * cDPO(ε 0.1) 0.646946, robust(ε 0.1) 0.619946, hinge 0.88, IPO 20.475625 (HEAD) / 14.44 (Eq. 17),
 * sigmoid_norm 0.669679; SimPO(β 2.5, γ 1.375) 1.136871.
 */
import { implicitRewards } from './rewards';

/** Cached per-pair values: summed completion log-probs and scored-token counts T (METRICS 1.3). */
export interface PairLogps {
  chosen: number;
  rejected: number;
  refChosen: number;
  refRejected: number;
  chosenTokens: number;
  rejectedTokens: number;
}

export const LOSS_TYPES = [
  'sigmoid', 'cdpo', 'robust', 'hinge', 'ipo', 'ipo_eq17', 'sigmoid_norm', 'simpo',
  'exo_pair', 'nca_pair', 'bco_pair', 'sppo_hard', 'apo_zero', 'apo_down', 'discopop',
] as const;
/** TRL `loss_type` names, plus `cdpo` (legacy `sigmoid` + label smoothing) and `ipo_eq17` (unnormalised paper IPO). */
export type LossType = (typeof LOSS_TYPES)[number];

export interface LossOptions {
  /** DPO temperature β > 0 (τ for IPO, 1/margin for hinge, SimPO's β). */
  beta: number;
  /** ε for cdpo ([0, 0.5]), robust ([0, 0.5)) and exo_pair ((0, 1), default 1e-3). Ignored elsewhere. */
  labelSmoothing?: number;
  /** SimPO target margin γ (default 0.5, TRL CPOConfig `simpo_gamma`). */
  gamma?: number;
  /** DiscoPOP τ (default 0.05, TRL `discopop_tau`). */
  discopopTau?: number;
  /** Legacy TRL: divide ρ by T before everything (rewards, margins, losses). Default false (HEAD). */
  lengthNormalized?: boolean;
}

export interface ResolvedLossOptions {
  type: LossType;
  beta: number;
  eps: number;
  gamma: number;
  tau: number;
  lengthNormalized: boolean;
}

/** Validates options once (RangeError on bad β or ε) so that kernels need no checks. */
export function resolveLossOptions(type: LossType, o: LossOptions): ResolvedLossOptions {
  if (!(LOSS_TYPES as readonly string[]).includes(type)) throw new RangeError(`unknown loss type ${String(type)}`);
  if (!(o.beta > 0) || !Number.isFinite(o.beta)) throw new RangeError(`beta must be a positive number, got ${o.beta}`);
  let eps = o.labelSmoothing ?? 0;
  if (!Number.isFinite(eps)) throw new RangeError(`labelSmoothing must be finite, got ${eps}`);
  if (type === 'robust' && !(eps >= 0 && eps < 0.5)) throw new RangeError(`robust needs 0 <= labelSmoothing < 0.5, got ${eps}`);
  if (type === 'cdpo' && !(eps >= 0 && eps <= 0.5)) throw new RangeError(`cdpo needs 0 <= labelSmoothing <= 0.5, got ${eps}`);
  if (type === 'exo_pair') {
    if (eps === 0) eps = 1e-3;
    if (!(eps > 0 && eps < 1)) throw new RangeError(`exo_pair needs 0 < labelSmoothing < 1, got ${eps}`);
  }
  const gamma = o.gamma ?? 0.5;
  const tau = o.discopopTau ?? 0.05;
  if (!Number.isFinite(gamma)) throw new RangeError(`gamma must be finite, got ${gamma}`);
  if (!(tau > 0)) throw new RangeError(`discopopTau must be positive, got ${tau}`);
  return { type, beta: o.beta, eps, gamma, tau, lengthNormalized: o.lengthNormalized ?? false };
}

/** softplus(z) = log(1 + e^z), stable for any z. */
export function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/** log σ(z) = −softplus(−z), stable (log(sigmoid(z)) underflows to −∞ for z ≪ 0). */
export function logSigmoid(z: number): number {
  return -softplus(-z);
}

/** σ(z), without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** The validity rule of METRICS 1.3/12 on raw values (shared with the column kernel in whatIf.ts). */
export function validPairValues(chosen: number, rejected: number, refChosen: number, refRejected: number, chosenTokens: number, rejectedTokens: number): boolean {
  return chosenTokens > 0 && rejectedTokens > 0 && Number.isFinite(chosenTokens) && Number.isFinite(rejectedTokens)
    && Number.isFinite(chosen) && Number.isFinite(rejected) && Number.isFinite(refChosen) && Number.isFinite(refRejected);
}

export function isValidPair(p: PairLogps): boolean {
  return validPairValues(p.chosen, p.rejected, p.refChosen, p.refRejected, p.chosenTokens, p.rejectedTokens);
}

/** Log-ratios of one pair (M2.1, M2.2); every field NaN for an invalid pair. */
export interface PairTerms {
  /** ρ_w = S_θ(y_w) − S_ref(y_w) */
  rhoChosen: number;
  /** ρ_l = S_θ(y_l) − S_ref(y_l) */
  rhoRejected: number;
  /** h = ρ_w − ρ_l (TRL "logits" / "delta_score") */
  h: number;
  /** Δ̄ = ρ_w/T_w − ρ_l/T_l (TRL HEAD IPO, sigmoid_norm) */
  deltaBar: number;
  /** A_θ(y_w) − A_θ(y_l), policy per-token means only (SimPO) */
  policyMeanDelta: number;
}

export function pairTerms(p: PairLogps): PairTerms {
  if (!isValidPair(p)) return { rhoChosen: NaN, rhoRejected: NaN, h: NaN, deltaBar: NaN, policyMeanDelta: NaN };
  const rhoChosen = p.chosen - p.refChosen;
  const rhoRejected = p.rejected - p.refRejected;
  return {
    rhoChosen,
    rhoRejected,
    h: rhoChosen - rhoRejected,
    deltaBar: rhoChosen / p.chosenTokens - rhoRejected / p.rejectedTokens,
    policyMeanDelta: p.chosen / p.chosenTokens - p.rejected / p.rejectedTokens,
  };
}

// ---- scalar losses; z = βh is the reward margin ----

/** L_DPO = −log σ(z) = softplus(−z) (DPO Eq. 7, TRL `sigmoid`). */
export function dpoLoss(z: number): number {
  return softplus(-z);
}

/** cDPO (Mitchell's note Eq. 3): (1−ε)·softplus(−z) + ε·softplus(z). Biased; gradient vanishes at p̂ = 1−ε. */
export function cdpoLoss(z: number, eps: number): number {
  return (1 - eps) * softplus(-z) + eps * softplus(z);
}

/** rDPO (Chowdhury et al., TRL `robust`): [(1−ε)·softplus(−z) − ε·softplus(z)] / (1−2ε). Unbiased, may be negative. */
export function robustLoss(z: number, eps: number): number {
  return ((1 - eps) * softplus(-z) - eps * softplus(z)) / (1 - 2 * eps);
}

/** Hinge (SLiC/RSO): max(0, 1 − z). */
export function hingeLoss(z: number): number {
  return Math.max(0, 1 - z);
}

/** IPO: (Δ − 1/(2β))². Pass Δ̄ for TRL HEAD, h for the paper's Eq. 17. */
export function ipoLoss(delta: number, beta: number): number {
  const d = delta - 1 / (2 * beta);
  return d * d;
}

/** SimPO (Meng et al. Eq. 4–6): softplus(−(β·(A_θ(y_w) − A_θ(y_l)) − γ)). */
export function simpoLoss(policyMeanDelta: number, beta: number, gamma: number): number {
  return softplus(-(beta * policyMeanDelta - gamma));
}

/** EXO (pair form): q_w(log q_w − log(1−ε)) + q_l(log q_l − log ε), q_w = σ(z), q_l = σ(−z). */
export function exoPairLoss(z: number, eps: number): number {
  return sigmoid(z) * (logSigmoid(z) - Math.log1p(-eps)) + sigmoid(-z) * (logSigmoid(-z) - Math.log(eps));
}

/** DiscoPOP: softplus(−z)(1−m) + e^−z·m, m = σ(z/τ); the second term as exp(−z + log σ(z/τ)) so it never overflows. */
export function discopopLoss(z: number, tau: number): number {
  return softplus(-z) * sigmoid(-z / tau) + Math.exp(-z + logSigmoid(z / tau));
}

/**
 * The loss kernel. rw, rl: log-ratios ρ_w, ρ_l, already divided by T when `lengthNormalized`;
 * deltaBar: Δ̄; policyMeanDelta: A_θ(y_w) − A_θ(y_l). Allocation-free.
 */
export function lossFromTerms(o: ResolvedLossOptions, rw: number, rl: number, deltaBar: number, policyMeanDelta: number): number {
  const b = o.beta;
  const z = b * (rw - rl);
  switch (o.type) {
    case 'sigmoid': return softplus(-z);
    case 'cdpo': return cdpoLoss(z, o.eps);
    case 'robust': return robustLoss(z, o.eps);
    case 'hinge': return hingeLoss(z);
    case 'ipo': return ipoLoss(deltaBar, b);
    case 'ipo_eq17': return ipoLoss(rw - rl, b);
    case 'sigmoid_norm': return softplus(-b * deltaBar);
    case 'simpo': return simpoLoss(policyMeanDelta, b, o.gamma);
    case 'exo_pair': return exoPairLoss(z, o.eps);
    case 'nca_pair': return softplus(-b * rw) + 0.5 * softplus(b * rw) + 0.5 * softplus(b * rl);
    case 'bco_pair': return softplus(-b * rw) + softplus(b * rl);
    case 'sppo_hard': {
      const k = 1 / (2 * b);
      return (rw - k) * (rw - k) + (rl + k) * (rl + k);
    }
    case 'apo_zero': return 1 - sigmoid(b * rw) + sigmoid(b * rl);
    case 'apo_down': return sigmoid(b * rw) + 1 - sigmoid(z);
    case 'discopop': return discopopLoss(z, o.tau);
  }
}

/** Per-pair loss of `type` (M2.3); NaN for an invalid pair; RangeError for invalid options. */
export function pairLoss(p: PairLogps, type: LossType, opts: LossOptions): number {
  const o = resolveLossOptions(type, opts);
  if (!isValidPair(p)) return NaN;
  const t = pairTerms(p);
  const rw = o.lengthNormalized ? t.rhoChosen / p.chosenTokens : t.rhoChosen;
  const rl = o.lengthNormalized ? t.rhoRejected / p.rejectedTokens : t.rhoRejected;
  return lossFromTerms(o, rw, rl, t.deltaBar, t.policyMeanDelta);
}

/** p̂ = σ(βh): Bradley–Terry probability of the observed label (M2.2). */
export function impliedPreference(p: PairLogps, beta: number): number {
  return sigmoid(beta * pairTerms(p).h);
}

/** w_grad = σ(−βh): DPO's per-example gradient weight, high when the implicit reward is wrong (M2.2). */
export function gradientWeight(p: PairLogps, beta: number): number {
  return sigmoid(-beta * pairTerms(p).h);
}

/**
 * TRL reward accuracy 1[r̂_w > r̂_l] (M2.4): strict, ties are wrong (identical responses give 0).
 * Returns 1, 0, or NaN for an invalid pair.
 */
export function rewardAccuracy(p: PairLogps, beta: number, lengthNormalized = false): number {
  if (!isValidPair(p)) return NaN;
  const r = implicitRewards(p, beta);
  const rw = lengthNormalized ? r.chosenReward / p.chosenTokens : r.chosenReward;
  const rl = lengthNormalized ? r.rejectedReward / p.rejectedTokens : r.rejectedReward;
  return rw > rl ? 1 : 0;
}
