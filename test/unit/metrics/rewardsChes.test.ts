// METRICS.md section 13 vectors that concern log-probs, rewards and CHES.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ches } from '../../../native/metrics/ches';
import { implicitRewards, sum } from '../../../native/metrics/rewards';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// METRICS 1.5 worked example
const pw = [-1.2, -0.5, -2.0, -0.3];
const rw = [-1.0, -0.9, -2.2, -0.4];
const pl = [-1.5, -1.0];
const rl = [-1.2, -0.6];

test('summed log-probs S (M1.2)', () => {
  close(sum(pw), -4.0);
  close(sum(rw), -4.5);
  close(sum(pl), -2.5);
  close(sum(rl), -1.8);
});

test('implicit rewards and margin with beta 0.1 (M2.1, M2.2)', () => {
  const r = implicitRewards({ chosen: sum(pw), rejected: sum(pl), refChosen: sum(rw), refRejected: sum(rl) }, 0.1);
  close(r.chosenReward, 0.05);
  close(r.rejectedReward, -0.07);
  close(r.margin, 0.12);
});

test('trap: rewards use summed, not mean, log-probs (METRICS 14.1)', () => {
  const mean = (xs: number[]) => sum(xs) / xs.length;
  const wrong = implicitRewards({ chosen: mean(pw), rejected: mean(pl), refChosen: mean(rw), refRejected: mean(rl) }, 0.1);
  assert.ok(Math.abs(wrong.margin - 0.12) > 1e-3, 'a mean-based margin differs from the summed one');
});

test('CHES and length-normalised CHES (M4.1 toy example)', () => {
  // y+ has states [1,0],[0,1]; y- has [1,0],[1,1],[0,1]
  const P = [1, 1];
  const N = [2, 2];
  const c = ches(P, N, 2, 3);
  close(c.ches, 2);
  close(c.chesLn, 0.166667, 1e-6);
});

test('trap: CHES is centred on the preferred sum (<P,N> - ||P||^2), not on N', () => {
  const c = ches([1, 1], [2, 2], 2, 3);
  assert.notEqual(c.ches, 4 - 8); // <P,N> - ||N||^2 would be -4
});
