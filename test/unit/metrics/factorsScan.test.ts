// The single-pass factor implementation (factorText, factorPhrases, factorSentences, the typed-array
// τ and Bradley–Terry loops) against the plain definitions it replaced (factorsReference.ts):
// every value must be identical, on the unit-test texts and on adversarial random text.
import { mulberry32 } from '../../../examples/modelgen/prng';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareProfiles, factorInfluence, modelJudge, pairFactors, type FactorPair } from '../../../native/metrics/factorInfluence';
import { responseFactors } from '../../../native/metrics/factors';
import { PhraseCounter } from '../../../native/metrics/factorPhrases';
import { countSentences } from '../../../native/metrics/factorSentences';
import { IdMarks, Vocabulary, WordBuffer, scanWords } from '../../../native/metrics/factorText';
import { fitFactorLogistic } from '../../../native/metrics/logisticFit';
import { splitSentences } from '../../../native/metrics/segments';
import { words } from '../../../native/metrics/textCompare';
import { referenceFactorInfluence, referenceFitFactorLogistic, referenceResponseFactors } from './factorsReference';

/** Fragments chosen to hit every rule's edge: phrase spacing and apostrophes, case mappings that
 * change length (İ), astral letters and emoji, CJK and Unicode terminators, abbreviations, numbers,
 * citations, markdown lines, every line break and some Unicode spaces. */
const FRAGMENTS = [
  "I can't", 'I CANNOT', 'i can not', "I'm sorry, but", 'I’m sorry,  but', 'I am sorry,\tbut', 'As an AI', "I won't", 'i will not',
  'not able to help', 'unable to help', "I'm unable to", 'I‘m not able to', 'I ʼm', 'Iʼm sorry, but', "i can't assist", 'I must decline',
  'against my guidelines', "I don't feel comfortable", 'might', 'Mighty', 'perhaps', 'maybe', 'it depends', 'It\u00a0depends', 'I think',
  'i believe', 'probably', 'likely', 'may', 'dismay', 'could be', 'it seems', 'seems to', 'not sure', 'generally', 'typically',
  'in some cases', 'arguably', 'sorry', 'Sorry!', 'apologize', 'apologise', 'apologies', 'apology', 'my apologies', 'I regret',
  'cannotated', 'scannot', "don't", 'x’i can’t', 'İstanbul', 'İ', 'ΣΑΣ', 'straße', 'Ǆ', '𝐀𝐁𝐂', '😀', '👍🏽', '🎉', '\ud83d', '\ude00', 'e\u0301',
  '3.14', '1,000', '1.2.3', '12,,3', '5.', '.5', 'abc123', '٣٤', '2023', 'v1.2', '0,5', '1.', '2)', '3-4',
  'https://example.org/x', 'HTTP://A.B', 'www.site.com', '[1]', '[2, 3]', '[4–5]', '[x]', 'According to', 'according to', 'accordingly',
  'Mr.', 'Dr.', 'e.g.', 'i.e.', 'U.S.', 'etc.', 'Fig.', 'No.', 'J.', 'a.', 'iv.', 'p.m.', 'vs.', '...', '…', '?!', '!!!', '."', '.)', ".'",
  '。', '！', '？', '｡', '؟', '।', '“Why?”', '«', '»', '(', ')', '"', "'", '`', '*', '_', '¿', '¡', ':', ';', ',', '-', '—',
  '# Title', '## Part', '####### seven', '#tag', '- item', '* item', '• item', '1. item', '2) item', '-1', '```', '~~~', '```ts', '    ```',
  'the', 'cat', 'table', 'beautiful', 'walked', 'created', 'The', 'A', 'a', 'b', 'c', 'Hello', 'world', 'One', 'two',
];
const SEPARATORS = [' ', ' ', ' ', ' ', '  ', '\n', '\n\n', '\r\n', '\r', '\u2028', '\u2029', '\t', '\u00a0', '\u3000', '', ', ', '. ', '.\n', '! '];

function randomText(rng: () => number, maxParts: number): string {
  const n = Math.floor(rng() * maxParts);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += FRAGMENTS[Math.floor(rng() * FRAGMENTS.length)]!;
    s += SEPARATORS[Math.floor(rng() * SEPARATORS.length)]!;
  }
  return s;
}

const KNOWN_TEXTS = [
  '', ' ', '\n', 'Hello there. How are you?', 'The cat sat. The dog ran away! Did it?', 'The cat sat.',
  ['# Title', '## Part', '- one', '* two', '• three', '1. four', '2) five', '---', '```ts', '- not an item', '# not a header', '```', '~~~', 'x', '~~~'].join('\n'),
  '#hashtag is not a header\n-1 is not an item', '```\nunclosed', 'Paris is the capital', 'a b c a b c',
  "I'm sorry, but I can’t help with that. As an AI, I won't.", 'I am not able to help, I cannot do it.', 'Scanned documents are cannotated? No: scannot.',
  'It might work. Perhaps it depends; I think so.', 'We apologize. Our apologies. Sorry!', 'Mighty oaks grow.', 'In 2023 about 3.14 or 1,000 people came.',
  'See https://example.org/x for details [1]. According to Smith it holds [2, 3]. Fine.',
  'Mr. Smith met Dr. Jones, i.e. his doctor, vs. Mrs. Lee. J. R. R. Tolkien wrote it. See Fig. 3 and No. 5 now.',
  'Wait... What? I thought so… maybe. Okay!!! Really?! Yes.', 'He said "Hello." Then he left. (This is an aside.) Next one.',
  'Done! 🎉 Next.', '你好。世界。', 'It is etc. "((((((((\nWorld', 'Hi etc. "(\nWorld', '1. first\n2. second', 'Intro:\n1. a\n2. b',
];

const same = (a: Record<string, number>, b: Record<string, number>, what: string) => {
  assert.deepEqual(Object.keys(a), Object.keys(b), `${what}: keys`);
  for (const k of Object.keys(b)) assert.ok(Object.is(a[k], b[k]), `${what}: ${k} ${a[k]} != ${b[k]}`);
};

test('responseFactors equals the reference definition on the unit-test texts', () => {
  for (const text of KNOWN_TEXTS) for (const prompt of ['', 'hello', 'What is the capital of France?', text]) {
    same(responseFactors(text, prompt), referenceResponseFactors(text, prompt), JSON.stringify(text));
    same(responseFactors(text, prompt, 12), referenceResponseFactors(text, prompt, 12), JSON.stringify(text));
  }
});

test('responseFactors equals the reference definition on adversarial random text', () => {
  const rng = mulberry32(20241);
  for (let i = 0; i < 4000; i++) {
    const text = randomText(rng, 40);
    const prompt = i % 3 === 0 ? text.slice(0, 30) : randomText(rng, 8);
    same(responseFactors(text, prompt), referenceResponseFactors(text, prompt), JSON.stringify([text, prompt]));
  }
});

test('countSentences equals splitSentences(text).length', () => {
  const rng = mulberry32(7);
  for (const text of KNOWN_TEXTS) assert.equal(countSentences(text), splitSentences(text).length, JSON.stringify(text));
  for (let i = 0; i < 4000; i++) {
    const text = randomText(rng, 30);
    assert.equal(countSentences(text), splitSentences(text).length, JSON.stringify(text));
  }
  // Every BMP code unit in a few positions: as a would-be terminator, closer, opener and line content.
  for (let c = 0; c < 0x10000; c += c < 0x3100 ? 1 : 61) {
    const ch = String.fromCharCode(c);
    for (const text of [`Ab${ch} Cd`, `Ab.${ch} Cd`, `Ab. ${ch}Cd`, `Ab etc. ${ch}(\nX`, `${ch}`, `Ab${ch}`, `No.${ch} 5 x`]) {
      assert.equal(countSentences(text), splitSentences(text).length, JSON.stringify(text));
    }
  }
});

test('scanWords is words(): same words (as interned ids) in order, and their start offsets', () => {
  const rng = mulberry32(99);
  const vocab = new Vocabulary();
  const buffer = new WordBuffer();
  for (let i = 0; i < 2000; i++) {
    const text = randomText(rng, 30);
    const lower = text.toLowerCase();
    scanWords(lower, vocab, buffer);
    const expected = words(text);
    assert.deepEqual(Array.from(buffer.ids.subarray(0, buffer.n), (id) => vocab.words[id]), expected, JSON.stringify(text));
    for (let k = 0; k < buffer.n; k++) assert.ok(lower.startsWith(expected[k]!, buffer.starts[k]!));
    assert.equal(buffer.numbers, text.match(/\d+(?:[.,]\d+)*/g)?.length ?? 0, JSON.stringify(text));
  }
});

test('Vocabulary reset: a new epoch restarts ids, and marks and phrase tags follow', () => {
  const vocab = new Vocabulary(8);
  const marks = new IdMarks(vocab);
  const phrases = new PhraseCounter(vocab, [['i think'], ['sorry']]);
  const buffer = new WordBuffer();
  const counts = [0, 0];
  const text = 'one two three four five six seven eight nine ten. I think so, sorry.';
  scanWords(text.toLowerCase(), vocab, buffer);
  assert.ok(vocab.size > 8);
  marks.clear();
  assert.ok(marks.add(buffer.ids[0]!) && !marks.add(buffer.ids[0]!));
  vocab.maybeReset();
  assert.equal(vocab.size, 0);
  assert.equal(vocab.epoch, 1);
  scanWords('sorry i think'.toLowerCase(), vocab, buffer);
  assert.deepEqual(Array.from(buffer.ids.subarray(0, buffer.n)), [0, 1, 2]);
  phrases.count('sorry i think', 'sorry i think', buffer, counts);
  assert.deepEqual(counts, [1, 1]);
  marks.clear();
  assert.ok(!marks.has(0) && marks.add(0));
});

/** Pairs of random texts with a shared prompt, some with dataset rating columns. */
function randomPairs(seed: number, count: number): { pairs: FactorPair[]; margins: number[] } {
  const rng = mulberry32(seed);
  const pairs: FactorPair[] = [];
  const margins: number[] = [];
  for (let i = 0; i < count; i++) {
    const prompt = randomText(rng, 10);
    const attributes = i % 4 === 0 ? { score_chosen: Math.floor(rng() * 5), score_rejected: Math.floor(rng() * 5) } : undefined;
    pairs.push(pairFactors(randomText(rng, 40), randomText(rng, 40), prompt, i % 2 ? { chosen: 10 + i, rejected: 20 } : undefined, attributes));
    margins.push(i % 17 === 0 ? Number.NaN : rng() - 0.4);
  }
  return { pairs, margins };
}

test('factor influence and compareProfiles equal the reference τ computation', () => {
  const { pairs, margins } = randomPairs(5, 600);
  const judge = modelJudge(margins);
  for (const ties of ['exclude', 'include'] as const) {
    assert.deepEqual(factorInfluence(pairs, judge, { ties }), referenceFactorInfluence(pairs, judge, { ties }));
  }
  const cmp = compareProfiles(pairs, judge);
  assert.deepEqual(cmp.label, referenceFactorInfluence(pairs, pairs.map(() => 1)));
  assert.deepEqual(cmp.model, referenceFactorInfluence(pairs, judge, { factors: cmp.label.map((f) => f.factor) }));
  // Raw judgements (not signs), NaN and ±Infinity factor values.
  const odd: FactorPair[] = [
    { chosen: { x: Infinity, y: 1 }, rejected: { x: 1, y: Number.NaN } },
    { chosen: { x: -0, y: 2 }, rejected: { x: 0, y: 1 } },
    { chosen: { x: 3, y: 2 }, rejected: { x: 1, y: 1 } },
  ];
  assert.deepEqual(factorInfluence(odd, [0.5, Number.NaN, -2]), referenceFactorInfluence(odd, [0.5, Number.NaN, -2]));
});

test('fitFactorLogistic is bit-for-bit the reference fit', () => {
  const { pairs, margins } = randomPairs(8, 800);
  const names = ['length_words', 'length_tokens', 'sentences', 'readability', 'hedging', 'refusal', 'prompt_overlap', 'repetition', 'attr:score', 'list_items'];
  const diffs = pairs.map((p) => names.map((k) => (p.chosen[k] ?? Number.NaN) - (p.rejected[k] ?? Number.NaN)));
  const outcomes = margins.map((m) => m > 0);
  assert.deepEqual(fitFactorLogistic(names, diffs), referenceFitFactorLogistic(names, diffs));
  assert.deepEqual(fitFactorLogistic(names, diffs, outcomes, { ridge: 0.1 }), referenceFitFactorLogistic(names, diffs, outcomes, { ridge: 0.1 }));
  // Collinear and constant factors are dropped the same way.
  const twice = diffs.map((d) => [d[0]!, 2 * d[0]!, 0, d[3]!]);
  assert.deepEqual(fitFactorLogistic(['a', 'b', 'c', 'd'], twice, outcomes), referenceFitFactorLogistic(['a', 'b', 'c', 'd'], twice, outcomes));
});
