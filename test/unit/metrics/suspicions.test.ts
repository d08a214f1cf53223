import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reviewPairs, type PairEvidence } from '../../../native/metrics/suspicions';
import { compareTexts } from '../../../native/metrics/textCompare';

const base = (i: number, margin: number, extra: Partial<PairEvidence> = {}): PairEvidence => ({
  index: i, id: `p${i}`, margin, refChosen: -10, refRejected: -12, chosenText: `A helpful answer number ${i} with details.`, rejectedText: `No idea, look it up yourself ${i}.`, ...extra,
});

test('text comparisons: identical, format-only, near-identical, length-only', () => {
  assert.equal(compareTexts('Same.', 'Same.').identical, true);
  assert.equal(compareTexts('Use cold water, then soap.', 'use cold water then soap').formatOnly, true);
  assert.ok(compareTexts('Rinse it with cold water and soap.', 'Rinse it with cold water and dish soap.').similarity >= 0.85);
  const padded = compareTexts('Rome is the capital of Italy, and as I said, Rome, yes Rome, is really the capital city of Italy indeed.', 'Rome is the capital of Italy.');
  assert.equal(padded.lengthOnly, true);
  assert.equal(padded.longer, 'chosen');
});

test('the margin threshold is calibrated on the dataset (robust scale), not fixed', () => {
  const pairs = Array.from({ length: 50 }, (_, i) => base(i, 1 + 0.1 * Math.sin(i)));
  pairs.push(base(50, -0.5));
  const narrow = reviewPairs(pairs);
  assert.ok(narrow.suspicions[50]!.some((s) => s.reason === 'policy-prefers-rejected'), 'a margin of -0.5 stands out when margins barely vary');
  const wide = reviewPairs(pairs.map((p, i) => (i < 50 ? { ...p, margin: 10 * Math.sin(i) } : p)));
  assert.ok(!wide.suspicions[50]!.some((s) => s.reason === 'policy-prefers-rejected'), 'but not when margins vary by +-10');
});

test('each reason carries evidence a person can check, and the ranking orders by strength', () => {
  const pairs = [
    base(0, 2),
    base(1, -3, { ensembleMean: -0.4, ensembleStd: 0.1, confidentLearningFlag: true, selfConfidence: 0.2 }),
    base(2, 1.9, { chosenText: 'Same text.', rejectedText: 'Same text.' }),
    base(3, 2.1, { contradictory: true }),
    base(4, 1.8, { attributes: { score_chosen: 3, score_rejected: 8 } }),
    base(5, 2.2, { chosenTokenIds: [1, 2], rejectedTokenIds: [1, 2] }),
    ...Array.from({ length: 20 }, (_, i) => base(6 + i, 2 + 0.05 * i)),
  ];
  const r = reviewPairs(pairs);
  const reasons = (k: number) => r.suspicions[k]!.map((s) => s.reason);
  assert.deepEqual(reasons(1), ['policy-prefers-rejected', 'ensemble-prefers-rejected', 'confident-learning']);
  assert.deepEqual(reasons(2), ['identical-responses']);
  assert.deepEqual(reasons(3), ['contradictory-duplicate']);
  assert.deepEqual(reasons(4), ['scores-contradict-label']);
  assert.deepEqual(reasons(5), ['token-identical']);
  assert.deepEqual(reasons(0), []);
  assert.match(r.suspicions[1]![0]!.evidence, /margin -3\.000/);
  assert.match(r.suspicions[4]![0]!.evidence, /3 < 8/);
  assert.equal(r.ranking[0], 1, 'strongest label-noise evidence first');
  assert.ok(!r.ranking.includes(0), 'pairs without suspicions are not in the review list');
});

test('a near-identical pair is not accused of a wrong label on its margin alone', () => {
  const pairs = [...Array.from({ length: 30 }, (_, i) => base(i, 1 + 0.01 * i)), base(30, -5, { chosenText: 'Keep the heater at least three feet away from curtains, bedding and furniture, and never leave it running while you sleep.', rejectedText: 'Keep the heater at least 3 feet away from curtains, bedding and furniture, and never leave it running while you sleep.' })];
  const r = reviewPairs(pairs);
  const margin = r.suspicions[30]!.find((s) => s.reason === 'policy-prefers-rejected');
  assert.ok(margin && margin.strength <= 1, 'margin evidence is damped on trivial differences');
});

test('of two contradictory duplicates the copy the policy disagrees with ranks first', () => {
  const pairs = [
    base(0, 0.8, { contradictory: true }),
    base(1, -0.8, { contradictory: true }),
    ...Array.from({ length: 20 }, (_, i) => base(2 + i, 1 + 0.05 * i)),
  ];
  const r = reviewPairs(pairs);
  assert.equal(r.ranking[0], 1);
  assert.ok(r.score[1]! > r.score[0]! + 1, `${r.score[1]} vs ${r.score[0]}`);
  assert.ok(r.suspicions[0]!.some((s) => s.reason === 'contradictory-duplicate'), 'the twin keeps its reason');
});

test('a pair whose label the policy strongly rejects outranks a merely near-identical pair', () => {
  const pairs = [
    base(0, -0.1, { chosenText: 'Rinse it with cold water and soap.', rejectedText: 'Rinse it with cold water and dish soap.', ensembleMean: -0.1 }),
    base(1, -3, { ensembleMean: -2.5 }),
    ...Array.from({ length: 20 }, (_, i) => base(2 + i, 1 + 0.2 * Math.sin(i))),
  ];
  const r = reviewPairs(pairs);
  assert.deepEqual(r.ranking.slice(0, 2), [1, 0]);
});
