import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildLineIndex } from '../../../native/data/lineIndex';

const dir = mkdtempSync(join(tmpdir(), 'preflens-count-'));
// The line index counts records (non-blank lines) in one streaming pass.
async function countJsonlRecords(path: string): Promise<{ records: number; bytes: number }> {
  const index = await buildLineIndex(path);
  return { records: index.count, bytes: index.size };
}
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

test('counts non-blank lines, with or without a final newline', async () => {
  assert.equal((await countJsonlRecords(file('a.jsonl', '{"a":1}\n{"a":2}\n'))).records, 2);
  assert.equal((await countJsonlRecords(file('b.jsonl', '{"a":1}\n{"a":2}'))).records, 2);
});

test('skips blank and whitespace-only lines, handles CRLF', async () => {
  const r = await countJsonlRecords(file('c.jsonl', '\n{"a":1}\r\n\r\n   \t\n{"a":2}\r\n\n'));
  assert.equal(r.records, 2);
});

test('empty file has zero records and reports its size', async () => {
  assert.deepEqual(await countJsonlRecords(file('e.jsonl', '')), { records: 0, bytes: 0 });
});

test('multi-byte text and lines spanning read chunks', async () => {
  const line = JSON.stringify({ prompt: 'é👋'.repeat(300_000) }); // ~2 MB line, crosses 1 MiB chunks
  const content = `${line}\n\n${line}\n${' '.repeat(2 << 20)}\n{"x":1}`;
  const r = await countJsonlRecords(file('big.jsonl', content));
  assert.equal(r.records, 3);
  assert.equal(r.bytes, Buffer.byteLength(content));
});

test('a missing file rejects with its path', async () => {
  await assert.rejects(countJsonlRecords(join(dir, 'nope.jsonl')), /nope\.jsonl/);
});
