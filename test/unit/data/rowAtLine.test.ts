// Line -> record for the editor's cursor sync: JSONL with blank lines, a JSON array whose records
// span lines, and a folder of shards (no single line numbering).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Dataset } from '../../../native/data/dataset';
import { rowAtLine } from '../../../native/data/rowAtLine';

const dir = mkdtempSync(join(tmpdir(), 'preflens-rowatline-'));
const row = (i: number) => JSON.stringify({ prompt: `p${i}`, chosen: 'a', rejected: 'b' });

test('JSONL: each record line maps to its row; blank lines and the header region do not shift rows', async () => {
  const file = join(dir, 'a.jsonl');
  writeFileSync(file, `\n${row(0)}\n\n${row(1)}\n${row(2)}\n\n`);
  const d = await Dataset.open(file, { cacheDir: join(dir, 'cache') });
  assert.equal(rowAtLine(d.source, 1), undefined);
  assert.equal(rowAtLine(d.source, 2), 0);
  assert.equal(rowAtLine(d.source, 4), 1);
  assert.equal(rowAtLine(d.source, 5), 2);
  assert.equal(rowAtLine(d.source, 99), 2);
  await d.close();
});

test('JSON array: a record spanning lines is found from any of them; folders have no line numbering', async () => {
  const file = join(dir, 'b.json');
  writeFileSync(file, `[\n  {"prompt": "p0",\n   "chosen": "a", "rejected": "b"},\n  ${row(1)}\n]\n`);
  const d = await Dataset.open(file, { cacheDir: join(dir, 'cache') });
  assert.equal(rowAtLine(d.source, 2), 0);
  assert.equal(rowAtLine(d.source, 3), 0);
  assert.equal(rowAtLine(d.source, 4), 1);
  await d.close();
  const folder = join(dir, 'shards');
  mkdirSync(folder);
  writeFileSync(join(folder, 'x.jsonl'), `${row(0)}\n`);
  writeFileSync(join(folder, 'y.jsonl'), `${row(1)}\n`);
  const f = await Dataset.open(folder, { cacheDir: join(dir, 'cache') });
  assert.equal(rowAtLine(f.source, 1), undefined);
  await f.close();
});
