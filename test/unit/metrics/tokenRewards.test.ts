// Token-level implicit rewards (METRICS.md section 9, vectors from sections 1.5 and 13).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { implicitRewards, sum } from '../../../native/metrics/rewards';
import { cumulativeRewards, firstDivergence, tokenRewards } from '../../../native/metrics/tokenRewards';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const closeAll = (a: ArrayLike<number>, b: number[]) => {
  assert.equal(a.length, b.length);
  b.forEach((v, i) => close(a[i]!, v));
};

// METRICS 1.5 worked example, beta 0.1
const pw = [-1.2, -0.5, -2.0, -0.3];
const rw = [-1.0, -0.9, -2.2, -0.4];
const pl = [-1.5, -1.0];
const rl = [-1.2, -0.6];

test('token rewards r_t = beta (l_policy - l_ref) (M9, METRICS 13)', () => {
  const w = tokenRewards(pw, rw, 0.1);
  const l = tokenRewards(pl, rl, 0.1);
  assert.ok(w instanceof Float64Array);
  closeAll(w, [-0.02, 0.04, 0.02, 0.01]);
  closeAll(l, [-0.03, -0.04]);
  close(sum(w), 0.05);
  close(sum(l), -0.07);
});

test('cumulative rewards q_t; q_T is the response reward (M9)', () => {
  const w = tokenRewards(pw, rw, 0.1);
  const q = cumulativeRewards(w);
  closeAll(q, [-0.02, 0.02, 0.04, 0.05]);
  assert.equal(q[q.length - 1], sum(w), 'q_T is the in-order sum, bit for bit');
  closeAll(cumulativeRewards(tokenRewards(pl, rl, 0.1)), [-0.03, -0.07]);
  assert.equal(cumulativeRewards([]).length, 0);
});

test('q_T agrees with the sequence-level implicit reward (M2.1) to rounding', () => {
  const r = implicitRewards({ chosen: sum(pw), rejected: sum(pl), refChosen: sum(rw), refRejected: sum(rl) }, 0.1);
  close(sum(tokenRewards(pw, rw, 0.1)), r.chosenReward, 1e-12);
  close(sum(tokenRewards(pl, rl, 0.1)), r.rejectedReward, 1e-12);
});

test('token rewards accept typed arrays (float32 log-probs) and compute in float64', () => {
  const p = Float32Array.from(pw);
  const r = Float32Array.from(rw);
  const out = tokenRewards(p, r, 0.1);
  for (let t = 0; t < out.length; t++) assert.equal(out[t], 0.1 * (p[t]! - r[t]!));
});

test('token rewards: beta scales linearly, empty input gives empty output', () => {
  closeAll(tokenRewards(pw, rw, 1), [-0.2, 0.4, 0.2, 0.1]);
  assert.equal(tokenRewards([], [], 0.1).length, 0);
});

test('token rewards: mismatched lengths throw', () => {
  assert.throws(() => tokenRewards([1, 2], [1], 0.1), RangeError);
});

test('token rewards: non-finite log-probs propagate, nothing is clamped', () => {
  const out = tokenRewards([Number.NaN, -Infinity], [-1, -1], 0.1);
  assert.ok(Number.isNaN(out[0]));
  assert.equal(out[1], -Infinity);
});

test('first divergence of chosen and rejected token ids', () => {
  assert.equal(firstDivergence([5, 6, 7], [5, 6, 8]), 2);
  assert.equal(firstDivergence([1, 2], [3, 2]), 0);
  assert.equal(firstDivergence([5, 6], [5, 6, 7, 8]), 2, 'chosen is a prefix of rejected');
  assert.equal(firstDivergence([5, 6, 7], [5]), 1, 'rejected is a prefix of chosen');
  assert.equal(firstDivergence([], [4]), 0);
  assert.equal(firstDivergence([5, 6, 7], [5, 6, 7]), -1, 'identical');
  assert.equal(firstDivergence([], []), -1, 'both empty are identical');
  assert.equal(firstDivergence(Int32Array.from([1, 2, 3]), [1, 2, 4]), 2, 'typed arrays');
});
