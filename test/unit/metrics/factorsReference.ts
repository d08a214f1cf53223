/**
 * The factor code as it was before the single-pass rewrite (commit 3e40f96's factors.ts,
 * factorInfluence.ts and logisticFit.ts, verbatim apart from names and imports): the executable
 * definition that factorsScan.test.ts holds the fast implementations to, value for value.
 * A test helper, not a test file (no `.test.ts`), so the runner does not collect it.
 */
import { splitSentences } from '../../../native/metrics/segments';
import { words } from '../../../native/metrics/textCompare';
import type { FactorInfluence, FactorPair, InfluenceOptions } from '../../../native/metrics/factorInfluence';
import type { DroppedFactor, LogisticFit, LogisticOptions } from '../../../native/metrics/logisticFit';

// ---------------------------------------------------------------- factors.ts

const phrases = (list: readonly string[]): RegExp =>
  new RegExp(`(?<![\\p{L}\\p{N}])(?:${list.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+')).join('|')})(?![\\p{L}\\p{N}])`, 'gu');

const REFUSAL = phrases([
  "i can't", 'i cannot', 'i can not', "i'm sorry, but", 'i am sorry, but', 'as an ai', "i won't", 'i will not',
  'not able to help', 'unable to help', "i'm unable to", 'i am unable to', "i'm not able to", 'i am not able to',
  "i can't assist", 'i must decline', 'against my guidelines', "i don't feel comfortable",
]);
const HEDGING = phrases([
  'might', 'perhaps', 'maybe', 'possibly', 'it depends', 'i think', 'i believe', 'probably', 'likely', 'may',
  'could be', 'it seems', 'seems to', 'not sure', 'generally', 'typically', 'in some cases', 'arguably',
]);
const APOLOGY = phrases(['sorry', 'apologize', 'apologise', 'apologies', 'apology', 'my apologies', 'i regret']);
const NUMBER = /\d+(?:[.,]\d+)*/g;
const CITATION = /https?:\/\/\S+|www\.\S+|\[\d+(?:\s*[,–-]\s*\d+)*\]|\baccording to\b/gi;
const FENCE = /^\s{0,3}(```|~~~)/;
const LIST_ITEM = /^\s*(?:[-*•]|\d+[.)])\s+\S/;
const HEADER = /^\s{0,3}#{1,6}\s+\S/;

const count = (re: RegExp, text: string): number => text.match(re)?.length ?? 0;
/** Curly apostrophes as straight ones, lowercased, so "I can’t" matches "i can't". */
const normalize = (text: string): string => text.replace(/[\u2018\u2019\u02bc]/g, "'").toLowerCase();

/** Syllables of one lowercased word: vowel groups, minus a silent final e, at least 1. */
function syllables(word: string): number {
  if (/^\d+$/.test(word)) return 1;
  const groups = word.match(/[aeiouy]+/g)?.length ?? 0;
  const silentE = groups > 1 && /[^aeiouyl]e$|[^aeiouy]es$|[^aeiouy]ed$/.test(word) && !/[td]ed$/.test(word) ? 1 : 0;
  return Math.max(1, groups - silentE);
}

/** Flesch reading ease of a word list over a sentence count; NaN without words. */
function fleschReadingEase(ws: readonly string[], sentenceCount: number): number {
  if (ws.length === 0) return NaN;
  const syl = ws.reduce((s, w) => s + syllables(w), 0);
  return 206.835 - 1.015 * (ws.length / Math.max(1, sentenceCount)) - 84.6 * (syl / ws.length);
}

/** Line-based markdown structure, skipping lines inside code fences. */
function structure(text: string): { listItems: number; headers: number; codeBlocks: number } {
  let listItems = 0;
  let headers = 0;
  let fences = 0;
  let inFence = false;
  for (const line of text.split(/\r?\n/)) {
    if (FENCE.test(line)) {
      if (!inFence) fences++;
      inFence = !inFence;
    } else if (!inFence) {
      if (LIST_ITEM.test(line)) listItems++;
      else if (HEADER.test(line)) headers++;
    }
  }
  return { listItems, headers, codeBlocks: fences };
}

/** Fraction of the n−2 word trigrams that already occurred earlier in the response. */
function repeatedTrigramFraction(ws: readonly string[]): number {
  if (ws.length < 3) return 0;
  const seen = new Set<string>();
  let repeats = 0;
  for (let i = 0; i + 2 < ws.length; i++) {
    const key = `${ws[i]}\u0000${ws[i + 1]}\u0000${ws[i + 2]}`;
    if (seen.has(key)) repeats++;
    else seen.add(key);
  }
  return repeats / (ws.length - 2);
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  const union = a.size + b.size - inter;
  return union === 0 ? 0 : inter / union;
}

/** All FACTORS for one response; `tokens` (its token count T) adds `length_tokens`. */
export function referenceResponseFactors(text: string, prompt = '', tokens?: number): Record<string, number> {
  const ws = words(text);
  const n = ws.length;
  const sentenceCount = splitSentences(text).length;
  const lower = normalize(text);
  const { listItems, headers, codeBlocks } = structure(text);
  const out: Record<string, number> = { length_words: n };
  if (tokens !== undefined && Number.isFinite(tokens)) out.length_tokens = tokens;
  Object.assign(out, {
    sentences: sentenceCount,
    list_items: listItems,
    headers,
    code_blocks: codeBlocks,
    readability: fleschReadingEase(ws, sentenceCount),
    prompt_overlap: jaccard(new Set(ws), new Set(words(prompt))),
    repetition: n === 0 ? 0 : 1 - new Set(ws).size / n,
    repeated_trigrams: repeatedTrigramFraction(ws),
    refusal: count(REFUSAL, lower),
    hedging: (100 * count(HEDGING, lower)) / Math.max(1, n),
    apology: count(APOLOGY, lower),
    numeric_density: count(NUMBER, text) / Math.max(1, n),
    citation_density: count(CITATION, text) / Math.max(1, sentenceCount),
  });
  return out;
}


// ---------------------------------------------------------------- factorInfluence.ts

const byAbsTau = (a: FactorInfluence, b: FactorInfluence): number => {
  const x = Number.isNaN(a.tau) ? -1 : Math.abs(a.tau);
  const y = Number.isNaN(b.tau) ? -1 : Math.abs(b.tau);
  return y - x || b.concordant + b.discordant - (a.concordant + a.discordant) || a.factor.localeCompare(b.factor);
};

/** τ(f) per factor for one judge, sorted by |τ| descending. */
export function referenceFactorInfluence(pairs: readonly FactorPair[], judge: readonly number[], options: InfluenceOptions = {}): FactorInfluence[] {
  if (judge.length !== pairs.length) throw new Error(`factorInfluence: ${pairs.length} pairs but ${judge.length} judgements`);
  const first = pairs[0];
  const names = options.factors ?? (first ? Object.keys(first.chosen).filter((f) => f in first.rejected) : []);
  return names
    .map((factor) => {
      let concordant = 0;
      let discordant = 0;
      let ties = 0;
      pairs.forEach((p, i) => {
        const w = p.chosen[factor];
        const l = p.rejected[factor];
        if (w === undefined || l === undefined || !Number.isFinite(w) || !Number.isFinite(l)) return;
        const d = Math.sign(w - l) * Math.sign(judge[i]!);
        if (d > 0) concordant++;
        else if (d < 0) discordant++;
        else ties++;
      });
      const denominator = concordant + discordant + (options.ties === 'include' ? ties : 0);
      const tau = denominator === 0 ? NaN : (concordant - discordant) / denominator;
      const preferLarger = concordant + discordant === 0 ? NaN : concordant / (concordant + discordant);
      return { factor, tau, concordant, discordant, ties, preferLarger };
    })
    .sort(byAbsTau);
}

// ---------------------------------------------------------------- logisticFit.ts

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
export function referenceFitFactorLogistic(
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
