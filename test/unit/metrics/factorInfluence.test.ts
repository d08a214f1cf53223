// Factor influence τ, label vs model profiles, length bias and the Bradley–Terry factor fit
// (METRICS.md §5, PrefLens definition after PROFILE; §12 length confounds).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareProfiles, describeInfluence, factorInfluence, kendall, labelJudge, lengthBias, modelJudge, pairFactors, pearson, ranks, spearman,
  type FactorPair,
} from '../../../native/metrics/factorInfluence';
import { fitFactorLogistic } from '../../../native/metrics/logisticFit';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SYLLABLES = ['ba', 'ko', 'ri', 'tel', 'mun', 'sa', 'vor', 'di', 'pex', 'lu', 'gan', 'fo'];

/** A response of about n words in sentences of 4–30 words, with random lists and hedges, optionally a refusal. */
function response(rng: () => number, n: number, refuse = false): string {
  const word = () => Array.from({ length: 1 + Math.floor(rng() * 3) }, () => SYLLABLES[Math.floor(rng() * SYLLABLES.length)]).join('');
  const lines: string[] = refuse ? ["I can't help with that."] : [];
  for (let left = n; left > 0; ) {
    const k = Math.min(left, 4 + Math.floor(rng() * 27));
    const ws = Array.from({ length: k }, word);
    if (rng() < 0.2) ws[0] = 'perhaps';
    lines.push(`${rng() < 0.3 ? '- ' : ''}${ws.join(' ')}.`);
    left -= k;
  }
  return lines.join(rng() < 0.5 ? '\n' : ' ');
}

interface Synthetic { pairs: FactorPair[]; lengths: [number, number][] }

/** Pairs whose label is decided by length alone, flipped with probability `noise`. */
function lengthDecided(seed: number, count: number, noise: number): Synthetic {
  const rng = mulberry32(seed);
  const pairs: FactorPair[] = [];
  const lengths: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const a = 20 + Math.floor(rng() * 180);
    let b = 20 + Math.floor(rng() * 180);
    if (b === a) b++;
    const longerWins = rng() >= noise;
    const [w, l] = (a > b) === longerWins ? [a, b] : [b, a];
    pairs.push(pairFactors(response(rng, w), response(rng, l), 'ba ko ri tel question'));
    lengths.push([w, l]);
  }
  return { pairs, lengths };
}

const diffs = (pairs: readonly FactorPair[], names: readonly string[]) => pairs.map((p) => names.map((f) => p.chosen[f]! - p.rejected[f]!));

test('tie handling: (C − D)/(C + D) excludes ties, (C − D)/(C + D + T) includes them', () => {
  const pairs: FactorPair[] = [[3, 1], [5, 2], [1, 4], [2, 2]].map(([w, l]) => ({ chosen: { x: w! }, rejected: { x: l! } }));
  const [ex] = factorInfluence(pairs, labelJudge(4));
  assert.deepEqual([ex!.concordant, ex!.discordant, ex!.ties], [2, 1, 1]);
  close(ex!.tau, 1 / 3);
  close(ex!.preferLarger, 2 / 3);
  close(factorInfluence(pairs, labelJudge(4), { ties: 'include' })[0]!.tau, 1 / 4);
  // A judge that prefers rejected flips the sign; a judge with no preference (0) is a tie.
  close(factorInfluence(pairs, [-1, -1, -1, 0])[0]!.tau, -1 / 3);
  assert.equal(factorInfluence(pairs, [1, 1, 0, 0])[0]!.ties, 2);
  // No differing pair: τ is undefined (NaN), never 0, and sorts last.
  const flat: FactorPair[] = [{ chosen: { x: 1, y: 2 }, rejected: { x: 1, y: 1 } }];
  assert.deepEqual(factorInfluence(flat, [1]).map((f) => f.factor), ['y', 'x']);
  assert.ok(Number.isNaN(factorInfluence(flat, [1])[1]!.tau));
  assert.throws(() => factorInfluence(flat, [1, 1]), /1 pairs but 2/);
  // Equal |τ|: the factor with more differing pairs (more evidence) ranks first.
  const evidence: FactorPair[] = [{ chosen: { a: 1, b: 1 }, rejected: { a: 1, b: 0 } }, { chosen: { a: 1, b: 1 }, rejected: { a: 0, b: 0 } }];
  assert.deepEqual(factorInfluence(evidence, [1, 1]).map((f) => f.factor), ['b', 'a']);
});

test('rank correlations: ranks with ties, Spearman, Kendall τ-b, Pearson', () => {
  assert.deepEqual(ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
  close(spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 1);
  close(kendall([1, 2, 3], [3, 2, 1]), -1);
  close(kendall([1, 2, 3, 4], [1, 3, 2, 4]), 4 / 6);
  close(pearson([1, 2, 3], [2, 4, 6]), 1);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
});

test('acceptance: labels decided by length (15% noise) → length ranks first, positive, CI excludes 0', () => {
  const { pairs } = lengthDecided(7, 400, 0.15);
  const profile = factorInfluence(pairs, labelJudge(pairs.length));
  assert.equal(profile[0]!.factor, 'length_words');
  assert.ok(profile[0]!.tau > 0.55 && profile[0]!.tau < 0.85, `τ_length = ${profile[0]!.tau}`);
  assert.ok(Math.abs(profile[1]!.tau) < profile[0]!.tau - 0.1, `runner-up ${profile[1]!.factor} ${profile[1]!.tau}`);
  const names = profile.map((f) => f.factor);
  const fit = fitFactorLogistic(names, diffs(pairs, names));
  assert.ok(fit.converged);
  const length = fit.coefficients.find((c) => c.factor === 'length_words')!;
  assert.ok(length.coefficient > 0 && length.ci95[0] > 0, JSON.stringify(length));
  const byZ = [...fit.coefficients].sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
  assert.equal(byZ[0]!.factor, 'length_words');
  assert.ok(fit.dropped.some((d) => d.factor === 'refusal' && d.reason === 'constant'), 'no response refuses: constant, dropped');
});

test('acceptance: a dataset decided by a refusal phrase → refusal first, negative, CI excludes 0', () => {
  const rng = mulberry32(11);
  const pairs: FactorPair[] = [];
  for (let i = 0; i < 300; i++) {
    const refuses = rng() < 0.4; // the rejected one refuses; otherwise neither does
    const [a, b] = [20 + Math.floor(rng() * 180), 20 + Math.floor(rng() * 180)];
    pairs.push(pairFactors(response(rng, a), response(rng, b, refuses), 'question'));
  }
  const profile = factorInfluence(pairs, labelJudge(pairs.length));
  assert.equal(profile[0]!.factor, 'refusal');
  close(profile[0]!.tau, -1);
  assert.match(describeInfluence('refusal', undefined, profile[0]), /^the labels prefer the refusing response in 0% of pairs$/);
  const names = profile.map((f) => f.factor);
  const fit = fitFactorLogistic(names, diffs(pairs, names));
  const refusal = fit.coefficients.find((c) => c.factor === 'refusal')!;
  assert.ok(Number.isFinite(refusal.coefficient), 'the ridge keeps a separated factor finite');
  assert.ok(refusal.coefficient < 0 && refusal.ci95[1] < 0, JSON.stringify(refusal));
});

test('acceptance: a model whose margins follow length → the model profile shows length first', () => {
  const rng = mulberry32(3);
  const { pairs, lengths } = lengthDecided(5, 300, 0.5); // labels ignore length
  const margins = lengths.map(([w, l]) => 0.02 * (w - l) + 0.4 * (rng() - 0.5));
  const cmp = compareProfiles(pairs, modelJudge(margins));
  assert.equal(cmp.model[0]!.factor, 'length_words');
  assert.ok(cmp.model[0]!.tau > 0.8);
  assert.ok(Math.abs(cmp.label.find((f) => f.factor === 'length_words')!.tau) < 0.2);
  assert.equal(cmp.disagreements[0]!.factor, 'length_words');
  assert.ok(cmp.disagreements.every((d, i, a) => i === 0 || a[i - 1]!.gap >= d.gap));
  assert.ok(cmp.spearman >= -1 && cmp.spearman <= 1 && cmp.kendall >= -1 && cmp.kendall <= 1);
  // The model's preferences as a binary outcome: y = 1[margin > 0], fitted on the symmetrised data too.
  const names = ['length_words', 'sentences', 'readability', 'hedging'];
  const fit = fitFactorLogistic(names, diffs(pairs, names), margins.map((m) => m > 0));
  assert.ok(fit.coefficients[0]!.ci95[0] > 0);
});

test('profile agreement: identical judges correlate perfectly', () => {
  const { pairs } = lengthDecided(9, 120, 0.15);
  const cmp = compareProfiles(pairs, labelJudge(pairs.length));
  close(cmp.spearman, 1);
  close(cmp.kendall, 1);
  assert.ok(cmp.disagreements.every((d) => d.gap === 0));
});

test('the plain-language sentence', () => {
  // 100 pairs; chosen is longer in 55; the model prefers the longer one in 81.
  const pairs: FactorPair[] = [];
  const judges: number[] = [];
  for (let i = 0; i < 100; i++) {
    const chosenLonger = i < 55;
    pairs.push({ chosen: { length_words: chosenLonger ? 50 : 10 }, rejected: { length_words: chosenLonger ? 10 : 50 } });
    const modelPrefersLonger = i < 81;
    judges.push(modelPrefersLonger === chosenLonger ? 1 : -1);
  }
  const cmp = compareProfiles(pairs, judges);
  assert.deepEqual(cmp.sentences, ['the model prefers the longer response in 81% of pairs; the labels in 55%']);
  const attr: FactorPair[] = [{ chosen: { 'attr:score': 9 }, rejected: { 'attr:score': 2 } }];
  assert.equal(compareProfiles(attr, [1]).sentences[0], 'the model prefers the response with higher score in 100% of pairs; the labels in 100%');
});

test('length bias (METRICS 12): correlations of T_w − T_l with margin, correctness and CHES', () => {
  const rows = [[100, 50], [60, 80], [30, 30], [200, 20], [40, 90]].map(([w, l]) => ({ chosenTokens: w!, rejectedTokens: l!, margin: 0.01 * (w! - l!) - 0.1, ches: Math.sqrt(l!) }));
  const bias = lengthBias(rows);
  close(bias.margin.pearson, 1);
  close(bias.margin.spearman, 1);
  assert.equal(bias.margin.n, 5);
  assert.ok(bias.correctness.pearson > 0.5); // correct = 1[margin > 0]
  assert.ok(bias.ches.spearman < 0);
  const none = lengthBias([{ chosenTokens: 3, rejectedTokens: 1 }]);
  assert.equal(none.margin.n, 0);
  assert.ok(Number.isNaN(none.margin.pearson));
});

test('logistic fit: recovers β, drops constant and collinear factors, skips non-finite pairs', () => {
  const rng = mulberry32(42);
  const normal = () => Math.sqrt(-2 * Math.log(rng() + 1e-12)) * Math.cos(2 * Math.PI * rng());
  const x: number[][] = [];
  const y: boolean[] = [];
  for (let i = 0; i < 3000; i++) {
    const a = normal();
    const b = normal();
    x.push([a, b, 0, 2 * a, i === 0 ? Number.NaN : b]);
    y.push(rng() < 1 / (1 + Math.exp(-(1.5 * a - 0.5 * b))));
  }
  const fit = fitFactorLogistic(['a', 'b', 'const', 'twoA', 'bAgain'], x, y, { ridge: 1e-6 });
  assert.deepEqual(fit.dropped, [{ factor: 'const', reason: 'constant' }, { factor: 'twoA', reason: 'collinear' }, { factor: 'bAgain', reason: 'collinear' }]);
  assert.equal(fit.skippedPairs, 0);
  const [a, b] = fit.coefficients;
  // β is per RMS unit of difference: the raw slopes are 1.5 and −0.5 on unit-variance inputs.
  assert.ok(Math.abs(a!.coefficient / a!.scale - 1.5) < 3 * a!.standardError / a!.scale, JSON.stringify(a));
  assert.ok(Math.abs(b!.coefficient / b!.scale + 0.5) < 3 * b!.standardError / b!.scale, JSON.stringify(b));
  close(a!.z, a!.coefficient / a!.standardError);
  close(a!.ci95[1] - a!.ci95[0], 2 * 1.959963984540054 * a!.standardError);
  // A NaN in a kept factor skips that pair.
  assert.equal(fitFactorLogistic(['a', 'bAgain'], x.map((r) => [r[0]!, r[4]!]), y).skippedPairs, 1);
  const empty = fitFactorLogistic(['z'], [[0], [0]]);
  assert.deepEqual([empty.coefficients.length, empty.dropped[0]!.reason, empty.converged], [0, 'constant', true]);
});
