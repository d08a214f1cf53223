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
 *
 * Speed (the factor benchmark fits 100k pairs twice): the standardized design matrix is one flat
 * Float64Array (row-major) and columns are Float64Arrays, built in pair-major passes over `diffs`;
 * the Newton loops are plain indexed loops with no per-row closures or arrays, and both symmetrised
 * copies of a row are added in one pass. Every sum still takes its terms in the same order as the
 * straightforward version (left to right from 0 over factors; rows in order, copy 1 before copy 2),
 * so the fit is bit-for-bit what it was (factorsScan.test.ts compares with that version).
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

/** Σ a[i]·b[i], left to right from 0. */
function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Kept factor indices and the dropped ones, on standardized columns. */
function selectFactors(names: readonly string[], cols: readonly Float64Array[]): { kept: number[]; dropped: DroppedFactor[] } {
  const kept: number[] = [];
  const dropped: DroppedFactor[] = [];
  const l: number[][] = [];
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
    const residual = self - v.reduce((s, x) => s + x * x, 0);
    if (residual < 1e-6 * self) return void dropped.push({ factor: names[j]!, reason: 'collinear' });
    l.push([...v, Math.sqrt(residual)]);
    kept.push(j);
  });
  return { kept, dropped };
}

/**
 * Root-mean-square of each factor's finite differences (0 when none), each summed in pair order.
 * Pair-major, like every pass over `diffs` here: a row is read once while it is in cache.
 */
function rmsScales(diffs: readonly (readonly number[])[], factors: number): number[] {
  const sums = new Float64Array(factors);
  const counts = new Float64Array(factors);
  for (const d of diffs) {
    for (let j = 0; j < factors; j++) {
      const x = d[j];
      if (x === undefined || !Number.isFinite(x)) continue;
      sums[j] = sums[j]! + x * x;
      counts[j]!++;
    }
  }
  return Array.from(sums, (sum, j) => (counts[j] === 0 ? 0 : Math.sqrt(sum / counts[j]!)));
}

/** Standardized columns over the pairs complete in every non-constant factor (0s for constant ones). */
function standardizedColumns(diffs: readonly (readonly number[])[], scales: readonly number[]): Float64Array[] {
  const complete = diffs.filter((d) => scales.every((scale, j) => !(scale > 0) || Number.isFinite(d[j]!)));
  const columns = scales.map(() => new Float64Array(complete.length));
  complete.forEach((d, i) => {
    for (let j = 0; j < scales.length; j++) if (scales[j]! > 0) columns[j]![i] = d[j]! / scales[j]!;
  });
  return columns;
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
  const scales = rmsScales(diffs, factors.length);
  // Collinearity is judged on the pairs complete in every non-constant factor.
  const columns = standardizedColumns(diffs, scales);
  const { kept, dropped } = selectFactors(factors, columns);
  const k = kept.length;
  // Standardized rows, row-major: x(i, r) = xs[i·k + r].
  let xs = new Float64Array(diffs.length * k);
  const ys = new Float64Array(diffs.length);
  let m = 0;
  let skippedPairs = 0;
  diffs.forEach((d, i) => {
    let finite = true;
    for (let r = 0; r < k; r++) {
      const x = d[kept[r]!]! / scales[kept[r]!]!;
      xs[m * k + r] = x;
      if (!Number.isFinite(x)) finite = false;
    }
    if (!finite) return void skippedPairs++;
    ys[m++] = outcomes === undefined ? 1 : Number(outcomes[i]) > 0 ? 1 : 0;
  });
  xs = xs.subarray(0, m * k);
  /** β·x for row i, left to right from 0. */
  const score = (b: readonly number[], i: number): number => {
    let t = 0;
    for (let r = 0, o = i * k; r < k; r++) t += xs[o + r]! * b[r]!;
    return t;
  };
  // Symmetrised rows (x, y) and (−x, 1 − y), weight ½ each.
  const objective = (b: readonly number[]): number => {
    let ll = 0;
    for (let i = 0; i < m; i++) {
      const t = score(b, i);
      // ½·log P(y | x) + ½·log P(1 − y | −x): the two copies are equal, so this is the BT log-likelihood.
      ll += ys[i]! ? logSigmoid(t) : logSigmoid(-t);
    }
    return ll;
  };
  const penalized = (b: readonly number[]): number => objective(b) - (ridge / 2) * b.reduce((s, v) => s + v * v, 0);
  const hessian = (b: readonly number[]): { grad: number[]; h: number[][] } => {
    // Locals, not the closure's variables, so the JIT keeps them in registers in the k² loop.
    const x = xs;
    const grad = Float64Array.from(b, (v) => -ridge * v);
    const hf = new Float64Array(k * k);
    for (let r = 0; r < k; r++) hf[r * k + r] = ridge;
    for (let i = 0; i < m; i++) {
      const o = i * k;
      const bx = score(b, i);
      // The two symmetrised copies (sx = +1, y) and (sx = −1, 1 − y) in one pass: each entry still
      // receives copy 1's term and then copy 2's, in row order, so every sum is the same.
      const p1 = sigmoid(1 * bx);
      const p2 = sigmoid(-1 * bx);
      const w1 = 0.5 * p1 * (1 - p1);
      const w2 = 0.5 * p2 * (1 - p2);
      const g1 = 0.5 * (ys[i]! - p1) * 1;
      const g2 = 0.5 * (1 - ys[i]! - p2) * -1;
      for (let r = 0; r < k; r++) {
        const xr = x[o + r]!;
        grad[r] = grad[r]! + g1 * xr + g2 * xr;
        // w·x_r·x_c is evaluated left to right, so hoisting w·x_r changes no bit.
        const a1 = w1 * xr;
        const a2 = w2 * xr;
        const base = r * k;
        for (let c = 0; c < k; c++) {
          const xc = x[o + c]!;
          hf[base + c] = hf[base + c]! + a1 * xc + a2 * xc;
        }
      }
    }
    const h = Array.from({ length: k }, (_, r) => Array.from(hf.subarray(r * k, r * k + k)));
    return { grad: Array.from(grad), h };
  };
  let beta = new Array<number>(k).fill(0);
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
  return { coefficients, dropped, pairs: m, skippedPairs, iterations, converged, ridge, logLikelihood: objective(beta) };
}
