// METRICS.md section 13 vectors and section 14 traps for per-pair losses (M2.2–M2.4, M8).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type PairLogps, LOSS_TYPES, cdpoLoss, dpoLoss, gradientWeight, impliedPreference, isValidPair, logSigmoid,
  pairLoss, pairTerms, rewardAccuracy, robustLoss, sigmoid, softplus,
} from '../../../native/metrics/losses';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// METRICS 1.5 worked example: S_θ(y_w) −4.0, S_ref(y_w) −4.5, S_θ(y_l) −2.5, S_ref(y_l) −1.8; T 4 and 2
const ex: PairLogps = { chosen: -4.0, rejected: -2.5, refChosen: -4.5, refRejected: -1.8, chosenTokens: 4, rejectedTokens: 2 };
const beta = 0.1;

test('stable softplus / log-sigmoid / sigmoid', () => {
  close(softplus(0), Math.LN2);
  assert.equal(softplus(1000), 1000);
  assert.ok(softplus(-1000) >= 0 && softplus(-1000) < 1e-300);
  assert.equal(logSigmoid(-1000), -1000, 'log(sigmoid(-1000)) would be -Infinity');
  assert.equal(sigmoid(-1000), 0);
  assert.equal(sigmoid(1000), 1);
  close(softplus(0.7), Math.log(1 + Math.exp(0.7)), 1e-12);
});

test('log-ratios rho and h (M2.1, M2.2)', () => {
  const t = pairTerms(ex);
  close(t.rhoChosen, 0.5);
  close(t.rhoRejected, -0.7);
  close(t.h, 1.2);
  close(t.deltaBar, 0.475);
  close(t.policyMeanDelta, 0.25);
});

test('L_DPO, implied preference, gradient weight (M2.2, M2.3)', () => {
  close(pairLoss(ex, 'sigmoid', { beta }), 0.634946);
  close(dpoLoss(0.12), 0.634946);
  close(impliedPreference(ex, beta), 0.529964);
  close(gradientWeight(ex, beta), 0.470036);
});

test('variants at the worked example (M2.3)', () => {
  close(pairLoss(ex, 'cdpo', { beta, labelSmoothing: 0.1 }), 0.646946);
  close(pairLoss(ex, 'robust', { beta, labelSmoothing: 0.1 }), 0.619946);
  close(pairLoss(ex, 'hinge', { beta }), 0.88);
  close(pairLoss(ex, 'ipo', { beta }), 20.475625);
  close(pairLoss(ex, 'ipo_eq17', { beta }), 14.44);
  close(pairLoss(ex, 'sigmoid_norm', { beta }), 0.669679);
  close(pairLoss(ex, 'simpo', { beta: 2.5, gamma: 1.375 }), 1.136871);
});

test('further TRL variants against naive formulas (M2.3)', () => {
  // independent values from the METRICS table formulas (computed with naive log/exp)
  close(pairLoss(ex, 'exo_pair', { beta, labelSmoothing: 1e-3 }), 2.556073116561366, 1e-9);
  close(pairLoss(ex, 'exo_pair', { beta }), 2.556073116561366, 1e-9); // default eps 1e-3
  close(pairLoss(ex, 'nca_pair', { beta }), 1.357069249794278, 1e-9);
  close(pairLoss(ex, 'bco_pair', { beta }), 1.3272192035619834, 1e-9);
  close(pairLoss(ex, 'sppo_hard', { beta }), 38.74, 1e-9);
  close(pairLoss(ex, 'apo_zero', { beta }), 0.9700097458493999, 1e-9);
  close(pairLoss(ex, 'apo_down', { beta }), 0.9825333447196386, 1e-9);
  close(pairLoss(ex, 'discopop', { beta }), 0.8659630518178354, 1e-9);
});

test('every loss stays finite for extreme margins', () => {
  for (const h of [-1e4, 1e4]) {
    const p: PairLogps = { ...ex, chosen: -4 + h };
    for (const type of LOSS_TYPES) {
      const v = pairLoss(p, type, { beta, labelSmoothing: 0.1 });
      assert.ok(Number.isFinite(v), `${type} at h=${h}: ${v}`);
    }
  }
});

test('reward accuracy is 1 at the worked example (M2.4)', () => {
  assert.equal(rewardAccuracy(ex, beta), 1);
});

test('rDPO with beta*h = 5, eps 0.1 is negative (M8)', () => {
  close(robustLoss(5, 0.1), -0.618285);
  const p: PairLogps = { chosen: 0, rejected: 0, refChosen: -25, refRejected: 25, chosenTokens: 1, rejectedTokens: 1 }; // h = 50
  close(pairLoss(p, 'robust', { beta: 0.1, labelSmoothing: 0.1 }), -0.618285);
});

test('trap 14.9: cDPO and rDPO are different losses; HEAD sigmoid ignores label smoothing', () => {
  assert.ok(Math.abs(cdpoLoss(0.12, 0.1) - robustLoss(0.12, 0.1)) > 0.02);
  close(pairLoss(ex, 'sigmoid', { beta, labelSmoothing: 0.1 }), 0.634946);
  // rDPO is unbiased: the flip-probability-weighted mean over label noise equals the clean DPO loss
  const eps = 0.1;
  close((1 - eps) * robustLoss(0.12, eps) + eps * robustLoss(-0.12, eps), dpoLoss(0.12), 1e-12);
  assert.ok(Math.abs((1 - eps) * cdpoLoss(0.12, eps) + eps * cdpoLoss(-0.12, eps) - dpoLoss(0.12)) > 1e-3);
});

test('trap 14.9: robust enforces 0 <= eps < 0.5', () => {
  assert.throws(() => pairLoss(ex, 'robust', { beta, labelSmoothing: 0.5 }), RangeError);
  assert.throws(() => pairLoss(ex, 'robust', { beta, labelSmoothing: -0.1 }), RangeError);
  assert.throws(() => pairLoss(ex, 'sigmoid', { beta: 0 }), RangeError);
});

test('trap 14.10: IPO HEAD (per-token inside the loss) vs Eq. 17 (unnormalised) vs legacy', () => {
  const head = pairLoss(ex, 'ipo', { beta });
  const eq17 = pairLoss(ex, 'ipo_eq17', { beta });
  assert.ok(Math.abs(head - eq17) > 1);
  // legacy TRL normalised the log-ratios themselves: same IPO loss as HEAD (rewards differ, see whatIf tests)
  close(pairLoss(ex, 'ipo_eq17', { beta, lengthNormalized: true }), head, 1e-12);
  close(pairLoss(ex, 'ipo', { beta, lengthNormalized: true }), head, 1e-12);
});

test('trap 14.1: sum vs mean — DPO uses summed log-probs, sigmoid_norm/SimPO per-token means', () => {
  assert.ok(Math.abs(pairLoss(ex, 'sigmoid', { beta }) - pairLoss(ex, 'sigmoid_norm', { beta })) > 0.03);
  const mean: PairLogps = { ...ex, chosen: -1.0, rejected: -1.25, refChosen: -1.125, refRejected: -0.9 };
  assert.ok(Math.abs(pairLoss(mean, 'sigmoid', { beta }) - 0.634946) > 1e-3, 'means give a different DPO loss');
  // SimPO ignores the reference model entirely
  close(pairLoss({ ...ex, refChosen: 100, refRejected: -100 }, 'simpo', { beta: 2.5, gamma: 1.375 }), 1.136871);
});

test('trap 14.4 / METRICS 12: identical responses give loss log 2 and reward accuracy 0 (strict)', () => {
  const same: PairLogps = { chosen: -3, rejected: -3, refChosen: -3.5, refRejected: -3.5, chosenTokens: 3, rejectedTokens: 3 };
  assert.equal(pairTerms(same).h, 0);
  close(pairLoss(same, 'sigmoid', { beta }), Math.LN2, 1e-15);
  assert.equal(rewardAccuracy(same, beta), 0);
  close(impliedPreference(same, beta), 0.5, 1e-15);
});

test('METRICS 1.3: T = 0 or non-finite values make the pair invalid (NaN)', () => {
  for (const bad of [{ ...ex, chosenTokens: 0 }, { ...ex, rejectedTokens: 0 }, { ...ex, chosen: NaN }, { ...ex, refRejected: -Infinity }]) {
    assert.equal(isValidPair(bad), false);
    for (const type of LOSS_TYPES) assert.ok(Number.isNaN(pairLoss(bad, type, { beta, labelSmoothing: 0.1 })), type);
    assert.ok(Number.isNaN(rewardAccuracy(bad, beta)));
    assert.ok(Number.isNaN(impliedPreference(bad, beta)));
    assert.ok(Number.isNaN(pairTerms(bad).h));
  }
  assert.equal(isValidPair(ex), true);
});
