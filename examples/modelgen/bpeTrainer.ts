/**
 * A deterministic byte-level BPE tokenizer trainer that writes Hugging Face fast-tokenizer files
 * (`tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json`), so the demo and test
 * models can get a tokenizer of their own with no model hub.
 *
 * Design note
 * - What: the Hugging Face `tokenizers` BpeTrainer as a GPT-2 style ByteLevel tokenizer runs it
 *   (tokenizers/src/models/bpe/trainer.rs), followed by `add_special_tokens`, as the TRL golden
 *   fixture's tokenizer was made (test/fixtures/trl-golden/models/reference): ids 0..255 are the
 *   256 byte symbols of GPT-2's `bytes_to_unicode`, sorted by code point; then the learned tokens
 *   in merge order; then the special tokens, in the order given.
 * - Pre-tokenization: the text is first cut at the special tokens (they are matched before
 *   anything else at encode time, so their pieces are never learned), then split with the GPT-2
 *   regex and mapped to byte symbols; identical pieces are counted once with their frequency.
 * - Training, as the Rust trainer: repeatedly merge the most frequent adjacent pair; ties go to
 *   the pair with the smaller (left id, right id), which is the Rust trainer's own tie-break. A
 *   merge that yields an existing token string adds no id (the vocab then grows by less than one
 *   per merge). It stops when the vocab holds `vocabSize - specialTokens.length` tokens, when no
 *   pair is left, or when the best pair occurs fewer than `minFrequency` times (default 2, as
 *   `ByteLevelBPETokenizer.train`), so a small corpus can give a smaller vocabulary than asked:
 *   `trainByteLevelBpe` says so in `stats` and `serialize...` does not hide it.
 * - Speed: pair counts and the words holding each pair are updated incrementally after every
 *   merge (only the words that held the merged pair are rewritten), and the best pair comes from
 *   a lazy max-heap whose stale entries are re-pushed with their current count, as in Rust.
 * - Output: `post_processor: null` (no BOS/EOS is ever added), `normalizer: null`, ByteLevel
 *   pre-tokenizer and decoder with the golden fixture's settings, merges as "a b" strings (byte
 *   symbols never contain a space; the JS and Rust loaders accept both this and [a, b] pairs).
 *   tokenizer_config.json has the golden fixture's keys, sorted as transformers writes them.
 * - Invariants: the same texts and options give byte-identical files (`serializeTrainedTokenizer`
 *   writes the vocab in id order and every other object in a fixed key order; nothing records
 *   time, host or paths). `additional_special_tokens` defaults to the special tokens other than
 *   the pad and BOS tokens (the golden fixture and Qwen2.5 chat models list the EOS token there).
 * Example: trainByteLevelBpe(texts, { vocabSize: 1024, specialTokens: ['<|endoftext|>',
 * '<|im_start|>', '<|im_end|>'], eosToken: '<|im_end|>', padToken: '<|endoftext|>', chatTemplate,
 * modelMaxLength: 512 }) -> vocab ids 0..1020, '<|endoftext|>' = 1021, '<|im_end|>' = 1023.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TrainBpeOptions {
  /** Total ids, including the 256 byte symbols and the special tokens (e.g. 1024). */
  vocabSize: number;
  /** A pair seen fewer times than this is never merged; 2 by default. */
  minFrequency?: number;
  /** Added after the learned vocab, in this order, e.g. ['<|endoftext|>', '<|im_start|>', '<|im_end|>']. */
  specialTokens: string[];
  chatTemplate: string;
  eosToken: string;
  padToken: string;
  bosToken?: string | null;
  modelMaxLength: number;
  /** `additional_special_tokens`; by default the special tokens other than the pad and BOS tokens. */
  additionalSpecialTokens?: string[];
}

export interface TrainedTokenizer {
  tokenizerJson: object;
  tokenizerConfig: object;
  specialTokensMap: object;
  stats: TrainStats;
}

export interface TrainStats {
  /** Distinct pre-tokenized words and their total count. */
  words: number;
  wordOccurrences: number;
  /** Learned ids (bytes + merged tokens), excluding the special tokens. */
  learnedVocab: number;
  merges: number;
  /** Why training stopped. */
  stoppedBy: 'vocab-size' | 'no-pairs' | 'min-frequency';
}

/** GPT-2's pre-tokenization regex, as the ByteLevel pre-tokenizer uses it (`use_regex: true`). */
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's `bytes_to_unicode`: byte -> the printable character standing for it. */
export function bytesToUnicode(): string[] {
  const printable = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(printable(b) ? b : 256 + n++));
  return out;
}

// ---------------------------------------------------------------------------------------------
// BPE core (independent of byte-level; exported for tests)
// ---------------------------------------------------------------------------------------------

export interface LearnedBpe {
  /** Token strings by id: the alphabet sorted by code point, then merged tokens in merge order. */
  tokens: string[];
  /** Merges in rank order, as token ids. */
  merges: [number, number][];
  stoppedBy: TrainStats['stoppedBy'];
}

interface HeapEntry {
  count: number;
  a: number;
  b: number;
}

/** Max-heap on count, then the smaller (a, b) first (the Rust trainer's `Ord for Merge`). */
class PairHeap {
  private readonly items: HeapEntry[] = [];

  private static before(x: HeapEntry, y: HeapEntry): boolean {
    if (x.count !== y.count) return x.count > y.count;
    if (x.a !== y.a) return x.a < y.a;
    return x.b < y.b;
  }

  push(entry: HeapEntry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!PairHeap.before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): HeapEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < items.length && PairHeap.before(items[l]!, items[best]!)) best = l;
      if (r < items.length && PairHeap.before(items[r]!, items[best]!)) best = r;
      if (best === i) break;
      [items[i], items[best]] = [items[best]!, items[i]!];
      i = best;
    }
    return top;
  }
}

/** Ids stay below 2^26, so a pair (a, b) fits one number: a * base + b (a small integer for small vocabs). */
const MAX_IDS = 2 ** 26;

/**
 * Learns BPE merges from word counts until `targetVocab` tokens exist (alphabet included), as the
 * Rust BpeTrainer does without special tokens, prefixes or suffixes. Every character of the words
 * and of `initialAlphabet` is a base token.
 */
export function learnBpe(wordCounts: ReadonlyMap<string, number>, initialAlphabet: Iterable<string>, targetVocab: number, minFrequency: number): LearnedBpe {
  if (targetVocab >= MAX_IDS) throw new Error(`vocabulary size ${targetVocab} is too large (at most ${MAX_IDS - 1})`);
  const alphabet = new Set<string>(initialAlphabet);
  for (const word of wordCounts.keys()) for (const ch of word) alphabet.add(ch);
  const tokens = [...alphabet].sort((x, y) => x.codePointAt(0)! - y.codePointAt(0)!);
  const idOf = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const base = Math.max(targetVocab, tokens.length); // no id reaches it
  const pairKey = (a: number, b: number): number => a * base + b;

  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    if (count <= 0) continue;
    words.push(Array.from(word, (ch) => idOf.get(ch)!));
    counts.push(count);
  }

  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  words.forEach((symbols, w) => {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = pairKey(symbols[i]!, symbols[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + counts[w]!);
      let at = where.get(key);
      if (!at) where.set(key, (at = new Set()));
      at.add(w);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) if (count > 0) heap.push({ count, a: Math.floor(key / base), b: key % base });

  const merges: [number, number][] = [];
  let stoppedBy: TrainStats['stoppedBy'] = 'vocab-size';
  while (tokens.length < targetVocab) {
    const top = heap.pop();
    if (!top) {
      stoppedBy = 'no-pairs';
      break;
    }
    const { a, b } = top;
    const key = pairKey(a, b);
    const current = pairCounts.get(key) ?? 0;
    if (top.count !== current) {
      if (current > 0) heap.push({ count: current, a, b });
      continue;
    }
    if (current < 1 || current < minFrequency) {
      stoppedBy = current < 1 ? 'no-pairs' : 'min-frequency';
      break;
    }
    const merged = tokens[a]! + tokens[b]!;
    let n = idOf.get(merged);
    if (n === undefined) {
      n = tokens.length;
      tokens.push(merged);
      idOf.set(merged, n);
    }
    merges.push([a, b]);

    const grown = new Set<number>();
    const change = (x: number, y: number, delta: number, w: number): void => {
      const k = pairKey(x, y);
      pairCounts.set(k, (pairCounts.get(k) ?? 0) + delta * counts[w]!);
      if (delta > 0) {
        let at = where.get(k);
        if (!at) where.set(k, (at = new Set()));
        at.add(w);
        grown.add(k);
      }
    };
    for (const w of where.get(key) ?? []) {
      const symbols = words[w]!;
      let out: number[] | undefined;
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === a && symbols[i + 1] === b && i + 1 < symbols.length) {
          out ??= symbols.slice(0, i);
          const prev = out[out.length - 1];
          if (prev !== undefined) {
            change(prev, a, -1, w);
            change(prev, n, 1, w);
          }
          out.push(n);
          const next = symbols[i + 2];
          if (next !== undefined) {
            change(b, next, -1, w);
            change(n, next, 1, w);
          }
          i++;
        } else if (out) out.push(symbols[i]!);
      }
      if (out) words[w] = out;
    }
    // every occurrence is merged; stale word indices in other pairs' sets are harmless
    pairCounts.delete(key);
    where.delete(key);
    for (const k of grown) {
      const count = pairCounts.get(k) ?? 0;
      if (count > 0) heap.push({ count, a: Math.floor(k / base), b: k % base });
    }
  }
  return { tokens, merges, stoppedBy };
}

// ---------------------------------------------------------------------------------------------
// Byte-level training and the Hugging Face files
// ---------------------------------------------------------------------------------------------

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Pre-tokenized byte-level words and their counts; text matching a special token is left out. */
export function countByteLevelWords(texts: readonly string[], specialTokens: readonly string[]): Map<string, number> {
  const raw = new Map<string, number>();
  const specials = [...new Set(specialTokens)].filter((t) => t.length > 0).sort((x, y) => y.length - x.length || (x < y ? -1 : x > y ? 1 : 0));
  const splitter = specials.length > 0 ? new RegExp(specials.map(escapeRegex).join('|'), 'u') : undefined;
  for (const text of texts) {
    for (const segment of splitter ? text.split(splitter) : [text]) {
      for (const piece of segment.match(GPT2_PATTERN) ?? []) raw.set(piece, (raw.get(piece) ?? 0) + 1);
    }
  }
  const byteChars = bytesToUnicode();
  const words = new Map<string, number>();
  for (const [piece, count] of raw) {
    let word = '';
    for (const byte of Buffer.from(piece, 'utf8')) word += byteChars[byte]!;
    words.set(word, (words.get(word) ?? 0) + count);
  }
  return words;
}

function addedToken(id: number, content: string): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** Keys of a plain object sorted as Python's `json.dumps(sort_keys=True)` does (by code unit). */
function sortedObject(entries: [string, unknown][]): Record<string, unknown> {
  return Object.fromEntries([...entries].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function checkOptions(options: TrainBpeOptions): void {
  const { vocabSize, specialTokens } = options;
  if (!Number.isSafeInteger(vocabSize) || vocabSize < 256 + specialTokens.length) {
    throw new Error(`vocabSize must be an integer of at least 256 + ${specialTokens.length} special tokens, got ${vocabSize}`);
  }
  if (options.minFrequency !== undefined && !(options.minFrequency >= 0)) throw new Error(`minFrequency must be >= 0, got ${options.minFrequency}`);
  if (!Number.isSafeInteger(options.modelMaxLength) || options.modelMaxLength <= 0) throw new Error(`modelMaxLength must be a positive integer, got ${options.modelMaxLength}`);
  if (new Set(specialTokens).size !== specialTokens.length || specialTokens.some((t) => t.length === 0)) throw new Error('special tokens must be distinct and non-empty');
  const named: [string, string | null | undefined][] = [['eosToken', options.eosToken], ['padToken', options.padToken], ['bosToken', options.bosToken]];
  for (const [name, token] of named) {
    if (token !== null && token !== undefined && !specialTokens.includes(token)) throw new Error(`${name} ${JSON.stringify(token)} is not one of the special tokens`);
  }
  for (const token of options.additionalSpecialTokens ?? []) {
    if (!specialTokens.includes(token)) throw new Error(`additional special token ${JSON.stringify(token)} is not one of the special tokens`);
  }
}

/** Trains a GPT-2 style byte-level BPE tokenizer; see the design note at the top of the file. */
export function trainByteLevelBpe(texts: readonly string[], options: TrainBpeOptions): TrainedTokenizer {
  checkOptions(options);
  const specials = options.specialTokens;
  const words = countByteLevelWords(texts, specials);
  const learned = learnBpe(words, bytesToUnicode(), options.vocabSize - specials.length, options.minFrequency ?? 2);
  const { tokens, merges } = learned;
  for (const special of specials) {
    if (tokens.includes(special)) throw new Error(`special token ${JSON.stringify(special)} is also a learned token`);
  }

  const vocab = Object.fromEntries(tokens.map((t, id) => [t, id]));
  const addedTokens = specials.map((content, i) => addedToken(tokens.length + i, content));
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([a, b]) => `${tokens[a]!} ${tokens[b]!}`),
    },
  };

  const bos = options.bosToken ?? null;
  const additional = options.additionalSpecialTokens ?? specials.filter((t) => t !== options.padToken && t !== bos);
  const addedDecoder: Record<string, unknown> = {};
  for (const t of addedTokens) {
    addedDecoder[String(t.id)] = sortedObject(Object.entries(t).filter(([k]) => k !== 'id'));
  }
  const tokenizerConfig = sortedObject([
    ['add_bos_token', false],
    ['add_eos_token', false],
    ['add_prefix_space', false],
    ['added_tokens_decoder', addedDecoder],
    ['additional_special_tokens', additional],
    ['bos_token', bos],
    ['chat_template', options.chatTemplate],
    ['clean_up_tokenization_spaces', false],
    ['eos_token', options.eosToken],
    ['errors', 'replace'],
    ['model_max_length', options.modelMaxLength],
    ['pad_token', options.padToken],
    ['split_special_tokens', false],
    ['tokenizer_class', 'PreTrainedTokenizerFast'],
    ['unk_token', null],
  ]);
  const mapEntries: [string, unknown][] = [
    ['eos_token', options.eosToken],
    ['pad_token', options.padToken],
  ];
  if (additional.length > 0) mapEntries.push(['additional_special_tokens', additional]);
  if (bos !== null) mapEntries.push(['bos_token', bos]);
  const specialTokensMap = sortedObject(mapEntries);

  let occurrences = 0;
  for (const c of words.values()) occurrences += c;
  return {
    tokenizerJson,
    tokenizerConfig,
    specialTokensMap,
    stats: { words: words.size, wordOccurrences: occurrences, learnedVocab: tokens.length, merges: merges.length, stoppedBy: learned.stoppedBy },
  };
}

/**
 * JSON with 2-space indent like `JSON.stringify(value, null, 2)`, except that objects in
 * `byValue` list their entries sorted by their numeric value (the vocab in id order: a plain JS
 * object would put integer-like keys such as "0" or "19" first).
 */
function stringify(value: unknown, byValue: ReadonlySet<object>, indent = ''): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new Error(`cannot write ${typeof value} as JSON`);
    return text;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + stringify(v, byValue, inner)).join(',\n')}\n${indent}]`;
  }
  let entries = Object.entries(value as Record<string, unknown>);
  if (byValue.has(value)) entries = entries.sort(([, x], [, y]) => (x as number) - (y as number));
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${stringify(v, byValue, inner)}`).join(',\n')}\n${indent}}`;
}

/** The three files' text: byte-identical for the same training inputs. */
export function serializeTrainedTokenizer(trained: TrainedTokenizer): Record<'tokenizer.json' | 'tokenizer_config.json' | 'special_tokens_map.json', string> {
  const vocab = ((trained.tokenizerJson as { model?: { vocab?: object } }).model ?? {}).vocab;
  const byValue = new Set<object>(vocab ? [vocab] : []);
  return {
    'tokenizer.json': `${stringify(trained.tokenizerJson, byValue)}\n`,
    'tokenizer_config.json': `${stringify(trained.tokenizerConfig, new Set())}\n`,
    'special_tokens_map.json': `${stringify(trained.specialTokensMap, new Set())}\n`,
  };
}

/** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into `dir` (created if needed). */
export function writeTrainedTokenizer(dir: string, trained: TrainedTokenizer): string[] {
  mkdirSync(dir, { recursive: true });
  const files = serializeTrainedTokenizer(trained);
  const names = Object.keys(files).sort() as (keyof typeof files)[];
  for (const name of names) writeFileSync(join(dir, name), files[name]);
  return names;
}
