// RewardBench interop: every layout RewardBench writes (fixtures hand-made in its exact format,
// see test/fixtures/interop/rewardbench/README.md), located issues for bad rows, matching to a
// real dataset, the beta conversion, and export -> parse round trips.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { Dataset } from '../../../native/data/dataset';
import type { Pair } from '../../../native/data/normalizePair';
import { createRewardBenchMatcher, parseRewardBenchOutput, rewardBenchToRecords, type RewardBenchEntry } from '../../../native/interop/rewardBench';
import { toRewardBenchJsonl, toRewardBenchScoresJson, type RewardBenchExportRecord } from '../../../native/interop/rewardBenchExport';

const FIX = resolve('test/fixtures/interop/rewardbench');
const read = (name: string): string => readFileSync(join(FIX, name), 'utf8');
const cacheDir = mkdtempSync(join(tmpdir(), 'preflens-rb-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

async function fixturePairs(): Promise<Pair[]> {
  const dataset = await Dataset.open(join(FIX, 'pairs.jsonl'), { cacheDir });
  const rows = await dataset.readPairs(0, dataset.rowCount);
  await dataset.close();
  return rows.flatMap((r) => (r.ok ? [r.pair] : []));
}

test('the CLI _outputs.jsonl: entries with ids and subsets, located issues for bad rows', () => {
  const parsed = parseRewardBenchOutput(read('policy_outputs.jsonl'), 'policy_outputs.jsonl');
  assert.equal(parsed.layout, 'outputs-jsonl');
  assert.equal(parsed.records, 8, 'blank lines are not records');
  assert.deepEqual(parsed.entries.map((e) => [e.id, e.line, e.position, e.subset, e.scoreChosen, e.scoreRejected, e.correct]), [
    [30, 1, 0, 'alpacaeval-easy', 12.5, -3.25, true],
    [31, 2, 1, 'math-prm', -1.5, 2, false],
    [32, 3, 2, 'llmbar-natural', 0.75, 0.25, true], // [x] lists unwrapped as RewardBench's own flatten does
    [34, 7, 5, 'refusals-dangerous', 0.5, 1, true],
    [99, 9, 7, 'alpacaeval-easy', 12.5, -3.25, true],
  ]);
  const first = parsed.entries[0]!;
  assert.equal(first.extra.chosen_model, 'gpt-4');
  assert.equal(first.extra.prompt, '<|user|>\nHow do I boil an egg?\n<|assistant|>\n');
  assert.ok(!('scores_chosen' in first.extra) && !('id' in first.extra) && !('results' in first.extra));
  assert.deepEqual(parsed.issues.map((i) => [i.line, i.field, i.severity]), [
    [4, '', 'error'],
    [6, 'scores_chosen', 'error'],
    [7, 'results', 'warning'],
    [8, 'scores_rejected', 'error'],
  ]);
  assert.match(parsed.issues[0]!.message, /malformed JSON/);
  assert.match(parsed.issues[1]!.message, /scores_chosen is NaN/);
  assert.match(parsed.issues[3]!.message, /null/);
  assert.ok(parsed.issues.every((i) => i.file === 'policy_outputs.jsonl'));
  assert.equal(parsed.scoreKind, 'unknown');
});

test('--save_all _all.jsonl (no ids, by position), and the pre-#184 file with both lists on every line', () => {
  const parsed = parseRewardBenchOutput(read('policy_all.jsonl'), 'policy_all.jsonl');
  assert.equal(parsed.layout, 'save-all-jsonl');
  assert.deepEqual(parsed.entries.map((e) => [e.id, e.position, e.scoreChosen, e.scoreRejected, e.correct]), [
    [null, 0, 12.5, -3.25, undefined], [null, 1, -1.5, 2, undefined], [null, 2, 0.75, 0.25, undefined], [null, 4, 0.5, 1, undefined],
  ]);
  assert.deepEqual(parsed.issues.map((i) => [i.line, i.field]), [[4, 'chosen'], [6, 'scores_chosen']]);
  const old = parseRewardBenchOutput(read('policy_all_pre184.jsonl'), 'old.jsonl');
  assert.deepEqual(old.entries.map((e) => [e.position, e.scoreChosen, e.scoreRejected]), [[0, 1, 0.5], [1, 2, 2.5], [2, 3, 1]]);
  assert.deepEqual(old.issues, []);
});

test('run_dpo / run_rm columnar eval-set-scores JSON: element lines, model type, the summary refused', () => {
  const dpo = parseRewardBenchOutput(read('eval-set-scores.dpo.json'), 'policy.json');
  assert.equal(dpo.layout, 'scores-json');
  assert.equal(dpo.scoreKind, 'dpo');
  assert.deepEqual(dpo.meta, { model: 'org/policy', modelType: 'DPO', chatTemplate: 'tulu' });
  assert.equal(dpo.records, 4);
  assert.deepEqual(dpo.entries.map((e) => [e.id, e.position, e.subset, e.scoreChosen, e.scoreRejected, e.correct]), [
    [null, 0, 'alpacaeval-easy', 12.5, -3.25, true], [null, 1, 'math-prm', -1.5, 2, false], [null, 2, 'llmbar-natural', 0.75, 0.25, true],
  ]);
  // indent=4: the k-th element of scores_chosen is on its own line; the NaN row is reported at its line
  const lines = read('eval-set-scores.dpo.json').split('\n');
  for (const e of dpo.entries) assert.equal(Number(lines[e.line - 1]!.trim().replace(/,$/, '')), e.scoreChosen);
  assert.deepEqual(dpo.issues.map((i) => [i.field, i.message.slice(0, 22)]), [['scores_rejected', 'scores_rejected is NaN']]);
  assert.equal(lines[dpo.issues[0]!.line - 1]!.trim(), 'NaN', 'reported at the element that is bad');
  const rm = parseRewardBenchOutput(read('eval-set-scores.rm.json'), 'rm.json');
  assert.equal(rm.scoreKind, 'classifier');
  assert.deepEqual(rm.entries.map((e) => e.id), [30, 31, 32]);
  assert.deepEqual(rm.issues.map((i) => [i.field, i.severity]), [['model_type', 'warning']]);
  assert.match(rm.issues[0]!.message, /--beta 1/);
  const summary = parseRewardBenchOutput(read('policy.json'), 'policy.json');
  assert.equal(summary.entries.length, 0);
  assert.match(summary.issues[0]!.message, /accuracy summary/);
});

test('reference-free DPO columns are flagged; malformed files never throw', () => {
  const refFree = parseRewardBenchOutput(JSON.stringify({ model: 'm', model_type: 'DPO Ref. Free', results: [1], scores_chosen: [-0.8], scores_rejected: [-1.2] }), 'rf.json');
  assert.equal(refFree.scoreKind, 'dpo-ref-free');
  assert.equal(refFree.entries.length, 1);
  assert.match(refFree.issues[0]!.message, /reference-free/);
  for (const text of ['', '\n\n', '[1, 2]', '{"scores_chosen": [1, 2], "scores_rejected": [1]}', '{"results": [1]}', 'not json', '{"scores": [1, 2, 3], "num_correct": 1}', '{"text": "x", "results": 0.4}', '\ufeff{"scores_chosen": 1, "scores_rejected": 0}\r\n']) {
    const parsed = parseRewardBenchOutput(text, 'x');
    assert.ok(parsed.entries.length + parsed.issues.length > 0, JSON.stringify(text));
  }
  assert.equal(parseRewardBenchOutput('\ufeff{"scores_chosen": 1, "scores_rejected": 0}\r\n', 'x').entries[0]!.scoreChosen, 1);
  assert.match(parseRewardBenchOutput('{"scores": [1, 2, 3], "num_correct": 1}', 'x').issues[0]!.message, /RewardBench 2/);
  assert.match(parseRewardBenchOutput('{"scores_chosen": [1, 2], "scores_rejected": [1]}', 'x').issues[0]!.message, /has 2 values but scores_rejected 1/);
});

test('import: matched by id against the dataset, reward = beta x score, unmatched reported', async () => {
  const pairs = await fixturePairs();
  assert.equal(pairs.length, 5);
  const parsed = parseRewardBenchOutput(read('policy_outputs.jsonl'), 'policy_outputs.jsonl');
  const match = createRewardBenchMatcher(pairs, { rowCount: 5 });
  const { records, unmatched } = rewardBenchToRecords(parsed.entries, match, 0.1, { pairId: (i) => pairs[i]!.id });
  assert.deepEqual(records.map((r) => r.index), [0, 1, 2, 4]);
  const r0 = records[0]!;
  assert.equal(r0.source, 'rewardbench');
  assert.equal(r0.status, 'ok');
  assert.equal(r0.id, pairs[0]!.id);
  assert.equal(r0.chosen_reward, 0.1 * 12.5);
  assert.equal(r0.rejected_reward, 0.1 * -3.25);
  assert.equal(r0.margin, r0.chosen_reward! - r0.rejected_reward!);
  assert.equal(r0.beta, 0.1);
  assert.deepEqual([r0.chosen_logps, r0.rejected_logps, r0.ref_chosen_logps, r0.ref_rejected_logps, r0.chosen_tokens, r0.ches], [null, null, null, null, null, null]);
  assert.deepEqual(r0.rewardbench, { line: 1, id: 30, subset: 'alpacaeval-easy', correct: true });
  assert.ok(records[1]!.margin! < 0, 'the model prefers the rejected response of id 31');
  assert.equal(unmatched.length, 1);
  assert.equal(unmatched[0]!.entry.id, 99);
  assert.match(unmatched[0]!.reason, /no dataset row has id 99/);
  assert.throws(() => rewardBenchToRecords(parsed.entries, match, 0), RangeError);
});

test('import by position: --save_all rows, with text checks on _outputs rows and duplicates refused', async () => {
  const pairs = await fixturePairs();
  const all = parseRewardBenchOutput(read('policy_all.jsonl'), 'policy_all.jsonl');
  const { records, unmatched } = rewardBenchToRecords(all.entries, createRewardBenchMatcher(pairs, { rowCount: 5 }), 1);
  assert.deepEqual(records.map((r) => [r.index, r.chosen_reward, r.rejected_reward, r.margin]), [[0, 12.5, -3.25, 15.75], [1, -1.5, 2, -3.5], [2, 0.75, 0.25, 0.5], [4, 0.5, 1, -0.5]]);
  assert.deepEqual(unmatched, []);
  // _outputs rows without ids carry the raw responses: a shifted file is caught, not mis-assigned
  const outputs = parseRewardBenchOutput(read('policy_outputs.jsonl'), 'o.jsonl').entries.map((e): RewardBenchEntry => ({ ...e, id: null }));
  const shifted = rewardBenchToRecords(outputs.map((e) => ({ ...e, position: e.position === 0 ? 1 : e.position })), createRewardBenchMatcher(pairs, { rowCount: 5 }), 1);
  assert.match(shifted.unmatched[0]!.reason, /not in the same order/);
  const byPosition = createRewardBenchMatcher(pairs, { rowCount: 5, byPosition: true });
  assert.deepEqual(byPosition(outputs[0]!), 0);
  assert.match((byPosition(outputs[4]!) as { reason: string }).reason, /past the dataset's 5 rows/);
  const twice = rewardBenchToRecords([all.entries[0]!, all.entries[0]!], () => 0, 1);
  assert.match(twice.unmatched[0]!.reason, /already matched by line 1/);
});

test('export -> parse round trip: identical numbers, RewardBench field names, strict results', async () => {
  const pairs = await fixturePairs();
  const scores: RewardBenchExportRecord[] = [
    { index: 3, status: 'ok', chosen_logps: -40.123456789, rejected_logps: -12.5, ref_chosen_logps: -41.0000001, ref_rejected_logps: -12.25, beta: 0.1 },
    { index: 0, status: 'ok', chosen_logps: -10, rejected_logps: -20, ref_chosen_logps: -11.5, ref_rejected_logps: -19, beta: 0.1 },
    { index: 1, status: 'ok', chosen_logps: -5, rejected_logps: -5, ref_chosen_logps: -5, ref_rejected_logps: -5, beta: 0.1 }, // a tie: results 0
    { index: 2, status: 'invalid', error: 'prompt too long', chosen_logps: null, rejected_logps: null, ref_chosen_logps: null, ref_rejected_logps: null },
    { index: 4, status: 'ok', chosen_logps: null, rejected_logps: null, ref_chosen_logps: null, ref_rejected_logps: null, chosen_reward: 0.0375, rejected_reward: -0.2, beta: 0.1 },
  ];
  const out = toRewardBenchJsonl(scores, pairs, { model: 'org/policy', refModel: 'org/ref' });
  assert.equal(out.written, 4);
  assert.deepEqual(out.skipped, [{ index: 2, reason: 'not scored: prompt too long' }]);
  const rows = out.text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(Object.keys(rows[0]!), ['id', 'subset', 'prompt', 'chosen', 'rejected', 'results', 'scores_chosen', 'scores_rejected', 'model', 'model_type', 'ref_model', 'preflens_index', 'preflens_pair_id']);
  assert.deepEqual(rows.map((r) => [r.id, r.subset, r.results]), [[30, 'alpacaeval-easy', 1], [31, 'math-prm', 0], [33, 'alpacaeval-hard', 1], [34, 'refusals-dangerous', 1]]);
  assert.equal(rows[0]!.scores_chosen, -10 - -11.5);
  assert.equal(rows[3]!.scores_chosen, 0.0375 / 0.1, 'rewards / beta when there are no log-probs');
  const back = parseRewardBenchOutput(out.text, 'rb.jsonl');
  assert.deepEqual(back.issues, []);
  assert.equal(back.layout, 'outputs-jsonl');
  assert.equal(back.scoreKind, 'dpo');
  assert.deepEqual(back.entries.map((e) => [e.scoreChosen, e.scoreRejected, e.correct]), rows.map((r) => [r.scores_chosen, r.scores_rejected, r.results === 1]));
  const exported = scores.filter((s) => s.index !== 2).sort((a, b) => a.index - b.index);
  back.entries.forEach((e, k) => {
    const s = exported[k]!;
    if (s.chosen_logps !== null) assert.equal(e.scoreChosen, s.chosen_logps! - s.ref_chosen_logps!);
  });
  // re-import into the same dataset: matched by pair id and row, rewards = beta x log-ratio
  const imported = rewardBenchToRecords(back.entries, createRewardBenchMatcher(pairs), 0.1);
  assert.deepEqual(imported.unmatched, []);
  assert.deepEqual(imported.records.map((r) => r.index), [0, 1, 3, 4]);
  assert.ok(Math.abs(imported.records[0]!.chosen_reward! - 0.1 * (-10 - -11.5)) < 1e-15);
  assert.ok(Math.abs(imported.records[3]!.chosen_reward! - 0.0375) < 1e-15);
  // the object of columns run_dpo saves: sorted keys, indent 4, read back the same
  const columns = toRewardBenchScoresJson(scores, pairs, { model: 'org/policy' });
  const object = JSON.parse(columns.text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(object), [...Object.keys(object)].sort());
  assert.equal(object.model_type, 'DPO');
  assert.match(columns.text, /^ {4}"scores_chosen": \[\n {8}1\.5,/m);
  const backColumns = parseRewardBenchOutput(columns.text, 'policy.json');
  assert.equal(backColumns.layout, 'scores-json');
  assert.deepEqual(backColumns.entries.map((e) => [e.id, e.scoreChosen, e.scoreRejected]), back.entries.map((e) => [e.id, e.scoreChosen, e.scoreRejected]));
});

test('untrusted text passes through export and parse verbatim', async () => {
  const pairs = await fixturePairs();
  const tricky = pairs[4]!;
  assert.match(tricky.chosen as string, /<script>/);
  const out = toRewardBenchJsonl([{ index: 4, chosen_logps: -1, rejected_logps: -2, ref_chosen_logps: -1, ref_rejected_logps: -1 }], pairs);
  const entry = parseRewardBenchOutput(out.text, 'x').entries[0]!;
  assert.equal(entry.extra.chosen, tricky.chosen);
  assert.equal(entry.extra.rejected, tricky.rejected);
  assert.equal(entry.extra.prompt, tricky.prompt);
  assert.equal(out.text.split('\n').length, 2, 'U+2028 and newlines stay escaped inside one JSONL line');
  assert.equal(entry.id, 34);
  assert.equal(entry.extra.preflens_pair_id, tricky.id);
});
