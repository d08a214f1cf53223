/**
 * Bradley–Terry logistic fit of a preference on standardized factor differences: the regression
 * companion of the factor-influence profile (METRICS.md §5, PrefLens definition after PROFILE; the
 * BTL-over-factors fit follows DecipherPref, Hu et al. 2023, cited there). τ says how often a factor
 * agrees with the judge; the fit says how much each factor matters holding the others fixed, with
 * an uncertainty (a length coefficient whose 95% CI excludes 0 is a length bias, METRICS §12).
 *
 * Model: P(judge prefers chosen) = σ(β · x_i), x_i = (s(w) − s(l)) per factor divided by its scale,
 * no intercept (swapping w and l must flip the probability). The dataset label is always "chosen",
 * so the fit uses the symmetrised data: pair i contributes (x_i, y_i) and (−x_i, 1 − y_i), each with
 * weight ½, y_i = 1 for the label or 1[margin > 0] for the model. With weight ½ the symmetrised
 * log-likelihood equals the pair's Bradley–Terry log-likelihood exactly, so standard errors are not
 * understated by doubling the data.
 *
 * Invariants
 * - scale = root-mean-square of the raw differences: the standard deviation of the symmetrised
 *   differences (whose mean is 0 by construction). β is "per one standard deviation of difference".
 * - Constant factors (all differences 0) and collinear ones (R² > 1 − 1e-6 on the factors kept
 *   before them, in input order, over the pairs finite in every non-constant factor) are dropped
 *   and reported; pairs with a non-finite difference in a
 *   kept factor are skipped and counted.
 * - Newton–Raphson (= IRLS) on the log-likelihood minus ridge/2·|β|²; the ridge (default 1, in
 *   standardized units) keeps β finite under perfect separation (e.g. only rejected ones refuse).
 *   Standard errors come from the inverse of the penalized Hessian; CI = β ± 1.959964·SE; z = β/SE.
 *
 * Example: fitFactorLogistic(['length_words'], [[120], [80], [-10]]) → one coefficient > 0.
 */

export interface LogisticOptions {
  /** L2 penalty on standardized coefficients (default 1). */
  ridge?: number;
  maxIterations?: number;
  tolerance?: number;
}

export interface FactorCoefficient {
  factor: string;
  coefficient: number;
  standardError: number;
  ci95: [number, number];
  z: number;
  /** Raw-difference scale the factor was divided by (RMS of s(w) − s(l)). */
  scale: number;
}

export interface DroppedFactor {
  factor: string;
  reason: 'constant' | 'collinear';
}

export interface LogisticFit {
  coefficients: FactorCoefficient[];
  dropped: DroppedFactor[];
  /** Pairs used (each contributes two symmetrised rows of weight ½). */
  pairs: number;
  /** Pairs skipped for a non-finite difference in a kept factor. */
  skippedPairs: number;
  iterations: number;
  converged: boolean;
  ridge: number;
  /** Bradley–Terry log-likelihood at the fit (unpenalized). */
  logLikelihood: number;
}

const Z95 = 1.959963984540054;
const sigmoid = (t: number): number => (t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t)));
const logSigmoid = (t: number): number => (t >= 0 ? -Math.log1p(Math.exp(-t)) : t - Math.log1p(Math.exp(t)));

/** Cholesky factor of a symmetric positive-definite matrix, or null when it is not. */
function cholesky(a: readonly number[][]): number[][] | null {
  const n = a.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[i]![i] = Math.sqrt(s);
      } else l[i]![j] = s / l[j]![j]!;
    }
  }
  return l;
}

/** Solve (L Lᵀ) x = b. */
function cholSolve(l: readonly number[][], b: readonly number[]): number[] {
  const n = b.length;
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i]![k]! * y[k]!;
    y[i] = s / l[i]![i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k]![i]! * x[k]!;
    x[i] = s / l[i]![i]!;
  }
  return x;
}

/** Kept factor indices and the dropped ones, on standardized columns. */
function selectFactors(names: readonly string[], cols: readonly number[][]): { kept: number[]; dropped: DroppedFactor[] } {
  const kept: number[] = [];
  const dropped: DroppedFactor[] = [];
  const l: number[][] = [];
  const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
  cols.forEach((col, j) => {
    const self = dot(col, col);
    if (!(self > 0)) return void dropped.push({ factor: names[j]!, reason: 'constant' });
    // Incremental Cholesky of the Gram matrix: the residual of col on the kept columns.
    const v: number[] = [];
    kept.forEach((kj, r) => {
      let s = dot(cols[kj]!, col);
      for (let k = 0; k < r; k++) s -= l[r]![k]! * v[k]!;
      v.push(s / l[r]![r]!);
    });
    const residual = self - dot(v, v);
    if (residual < 1e-6 * self) return void dropped.push({ factor: names[j]!, reason: 'collinear' });
    l.push([...v, Math.sqrt(residual)]);
    kept.push(j);
  });
  return { kept, dropped };
}

/**
 * Fit P(judge prefers chosen) = σ(β·x) on per-pair factor differences `diffs[i][j]` = s_j(w) − s_j(l).
 * `outcomes[i]` is whether the judge prefers chosen (default: all true, the dataset label).
 */
export function fitFactorLogistic(
  factors: readonly string[],
  diffs: readonly (readonly number[])[],
  outcomes?: readonly (boolean | number)[],
  options: LogisticOptions = {},
): LogisticFit {
  const ridge = options.ridge ?? 1;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-9;
  // Scales and constant detection on all finite values, then collinearity on standardized columns.
  const scales = factors.map((_, j) => {
    const v = diffs.map((d) => d[j]!).filter(Number.isFinite);
    return v.length === 0 ? 0 : Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
  });
  // Collinearity is judged on the pairs complete in every non-constant factor.
  const complete = diffs.filter((d) => factors.every((_, j) => !(scales[j]! > 0) || Number.isFinite(d[j]!)));
  const columns = factors.map((_, j) => complete.map((d) => (scales[j]! > 0 ? d[j]! / scales[j]! : 0)));
  const { kept, dropped } = selectFactors(factors, columns);
  const rows: number[][] = [];
  const ys: number[] = [];
  let skippedPairs = 0;
  diffs.forEach((d, i) => {
    const x = kept.map((j) => d[j]! / scales[j]!);
    if (!x.every(Number.isFinite)) return void skippedPairs++;
    rows.push(x);
    ys.push(outcomes === undefined ? 1 : Number(outcomes[i]) > 0 ? 1 : 0);
  });
  const k = kept.length;
  let beta = new Array<number>(k).fill(0);
  // Symmetrised rows (x, y) and (−x, 1 − y), weight ½ each.
  const objective = (b: readonly number[]): number => {
    let ll = 0;
    rows.forEach((x, i) => {
      const t = x.reduce((s, v, j) => s + v * b[j]!, 0);
      // ½·log P(y | x) + ½·log P(1 − y | −x): the two copies are equal, so this is the BT log-likelihood.
      ll += ys[i]! ? logSigmoid(t) : logSigmoid(-t);
    });
    return ll;
  };
  const penalized = (b: readonly number[]): number => objective(b) - (ridge / 2) * b.reduce((s, v) => s + v * v, 0);
  const hessian = (b: readonly number[]): { grad: number[]; h: number[][] } => {
    const grad = b.map((v) => -ridge * v);
    const h = b.map((_, r) => b.map((__, c) => (r === c ? ridge : 0)));
    rows.forEach((x, i) => {
      for (const [sx, y] of [[1, ys[i]!], [-1, 1 - ys[i]!]] as const) {
        const t = sx * x.reduce((s, v, j) => s + v * b[j]!, 0);
        const p = sigmoid(t);
        const w = 0.5 * p * (1 - p);
        for (let r = 0; r < k; r++) {
          grad[r] = grad[r]! + 0.5 * (y - p) * sx * x[r]!;
          for (let c = 0; c < k; c++) h[r]![c] = h[r]![c]! + w * x[r]! * x[c]!;
        }
      }
    });
    return { grad, h };
  };
  let iterations = 0;
  let converged = k === 0;
  let current = penalized(beta);
  while (!converged && iterations < maxIterations) {
    iterations++;
    const { grad, h } = hessian(beta);
    const l = cholesky(h);
    if (!l) break;
    const step = cholSolve(l, grad);
    // Step halving keeps every iteration an ascent step (Newton on a concave objective rarely needs it).
    let t = 1;
    let next = beta.map((v, j) => v + step[j]!);
    let value = penalized(next);
    while (value < current - 1e-12 && t > 1e-6) {
      t /= 2;
      next = beta.map((v, j) => v + t * step[j]!);
      value = penalized(next);
    }
    const moved = Math.max(0, ...step.map((s) => Math.abs(t * s)));
    beta = next;
    current = value;
    if (moved < tolerance) converged = true;
  }
  const { h } = hessian(beta);
  const l = cholesky(h);
  const coefficients = kept.map((j, r) => {
    const e = new Array<number>(k).fill(0);
    e[r] = 1;
    const variance = l ? cholSolve(l, e)[r]! : NaN;
    const se = Math.sqrt(variance);
    const b = beta[r]!;
    return { factor: factors[j]!, coefficient: b, standardError: se, ci95: [b - Z95 * se, b + Z95 * se] as [number, number], z: b / se, scale: scales[j]! };
  });
  return { coefficients, dropped, pairs: rows.length, skippedPairs, iterations, converged, ridge, logLikelihood: objective(beta) };
}
