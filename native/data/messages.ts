/**
 * Chat messages as preference datasets store them (`[{ "role": "user", "content": "..." }]`),
 * validated with located errors.
 */
import type { IssueReason } from './types';

export interface Message {
  role: string;
  content: string;
  [extra: string]: unknown;
}

export type Turns = string | Message[];

export const KNOWN_ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function', 'ipython']);

export interface FieldProblem {
  reason: IssueReason;
  field: string;
  message: string;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** A message list as TRL's `is_conversational` sees it: a non-empty list whose first item has role and content. */
export function looksConversational(value: unknown): value is unknown[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  const first: unknown = value[0];
  return typeof first === 'object' && first !== null && 'role' in first && 'content' in first;
}

/** Checks every message; returns the first problem with its field path (e.g. `chosen[1].role`). */
export function checkMessages(value: unknown[], field: string): FieldProblem | undefined {
  for (let i = 0; i < value.length; i++) {
    const message = value[i];
    const at = `${field}[${i}]`;
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return { reason: 'wrong-type', field: at, message: `${at} should be a message object {role, content}, found ${describeType(message)}` };
    }
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== 'string') return { reason: role === undefined ? 'missing-field' : 'wrong-type', field: `${at}.role`, message: `${at}.role should be a string, found ${describeType(role)}` };
    if (!KNOWN_ROLES.has(role)) {
      return { reason: 'unknown-role', field: `${at}.role`, message: `${at}.role is "${role.slice(0, 40)}"; expected one of ${[...KNOWN_ROLES].join(', ')}` };
    }
    if (typeof content !== 'string') {
      return { reason: content === undefined ? 'missing-field' : 'wrong-type', field: `${at}.content`, message: `${at}.content should be a string, found ${describeType(content)}` };
    }
  }
  return undefined;
}

/** Plain text of a turn list, for display, search and factors. */
export function turnsText(turns: Turns): string {
  return typeof turns === 'string' ? turns : turns.map((m) => m.content).join('\n\n');
}
