/**
 * Argilla export: scored pairs as Argilla 2.x records for a human review of their labels, plus
 * the dataset settings those records need.
 *
 * Design note
 * - Layout (argilla-io/argilla, argilla/src/argilla): `argilla.settings.json` is what
 *   `rg.Settings.serialize()` writes and `rg.Settings.from_json(path)` reads
 *   (settings/_resource.py: `fields`, `questions`, `vectors`, `metadata`, `guidelines`,
 *   `allow_extra_metadata`; a field is read by its top-level `type`, a question by
 *   `settings.type`, a metadata property by its top-level `type`). Each JSONL line is
 *   `{id, fields, metadata, suggestions}`, where a suggestion is the keyword arguments of
 *   `rg.Suggestion(question_name, value, score, agent, type)` (suggestions.py), so a short
 *   script builds `rg.Record(...)` from it and calls `dataset.records.log(records)`
 *   (docs/argilla.md).
 * - Fields `prompt`, `chosen`, `rejected` are TextFields with `use_markdown: false`: dataset
 *   text is untrusted data, shown as plain text, never markup. A string is written verbatim; a
 *   single message as its content; several messages as `role:` blocks with verbatim contents.
 *   `evidence` (optional) lists PrefLens's suspicions with their numbers.
 * - Metadata (Argilla allows terms, integer and float; a terms value may be a list): `margin`,
 *   `chosen_reward`, `rejected_reward`, `review_score`, `ches_ln` (float), `index`,
 *   `review_rank` (integer), `suspicion_reasons` (terms, list), `flag` (terms), `pair_id`
 *   (terms). A value that is missing or not finite is left out (Argilla stores no NaN).
 * - Record id `${pairId}-${index}`: pair ids are shared by contradictory duplicates, and
 *   `records.log` updates a record whose id it already knows.
 * - Suggestion for the `label` question (keep / swap / drop), agent `preflens`:
 *   1. a pair a person flagged: its flag (ok -> keep, swap, drop, noisy -> drop), score 1,
 *      type `human`;
 *   2. a scored pair with a structural reason that leaves no usable preference (identical
 *      responses, token-identical, format-only, near-identical): drop;
 *   3. else label evidence: the policy strongly prefers the rejected response
 *      (policy-prefers-rejected at >= 1 robust scale), the copy of a contradictory duplicate the
 *      policy disagrees with (strength >= 2), the dataset's own scores contradict the label, or
 *      confident learning flags it: swap;
 *   4. else (no suspicion, or only weak / length / reference evidence): keep.
 *   Score (rules 2-4, type `model`): s = review_score / the largest review_score exported
 *   (0 when none is positive); swap and drop get s, keep gets 1 - s. Invalid (unscored) pairs
 *   get no model suggestion.
 */
import type { FlagValue } from '../data/flagsStore';
import type { SuspicionReason } from '../metrics/suspicions';

type Turns = string | readonly { role: string; content: string }[];

export interface ArgillaPair {
  /** PrefLens pair id. */
  id: string;
  prompt: Turns;
  chosen: Turns;
  rejected: Turns;
}

/** Pairs by dataset row index: a Map, or an array indexed by row. */
export type ArgillaPairLookup = ReadonlyMap<number, ArgillaPair> | readonly (ArgillaPair | null | undefined)[];

/** A `preflens score` record (with analysis when it ran); only these fields are read. */
export interface ArgillaScoreInput {
  index: number;
  id?: string | null;
  status?: string;
  error?: string | null;
  margin?: number | null;
  chosen_reward?: number | null;
  rejected_reward?: number | null;
  ches_ln?: number | null;
  review_score?: number | null;
  review_rank?: number | null;
  suspicions?: readonly { reason: string; evidence?: string; strength?: number }[];
}

export type ArgillaLabel = 'keep' | 'swap' | 'drop';

export interface ArgillaSuggestion {
  question_name: 'label';
  value: ArgillaLabel;
  score: number;
  agent: 'preflens';
  type: 'model' | 'human';
}

export interface ArgillaRecord {
  id: string;
  fields: { prompt?: string; chosen: string; rejected: string; evidence?: string };
  metadata: Record<string, number | string | string[]>;
  suggestions: ArgillaSuggestion[];
}

export interface ArgillaExportOptions {
  /** Person flags by pair id (the flags sidecar); a flag decides the suggestion. */
  flags?: ReadonlyMap<string, FlagValue | { flag: FlagValue }>;
  guidelines?: string;
}

export interface ArgillaExport {
  records: ArgillaRecord[];
  /** One record a line. */
  jsonl: string;
  /** `rg.Settings.serialize()` layout, for `rg.Settings.from_json`. */
  settings: Record<string, unknown>;
  settingsJson: string;
  skipped: { index: number; reason: string }[];
  suggested: Record<ArgillaLabel, number>;
}

export const ARGILLA_LABELS: readonly ArgillaLabel[] = ['keep', 'swap', 'drop'];

const KNOWN_REASONS = [
  'policy-prefers-rejected', 'reference-prefers-rejected', 'ensemble-prefers-rejected', 'confident-learning', 'scores-contradict-label',
  'identical-responses', 'token-identical', 'format-only', 'near-identical', 'length-only', 'contradictory-duplicate',
] as const satisfies readonly SuspicionReason[];

const NO_PREFERENCE = new Set<string>(['identical-responses', 'token-identical', 'format-only', 'near-identical']);
const FLAG_TO_LABEL: Record<FlagValue, ArgillaLabel> = { ok: 'keep', swap: 'swap', drop: 'drop', noisy: 'drop' };

const DEFAULT_GUIDELINES = [
  'Each record is one preference pair: a prompt, the response the dataset labels as chosen and the one it labels as rejected.',
  'Answer "label": keep (the label is right), swap (the rejected response is actually the better one) or drop (no usable preference: identical, trivially different, or both unusable).',
  'The suggestion comes from PrefLens: a person\'s flag when there is one, otherwise the suspicions in "evidence" (model evidence, not a verdict).',
].join('\n\n');

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Plain text of turns: a string verbatim, one message's content, or `role:` blocks. */
export function turnsPlainText(turns: Turns): string {
  if (typeof turns === 'string') return turns;
  if (turns.length === 1) return turns[0]!.content;
  return turns.map((m) => `${m.role}:\n${m.content}`).join('\n\n');
}

/** The suggestion rule of the design note, for a scored (or flagged) pair. */
export function suggestLabel(record: ArgillaScoreInput, flag: FlagValue | undefined, scale: number): ArgillaSuggestion | undefined {
  if (flag !== undefined) return { question_name: 'label', value: FLAG_TO_LABEL[flag], score: 1, agent: 'preflens', type: 'human' };
  if (record.status !== undefined && record.status !== 'ok') return undefined;
  const reasons = record.suspicions ?? [];
  const strength = (reason: string): number => Math.max(-Infinity, ...reasons.filter((s) => s.reason === reason).map((s) => s.strength ?? Infinity));
  let value: ArgillaLabel = 'keep';
  if (reasons.some((s) => NO_PREFERENCE.has(s.reason))) value = 'drop';
  else if (strength('policy-prefers-rejected') >= 1 || strength('contradictory-duplicate') >= 2 || reasons.some((s) => s.reason === 'scores-contradict-label' || s.reason === 'confident-learning')) value = 'swap';
  const s = scale > 0 && finite(record.review_score) ? Math.min(1, Math.max(0, record.review_score / scale)) : 0;
  const score = Math.round((value === 'keep' ? 1 - s : s) * 1e4) / 1e4;
  return { question_name: 'label', value, score, agent: 'preflens', type: 'model' };
}

const lookup = (pairs: ArgillaPairLookup, index: number): ArgillaPair | undefined => ('get' in pairs ? pairs.get(index) : pairs[index]) ?? undefined;

/** The Argilla dataset settings (`rg.Settings.serialize()` layout). */
export function argillaSettings(reasons: readonly string[], guidelines = DEFAULT_GUIDELINES): Record<string, unknown> {
  const text = (name: string, title: string, required: boolean, description: string | null) => ({ name, title, required, description, settings: { type: 'text', use_markdown: false }, type: 'text' });
  const number = (name: string, type: 'float' | 'integer', title: string) => ({ name, title, type, visible_for_annotators: true, settings: { type, min: null, max: null, visible_for_annotators: true } });
  const terms = (name: string, title: string, values: readonly string[] | null) => ({ name, title, type: 'terms', visible_for_annotators: true, settings: { type: 'terms', values, visible_for_annotators: true } });
  return {
    guidelines,
    questions: [
      {
        name: 'label', title: 'What should happen to this pair?', description: 'keep: the label is right; swap: the rejected response is better; drop: no usable preference', required: true, type: 'label_selection',
        settings: { type: 'label_selection', options: ARGILLA_LABELS.map((value) => ({ value, text: value })), visible_options: ARGILLA_LABELS.length },
      },
      { name: 'note', title: 'Note (optional)', description: null, required: false, type: 'text', settings: { type: 'text', use_markdown: false } },
    ],
    fields: [
      text('prompt', 'Prompt', false, null),
      text('chosen', 'Chosen (as labelled)', true, null),
      text('rejected', 'Rejected (as labelled)', true, null),
      text('evidence', 'PrefLens evidence', false, 'why PrefLens suspects the pair; evidence, not a verdict'),
    ],
    vectors: [],
    metadata: [
      number('margin', 'float', 'margin (beta x log-ratio difference)'),
      number('chosen_reward', 'float', 'chosen reward'),
      number('rejected_reward', 'float', 'rejected reward'),
      number('review_score', 'float', 'review score'),
      number('review_rank', 'integer', 'review rank'),
      number('ches_ln', 'float', 'length-normalised CHES'),
      number('index', 'integer', 'dataset row'),
      terms('suspicion_reasons', 'suspicions', reasons),
      terms('flag', 'PrefLens flag', ['ok', 'noisy', 'swap', 'drop']),
      terms('pair_id', 'PrefLens pair id', null),
    ],
    allow_extra_metadata: false,
  };
}

/**
 * Argilla records (JSONL) and settings for the scored pairs: one record per score record whose
 * pair is readable, in row order. A pair with an empty chosen or rejected response is skipped
 * (Argilla requires both fields).
 */
export function toArgillaRecords(records: readonly ArgillaScoreInput[], pairs: ArgillaPairLookup, options: ArgillaExportOptions = {}): ArgillaExport {
  const sorted = [...records].sort((a, b) => a.index - b.index);
  const scale = Math.max(0, ...sorted.map((r) => (finite(r.review_score) ? r.review_score : 0)));
  const seenReasons = new Set<string>(KNOWN_REASONS);
  const out: ArgillaRecord[] = [];
  const skipped: ArgillaExport['skipped'] = [];
  const suggested: Record<ArgillaLabel, number> = { keep: 0, swap: 0, drop: 0 };
  for (const r of sorted) {
    const pair = lookup(pairs, r.index);
    if (!pair) {
      skipped.push({ index: r.index, reason: 'the dataset has no readable pair at this row' });
      continue;
    }
    const chosen = turnsPlainText(pair.chosen);
    const rejected = turnsPlainText(pair.rejected);
    if (chosen === '' || rejected === '') {
      skipped.push({ index: r.index, reason: `the ${chosen === '' ? 'chosen' : 'rejected'} response is empty (Argilla requires it)` });
      continue;
    }
    const pairId = r.id ?? pair.id;
    const fields: ArgillaRecord['fields'] = { chosen, rejected };
    const prompt = turnsPlainText(pair.prompt);
    if (prompt !== '') fields.prompt = prompt;
    const suspicions = r.suspicions ?? [];
    if (suspicions.length > 0) fields.evidence = suspicions.map((s) => `${s.reason}: ${s.evidence ?? ''}`.trim()).join('\n');
    const metadata: ArgillaRecord['metadata'] = { index: r.index, pair_id: pairId };
    for (const key of ['margin', 'chosen_reward', 'rejected_reward', 'review_score', 'ches_ln'] as const) if (finite(r[key])) metadata[key] = r[key];
    if (finite(r.review_rank) && Number.isInteger(r.review_rank)) metadata.review_rank = r.review_rank;
    if (suspicions.length > 0) {
      const reasons = [...new Set(suspicions.map((s) => s.reason))];
      metadata.suspicion_reasons = reasons;
      for (const reason of reasons) seenReasons.add(reason);
    }
    const flagEntry = options.flags?.get(pairId);
    const flag = typeof flagEntry === 'string' ? flagEntry : flagEntry?.flag;
    if (flag !== undefined) metadata.flag = flag;
    const suggestion = suggestLabel(r, flag, scale);
    if (suggestion) suggested[suggestion.value]++;
    out.push({ id: `${pairId}-${r.index}`, fields, metadata, suggestions: suggestion ? [suggestion] : [] });
  }
  const settings = argillaSettings([...seenReasons], options.guidelines);
  return {
    records: out,
    jsonl: out.map((record) => `${JSON.stringify(record)}\n`).join(''),
    settings,
    settingsJson: `${JSON.stringify(settings, null, 2)}\n`,
    skipped,
    suggested,
  };
}
