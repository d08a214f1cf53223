/**
 * Suspicions: evidence that a pair's label may be wrong or that the pair teaches nothing, each
 * with its reason and the numbers behind it, plus one combined ranking for a person to review.
 * Suspicions are evidence, not verdicts: they never change the data (METRICS 12, 14).
 *
 * Design note
 * - Label-noise evidence: the policy strongly prefers the rejected response (margin below
 *   -k x the margins' robust scale, MAD x 1.4826: calibrated on the dataset, not a fixed
 *   number); the reference also prefers it (difficulty c = S_ref(y_l) - S_ref(y_w) > threshold,
 *   METRICS 3.4); the ensemble of checkpoints prefers it (mean preference strength < 0, METRICS
 *   7.2); confident learning flags it (METRICS 11); the dataset's own scores contradict the label.
 * - Structural evidence: identical or token-identical responses (zero DPO gradient), only the
 *   format differs, near-identical responses, only the length differs (textCompare.ts), the same
 *   comparison labelled both ways elsewhere in the dataset.
 * - Review score = label-noise strength (how far the margin is below zero in robust-scale units,
 *   capped at 4) + up to 1 for each other label-noise reason (the ensemble graded by how far its
 *   mean margin is below zero) + fixed, smaller weights for structural reasons, so that pairs
 *   whose label is probably wrong come before pairs that are merely uninformative. Of two
 *   contradictory duplicates, the copy the policy disagrees with carries the weight.
 *   A near-identical or format-only pair's margin says little about its label, so its
 *   margin evidence is damped. Thresholds are settings with the documented defaults below.
 */
import { compareTexts, type TextComparison } from './textCompare';

export type SuspicionReason =
  | 'policy-prefers-rejected'
  | 'reference-prefers-rejected'
  | 'ensemble-prefers-rejected'
  | 'confident-learning'
  | 'scores-contradict-label'
  | 'identical-responses'
  | 'token-identical'
  | 'format-only'
  | 'near-identical'
  | 'length-only'
  | 'contradictory-duplicate';

export interface Suspicion {
  reason: SuspicionReason;
  /** One sentence a person can check against the pair. */
  evidence: string;
  strength: number;
}

export interface PairEvidence {
  index: number;
  id: string;
  margin: number;
  refChosen: number;
  refRejected: number;
  chosenText: string;
  rejectedText: string;
  chosenTokenIds?: ArrayLike<number>;
  rejectedTokenIds?: ArrayLike<number>;
  attributes?: Record<string, unknown>;
  /** The same pair id occurs with the opposite label elsewhere. */
  contradictory?: boolean;
  ensembleMean?: number;
  ensembleStd?: number;
  confidentLearningFlag?: boolean;
  selfConfidence?: number;
}

export interface SuspicionThresholds {
  /** Policy margin below -k x robust scale. Default 0.25. */
  marginScales: number;
  /** Reference difficulty c above this (nats). Default 2. */
  referenceC: number;
  /** Word-level similarity at or above this is near-identical. Default 0.85. */
  nearIdentical: number;
}

export const DEFAULT_THRESHOLDS: SuspicionThresholds = { marginScales: 0.25, referenceC: 2, nearIdentical: 0.85 };

export interface ReviewResult {
  suspicions: Suspicion[][];
  score: Float64Array;
  /** Pair positions (into the input array) most suspicious first; only pairs with suspicions. */
  ranking: number[];
  marginScale: number;
}

function robustScale(values: number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return 1;
  const median = finite[Math.floor(finite.length / 2)]!;
  const deviations = finite.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
  return Math.max(1e-6, 1.4826 * deviations[Math.floor(deviations.length / 2)]!);
}

const sameIds = (a?: ArrayLike<number>, b?: ArrayLike<number>): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && Array.from(a).every((v, i) => v === b[i]);

function scorePairs(attributes: Record<string, unknown> | undefined): [number, number] | undefined {
  if (!attributes) return undefined;
  for (const [c, r] of [['score_chosen', 'score_rejected'], ['chosen_score', 'rejected_score'], ['chosen-rating', 'rejected-rating'], ['chosen_rating', 'rejected_rating']]) {
    const a = attributes[c!];
    const b = attributes[r!];
    if (typeof a === 'number' && typeof b === 'number') return [a, b];
  }
  return undefined;
}

const f = (x: number, d = 3): string => x.toFixed(d);

export function reviewPairs(pairs: readonly PairEvidence[], thresholds: SuspicionThresholds = DEFAULT_THRESHOLDS): ReviewResult {
  const marginScale = robustScale(pairs.map((p) => p.margin));
  const suspicions: Suspicion[][] = [];
  const score = new Float64Array(pairs.length);
  pairs.forEach((p, k) => {
    const list: Suspicion[] = [];
    const text: TextComparison = compareTexts(p.chosenText, p.rejectedText);
    const add = (reason: SuspicionReason, strength: number, evidence: string): void => void list.push({ reason, strength, evidence });
    if (text.identical) add('identical-responses', 3, 'chosen and rejected are identical: the pair has no preference and gives DPO no gradient');
    else if (sameIds(p.chosenTokenIds, p.rejectedTokenIds)) add('token-identical', 3, 'chosen and rejected are the same tokens after truncation to max_length: zero gradient');
    else if (text.formatOnly) add('format-only', 1.5, 'the two responses have the same words and differ only in punctuation, case or formatting');
    else if (text.similarity >= thresholds.nearIdentical) add('near-identical', 1, `the responses are ${f(100 * text.similarity, 0)}% the same words: the label rests on a trivial difference`);
    if (text.lengthOnly) add('length-only', 1, `the ${text.longer} response (${text.longer === 'chosen' ? text.chosenWords : text.rejectedWords} words) says what the other (${text.longer === 'chosen' ? text.rejectedWords : text.chosenWords} words) says, padded: the label may be driven by length alone`);
    // One of the two copies is wrong; the copy whose label the model disagrees with is the one to
    // read first, so it carries the weight and its twin a reminder.
    if (p.contradictory) add('contradictory-duplicate', p.margin < 0 ? 2 : 0.5, 'the same prompt and responses appear elsewhere with chosen and rejected swapped');
    const trivial = text.identical || text.formatOnly || text.similarity >= thresholds.nearIdentical;
    const z = -p.margin / marginScale;
    if (Number.isFinite(p.margin) && z > thresholds.marginScales) {
      add('policy-prefers-rejected', Math.min(4, z) * (trivial ? 0.25 : 1), `the policy prefers the rejected response: margin ${f(p.margin)} is ${f(z, 1)} robust scales (${f(marginScale)}) below zero`);
    }
    // "Also": on its own, a reference that finds the rejected response likelier is common (it is
    // often just shorter) and says nothing about the label; beside a policy that learned to prefer
    // it, it means the preference was never learnable from this label.
    const c = p.refRejected - p.refChosen;
    const policyAgainst = list.some((x) => x.reason === 'policy-prefers-rejected');
    if (policyAgainst && Number.isFinite(c) && c > thresholds.referenceC) add('reference-prefers-rejected', 0.5, `the reference model also finds the rejected response more likely (difficulty c = ${f(c, 2)} nats)`);
    // Graded like the margin: checkpoints that barely lean towards the rejected response are weak evidence.
    if (p.ensembleMean !== undefined && p.ensembleMean < 0) add('ensemble-prefers-rejected', Math.min(1, -p.ensembleMean / marginScale), `across the policy checkpoints the mean margin is ${f(p.ensembleMean)}${p.ensembleStd !== undefined ? ` (std ${f(p.ensembleStd)})` : ''}: they agree on the rejected response`);
    if (p.confidentLearningFlag) add('confident-learning', 1, `confident learning flags the label: out-of-sample P(chosen preferred) = ${f(p.selfConfidence ?? Number.NaN)}`);
    const scores = scorePairs(p.attributes);
    if (scores && scores[0] < scores[1]) add('scores-contradict-label', 1.5, `the dataset's own scores rate the rejected response higher (${scores[0]} < ${scores[1]})`);
    suspicions.push(list);
    score[k] = list.reduce((s, x) => s + x.strength, 0);
  });
  const ranking = pairs.map((_, k) => k).filter((k) => suspicions[k]!.length > 0).sort((a, b) => score[b]! - score[a]! || pairs[a]!.margin - pairs[b]!.margin);
  return { suspicions, score, ranking, marginScale };
}
