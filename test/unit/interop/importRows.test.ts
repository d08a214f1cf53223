// Import row readers (native/interop): the interchange schema, vLLM prompt_logprobs lines,
// the tokenization comparison, and Arrow value conversion.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Field, Int32, Int64, List, Table, tableFromIPC, tableToIPC, vectorFromArray } from 'apache-arrow';
import { arrowToPlain } from '../../../native/data/arrowSource';
import { completionSum } from '../../../native/interop/importedSide';
import { parseInterchangeRow, withCompletionStart } from '../../../native/interop/interchangeRow';
import { compareIds } from '../../../native/interop/importScores';
import { kindOfRow } from '../../../native/interop/importSources';
import { parseVllmRow } from '../../../native/interop/vllmDump';

const ctx = { file: 'x.jsonl', index: 4, line: 5 };
const row = { example_id: 7, side: 'chosen', model_id: 'm', token_ids: [10, 11, 12, 13], token_logprobs: [null, -9, -0.5, -0.25], completion_start: 2, sum_logprob: -0.75 };

test('an interchange row sums its completion and keeps its provenance', () => {
  const r = parseInterchangeRow({ ...row, dtype: 'bfloat16', model_role: 'policy' }, ctx);
  assert.ok(r.ok);
  assert.equal(r.side.sum, -0.75);
  assert.equal(r.side.nTokens, 2);
  assert.deepEqual(r.side.example, { kind: 'index', index: 7 });
  assert.equal(r.side.role, 'policy');
  assert.equal(r.side.provenance.dtype, 'bfloat16');
  assert.deepEqual(r.warnings, []);
});

test('a declared sum that disagrees is a warning and the per-token sum wins', () => {
  const r = parseInterchangeRow({ ...row, sum_logprob: -3 }, ctx);
  assert.ok(r.ok);
  assert.equal(r.side.sum, -0.75);
  assert.equal(r.warnings[0]!.field, 'sum_logprob');
  assert.equal(r.warnings[0]!.line, 5);
});

test('each wrong field is named, with the line', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ ...row, example_id: -1 }, 'example_id'],
    [{ ...row, side: 'better' }, 'side'],
    [{ ...row, model_id: '' }, 'model_id'],
    [{ ...row, model_role: 'judge' }, 'model_role'],
    [{ ...row, token_ids: [1, 'a'] }, 'token_ids'],
    [{ ...row, token_logprobs: [null, -1] }, 'token_logprobs'],
    [{ ...row, completion_start: 9 }, 'completion_start'],
    [{ ...row, token_logprobs: [null, -9, null, -0.25] }, 'token_logprobs[2]'],
  ];
  for (const [input, field] of cases) {
    const r = parseInterchangeRow(input, ctx);
    assert.ok(!r.ok, field);
    assert.equal(r.issue.field, field);
    assert.equal(r.issue.line, 5);
    assert.equal(r.issue.file, 'x.jsonl');
  }
});

test('an empty prompt does not count the first token (TRL drops position 0)', () => {
  assert.deepEqual(completionSum([Number.NaN, -1, -2], 0), { sum: -3 });
  const r = parseInterchangeRow({ ...row, completion_start: 0 }, ctx);
  assert.ok(r.ok);
  assert.equal(r.side.nTokens, 3);
  assert.equal(r.side.sum, -9.75);
});

const vllmLine = {
  request_id: '12:rejected', model_id: 'org/m',
  prompt_token_ids: [5, 6, 7],
  prompt_logprobs: [null, { 6: { logprob: -1.5, rank: 3, decoded_token: 'b' }, 9: { logprob: -0.2, rank: 1, decoded_token: 'z' } }, { 7: { logprob: -0.1, rank: 1, decoded_token: 'c' } }],
};

test('a vLLM line: request_id names the pair, rank becomes 0-based, top-k by rank', () => {
  const r = parseVllmRow({ ...vllmLine, completion_start: 1 }, ctx, 'file');
  assert.ok(r.ok);
  assert.deepEqual(r.side.example, { kind: 'index', index: 12 });
  assert.equal(r.side.side, 'rejected');
  assert.equal(r.side.modelId, 'org/m');
  assert.equal(r.side.sum, -1.6);
  assert.deepEqual(Array.from(r.side.rank!), [Number.NaN, 2, 0]);
  assert.deepEqual(r.side.topkIds![1], [9, 6]);
});

test('a vLLM line without completion_start is completed from the prompt length', () => {
  const r = parseVllmRow(vllmLine, ctx, 'file');
  assert.ok(r.ok);
  assert.ok(Number.isNaN(r.side.sum));
  const done = withCompletionStart(r.side, 2);
  assert.ok(!('missingAt' in done));
  assert.equal(done.sum, -0.1);
  assert.equal(done.nTokens, 1);
});

test('a vLLM entry without the actual token is an error at that position', () => {
  const bad = { ...vllmLine, prompt_logprobs: [null, { 9: { logprob: -0.2, rank: 1 } }, vllmLine.prompt_logprobs[2]] };
  const r = parseVllmRow(bad, ctx, 'file');
  assert.ok(!r.ok);
  assert.equal(r.issue.field, 'prompt_logprobs[1]');
  assert.match(r.issue.message, /actual token 6/);
});

test('source kinds are told apart by their fields', () => {
  assert.equal(kindOfRow(vllmLine), 'vllm');
  assert.equal(kindOfRow(row), 'interchange');
  assert.equal(kindOfRow({ index: 0, status: 'ok', chosen_logps: -1, ref_chosen_logps: -2 }), 'preflens-scores');
  assert.equal(kindOfRow({ prompt: 'p', chosen: 'a', rejected: 'b', ref_chosen_logps: -1, ref_rejected_logps: -2 }), 'trl-ref');
  assert.equal(kindOfRow({ prompt: 'p', chosen: 'a', rejected: 'b' }), undefined);
});

test('token comparison says where and how the sequences differ', () => {
  assert.equal(compareIds([1, 2, 3], [1, 2, 3], 1, 1), undefined);
  assert.match(compareIds([1, 2, 4], [1, 2, 3], 1, 1)!, /token 2 \(completion token 1\) is 4, PrefLens has 3/);
  assert.match(compareIds([9, 2, 3], [1, 2, 3], 1, 1)!, /token 0 \(prompt\)/);
  assert.match(compareIds([1, 2], [1, 2, 3], 1, 1)!, /2 tokens, PrefLens's tokenization has 3/);
  assert.match(compareIds([1, 2, 3], [1, 2, 3], 2, 1)!, /completion starts at token 2/);
});

test('Arrow values become plain JSON: int64, nested lists, nulls', () => {
  const table = new Table({
    n: vectorFromArray([3n, 2n ** 60n], new Int64()),
    ids: vectorFromArray([[1, 2], null], new List(new Field('item', new Int32(), true))),
  });
  const back = tableFromIPC(tableToIPC(table, 'stream'));
  assert.equal(arrowToPlain(back.getChild('n')!.get(0)), 3);
  assert.equal(arrowToPlain(back.getChild('n')!.get(1)), (2n ** 60n).toString());
  assert.deepEqual(arrowToPlain(back.getChild('ids')!.get(0)), [1, 2]);
  assert.equal(arrowToPlain(back.getChild('ids')!.get(1)), null);
});
