import assert from 'node:assert/strict';
import { test } from 'node:test';
import { histogram } from '../../../native/metrics/histogram';

test('counts every finite value once, in bins with nice edges', () => {
  const values = [-2.3, -0.1, 0, 0.05, 0.4, 1.9, 2.2, Number.NaN, Infinity];
  const h = histogram(values, 5);
  assert.equal(h.counts.reduce((a, b) => a + b, 0), 7);
  assert.equal(h.skipped, 2);
  assert.equal(h.edges.length, h.counts.length + 1);
  assert.ok(h.edges[0]! <= -2.3 && h.edges.at(-1)! >= 2.2);
  const step = h.edges[1]! - h.edges[0]!;
  assert.ok([0.5, 1, 2, 2.5, 5].some((s) => Math.abs(step - s) < 1e-12), `step ${step}`);
});

test('degenerate inputs', () => {
  assert.deepEqual(histogram([]), { edges: [], counts: [], skipped: 0 });
  assert.deepEqual(histogram([3, 3, 3]).counts, [3]);
});
