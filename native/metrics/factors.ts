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
 *   { length_words: 7, refusal: 2, apology: 1, prompt_overlap: 1/7, ... }
 *
 * attributeFactors turns dataset rating columns (HelpSteer / UltraFeedback: `score_chosen` /
 * `score_rejected`, `chosen_X` / `rejected_X`, `X_chosen` / `X_rejected`, `-` also accepted as the
 * separator) into factors with both sides' values, named `attr:X`.
 */
import { splitSentences } from './segments';
import { words } from './textCompare';

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

const phrases = (list: readonly string[]): RegExp =>
  new RegExp(`(?<![\\p{L}\\p{N}])(?:${list.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+')).join('|')})(?![\\p{L}\\p{N}])`, 'gu');

const REFUSAL = phrases([
  "i can't", 'i cannot', 'i can not', "i'm sorry, but", 'i am sorry, but', 'as an ai', "i won't", 'i will not',
  'not able to help', 'unable to help', "i'm unable to", 'i am unable to', "i'm not able to", 'i am not able to',
  "i can't assist", 'i must decline', 'against my guidelines', "i don't feel comfortable",
]);
const HEDGING = phrases([
  'might', 'perhaps', 'maybe', 'possibly', 'it depends', 'i think', 'i believe', 'probably', 'likely', 'may',
  'could be', 'it seems', 'seems to', 'not sure', 'generally', 'typically', 'in some cases', 'arguably',
]);
const APOLOGY = phrases(['sorry', 'apologize', 'apologise', 'apologies', 'apology', 'my apologies', 'i regret']);
const NUMBER = /\d+(?:[.,]\d+)*/g;
const CITATION = /https?:\/\/\S+|www\.\S+|\[\d+(?:\s*[,–-]\s*\d+)*\]|\baccording to\b/gi;
const FENCE = /^\s{0,3}(```|~~~)/;
const LIST_ITEM = /^\s*(?:[-*•]|\d+[.)])\s+\S/;
const HEADER = /^\s{0,3}#{1,6}\s+\S/;

const count = (re: RegExp, text: string): number => text.match(re)?.length ?? 0;
/** Curly apostrophes as straight ones, lowercased, so "I can’t" matches "i can't". */
const normalize = (text: string): string => text.replace(/[\u2018\u2019\u02bc]/g, "'").toLowerCase();

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
  return 206.835 - 1.015 * (ws.length / Math.max(1, sentenceCount)) - 84.6 * (syl / ws.length);
}

/** Line-based markdown structure, skipping lines inside code fences. */
function structure(text: string): { listItems: number; headers: number; codeBlocks: number } {
  let listItems = 0;
  let headers = 0;
  let fences = 0;
  let inFence = false;
  for (const line of text.split(/\r?\n/)) {
    if (FENCE.test(line)) {
      if (!inFence) fences++;
      inFence = !inFence;
    } else if (!inFence) {
      if (LIST_ITEM.test(line)) listItems++;
      else if (HEADER.test(line)) headers++;
    }
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

/** All FACTORS for one response; `tokens` (its token count T) adds `length_tokens`. */
export function responseFactors(text: string, prompt = '', tokens?: number): Record<string, number> {
  const ws = words(text);
  const n = ws.length;
  const sentenceCount = splitSentences(text).length;
  const lower = normalize(text);
  const { listItems, headers, codeBlocks } = structure(text);
  const out: Record<string, number> = { length_words: n };
  if (tokens !== undefined && Number.isFinite(tokens)) out.length_tokens = tokens;
  Object.assign(out, {
    sentences: sentenceCount,
    list_items: listItems,
    headers,
    code_blocks: codeBlocks,
    readability: fleschReadingEase(ws, sentenceCount),
    prompt_overlap: jaccard(new Set(ws), new Set(words(prompt))),
    repetition: n === 0 ? 0 : 1 - new Set(ws).size / n,
    repeated_trigrams: repeatedTrigramFraction(ws),
    refusal: count(REFUSAL, lower),
    hedging: (100 * count(HEDGING, lower)) / Math.max(1, n),
    apology: count(APOLOGY, lower),
    numeric_density: count(NUMBER, text) / Math.max(1, n),
    citation_density: count(CITATION, text) / Math.max(1, sentenceCount),
  });
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
