// TRL HEAD tokenization (METRICS.md 1.1, convention A) checked id for id against the golden
// fixture that TRL 1.13 produced itself (test/fixtures/trl-golden), plus offsets, truncation,
// chat-template lookup and a synthetic Metaspace tokenizer.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync as makeTemp, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Dataset } from '../../../native/data/dataset';
import type { Pair } from '../../../native/data/normalizePair';
import { loadModelTokenizer, type ModelTokenizer } from '../../../native/engine/tokenize/modelTokenizer';
import { tokenizePairTrl, type TrlPairInput } from '../../../native/engine/tokenize/trlTokenize';

const GOLDEN = 'test/fixtures/trl-golden';
const MODEL = `${GOLDEN}/models/reference`;
const DATASETS = ['trl_strings', 'trl_chat', 'hh_style', 'ultrafeedback_style'];
const temps: string[] = [];
const mkdtempSync = (prefix: string): string => {
  const dir = makeTemp(prefix);
  temps.push(dir);
  return dir;
};
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
const cacheDir = mkdtempSync(join(tmpdir(), 'preflens-tok-cache-'));

interface Golden {
  prompt_ids: number[];
  chosen_ids: number[];
  rejected_ids: number[];
  prompt_text: string;
  chosen_full_text: string;
  rejected_full_text: string;
  prompt_is_prefix_chosen: boolean;
  prompt_is_prefix_rejected: boolean;
}

const golden = (name: string): Golden[] => readFileSync(`${GOLDEN}/expected/${name}.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Golden);

async function pairsOf(name: string): Promise<Pair[]> {
  const dataset = await Dataset.open(`${GOLDEN}/datasets/${name}.jsonl`, { cacheDir });
  try {
    return (await dataset.readPairs(0, dataset.rowCount)).map((r, i) => {
      assert.ok(r.ok, `${name}[${i}] did not load`);
      return r.pair;
    });
  } finally {
    await dataset.close();
  }
}

let tok: ModelTokenizer;
const pairs = new Map<string, Pair[]>();
before(async () => {
  tok = await loadModelTokenizer(MODEL);
  for (const name of DATASETS) pairs.set(name, await pairsOf(name));
});

/**
 * Offsets check: tokens that share a character (parts of one multi-byte character) are grouped;
 * the groups must tile [from, text.length) without gaps, and each group's decoded bytes must equal
 * the text under its span.
 */
function assertTiles(text: string, ids: number[], offsets: [number, number][], from: number, label: string): void {
  assert.equal(offsets.length, ids.length, `${label}: one span per token`);
  let cursor = from;
  let i = 0;
  while (i < ids.length) {
    const [start, end0] = offsets[i]!;
    let end = end0;
    let j = i + 1;
    while (j < ids.length && offsets[j]![0] < end) end = Math.max(end, offsets[j++]![1]);
    assert.equal(start, cursor, `${label}: token ${i} starts at ${start}, expected ${cursor}`);
    assert.ok(end > start, `${label}: token ${i} has an empty span`);
    assert.equal(tok.decode(ids.slice(i, j)), text.slice(start, end), `${label}: tokens ${i}..${j - 1} decode to their span`);
    cursor = end;
    i = j;
  }
  assert.equal(cursor, text.length, `${label}: spans reach the end of the text`);
}

for (const name of DATASETS) {
  test(`${name}: ids, texts and prefix flags equal TRL's for every pair`, () => {
    const want = golden(name);
    const got = pairs.get(name)!;
    assert.equal(got.length, want.length);
    for (const [i, pair] of got.entries()) {
      const w = want[i]!;
      const t = tokenizePairTrl(pair, tok, { maxLength: 512 });
      const at = `${name}[${i}]`;
      assert.equal(t.dropped, undefined, at);
      assert.deepEqual(t.promptIds, w.prompt_ids, `${at} prompt_ids`);
      assert.deepEqual(t.chosenIds, w.chosen_ids, `${at} chosen_ids`);
      assert.deepEqual(t.rejectedIds, w.rejected_ids, `${at} rejected_ids`);
      assert.equal(t.promptText, w.prompt_text, `${at} prompt_text`);
      assert.equal(t.chosenFullText, w.chosen_full_text, `${at} chosen_full_text`);
      assert.equal(t.rejectedFullText, w.rejected_full_text, `${at} rejected_full_text`);
      assert.deepEqual(t.prefixMismatch, { chosen: !w.prompt_is_prefix_chosen, rejected: !w.prompt_is_prefix_rejected }, `${at} prefix flags`);
      assert.deepEqual(t.truncated, { chosen: false, rejected: false }, `${at} not truncated at 512`);
      // completion offsets tile the completion inside the full text
      for (const side of ['chosen', 'rejected'] as const) {
        const text = side === 'chosen' ? t.chosenFullText : t.rejectedFullText;
        const ids = side === 'chosen' ? t.chosenIds : t.rejectedIds;
        const offsets = side === 'chosen' ? t.chosenOffsets : t.rejectedOffsets;
        const from = t.prefixMismatch[side] ? offsets[0]![0] : t.promptText.length;
        assertTiles(text, ids, offsets, from, `${at} ${side}`);
      }
    }
  });
}

test('tokenizer properties of the golden reference model', () => {
  assert.equal(tok.eosToken, '<|im_end|>');
  assert.equal(tok.eosTokenId, 858);
  assert.equal(tok.bosToken, null);
  assert.equal(tok.bosTokenId, null);
  assert.equal(tok.padTokenId, 856);
  assert.equal(tok.vocabSize, 859);
  assert.equal(tok.offsetMode, 'byte-level');
  assert.match(tok.hash, /^[0-9a-f]{64}$/);
  assert.match(tok.chatTemplateHash ?? '', /^[0-9a-f]{64}$/);
  assert.ok(tok.chatTemplate?.includes('<|im_start|>'));
});

test('offsets are UTF-16 spans after emoji, ZWJ sequences, CJK and accents', () => {
  const text = 'Hi 👋🏽 there! 🏳️‍🌈 café 日本語 «ok»<|im_end|>\n';
  const enc = tok.encode(text, { addSpecialTokens: true });
  assertTiles(text, enc.ids, enc.offsets, 0, 'emoji text');
  // the special token spans its literal text
  const k = enc.ids.indexOf(858);
  assert.equal(text.slice(...enc.offsets[k]!), '<|im_end|>');
  // a token after the emoji starts where " th" starts in UTF-16 units (the tiny vocab splits " there")
  const th = enc.offsets.findIndex(([s, e]) => text.slice(s, e) === ' th');
  assert.ok(th > 0, '" th" is one token with an exact span');
  assert.equal(enc.offsets[th]![0], text.indexOf(' there'));
  // all four byte tokens of 👋 span its two UTF-16 code units
  const wave = text.indexOf('👋');
  assert.equal(enc.offsets.filter(([s, e]) => s === wave && e === wave + 2).length, 4);
});

test('a token merge across the prompt/completion boundary is flagged (golden trl_strings[9])', () => {
  const pair = pairs.get('trl_strings')![9]!;
  assert.ok(typeof pair.prompt === 'string' && pair.prompt.endsWith(' '));
  const t = tokenizePairTrl(pair, tok, { maxLength: 512 });
  assert.equal(t.prefixMismatch.chosen || t.prefixMismatch.rejected, true);
  assert.deepEqual(t.prefixMismatch, { chosen: true, rejected: true });
  // the prompt's last token is " "; the full text has " P" "and" "as", and TRL scores from "and":
  // the "P" is in neither the scored prompt nor the completion
  assert.equal(t.chosenFullText.slice(...t.chosenOffsets[0]!), 'and');
  assert.equal(t.chosenOffsets[0]![0], t.promptText.length + 1);
});

test('keep_start truncation cuts the completion tail; a prompt of max_length tokens or more is dropped', () => {
  const pair = pairs.get('trl_strings')![0]!;
  const full = tokenizePairTrl(pair, tok, { maxLength: null });
  const p = full.promptIds.length;
  const cut = tokenizePairTrl(pair, tok, { maxLength: p + 3 });
  assert.equal(cut.dropped, undefined);
  assert.deepEqual(cut.chosenIds, full.chosenIds.slice(0, 3));
  assert.deepEqual(cut.rejectedIds, full.rejectedIds.slice(0, 3));
  assert.deepEqual(cut.chosenOffsets, full.chosenOffsets.slice(0, 3));
  assert.deepEqual(cut.truncated, { chosen: true, rejected: true });
  const exact = tokenizePairTrl(pair, tok, { maxLength: p + full.rejectedIds.length });
  assert.deepEqual(exact.truncated, { chosen: true, rejected: false });
  for (const maxLength of [p, p - 1]) {
    const dropped = tokenizePairTrl(pair, tok, { maxLength });
    assert.match(dropped.dropped ?? '', /max_length/);
    assert.deepEqual(dropped.chosenIds, full.chosenIds, 'ids kept for display');
  }
  assert.equal(tokenizePairTrl(pair, tok).truncated.chosen, false, 'default max_length 1024');
});

test('string rows: the EOS text is appended once; mixed rows are dropped with a reason', () => {
  const base: TrlPairInput = { kind: 'string', prompt: 'Q:', chosen: ' yes<|im_end|>', rejected: '' };
  const t = tokenizePairTrl(base, tok);
  assert.equal(t.chosenFullText, 'Q: yes<|im_end|>');
  assert.deepEqual(t.rejectedIds, [858], 'an empty response scores the EOS token');
  const mixed = tokenizePairTrl({ ...base, kind: 'conversational', chosen: [{ role: 'assistant', content: 'x' }] }, tok);
  assert.match(mixed.dropped ?? '', /mix strings and message lists/);
});

test('a folder without tokenizer.json names the folder and the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'preflens-notok-'));
  await assert.rejects(loadModelTokenizer(dir), (error: Error) => error.message.includes(dir) && error.message.includes('tokenizer.json'));
});

function modelCopy(config: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'preflens-tok-'));
  copyFileSync(`${MODEL}/tokenizer.json`, join(dir, 'tokenizer.json'));
  const base = JSON.parse(readFileSync(`${MODEL}/tokenizer_config.json`, 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...base, ...config }));
  return dir;
}

test('chat templates: a named list picks "default", chat_template.jinja wins, tools and kwargs are forwarded', async () => {
  const listed = await loadModelTokenizer(modelCopy({ chat_template: [{ name: 'tool_use', template: 'T' }, { name: 'default', template: 'D{{ eos_token }}' }] }));
  assert.equal(listed.applyChatTemplate([], { addGenerationPrompt: false }), 'D<|im_end|>');
  const dir = modelCopy({});
  writeFileSync(join(dir, 'chat_template.jinja'), '{% if tools is not none %}[{{ tools[0].name }}]{% endif %}{% for m in messages %}{{ m.content }}{% endfor %}{% if greet %}!{% endif %}{% if add_generation_prompt %}>{% endif %}');
  const jinja = await loadModelTokenizer(dir);
  assert.equal(jinja.applyChatTemplate([{ role: 'user', content: 'a' }], { addGenerationPrompt: true }), 'a>');
  const t = tokenizePairTrl(
    { kind: 'conversational', prompt: [{ role: 'user', content: 'a' }], chosen: [{ role: 'assistant', content: 'b' }], rejected: [{ role: 'assistant', content: 'c' }], tools: [{ name: 'calc' }], chatTemplateKwargs: { greet: true } },
    jinja,
  );
  assert.equal(t.promptText, '[calc]a!>');
  assert.equal(t.chosenFullText, '[calc]ab!');
  const strict = await loadModelTokenizer(modelCopy({ chat_template: "{% if messages[0].role != 'system' %}{{ raise_exception('system first') }}{% endif %}x" }));
  const failed = tokenizePairTrl({ kind: 'conversational', prompt: [{ role: 'user', content: 'a' }], chosen: [{ role: 'assistant', content: 'b' }], rejected: [{ role: 'assistant', content: 'c' }] }, strict);
  assert.match(failed.dropped ?? '', /chat template failed on this row: .*system first/);
  const none = await loadModelTokenizer(modelCopy({ chat_template: null }));
  assert.equal(none.chatTemplate, null);
  assert.throws(() => none.applyChatTemplate([], { addGenerationPrompt: true }), /no chat template/);
});

/** A tiny SentencePiece-style (Metaspace, byte fallback, BOS post-processor) tokenizer. */
function metaspaceModel(): string {
  const dir = mkdtempSync(join(tmpdir(), 'preflens-metaspace-'));
  const special = (id: number, content: string): Record<string, unknown> => ({ id, content, special: true, lstrip: false, rstrip: false, normalized: false, single_word: false });
  const vocab = { '<unk>': 0, '<s>': 1, '</s>': 2, '\u2581': 3, h: 4, i: 5, '\u2581h': 6, '\u2581hi': 7, '<0xF0>': 8, '<0x9F>': 9, '<0x91>': 10, '<0x8B>': 11, '.': 12 };
  const tokenizer = {
    version: '1.0', truncation: null, padding: null, normalizer: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false },
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges: ['\u2581 h', '\u2581h i'] },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' }));
  return dir;
}

test('Metaspace tokenizer: BOS from the post-processor, best-effort offsets, byte fallback', async () => {
  const sp = await loadModelTokenizer(metaspaceModel());
  assert.equal(sp.offsetMode, 'metaspace');
  assert.equal(sp.bosTokenId, 1);
  assert.equal(sp.vocabSize, 13);
  const text = 'hi 👋 hi.';
  const enc = sp.encode(text, { addSpecialTokens: true });
  assert.deepEqual(enc.ids, [1, 7, 3, 8, 9, 10, 11, 7, 12]);
  assert.deepEqual(enc.offsets, [[0, 0], [0, 2], [2, 3], [3, 5], [3, 5], [3, 5], [3, 5], [5, 8], [8, 9]]);
  // string rows get the BOS on both the prompt and the full text, so the split still lines up
  const t = tokenizePairTrl({ kind: 'string', prompt: 'hi', chosen: ' hi', rejected: '.' }, sp);
  assert.deepEqual(t.promptIds, [1, 7]);
  assert.deepEqual(t.chosenIds, [7, 2]);
  assert.deepEqual(t.chosenOffsets, [[2, 5], [5, 9]]);
  assert.deepEqual(t.prefixMismatch, { chosen: false, rejected: false });
});
