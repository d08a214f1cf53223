/**
 * RewardBench interop: read the per-pair scores RewardBench writes, turn them into PrefLens score
 * records, and write PrefLens scores back in RewardBench's own per-pair layout.
 *
 * Design note: what RewardBench writes (read in allenai/reward-bench)
 * - `rewardbench` CLI, rewardbench/rewardbench.py @d5b87d1: after inference it always writes
 *   `{output_dir}/{model}_outputs.jsonl` with `save_jsonl` (about lines 109-120: one `json.dump` per row
 *   of a dict of columns). Keys: `prompt` (chat-formatted), `results` (1 if chosen > rejected else
 *   0), `scores_chosen`, `scores_rejected`, `text_chosen`, `text_rejected`, then every other column
 *   of the evaluated dataset (`id`, `subset`, raw `chosen`/`rejected`, ...: the `combined_data`
 *   block under "save outputs directly"). With `--save_all` it also writes
 *   `{output_dir}{model}_all.jsonl`, one `{"chosen": s_w, "rejected": s_l}` per row and no id (the
 *   `if args.save_all:` block). Before PR #184 (Sept. 2024) every line of that file repeated the
 *   whole two lists; such files are read by taking element k on line k.
 * - scripts/run_dpo.py and scripts/run_rm.py @2560a78: `out_dataset.to_dict()` plus the scalars
 *   `model`, `model_type`, `chat_template`, saved by `save_to_hub` (rewardbench/utils.py @a009692)
 *   as ONE JSON object of columns, `json.dumps(indent=4, sort_keys=True)`, at
 *   `results/eval-set-scores/{model}.json` (`pref-sets-scores/` with --pref_sets). run_rm keeps
 *   `id`, run_dpo drops it (rows are then matched by position). Both also write a summary
 *   (`results/eval-set/{model}.json`, the CLI's `{model}.json`): accuracies only, refused here.
 * - DPO scores (rewardbench/dpo.py @ba8474f, `DPOInference.inference_step`): scores_chosen =
 *   log pi(y_w|x) - log pi_ref(y_w|x), completion log-probs summed (`get_batch_logps`,
 *   average_log_prob False when a reference is given), without beta. Reference-free runs
 *   (run_dpo without --ref_model, model_type "DPO Ref. Free") score log pi alone, averaged per
 *   token by default (`--ref_free_type avg`; or `sum`, or `norm` = -L2 norm of the per-token
 *   log-probs). Classifier RMs (run_rm, CLI without --ref_model) write the model's raw logit.
 * - Python's json writes NaN / Infinity as bare tokens: they are read, and the row is reported.
 * - RewardBench tokenizes its own way (chat template or FastChat, BOS prepended, EOS appended,
 *   prompt cut to 128 tokens keep_end past 2048), so imported numbers are RewardBench's, not what
 *   `preflens score` would compute for the same checkpoints.
 *
 * Import: chosen_reward = beta * scores_chosen (the DPO implicit reward, METRICS 2.1),
 * rejected_reward likewise, margin = chosen_reward - rejected_reward; log-probs stay null.
 * Export (the other way, in rewardBenchExport.ts): scores_* = S_policy - S_ref of that side.
 */
import type { PairScore } from '../protocol/engineProtocol';

export type RewardBenchLayout = 'outputs-jsonl' | 'save-all-jsonl' | 'scores-json';
export type RewardBenchScoreKind = 'dpo' | 'dpo-ref-free' | 'classifier' | 'unknown';

export interface RewardBenchEntry {
  /** The row's `id` column (RewardBench's own id, or the evaluated dataset's), null when absent. */
  id: string | number | null;
  /** 1-based line of the row (for the columnar file: of its `scores_chosen` element). */
  line: number;
  /** 0-based record position in the file: the dataset row when rows are matched by order. */
  position: number;
  subset?: string;
  scoreChosen: number;
  scoreRejected: number;
  /** `results` as RewardBench wrote it (1 / 0), when it is one of those. */
  correct?: boolean;
  /** Every other column of the row, verbatim. */
  extra: Record<string, unknown>;
}

export interface RewardBenchIssue {
  file: string;
  line: number;
  field: string;
  message: string;
  severity: 'error' | 'warning';
}

export interface RewardBenchParse {
  layout: RewardBenchLayout | null;
  entries: RewardBenchEntry[];
  issues: RewardBenchIssue[];
  /** Records (rows) seen, good and bad. */
  records: number;
  scoreKind: RewardBenchScoreKind;
  meta: { model?: string; refModel?: string; modelType?: string; chatTemplate?: string };
}

// Python's bare NaN / Infinity become these strings, which no real score can be.
const NON_FINITE: Record<string, string> = { '\u0000NaN': 'NaN', '\u0000Infinity': 'Infinity', '\u0000-Infinity': '-Infinity' };

/** JSON.parse that also accepts Python's NaN, Infinity and -Infinity outside strings. */
function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
    let out = '';
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (inString) {
        out += c;
        if (c === '\\') out += text[++i] ?? '';
        else if (c === '"') inString = false;
        continue;
      }
      const token = ['-Infinity', 'Infinity', 'NaN'].find((t) => text.startsWith(t, i));
      if (token) {
        out += JSON.stringify(`\u0000${token}`);
        i += token.length - 1;
        continue;
      }
      if (c === '"') inString = true;
      out += c;
    }
    try {
      return JSON.parse(out);
    } catch {
      throw error;
    }
  }
}

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v).slice(0, 40)}`);

/** A score as RewardBench writes it: a number, or a one-element list (some models return [[x]]). */
function readScore(value: unknown, field: string): { ok: number } | { error: string } {
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: value };
  if (typeof value === 'string' && value in NON_FINITE) return { error: `${field} is ${NON_FINITE[value]}: the model gave no finite score` };
  if (Array.isArray(value) && value.length === 1) return readScore(value[0], field);
  if (value === null) return { error: `${field} is null (RewardBench writes None when the model returns no score)` };
  if (value === undefined) return { error: `${field} is missing` };
  return { error: `${field} should be a number, found ${describe(value)}` };
}

const scoreLike = (v: unknown): boolean => typeof v === 'number' || v === null || (typeof v === 'string' && v in NON_FINITE) || (Array.isArray(v) && v.every((x) => typeof x === 'number' || x === null || (typeof x === 'string' && x in NON_FINITE)));

function readResults(value: unknown): boolean | undefined {
  if (value === 1 || value === true) return true;
  if (value === 0 || value === false) return false;
  return undefined;
}

function kindOf(modelType: string | undefined): RewardBenchScoreKind {
  if (modelType === undefined) return 'unknown';
  if (/ref\.?[ -]?free/i.test(modelType)) return 'dpo-ref-free';
  return /dpo/i.test(modelType) ? 'dpo' : 'classifier';
}

interface RowContext {
  file: string;
  line: number;
  position: number;
  issues: RewardBenchIssue[];
  /** Columnar file: the line of this row's element of a column. */
  lineOf?: (field: string) => number | undefined;
}

/** One row object (a JSONL line, or row k of the columnar file) -> an entry, or issues. */
function entryFromRow(row: Record<string, unknown>, at: RowContext, allLists?: number): { entry?: RewardBenchEntry; layout?: RewardBenchLayout } {
  const report = (field: string, message: string, severity: 'error' | 'warning' = 'error'): void => void at.issues.push({ file: at.file, line: at.lineOf?.(field) ?? at.line, field, message, severity });
  let chosenField: string;
  let rejectedField: string;
  let layout: RewardBenchLayout;
  if ('scores_chosen' in row || 'scores_rejected' in row) {
    [chosenField, rejectedField, layout] = ['scores_chosen', 'scores_rejected', 'outputs-jsonl'];
  } else if ('chosen' in row && 'rejected' in row && scoreLike(row.chosen) && scoreLike(row.rejected)) {
    [chosenField, rejectedField, layout] = ['chosen', 'rejected', 'save-all-jsonl'];
  } else {
    if ('scores' in row) report('scores', 'a RewardBench 2 / best-of-N row (several scores per prompt), not a chosen/rejected pair');
    else if ('text' in row && 'results' in row) report('results', 'an instruction-data row (one score per text), not a chosen/rejected pair');
    else report('scores_chosen', 'no scores_chosen / scores_rejected (nor chosen / rejected scores of a --save_all file)');
    return {};
  }
  let rawChosen = row[chosenField];
  let rawRejected = row[rejectedField];
  // The pre-#184 --save_all file: every line holds both whole lists; line k means element k.
  if (layout === 'save-all-jsonl' && allLists !== undefined && Array.isArray(rawChosen) && Array.isArray(rawRejected) && rawChosen.length === allLists && rawRejected.length === allLists && allLists > 1) {
    rawChosen = rawChosen[at.position];
    rawRejected = rawRejected[at.position];
  }
  const chosen = readScore(rawChosen, chosenField);
  const rejected = readScore(rawRejected, rejectedField);
  if ('error' in chosen) report(chosenField, chosen.error);
  if ('error' in rejected) report(rejectedField, rejected.error);
  if ('error' in chosen || 'error' in rejected) return { layout };
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (key !== chosenField && key !== rejectedField) extra[key] = value;
  const id = typeof row.id === 'string' || (typeof row.id === 'number' && Number.isFinite(row.id)) ? row.id : null;
  if (id !== null) delete extra.id;
  const subsetValue = typeof row.subset === 'string' ? row.subset : typeof row.subsets === 'string' ? row.subsets : undefined;
  const correct = readResults(row.results);
  if (correct !== undefined) delete extra.results;
  const entry: RewardBenchEntry = { id, line: at.line, position: at.position, scoreChosen: chosen.ok, scoreRejected: rejected.ok, extra };
  if (subsetValue !== undefined) {
    entry.subset = subsetValue;
    delete extra[typeof row.subset === 'string' ? 'subset' : 'subsets'];
  }
  if (correct !== undefined) {
    entry.correct = correct;
    if (correct !== chosen.ok > rejected.ok) report('results', `results is ${correct ? 1 : 0} but scores_chosen ${chosen.ok} ${chosen.ok > rejected.ok ? '>' : '<='} scores_rejected ${rejected.ok}; the scores are used`, 'warning');
  }
  return { entry, layout };
}

/** For a JSON object of columns: the 1-based line of each element of each top-level list. */
function columnElementLines(text: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  let line = 1;
  let depth = 0;
  let inString = false;
  let stringStart = 0;
  let lastString = '';
  let key: string | null = null;
  let list: number[] | null = null;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') {
        inString = false;
        lastString = text.slice(stringStart, i);
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (expectElement && depth === 2 && c !== ']') {
      list?.push(line);
      expectElement = false;
    }
    if (c === '"') {
      inString = true;
      stringStart = i + 1;
    } else if (c === ':' && depth === 1) {
      try {
        key = JSON.parse(`"${lastString}"`) as string;
      } catch {
        key = lastString;
      }
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 2 && c === '[' && key !== null) {
        list = [];
        out.set(key, list);
        expectElement = true;
      }
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth <= 1) {
        list = null;
        expectElement = false;
      }
    } else if (c === ',' && depth === 2 && list !== null) {
      expectElement = true;
    }
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseColumnar(text: string, file: string, object: Record<string, unknown>, result: RewardBenchParse): void {
  const lines = columnElementLines(text);
  const columns = Object.entries(object).filter(([, v]) => Array.isArray(v)) as [string, unknown[]][];
  for (const [key, value] of Object.entries(object)) {
    if (Array.isArray(value) || typeof value !== 'string') continue;
    if (key === 'model') result.meta.model = value;
    else if (key === 'ref_model') result.meta.refModel = value;
    else if (key === 'model_type') result.meta.modelType = value;
    else if (key === 'chat_template') result.meta.chatTemplate = value;
  }
  const chosen = object.scores_chosen;
  const rejected = object.scores_rejected;
  const keyLine = (k: string): number => {
    const at = text.indexOf(`"${k}"`);
    return at < 0 ? 1 : text.slice(0, at).split('\n').length;
  };
  if (!Array.isArray(chosen) || !Array.isArray(rejected)) {
    const missing = !Array.isArray(chosen) ? 'scores_chosen' : 'scores_rejected';
    result.issues.push({ file, line: keyLine(missing), field: missing, message: `the object of columns has no ${missing} list (a Custom Classifier run saves no scores)`, severity: 'error' });
    return;
  }
  const n = Math.max(chosen.length, rejected.length);
  if (chosen.length !== rejected.length) {
    result.issues.push({ file, line: keyLine('scores_rejected'), field: 'scores_rejected', message: `scores_chosen has ${chosen.length} values but scores_rejected ${rejected.length}: the rows past ${Math.min(chosen.length, rejected.length)} are incomplete`, severity: 'error' });
  }
  result.records = n;
  for (let k = 0; k < n; k++) {
    const row: Record<string, unknown> = {};
    for (const [key, values] of columns) if (k < values.length) row[key] = values[k];
    const line = lines.get('scores_chosen')?.[k] ?? lines.get('scores_rejected')?.[k] ?? keyLine('scores_chosen');
    const { entry } = entryFromRow(row, { file, line, position: k, issues: result.issues, lineOf: (field) => lines.get(field)?.[k] });
    if (entry) result.entries.push(entry);
  }
}

/**
 * Parses a RewardBench per-pair output: the CLI's `{model}_outputs.jsonl`, its `--save_all`
 * `{model}_all.jsonl` (both JSONL, one row a line), or the object of columns run_dpo.py /
 * run_rm.py save as `results/eval-set-scores/{model}.json`. A bad row is reported with its
 * line and never stops the others. Rows keep their order (`position`).
 */
export function parseRewardBenchOutput(text: string, fileName: string): RewardBenchParse {
  const result: RewardBenchParse = { layout: null, entries: [], issues: [], records: 0, scoreKind: 'unknown', meta: {} };
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const fileIssue = (message: string, field = ''): void => void result.issues.push({ file: fileName, line: 1, field, message, severity: 'error' });
  if (body.trim() === '') {
    fileIssue('the file is empty');
    return result;
  }
  // The columnar layout or a summary is one JSON value for the whole file. A first line that is
  // a value by itself is a JSONL row (or a one-line file), so a large JSONL is not parsed twice.
  const tryParse = (t: string): unknown => {
    try {
      return parsePythonJson(t);
    } catch {
      return undefined;
    }
  };
  const whole = tryParse(body.trimStart().split('\n', 1)[0]!) ?? tryParse(body);
  const columnar = isObject(whole) && (Array.isArray(whole.results) || (Array.isArray(whole.scores_chosen) && Array.isArray(whole.scores_rejected) && whole.scores_chosen.length !== 1));
  const summary = isObject(whole) && !columnar && (('accuracy' in whole && 'num_prompts' in whole) || (!Object.values(whole).some((v) => Array.isArray(v)) && 'model' in whole && !('scores_chosen' in whole) && !('chosen' in whole)));
  if (columnar && isObject(whole)) {
    result.layout = 'scores-json';
    parseColumnar(body, fileName, whole, result);
    result.scoreKind = kindOf(result.meta.modelType);
  } else if (summary) {
    fileIssue('this is a RewardBench accuracy summary (per subset), not per-pair scores: use {model}_outputs.jsonl, {model}_all.jsonl (--save_all) or results/eval-set-scores/{model}.json');
    return result;
  } else {
    const rows: { line: number; value?: Record<string, unknown> }[] = [];
    body.split('\n').forEach((raw, i) => {
      const lineText = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (lineText.trim() === '') return;
      const line = i + 1;
      try {
        const value = parsePythonJson(lineText);
        if (isObject(value)) rows.push({ line, value });
        else {
          rows.push({ line });
          result.issues.push({ file: fileName, line, field: '', message: `expected a JSON object, found ${describe(value)}`, severity: 'error' });
        }
      } catch (error) {
        rows.push({ line });
        result.issues.push({ file: fileName, line, field: '', message: `malformed JSON: ${(error as Error).message}`, severity: 'error' });
      }
    });
    result.records = rows.length;
    rows.forEach(({ line, value }, position) => {
      if (!value) return;
      const { entry, layout } = entryFromRow(value, { file: fileName, line, position, issues: result.issues }, rows.length);
      result.layout ??= layout ?? null;
      if (entry) result.entries.push(entry);
    });
    // Rows PrefLens wrote with --model carry the run's model columns on every row.
    const first = result.entries[0]?.extra;
    if (typeof first?.model === 'string') result.meta.model = first.model;
    if (typeof first?.ref_model === 'string') result.meta.refModel = first.ref_model;
    if (typeof first?.model_type === 'string') result.meta.modelType = first.model_type;
    result.scoreKind = kindOf(result.meta.modelType);
  }
  if (result.scoreKind === 'dpo-ref-free') fileIssue(`model_type "${result.meta.modelType}": reference-free scores (log pi alone, per-token average by default), not DPO log-ratios; beta x score is not a DPO reward`, 'model_type');
  if (result.scoreKind === 'classifier') fileIssue(`model_type "${result.meta.modelType}": reward-model scores, not DPO log-ratios; import with --beta 1 to keep them as they are`, 'model_type');
  for (const issue of result.issues) if (issue.field === 'model_type') issue.severity = 'warning';
  return result;
}

// ---------------------------------------------------------------------------------------------
// Import: entries -> PrefLens score records

export interface RewardBenchScoreRecord extends PairScore {
  beta: number;
  source: 'rewardbench';
  rewardbench: { line: number; id: string | number | null; subset?: string; correct?: boolean };
}

/** A dataset row index, or why there is none (undefined: no row, reason unknown). */
export type RewardBenchMatch = (entry: RewardBenchEntry) => number | undefined | { reason: string };

export interface RewardBenchImport {
  records: RewardBenchScoreRecord[];
  unmatched: { entry: RewardBenchEntry; reason: string }[];
}

/**
 * Score records from RewardBench entries: chosen_reward = beta * scores_chosen, rejected_reward
 * = beta * scores_rejected, margin = chosen_reward - rejected_reward, log-probs and token counts
 * null, `source: 'rewardbench'`. Sorted by row; an entry no row matches, or a second entry for an
 * already matched row, is reported in `unmatched`.
 */
export function rewardBenchToRecords(entries: readonly RewardBenchEntry[], match: RewardBenchMatch, beta: number, options: { pairId?: (index: number) => string | null } = {}): RewardBenchImport {
  if (!(Number.isFinite(beta) && beta > 0)) throw new RangeError(`beta must be a positive number, got ${beta}`);
  const byIndex = new Map<number, RewardBenchScoreRecord>();
  const unmatched: RewardBenchImport['unmatched'] = [];
  for (const entry of entries) {
    const m = match(entry);
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 0) {
      unmatched.push({ entry, reason: typeof m === 'object' ? m.reason : `no dataset row matches ${entry.id !== null ? `id ${JSON.stringify(entry.id)}` : `record ${entry.position + 1}`}` });
      continue;
    }
    const previous = byIndex.get(m);
    if (previous) {
      unmatched.push({ entry, reason: `row ${m} is already matched by line ${previous.rewardbench.line}` });
      continue;
    }
    const chosenReward = beta * entry.scoreChosen;
    const rejectedReward = beta * entry.scoreRejected;
    const info: RewardBenchScoreRecord['rewardbench'] = { line: entry.line, id: entry.id };
    if (entry.subset !== undefined) info.subset = entry.subset;
    if (entry.correct !== undefined) info.correct = entry.correct;
    byIndex.set(m, {
      index: m, id: options.pairId?.(m) ?? null, status: 'ok', error: null,
      chosen_tokens: null, rejected_tokens: null, chosen_logps: null, rejected_logps: null, ref_chosen_logps: null, ref_rejected_logps: null,
      chosen_reward: chosenReward, rejected_reward: rejectedReward, margin: chosenReward - rejectedReward, ches: null, ches_ln: null,
      beta, source: 'rewardbench', rewardbench: info,
    });
  }
  return { records: [...byIndex.values()].sort((a, b) => a.index - b.index), unmatched };
}

export type Turns = string | readonly { role: string; content: string }[];

export interface MatchablePair {
  index: number;
  /** PrefLens pair id. */
  id: string;
  chosen: Turns;
  rejected: Turns;
  attributes?: Readonly<Record<string, unknown>>;
}

/** The response text as RewardBench keeps it: the string, or the last message's content. */
export const responseOf = (turns: Turns): string => (typeof turns === 'string' ? turns : (turns[turns.length - 1]?.content ?? ''));
const sameResponse = (text: string, turns: Turns): boolean => text === responseOf(turns) || text.trim() === responseOf(turns).trim();

/**
 * The matching `preflens import --rewardbench` uses, in order:
 * 1. `preflens_pair_id` (+ `preflens_index`) columns, as `toRewardBenchJsonl` writes them;
 * 2. `id` equal to the dataset's id column (`idColumn`, default `id`), else to a PrefLens pair id;
 *    an id found in several rows is ambiguous and not matched;
 * 3. rows without any id (`--save_all` files, run_dpo's scores, datasets without an id column)
 *    by position: record k of the file is dataset row k. When the row carries the raw `chosen` /
 *    `rejected` texts (the CLI's `_outputs.jsonl`), they must equal that row's responses.
 * `byPosition: true` skips 1-2. `rowCount` tells rows past the end from unreadable rows.
 */
export function createRewardBenchMatcher(pairs: readonly MatchablePair[], options: { idColumn?: string; rowCount?: number; byPosition?: boolean } = {}): RewardBenchMatch {
  const idColumn = options.idColumn ?? 'id';
  const byIndex = new Map<number, MatchablePair>();
  const byPairId = new Map<string, number[]>();
  const byColumn = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, key: string, index: number): void => void (map.get(key) ?? map.set(key, []).get(key)!).push(index);
  for (const pair of pairs) {
    byIndex.set(pair.index, pair);
    add(byPairId, pair.id, pair.index);
    const value = pair.attributes?.[idColumn];
    if (typeof value === 'string' || typeof value === 'number') add(byColumn, String(value), pair.index);
  }
  const unique = (rows: number[] | undefined, what: string): number | { reason: string } | undefined => {
    if (!rows) return undefined;
    return rows.length === 1 ? rows[0]! : { reason: `${what} occurs in ${rows.length} dataset rows (${rows.slice(0, 5).join(', ')}): ambiguous` };
  };
  return (entry) => {
    const pairId = entry.extra.preflens_pair_id;
    const index = entry.extra.preflens_index;
    if (!options.byPosition && typeof pairId === 'string') {
      if (typeof index === 'number' && byIndex.get(index)?.id === pairId) return index;
      return unique(byPairId.get(pairId), `pair id ${pairId}`) ?? { reason: `no dataset row has PrefLens pair id ${pairId}` };
    }
    if (!options.byPosition && entry.id !== null) {
      const key = String(entry.id);
      return unique(byColumn.get(key), `${idColumn} ${JSON.stringify(entry.id)}`) ?? unique(byPairId.get(key), `pair id ${key}`)
        ?? { reason: `no dataset row has ${idColumn} ${JSON.stringify(entry.id)} (nor that PrefLens pair id); if the two files are in the same order, match by position instead` };
    }
    const k = entry.position;
    if (options.rowCount !== undefined && k >= options.rowCount) return { reason: `record ${k + 1} of the RewardBench file is past the dataset's ${options.rowCount} rows` };
    const pair = byIndex.get(k);
    if (!pair) return { reason: `dataset row ${k} (matched by position) could not be read` };
    const chosen = entry.extra.chosen;
    const rejected = entry.extra.rejected;
    if (typeof chosen === 'string' && typeof rejected === 'string' && !(sameResponse(chosen, pair.chosen) && sameResponse(rejected, pair.rejected))) {
      return { reason: `matched by position to row ${k}, but that row's chosen/rejected text differs from the RewardBench row: the files are not in the same order` };
    }
    return k;
  };
}
