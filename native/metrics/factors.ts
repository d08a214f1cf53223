/**
 * Factor scores per response, offline and model-free: the factor annotations that PrefLens's factor
 * influence (METRICS.md §5, "PrefLens definition, after PROFILE") and the length-confound report
 * (METRICS.md §12) are computed over. PROFILE quantifies factors with GPT-4o; PrefLens uses cheap,
 * deterministic text statistics instead, so the profile can be shown without any network or model.
 *
 * Invariants
 * - Pure: no fs, no vscode; the same text always gives the same scores.
 * - Every factor named in FACTORS is present in responseFactors' result, except `length_tokens`,
 *   present only when a token count is passed in. Values are finite, except `readability`, which is
 *   NaN for a response with no words (undefined there; factor influence skips non-finite values).
 * - Words are textCompare's `words()` (lowercased letter/digit runs); sentences are segments'
 *   `splitSentences` (abbreviation-aware); densities divide by max(1, count) so they never divide by 0.
 * - Only the sign of s(w) − s(l) matters to τ (§5); the logistic fit (logisticFit.ts) standardizes.
 *
 * Example: responseFactors("I'm sorry, but I can't help.", 'help me') →
 *   { length_words: 8, refusal: 2, apology: 1, prompt_overlap: 1/8, ... }  (words: i m sorry but i can t help)
 *
 * Speed (design note): factor analysis of 100k pairs has a 5 s budget (test/bench/factors.bench.ts),
 * so responseFactors reads each text once instead of running words(), Sets and a dozen regexes
 * over it. factorText.ts tokenizes the lowercased text into interned word ids that every word
 * factor shares (length; readability via per-id syllables; overlap and repetition via integer
 * marks; trigrams via an integer hash set; numbers on the way); factorPhrases.ts counts the phrase
 * lists on those words; factorSentences.ts counts sentences without building spans. The
 * definitions above are unchanged, and test/unit/metrics/factorsScan.test.ts holds every value to
 * the previous plain implementation (factorsReference.ts), on adversarial text as well.
 *
 * attributeFactors turns dataset rating columns (HelpSteer / UltraFeedback: `score_chosen` /
 * `score_rejected`, `chosen_X` / `rejected_X`, `X_chosen` / `X_rejected`, `-` also accepted as the
 * separator) into factors with both sides' values, named `attr:X`.
 */
import { PhraseCounter } from './factorPhrases';
import { countSentences } from './factorSentences';
import { IdMarks, TrigramSet, Vocabulary, WordBuffer, scanWords } from './factorText';

export interface FactorDefinition {
  name: string;
  description: string;
  /** Direction meaning: the response with the larger value, as a noun phrase ("the longer response"). */
  higher: string;
}

export const FACTORS: readonly FactorDefinition[] = [
  { name: 'length_words', description: 'Length in words (lowercased letter/digit runs).', higher: 'the longer response' },
  { name: 'length_tokens', description: 'Length in model tokens (T, METRICS §1.3), when a token count is given.', higher: 'the response with more tokens' },
  { name: 'sentences', description: 'Number of sentences (abbreviation-aware split; each line ends a sentence).', higher: 'the response with more sentences' },
  { name: 'list_items', description: 'Lines starting with -, *, • or a number followed by . or ) (outside code fences).', higher: 'the response with more list items' },
  { name: 'headers', description: 'Markdown header lines (# to ######, outside code fences).', higher: 'the response with more headers' },
  { name: 'code_blocks', description: 'Fenced code blocks (``` or ~~~ fences; an unclosed fence counts).', higher: 'the response with more code blocks' },
  { name: 'readability', description: 'Flesch reading ease: 206.835 − 1.015·words/sentence − 84.6·syllables/word (vowel-group syllable heuristic).', higher: 'the easier-to-read response' },
  { name: 'prompt_overlap', description: 'Jaccard similarity of the response and prompt word sets.', higher: 'the response closer in wording to the prompt' },
  { name: 'repetition', description: '1 − distinct words / words (0 for an empty response).', higher: 'the more repetitive response' },
  { name: 'repeated_trigrams', description: 'Fraction of word trigrams that repeat an earlier trigram.', higher: 'the response with more repeated phrases' },
  { name: 'refusal', description: 'Refusal phrases ("I can\'t", "I cannot", "I\'m sorry, but", "as an AI", "I won\'t", "not able to help", …).', higher: 'the refusing response' },
  { name: 'hedging', description: 'Hedging phrases ("might", "perhaps", "it depends", "I think", …) per 100 words.', higher: 'the more hedging response' },
  { name: 'apology', description: 'Apologies ("sorry", "apologize", "apologies", …).', higher: 'the more apologetic response' },
  { name: 'numeric_density', description: 'Numbers (digit runs, 3.14 and 1,000 count once) per word.', higher: 'the response with more numbers' },
  { name: 'citation_density', description: 'URLs, [1]-style references and "according to" per sentence.', higher: 'the response with more citations' },
];

// Phrase lists: each is matched as factorPhrases' phraseRegex (whole words, a space = \s+) on the
// text with curly apostrophes straightened and lowercased.
const REFUSAL = [
  "i can't", 'i cannot', 'i can not', "i'm sorry, but", 'i am sorry, but', 'as an ai', "i won't", 'i will not',
  'not able to help', 'unable to help', "i'm unable to", 'i am unable to', "i'm not able to", 'i am not able to',
  "i can't assist", 'i must decline', 'against my guidelines', "i don't feel comfortable",
];
const HEDGING = [
  'might', 'perhaps', 'maybe', 'possibly', 'it depends', 'i think', 'i believe', 'probably', 'likely', 'may',
  'could be', 'it seems', 'seems to', 'not sure', 'generally', 'typically', 'in some cases', 'arguably',
];
const APOLOGY = ['sorry', 'apologize', 'apologise', 'apologies', 'apology', 'my apologies', 'i regret'];
// NUMBER is /\d+(?:[.,]\d+)*/g, counted by factorText's scanWords along with the words.
const CITATION = /https?:\/\/\S+|www\.\S+|\[\d+(?:\s*[,–-]\s*\d+)*\]|\baccording to\b/gi;
const FENCE = /^\s{0,3}(```|~~~)/;
const LIST_ITEM = /^\s*(?:[-*•]|\d+[.)])\s+\S/;
const HEADER = /^\s{0,3}#{1,6}\s+\S/;

/** Syllables of one lowercased word: vowel groups, minus a silent final e, at least 1. */
export function syllables(word: string): number {
  if (/^\d+$/.test(word)) return 1;
  const groups = word.match(/[aeiouy]+/g)?.length ?? 0;
  const silentE = groups > 1 && /[^aeiouyl]e$|[^aeiouy]es$|[^aeiouy]ed$/.test(word) && !/[td]ed$/.test(word) ? 1 : 0;
  return Math.max(1, groups - silentE);
}

/** Flesch reading ease of a word list over a sentence count; NaN without words. */
export function fleschReadingEase(ws: readonly string[], sentenceCount: number): number {
  if (ws.length === 0) return NaN;
  const syl = ws.reduce((s, w) => s + syllables(w), 0);
  return fleschFromCounts(ws.length, syl, sentenceCount);
}

/** The same formula on counts (words n > 0, syllables, sentences), as responseFactors uses it. */
const fleschFromCounts = (n: number, syl: number, sentenceCount: number): number =>
  206.835 - 1.015 * (n / Math.max(1, sentenceCount)) - 84.6 * (syl / n);

/**
 * Line-based markdown structure (lines as split(/\r?\n/)), skipping lines inside code fences.
 * Each pattern needs the line's first non-space character to be one of ` ~ - * • # or a digit, so
 * other lines (most prose) skip the three regex tests; the result is the same.
 */
function structure(text: string): { listItems: number; headers: number; codeBlocks: number } {
  let listItems = 0;
  let headers = 0;
  let fences = 0;
  let inFence = false;
  for (let start = 0; start <= text.length; ) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    let i = start;
    while (i < end && /\s/.test(text[i]!)) i++;
    const c = text[i];
    if (c !== undefined && i < end && '`~-*•#0123456789'.includes(c)) {
      const line = text.slice(start, end);
      if (FENCE.test(line)) {
        if (!inFence) fences++;
        inFence = !inFence;
      } else if (!inFence) {
        if (LIST_ITEM.test(line)) listItems++;
        else if (HEADER.test(line)) headers++;
      }
    }
    if (nl === -1) break;
    start = nl + 1;
  }
  return { listItems, headers, codeBlocks: fences };
}

/** Fraction of the n−2 word trigrams that already occurred earlier in the response. */
export function repeatedTrigramFraction(ws: readonly string[]): number {
  if (ws.length < 3) return 0;
  const seen = new Set<string>();
  let repeats = 0;
  for (let i = 0; i + 2 < ws.length; i++) {
    const key = `${ws[i]}\u0000${ws[i + 1]}\u0000${ws[i + 2]}`;
    if (seen.has(key)) repeats++;
    else seen.add(key);
  }
  return repeats / (ws.length - 2);
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  const union = a.size + b.size - inter;
  return union === 0 ? 0 : inter / union;
}

// ---------------------------------------------------------------- shared scanning state
// Module-level and reused across calls so a response allocates (almost) nothing per word; none of
// it is observable: every call starts by clearing what it uses.

const vocab = new Vocabulary();
const textWords = new WordBuffer();
const promptWords = new WordBuffer();
const distinctWords = new IdMarks(vocab);
const promptSet = new IdMarks(vocab);
const trigrams = new TrigramSet();
const phrases = new PhraseCounter(vocab, [REFUSAL, HEDGING, APOLOGY]);
const phraseCounts = [0, 0, 0];
/** syllables() per word id, 0 = not computed yet (a word has at least 1). */
let syllableCache = new Int32Array(
  vocab.capacity((capacity) => {
    const grown = new Int32Array(capacity);
    grown.set(syllableCache);
    syllableCache = grown;
  }),
);
let cacheEpoch = vocab.epoch;
// pairFactors scores two responses against the same prompt: its word set is built once.
let lastPrompt: string | undefined;
let promptSize = 0;

/** All FACTORS for one response; `tokens` (its token count T) adds `length_tokens`. */
export function responseFactors(text: string, prompt = '', tokens?: number): Record<string, number> {
  vocab.maybeReset();
  if (vocab.epoch !== cacheEpoch) {
    syllableCache.fill(0);
    lastPrompt = undefined;
    cacheEpoch = vocab.epoch;
  }
  if (prompt !== lastPrompt) {
    scanWords(prompt.toLowerCase(), vocab, promptWords);
    promptSet.clear();
    promptSize = 0;
    for (let k = 0; k < promptWords.n; k++) if (promptSet.add(promptWords.ids[k]!)) promptSize++;
    lastPrompt = prompt;
  }
  const lower = text.toLowerCase();
  scanWords(lower, vocab, textWords);
  const n = textWords.n;
  const ids = textWords.ids;
  // One walk over the word ids: distinct words, those shared with the prompt, syllables.
  distinctWords.clear();
  let distinct = 0;
  let shared = 0;
  let syl = 0;
  for (let k = 0; k < n; k++) {
    const id = ids[k]!;
    if (distinctWords.add(id)) {
      distinct++;
      if (promptSet.has(id)) shared++;
    }
    let s = syllableCache[id]!;
    if (s === 0) syllableCache[id] = s = syllables(vocab.words[id]!);
    syl += s;
  }
  const sentences = countSentences(text);
  const { listItems, headers, codeBlocks } = structure(text);
  phrases.count(text, lower, textWords, phraseCounts);
  // The citation regex can only match where one of these (case-folded) substrings occurs.
  const citable = lower.includes('[') || lower.includes('http') || lower.includes('www.') || lower.includes('according');
  const citations = citable ? (text.match(CITATION)?.length ?? 0) : 0;
  const union = distinct + promptSize - shared;
  const readability = n === 0 ? NaN : fleschFromCounts(n, syl, sentences);
  const prompt_overlap = union === 0 ? 0 : shared / union;
  const repetition = n === 0 ? 0 : 1 - distinct / n;
  const repeated_trigrams = n < 3 ? 0 : trigrams.repeats(ids, n) / (n - 2);
  const [refusal, hedges, apology] = phraseCounts as [number, number, number];
  const hedging = (100 * hedges) / Math.max(1, n);
  const numeric_density = textWords.numbers / Math.max(1, n);
  const citation_density = citations / Math.max(1, sentences);
  // Whole object literals (two shapes), not property-by-property: V8 then allocates each result
  // with all fields in-object and one hidden class, which also keeps factor lookups fast later.
  const out: Record<string, number> =
    tokens !== undefined && Number.isFinite(tokens)
      ? { length_words: n, length_tokens: tokens, sentences, list_items: listItems, headers, code_blocks: codeBlocks, readability, prompt_overlap, repetition, repeated_trigrams, refusal, hedging, apology, numeric_density, citation_density }
      : { length_words: n, sentences, list_items: listItems, headers, code_blocks: codeBlocks, readability, prompt_overlap, repetition, repeated_trigrams, refusal, hedging, apology, numeric_density, citation_density };
  return out;
}

export interface AttributeFactor {
  /** `attr:X`, X the shared column stem (`score` for score_chosen / score_rejected). */
  name: string;
  chosen: number;
  rejected: number;
  chosenColumn: string;
  rejectedColumn: string;
}

const numeric = (v: unknown): number | undefined => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

/** 'rejected' in the case of the given 'chosen' (chosen, Chosen, CHOSEN). */
const rejectedLike = (chosen: string): string =>
  chosen === chosen.toUpperCase() ? 'REJECTED' : chosen[0] === 'C' ? 'Rejected' : 'rejected';

/**
 * Every numeric attribute that has a chosen/rejected column pair, as a factor with both values.
 * Column pairs: X_chosen/X_rejected, chosen_X/rejected_X (also with '-'); bare chosen/rejected are ignored.
 */
export function attributeFactors(attributes: Record<string, unknown> | undefined): AttributeFactor[] {
  if (!attributes) return [];
  const out: AttributeFactor[] = [];
  const seen = new Set<string>();
  for (const key of Object.keys(attributes)) {
    const prefix = /^chosen[_-]./i.test(key);
    if (!prefix && !/.[_-]chosen$/i.test(key)) continue;
    const word = prefix ? key.slice(0, 6) : key.slice(-6);
    const stem = prefix ? key.slice(7) : key.slice(0, -7);
    const rejectedKey = prefix ? `${rejectedLike(word)}${key.slice(6)}` : `${key.slice(0, -6)}${rejectedLike(word)}`;
    const c = numeric(attributes[key]);
    const r = numeric(attributes[rejectedKey]);
    const name = `attr:${stem}`;
    if (c === undefined || r === undefined || seen.has(name)) continue;
    seen.add(name);
    out.push({ name, chosen: c, rejected: r, chosenColumn: key, rejectedColumn: rejectedKey });
  }
  return out;
}
