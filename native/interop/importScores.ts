/**
 * Turns log-probs computed elsewhere into PrefLens score records for a dataset: the core of
 * `preflens import` and of the extension's Import Scores command.
 *
 * Design note
 * - Sources are read per role (policy, reference); each side is matched to dataset rows by
 *   `example_id`: an integer is the row index; a string is a PrefLens pair id, else the value of
 *   the match column (`--match COLUMN`, or by default the first of `id`, `prompt_id`,
 *   `example_id`, `uid` the dataset has). TRL columns match by content (pair id and direction).
 * - With a tokenizer, each pair is tokenized as `preflens score` does (METRICS 1.1 convention A)
 *   and the imported token ids are compared with it: mismatches are reported per pair (the
 *   numbers stay, since they are what that model computed; `strictTokens` makes them invalid).
 * - A row gets status `ok` only with all four sums (policy and reference, chosen and rejected);
 *   otherwise it is `invalid` with the reason, in place, like a row `preflens score` cannot score.
 * - Rewards and margin use the same functions as scoring (METRICS 2.1, 2.2); CHES needs hidden
 *   states no importer carries, so it stays null.
 */
import { Dataset, type PairResult } from '../data/dataset';
import type { ColumnMapping } from '../data/schema';
import type { DataIssue } from '../data/types';
import type { ScoreRecord } from '../engine/scorePairs';
import { loadModelTokenizer } from '../engine/tokenize/modelTokenizer';
import { tokenizePairTrl, TRL_DEFAULT_MAX_LENGTH } from '../engine/tokenize/trlTokenize';
import { implicitRewards } from '../metrics/rewards';
import type { ImportedSide, ModelRole, SideName } from './importedSide';
import { withCompletionStart } from './interchangeRow';
import { ImportSourceError, readImportSource, type SourceRead } from './importSources';

export interface ImportOptions {
  dataset: string;
  mapping?: ColumnMapping;
  cacheDir: string;
  policy: string;
  reference: string;
  beta: number;
  /** Model or tokenizer folder: check token ids against PrefLens's tokenization. */
  tokenizer?: string;
  maxLength?: number;
  strictTokens?: boolean;
  /** 'auto' (default), 'index', 'id' (PrefLens pair id) or a dataset column. */
  match?: string;
  policyModel?: string;
  refModel?: string;
  /** Keep per-token arrays in the records (like `preflens score --tokens`). */
  tokens?: boolean;
  signal?: AbortSignal;
}

export interface TokenMismatch {
  index: number;
  id: string;
  role: ModelRole;
  side: SideName;
  message: string;
}

export interface ImportResult {
  records: ScoreRecord[];
  sources: { role: ModelRole; file: string; kind: SourceRead['kind']; rows: number; models: string[]; provenance: ImportedSide['provenance'] }[];
  /** Every row problem, with file, line and field; warnings included. */
  issues: DataIssue[];
  tokenMismatches: TokenMismatch[];
  tokenizationChecked: boolean;
  matchedBy: string;
  ok: number;
  invalid: number;
}

const MATCH_COLUMNS = ['id', 'prompt_id', 'example_id', 'uid'];
const PAGE = 2000;
type Slots = Map<number, Partial<Record<SideName, ImportedSide>>>;

function chooseModel(read: SourceRead, role: ModelRole, wanted: string | undefined): ImportedSide[] {
  const models = [...new Set(read.sides.map((s) => s.modelId))];
  if (wanted !== undefined) {
    if (!models.includes(wanted)) throw new ImportSourceError(`${read.file}: no rows for model "${wanted}" (models: ${models.join(', ')})`);
    return read.sides.filter((s) => s.modelId === wanted);
  }
  if (models.length > 1) throw new ImportSourceError(`${read.file}: rows for ${models.length} models (${models.join(', ')}) and no model_role: name the ${role} with --${role === 'policy' ? 'policy' : 'ref'}-model ID`);
  return read.sides;
}

export async function importScores(options: ImportOptions): Promise<ImportResult> {
  const dataset = await Dataset.open(options.dataset, { cacheDir: options.cacheDir, mapping: options.mapping, signal: options.signal });
  const pairs: PairResult[] = [];
  try {
    for (let start = 0; start < dataset.rowCount; start += PAGE) pairs.push(...(await dataset.readPairs(start, start + PAGE, options.signal)));
  } finally {
    await dataset.close();
  }
  if (!dataset.schema) throw new ImportSourceError(`${options.dataset}: ${dataset.schemaProblem ?? 'unknown layout'}`);

  const byPairId = new Map<string, number[]>();
  pairs.forEach((p, i) => { if (p.ok) (byPairId.get(p.pair.id) ?? byPairId.set(p.pair.id, []).get(p.pair.id)!).push(i); });
  const matchColumn = options.match && !['auto', 'index', 'id'].includes(options.match) ? options.match
    : options.match === 'auto' || options.match === undefined ? MATCH_COLUMNS.find((c) => pairs.some((p) => p.ok && p.pair.attributes[c] !== undefined)) : undefined;
  const byValue = new Map<string, number[]>();
  if (matchColumn) pairs.forEach((p, i) => {
    const v = p.ok ? p.pair.attributes[matchColumn] : undefined;
    if (v !== undefined && v !== null) (byValue.get(String(v)) ?? byValue.set(String(v), []).get(String(v))!).push(i);
  });

  const issues: DataIssue[] = [];
  const seenIssues = new Set<string>();
  const sources: ImportResult['sources'] = [];
  const slots: Record<ModelRole, Slots> = { policy: new Map(), reference: new Map() };
  for (const role of ['policy', 'reference'] as const) {
    const read = await readImportSource(role === 'policy' ? options.policy : options.reference, role, options);
    // one file holding both models is read twice: report each of its row problems once
    for (const issue of read.issues) {
      const key = `${issue.file}\0${issue.index}\0${issue.field}\0${issue.message}`;
      if (!seenIssues.has(key)) issues.push(issue);
      seenIssues.add(key);
    }
    const sides = chooseModel(read, role, role === 'policy' ? options.policyModel : options.refModel);
    sources.push({ role, file: read.file, kind: read.kind, rows: read.rows, models: [...new Set(sides.map((s) => s.modelId))], provenance: sides[0]?.provenance ?? {} });
    for (const side of sides) {
      const targets = resolve(side);
      if (targets.length === 0) {
        issues.push({ reason: 'missing-field', severity: 'warning', file: side.from.file, index: side.from.index, line: side.from.line, field: 'example_id', message: `${describe(side)} matches no row of ${options.dataset}` });
        continue;
      }
      for (const index of targets) {
        const pair = pairs[index];
        if (side.expectedPairId && pair?.ok && pair.pair.id !== side.expectedPairId) {
          issues.push({ reason: 'wrong-type', severity: 'error', file: side.from.file, index: side.from.index, line: side.from.line, field: 'id', message: `row ${index} of ${options.dataset} is a different pair than the one scored (the scores file belongs to another dataset)` });
          continue;
        }
        // A pair-id match in the other direction is the same pair with the label swapped.
        const name: SideName = side.direction !== undefined && pair?.ok && pair.pair.direction !== side.direction ? (side.side === 'chosen' ? 'rejected' : 'chosen') : side.side;
        const slot = slots[role].get(index) ?? slots[role].set(index, {}).get(index)!;
        if (slot[name]) issues.push({ reason: 'duplicate-pair', severity: 'warning', file: side.from.file, index: side.from.index, line: side.from.line, field: 'example_id', message: `a second ${role} ${name} for row ${index}; the later one is used` });
        slot[name] = side;
      }
    }
  }

  function resolve(side: ImportedSide): number[] {
    const key = side.example;
    const explicitColumn = matchColumn !== undefined && options.match === matchColumn;
    if (key.kind === 'index') return explicitColumn ? byValue.get(String(key.index)) ?? [] : key.index < pairs.length ? [key.index] : [];
    if (key.kind === 'pair-id') return byPairId.get(key.id) ?? [];
    if (options.match === 'index') return /^\d+$/.test(key.value) && Number(key.value) < pairs.length ? [Number(key.value)] : [];
    if (!explicitColumn && byPairId.has(key.value)) return byPairId.get(key.value)!;
    return options.match === 'id' ? [] : byValue.get(key.value) ?? [];
  }

  const tokenizer = options.tokenizer ? await loadModelTokenizer(options.tokenizer) : undefined;
  // The scale-out script records the hashes PrefLens uses (tokenizer.json + tokenizer_config.json,
  // and the chat template): a difference explains token mismatches before any pair is compared.
  if (tokenizer) {
    for (const source of sources) {
      const p = source.provenance;
      for (const [field, theirs, ours] of [['tokenizer_sha256', p.tokenizerSha256, tokenizer.hash], ['chat_template_sha256', p.chatTemplateSha256, tokenizer.chatTemplateHash]] as const) {
        if (theirs && ours && theirs !== ours) issues.push({ reason: 'wrong-type', severity: 'warning', file: source.file, field, message: `${field} ${theirs.slice(0, 12)}… differs from ${options.tokenizer}'s ${ours.slice(0, 12)}…: the ${source.role} was tokenized with another tokenizer or template` });
      }
    }
  }
  const maxLength = options.maxLength ?? TRL_DEFAULT_MAX_LENGTH;
  const tokenMismatches: TokenMismatch[] = [];
  const records: ScoreRecord[] = pairs.map((p, index) => {
    const base = emptyRecord(index, p.ok ? p.pair.id : null, options.beta);
    if (!p.ok) return { ...base, error: `${p.issue.field ? `${p.issue.field}: ` : ''}${p.issue.message}` };
    const expected = tokenizer ? tokenizePairTrl(p.pair, tokenizer, { maxLength }) : undefined;
    const sums: Partial<Record<string, ImportedSide>> = {};
    const problems: string[] = [];
    for (const role of ['policy', 'reference'] as const) {
      for (const name of ['chosen', 'rejected'] as const) {
        let side = slots[role].get(index)?.[name];
        if (!side) {
          problems.push(`no ${role} log-probs for the ${name} response`);
          continue;
        }
        if (side.tokenIds && expected) {
          const ours = [...expected.promptIds, ...(name === 'chosen' ? expected.chosenIds : expected.rejectedIds)];
          const start = side.completionStart ?? expected.promptIds.length;
          const mismatch = compareIds(side.tokenIds, ours, start, expected.promptIds.length);
          if (mismatch) {
            tokenMismatches.push({ index, id: p.pair.id, role, side: name, message: mismatch });
            if (options.strictTokens) problems.push(`${role} ${name}: ${mismatch}`);
          }
          if (side.completionStart === undefined) {
            const done = withCompletionStart(side, start);
            if ('missingAt' in done) {
              problems.push(`${role} ${name}: no log-prob for completion token ${done.missingAt}`);
              continue;
            }
            side = done;
          }
        } else if (side.completionStart === undefined && side.tokenIds) {
          problems.push(`${role} ${name}: the source has no completion_start; give --tokenizer DIR to find where the completion begins`);
          continue;
        }
        sums[`${role}:${name}`] = side;
      }
    }
    if (problems.length > 0) return { ...base, error: problems.join('; ') };
    const pc = sums['policy:chosen']!, pr = sums['policy:rejected']!, rc = sums['reference:chosen']!, rr = sums['reference:rejected']!;
    const r = implicitRewards({ chosen: pc.sum, rejected: pr.sum, refChosen: rc.sum, refRejected: rr.sum }, options.beta);
    const record: ScoreRecord = {
      ...base, status: 'ok', error: null,
      chosen_tokens: pc.nTokens ?? rc.nTokens ?? (expected ? expected.chosenIds.length : null),
      rejected_tokens: pr.nTokens ?? rr.nTokens ?? (expected ? expected.rejectedIds.length : null),
      chosen_logps: pc.sum, rejected_logps: pr.sum, ref_chosen_logps: rc.sum, ref_rejected_logps: rr.sum,
      chosen_reward: r.chosenReward, rejected_reward: r.rejectedReward, margin: r.margin,
    };
    if (options.tokens) Object.assign(record, tokenArrays(pc, pr, rc, rr));
    return record;
  });
  const ok = records.filter((r) => r.status === 'ok').length;
  return { records, sources, issues, tokenMismatches, tokenizationChecked: tokenizer !== undefined, matchedBy: matchColumn ? `row index or pair id, else column "${matchColumn}"` : 'row index or pair id', ok, invalid: records.length - ok };
}

function describe(side: ImportedSide): string {
  const k = side.example;
  return `example ${k.kind === 'index' ? k.index : k.kind === 'pair-id' ? `with pair id ${k.id}` : JSON.stringify(k.value)} (${side.side})`;
}

function emptyRecord(index: number, id: string | null, beta: number): ScoreRecord {
  return {
    index, id, status: 'invalid', error: null, chosen_tokens: null, rejected_tokens: null, chosen_logps: null, rejected_logps: null,
    ref_chosen_logps: null, ref_rejected_logps: null, chosen_reward: null, rejected_reward: null, margin: null, beta, ches: null, ches_ln: null,
  };
}

/** Where the imported ids part from PrefLens's, in words; undefined when they agree. */
export function compareIds(theirs: number[], ours: number[], theirStart: number, ourStart: number): string | undefined {
  if (theirStart !== ourStart) return `the completion starts at token ${theirStart}, PrefLens's tokenization at ${ourStart}`;
  const n = Math.min(theirs.length, ours.length);
  for (let i = 0; i < n; i++) {
    if (theirs[i] !== ours[i]) return `token ${i} (${i < ourStart ? 'prompt' : `completion token ${i - ourStart}`}) is ${theirs[i]}, PrefLens has ${ours[i]} (${theirs.length} vs ${ours.length} tokens)`;
  }
  if (theirs.length !== ours.length) return `${theirs.length} tokens, PrefLens's tokenization has ${ours.length} (the shorter is a prefix: truncation or a missing end-of-turn token)`;
  return undefined;
}

function completionValues(side: ImportedSide): { ids?: number[]; logps?: number[] } {
  if (!side.tokenIds || !side.tokenLogps || side.completionStart === undefined) return {};
  const from = Math.max(side.completionStart, 1);
  return { ids: side.tokenIds.slice(from), logps: Array.from(side.tokenLogps.subarray(from)) };
}

function tokenArrays(pc: ImportedSide, pr: ImportedSide, rc: ImportedSide, rr: ImportedSide): Partial<ScoreRecord> {
  const [c, r, refC, refR] = [pc, pr, rc, rr].map(completionValues);
  return { chosen_token_ids: c!.ids ?? refC!.ids, rejected_token_ids: r!.ids ?? refR!.ids, chosen_token_logps: c!.logps, rejected_token_logps: r!.logps, ref_chosen_token_logps: refC!.logps, ref_rejected_token_logps: refR!.logps };
}
