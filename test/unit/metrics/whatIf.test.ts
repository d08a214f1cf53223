// What-if recomputation from cached columns (METRICS.md 2.1–2.5, 8, 12) and its speed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PairLogps, LOSS_TYPES, pairLoss, rewardAccuracy } from '../../../native/metrics/losses';
import { type PairColumns, whatIf } from '../../../native/metrics/whatIf';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

function columns(pairs: PairLogps[]): PairColumns {
  const f = (k: keyof PairLogps) => Float64Array.from(pairs, (p) => p[k]);
  return {
    chosen: f('chosen'), rejected: f('rejected'), refChosen: f('refChosen'), refRejected: f('refRejected'),
    chosenTokens: Int32Array.from(pairs, (p) => p.chosenTokens), rejectedTokens: f('rejectedTokens'),
  };
}

// METRICS 1.5 worked example
const ex: PairLogps = { chosen: -4.0, rejected: -2.5, refChosen: -4.5, refRejected: -1.8, chosenTokens: 4, rejectedTokens: 2 };

test('worked example: rewards, margin, L_DPO, reward accuracy (M2.1–M2.4)', () => {
  const r = whatIf(columns([ex]), { beta: 0.1, lossType: 'sigmoid' });
  close(r.chosenRewards[0]!, 0.05);
  close(r.rejectedRewards[0]!, -0.07);
  close(r.margins[0]!, 0.12);
  close(r.losses[0]!, 0.634946);
  assert.equal(r.aggregates.rewardAccuracy, 1);
  close(r.aggregates.meanMargin, 0.12);
  close(r.aggregates.meanLoss, 0.634946);
  assert.equal(r.aggregates.negativeLosses, 0);
});

test('worked example under every variant with a section 13 value', () => {
  const cols = columns([ex]);
  const cases: [Parameters<typeof whatIf>[1], number][] = [
    [{ beta: 0.1, lossType: 'cdpo', labelSmoothing: 0.1 }, 0.646946],
    [{ beta: 0.1, lossType: 'robust', labelSmoothing: 0.1 }, 0.619946],
    [{ beta: 0.1, lossType: 'hinge' }, 0.88],
    [{ beta: 0.1, lossType: 'ipo' }, 20.475625],
    [{ beta: 0.1, lossType: 'ipo_eq17' }, 14.44],
    [{ beta: 0.1, lossType: 'sigmoid_norm' }, 0.669679],
    [{ beta: 2.5, lossType: 'simpo', gamma: 1.375 }, 1.136871],
  ];
  for (const [opts, value] of cases) close(whatIf(cols, opts).losses[0]!, value);
});

test('columns equal the per-pair functions for every loss type (random pairs)', () => {
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pairs: PairLogps[] = Array.from({ length: 300 }, () => ({
    chosen: -60 * rnd(), rejected: -60 * rnd(), refChosen: -60 * rnd(), refRejected: -60 * rnd(),
    chosenTokens: 1 + Math.floor(40 * rnd()), rejectedTokens: 1 + Math.floor(40 * rnd()),
  }));
  const cols = columns(pairs);
  for (const lossType of LOSS_TYPES) {
    for (const lengthNormalized of [false, true]) {
      const opts = { beta: 0.3, lossType, labelSmoothing: 0.2, gamma: 0.8, lengthNormalized };
      const r = whatIf(cols, opts);
      let correct = 0;
      pairs.forEach((p, i) => {
        assert.equal(r.losses[i], pairLoss(p, lossType, opts), `${lossType} pair ${i}`);
        if (lossType !== 'simpo') correct += rewardAccuracy(p, 0.3, lengthNormalized);
      });
      if (lossType !== 'simpo') close(r.aggregates.rewardAccuracy, correct / pairs.length, 1e-12);
    }
  }
});

test('SimPO rewards are beta * A_theta (policy only, as CPOTrainer logs them)', () => {
  const r = whatIf(columns([ex]), { beta: 2.5, lossType: 'simpo', gamma: 1.375 });
  close(r.chosenRewards[0]!, -2.5);
  close(r.rejectedRewards[0]!, -3.125);
  close(r.margins[0]!, 0.625);
});

test('trap 14.10 / 14.1: legacy length normalisation changes logged rewards, not the IPO loss', () => {
  const cols = columns([ex]);
  const head = whatIf(cols, { beta: 0.1, lossType: 'ipo' });
  const legacy = whatIf(cols, { beta: 0.1, lossType: 'ipo', lengthNormalized: true });
  close(head.chosenRewards[0]!, 0.05); // HEAD logs summed rewards even for IPO
  close(legacy.chosenRewards[0]!, 0.0125); // legacy: β·ρ_w/T_w
  close(legacy.rejectedRewards[0]!, -0.035);
  close(legacy.losses[0]!, head.losses[0]!, 1e-12);
});

test('rDPO negative losses are kept and counted (M8)', () => {
  const big: PairLogps = { chosen: 0, rejected: 0, refChosen: -25, refRejected: 25, chosenTokens: 1, rejectedTokens: 1 }; // βh = 5
  const r = whatIf(columns([ex, big, big]), { beta: 0.1, lossType: 'robust', labelSmoothing: 0.1 });
  close(r.losses[1]!, -0.618285);
  assert.equal(r.aggregates.negativeLosses, 2);
  close(r.aggregates.meanLoss, (0.619946 - 2 * 0.618285) / 3, 2e-6);
  const cdpo = whatIf(columns([big]), { beta: 0.1, lossType: 'cdpo', labelSmoothing: 0.1 });
  assert.ok(cdpo.losses[0]! > 0, 'cDPO never goes negative: it is a different loss');
});

test('strict reward accuracy: identical responses count as wrong (trap 14.4)', () => {
  const same: PairLogps = { chosen: -3, rejected: -3, refChosen: -3.5, refRejected: -3.5, chosenTokens: 3, rejectedTokens: 3 };
  const r = whatIf(columns([ex, same]), { beta: 0.1, lossType: 'sigmoid' });
  assert.equal(r.aggregates.rewardAccuracy, 0.5);
  close(r.losses[1]!, Math.LN2, 1e-15);
});

test('invalid pairs (T = 0, non-finite) are NaN and excluded from aggregates (METRICS 1.3, 12)', () => {
  const r = whatIf(columns([ex, { ...ex, chosenTokens: 0 }, { ...ex, refChosen: NaN }]), { beta: 0.1, lossType: 'ipo' });
  assert.equal(r.aggregates.valid, 1);
  assert.equal(r.aggregates.invalid, 2);
  for (const i of [1, 2]) {
    for (const c of [r.chosenRewards, r.rejectedRewards, r.margins, r.losses]) assert.ok(Number.isNaN(c[i]!));
  }
  close(r.aggregates.meanLoss, 20.475625);
  const empty = whatIf(columns([]), { beta: 0.1, lossType: 'sigmoid' });
  assert.ok(Number.isNaN(empty.aggregates.meanLoss));
});

test('bad input: mismatched lengths and invalid options throw', () => {
  const cols = columns([ex, ex]);
  assert.throws(() => whatIf({ ...cols, refRejected: new Float64Array(1) }, { beta: 0.1, lossType: 'sigmoid' }), RangeError);
  assert.throws(() => whatIf(cols, { beta: -1, lossType: 'sigmoid' }), RangeError);
  assert.throws(() => whatIf(cols, { beta: 0.1, lossType: 'robust', labelSmoothing: 0.5 }), RangeError);
});

test('output buffers can be reused', () => {
  const cols = columns([ex, ex]);
  const first = whatIf(cols, { beta: 0.1, lossType: 'sigmoid' });
  const second = whatIf(cols, { beta: 1, lossType: 'hinge' }, first);
  assert.equal(second.losses, first.losses);
  close(second.losses[0]!, 0); // max(0, 1 − 1.2)
});

test('100,000 pairs recompute in well under a second', () => {
  const n = 100_000;
  const cols: PairColumns = {
    chosen: new Float64Array(n), rejected: new Float64Array(n), refChosen: new Float64Array(n), refRejected: new Float64Array(n),
    chosenTokens: new Int32Array(n), rejectedTokens: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    cols.chosen[i] = -200 * Math.random();
    cols.rejected[i] = -200 * Math.random();
    cols.refChosen[i] = cols.chosen[i]! + Math.random() - 0.5;
    cols.refRejected[i] = cols.rejected[i]! + Math.random() - 0.5;
    cols.chosenTokens[i] = 1 + Math.floor(300 * Math.random());
    cols.rejectedTokens[i] = 1 + Math.floor(300 * Math.random());
  }
  const times: string[] = [];
  let worst = 0;
  for (const lossType of LOSS_TYPES) {
    const t0 = performance.now();
    const r = whatIf(cols, { beta: 0.1, lossType, labelSmoothing: 0.1 });
    const ms = performance.now() - t0;
    assert.equal(r.aggregates.valid, n);
    worst = Math.max(worst, ms);
    times.push(`${lossType} ${ms.toFixed(1)}`);
  }
  console.log(`whatIf over ${n} pairs (ms): ${times.join(', ')}`);
  assert.ok(worst < 1000, `slowest loss type took ${worst} ms`);
});
