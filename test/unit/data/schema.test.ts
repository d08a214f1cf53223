import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Dataset } from '../../../native/data/dataset';
import { peekJsonlRows } from '../../../native/data/jsonlSource';
import { parseHhTurns } from '../../../native/data/hhTurns';
import { pairIdentity } from '../../../native/data/pairId';
import { detectSchema, SchemaError } from '../../../native/data/schema';

const dir = mkdtempSync(join(tmpdir(), 'preflens-schema-'));
const cacheDir = join(dir, '.cache');

async function pairsOf(name: string, rows: unknown[], mapping?: Parameters<typeof Dataset.open>[1]['mapping']) {
  const path = join(dir, name);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n'));
  const dataset = await Dataset.open(path, { cacheDir, mapping });
  const pairs = await dataset.readPairs(0, dataset.rowCount);
  await dataset.close();
  return { schema: dataset.schema, pairs };
}

test('HelpSteer2 preference rows map to chosen/rejected by the sign, strength kept', async () => {
  const { schema, pairs } = await pairsOf('hs2.jsonl', [
    { prompt: 'Q', response_1: 'first', response_2: 'second', preference_strength: -2, preference_statement: 'x' },
    { prompt: 'Q', response_1: 'first', response_2: 'second', preference_strength: 3 },
    { prompt: 'Q', response_1: 'a', response_2: 'b', preference_strength: 0 },
  ]);
  assert.equal(schema?.kind, 'paired-preference');
  assert.ok(pairs[0]!.ok && pairs[1]!.ok);
  assert.deepEqual([pairs[0]!.pair.chosen, pairs[0]!.pair.rejected, pairs[0]!.pair.source?.strength], ['first', 'second', 2]);
  assert.deepEqual([pairs[1]!.pair.chosen, pairs[1]!.pair.source?.chosenColumn], ['second', 'response_2']);
  assert.equal(pairs[0]!.pair.id, pairs[1]!.pair.id, 'same comparison, same id');
  assert.equal(pairs[0]!.pair.direction, -pairs[1]!.pair.direction, 'opposite labels, opposite directions');
  assert.ok(!pairs[2]!.ok && pairs[2]!.issue.reason === 'no-preference');
  assert.equal(pairs[0]!.pair.attributes.preference_statement, 'x');
});

test('HelpSteer3 rows: message-list context, string responses become assistant turns', async () => {
  const { schema, pairs } = await pairsOf('hs3.jsonl', [{ context: [{ role: 'user', content: 'hi' }], response1: 'hello', response2: 'go away', overall_preference: -1 }]);
  assert.equal(schema?.kind, 'paired-preference');
  assert.ok(pairs[0]!.ok);
  assert.equal(pairs[0]!.pair.kind, 'conversational');
  assert.deepEqual(pairs[0]!.pair.chosen, [{ role: 'assistant', content: 'hello' }]);
});

test('explicit column mapping for any other layout, echoed in the description', async () => {
  const { schema, pairs } = await pairsOf('custom.jsonl', [{ question: 'Q?', good: ' yes', bad: ' no', rating: 4 }], { prompt: 'question', chosen: 'good', rejected: 'bad' });
  assert.equal(schema?.kind, 'mapped');
  assert.match(schema?.description ?? '', /prompt=question, chosen=good, rejected=bad/);
  assert.ok(pairs[0]!.ok);
  assert.deepEqual([pairs[0]!.pair.prompt, pairs[0]!.pair.chosen, pairs[0]!.pair.attributes], ['Q?', ' yes', { rating: 4 }]);
});

test('unrecognised layouts explain what was found and how to map it', () => {
  assert.throws(() => detectSchema([{ prompt: 'p', completion: 'c', label: true }], undefined), (e: unknown) => e instanceof SchemaError && /unpaired preference/.test(e.message) && /--chosen-column/.test(e.message));
});

test('implicit-prompt standard rows and HH-RLHF transcripts are told apart', () => {
  assert.equal(detectSchema([{ chosen: 'The sky is blue.', rejected: 'The sky is green.' }], undefined).kind, 'trl-implicit-standard');
  assert.equal(detectSchema([{ chosen: '\n\nHuman: hi\n\nAssistant: hello', rejected: '\n\nHuman: hi\n\nAssistant: no' }], undefined).kind, 'hh-rlhf');
});

test('HH turns are parsed for display', () => {
  assert.deepEqual(parseHhTurns('\n\nHuman: hi there\n\nAssistant: hello\n\nHuman: and?\n\nAssistant: bye'), [
    { role: 'user', content: 'hi there' },
    { role: 'assistant', content: 'hello' },
    { role: 'user', content: 'and?' },
    { role: 'assistant', content: 'bye' },
  ]);
});

test('pair ids ignore key order and survive a swap; direction flips', () => {
  const a = pairIdentity([{ role: 'user', content: 'q' }], [{ role: 'assistant', content: 'x' }], [{ role: 'assistant', content: 'y' }]);
  const b = pairIdentity([{ content: 'q', role: 'user' }], [{ content: 'y', role: 'assistant' }], [{ role: 'assistant', content: 'x' }]);
  assert.equal(a.id, b.id);
  assert.equal(a.direction, -b.direction);
  assert.match(a.id, /^[0-9a-f]{16}$/);
  assert.notEqual(pairIdentity('q', 'x', 'y').id, pairIdentity('q2', 'x', 'y').id);
});

test('the first page of a JSONL file is available without an index', async () => {
  const path = join(dir, 'peek.jsonl');
  writeFileSync(path, `\uFEFF${JSON.stringify({ prompt: 'a', chosen: 'b', rejected: 'c' })}\r\n\n{bad\n${JSON.stringify({ prompt: 'd', chosen: 'e', rejected: 'f' })}`);
  const rows = await peekJsonlRows(path, 10);
  assert.deepEqual(rows.map((r) => [r.ok, r.index, r.line]), [[true, 0, 1], [false, 1, 3], [true, 2, 4]]);
  assert.equal((await peekJsonlRows(path, 1)).length, 1);
});
