/**
 * Turns one parsed row into a `Pair` in TRL's terms (prompt, chosen, rejected after prompt
 * extraction), or into a located issue saying exactly which field is wrong and how.
 *
 * Design note: validation follows what TRL's DPOTrainer accepts. Missing fields, wrong types,
 * malformed message lists, unknown roles and responses without an assistant turn are errors
 * (the row is unusable). An empty response is a warning: TRL scores it (the EOS text, or the
 * template's end-of-turn tokens). Identical chosen and rejected is a warning: the pair is kept
 * and flagged, since its DPO gradient is zero. Every other scalar column becomes an attribute
 * for analysis and filters (HelpSteer ratings, UltraFeedback scores, ids).
 */
import { checkMessages, describeType, looksConversational, type FieldProblem, type Message, type Turns } from './messages';
import { pairIdentity } from './pairId';
import { maybeExtractPrompt } from './promptExtraction';
import type { DetectedSchema } from './schema';
import type { DataIssue } from './types';

export type AttributeValue = number | string | boolean | null;

export interface Pair {
  id: string;
  /** 1 when chosen is the canonically first of the two responses, -1 otherwise (see pairId.ts). */
  direction: 1 | -1;
  promptHash: string;
  index: number;
  line?: number;
  /** TRL's `is_conversational` on the processed row. */
  kind: 'string' | 'conversational';
  prompt: Turns;
  chosen: Turns;
  rejected: Turns;
  /** The prompt was extracted from chosen/rejected (implicit prompt, UltraFeedback). */
  promptExtracted: boolean;
  /** Paired-preference rows: which source response became chosen, and the strength. */
  source?: { chosenColumn: string; rejectedColumn: string; strength: number };
  attributes: Record<string, AttributeValue>;
  warnings: DataIssue[];
  /** Columns TRL forwards to the chat template. */
  tools?: unknown;
  chatTemplateKwargs?: Record<string, unknown>;
}

export interface RowLocation {
  file: string;
  index: number;
  line?: number;
}

export type NormalizeResult = { ok: true; pair: Pair } | { ok: false; issue: DataIssue };

const MAX_ATTRIBUTE_TEXT = 1000;
const FORWARDED = new Set(['tools', 'chat_template_kwargs']);

function toIssue(loc: RowLocation, problem: FieldProblem, severity: 'error' | 'warning' = 'error'): DataIssue {
  return { reason: problem.reason, severity, file: loc.file, index: loc.index, line: loc.line, field: problem.field, message: problem.message };
}

/** A response or prompt: a string, or a valid message list. */
function readTurns(row: Record<string, unknown>, field: string, optional = false): { turns?: Turns; problem?: FieldProblem } {
  if (!Object.prototype.hasOwnProperty.call(row, field) || row[field] === undefined) {
    return optional ? {} : { problem: { reason: 'missing-field', field, message: `missing field "${field}"` } };
  }
  const value = row[field];
  if (typeof value === 'string') return { turns: value };
  if (Array.isArray(value)) {
    const problem = checkMessages(value, field);
    return problem ? { problem } : { turns: value as Message[] };
  }
  return { problem: { reason: 'wrong-type', field, message: `"${field}" should be a string or a list of messages, found ${describeType(value)}` } };
}

function collectAttributes(row: Record<string, unknown>, used: Set<string>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  const add = (key: string, value: unknown): void => {
    if (value === null || typeof value === 'number' || typeof value === 'boolean') out[key] = value as AttributeValue;
    else if (typeof value === 'string' && value.length <= MAX_ATTRIBUTE_TEXT) out[key] = value;
  };
  for (const [key, value] of Object.entries(row)) {
    if (used.has(key) || FORWARDED.has(key)) continue;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, v] of Object.entries(value as Record<string, unknown>)) add(`${key}.${inner}`, v);
    } else add(key, value);
  }
  return out;
}

const asAssistant = (text: string): Message[] => [{ role: 'assistant', content: text }];

export function normalizeRow(row: Record<string, unknown>, schema: DetectedSchema, loc: RowLocation): NormalizeResult {
  const mapping = schema.mapping;
  const used = new Set<string>();
  let prompt: Turns | undefined;
  let chosen: Turns;
  let rejected: Turns;
  let source: Pair['source'];
  const warnings: DataIssue[] = [];

  if ('chosen' in mapping) {
    const c = readTurns(row, mapping.chosen);
    if (c.problem) return { ok: false, issue: toIssue(loc, c.problem) };
    const r = readTurns(row, mapping.rejected);
    if (r.problem) return { ok: false, issue: toIssue(loc, r.problem) };
    chosen = c.turns!;
    rejected = r.turns!;
    used.add(mapping.chosen).add(mapping.rejected);
    if (mapping.prompt && schema.kind !== 'ultrafeedback') {
      const p = readTurns(row, mapping.prompt);
      if (p.problem) return { ok: false, issue: toIssue(loc, p.problem) };
      prompt = p.turns;
      used.add(mapping.prompt);
    } else if (schema.kind === 'ultrafeedback') {
      // UltraFeedback's string prompt is ignored by TRL (maybe_extract_prompt); keep it as an attribute.
      prompt = undefined;
    }
  } else {
    const strength = row[mapping.preference];
    if (typeof strength !== 'number' || !Number.isFinite(strength)) {
      return { ok: false, issue: toIssue(loc, { reason: strength === undefined ? 'missing-field' : 'wrong-type', field: mapping.preference, message: `"${mapping.preference}" should be a number (negative prefers ${mapping.negativePrefers === 'a' ? mapping.responseA : mapping.responseB}), found ${describeType(strength)}` }) };
    }
    if (strength === 0) {
      return { ok: false, issue: toIssue(loc, { reason: 'no-preference', field: mapping.preference, message: `"${mapping.preference}" is 0: a tie, so there is no chosen response` }) };
    }
    const a = readTurns(row, mapping.responseA);
    if (a.problem) return { ok: false, issue: toIssue(loc, a.problem) };
    const b = readTurns(row, mapping.responseB);
    if (b.problem) return { ok: false, issue: toIssue(loc, b.problem) };
    const aWins = (strength < 0) === (mapping.negativePrefers === 'a');
    chosen = aWins ? a.turns! : b.turns!;
    rejected = aWins ? b.turns! : a.turns!;
    source = { chosenColumn: aWins ? mapping.responseA : mapping.responseB, rejectedColumn: aWins ? mapping.responseB : mapping.responseA, strength: Math.abs(strength) };
    used.add(mapping.responseA).add(mapping.responseB);
    if (mapping.prompt) {
      const p = readTurns(row, mapping.prompt);
      if (p.problem) return { ok: false, issue: toIssue(loc, p.problem) };
      prompt = p.turns;
      used.add(mapping.prompt);
    } else prompt = '';
    // HelpSteer3: a message-list context with plain-string responses becomes a conversation.
    if (Array.isArray(prompt) && typeof chosen === 'string' && typeof rejected === 'string') {
      chosen = asAssistant(chosen);
      rejected = asAssistant(rejected);
    }
  }

  if (typeof chosen !== typeof rejected) {
    const field = 'chosen' in mapping ? mapping.rejected : mapping.responseB;
    return { ok: false, issue: toIssue(loc, { reason: 'wrong-type', field, message: `chosen and rejected must both be strings or both be message lists; "${field}" is ${describeType(rejected)}` }) };
  }
  const extracted = maybeExtractPrompt(prompt, chosen, rejected);
  if (Array.isArray(extracted.chosen)) {
    for (const [name, turns] of [['chosen', extracted.chosen], ['rejected', extracted.rejected]] as const) {
      if (!(turns as Message[]).some((m) => m.role === 'assistant')) {
        return { ok: false, issue: toIssue(loc, { reason: 'no-assistant-turn', field: name, message: `${name} has no assistant message after the shared prompt; a preference pair needs an assistant response` }) };
      }
    }
  }
  for (const name of ['chosen', 'rejected'] as const) {
    const turns = extracted[name];
    const empty = typeof turns === 'string' ? turns.length === 0 : turns.every((m) => m.content.length === 0);
    if (empty) warnings.push(toIssue(loc, { reason: 'empty-field', field: name, message: `${name} is empty; TRL still scores its end-of-sequence tokens` }, 'warning'));
  }
  const identity = pairIdentity(extracted.prompt, extracted.chosen, extracted.rejected);
  if (JSON.stringify(extracted.chosen) === JSON.stringify(extracted.rejected)) {
    warnings.push(toIssue(loc, { reason: 'identical-responses', field: 'chosen', message: 'chosen is identical to rejected: the pair carries no preference (kept, with this warning)' }, 'warning'));
  }
  const forwarded = row.chat_template_kwargs;
  return {
    ok: true,
    pair: {
      ...identity,
      index: loc.index,
      line: loc.line,
      kind: looksConversational(extracted.chosen) || looksConversational(extracted.prompt) ? 'conversational' : 'string',
      prompt: extracted.prompt,
      chosen: extracted.chosen,
      rejected: extracted.rejected,
      promptExtracted: extracted.extracted,
      source,
      attributes: collectAttributes(row, used),
      warnings,
      tools: row.tools,
      chatTemplateKwargs: forwarded && typeof forwarded === 'object' && !Array.isArray(forwarded) ? (forwarded as Record<string, unknown>) : undefined,
    },
  };
}
