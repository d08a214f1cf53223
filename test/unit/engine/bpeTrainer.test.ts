// The byte-level BPE trainer (examples/modelgen/bpeTrainer.ts): the Rust trainer's own unit case,
// files loadable by @huggingface/tokenizers and by PrefLens's loader, exact round trips, special
// tokens, determinism and speed.
import { Tokenizer } from '@huggingface/tokenizers';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bytesToUnicode, countByteLevelWords, learnBpe, serializeTrainedTokenizer, trainByteLevelBpe, writeTrainedTokenizer, type TrainBpeOptions } from '../../../examples/modelgen/bpeTrainer';
import { loadModelTokenizer } from '../../../native/engine/tokenize/modelTokenizer';

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'preflens-bpe-'));
  temps.push(dir);
  return dir;
};

const CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const CORPUS = [
  `The model reads the prompt, then the chosen answer and the rejected answer. For each token it
computes the log-probability under the policy and under the reference model; the difference,
scaled by beta = 0.1, is the implicit reward. In 2024, most preference datasets had 10,000 to
100,000 pairs, and the average answer was about 250 tokens long.`,
  `Café owners in Zürich and São Paulo answered the survey: 73% said the new menu was "much better",
12% said it was worse, and the rest didn't care. The naïve reading of the results is that the menu
works; the careful reading is that the question was leading. Résumé, façade, déjà vu, and crème
brûlée are French words that English borrowed.`,
  `The chosen answer is usually longer than the rejected answer. The reward model learns this bias
quickly, and the policy then learns to write longer answers. That's why we look at the margin per
token, not only the margin per answer! Don't trust a single number: check the tokens, the words,
and the examples where the model and the labels disagree. 🎉 Great work, everyone 🎉.`,
  `<|im_start|>user\nWhat is 12 + 30?<|im_end|>\n<|im_start|>assistant\nThe answer is 42.<|im_end|>\n` +
    `<|im_start|>user\nAnd the model?<|im_end|>\n<|im_start|>assistant\nThe model is small: 4 layers, 64 dims.<|im_end|>\n`,
];

const OPTIONS: TrainBpeOptions = {
  vocabSize: 384,
  specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
  chatTemplate: CHATML,
  eosToken: '<|im_end|>',
  padToken: '<|endoftext|>',
  bosToken: null,
  modelMaxLength: 512,
};

type Json = Record<string, unknown>;

test('learnBpe reproduces the Rust BpeTrainer unit test (min_frequency 2, tie to the smaller pair)', () => {
  const counts = new Map<string, number>([
    ['roses', 1], ['are', 2], ['red', 1], ['voilets', 1], ['blue', 1], ['BERT', 1],
    ['is', 2], ['big', 1], ['and', 1], ['so', 1], ['GPT-2', 1],
  ]);
  const learned = learnBpe(counts, [], 30000, 2);
  assert.deepEqual(learned.tokens, ['-', '2', 'B', 'E', 'G', 'P', 'R', 'T', 'a', 'b', 'd', 'e', 'g', 'i', 'l', 'n', 'o', 'r', 's', 't', 'u', 'v', 're', 'are', 'is']);
  assert.deepEqual(learned.merges, [[17, 11], [8, 22], [13, 18]]);
  assert.equal(learned.stoppedBy, 'min-frequency');
});

test('learnBpe merges non-overlapping runs left to right and keeps counts exact', () => {
  // "aaaaa": (a,a)=4 -> "aa aa a"; then (aa,a)=1 and (aa,aa)=1 tie: ids a=0, aa=1, so (1,0) wins -> "aa aaa" -> "aaaaa"
  const learned = learnBpe(new Map([['aaaaa', 1]]), [], 10, 0);
  assert.deepEqual(learned.tokens, ['a', 'aa', 'aaa', 'aaaaa']);
  assert.deepEqual(learned.merges, [[0, 0], [1, 0], [1, 2]]);
  assert.equal(learned.stoppedBy, 'no-pairs');
});

/** Textbook BPE with a full recount per merge and the same tie-break, to check the incremental counts. */
function naiveBpe(wordCounts: ReadonlyMap<string, number>, alphabet: readonly string[], target: number, minFrequency: number): { tokens: string[]; merges: [number, number][] } {
  const tokens = [...new Set([...alphabet, ...[...wordCounts.keys()].flatMap((w) => Array.from(w))])].sort((x, y) => x.codePointAt(0)! - y.codePointAt(0)!);
  const words = [...wordCounts].map(([w, c]) => ({ symbols: Array.from(w, (ch) => tokens.indexOf(ch)), count: c }));
  const merges: [number, number][] = [];
  while (tokens.length < target) {
    const counts = new Map<string, number>();
    for (const { symbols, count } of words) for (let i = 0; i + 1 < symbols.length; i++) counts.set(`${symbols[i]},${symbols[i + 1]}`, (counts.get(`${symbols[i]},${symbols[i + 1]}`) ?? 0) + count);
    let best: [number, number, number] | undefined;
    for (const [key, count] of counts) {
      const [a, b] = key.split(',').map(Number) as [number, number];
      if (!best || count > best[2] || (count === best[2] && (a < best[0] || (a === best[0] && b < best[1])))) best = [a, b, count];
    }
    if (!best || best[2] < Math.max(1, minFrequency)) break;
    const [a, b] = best;
    const merged = tokens[a]! + tokens[b]!;
    let n = tokens.indexOf(merged);
    if (n < 0) n = tokens.push(merged) - 1;
    merges.push([a, b]);
    for (const word of words) {
      const out: number[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (word.symbols[i] === a && word.symbols[i + 1] === b && i + 1 < word.symbols.length) {
          out.push(n);
          i++;
        } else out.push(word.symbols[i]!);
      }
      word.symbols = out;
    }
  }
  return { tokens, merges };
}

test('learnBpe (incremental counts) gives the same merges as a full recount per merge', () => {
  const cases: [string[], number][] = [
    [CORPUS, 420],
    [syntheticCorpus(20_000), 700],
  ];
  for (const [texts, target] of cases) {
    const words = countByteLevelWords(texts, OPTIONS.specialTokens);
    for (const minFrequency of [0, 2]) {
      const fast = learnBpe(words, bytesToUnicode(), target, minFrequency);
      const slow = naiveBpe(words, bytesToUnicode(), target, minFrequency);
      assert.deepEqual(fast.tokens, slow.tokens);
      assert.deepEqual(fast.merges, slow.merges);
    }
  }
});

test('byte-level words: GPT-2 split, byte symbols, special tokens cut out', () => {
  const words = countByteLevelWords(['Hi there<|im_end|>  there é'], ['<|im_end|>']);
  assert.deepEqual([...words], [['Hi', 1], ['Ġthere', 2], ['Ġ', 1], ['ĠÃ©', 1]]);
  const alphabet = bytesToUnicode();
  assert.equal(new Set(alphabet).size, 256);
  assert.equal(alphabet[32], 'Ġ');
  assert.equal(alphabet[10], 'Ċ');
});

test('trained tokenizer: structure mirrors the golden fixture, loads in @huggingface/tokenizers, round-trips exactly', () => {
  const start = performance.now();
  const trained = trainByteLevelBpe(CORPUS, OPTIONS);
  console.log(`small corpus: ${CORPUS.join('').length} chars -> ${trained.stats.learnedVocab} learned ids, ${trained.stats.merges} merges in ${(performance.now() - start).toFixed(1)} ms`);
  const json = trained.tokenizerJson as Json;
  const golden = JSON.parse(readFileSync('test/fixtures/trl-golden/models/reference/tokenizer.json', 'utf8')) as Json;
  assert.deepEqual(Object.keys(json), Object.keys(golden));
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'truncation', 'padding', 'version']) assert.deepEqual(json[key], golden[key], key);
  const model = json.model as Json;
  const goldenModel = golden.model as Json;
  for (const key of Object.keys(goldenModel)) if (key !== 'vocab' && key !== 'merges') assert.deepEqual(model[key], goldenModel[key], key);
  // the first 256 ids are the byte symbols in code-point order, exactly as in the golden vocab
  const vocab = model.vocab as Record<string, number>;
  const goldenVocab = goldenModel.vocab as Record<string, number>;
  for (const [token, id] of Object.entries(goldenVocab)) if (id < 256) assert.equal(vocab[token], id, token);
  assert.equal(trained.stats.stoppedBy, 'vocab-size');
  assert.equal(Object.keys(vocab).length + OPTIONS.specialTokens.length, OPTIONS.vocabSize);
  assert.deepEqual(json.added_tokens, [
    { id: 381, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: 382, content: '<|im_start|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: 383, content: '<|im_end|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  ]);

  const goldenConfig = JSON.parse(readFileSync('test/fixtures/trl-golden/models/reference/tokenizer_config.json', 'utf8')) as Json;
  const config = trained.tokenizerConfig as Json;
  assert.deepEqual(Object.keys(config), Object.keys(goldenConfig));
  assert.deepEqual({ ...config, added_tokens_decoder: undefined, model_max_length: undefined }, { ...goldenConfig, added_tokens_decoder: undefined, model_max_length: undefined });
  assert.deepEqual(Object.values(config.added_tokens_decoder as Json), Object.values(goldenConfig.added_tokens_decoder as Json));
  assert.deepEqual(Object.keys(config.added_tokens_decoder as Json), ['381', '382', '383']);
  const goldenMap = JSON.parse(readFileSync('test/fixtures/trl-golden/models/reference/special_tokens_map.json', 'utf8')) as Json;
  assert.deepEqual(trained.specialTokensMap, goldenMap);

  // load through the files as written, the way a model folder is read
  const files = serializeTrainedTokenizer(trained);
  const tok = new Tokenizer(JSON.parse(files['tokenizer.json']) as object, JSON.parse(files['tokenizer_config.json']) as object);
  assert.equal(tok.get_vocab(true).size, OPTIONS.vocabSize);
  const samples = [
    'The model reads the chosen answer.',
    'Zebras juggle quixotic xylophones in Reykjavík — 3.14159 × 2 = 6.28318!',
    'emoji 👋🏽 and 🎉, CJK 漢字かな, Greek αβγ, combining é (e\u0301), tabs\tand\nnewlines  \n\n  end ',
    "it's we've they'll I'd don't   multiple   spaces ,  space before comma",
    '',
    ' ',
    '\u0000\u0001 control \u007f bytes',
  ];
  for (const text of samples) {
    const { ids, tokens } = tok.encode(text, { add_special_tokens: true });
    assert.equal(ids.length, tokens.length);
    assert.ok(ids.every((id) => Number.isInteger(id) && id >= 0 && id < OPTIONS.vocabSize), `ids in range for ${JSON.stringify(text)}`);
    // the JS library refuses to decode an empty id list
    if (ids.length > 0) assert.equal(tok.decode(ids), text, `round trip of ${JSON.stringify(text)}`);
    else assert.equal(text, '');
  }

  // special tokens are matched in text and get their ids; nothing is added around the text
  const endId = tok.token_to_id('<|im_end|>');
  assert.equal(endId, 383);
  const hi = tok.encode('hi<|im_end|>', { add_special_tokens: true }).ids;
  assert.equal(hi[hi.length - 1], 383);
  assert.equal(hi.filter((id) => id >= 381).length, 1);
  const chat = tok.encode('<|im_start|>user\nhello<|im_end|>\n', { add_special_tokens: true });
  assert.equal(chat.ids[0], 382);
  assert.ok(chat.ids.includes(383));
  assert.equal(tok.decode(chat.ids, { skip_special_tokens: false }), '<|im_start|>user\nhello<|im_end|>\n');

  // frequent words are single tokens
  for (const word of [' the', ' model', ' answer', 'The']) {
    const { tokens } = tok.encode(word, { add_special_tokens: false });
    assert.equal(tokens.length, 1, `${JSON.stringify(word)} -> ${JSON.stringify(tokens)}`);
  }
});

test('training is deterministic: the same inputs give byte-identical files', () => {
  const first = serializeTrainedTokenizer(trainByteLevelBpe(CORPUS, OPTIONS));
  const second = serializeTrainedTokenizer(trainByteLevelBpe([...CORPUS], { ...OPTIONS, specialTokens: [...OPTIONS.specialTokens] }));
  assert.deepEqual(first, second);
  // the vocab is written in id order (integer-like tokens such as "0" would otherwise come first)
  const vocab = (JSON.parse(first['tokenizer.json']) as { model: { vocab: Record<string, number> } }).model.vocab;
  const text = first['tokenizer.json'];
  const ids = [...text.slice(text.indexOf('"vocab"'), text.indexOf('"merges"')).matchAll(/": (\d+)/g)].map((m) => Number(m[1]));
  assert.deepEqual(ids, Object.values(vocab).sort((x, y) => x - y));
  assert.ok('0' in vocab);
  // a different corpus gives different merges
  const other = serializeTrainedTokenizer(trainByteLevelBpe([...CORPUS].reverse().concat('zzz zzz zzz zzz'), OPTIONS));
  assert.notEqual(other['tokenizer.json'], first['tokenizer.json']);
});

test('options are checked', () => {
  assert.throws(() => trainByteLevelBpe(CORPUS, { ...OPTIONS, vocabSize: 258 }), /at least 256/);
  assert.throws(() => trainByteLevelBpe(CORPUS, { ...OPTIONS, eosToken: '</s>' }), /not one of the special tokens/);
  assert.throws(() => trainByteLevelBpe(CORPUS, { ...OPTIONS, specialTokens: ['<a>', '<a>'], eosToken: '<a>', padToken: '<a>' }), /distinct/);
  // a corpus too small for the request stops early and says why
  const small = trainByteLevelBpe(['tiny text'], { ...OPTIONS, vocabSize: 2048 });
  assert.equal(small.stats.stoppedBy, 'min-frequency');
  assert.ok(small.stats.learnedVocab < 2048 - 3);
});

test('PrefLens loadModelTokenizer reads the written folder: special ids, chat template, offsets tile the text', async () => {
  const trained = trainByteLevelBpe(CORPUS, { ...OPTIONS, bosToken: '<|endoftext|>' });
  const dir = tempDir();
  assert.deepEqual(writeTrainedTokenizer(dir, trained), ['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
  const tok = await loadModelTokenizer(dir);
  assert.equal(tok.eosToken, '<|im_end|>');
  assert.equal(tok.eosTokenId, 383);
  assert.equal(tok.padTokenId, 381);
  assert.equal(tok.bosTokenId, 381);
  assert.equal(tok.vocabSize, OPTIONS.vocabSize);
  assert.equal(tok.offsetMode, 'byte-level');
  const rendered = tok.applyChatTemplate([{ role: 'user', content: 'Café? 🎉' }, { role: 'assistant', content: 'Oui.' }], { addGenerationPrompt: false });
  assert.equal(rendered, '<|im_start|>user\nCafé? 🎉<|im_end|>\n<|im_start|>assistant\nOui.<|im_end|>\n');
  for (const text of [rendered, 'Unseen wörds like flibbertigibbet 🤖🤖 and 1234567.', 'hi<|im_end|>']) {
    const { ids, offsets } = tok.encode(text, { addSpecialTokens: true });
    assert.equal(offsets.length, ids.length);
    assert.equal(tok.decode(ids), text);
    assert.equal(offsets[0]![0], 0);
    assert.equal(offsets[offsets.length - 1]![1], text.length);
    for (let i = 1; i < offsets.length; i++) {
      const [prevStart, prevEnd] = offsets[i - 1]!;
      const [start, end] = offsets[i]!;
      assert.ok(start >= prevStart && start <= prevEnd && end >= start, `span ${i} [${start},${end}) after [${prevStart},${prevEnd}) in ${JSON.stringify(text)}`);
    }
    // the spans, minus the overlaps inside multi-byte characters shared by byte tokens, rebuild the text
    const joined = offsets.map(([s, e], i) => text.slice(i > 0 ? Math.max(s, offsets[i - 1]![1]) : s, e)).join('');
    assert.equal(joined, text);
  }
  const hi = tok.encode('hi<|im_end|>', { addSpecialTokens: true });
  assert.equal(hi.ids[hi.ids.length - 1], 383);
  assert.deepEqual(hi.offsets[hi.offsets.length - 1], [2, 12]);
});

/** Deterministic ~200 KB English-like corpus (a seeded LCG over a word list). */
function syntheticCorpus(bytes: number): string[] {
  const words: string[] = [...(CORPUS.slice(0, 3).join(' ').match(/\p{L}+/gu) ?? [])].concat(['preference', 'reward', 'margin', 'policy', 'dataset', 'tokenizer', 'gradient']);
  const punct = ['.', ',', '!', '?', ';', ':', ' -', '"'];
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const out: string[] = [];
  let size = 0;
  while (size < bytes) {
    let para = '';
    const sentences = 3 + rand(5);
    for (let s = 0; s < sentences; s++) {
      const len = 5 + rand(15);
      const parts: string[] = [];
      for (let w = 0; w < len; w++) {
        const r = rand(20);
        parts.push(r === 0 ? String(rand(10000)) : r === 1 ? `${words[rand(words.length)]!}${punct[rand(punct.length)]!}` : words[rand(words.length)]!);
      }
      para += `${parts.join(' ')}. `;
    }
    out.push(para);
    size += para.length;
  }
  return out;
}

test('speed: ~200 KB of text to a 1024 vocab', () => {
  const texts = syntheticCorpus(200_000);
  const start = performance.now();
  const trained = trainByteLevelBpe(texts, { ...OPTIONS, vocabSize: 1024 });
  const ms = performance.now() - start;
  console.log(`200 KB corpus: ${trained.stats.words} distinct words, ${trained.stats.wordOccurrences} occurrences -> ${trained.stats.merges} merges in ${ms.toFixed(0)} ms`);
  assert.equal(trained.stats.stoppedBy, 'vocab-size');
  assert.equal(trained.stats.learnedVocab, 1021);
  assert.ok(ms < 15_000, `training took ${ms.toFixed(0)} ms`);
});
