// Bad input gets a specific, located issue and every other row still loads.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Dataset, type PairResult } from '../../../native/data/dataset';
import { inspectDataset } from '../../../native/data/inspect';

const dir = mkdtempSync(join(tmpdir(), 'preflens-bad-'));
const cacheDir = join(dir, '.cache');
const good = (i: number) => JSON.stringify({ prompt: `Q${i}?`, chosen: ` yes ${i}`, rejected: ` no ${i}` });

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function load(path: string): Promise<{ pairs: PairResult[]; dataset: Dataset }> {
  const dataset = await Dataset.open(path, { cacheDir });
  const pairs = await dataset.readPairs(0, dataset.rowCount);
  await dataset.close();
  return { pairs, dataset };
}

/** Loads a JSONL file whose line 2 (0-based record 1) is `bad`, between two good lines. */
async function oneBad(name: string, bad: string) {
  const { pairs } = await load(write(name, `${good(0)}\n${bad}\n${good(2)}\n`));
  assert.equal(pairs.length, 3);
  assert.ok(pairs[0]!.ok && pairs[2]!.ok, 'the good rows around the bad one still load');
  const row = pairs[1]!;
  assert.ok(!row.ok, 'the bad row is reported');
  return row.issue;
}

test('malformed JSON names file, line and column', async () => {
  const issue = await oneBad('malformed.jsonl', '{"prompt": "a", "chosen": "b",, "rejected": "c"}');
  assert.equal(issue.reason, 'malformed-json');
  assert.equal(issue.line, 2);
  assert.equal(issue.column, 31);
  assert.match(issue.file, /malformed\.jsonl$/);
  assert.match(issue.message, /column 31/);
});

test('a row that is not an object', async () => {
  for (const [bad, kind] of [['[1,2]', 'an array'], ['42', 'a number'], ['"text"', 'a string'], ['null', 'null']] as const) {
    const issue = await oneBad(`notobject-${kind.replace(' ', '')}.jsonl`, bad);
    assert.equal(issue.reason, 'not-an-object');
    assert.equal(issue.line, 2);
    assert.match(issue.message, new RegExp(`found ${kind}`));
  }
});

test('missing chosen or rejected is an error naming the field', async () => {
  const issue = await oneBad('missing.jsonl', JSON.stringify({ prompt: 'a', rejected: 'c' }));
  assert.deepEqual([issue.reason, issue.field, issue.line], ['missing-field', 'chosen', 2]);
});

test('an empty response is kept with a located warning (TRL scores its EOS)', async () => {
  const { pairs } = await load(write('empty.jsonl', `${good(0)}\n${JSON.stringify({ prompt: 'a', chosen: '', rejected: 'c' })}\n`));
  const row = pairs[1]!;
  assert.ok(row.ok);
  assert.deepEqual(row.pair.warnings.map((w) => [w.reason, w.field, w.line, w.severity]), [['empty-field', 'chosen', 2, 'warning']]);
});

test('wrong types: numbers, nulls and nested objects where text is expected', async () => {
  for (const [value, found] of [[3, 'a number'], [null, 'null'], [{ text: 'x' }, 'an object']] as const) {
    const issue = await oneBad(`types-${found.replace(' ', '')}.jsonl`, JSON.stringify({ prompt: 'a', chosen: 'b', rejected: value }));
    assert.equal(issue.reason, 'wrong-type');
    assert.equal(issue.field, 'rejected');
    assert.match(issue.message, new RegExp(`found ${found}`));
  }
  const mixed = await oneBad('types-mixed.jsonl', JSON.stringify({ prompt: 'a', chosen: 'b', rejected: [{ role: 'assistant', content: 'c' }] }));
  assert.equal(mixed.reason, 'wrong-type');
});

test('message lists: unknown roles and missing assistant turns are located to the message', async () => {
  const unknown = await oneBad('roles.jsonl', JSON.stringify({ prompt: [{ role: 'user', content: 'hi' }], chosen: [{ role: 'assistant', content: 'a' }], rejected: [{ role: 'robot', content: 'b' }] }));
  assert.deepEqual([unknown.reason, unknown.field], ['unknown-role', 'rejected[0].role']);
  const badContent = await oneBad('content.jsonl', JSON.stringify({ prompt: [{ role: 'user', content: 'hi' }], chosen: [{ role: 'assistant', content: 5 }], rejected: [{ role: 'assistant', content: 'b' }] }));
  assert.deepEqual([badContent.reason, badContent.field], ['wrong-type', 'chosen[0].content']);
  const noAssistant = await oneBad('noassistant.jsonl', JSON.stringify({ prompt: [{ role: 'user', content: 'hi' }], chosen: [{ role: 'user', content: 'a' }], rejected: [{ role: 'assistant', content: 'b' }] }));
  assert.deepEqual([noAssistant.reason, noAssistant.field], ['no-assistant-turn', 'chosen']);
});

test('chosen identical to rejected is a warning and the pair is kept', async () => {
  const { pairs } = await load(write('identical.jsonl', JSON.stringify({ prompt: 'a', chosen: 'same', rejected: 'same' })));
  assert.ok(pairs[0]!.ok);
  assert.deepEqual(pairs[0]!.pair.warnings.map((w) => w.reason), ['identical-responses']);
});

test('invalid UTF-8 is reported with its column, other rows load', async () => {
  const bad = Buffer.concat([Buffer.from('{"prompt": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('", "chosen": "b", "rejected": "c"}')]);
  const path = write('utf8.jsonl', Buffer.concat([Buffer.from(`${good(0)}\n`), bad, Buffer.from(`\n${good(2)}\n`)]));
  const { pairs } = await load(path);
  assert.ok(pairs[0]!.ok && pairs[2]!.ok);
  const row = pairs[1]!;
  assert.ok(!row.ok);
  assert.deepEqual([row.issue.reason, row.issue.line, row.issue.column], ['invalid-utf8', 2, 16]);
  assert.match(row.issue.message, /0xc3/);
});

test('a UTF-8 BOM, CRLF line endings and blank lines are handled', async () => {
  const path = write('bom-crlf.jsonl', `\uFEFF${good(0)}\r\n\r\n   \r\n${good(1)}\r\n\n`);
  const dataset = await Dataset.open(path, { cacheDir });
  const pairs = await dataset.readPairs(0, dataset.rowCount);
  assert.equal(dataset.rowCount, 2, 'blank lines are not records');
  assert.ok(pairs.every((p) => p.ok));
  assert.deepEqual(pairs.map((p) => p.ok && p.pair.line), [1, 4]);
  assert.equal(pairs[1]!.ok && pairs[1]!.pair.rejected, ' no 1', 'no stray \\r');
  assert.deepEqual(dataset.source.fileIssues.map((i) => [i.reason, i.severity]), [['byte-order-mark', 'warning']]);
  await dataset.close();
});

test('a single 50 MB line loads', async () => {
  const huge = JSON.stringify({ prompt: 'Summarise:', chosen: ` ${'word '.repeat(10_000_000)}`, rejected: ' short' });
  const { pairs } = await load(write('huge.jsonl', `${good(0)}\n${huge}\n`));
  assert.ok(pairs[1]!.ok);
  assert.equal((pairs[1]!.pair.chosen as string).length, 50_000_001);
});

test('an empty file has no rows and says so', async () => {
  const dataset = await Dataset.open(write('empty-file.jsonl', ''), { cacheDir });
  assert.equal(dataset.rowCount, 0);
  assert.match(dataset.schemaProblem ?? '', /no records/);
  const report = await inspectDataset(dataset);
  assert.equal(report.validPairs, 0);
  await dataset.close();
});

test('a truncated gzip keeps the rows before the damage and reports the truncation', async () => {
  const full = gzipSync(Array.from({ length: 2000 }, (_, i) => good(i)).join('\n'));
  const path = write('cut.jsonl.gz', full.subarray(0, Math.floor(full.length * 0.6)));
  const dataset = await Dataset.open(path, { cacheDir });
  assert.equal(dataset.source.format, 'jsonl.gz');
  assert.deepEqual(dataset.source.fileIssues.map((i) => i.reason), ['truncated-file']);
  const pairs = await dataset.readPairs(0, dataset.rowCount);
  const ok = pairs.filter((p) => p.ok).length;
  assert.ok(ok > 500 && ok < 2000, `${ok} rows survived`);
  assert.ok(pairs.slice(0, -1).every((p) => p.ok), 'only the cut last line can fail');
  await dataset.close();
});

test('a complete .jsonl.gz is decompressed once and read like JSONL', async () => {
  const path = write('ok.jsonl.gz', gzipSync(`${good(0)}\n${good(1)}\n`));
  const first = await load(path);
  assert.equal(first.pairs.length, 2);
  const again = await load(path); // served from the cache
  assert.deepEqual(again.pairs.map((p) => p.ok && p.pair.id), first.pairs.map((p) => p.ok && p.pair.id));
});

test('a .json array of records, with a malformed element located by line', async () => {
  const path = write('array.json', `[\n  ${good(0)},\n  {"prompt": "x", "chosen": tru, "rejected": "z"},\n  ${good(2)}\n]\n`);
  const { pairs, dataset } = await load(path);
  assert.equal(dataset.source.format, 'json');
  assert.equal(pairs.length, 3);
  assert.ok(pairs[0]!.ok && pairs[2]!.ok);
  assert.ok(!pairs[1]!.ok);
  assert.deepEqual([pairs[1]!.issue.reason, pairs[1]!.issue.line], ['malformed-json', 3]);
});

test('a folder of shards reads as one dataset in natural order', async () => {
  const shards = join(dir, 'shards');
  mkdirSync(shards);
  writeFileSync(join(shards, 'train-10.jsonl'), `${good(10)}\n`);
  writeFileSync(join(shards, 'train-2.jsonl'), `${good(2)}\n${good(3)}\n`);
  writeFileSync(join(shards, 'train-1.jsonl.gz'), gzipSync(`${good(1)}\n{bad\n`));
  const { pairs, dataset } = await load(shards);
  assert.equal(dataset.source.format, 'folder');
  assert.deepEqual(pairs.map((p) => (p.ok ? p.pair.prompt : 'bad')), ['Q1?', 'bad', 'Q2?', 'Q3?', 'Q10?']);
  assert.deepEqual(pairs.map((p) => (p.ok ? p.pair.index : p.index)), [0, 1, 2, 3, 4]);
  const bad = pairs[1]!;
  assert.ok(!bad.ok && bad.issue.file.endsWith('train-1.jsonl.gz') && bad.issue.line === 2 && bad.issue.index === 1);
});

test('inspect counts duplicates and contradictory labels', async () => {
  const a = { prompt: 'Q', chosen: ' good', rejected: ' bad' };
  const swapped = { prompt: 'Q', chosen: ' bad', rejected: ' good' };
  const other = { prompt: 'Q', chosen: ' fine', rejected: ' bad' };
  const path = write('dups.jsonl', [a, a, swapped, other, { prompt: 'R', chosen: 'x' }].map((r) => JSON.stringify(r)).join('\n'));
  const dataset = await Dataset.open(path, { cacheDir });
  const report = await inspectDataset(dataset);
  await dataset.close();
  assert.equal(report.validPairs, 4);
  assert.equal(report.duplicatePairs, 2);
  assert.equal(report.contradictoryPairs, 1);
  assert.equal(report.duplicatePrompts, 1);
  assert.deepEqual(report.invalidByReason, { 'missing-field': 1 });
});

test('a Parquet file without the needed columns names the columns it found', async () => {
  const { writeParquetRows } = await import('../../../native/data/parquetWriter');
  const path = join(dir, 'wrong-columns.parquet');
  await writeParquetRows(path, [{ question: 'q', answer: 'a' }, { question: 'r', answer: 'b' }], { columns: ['question', 'answer'] });
  const dataset = await Dataset.open(path, { cacheDir });
  assert.equal(dataset.schema, undefined);
  assert.match(dataset.schemaProblem ?? '', /columns found: question, answer/);
  const pairs = await dataset.readPairs(0, dataset.rowCount);
  assert.equal(pairs.length, 2);
  assert.ok(pairs.every((p) => !p.ok && p.issue.reason === 'missing-columns' && p.issue.file === path));
  const report = await inspectDataset(dataset);
  assert.deepEqual(report.invalidByReason, { 'missing-columns': 2 });
  await dataset.close();
});

test('UltraFeedback-style Parquet with nested message lists reads as pairs', async () => {
  const { writeParquetRows } = await import('../../../native/data/parquetWriter');
  const path = join(dir, 'uf.parquet');
  const rows = [0, 1, 2].map((i) => ({
    prompt: `Write ${i}`,
    prompt_id: `p${i}`,
    chosen: [{ content: `Write ${i}`, role: 'user' }, { content: `Good ${i}`, role: 'assistant' }],
    rejected: [{ content: `Write ${i}`, role: 'user' }, { content: `Bad ${i}`, role: 'assistant' }],
    score_chosen: 8 + i / 2,
    score_rejected: 3.5,
  }));
  await writeParquetRows(path, rows, { columns: Object.keys(rows[0]!) });
  const dataset = await Dataset.open(path, { cacheDir });
  assert.equal(dataset.schema?.kind, 'ultrafeedback');
  const pairs = await dataset.readPairs(0, 3);
  assert.ok(pairs[2]!.ok);
  assert.deepEqual(pairs[2]!.pair.prompt, [{ content: 'Write 2', role: 'user' }]);
  assert.deepEqual(pairs[2]!.pair.chosen, [{ content: 'Good 2', role: 'assistant' }]);
  assert.deepEqual(pairs[2]!.pair.attributes, { prompt: 'Write 2', prompt_id: 'p2', score_chosen: 9, score_rejected: 3.5 });
  await dataset.close();
});
