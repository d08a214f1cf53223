// The x range of the margin histogram: within Tukey's far-out fences when a few outliers would squeeze the rest.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeRange, OPEN_END, robustDomain } from '../../../webview/charts/robustDomain';

const spread = (n: number): number[] => Array.from({ length: n }, (_, k) => -1 + (3 * k) / (n - 1)); // -1..2

test('without outliers the domain is the full range', () => {
  assert.deepEqual(robustDomain([...spread(1000), Number.NaN]), { lo: -1, hi: 2, below: 0, above: 0, clipped: false });
});

test('one far outlier: the range between the fences is shown and the outlier counted above it', () => {
  const d = robustDomain([...spread(1000), 16])!;
  assert.ok(d.clipped);
  assert.deepEqual([d.lo, d.hi, d.below, d.above], [-1, 2, 0, 1]);
});

test('small datasets too: 23 margins and one of 16', () => {
  const margins = [...spread(23), 16];
  const d = robustDomain(margins)!;
  assert.ok(d.clipped && d.above === 1 && d.below === 0 && d.hi < 16, JSON.stringify(d));
});

test('a long but populated tail is not clipped', () => {
  const exp = Array.from({ length: 1000 }, (_, k) => -Math.log(1 - (k + 0.5) / 1000)); // exponential quantiles, max ~7.6, fence ~4.7
  assert.equal(robustDomain(exp)!.clipped, false);
});

test('nothing finite: no domain; constant values: no clipping', () => {
  assert.equal(robustDomain([Number.NaN, Number.NaN]), null);
  assert.deepEqual(robustDomain([3, 3, 3]), { lo: 3, hi: 3, below: 0, above: 0, clipped: false });
});

test('only the first rows count when a row count is given', () => {
  assert.deepEqual(robustDomain([0, 1, 1000], 2), { lo: 0, hi: 1, below: 0, above: 0, clipped: false });
});

test('open ends read as one-sided filters', () => {
  assert.equal(describeRange('margin', [-0.5, 0.25]), 'margin in [-0.50, 0.25]');
  assert.equal(describeRange('margin', [-OPEN_END, 0.25]), 'margin ≤ 0.25');
  assert.equal(describeRange('margin', [1, OPEN_END]), 'margin ≥ 1.00');
  assert.equal(JSON.parse(JSON.stringify([-OPEN_END, OPEN_END]))[1], OPEN_END, 'open ends survive the panel state');
});
