// Writing an edited completion back into the source row, in each layout: TRL strings, TRL
// conversational, HH-RLHF (prompt and completion in one string); other fields and key order kept.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { editRowCompletion } from '../../../native/data/completionEdit';
import { Dataset } from '../../../native/data/dataset';

const dir = mkdtempSync(join(tmpdir(), 'preflens-completion-edit-'));

async function edit(rows: Record<string, unknown>[], side: 'chosen' | 'rejected', text: string) {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
  const d = await Dataset.open(file, { cacheDir: join(dir, 'cache') });
  const [pair] = await d.readPairs(0, 1);
  const [raw] = await d.source.readRows(0, 1);
  await d.close();
  assert.ok(pair?.ok && raw?.ok && d.schema);
  return editRowCompletion(raw.value, pair.pair, d.schema.mapping, side, text);
}

test('TRL strings: the field is replaced; key order and other fields stay', async () => {
  const r = await edit([{ id: 7, prompt: 'Q?', chosen: 'Yes.', rejected: 'No.', score: 3 }], 'rejected', 'Maybe.');
  assert.ok(r.ok);
  assert.equal(JSON.stringify(r.row), '{"id":7,"prompt":"Q?","chosen":"Yes.","rejected":"Maybe.","score":3}');
});

test('TRL conversational: the last assistant message is replaced', async () => {
  const row = { prompt: [{ role: 'user', content: 'Hi' }], chosen: [{ role: 'assistant', content: 'Hello!' }], rejected: [{ role: 'assistant', content: 'Go away.' }] };
  const r = await edit([row], 'chosen', 'Hello there!');
  assert.ok(r.ok);
  assert.deepEqual(r.row.chosen, [{ role: 'assistant', content: 'Hello there!' }]);
  assert.deepEqual(r.row.rejected, row.rejected);
});

test('HH-RLHF: only the completion suffix of the transcript changes', async () => {
  const r = await edit([{ chosen: '\n\nHuman: Capital of France?\n\nAssistant: Paris.', rejected: '\n\nHuman: Capital of France?\n\nAssistant: Lyon.' }], 'rejected', ' Marseille, I think.');
  assert.ok(r.ok);
  assert.equal(r.row.rejected, '\n\nHuman: Capital of France?\n\nAssistant: Marseille, I think.');
  assert.equal(r.row.chosen, '\n\nHuman: Capital of France?\n\nAssistant: Paris.');
});
