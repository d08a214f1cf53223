/**
 * Editing a pair's completion: the text a person edits (the last assistant turn, or the whole
 * string completion), and writing an edited completion back into the source row in its own
 * schema, for counterfactuals that are saved to the dataset.
 *
 * Design note: the row keeps its key order and every other field. A string field that holds the
 * prompt and the completion together (HH-RLHF, implicit-prompt TRL) gets only its completion
 * suffix replaced; a message list gets its last assistant message's content replaced. Anything
 * else is refused with the reason, never guessed.
 */
import type { Message, Turns } from './messages';
import type { Pair } from './normalizePair';
import type { ColumnMapping } from './schema';

export type Side = 'chosen' | 'rejected';

/** The editable text of a completion: its last assistant turn, or the whole string. */
export function completionText(turns: Turns): string {
  if (typeof turns === 'string') return turns;
  const last = [...turns].reverse().find((m) => m.role === 'assistant') ?? turns.at(-1);
  return last?.content ?? '';
}

/** Replaces the text of the last assistant turn (or the whole string completion). */
export function withCompletionText(turns: Turns, text: string): Turns {
  if (typeof turns === 'string') return text;
  const last = turns.map((m) => m.role).lastIndexOf('assistant');
  const at = last >= 0 ? last : turns.length - 1;
  return turns.map((m, k): Message => (k === at ? { ...m, content: text } : m));
}

export type RowEdit = { ok: true; row: Record<string, unknown> } | { ok: false; problem: string };

/** The source row with `side`'s completion replaced by `text`. */
export function editRowCompletion(row: Record<string, unknown>, pair: Pair, mapping: ColumnMapping, side: Side, text: string): RowEdit {
  const column = pair.source ? (side === 'chosen' ? pair.source.chosenColumn : pair.source.rejectedColumn) : 'chosen' in mapping ? mapping[side] : undefined;
  if (!column || !(column in row)) return { ok: false, problem: `cannot tell which column holds the ${side} response` };
  const value = row[column];
  const old = completionText(pair[side]);
  let next: unknown;
  if (typeof value === 'string') {
    if (!value.endsWith(old)) return { ok: false, problem: `column ${column} does not end with the ${side} response, so it cannot be edited in place` };
    next = value.slice(0, value.length - old.length) + text;
  } else if (Array.isArray(value) && value.every((m) => typeof m === 'object' && m !== null && typeof (m as Message).content === 'string')) {
    const messages = value as Message[];
    const last = messages.map((m) => m.role).lastIndexOf('assistant');
    const at = last >= 0 ? last : messages.length - 1;
    if (at < 0) return { ok: false, problem: `column ${column} has no message to edit` };
    next = messages.map((m, k) => (k === at ? { ...m, content: text } : m));
  } else return { ok: false, problem: `column ${column} is neither text nor a list of messages` };
  return { ok: true, row: Object.fromEntries(Object.entries(row).map(([k, v]) => [k, k === column ? next : v])) };
}
