// Arrow IPC files as datasets: what Hugging Face `datasets` writes (a save_to_disk folder with
// data-*.arrow shards beside state.json / dataset_info.json, or one cache-*.arrow stream).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Field, Float64, List, Struct, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { Dataset } from '../../../native/data/dataset';

const dir = mkdtempSync(join(tmpdir(), 'preflens-arrow-'));
const message = new Struct([new Field('content', new Utf8(), true), new Field('role', new Utf8(), true)]);
const turns = new List(new Field('item', message, true));

function table(from: number, n: number): Table {
  const rows = Array.from({ length: n }, (_, k) => from + k);
  return new Table({
    prompt: vectorFromArray(rows.map((i) => [{ role: 'user', content: `question ${i} <b>bold</b>` }]), turns),
    chosen: vectorFromArray(rows.map((i) => [{ role: 'assistant', content: `good ${i}` }]), turns),
    rejected: vectorFromArray(rows.map((i) => [{ role: 'assistant', content: `bad ${i}` }]), turns),
    score: vectorFromArray(rows.map((i) => i / 2), new Float64()),
  });
}

test('a save_to_disk folder reads its .arrow shards in order and ignores the JSON metadata', async () => {
  const folder = join(dir, 'saved');
  mkdirSync(folder);
  writeFileSync(join(folder, 'data-00000-of-00002.arrow'), tableToIPC(table(0, 3), 'stream'));
  writeFileSync(join(folder, 'data-00001-of-00002.arrow'), tableToIPC(table(3, 2), 'file'));
  writeFileSync(join(folder, 'state.json'), JSON.stringify({ _data_files: [{ filename: 'data-00000-of-00002.arrow' }] }));
  writeFileSync(join(folder, 'dataset_info.json'), JSON.stringify({ features: {} }));
  const dataset = await Dataset.open(folder, { cacheDir: join(dir, 'cache') });
  assert.equal(dataset.source.format, 'folder');
  assert.equal(dataset.rowCount, 5);
  const pairs = await dataset.readPairs(0, 5);
  await dataset.close();
  assert.ok(pairs.every((p) => p.ok));
  const p4 = pairs[4]!;
  assert.ok(p4.ok);
  assert.equal(p4.pair.attributes.score, 2);
  assert.deepEqual(p4.pair.prompt, [{ role: 'user', content: 'question 4 <b>bold</b>' }], 'text passes through verbatim');
});

test('a file that is not Arrow is refused with its path', async () => {
  const bad = join(dir, 'bad.arrow');
  writeFileSync(bad, 'not arrow at all');
  await assert.rejects(Dataset.open(bad, { cacheDir: join(dir, 'cache') }), /bad\.arrow: not a readable Arrow IPC file/);
});
