// Factor scores per response and dataset rating columns (METRICS.md §5, §12).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FACTORS, attributeFactors, fleschReadingEase, jaccard, repeatedTrigramFraction, responseFactors, syllables } from '../../../native/metrics/factors';

const close = (a: number | undefined, b: number, eps = 1e-9) => assert.ok(a !== undefined && Math.abs(a - b) <= eps, `${a} != ${b}`);

test('FACTORS documents every factor responseFactors returns, and nothing else', () => {
  const keys = Object.keys(responseFactors('Hello there. How are you?', 'hello', 7)).sort();
  assert.deepEqual(keys, FACTORS.map((f) => f.name).sort());
  for (const f of FACTORS) assert.ok(f.description.length > 10 && f.higher.startsWith('the '), f.name);
  assert.ok(!('length_tokens' in responseFactors('Hello there.')), 'length_tokens only with a token count');
});

test('length, sentences and token count', () => {
  const f = responseFactors('The cat sat. The dog ran away! Did it?', '', 12);
  assert.equal(f.length_words, 9);
  assert.equal(f.length_tokens, 12);
  assert.equal(f.sentences, 3);
});

test('markdown structure: list items, headers and code blocks, ignoring fenced content', () => {
  const text = ['# Title', '## Part', '- one', '* two', '• three', '1. four', '2) five', '---', '```ts', '- not an item', '# not a header', '```', '~~~', 'x', '~~~'].join('\n');
  const f = responseFactors(text);
  assert.equal(f.list_items, 5);
  assert.equal(f.headers, 2);
  assert.equal(f.code_blocks, 2);
  assert.equal(responseFactors('#hashtag is not a header\n-1 is not an item').headers, 0);
  assert.equal(responseFactors('```\nunclosed').code_blocks, 1);
});

test('readability: Flesch reading ease with the vowel-group syllable heuristic', () => {
  assert.deepEqual(['the', 'cat', 'table', 'made', 'hello', 'beautiful', 'walked', '42'].map(syllables), [1, 1, 2, 1, 2, 3, 1, 1]);
  // 'The cat sat.': 3 words, 1 sentence, 3 syllables.
  close(responseFactors('The cat sat.').readability, 206.835 - 1.015 * 3 - 84.6 * 1);
  close(fleschReadingEase(['beautiful', 'table'], 2), 206.835 - 1.015 * 1 - 84.6 * 2.5);
  assert.ok(Number.isNaN(responseFactors('').readability), 'undefined for an empty response');
  assert.ok(responseFactors('The cat sat on the mat.').readability! > responseFactors('Institutional considerations necessitate comprehensive organizational restructuring.').readability!);
});

test('prompt overlap is the Jaccard similarity of word sets', () => {
  close(responseFactors('Paris is the capital', 'What is the capital of France?').prompt_overlap, 3 / 7);
  close(jaccard(new Set(), new Set()), 0);
  assert.equal(responseFactors('Completely unrelated', 'What is it?').prompt_overlap, 0);
});

test('repetition: 1 − distinct/words, and the repeated-trigram fraction', () => {
  const f = responseFactors('a b c a b c');
  close(f.repetition, 0.5);
  close(f.repeated_trigrams, 1 / 4); // trigrams abc bca cab abc: the last repeats
  close(repeatedTrigramFraction(['x', 'y']), 0);
  assert.equal(responseFactors('').repetition, 0);
});

test('refusal, hedging and apology phrases (curly apostrophes too, whole words only)', () => {
  const refusal = responseFactors("I'm sorry, but I can’t help with that. As an AI, I won't.");
  assert.equal(refusal.refusal, 4); // i'm sorry, but · i can't · as an ai · i won't
  assert.equal(refusal.apology, 1);
  assert.equal(responseFactors('I am not able to help, I cannot do it.').refusal, 2);
  assert.equal(responseFactors('Scanned documents are cannotated? No: scannot.').refusal, 0);
  const hedge = responseFactors('It might work. Perhaps it depends; I think so.');
  close(hedge.hedging, (100 * 4) / 9); // might, perhaps, it depends, i think over 9 words
  assert.equal(responseFactors('We apologize. Our apologies. Sorry!').apology, 3);
  assert.equal(responseFactors('Mighty oaks grow.').hedging, 0);
});

test('numeric and citation density', () => {
  const f = responseFactors('In 2023 about 3.14 or 1,000 people came.');
  close(f.numeric_density, 3 / f.length_words!);
  const c = responseFactors('See https://example.org/x for details [1]. According to Smith it holds [2, 3]. Fine.');
  close(c.citation_density, 4 / 3);
});

test('attributeFactors: chosen/rejected rating columns in every naming style', () => {
  const attrs = attributeFactors({
    score_chosen: 8, score_rejected: '3', chosen_helpfulness: 4, rejected_helpfulness: 2, 'chosen-rating': 5, 'rejected-rating': 1,
    Correctness_Chosen: 1, Correctness_Rejected: 0, chosen: 'text', rejected: 'other', tone_chosen: 'warm', tone_rejected: 'cold', only_chosen: 3,
    nan_chosen: Number.NaN, nan_rejected: 1,
  });
  assert.deepEqual(attrs.map((a) => [a.name, a.chosen, a.rejected]), [
    ['attr:score', 8, 3], ['attr:helpfulness', 4, 2], ['attr:rating', 5, 1], ['attr:Correctness', 1, 0],
  ]);
  assert.equal(attrs[3]!.rejectedColumn, 'Correctness_Rejected');
  assert.deepEqual(attributeFactors(undefined), []);
});
