// METRICS.md section 13 vectors and section 14 traps for Chen's ranking metrics (M3) and RewardBench (M10).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PairLogps, pairLoss, rewardAccuracy } from '../../../native/metrics/losses';
import {
  BETA_GRID, type RatedPair, difficulty, idealizedRanking, normLogProb, rankingAccuracy, rankingSummary,
  rankingTransition, rankingWithTies, resolveAlpha, rewardBenchScore,
} from '../../../native/metrics/rankings';
import { implicitRewards } from '../../../native/metrics/rewards';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// METRICS 1.5 worked example
const ex: PairLogps = { chosen: -4.0, rejected: -2.5, refChosen: -4.5, refRejected: -1.8, chosenTokens: 4, rejectedTokens: 2 };
const LOG3 = Math.log(3); // log(α/(1−α)) at α = 0.75

test('ranking accuracy R / R~ for policy and reference (M3.1)', () => {
  const a = rankingAccuracy(ex);
  assert.equal(a.policy, 0); // −4.0 < −2.5
  assert.equal(a.policyNormalized, 1); // −1.0 ≥ −1.25
  assert.equal(a.reference, 0); // −4.5 < −1.8
  assert.equal(a.referenceNormalized, 0); // −1.125 < −0.9
});

test('trap 14.5: ranking accuracy (policy only) differs from reward accuracy (policy/ref)', () => {
  assert.equal(rankingAccuracy(ex).policy, 0);
  assert.equal(rewardAccuracy(ex, 0.1), 1);
});

test('transition categories (M3.5)', () => {
  assert.equal(rankingTransition(ex), 'incorrect_to_incorrect');
  assert.equal(rankingTransition(ex, true), 'incorrect_to_correct');
  assert.equal(rankingTransition({ ...ex, chosen: -1 }), 'incorrect_to_correct');
  assert.equal(rankingTransition({ ...ex, refChosen: -1, chosen: -3 }), 'correct_to_incorrect');
  assert.equal(rankingTransition({ ...ex, chosenTokens: 0 }), null);
});

test('difficulty c and L*(c) (M3.4)', () => {
  const d = difficulty(ex, 0.1);
  close(d.c, 2.7);
  close(d.lStar, 0.567232);
  close(d.dpoLoss, 0.634946);
  assert.equal(d.needsFlip, true);
  assert.ok(d.dpoLoss > d.lStar); // consistent with R = 0
});

test('trap 14.7: c puts the dispreferred response first', () => {
  const d = difficulty(ex, 0.1);
  assert.ok(d.c > 0, 'reference prefers y_l here, so c must be positive (hard)');
  assert.ok(Math.abs(d.c - (ex.refChosen - ex.refRejected)) > 1);
  assert.equal(difficulty({ ...ex, refChosen: -1, refRejected: -2 }, 0.1).needsFlip, false);
});

test('Thm. 4.1: R = 1 iff L_DPO <= L*(c), on random pairs and several beta', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 10 - 10;
  for (let i = 0; i < 500; i++) {
    const p: PairLogps = { chosen: rnd(), rejected: rnd(), refChosen: rnd(), refRejected: rnd(), chosenTokens: 3, rejectedTokens: 5 };
    for (const beta of [0.1, 1]) {
      const d = difficulty(p, beta);
      close(d.dpoLoss, pairLoss(p, 'sigmoid', { beta }), 1e-12);
      assert.equal(rankingAccuracy(p).policy === 1, d.dpoLoss <= d.lStar + 1e-12);
    }
  }
});

test('idealized ranking accuracy R* over the beta grid with simulated alpha 0.75 (M3.3)', () => {
  const ir = idealizedRanking(ex);
  assert.equal(ir.alphaSource, 'simulated');
  assert.equal(ir.alpha, 0.75);
  assert.deepEqual(ir.betas, [0.01, 0.1, 1, 5, 10]);
  const expected = BETA_GRID.map((b) => -2.7 + LOG3 / b);
  const printed = [107.161, 8.286, -1.601, -2.48, -2.59];
  ir.margins.forEach((m, k) => {
    close(m, expected[k]!);
    close(m, printed[k]!, 5e-4);
  });
  assert.deepEqual(ir.rStar, [1, 1, 0, 0, 0]);
});

test('R~* with A_ref for beta 0.1 and 1 (M3.3)', () => {
  const ir = idealizedRanking(ex, [0.1, 1]);
  close(ir.normalizedMargins[0]!, -0.225 + LOG3 / 0.1);
  close(ir.normalizedMargins[0]!, 10.761, 5e-4);
  close(ir.normalizedMargins[1]!, -0.225 + LOG3);
  close(ir.normalizedMargins[1]!, 0.874, 5e-4);
  assert.deepEqual(ir.rTildeStar, [1, 1]);
});

test('alpha from the dataset, with 1 and 0 replaced by 0.999 and 0.001', () => {
  assert.deepEqual(resolveAlpha(1), { alpha: 0.999, alphaSource: 'dataset' });
  assert.deepEqual(resolveAlpha(0), { alpha: 0.001, alphaSource: 'dataset' });
  assert.deepEqual(resolveAlpha(0.6), { alpha: 0.6, alphaSource: 'dataset' });
  assert.deepEqual(resolveAlpha(), { alpha: 0.75, alphaSource: 'simulated' });
  assert.throws(() => resolveAlpha(1.5), RangeError);
  const ir = idealizedRanking({ ...ex, alpha: 1 }, [1]);
  assert.equal(ir.alphaSource, 'dataset');
  close(ir.margins[0]!, -2.7 + Math.log(0.999 / 0.001));
  assert.ok(Number.isFinite(ir.margins[0]!));
});

test('trap 14.4: identical responses give R = 1 (>=) but reward accuracy 0 and R* = 0 (strict >)', () => {
  const same: RatedPair = { chosen: -3, rejected: -3, refChosen: -3.5, refRejected: -3.5, chosenTokens: 3, rejectedTokens: 3, alpha: 0.5 };
  assert.equal(rankingAccuracy(same).policy, 1);
  assert.equal(rankingAccuracy(same).policyNormalized, 1);
  assert.equal(rewardAccuracy(same, 0.1), 0);
  assert.deepEqual(idealizedRanking(same).rStar, [0, 0, 0, 0, 0]);
  assert.equal(rewardBenchScore(same, 'ref').correct, 0);
});

test('dataset aggregates: single worked-example pair (M3.3)', () => {
  const s = rankingSummary([ex]);
  assert.equal(s.R, 0);
  assert.equal(s.RTilde, 1);
  assert.deepEqual(s.rStarByBeta, [1, 1, 0, 0, 0]);
  assert.deepEqual(s.rStar, { min: 0, median: 0, max: 1 });
  assert.equal(s.alignmentGapPP, 0);
  assert.equal(s.alphaSource, 'simulated');
  assert.equal(s.simulatedAlphaCount, 1);
  assert.equal(s.needsFlip, 1);
  assert.equal(s.transitions.incorrect_to_incorrect, 1);
});

test('dataset aggregates: means, alignment gap in pp, alpha source, invalid pairs excluded', () => {
  const easy: RatedPair = { chosen: -1, rejected: -3, refChosen: -1.5, refRejected: -3.5, chosenTokens: 2, rejectedTokens: 2, alpha: 0.9 };
  const hard: RatedPair = { ...ex, alpha: 0.75 };
  const bad: RatedPair = { ...ex, chosenTokens: 0 };
  const s = rankingSummary([easy, hard, hard, bad]);
  assert.equal(s.pairs, 4);
  assert.equal(s.valid, 3);
  assert.equal(s.invalid, 1);
  close(s.R, 1 / 3);
  close(s.refR, 1 / 3);
  assert.equal(s.alphaSource, 'dataset');
  assert.equal(s.simulatedAlphaCount, 0);
  // easy: ref log-ratio 2 > 0 → R* = 1 at every β; hard: 1,1,0,0,0
  assert.deepEqual(s.rStarByBeta.map((x) => Math.round(x * 3)), [3, 3, 1, 1, 1]);
  close(s.rStar.median, 1 / 3);
  close(s.alignmentGapPP, 0);
  const mixed = rankingSummary([easy, ex]);
  assert.equal(mixed.alphaSource, 'simulated', 'any pair without alpha makes the dataset result simulated');
  assert.equal(mixed.simulatedAlphaCount, 1);
  const gap = rankingSummary([{ ...ex, alpha: 0.999 }]);
  assert.equal(gap.rStar.median, 1); // log(999) ≈ 6.9 > 2.7 at β ≤ 1, log(999)/5 ≈ 1.38 < 2.7
  assert.equal(gap.alignmentGapPP, 100);
});

test('RewardBench scores: ref / avg / sum / norm (M10.1)', () => {
  const norms = { chosen: normLogProb([-1.2, -0.5, -2.0, -0.3]), rejected: normLogProb([-1.5, -1.0]) };
  close(norms.chosen, -2.40416, 1e-5);
  close(norms.rejected, -1.80278, 1e-5);
  assert.equal(rewardBenchScore(ex, 'ref').correct, 1);
  assert.equal(rewardBenchScore(ex, 'avg').correct, 1);
  assert.equal(rewardBenchScore(ex, 'sum').correct, 0);
  assert.equal(rewardBenchScore(ex, 'norm', norms).correct, 0);
  assert.throws(() => rewardBenchScore(ex, 'norm'), TypeError);
});

test('trap 14.6: RewardBench drops beta, DPO rewards keep it', () => {
  const rb = rewardBenchScore(ex, 'ref');
  close(rb.chosen, 0.5);
  close(rb.rejected, -0.7);
  const r = implicitRewards(ex, 0.1);
  close(r.chosenReward, 0.05);
  close(r.rejectedReward, -0.07);
});

test('trap 14.15: R_ties tolerance is applied to length-normalised probabilities, not raw ones', () => {
  // long responses: raw probabilities e^-40 and e^-25 differ by < 0.01, per-token ones do not
  const long: PairLogps = { chosen: -40, rejected: -25, refChosen: -40, refRejected: -25, chosenTokens: 40, rejectedTokens: 20 };
  assert.ok(Math.abs(Math.exp(-40) - Math.exp(-25)) < 0.01, 'raw probabilities would call this a tie');
  assert.equal(rankingWithTies(long, 0.5), 0);
  const tie: PairLogps = { ...long, chosen: -49.6 }; // A = -1.24 vs -1.25
  assert.equal(rankingWithTies(tie, 0.5), 1);
  assert.equal(rankingWithTies(long, 0.75), 1); // A_w = -1 > A_l = -1.25
  assert.equal(rankingWithTies(long, 0.25), 0);
});
