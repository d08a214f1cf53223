/**
 * TRL's prompt extraction for implicit-prompt rows, reproduced exactly (METRICS.md section 1.1,
 * convention A; `trl/data_utils.py::extract_prompt` and `maybe_extract_prompt`).
 *
 * Design note
 * - For strings the prompt is the longest common prefix of chosen and rejected, compared by
 *   Unicode code point as Python does; if the character just before the first difference is a
 *   space, the split moves one character left so the space stays with the completions.
 * - TRL quirks kept on purpose, because the scores must equal TRL's:
 *   - when one side is a prefix of the other the loop never finds a difference and ends on the
 *     last index, so the prompt is the shorter side minus its last character (no space rule);
 *   - when the very first characters differ and chosen ends with a space, Python's
 *     `chosen[-1]` makes the index -1, so the prompt is chosen minus its last character;
 *   - an empty side makes TRL raise; here the prompt is empty instead (and the row warns).
 * - For message lists the same loop runs over messages (equality of whole messages); the space
 *   rule never applies to messages.
 * Example: chosen "Q: hi\nA: Yes it is", rejected "Q: hi\nA: No" -> prompt "Q: hi\nA:",
 * chosen " Yes it is", rejected " No".
 */
import { isDeepStrictEqual } from 'node:util';
import { looksConversational, type Message, type Turns } from './messages';

/** Index (in elements: code points or messages) where TRL splits the prompt. */
function splitIndex<T>(chosen: readonly T[], rejected: readonly T[], same: (a: T, b: T) => boolean, isSpace: (a: T) => boolean): number {
  const n = Math.min(chosen.length, rejected.length);
  if (n === 0) return 0;
  let idx = 0;
  for (idx = 0; idx < n; idx++) {
    if (!same(chosen[idx]!, rejected[idx]!)) {
      const before = idx - 1 >= 0 ? chosen[idx - 1]! : chosen[chosen.length - 1]!; // Python's chosen[-1]
      if (isSpace(before)) idx -= 1;
      return idx;
    }
  }
  return n - 1; // the loop variable keeps its last value
}

export interface Extracted<T> {
  prompt: T;
  chosen: T;
  rejected: T;
}

export function extractStringPrompt(chosen: string, rejected: string): Extracted<string> {
  const c = Array.from(chosen);
  const r = Array.from(rejected);
  const idx = splitIndex(c, r, (a, b) => a === b, (a) => a === ' ');
  // TRL returns chosen[:idx], chosen[idx:], rejected[idx:] (code points); JS slices a negative
  // index from the end as Python does, so idx -1 gives rejected's last character, as in TRL.
  return { prompt: c.slice(0, idx).join(''), chosen: c.slice(idx).join(''), rejected: r.slice(idx).join('') };
}

export function extractMessagesPrompt(chosen: Message[], rejected: Message[]): Extracted<Message[]> {
  const idx = splitIndex(chosen, rejected, (a, b) => isDeepStrictEqual(a, b), () => false);
  return { prompt: chosen.slice(0, idx), chosen: chosen.slice(idx), rejected: rejected.slice(idx) };
}

/**
 * TRL's `maybe_extract_prompt`: keep an explicit prompt when it has the same kind (string or
 * conversational) as chosen; otherwise (no prompt, or UltraFeedback's string prompt beside
 * message lists) extract it from chosen and rejected.
 */
export function maybeExtractPrompt(prompt: Turns | undefined, chosen: Turns, rejected: Turns): Extracted<Turns> & { extracted: boolean } {
  const chosenConv = looksConversational(chosen);
  if (prompt !== undefined && chosenConv === looksConversational(prompt)) return { prompt, chosen, rejected, extracted: false };
  if (typeof chosen === 'string' && typeof rejected === 'string') return { ...extractStringPrompt(chosen, rejected), extracted: true };
  if (Array.isArray(chosen) && Array.isArray(rejected)) return { ...extractMessagesPrompt(chosen, rejected), extracted: true };
  throw new TypeError('chosen and rejected must both be strings or both be message lists');
}
