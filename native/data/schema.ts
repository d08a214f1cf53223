/**
 * Schema detection: which preference layout a dataset uses, from a sample of its rows.
 *
 * Design note (ENGINE-NOTES section 5.3, METRICS section 1.1)
 * - `trl-explicit-standard` / `trl-explicit-conversational`: `prompt`, `chosen`, `rejected`
 *   as strings or as message lists.
 * - `trl-implicit-standard` / `trl-implicit-conversational`: `chosen`, `rejected` only; the
 *   prompt is what TRL extracts (longest common prefix).
 * - `hh-rlhf`: implicit-prompt strings made of `\n\nHuman:` / `\n\nAssistant:` turns; scored
 *   exactly as TRL scores the raw strings, with the turns parsed for display only.
 * - `ultrafeedback`: a string `prompt` beside `chosen`/`rejected` message lists that repeat the
 *   user turn; TRL's `maybe_extract_prompt` takes the shared leading messages as the prompt.
 * - `paired-preference`: two responses and a signed preference (HelpSteer2 `response_1`,
 *   `response_2`, `preference_strength`; HelpSteer3 `response1`, `response2`,
 *   `overall_preference`): negative values prefer the first response.
 * - `mapped`: any other columns, through an explicit `ColumnMapping`.
 * The decision uses the column names and value kinds of the first rows that parse; a sample
 * that fits nothing yields an explanation naming the columns that were found.
 */
import { looksConversational } from './messages';

export type SchemaKind =
  | 'trl-explicit-standard'
  | 'trl-explicit-conversational'
  | 'trl-implicit-standard'
  | 'trl-implicit-conversational'
  | 'hh-rlhf'
  | 'ultrafeedback'
  | 'paired-preference'
  | 'mapped';

/** Column mapping for layouts PrefLens cannot recognise by itself. */
export type ColumnMapping =
  | { prompt?: string; chosen: string; rejected: string }
  | { prompt?: string; responseA: string; responseB: string; preference: string; negativePrefers: 'a' | 'b' };

export interface DetectedSchema {
  kind: SchemaKind;
  /** Columns read as prompt / chosen / rejected (or the two responses and preference). */
  mapping: ColumnMapping;
  /** Human-readable explanation of the decision, echoed by `inspect` and the panel. */
  description: string;
}

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

const PAIRED_LAYOUTS = [
  { a: 'response_1', b: 'response_2', preference: 'preference_strength', prompt: 'prompt', name: 'HelpSteer2 preference' },
  { a: 'response1', b: 'response2', preference: 'overall_preference', prompt: 'context', name: 'HelpSteer3' },
] as const;

function majority(rows: Record<string, unknown>[], test: (row: Record<string, unknown>) => boolean): boolean {
  return rows.filter(test).length * 2 > rows.length;
}

const isHhTranscript = (v: unknown): boolean => typeof v === 'string' && v.includes('\n\nHuman:') && v.includes('\n\nAssistant:');

export function describeMapping(mapping: ColumnMapping): string {
  if ('chosen' in mapping) return `prompt=${mapping.prompt ?? '(extracted)'}, chosen=${mapping.chosen}, rejected=${mapping.rejected}`;
  return `prompt=${mapping.prompt ?? '(none)'}, responses=${mapping.responseA}/${mapping.responseB}, preference=${mapping.preference} (negative prefers ${mapping.negativePrefers === 'a' ? mapping.responseA : mapping.responseB})`;
}

export function detectSchema(sample: Record<string, unknown>[], columns: readonly string[] | undefined, mapping?: ColumnMapping): DetectedSchema {
  if (mapping) {
    if ('chosen' in mapping) return { kind: 'mapped', mapping: { ...mapping }, description: `explicit column mapping: ${describeMapping(mapping)}` };
    return { kind: 'paired-preference', mapping, description: `explicit column mapping: ${describeMapping(mapping)}` };
  }
  const keys = new Set<string>(columns ?? []);
  for (const row of sample) for (const key of Object.keys(row)) keys.add(key);
  const has = (k: string): boolean => keys.has(k);

  if (has('chosen') && has('rejected')) {
    const chosenConv = sample.length > 0 && majority(sample, (r) => looksConversational(r.chosen));
    if (has('prompt')) {
      const promptConv = sample.length > 0 && majority(sample, (r) => looksConversational(r.prompt));
      if (chosenConv && !promptConv) {
        return { kind: 'ultrafeedback', mapping: { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' }, description: 'UltraFeedback binarized layout: string prompt, chosen/rejected message lists; the prompt is the shared leading messages (TRL maybe_extract_prompt)' };
      }
      return chosenConv
        ? { kind: 'trl-explicit-conversational', mapping: { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' }, description: 'TRL preference, explicit prompt, conversational (message lists)' }
        : { kind: 'trl-explicit-standard', mapping: { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' }, description: 'TRL preference, explicit prompt, standard (strings)' };
    }
    if (chosenConv) return { kind: 'trl-implicit-conversational', mapping: { chosen: 'chosen', rejected: 'rejected' }, description: 'TRL preference, implicit prompt, conversational: the prompt is the shared leading messages' };
    if (sample.length > 0 && majority(sample, (r) => isHhTranscript(r.chosen))) {
      return { kind: 'hh-rlhf', mapping: { chosen: 'chosen', rejected: 'rejected' }, description: 'Anthropic HH-RLHF transcripts (implicit prompt: longest common prefix, as TRL extracts it; turns parsed for display)' };
    }
    return { kind: 'trl-implicit-standard', mapping: { chosen: 'chosen', rejected: 'rejected' }, description: 'TRL preference, implicit prompt, standard: the prompt is the longest common prefix (TRL extract_prompt)' };
  }
  for (const layout of PAIRED_LAYOUTS) {
    if (has(layout.a) && has(layout.b) && has(layout.preference)) {
      const mappingOut = { prompt: has(layout.prompt) ? layout.prompt : undefined, responseA: layout.a, responseB: layout.b, preference: layout.preference, negativePrefers: 'a' as const };
      return { kind: 'paired-preference', mapping: mappingOut, description: `${layout.name} layout: ${describeMapping(mappingOut)}` };
    }
  }
  const found = [...keys].slice(0, 20).join(', ') || '(none)';
  let hint = 'map the columns explicitly (CLI: --prompt-column, --chosen-column, --rejected-column; setting: preflens.columnMapping)';
  if (has('completion') && has('label')) hint = 'this is an unpaired preference dataset (prompt, completion, label); PrefLens needs pairs. ' + hint;
  else if (has('response') && has('helpfulness')) hint = 'this looks like HelpSteer rating rows (one response each); use the preference file, or ' + hint;
  throw new SchemaError(`no preference pair layout recognised; columns found: ${found}. Expected chosen/rejected (TRL, HH-RLHF, UltraFeedback) or two responses with a preference (HelpSteer). To fix: ${hint}`);
}
