/**
 * Ensemble preference strength, strength buckets and checkpoint trajectories
 * (METRICS.md 7.1 M7.1, 7.2 M7.2, 4.2 M4.2, 8 estimator 2, 12, 14 item 8).
 *
 * Design note.
 * - Strength (Wang et al. 2024, Eq. 4): d[i][m] = beta*h of pair i under member m (several DPO
 *   checkpoints or seeds, or external reward models). mu_i = mean_m d, sigma_i = sqrt(sum (d - mu)^2 / M):
 *   the POPULATION std (divide by M, not M - 1; METRICS 14.8). d = [0.5, -0.2, 0.3] -> mu 0.2,
 *   sigma 0.294392 (ddof = 1 would give 0.360555: wrong). A pair with a non-finite value in any
 *   member is invalid (METRICS 12): mean and std NaN, never a mean over fewer members.
 * - Member scales (METRICS 7.1: "keep members on one scale or z-normalise; record which"), recorded
 *   in `normalisation`: 'none' (same beta, same reference); 'z' = (d - mean_m)/std_m per member over
 *   the valid pairs, as the spec allows, BUT it removes each member's zero point, so mu < 0 no longer
 *   means "the ensemble prefers the rejected response": use percentile buckets with it; 'scale' =
 *   d / rms_m (no centring; rms = sqrt(mean d^2)) equalises scales and keeps the sign, use it with sign
 *   buckets. A member that is identically 0 over the valid pairs cannot be scaled and is an error.
 * - Buckets (M7.2), mode recorded in the result:
 *   'percentile' (the paper's cut, Sec. 2.3): percentile rank of mu (percentiles.ts, 0..100, ties
 *     averaged) < 20 incorrect, < 40 ambiguous, >= 90 strong, else normal (cuts configurable).
 *   'sign': |mu| < delta ambiguous (checked first, so a slightly negative mu is ambiguous, not incorrect),
 *     else mu < 0 incorrect, else strong when mu >= strongAbove (if given) or when its percentile rank
 *     >= the strong cut (default 90), else normal. With delta = 0, mu = 0 exactly is "normal".
 *   Invalid pairs (NaN mu) get bucket null and are not counted in the percentiles.
 * - Trajectories (M4.2, Razin Def. 1): checkpoints in training order, each giving per pair the reward
 *   margin (beta*h) and the chosen log-ratio rho_w = S_theta_k(y_w) - S_ref(y_w) against the INITIAL
 *   model; displaced at checkpoint k iff rho_w < 0 (null when rho_w is not finite). Trends use the finite
 *   values only: first, last, min (and its checkpoint), and the monotone direction ('increasing' /
 *   'decreasing' = non-strict and not constant). Dataset level per checkpoint: fraction displaced and
 *   mean rho_w over the pairs with finite rho_w (equal weight, METRICS 12).
 */
import { percentileRanks } from './percentiles';

export type MemberNormalisation = 'none' | 'z' | 'scale';

export interface PreferenceStrength {
  /** mu per pair (NaN for invalid pairs). */
  mean: Float64Array;
  /** Population std (divide by M) per pair (NaN for invalid pairs). */
  std: Float64Array;
  members: number;
  normalisation: MemberNormalisation;
  /** Number of pairs with a finite value in every member. */
  valid: number;
}

/** M7.1 over d[pair][member] (= beta*h of the pair under each member). */
export function preferenceStrength(d: readonly (readonly number[])[], options: { normalise?: MemberNormalisation } = {}): PreferenceStrength {
  const normalisation = options.normalise ?? 'none';
  const n = d.length;
  const M = n > 0 ? d[0]!.length : 0;
  if (n > 0 && M === 0) throw new RangeError('every pair needs at least one ensemble member');
  for (let i = 0; i < n; i++) {
    if (d[i]!.length !== M) throw new RangeError(`pair ${i} has ${d[i]!.length} members, pair 0 has ${M}`);
  }
  const ok = new Uint8Array(n);
  let valid = 0;
  for (let i = 0; i < n; i++) {
    if (d[i]!.every(Number.isFinite)) {
      ok[i] = 1;
      valid++;
    }
  }
  // per-member affine map v -> (v - shift) / scale
  const shift = new Float64Array(M);
  const scale = new Float64Array(M).fill(1);
  if (normalisation !== 'none' && valid > 0) {
    for (let m = 0; m < M; m++) {
      let s = 0;
      for (let i = 0; i < n; i++) if (ok[i]) s += d[i]![m]!;
      const mu = normalisation === 'z' ? s / valid : 0;
      let ss = 0;
      for (let i = 0; i < n; i++) if (ok[i]) ss += (d[i]![m]! - mu) ** 2;
      const sd = Math.sqrt(ss / valid);
      if (!(sd > 0)) throw new RangeError(`member ${m} is constant over the valid pairs and cannot be normalised ('${normalisation}')`);
      shift[m] = mu;
      scale[m] = sd;
    }
  }
  const mean = new Float64Array(n).fill(Number.NaN);
  const std = new Float64Array(n).fill(Number.NaN);
  for (let i = 0; i < n; i++) {
    if (!ok[i]) continue;
    const row = d[i]!;
    let s = 0;
    for (let m = 0; m < M; m++) s += (row[m]! - shift[m]!) / scale[m]!;
    const mu = s / M;
    let ss = 0;
    for (let m = 0; m < M; m++) ss += ((row[m]! - shift[m]!) / scale[m]! - mu) ** 2;
    mean[i] = mu;
    std[i] = Math.sqrt(ss / M);
  }
  return { mean, std, members: M, normalisation, valid };
}

export type StrengthBucket = 'incorrect' | 'ambiguous' | 'normal' | 'strong';

export interface PercentileCuts {
  /** Percentile rank below which a pair is incorrect (paper: 20). */
  incorrect: number;
  /** Percentile rank below which a pair is ambiguous (paper: 40). */
  ambiguous: number;
  /** Percentile rank at or above which a pair is strong (paper: 90). */
  strong: number;
}

export const PAPER_CUTS: Readonly<PercentileCuts> = Object.freeze({ incorrect: 20, ambiguous: 40, strong: 90 });

export type BucketOptions =
  | { mode: 'percentile'; cuts?: Partial<PercentileCuts> }
  | { mode: 'sign'; delta: number; strongAbove?: number; strongPercentile?: number };

export interface StrengthBuckets {
  mode: 'percentile' | 'sign';
  /** The thresholds actually used (cuts for 'percentile'; delta, strongAbove or strongPercentile for 'sign'). */
  params: Record<string, number>;
  /** Bucket per pair; null for invalid (NaN) mu. */
  buckets: (StrengthBucket | null)[];
  /** Percentile rank of mu per pair (0..100, ties averaged, NaN for invalid). */
  percentile: Float64Array;
  counts: Record<StrengthBucket, number>;
}

/** M7.2 buckets of the ensemble strength mu, by the paper's percentile cut or by sign thresholds. */
export function strengthBuckets(mean: ArrayLike<number>, options: BucketOptions): StrengthBuckets {
  const percentile = percentileRanks(mean);
  const counts: Record<StrengthBucket, number> = { incorrect: 0, ambiguous: 0, normal: 0, strong: 0 };
  const buckets: (StrengthBucket | null)[] = new Array<StrengthBucket | null>(mean.length).fill(null);
  let params: Record<string, number>;
  let assign: (mu: number, pct: number) => StrengthBucket;
  if (options.mode === 'percentile') {
    const c: PercentileCuts = { ...PAPER_CUTS, ...options.cuts };
    if (!(c.incorrect >= 0 && c.incorrect <= c.ambiguous && c.ambiguous <= c.strong && c.strong <= 100)) {
      throw new RangeError(`percentile cuts must satisfy 0 <= incorrect <= ambiguous <= strong <= 100, got ${JSON.stringify(c)}`);
    }
    params = { ...c };
    assign = (_mu, pct) => (pct < c.incorrect ? 'incorrect' : pct < c.ambiguous ? 'ambiguous' : pct >= c.strong ? 'strong' : 'normal');
  } else {
    const { delta, strongAbove } = options;
    if (!(delta >= 0) || !Number.isFinite(delta)) throw new RangeError(`delta must be finite and >= 0, got ${delta}`);
    const strongPct = options.strongPercentile ?? PAPER_CUTS.strong;
    params = strongAbove === undefined ? { delta, strongPercentile: strongPct } : { delta, strongAbove };
    assign = (mu, pct) => {
      if (Math.abs(mu) < delta) return 'ambiguous';
      if (mu < 0) return 'incorrect';
      const strong = strongAbove === undefined ? pct >= strongPct : mu >= strongAbove;
      return strong ? 'strong' : 'normal';
    };
  }
  for (let i = 0; i < mean.length; i++) {
    const mu = mean[i]!;
    if (Number.isNaN(mu)) continue;
    const b = assign(mu, percentile[i]!);
    buckets[i] = b;
    counts[b]++;
  }
  return { mode: options.mode, params, buckets, percentile, counts };
}

// ---------------------------------------------------------------- trajectories (M4.2)

export interface CheckpointScores {
  /** Checkpoint name or step, in training order. */
  label: string;
  /** Reward margin beta*h per pair at this checkpoint. */
  margin: ArrayLike<number>;
  /** Chosen log-ratio rho_w = S_theta(y_w) - S_ref(y_w) per pair, against the initial model. */
  rhoChosen: ArrayLike<number>;
}

export interface TrendSummary {
  first: number;
  last: number;
  min: number;
  /** Checkpoint index of the minimum (-1 when no finite value). */
  argmin: number;
  monotone: 'increasing' | 'decreasing' | 'constant' | 'no';
}

export interface PairTrajectory {
  margin: Float64Array;
  rhoChosen: Float64Array;
  /** rho_w < 0 per checkpoint; null where rho_w is not finite. */
  displaced: (boolean | null)[];
  /** First checkpoint index where the pair is displaced, -1 if never. */
  firstDisplaced: number;
  marginTrend: TrendSummary;
  rhoChosenTrend: TrendSummary;
}

export interface DisplacementSummary {
  label: string;
  /** Pairs with finite rho_w. */
  valid: number;
  fractionDisplaced: number;
  meanRhoChosen: number;
}

/** Trend of a series over its finite values. */
export function trendSummary(series: ArrayLike<number>): TrendSummary {
  let first = Number.NaN;
  let last = Number.NaN;
  let min = Number.NaN;
  let argmin = -1;
  let up = false;
  let down = false;
  for (let k = 0; k < series.length; k++) {
    const v = series[k]!;
    if (!Number.isFinite(v)) continue;
    if (argmin === -1) {
      first = v;
      min = v;
      argmin = k;
    } else {
      if (v > last) up = true;
      if (v < last) down = true;
      if (v < min) {
        min = v;
        argmin = k;
      }
    }
    last = v;
  }
  const monotone = argmin === -1 || (up && down) ? 'no' : up ? 'increasing' : down ? 'decreasing' : 'constant';
  return { first, last, min, argmin, monotone };
}

/** Dataset-level M4.2 at one checkpoint: fraction with rho_w < 0 and mean rho_w over finite rho_w. */
export function displacementSummary(rhoChosen: ArrayLike<number>, label = ''): DisplacementSummary {
  let valid = 0;
  let displaced = 0;
  let sum = 0;
  for (let i = 0; i < rhoChosen.length; i++) {
    const r = rhoChosen[i]!;
    if (!Number.isFinite(r)) continue;
    valid++;
    sum += r;
    if (r < 0) displaced++;
  }
  return { label, valid, fractionDisplaced: valid > 0 ? displaced / valid : Number.NaN, meanRhoChosen: valid > 0 ? sum / valid : Number.NaN };
}

export interface Trajectories {
  labels: string[];
  pairs: PairTrajectory[];
  perCheckpoint: DisplacementSummary[];
}

/** Per-pair margin and rho_w trajectories over checkpoints in training order (M4.2). */
export function checkpointTrajectories(checkpoints: readonly CheckpointScores[]): Trajectories {
  const K = checkpoints.length;
  const n = K > 0 ? checkpoints[0]!.margin.length : 0;
  for (const c of checkpoints) {
    if (c.margin.length !== n || c.rhoChosen.length !== n) {
      throw new RangeError(`checkpoint '${c.label}' has ${c.margin.length} margins and ${c.rhoChosen.length} rho_w, expected ${n} each`);
    }
  }
  const pairs: PairTrajectory[] = [];
  for (let i = 0; i < n; i++) {
    const margin = new Float64Array(K);
    const rhoChosen = new Float64Array(K);
    const displaced: (boolean | null)[] = [];
    let firstDisplaced = -1;
    for (let k = 0; k < K; k++) {
      margin[k] = checkpoints[k]!.margin[i]!;
      const r = checkpoints[k]!.rhoChosen[i]!;
      rhoChosen[k] = r;
      const flag = Number.isFinite(r) ? r < 0 : null;
      displaced.push(flag);
      if (flag === true && firstDisplaced === -1) firstDisplaced = k;
    }
    pairs.push({ margin, rhoChosen, displaced, firstDisplaced, marginTrend: trendSummary(margin), rhoChosenTrend: trendSummary(rhoChosen) });
  }
  return {
    labels: checkpoints.map((c) => c.label),
    pairs,
    perCheckpoint: checkpoints.map((c) => displacementSummary(c.rhoChosen, c.label)),
  };
}
