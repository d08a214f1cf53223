// `preflens import` (issue 14): log-probs computed elsewhere become a score file equal to what
// `preflens score` computes. vLLM-structured fixtures for the embedded models (made by an
// independent full-logits path, test/fixtures/interop/makeVllmFixtures.ts) give the engine's
// rewards within 1e-4; TRL's ref columns exported and re-imported give identical numbers (JSONL,
// Parquet, and the Arrow stream `datasets` writes); interchange rows round-trip; bad rows and
// tokenization mismatches are reported per row and per pair while the rest is imported.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, test } from 'node:test';
import { buildModels, MODELS as MODELS_DIR } from '../../examples/buildModels';
import { Field, Float64, List, Table, tableToIPC, Utf8, vectorFromArray, Struct } from 'apache-arrow';
import { writeParquetRows } from '../../native/data/parquetWriter';
import { FlagsStore } from '../../native/data/flagsStore';
import { FIXTURE_PAIRS } from '../fixtures/interop/makeVllmFixtures';

const cli = resolve('dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'preflens-import-'));
const cache = join(dir, 'cache');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args, '--cache-dir', cache], { encoding: 'utf8' });
const FIX = resolve('test/fixtures/interop/vllm');
const MODELS = resolve('examples/models');
const readRecords = (path: string): Record<string, unknown>[] => readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const SUMS = ['chosen_logps', 'rejected_logps', 'ref_chosen_logps', 'ref_rejected_logps', 'chosen_reward', 'rejected_reward', 'margin'] as const;

// The embedded models are built by `npm run models` (deterministic; a fresh clone has none yet).
async function ensureModels(): Promise<void> {
  if (!existsSync(join(MODELS_DIR, 'policy', 'onnx', 'model.onnx'))) await buildModels(MODELS_DIR, () => undefined);
}

// The first pairs of the embedded sample, scored once by the engine with per-token arrays.
const data = join(dir, 'sample-head.jsonl');
writeFileSync(data, readFileSync('examples/sample/pairs.jsonl', 'utf8').split('\n').slice(0, FIXTURE_PAIRS).join('\n') + '\n');
const engineScores = join(dir, 'engine.jsonl');
let engine: Record<string, unknown>[] = [];
before(async () => {
  await ensureModels();
  const scored = run(['score', data, '--policy', `${MODELS}/policy`, '--ref', `${MODELS}/reference`, '--device', 'cpu', '--tokens', '--out', engineScores]);
  assert.equal(scored.status, 0, scored.stderr);
  engine = readRecords(engineScores);
});

test('vLLM prompt_logprobs fixtures for the embedded models give the engine\'s numbers within 1e-4', () => {
  const out = join(dir, 'vllm.jsonl');
  const r = run(['import', data, '--policy', `${FIX}/policy.prompt_logprobs.jsonl`, '--ref', `${FIX}/reference.prompt_logprobs.jsonl`, '--tokenizer', `${MODELS}/policy`, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const imported = readRecords(out);
  assert.equal(imported.length, FIXTURE_PAIRS);
  for (const [i, rec] of imported.entries()) {
    assert.equal(rec.status, 'ok', String(rec.error));
    assert.equal(rec.chosen_tokens, engine[i]!.chosen_tokens);
    assert.equal(rec.rejected_tokens, engine[i]!.rejected_tokens);
    for (const k of SUMS) assert.ok(Math.abs((rec[k] as number) - (engine[i]![k] as number)) < 1e-4, `row ${i} ${k}: ${rec[k]} vs ${engine[i]![k]}`);
    assert.equal(rec.ches, null, 'CHES needs hidden states, which no import carries');
    assert.equal(typeof rec.review_score, 'number', 'the analysis ran on the imported pairs');
  }
  assert.equal(readFileSync(`${out}.import-issues.jsonl`, 'utf8'), '', 'no row problem and no tokenization mismatch');
  const meta = JSON.parse(readFileSync(`${out}.meta.json`, 'utf8')) as { imported: boolean; tokenization: { checked: boolean; mismatched_sides: number }; sources: { kind: string }[] };
  assert.equal(meta.imported, true);
  assert.deepEqual(meta.tokenization.checked, true);
  assert.deepEqual(meta.sources.map((s) => s.kind), ['vllm', 'vllm']);
});

test('without --tokenizer a dump that has no completion_start says what is missing, per row', () => {
  const out = join(dir, 'vllm-notok.jsonl');
  const r = run(['import', data, '--policy', `${FIX}/policy.prompt_logprobs.jsonl`, '--ref', `${FIX}/reference.prompt_logprobs.jsonl`, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  for (const rec of readRecords(out)) {
    assert.equal(rec.status, 'invalid');
    assert.match(String(rec.error), /reference chosen: the source has no completion_start; give --tokenizer DIR/);
  }
  assert.match(r.stderr, /not checked against PrefLens's tokenization/);
});

function trlExport(name: string, extra: string[] = []): string {
  const out = join(dir, name);
  const e = run(['export', data, '--scores', engineScores, '--ref-logps', '--out', out, ...extra]);
  assert.equal(e.status, 0, e.stderr);
  return out;
}

function assertSameNumbers(out: string, rows: number[] = engine.map((_, i) => i)): void {
  const imported = readRecords(out);
  for (const i of rows) {
    for (const k of SUMS) assert.equal(imported[i]![k], engine[i]![k], `row ${i} ${k}`);
    assert.equal(imported[i]!.chosen_tokens, engine[i]!.chosen_tokens);
  }
}

test('scores exported for TRL (JSONL, Parquet) and re-imported give identical numbers', () => {
  for (const ext of ['jsonl', 'parquet']) {
    const trl = trlExport(`trl.${ext}`);
    const out = join(dir, `trl-${ext}.scores.jsonl`);
    const r = run(['import', data, '--policy', engineScores, '--ref', trl, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /reference: .*\(trl-ref, 8 rows/);
    assertSameNumbers(out);
  }
});

test('TRL columns in the Arrow stream `datasets` writes are read too', () => {
  const rows = readRecords(trlExport('for-arrow.jsonl'));
  const message = new Struct([new Field('content', new Utf8(), true), new Field('role', new Utf8(), true)]);
  const turns = new List(new Field('item', message, true));
  const table = new Table({
    prompt: vectorFromArray(rows.map((r) => r.prompt), turns),
    chosen: vectorFromArray(rows.map((r) => r.chosen), turns),
    rejected: vectorFromArray(rows.map((r) => r.rejected), turns),
    ref_chosen_logps: vectorFromArray(rows.map((r) => r.ref_chosen_logps as number), new Float64()),
    ref_rejected_logps: vectorFromArray(rows.map((r) => r.ref_rejected_logps as number), new Float64()),
  });
  const arrow = join(dir, 'cache-0123456789abcdef.arrow');
  writeFileSync(arrow, tableToIPC(table, 'stream'));
  const out = join(dir, 'trl-arrow.scores.jsonl');
  const r = run(['import', data, '--policy', engineScores, '--ref', arrow, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assertSameNumbers(out);
});

test('a filtered, label-swapped TRL copy still lines up by content', async () => {
  const pairId = engine[2]!.id as string;
  await new FlagsStore(data).set(pairId, { flag: 'swap' });
  await new FlagsStore(data).set(engine[5]!.id as string, { flag: 'drop' });
  const trl = trlExport('trl-swapped.jsonl', ['--apply-swaps']);
  await new FlagsStore(data).clearAll();
  assert.equal(readRecords(trl).length, FIXTURE_PAIRS - 1);
  const out = join(dir, 'trl-swapped.scores.jsonl');
  const r = run(['import', data, '--policy', engineScores, '--ref', trl, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const imported = readRecords(out);
  assertSameNumbers(out, engine.map((_, i) => i).filter((i) => i !== 5));
  assert.equal(imported[5]!.status, 'invalid');
  assert.match(String(imported[5]!.error), /no reference log-probs for the chosen response/);
});

/** Interchange rows from the engine's per-token arrays (what the scale-out script writes). */
function interchangeRows(): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const rec of engine) {
    for (const [role, prefix] of [['policy', ''], ['reference', 'ref_']] as const) {
      for (const side of ['chosen', 'rejected'] as const) {
        const completion = rec[`${side}_token_ids`] as number[];
        const logps = rec[`${prefix}${side}_token_logps`] as number[];
        const prompt = [1, 2, 3]; // stand-in prompt ids: only the completion is summed
        rows.push({
          example_id: rec.index, side, model_id: `examples/models/${role}`, model_role: role, dtype: 'float32',
          token_ids: [...prompt, ...completion], token_logprobs: [null, -1, -1, ...logps], completion_start: prompt.length,
          sum_logprob: logps.reduce((a, b) => a + b, 0), n_tokens: completion.length,
        });
      }
    }
  }
  return rows;
}

test('interchange rows (JSONL and Parquet, both models in one file) round-trip', async () => {
  const rows = interchangeRows();
  const jsonl = join(dir, 'both.interchange.jsonl');
  writeFileSync(jsonl, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const parquet = join(dir, 'both.interchange.parquet');
  await writeParquetRows(parquet, rows, { columns: Object.keys(rows[0]!) });
  for (const file of [jsonl, parquet]) {
    const out = join(dir, `interchange-${file.endsWith('.parquet') ? 'pq' : 'jl'}.scores.jsonl`);
    const r = run(['import', data, '--policy', file, '--ref', file, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const imported = readRecords(out);
    for (const [i, rec] of imported.entries()) for (const k of SUMS) assert.ok(Math.abs((rec[k] as number) - (engine[i]![k] as number)) < 1e-9, `${file} row ${i} ${k}`);
  }
});

test('bad rows are reported with file, line and field; the other rows are imported', () => {
  const rows = interchangeRows().map((r) => JSON.stringify(r));
  rows[0] = rows[0]!.replace('"side":"chosen"', '"side":"better"'); // row 0 policy chosen
  rows[5] = '{"example_id": 1, "side": "rejected", not json';
  rows[9] = JSON.stringify({ ...JSON.parse(rows[9]!), token_logprobs: 'oops' });
  const file = join(dir, 'bad.interchange.jsonl');
  writeFileSync(file, rows.join('\n') + '\n');
  const out = join(dir, 'bad.scores.jsonl');
  const r = run(['import', data, '--policy', file, '--ref', file, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /bad\.interchange\.jsonl:1: side: side must be "chosen" or "rejected"/);
  assert.match(r.stderr, /bad\.interchange\.jsonl:6:\d+: malformed JSON/);
  assert.equal(r.stderr.match(/bad\.interchange\.jsonl:10:/g)?.length, 1, 'a file given for both models reports each row once');
  assert.match(r.stderr, /bad\.interchange\.jsonl:10: token_logprobs:/);
  const imported = readRecords(out);
  assert.match(String(imported[0]!.error), /no policy log-probs for the chosen response/);
  assert.equal(imported.filter((x) => x.status === 'ok').length, FIXTURE_PAIRS - 3);
  const issues = readRecords(`${out}.import-issues.jsonl`);
  assert.ok(issues.some((i) => i.line === 1 && i.field === 'side'));
});

test('a tokenization mismatch is reported per pair; --strict-tokens makes the pair invalid', () => {
  const lines = readFileSync(`${FIX}/policy.prompt_logprobs.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { example_id: number; side: string; prompt_token_ids: number[]; completion_start: number });
  const target = lines.find((l) => l.example_id === 3 && l.side === 'rejected')!;
  const at = target.completion_start + 2;
  target.prompt_token_ids[at] = target.prompt_token_ids[at] === 5 ? 6 : 5;
  const file = join(dir, 'policy-mismatch.jsonl');
  // the altered token keeps its dict entry keyed by the new id, as a different tokenizer's dump would
  const raw = readFileSync(`${FIX}/policy.prompt_logprobs.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const row = raw.find((l) => l.example_id === 3 && l.side === 'rejected')! as { prompt_token_ids: number[]; prompt_logprobs: Record<string, unknown>[] };
  const old = row.prompt_token_ids[at]!;
  row.prompt_token_ids[at] = target.prompt_token_ids[at]!;
  row.prompt_logprobs[at]![String(row.prompt_token_ids[at])] = row.prompt_logprobs[at]![String(old)];
  writeFileSync(file, raw.map((l) => JSON.stringify(l)).join('\n') + '\n');
  for (const strict of [false, true]) {
    const out = join(dir, `mismatch-${strict}.scores.jsonl`);
    const r = run(['import', data, '--policy', file, '--ref', `${FIX}/reference.prompt_logprobs.jsonl`, '--tokenizer', `${MODELS}/policy`, '--out', out, ...(strict ? ['--strict-tokens'] : [])]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /1 sides tokenized differently from PrefLens \(first: row 3 policy rejected: token \d+ \(completion token 2\) is/);
    const issues = readRecords(`${out}.import-issues.jsonl`).filter((i) => i.kind === 'tokenization');
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.index, 3);
    const rec = readRecords(out)[3]!;
    assert.equal(rec.status, strict ? 'invalid' : 'ok');
  }
});

test('a source that is none of the importable formats is refused with what was expected', () => {
  const r = run(['import', data, '--policy', data, '--ref', data, '--out', join(dir, 'never.jsonl')]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /not a format PrefLens imports .*interchange schema/);
});

test('RewardBench: scores exported in its per-pair layout and imported back give the same rewards and margins', () => {
  const rb = join(dir, 'rb.jsonl');
  const e = spawnSync(process.execPath, [cli, 'export', data, '--scores', engineScores, '--as', 'rewardbench', '--out', rb, '--cache-dir', cache], { encoding: 'utf8' });
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /8 pairs in RewardBench's per-pair layout/);
  const out = join(dir, 'rb.scores.jsonl');
  const r = run(['import', data, '--rewardbench', rb, '--beta', String(engine[0]!.beta), '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const imported = readRecords(out);
  for (const [i, rec] of imported.entries()) {
    assert.equal(rec.source, 'rewardbench');
    for (const k of ['chosen_reward', 'rejected_reward', 'margin'] as const) assert.ok(Math.abs((rec[k] as number) - (engine[i]![k] as number)) < 1e-9, `row ${i} ${k}`);
    assert.equal(rec.chosen_logps, null, 'RewardBench keeps no log-probs');
  }
});

test('Argilla: records with PrefLens evidence as metadata and a suggestion per pair, plus the settings', async () => {
  await new FlagsStore(data).set(engine[1]!.id as string, { flag: 'swap' });
  const out = join(dir, 'argilla.jsonl');
  const withAnalysis = join(dir, 'vllm.jsonl'); // an import with the analysis (review scores, suspicions)
  const e = spawnSync(process.execPath, [cli, 'export', data, '--scores', withAnalysis, '--as', 'argilla', '--out', out, '--cache-dir', cache], { encoding: 'utf8' });
  await new FlagsStore(data).clearAll();
  assert.equal(e.status, 0, e.stderr);
  const records = readRecords(out) as { id: string; fields: { chosen: string }; metadata: Record<string, unknown>; suggestions: { value: string; type: string }[] }[];
  assert.equal(records.length, FIXTURE_PAIRS);
  assert.equal(typeof records[0]!.metadata.margin, 'number');
  assert.ok(records[0]!.fields.chosen.length > 0);
  assert.deepEqual(records[1]!.suggestions.map((s) => [s.value, s.type]), [['swap', 'human']], 'a person\'s flag decides the suggestion');
  const settings = JSON.parse(readFileSync(join(dir, 'argilla.settings.json'), 'utf8')) as { questions: { name: string }[] };
  assert.ok(settings.questions.some((q) => q.name === 'label'));
  const refused = spawnSync(process.execPath, [cli, 'export', data, '--scores', withAnalysis, '--as', 'argilla', '--where', 'margin > 0', '--out', out, '--cache-dir', cache], { encoding: 'utf8' });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /--as writes every scored pair; --where apply to dataset exports/);
});
