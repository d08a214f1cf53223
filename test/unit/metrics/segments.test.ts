// Sentence / sub-sentence segments and segment rewards (METRICS.md 6.2, 6.4, 9).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sum } from '../../../native/metrics/rewards';
import {
  segmentRewards,
  splitSentences,
  splitSubSentences,
  subSentenceStarts,
  worstSegment,
  type Span,
} from '../../../native/metrics/segments';
import { cumulativeRewards, tokenRewards } from '../../../native/metrics/tokenRewards';

const sentences = (text: string, from?: number, to?: number) => splitSentences(text, from, to).map(([a, b]) => text.slice(a, b));

/** Spans are sorted, disjoint, non-empty and never start or end in whitespace. */
function checkSpans(text: string, spans: Span[]) {
  let prev = 0;
  for (const [a, b] of spans) {
    assert.ok(a >= prev && b > a, `bad span [${a}, ${b})`);
    assert.doesNotMatch(text[a]!, /\s/);
    assert.doesNotMatch(text[b - 1]!, /\s/);
    prev = b;
  }
}

test('sentences: abbreviations, titles and initials do not end a sentence', () => {
  const t = 'Mr. Smith met Dr. Jones, i.e. his doctor, vs. Mrs. Lee. J. R. R. Tolkien wrote it. See Fig. 3 and No. 5 now.';
  assert.deepEqual(sentences(t), ['Mr. Smith met Dr. Jones, i.e. his doctor, vs. Mrs. Lee.', 'J. R. R. Tolkien wrote it.', 'See Fig. 3 and No. 5 now.']);
  assert.deepEqual(sentences('Fruit, e.g. apples, pears, etc. are cheap. We buy them, etc. The end.'), [
    'Fruit, e.g. apples, pears, etc. are cheap.',
    'We buy them, etc.',
    'The end.',
  ]);
  assert.deepEqual(sentences('We met at 5 p.m. on Monday. He lives in the U.S. He likes it.'), [
    'We met at 5 p.m. on Monday.',
    'He lives in the U.S.',
    'He likes it.',
  ]);
});

test('sentences: decimals, numbers, URLs and e-mails do not split', () => {
  const t = 'Pi is 3.14 roughly. It costs $3.50. Visit https://example.com/a.b?c=d. Mail john.doe@example.org today. Version 1.2.3 is out';
  assert.deepEqual(sentences(t), ['Pi is 3.14 roughly.', 'It costs $3.50.', 'Visit https://example.com/a.b?c=d.', 'Mail john.doe@example.org today.', 'Version 1.2.3 is out']);
  assert.deepEqual(sentences('It was 2023. Then came 2024.'), ['It was 2023.', 'Then came 2024.']);
});

test('sentences: ellipses, repeated and mixed punctuation', () => {
  assert.deepEqual(sentences('Wait... What? I thought so… maybe. Okay!!! Really?! Yes.'), ['Wait...', 'What?', 'I thought so… maybe.', 'Okay!!!', 'Really?!', 'Yes.']);
  assert.deepEqual(sentences('Well... the end...'), ['Well... the end...']);
});

test('sentences: closing quotes and brackets stay with their sentence', () => {
  assert.deepEqual(sentences('He said "Hello." Then he left. (This is an aside.) Next one.'), ['He said "Hello."', 'Then he left.', '(This is an aside.)', 'Next one.']);
  assert.deepEqual(sentences('"Go!" he shouted. She asked, “Why?” Nobody knew.'), ['"Go!" he shouted.', 'She asked, “Why?”', 'Nobody knew.']);
  assert.deepEqual(sentences("It's 'done.' Fine."), ["It's 'done.'", 'Fine.']);
});

test('sentences: line breaks end segments (paragraphs and lists)', () => {
  const t = 'Steps:\n1. Open the file.\n2. Save it.\n\n- item one\n- item two\r\nLast line';
  assert.deepEqual(sentences(t), ['Steps:', '1. Open the file.', '2. Save it.', '- item one', '- item two', 'Last line']);
  assert.deepEqual(sentences('Steps: 1. Open the file. 2. Save it.'), ['Steps: 1. Open the file.', '2. Save it.']);
  assert.deepEqual(sentences('a. first\nb. second'), ['a. first', 'b. second']);
});

test('sentences: emoji keep UTF-16 spans intact and stay with the sentence they follow', () => {
  const t = 'Thanks! 🎉 See you 👋🏽. Bye 👨‍👩‍👧! 😀 Great';
  const spans = splitSentences(t);
  checkSpans(t, spans);
  assert.deepEqual(spans.map(([a, b]) => t.slice(a, b)), ['Thanks! 🎉', 'See you 👋🏽.', 'Bye 👨‍👩‍👧! 😀', 'Great']);
  assert.deepEqual(spans[0], [0, 10], 'the emoji is two UTF-16 units');
});

test('sentences: CJK punctuation splits without spaces', () => {
  assert.deepEqual(sentences('你好。今天天气很好！你呢？「好的。」谢谢'), ['你好。', '今天天气很好！', '你呢？', '「好的。」', '谢谢']);
  assert.deepEqual(sentences('こんにちは。元気ですか？'), ['こんにちは。', '元気ですか？']);
  assert.deepEqual(sentences('नमस्ते। आप कैसे हैं?'), ['नमस्ते।', 'आप कैसे हैं?']);
});

test('sentences: no punctuation, empty and blank text, outer whitespace', () => {
  assert.deepEqual(sentences('no punctuation at all here'), ['no punctuation at all here']);
  assert.deepEqual(splitSentences(''), []);
  assert.deepEqual(splitSentences('  \n\t '), []);
  assert.deepEqual(splitSentences('  Leading and trailing.  '), [[2, 23]]);
  assert.deepEqual(splitSentences('...'), [[0, 3]]);
});

test('sentences: a range [from, to) gives spans in the coordinates of the whole text', () => {
  const prompt = '<|im_start|>user\nHi. Hello.<|im_end|>\n<|im_start|>assistant\n';
  const text = `${prompt}Sure. Here it is.<|im_end|>\n`;
  const end = text.indexOf('<|im_end|>', prompt.length);
  const spans = splitSentences(text, prompt.length, end);
  assert.deepEqual(spans, [[prompt.length, prompt.length + 5], [prompt.length + 6, end]]);
  assert.deepEqual(splitSentences('Hi. There', -5, 99), [[0, 3], [4, 9]], 'the range is clamped to the text');
  assert.deepEqual(splitSentences('abc', 2, 1), []);
});

test('sentences: spans are well formed on assorted text', () => {
  for (const t of ['A. b. C.', ' . . ', 'x!\n\n\ny?', 'Dr. ', 'e.g.', '🎉', '。。', 'a\u2028b', 'End."  ']) checkSpans(t, splitSentences(t));
});

test('sub-sentence starts: FineGrainedRLHF get_sub_sentence_starts vectors', () => {
  // Expected values computed with the Python reference (fgrlhf/reward_utils.py) on the same words.
  const starts = (s: string) => subSentenceStarts(s.split(' ')).flatMap((b, i) => (b ? [i] : []));
  assert.deepEqual(starts('One, two three four five six seven'), [0], 'first sub-sentence would be shorter than 5: no split');
  assert.deepEqual(starts('w1 w2 w3 w4 w5, w6 w7 w8 w9 w10 w11'), [0, 5]);
  assert.deepEqual(starts('w1 w2 w3 w4 w5, w6 w7 w8 w9 w10'), [0], 'needs more than 5 words after the split');
  assert.deepEqual(starts('a b c d e, f g, h i j k l m'), [0, 7], 'short middle part merges into the one before');
  assert.deepEqual(starts('a b c d e, f g, h i, j k l m n o'), [0, 9], 'merging repeats');
  assert.deepEqual(starts('a b c d e; f g h i j k, l m n o p q'), [0, 5, 11]);
  assert.deepEqual(starts('Yes! a b c d e f'), [0]);
  assert.deepEqual(starts('a b c d e,f g h i j k'), [0], 'only the last character of a word counts');
  assert.deepEqual(starts('a b c d e. f g h i j k'), [0], 'a period is not a clause end');
  assert.deepEqual(subSentenceStarts([]), []);
  assert.deepEqual(subSentenceStarts(['a, b c'], 5), [true]);
  assert.deepEqual(subSentenceStarts('a, b, c d'.split(' '), 1), [true, true, true, false], 'minWords is a parameter');
});

test('sub-sentences: spans inside sentences, word spans joined', () => {
  const t = 'When I went to the store, I bought apples, pears, and plums; then I went home, happy and tired. Short one, yes.';
  const subs = splitSubSentences(t);
  checkSpans(t, subs);
  assert.deepEqual(subs.map(([a, b]) => t.slice(a, b)), [
    'When I went to the store, I bought apples, pears, and plums;',
    'then I went home, happy and tired.',
    'Short one, yes.',
  ]);
  assert.deepEqual(splitSubSentences(''), []);
});

// ---- segment rewards -------------------------------------------------------------------------

/** A word-level fake tokenizer: " word" pieces and runs of whitespace, GPT-2 style, as UTF-16 spans. */
function fakeTokens(text: string, from: number, to: number): Span[] {
  return [...text.slice(from, to).matchAll(/\s?\S+|\s+/g)].map((m) => [from + m.index, from + m.index + m[0].length] as Span);
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** The invariants of segmentRewards: contiguous ranges covering every token once, exact folds. */
function checkSegments(segs: ReturnType<typeof segmentRewards>, r: ArrayLike<number>) {
  let next = 0;
  let acc = 0;
  const q = cumulativeRewards(r);
  for (const s of segs) {
    assert.equal(s.tokens[0], next, 'ranges are contiguous: every token assigned exactly once');
    let own = 0;
    for (let t = s.tokens[0]; t < s.tokens[1]; t++) {
      own += r[t]!;
      acc += r[t]!;
    }
    assert.equal(s.reward, own, 'segment reward is the in-order sum of its tokens');
    assert.equal(s.cumulative, acc, 'cumulative is the in-order running sum');
    if (s.tokens[1] > 0) assert.equal(s.cumulative, q[s.tokens[1] - 1]);
    next = s.tokens[1];
  }
  assert.equal(next, r.length, 'all tokens assigned');
  assert.equal(acc, sum(r), 'summing token rewards segment by segment, in order, gives the response reward exactly');
  if (segs.length > 0) assert.equal(segs[segs.length - 1]!.cumulative, sum(r), 'last cumulative === response reward');
  const total = segs.reduce((a, s) => a + s.reward, 0);
  assert.ok(Math.abs(total - sum(r)) <= 1e-12 * (1 + r.length), `${total} vs ${sum(r)}`);
}

test('segment rewards: METRICS 1.5 token rewards over two sentences sum to the response reward', () => {
  const text = 'Yes. No way.';
  const spans: Span[] = [[0, 3], [3, 4], [4, 7], [7, 12]]; // "Yes" "." " No" " way."
  const r = tokenRewards([-1.2, -0.5, -2.0, -0.3], [-1.0, -0.9, -2.2, -0.4], 0.1);
  const segs = segmentRewards(spans, r, splitSentences(text), 0);
  assert.deepEqual(segs.map((s) => s.tokens), [[0, 2], [2, 4]]);
  assert.ok(Math.abs(segs[0]!.reward - 0.02) < 1e-9 && Math.abs(segs[1]!.reward - 0.03) < 1e-9);
  assert.equal(segs[1]!.cumulative, sum(r));
  checkSegments(segs, r);
});

test('segment rewards: dyadic rewards make the segment sum bit-exact', () => {
  const next = rng(11);
  const text = 'One two, three four five six seven eight. Nine ten! Eleven? Twelve thirteen fourteen.';
  const spans = fakeTokens(text, 0, text.length);
  const r = spans.map(() => Math.round((next() - 0.5) * 4096) / 1024);
  for (const segments of [splitSentences(text), splitSubSentences(text)]) {
    const segs = segmentRewards(spans, r, segments, 0);
    assert.equal(segs.reduce((a, s) => a + s.reward, 0), sum(r));
    checkSegments(segs, r);
  }
});

test('segment rewards: random texts and rewards keep every invariant', () => {
  const next = rng(3);
  const words = ['Hello', 'world.', 'e.g.', 'Dr.', 'x,', 'y;', '3.14', 'ok!', 'why?', '🎉', '你好。', 'end.\n', '\n\n', 'and'];
  for (let trial = 0; trial < 300; trial++) {
    const n = Math.floor(next() * 40);
    const text = ` ${Array.from({ length: n }, () => words[Math.floor(next() * words.length)]).join(' ')}<|im_end|>\n`;
    const end = text.indexOf('<|im_end|>');
    const spans = [...fakeTokens(text, 0, end), [end, end + 10] as Span, [end + 10, end + 11] as Span];
    const r = spans.map(() => 0.1 * (Math.fround(-5 * next()) - Math.fround(-5 * next())));
    checkSegments(segmentRewards(spans, r, splitSentences(text, 0, end), 0), r);
    checkSegments(segmentRewards(spans, r, splitSubSentences(text, 0, end), 0), r);
  }
});

test('trap: adding segment rewards re-associates float addition, so use `cumulative` for bit equality', () => {
  const r = [0.1, 0.2, 0.3];
  const segs = segmentRewards([[0, 1], [2, 3], [3, 4]], r, [[0, 1], [2, 4]], 0);
  assert.deepEqual(segs.map((s) => s.reward), [0.1, 0.5]);
  assert.notEqual(segs[0]!.reward + segs[1]!.reward, sum(r), '0.1 + 0.5 !== (0.1 + 0.2) + 0.3');
  assert.equal(segs[1]!.cumulative, sum(r));
});

test('segment rewards: tokens before, between and after segments (end-of-turn tokens go last)', () => {
  const text = '\nHi there. Bye now.<|im_end|>\n';
  const segments = splitSentences(text, 0, 19); // [1, 10) and [11, 19)
  assert.deepEqual(segments, [[1, 10], [11, 19]]);
  const spans: Span[] = [[0, 1], [1, 3], [3, 9], [9, 10], [10, 14], [14, 18], [18, 19], [19, 29], [29, 30]];
  const r = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const segs = segmentRewards(spans, r, segments, 0);
  assert.deepEqual(segs.map((s) => s.tokens), [[0, 4], [4, 9]], '"\\n" goes first, " Bye" next, <|im_end|> and "\\n" last');
  assert.deepEqual(segs.map((s) => s.reward), [10, 35]);
  assert.deepEqual(segs.map((s) => s.span), [[1, 10], [11, 19]]);
  checkSegments(segs, r);
});

test('segment rewards: byte-level tokens sharing an emoji span land in one segment', () => {
  const text = 'Great 🎉! Next one.';
  assert.deepEqual(sentences(text), ['Great 🎉!', 'Next one.']);
  // "Great" " 🎉" split into three byte tokens (one span, or the first carries it and the rest are empty)
  for (const emoji of [[[5, 8], [5, 8], [5, 8]], [[5, 8], [8, 8], [8, 8]]] as Span[][]) {
    const spans: Span[] = [[0, 5], ...emoji, [8, 9], [9, 14], [14, 18], [18, 19]];
    const r = [0.5, -0.25, -0.125, -0.0625, 0.03125, 1, 2, 4];
    const segs = segmentRewards(spans, r, splitSentences(text), 0);
    assert.deepEqual(segs.map((s) => s.tokens), [[0, 5], [5, 8]]);
    checkSegments(segs, r);
  }
});

test('segment rewards: a segment without tokens, out-of-order spans, no segments at all', () => {
  // one token covers two sentences: the second sentence owns no token
  const segs = segmentRewards([[0, 5], [5, 6]], [0.25, 0.5], [[0, 2], [3, 5]], 0);
  assert.deepEqual(segs.map((s) => [s.tokens, s.reward, s.cumulative]), [[[0, 1], 0.25, 0.25], [[1, 2], 0.5, 0.75]]);
  const mid = segmentRewards([[0, 1], [7, 8]], [1, 2], [[0, 2], [3, 5], [6, 8]], 0);
  assert.deepEqual(mid.map((s) => [s.tokens, s.reward, s.cumulative]), [[[0, 1], 1, 1], [[1, 1], 0, 1], [[1, 2], 2, 3]]);
  const tail = segmentRewards([[0, 1]], [1], [[0, 2], [3, 5]], 0);
  assert.deepEqual(tail.map((s) => [s.tokens, s.reward, s.cumulative]), [[[0, 1], 1, 1], [[1, 1], 0, 1]]);
  // a token whose start goes backwards stays in the current segment (ranges stay contiguous)
  const back = segmentRewards([[0, 1], [4, 5], [1, 2]], [1, 2, 4], [[0, 2], [3, 5]], 0);
  assert.deepEqual(back.map((s) => s.tokens), [[0, 1], [1, 3]]);
  // blank completion: every token goes to one empty segment at completionStart
  const blank = segmentRewards([[40, 50]], [-0.5], [], 40);
  assert.deepEqual(blank, [{ span: [40, 40], reward: -0.5, tokens: [0, 1], cumulative: -0.5 }]);
  assert.deepEqual(segmentRewards([], [], [], 7), []);
  assert.deepEqual(segmentRewards([], [], [[0, 3]], 0), [{ span: [0, 3], reward: 0, tokens: [0, 0], cumulative: 0 }]);
});

test('segment rewards: bad input throws', () => {
  assert.throws(() => segmentRewards([[0, 1]], [1, 2], [[0, 1]], 0), RangeError);
  assert.throws(() => segmentRewards([[0, 1]], [1], [[3, 5], [0, 2]], 0), RangeError);
  assert.throws(() => segmentRewards([[0, 1]], [1], [[0, 4], [3, 5]], 0), RangeError);
});

test('worst segment: the most negative reward, first on ties, none when nothing is negative', () => {
  const segs = segmentRewards([[0, 1], [3, 4], [6, 7], [9, 10]], [0.5, -0.25, 0.125, -0.25], [[0, 2], [3, 5], [6, 8], [9, 11]], 0);
  assert.equal(worstSegment(segs), segs[1]);
  assert.equal(worstSegment(segs.filter((s) => s.reward > 0)), undefined);
  assert.equal(worstSegment([]), undefined);
  assert.equal(worstSegment([{ reward: Number.NaN }, { reward: -1 }])?.reward, -1);
});
