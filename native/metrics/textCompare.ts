/**
 * Cheap comparisons of two responses' text, for suspicions that need no model: identical,
 * near-identical, differing only in format, or only in length (one says the same as the other,
 * padded). Word-level, so long responses stay cheap (O(n·m) on words, capped).
 *
 * Definitions
 * - words: lowercased runs of letters/digits (Unicode), punctuation and markup dropped.
 * - formatOnly: same word sequence, different characters (whitespace, punctuation, markdown, case).
 * - similarity: 1 - wordEditDistance / max(words), in [0, 1]; 0 when the word counts differ by
 *   more than 20% or exceed 400 (such responses are not near-identical).
 * - lengthOnly: the longer response contains most of the shorter one's distinct words and
 *   is at least 1.5x longer in words: it says the same thing, padded (80% coverage).
 */

export interface TextComparison {
  identical: boolean;
  formatOnly: boolean;
  similarity: number;
  lengthOnly: boolean;
  chosenWords: number;
  rejectedWords: number;
  /** Which side is longer when lengthOnly: the padded one. */
  longer: 'chosen' | 'rejected' | null;
}

// Edit distance is only needed to tell near-identical responses apart; beyond this many words a
// pair is not near-identical in any useful sense, and the O(n·m) cost would add up on big datasets.
const MAX_WORDS = 400;

export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function editDistance(a: readonly string[], b: readonly string[]): number {
  const m = Math.min(a.length, MAX_WORDS);
  const n = Math.min(b.length, MAX_WORDS);
  let previous = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const current = [i];
    for (let j = 1; j <= n; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[n]! + Math.abs(a.length - m - (b.length - n));
}

export function compareTexts(chosen: string, rejected: string): TextComparison {
  const cw = words(chosen);
  const rw = words(rejected);
  const identical = chosen === rejected;
  const formatOnly = !identical && cw.length > 0 && cw.join(' ') === rw.join(' ');
  const lengthsClose = Math.min(cw.length, rw.length) >= 0.8 * Math.max(cw.length, rw.length);
  const similarity = cw.length + rw.length === 0 ? 1 : lengthsClose && Math.max(cw.length, rw.length) <= MAX_WORDS ? 1 - editDistance(cw, rw) / Math.max(cw.length, rw.length) : 0;
  const [short, long, longer] = cw.length <= rw.length ? [cw, rw, 'rejected' as const] : [rw, cw, 'chosen' as const];
  const shortSet = new Set(short);
  const longSet = new Set(long);
  const covered = shortSet.size === 0 ? 0 : [...shortSet].filter((w) => longSet.has(w)).length / shortSet.size;
  const lengthOnly = !identical && short.length >= 3 && long.length >= 1.5 * short.length && covered >= 0.8;
  return { identical, formatOnly, similarity, lengthOnly, chosenWords: cw.length, rejectedWords: rw.length, longer: lengthOnly ? longer : null };
}
