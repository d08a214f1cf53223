// METRICS.md 7.1 / 7.2 (ensemble strength, buckets), 4.2 (displacement trajectories), percentile ranks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkpointTrajectories, displacementSummary, preferenceStrength, strengthBuckets, trendSummary } from '../../../native/metrics/ensemble';
import { percentileRanks, quantile, sortedNonNaN } from '../../../native/metrics/percentiles';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('preference strength: METRICS 13 vector d = [0.5, -0.2, 0.3] (M7.1)', () => {
  const s = preferenceStrength([[0.5, -0.2, 0.3]]);
  close(s.mean[0]!, 0.2);
  close(s.std[0]!, 0.294392);
  assert.equal(s.members, 3);
  assert.equal(s.normalisation, 'none');
  assert.equal(s.valid, 1);
});

test('trap: sigma is the population std (divide by M), not ddof = 1 (METRICS 14.8)', () => {
  const s = preferenceStrength([[0.5, -0.2, 0.3]]);
  assert.ok(Math.abs(s.std[0]! - 0.360555) > 1e-3, 'ddof=1 value must not be produced');
  close(Math.sqrt(((0.5 - 0.2) ** 2 + (-0.2 - 0.2) ** 2 + (0.3 - 0.2) ** 2) / 3), s.std[0]!);
  // one member: std 0, not NaN (ddof = 1 would divide by zero)
  assert.equal(preferenceStrength([[0.7]]).std[0], 0);
});

test('preference strength: invalid pairs are NaN, ragged input throws', () => {
  const s = preferenceStrength([[1, 2], [Number.NaN, 1], [3, Number.POSITIVE_INFINITY], [0, 0]]);
  assert.deepEqual(Array.from(s.mean), [1.5, Number.NaN, Number.NaN, 0]);
  assert.ok(Number.isNaN(s.std[1]!));
  assert.equal(s.valid, 2);
  assert.throws(() => preferenceStrength([[1, 2], [1]]), RangeError);
  assert.equal(preferenceStrength([]).mean.length, 0);
});

test('member normalisation: z centres each member, scale keeps the sign', () => {
  // member 1 is member 0 times 10: same ranking, different scale
  const d = [[1, 10], [-1, -10], [2, 20], [0.5, 5]];
  const z = preferenceStrength(d, { normalise: 'z' });
  const sc = preferenceStrength(d, { normalise: 'scale' });
  assert.equal(z.normalisation, 'z');
  // both members become identical, so the ensemble std is 0
  for (let i = 0; i < d.length; i++) {
    close(z.std[i]!, 0);
    close(sc.std[i]!, 0);
  }
  close(Array.from(z.mean).reduce((a, b) => a + b, 0), 0); // z: zero mean over pairs
  assert.ok(sc.mean[1]! < 0 && sc.mean[0]! > 0, 'scale keeps the sign of mu');
  const rms = Math.sqrt((1 + 1 + 4 + 0.25) / 4);
  close(sc.mean[2]!, 2 / rms);
  assert.throws(() => preferenceStrength([[1, 0], [2, 0]], { normalise: 'scale' }), RangeError);
});

test('percentile ranks: ties averaged, NaN stays NaN, 0..100', () => {
  assert.deepEqual(Array.from(percentileRanks([10, 20, 20, 40])), [0, 50, 50, 100]);
  const r = percentileRanks([3, Number.NaN, 1, 3, 3, 2]);
  assert.ok(Number.isNaN(r[1]!));
  // non-NaN n = 5; values 1,2 have ranks 0,1; the three 3s share (2+3+4)/3 = 3 -> 75
  assert.deepEqual([r[2], r[5], r[0], r[3], r[4]], [0, 25, 75, 75, 75]);
  assert.deepEqual(Array.from(percentileRanks([7])), [50]);
  assert.deepEqual(Array.from(percentileRanks([5, 5, 5])), [50, 50, 50]);
  assert.deepEqual(Array.from(percentileRanks([Number.POSITIVE_INFINITY, 0, Number.NEGATIVE_INFINITY])), [100, 50, 0]);
  assert.equal(percentileRanks([]).length, 0);
});

test('quantile is numpy linear (type 7) and inverts percentile ranks', () => {
  close(quantile([1, 2, 3, 4], 0.5), 2.5);
  close(quantile([1, 2, 3, 4], 0), 1);
  close(quantile([1, 2, 3, 4], 1), 4);
  close(quantile([0, 10], 0.9), 9);
  assert.ok(Number.isNaN(quantile([], 0.5)));
  assert.throws(() => quantile([1], 1.5), RangeError);
  const values = [5, -2, 9, 0.5, 3];
  const sorted = sortedNonNaN([...values, Number.NaN]);
  assert.deepEqual(Array.from(sorted), [-2, 0.5, 3, 5, 9]);
  const ranks = percentileRanks(values);
  values.forEach((v, i) => close(quantile(sorted, ranks[i]! / 100), v));
});

test('percentile buckets: paper cuts 20 / 40 / 90 at their exact edges (M7.2)', () => {
  // 11 distinct values -> percentile ranks exactly 0, 10, ..., 100
  const mu = Array.from({ length: 11 }, (_, i) => i - 3);
  const b = strengthBuckets(mu, { mode: 'percentile' });
  assert.equal(b.mode, 'percentile');
  assert.deepEqual(b.params, { incorrect: 20, ambiguous: 40, strong: 90 });
  assert.deepEqual(Array.from(b.percentile), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  assert.deepEqual(b.buckets, ['incorrect', 'incorrect', 'ambiguous', 'ambiguous', 'normal', 'normal', 'normal', 'normal', 'normal', 'strong', 'strong']);
  assert.deepEqual(b.counts, { incorrect: 2, ambiguous: 2, normal: 5, strong: 2 });
});

test('percentile buckets: 100 pairs give 20 / 20 / 50 / 10, ties never straddle a cut, NaN is null', () => {
  const mu = Array.from({ length: 100 }, (_, i) => (i * 37) % 100); // a permutation of 0..99
  assert.deepEqual(strengthBuckets(mu, { mode: 'percentile' }).counts, { incorrect: 20, ambiguous: 20, normal: 50, strong: 10 });
  const tied = strengthBuckets([0, 0, 0, 1, 2, Number.NaN], { mode: 'percentile' });
  // three tied values share rank 1 of 0..4 -> 25: all ambiguous
  assert.deepEqual(tied.buckets, ['ambiguous', 'ambiguous', 'ambiguous', 'normal', 'strong', null]);
  const custom = strengthBuckets(mu, { mode: 'percentile', cuts: { strong: 95 } });
  assert.equal(custom.counts.strong, 5);
  assert.throws(() => strengthBuckets(mu, { mode: 'percentile', cuts: { incorrect: 50 } }), RangeError);
});

test('sign buckets: |mu| < delta ambiguous first, then mu < 0 incorrect (M7.2)', () => {
  const mu = [-0.5, -0.1, -0.05, 0, 0.0999, 0.1, 0.5, 3];
  const b = strengthBuckets(mu, { mode: 'sign', delta: 0.1, strongAbove: 1 });
  assert.equal(b.mode, 'sign');
  assert.deepEqual(b.params, { delta: 0.1, strongAbove: 1 });
  assert.deepEqual(b.buckets, ['incorrect', 'incorrect', 'ambiguous', 'ambiguous', 'ambiguous', 'normal', 'normal', 'strong']);
  // without strongAbove: strong = percentile rank >= 90 (only the largest of 8: rank 100)
  const p = strengthBuckets(mu, { mode: 'sign', delta: 0.1 });
  assert.deepEqual(p.params, { delta: 0.1, strongPercentile: 90 });
  assert.deepEqual(p.counts, { incorrect: 2, ambiguous: 3, normal: 2, strong: 1 });
  // delta 0: pure sign; exactly 0 is normal
  assert.deepEqual(strengthBuckets([-1e-9, 0, 1e-9], { mode: 'sign', delta: 0, strongAbove: 10 }).buckets, ['incorrect', 'normal', 'normal']);
  assert.throws(() => strengthBuckets(mu, { mode: 'sign', delta: -1 }), RangeError);
});

test('trend summary over finite values', () => {
  assert.deepEqual(trendSummary([0.3, 0.1, -0.2]), { first: 0.3, last: -0.2, min: -0.2, argmin: 2, monotone: 'decreasing' });
  assert.deepEqual(trendSummary([1, 1, 2]), { first: 1, last: 2, min: 1, argmin: 0, monotone: 'increasing' });
  assert.deepEqual(trendSummary([1, Number.NaN, 1]), { first: 1, last: 1, min: 1, argmin: 0, monotone: 'constant' });
  assert.equal(trendSummary([1, 0, 2]).monotone, 'no');
  const empty = trendSummary([Number.NaN]);
  assert.equal(empty.argmin, -1);
  assert.equal(empty.monotone, 'no');
});

test('checkpoint trajectories: displacement per checkpoint and dataset level (M4.2)', () => {
  const t = checkpointTrajectories([
    { label: 'step-100', margin: [0.1, 0.2, 0.0], rhoChosen: [0.5, 0.1, -0.3] },
    { label: 'step-200', margin: [0.4, 0.3, 0.1], rhoChosen: [0.2, -0.1, Number.NaN] },
    { label: 'step-300', margin: [0.9, 0.2, 0.2], rhoChosen: [-0.4, 0.2, -0.1] },
  ]);
  assert.deepEqual(t.labels, ['step-100', 'step-200', 'step-300']);
  const [a, b, c] = t.pairs;
  // pair 0: margin grows while the chosen likelihood falls below its initial value (Razin Fig. 1)
  assert.deepEqual(a!.displaced, [false, false, true]);
  assert.equal(a!.firstDisplaced, 2);
  assert.equal(a!.marginTrend.monotone, 'increasing');
  assert.deepEqual(a!.rhoChosenTrend, { first: 0.5, last: -0.4, min: -0.4, argmin: 2, monotone: 'decreasing' });
  assert.deepEqual(b!.displaced, [false, true, false]);
  assert.equal(b!.rhoChosenTrend.monotone, 'no');
  assert.deepEqual(c!.displaced, [true, null, true]);
  assert.deepEqual(Array.from(c!.margin), [0, 0.1, 0.2]);
  const [k1, k2, k3] = t.perCheckpoint;
  assert.equal(k1!.valid, 3);
  close(k1!.fractionDisplaced, 1 / 3);
  close(k1!.meanRhoChosen, 0.1);
  assert.equal(k2!.valid, 2);
  close(k2!.fractionDisplaced, 0.5);
  close(k2!.meanRhoChosen, 0.05);
  close(k3!.fractionDisplaced, 2 / 3);
  close(k3!.meanRhoChosen, -0.1);
  assert.throws(() => checkpointTrajectories([{ label: 'x', margin: [1], rhoChosen: [1, 2] }]), RangeError);
  assert.deepEqual(checkpointTrajectories([]).pairs, []);
});

test('displacement summary: METRICS 2.1 pair has rho_w = 0.5, not displaced', () => {
  const s = displacementSummary([0.5], 'final');
  assert.deepEqual(s, { label: 'final', valid: 1, fractionDisplaced: 0, meanRhoChosen: 0.5 });
  assert.ok(Number.isNaN(displacementSummary([Number.NaN]).fractionDisplaced));
});
