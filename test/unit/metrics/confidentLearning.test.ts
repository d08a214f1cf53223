// METRICS.md 11 (confident learning on pairs, temperature), 13 (CL vector), 14 item 14.
import { mulberry32 } from '../../../examples/modelgen/prng';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { calibrateTemperature, confidentLearning, probabilitiesFromMargins } from '../../../native/metrics/confidentLearning';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

/** Deterministic uniform [0, 1) generator (mulberry32, shared with the model generators). */
const rng = mulberry32;

test('METRICS 13 vector: p = [0.9, 0.8, 0.7, 0.2, 0.6]', () => {
  const r = confidentLearning([0.9, 0.8, 0.7, 0.2, 0.6]);
  assert.ok(r.informative);
  close(r.threshold, 0.64);
  assert.equal(r.c11, 3);
  assert.equal(r.c10, 1);
  close(r.flipRate, 0.25);
  assert.equal(r.expectedIssues, 1);
  assert.deepEqual(r.flagged, [3]);
  assert.deepEqual(r.confidentlyWrong, [3]);
  assert.deepEqual(r.ranking, [3, 4, 2, 1, 0]);
  assert.equal(r.valid, 5);
  assert.deepEqual(r.excluded, []);
});

test('NaN pairs are excluded and indices refer to the input', () => {
  const r = confidentLearning([Number.NaN, 0.9, 0.8, 0.7, Number.NaN, 0.2, 0.6]);
  assert.ok(r.informative);
  close(r.threshold, 0.64);
  assert.deepEqual(r.flagged, [5]);
  assert.deepEqual(r.excluded, [0, 4]);
  assert.equal(r.valid, 5);
});

test('p outside the open interval (0, 1) is an error', () => {
  for (const bad of [0, 1, -0.1, 1.2, Number.POSITIVE_INFINITY]) {
    assert.throws(() => confidentLearning([0.9, bad]), RangeError, `p = ${bad}`);
  }
});

test('non-informative scorer: mean p <= 0.5', () => {
  const r = confidentLearning([0.4, 0.5, 0.6, 0.3]);
  assert.equal(r.informative, false);
  assert.ok(!r.informative);
  assert.equal(r.reason, 'the scorer is not better than chance on average (mean p = 0.4500)');
  close(r.meanP, 0.45);
  const half = confidentLearning([0.25, 0.75]);
  assert.equal(half.informative, false, 'exactly 0.5 is not better than chance');
  const none = confidentLearning([Number.NaN]);
  assert.equal(none.informative, false);
  assert.deepEqual(none.excluded, [0]);
});

test('cleanlab slack: all p equal still counts them as confidently correct', () => {
  const r = confidentLearning([0.7, 0.7, 0.7]);
  assert.ok(r.informative);
  assert.equal(r.c11, 3);
  assert.equal(r.flipRate, 0);
  assert.deepEqual(r.flagged, []);
});

test('prune by noise rate can flag pairs that are not confidently wrong', () => {
  // t = 0.7, 1 - t = 0.3: c10 = 2 (0.1, 0.3), c11 = 6, eps = 0.25, n = round(2.5) = 3 -> also 0.6
  const p = [0.9, 0.95, 0.1, 0.85, 0.3, 0.6, 0.9, 0.85, 0.9, 0.65];
  const r = confidentLearning(p);
  assert.ok(r.informative);
  close(r.threshold, 0.7);
  assert.equal(r.c10, 2);
  assert.equal(r.c11, 6);
  assert.deepEqual(r.confidentlyWrong, [2, 4]);
  assert.equal(r.expectedIssues, 3);
  assert.deepEqual(r.flagged, [2, 4, 5]);
});

test('probabilitiesFromMargins: sigma(margin / T), METRICS 2.2 p-hat with h = 1.2, T = 1/beta', () => {
  const p = probabilitiesFromMargins([1.2, -1.2, Number.NaN, 1e6, -1e6], 10);
  close(p[0]!, 0.529964);
  close(p[1]!, 1 - 0.529964);
  assert.ok(Number.isNaN(p[2]!));
  assert.ok(p[3]! < 1 && p[4]! > 0, 'clamped inside (0, 1)');
  assert.doesNotThrow(() => confidentLearning(p.subarray(3)));
  assert.throws(() => probabilitiesFromMargins([1], 0), RangeError);
  assert.throws(() => probabilitiesFromMargins([1], Number.NaN), RangeError);
});

test('trap: confident-learning counts change under monotone rescaling (METRICS 11 step 1)', () => {
  const margins = [3, 2.5, 2, 1.5, 1, 0.5, -0.5, -1, 4, 3.5];
  const sharp = confidentLearning(probabilitiesFromMargins(margins, 0.5));
  const soft = confidentLearning(probabilitiesFromMargins(margins, 5));
  assert.ok(sharp.informative && soft.informative);
  // same ranking of pairs, different verdicts: T = 0.5 flags pair 7, T = 5 flags nothing
  assert.deepEqual(sharp.ranking, soft.ranking);
  close(sharp.flipRate, 0.125);
  assert.deepEqual(sharp.flagged, [7]);
  assert.equal(soft.flipRate, 0);
  assert.deepEqual(soft.flagged, []);
});

/** Synthetic held-out split: margins m ~ U(-6, 6), dataset label correct with probability sigma(m / T0). */
function synthetic(n: number, T0: number, seed: number): { margins: number[]; labels: number[]; oriented: number[] } {
  const u = rng(seed);
  const margins: number[] = [];
  const labels: number[] = [];
  const oriented: number[] = [];
  for (let i = 0; i < n; i++) {
    const m = 12 * u() - 6;
    const y = u() < 1 / (1 + Math.exp(-m / T0)) ? 1 : 0;
    margins.push(m);
    labels.push(y);
    oriented.push(y === 1 ? m : -m);
  }
  return { margins, labels, oriented };
}

test('calibrateTemperature recovers a known temperature on synthetic data', () => {
  const T0 = 2.5;
  const { margins, labels, oriented } = synthetic(20000, T0, 7);
  const fit = calibrateTemperature(margins, labels);
  assert.equal(fit.atBound, null);
  assert.equal(fit.n, 20000);
  assert.ok(Math.abs(fit.temperature - T0) / T0 < 0.05, `fitted T ${fit.temperature}`);
  // the same split stored with the observed orientation (all labels "chosen first") gives the same T
  const same = calibrateTemperature(oriented);
  close(same.temperature, fit.temperature, 1e-6);
  close(same.meanNll, fit.meanNll, 1e-12);
  // boolean labels are accepted
  close(calibrateTemperature(margins, labels.map((y) => y === 1)).temperature, fit.temperature, 1e-9);
  // the MLE is a minimum: nearby temperatures fit worse
  const nll = (T: number) => -oriented.reduce((s, z) => s - Math.log1p(Math.exp(-z / T)), 0) / oriented.length;
  assert.ok(nll(fit.temperature) <= nll(fit.temperature * 1.01) && nll(fit.temperature) <= nll(fit.temperature / 1.01));
});

test('calibrateTemperature reports boundary optima and bad input', () => {
  // separable: every label agrees with the margin sign -> T -> 0
  const sep = calibrateTemperature([1, 2, 3, 0.5]);
  assert.equal(sep.atBound, 'lower');
  assert.equal(sep.temperature, sep.range[0]);
  // anti-correlated scorer -> T -> infinity (p -> 0.5)
  const anti = calibrateTemperature([-1, -2, -3, 0.5], undefined, { minTemperature: 0.01, maxTemperature: 100 });
  assert.equal(anti.atBound, 'upper');
  assert.equal(anti.temperature, 100);
  assert.deepEqual(anti.range, [0.01, 100]);
  // non-finite margins are skipped
  assert.equal(calibrateTemperature([1, -1, 2, Number.NaN], [1, 1, 0, 1]).n, 3);
  assert.throws(() => calibrateTemperature([0, 0]), RangeError);
  assert.throws(() => calibrateTemperature([]), RangeError);
  assert.throws(() => calibrateTemperature([1, 2], [1]), RangeError);
  assert.throws(() => calibrateTemperature([1, 2], [1, 2]), RangeError);
  assert.throws(() => calibrateTemperature([1, -2], undefined, { minTemperature: 5, maxTemperature: 1 }), RangeError);
});
