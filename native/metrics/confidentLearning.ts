/**
 * Confident learning on pairwise labels (METRICS.md 11 M11 [DERIVED from Northcutt, Jiang, Chuang 2021
 * and cleanlab count.py / filter.py / rank.py], 8 estimator 3, 12, 13, 14 item 14).
 *
 * Design note.
 * - Input: p_i = P(y_w > y_l | x) from an OUT-OF-SAMPLE scorer. An in-sample DPO policy is not a valid
 *   scorer: it was trained to raise sigma(beta*h) on exactly these labels, so a mislabelled pair it has
 *   fitted gets a high p and is never flagged; its p measures fit, not label plausibility (cleanlab:
 *   pred_probs "must be out-of-sample"). Valid scorers: K-fold cross-fitting (train K DPO models, each on
 *   K - 1 folds, and score every pair with the model that never saw it); a checkpoint or reward model not
 *   trained on these pairs; an ensemble of such held-out scorers (p = sigma(mu / T), METRICS 7.1). The
 *   Secrets-II ensemble, whose members all trained on the same pairs, is in-sample for this purpose.
 * - Validation: p must lie in the open interval (0, 1); NaN marks an invalid pair, which is excluded
 *   (listed in `excluded`); anything else outside (0, 1) is a RangeError.
 * - Symmetrised two-class construction (METRICS 11 steps 2-5): every pair gives (label 1, p) and its swapped
 *   copy (label 0, p), so both class thresholds equal t = mean p over valid pairs. If t <= 0.5 the scorer is
 *   not better than chance on average: { informative: false, reason }. Else, with cleanlab's 1e-6 slack
 *   (count.py: p >= t - 1e-6), C11 = #{p >= t}, C10 = #{p <= 1 - t}; flip rate eps = C10 / (C10 + C11)
 *   (C11 >= 1 because max p >= mean p); expected issues n = round(eps * N) (Math.round, halves up); flagged =
 *   the n lowest p (prune_by_noise_rate: largest (1 - p) - p), ties by index; ranking = all valid pairs by
 *   self-confidence p ascending. Example p = [0.9, 0.8, 0.7, 0.2, 0.6] -> t 0.64, C11 3, C10 1,
 *   eps 0.25, n 1, flagged [3].
 * - Temperature (METRICS 11 step 1): p = sigma(margin / T). The counts are NOT invariant to monotone
 *   rescaling: T changes t = mean p and hence which p clear t and 1 - t, so T must be calibrated, on a
 *   held-out split, not guessed. calibrateTemperature maximises the likelihood of the observed labels,
 *   NLL(T) = -sum log sigma(+-m_i / T) (sign + where the dataset label is right). NLL is convex in 1/T (a
 *   one-coefficient logistic regression), hence unimodal in log T: golden-section search over log T in
 *   [minTemperature, maxTemperature] (default mean|m| x [1e-3, 1e3]). If the optimum is at a bound, `atBound`
 *   says which: 'lower' when the labels are separable by the margin sign (likelihood grows as T -> 0),
 *   'upper' when the scorer is uninformative or anti-correlated (best p -> 0.5).
 * - probabilitiesFromMargins clamps to [2^-53, 1 - 2^-53] so that sigma of a huge margin (1 in float64)
 *   still passes the (0, 1) check; NaN margins stay NaN.
 */

export interface ClNotInformative {
  informative: false;
  reason: string;
  /** Mean p over valid pairs (NaN when none). */
  meanP: number;
  valid: number;
  /** Indices of NaN (excluded) pairs. */
  excluded: number[];
}

export interface ClResult {
  informative: true;
  /** t = mean p over valid pairs (both class thresholds after symmetrisation). */
  threshold: number;
  /** Confidently correct: p >= t. */
  c11: number;
  /** Confidently flipped (the off-diagonal): p <= 1 - t. */
  c10: number;
  /** eps = C10 / (C10 + C11). */
  flipRate: number;
  /** round(eps * N), N = valid pairs. */
  expectedIssues: number;
  /** The expectedIssues pairs with the lowest p (indices into the input), lowest first. */
  flagged: number[];
  /** Indices with p <= 1 - t (the C10 pairs), lowest p first. */
  confidentlyWrong: number[];
  /** All valid indices by self-confidence p ascending. */
  ranking: number[];
  valid: number;
  excluded: number[];
}

const SLACK = 1e-6; // cleanlab count.py: confident if p >= threshold - 1e-6

/** M11 label-issue flags from out-of-sample probabilities p_i = P(y_w > y_l). */
export function confidentLearning(p: ArrayLike<number>): ClNotInformative | ClResult {
  const excluded: number[] = [];
  const validIdx: number[] = [];
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (Number.isNaN(v)) {
      excluded.push(i);
      continue;
    }
    if (!(v > 0 && v < 1)) throw new RangeError(`p[${i}] = ${v} is outside (0, 1); NaN marks an invalid pair`);
    validIdx.push(i);
    sum += v;
  }
  const N = validIdx.length;
  if (N === 0) return { informative: false, reason: 'no valid probabilities (every p is NaN)', meanP: Number.NaN, valid: 0, excluded };
  const t = sum / N;
  if (t <= 0.5) {
    return { informative: false, reason: `the scorer is not better than chance on average (mean p = ${t.toFixed(4)})`, meanP: t, valid: N, excluded };
  }
  const ranking = validIdx.slice().sort((a, b) => p[a]! - p[b]! || a - b);
  let c11 = 0;
  const confidentlyWrong: number[] = [];
  for (const i of ranking) {
    const v = p[i]!;
    if (v >= t - SLACK) c11++;
    else if (v <= 1 - t + SLACK) confidentlyWrong.push(i);
  }
  const c10 = confidentlyWrong.length;
  const flipRate = c10 / (c10 + c11);
  const expectedIssues = Math.round(flipRate * N);
  return {
    informative: true,
    threshold: t,
    c11,
    c10,
    flipRate,
    expectedIssues,
    flagged: ranking.slice(0, expectedIssues),
    confidentlyWrong,
    ranking,
    valid: N,
    excluded,
  };
}

const P_MIN = 2 ** -53;

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log sigma(z), stable for large |z|. */
function logSigmoid(z: number): number {
  return z < 0 ? z - Math.log1p(Math.exp(z)) : -Math.log1p(Math.exp(-z));
}

function checkTemperature(T: number, name = 'temperature'): void {
  if (!(T > 0) || !Number.isFinite(T)) throw new RangeError(`${name} must be finite and > 0, got ${T}`);
}

/** p_i = sigma(margin_i / T), clamped to [2^-53, 1 - 2^-53]; NaN stays NaN. */
export function probabilitiesFromMargins(margins: ArrayLike<number>, temperature: number): Float64Array {
  checkTemperature(temperature);
  const out = new Float64Array(margins.length);
  for (let i = 0; i < margins.length; i++) {
    const m = margins[i]!;
    out[i] = Number.isNaN(m) ? Number.NaN : Math.min(1 - P_MIN, Math.max(P_MIN, sigmoid(m / temperature)));
  }
  return out;
}

export interface TemperatureFit {
  temperature: number;
  /** Mean negative log-likelihood of the labels at the fitted temperature. */
  meanNll: number;
  /** Pairs used (finite margin). */
  n: number;
  /** Search interval [minTemperature, maxTemperature]. */
  range: [number, number];
  /** Set when the optimum lies on a bound of the search interval. */
  atBound: 'lower' | 'upper' | null;
}

export interface TemperatureOptions {
  minTemperature?: number;
  maxTemperature?: number;
  /** Convergence tolerance on log T (default 1e-10). */
  tolerance?: number;
}

/**
 * Maximum-likelihood temperature for p = sigma(margin / T) on a held-out split. labels[i] = 1 (or true)
 * when the dataset's chosen response is the preferred one, 0 (false) when the pair is flipped; omitted,
 * every label is 1 (the dataset's own labels on the held-out split). Pairs with a non-finite margin are skipped.
 */
export function calibrateTemperature(margins: ArrayLike<number>, labels?: ArrayLike<number | boolean>, options: TemperatureOptions = {}): TemperatureFit {
  if (labels !== undefined && labels.length !== margins.length) {
    throw new RangeError(`${labels.length} labels for ${margins.length} margins`);
  }
  const signed: number[] = [];
  let absSum = 0;
  for (let i = 0; i < margins.length; i++) {
    const m = margins[i]!;
    if (!Number.isFinite(m)) continue;
    const y = labels === undefined ? 1 : Number(labels[i]!);
    if (y !== 0 && y !== 1) throw new RangeError(`label ${i} is ${String(labels?.[i])}, expected 0/1 or a boolean`);
    signed.push(y === 1 ? m : -m);
    absSum += Math.abs(m);
  }
  const n = signed.length;
  if (n === 0) throw new RangeError('no finite margins to calibrate on');
  if (absSum === 0) throw new RangeError('every margin is 0: the temperature is not identifiable');
  const scale = absSum / n;
  const lo = options.minTemperature ?? scale * 1e-3;
  const hi = options.maxTemperature ?? scale * 1e3;
  checkTemperature(lo, 'minTemperature');
  checkTemperature(hi, 'maxTemperature');
  if (!(lo < hi)) throw new RangeError(`minTemperature ${lo} must be below maxTemperature ${hi}`);
  const tol = options.tolerance ?? 1e-10;

  const nll = (logT: number): number => {
    const inv = Math.exp(-logT);
    let s = 0;
    for (const z of signed) s -= logSigmoid(z * inv);
    return s / n;
  };

  // golden-section search for the minimum of nll over [log lo, log hi]
  const g = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(lo);
  let b = Math.log(hi);
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = nll(c);
  let fd = nll(d);
  while (b - a > tol) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = nll(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = nll(d);
    }
  }
  let logT = (a + b) / 2;
  let best = nll(logT);
  let atBound: 'lower' | 'upper' | null = null;
  // golden section never evaluates the ends; check them so a boundary optimum is reported exactly
  const fLo = nll(Math.log(lo));
  const fHi = nll(Math.log(hi));
  if (fLo <= best || logT - Math.log(lo) < 1e-6) [logT, best, atBound] = [Math.log(lo), fLo, 'lower'];
  else if (fHi <= best || Math.log(hi) - logT < 1e-6) [logT, best, atBound] = [Math.log(hi), fHi, 'upper'];
  return { temperature: atBound === 'lower' ? lo : atBound === 'upper' ? hi : Math.exp(logT), meanNll: best, n, range: [lo, hi], atBound };
}
