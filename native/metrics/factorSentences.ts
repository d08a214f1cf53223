/**
 * countSentences(text) === splitSentences(text).length (segments.ts), without building spans or
 * running splitSentences' per-character regex tests over lines whose count is already certain.
 *
 * Design note
 * - Why: the `sentences` factor (and readability, citation density) needs only the number of
 *   sentences, and splitSentences costs ~30 ns per character; it was the largest single cost of
 *   factor scores.
 * - Lines are independent: a line break (\n \r U+2028 U+2029) always ends a segment and resets the
 *   segment start, so the count is the sum over lines. Where a decision at the end of a line
 *   looks past it (the next word's case), it cannot change the count: the line's last span is
 *   counted whether or not it is split there.
 * - Certain lines: a blank line has 0 sentences; a line with no terminator, or with one run of
 *   terminators (then closing quotes/brackets) followed by nothing but whitespace, has exactly 1.
 *   Every other line is counted by splitSentences itself, on a window that starts at the line and
 *   reaches 8 characters past the next word after it, the furthest splitSentences ever looks
 *   (nextWordStart); only spans that start inside the line are counted. So the abbreviation,
 *   initial, list-number, emoji and CJK rules all stay in segments.ts, written once.
 * - Which characters are terminators and closers is not copied from segments.ts either: each code
 *   unit is classified the first time it is seen by asking splitSentences about a probe text
 *   (`Ab${c} Cd` splits iff c is a terminator; `Ab.${c} Cd` also splits iff c is a closer), and
 *   cached. test/unit/metrics/factorsScan.test.ts checks the equality on random adversarial text.
 */
import { splitSentences } from './segments';

const KNOWN = 1;
const TERMINATOR = 2;
const CLOSER = 4;
const SPACE = 8; // JS /\s/
const NEWLINE = 16; // segments' NEWLINE: \n \r U+2028 U+2029
/** Per code unit: 0 not classified yet, else KNOWN and the bits that apply. */
const kinds = new Uint8Array(0x10000);

function classify(c: number): number {
  const ch = String.fromCharCode(c);
  let k = KNOWN;
  if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) k |= NEWLINE;
  if (/\s/.test(ch)) k |= SPACE;
  else if (splitSentences(`Ab${ch} Cd`).length === 2) k |= TERMINATOR;
  else if (splitSentences(`Ab.${ch} Cd`).length === 2) k |= CLOSER;
  kinds[c] = k;
  return k;
}

const kindOf = (c: number): number => kinds[c] || classify(c);
const isSpaceUnit = (c: number): boolean => (kindOf(c) & SPACE) !== 0;

/** End of the line scanned last by certainLine (the index of its line break, or text.length). */
let lineEnd = 0;

/**
 * Reads the line from `from` to its break (sets lineEnd) in one pass and returns 0 when it is blank,
 * 1 when it certainly holds one sentence (no terminator, or one run of terminators and closers
 * followed by whitespace only), -1 when splitSentences must decide. One tight loop per stage.
 */
function certainLine(text: string, from: number): number {
  const len = text.length;
  let i = from;
  let k = 0;
  for (; i < len; i++) {
    k = kindOf(text.charCodeAt(i));
    if ((k & SPACE) === 0 || (k & NEWLINE) !== 0) break;
  }
  if (i === len || (k & NEWLINE) !== 0) {
    lineEnd = i;
    return 0;
  }
  for (; i < len; i++) {
    k = kindOf(text.charCodeAt(i));
    if ((k & (TERMINATOR | NEWLINE)) !== 0) break;
  }
  if (i === len || (k & NEWLINE) !== 0) {
    lineEnd = i;
    return 1;
  }
  // The first run, as segments' runEndAt reads it: terminators, then closers.
  for (i++; i < len; i++) {
    k = kindOf(text.charCodeAt(i));
    if ((k & TERMINATOR) === 0) break;
  }
  if (i < len && (k & CLOSER) !== 0) {
    for (i++; i < len; i++) {
      k = kindOf(text.charCodeAt(i));
      if ((k & CLOSER) === 0) break;
    }
  }
  let result = 1;
  for (; i < len; i++) {
    k = kindOf(text.charCodeAt(i));
    if ((k & NEWLINE) !== 0) break;
    if ((k & SPACE) === 0) result = -1; // keep going: the line's end is still needed
  }
  lineEnd = i;
  return result;
}

/** Sentences of the line [from, to) by splitSentences, on a window it cannot see past. */
function splitLineCount(text: string, from: number, to: number): number {
  let next = to;
  while (next < text.length && isSpaceUnit(text.charCodeAt(next))) next++;
  const spans = splitSentences(text, from, Math.min(text.length, next + 8));
  let count = 0;
  for (const [start] of spans) if (start < to) count++;
  return count;
}

/** splitSentences(text).length. */
export function countSentences(text: string): number {
  let count = 0;
  for (let from = 0; ; from = lineEnd + 1) {
    const certain = certainLine(text, from);
    count += certain >= 0 ? certain : splitLineCount(text, from, lineEnd);
    if (lineEnd >= text.length) return count;
  }
}
