/**
 * Pair ids: a content hash of the prompt and the *unordered* pair of responses.
 *
 * Design note: the id must survive reordering of the file and a swap of chosen and rejected
 * (so flags and cache entries follow a pair when its label is fixed), and must not depend on
 * JSON key order. Values are serialised canonically (object keys sorted), the two responses
 * are hashed and put in sorted order, and the result is 16 hex characters of SHA-256 (64 bits:
 * a collision among 10 million pairs has odds of about 3 in a million).
 * `direction` says which of the two sorted responses is the chosen one: 1 when chosen sorts
 * first, -1 otherwise, so two rows with the same id and opposite directions contradict.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface PairIdentity {
  id: string;
  direction: 1 | -1;
  /** Hash of the prompt alone, for finding duplicate prompts. */
  promptHash: string;
}

export function pairIdentity(prompt: unknown, chosen: unknown, rejected: unknown): PairIdentity {
  const promptHash = sha256(canonicalJson(prompt));
  const c = sha256(canonicalJson(chosen));
  const r = sha256(canonicalJson(rejected));
  const [first, second] = c <= r ? [c, r] : [r, c];
  const id = sha256(`${promptHash}\n${first}\n${second}`).slice(0, 16);
  return { id, direction: c <= r ? 1 : -1, promptHash: promptHash.slice(0, 16) };
}
