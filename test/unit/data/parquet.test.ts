import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { parquetWriteFile } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet-writer';
import { openParquetSource } from '../../../native/data/parquetSource';
import { writeParquetRows } from '../../../native/data/parquetWriter';

const dir = mkdtempSync(join(tmpdir(), 'preflens-parquet-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const str = (name: string): SchemaElement => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
const messages = (name: string): SchemaElement[] => [
  { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
  str('content'),
  str('role'),
];
const HF_METADATA = { key: 'huggingface', value: '{"info":{"features":{}}}' };

/** UltraFeedback-binarized shape, as Hugging Face `datasets` writes it. */
function ultraRow(i: number) {
  const prompt = `Prompt ${i}: explain ünïcode 👋`;
  return {
    prompt,
    prompt_id: i.toString(16).padStart(8, '0'),
    chosen: [{ role: 'user', content: prompt }, { role: 'assistant', content: `good answer ${i}` }],
    rejected: [{ role: 'user', content: prompt }, { role: 'assistant', content: i % 7 === 0 ? '' : `bad answer ${i}` }],
    score_chosen: i % 2 ? 8.5 : 7,
    score_rejected: i % 3 === 0 ? null : 3.25,
  };
}
const ULTRA_COLUMNS = ['prompt', 'prompt_id', 'chosen', 'rejected', 'score_chosen', 'score_rejected'];
const ultraRows = Array.from({ length: 2500 }, (_, i) => ultraRow(i));

function writeUltra(name: string, extra: Partial<Parameters<typeof parquetWriteFile>[0]> = {}): string {
  const filename = join(dir, name);
  parquetWriteFile({
    filename,
    columnData: ULTRA_COLUMNS.map((column) => ({ name: column, data: ultraRows.map((row) => row[column as keyof typeof row]) })),
    schema: [
      { name: 'schema', num_children: 6 },
      str('prompt'),
      str('prompt_id'),
      ...messages('chosen'),
      ...messages('rejected'),
      { name: 'score_chosen', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
      { name: 'score_rejected', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    ],
    rowGroupSize: 1000,
    kvMetadata: [HF_METADATA],
    ...extra,
  });
  return filename;
}
const ultraPath = writeUltra('ultra.parquet');

test('opens an UltraFeedback-shaped file: row count, columns, no issues', async () => {
  const source = await openParquetSource(ultraPath);
  assert.equal(source.format, 'parquet');
  assert.equal(source.rowCount, 2500);
  assert.deepEqual(source.columns, ULTRA_COLUMNS);
  assert.deepEqual(source.fileIssues, []);
  assert.equal(source.lineOf, undefined);
  assert.equal(source.readRawLine, undefined);
});

test('100-row pages across row-group boundaries give the written values in order, decoding each group once', async () => {
  const source = await openParquetSource(ultraPath);
  const seen: unknown[] = [];
  for (let start = 0; start < source.rowCount; start += 100) {
    for (const result of await source.readRows(start, start + 100)) {
      assert.ok(result.ok);
      assert.equal(result.index, seen.length);
      seen.push(result.value);
    }
  }
  assert.deepEqual(seen, ultraRows);
  assert.equal(source.decodeCount, 3, 'three row groups, each decoded once');
  const straddling = await source.readRows(950, 1050);
  assert.deepEqual(straddling.map((r) => r.ok && r.value), ultraRows.slice(950, 1050));
  assert.deepEqual(await source.readRows(2490, 9999).then((r) => r.length), 10, 'end is clamped');
  assert.deepEqual(await source.readRows(3000, 3100), []);
});

test('nested chat messages come back as arrays of {role, content}', async () => {
  const source = await openParquetSource(ultraPath);
  const [row] = await source.readRows(7, 8);
  assert.ok(row?.ok);
  assert.deepEqual(row.value.rejected, [{ role: 'user', content: ultraRows[7]!.prompt }, { role: 'assistant', content: '' }]);
  assert.ok(Array.isArray(row.value.chosen));
});

test('GZIP and BROTLI compressed files read through hyparquet-compressors', async () => {
  for (const [codec, compress] of [['GZIP', gzipSync], ['BROTLI', brotliCompressSync]] as const) {
    const path = writeUltra(`ultra-${codec}.parquet`, { codec, compressors: { [codec]: (input: Uint8Array) => compress(input) } });
    const source = await openParquetSource(path);
    const rows = await source.readRows(995, 1005);
    assert.deepEqual(rows.map((r) => r.ok && r.value), ultraRows.slice(995, 1005), codec);
  }
});

test('TRL standard shape (prompt/chosen/rejected strings)', async () => {
  const path = join(dir, 'trl.parquet');
  const rows = Array.from({ length: 1500 }, (_, i) => ({ prompt: `q${i}`, chosen: `a${i}`, rejected: `b${i}` }));
  parquetWriteFile({
    filename: path,
    columnData: ['prompt', 'chosen', 'rejected'].map((name) => ({ name, data: rows.map((r) => r[name as 'prompt']), type: 'STRING' as const })),
    rowGroupSize: 1000,
  });
  const source = await openParquetSource(path);
  assert.deepEqual(source.columns, ['prompt', 'chosen', 'rejected']);
  assert.deepEqual((await source.readRows(900, 1100)).map((r) => r.ok && r.value), rows.slice(900, 1100));
});

const typedPath = join(dir, 'typed.parquet');
parquetWriteFile({
  filename: typedPath,
  columnData: [
    { name: 'id', data: [1n, -2n, 3n, 4n], type: 'INT64' },
    { name: 'huge', data: [2n ** 60n, 5n, null, 1n], type: 'INT64' },
    { name: 'small', data: [1, 2, 3, 4], type: 'INT32' },
    { name: 'flag', data: [true, false, null, true], type: 'BOOLEAN' },
    { name: 'note', data: ['x', null, 'z', 'w'], type: 'STRING' },
    { name: 'at', data: [new Date('2024-01-02T03:04:05.006Z'), null, new Date(0), new Date(1)], type: 'TIMESTAMP' },
  ],
});

test('int64 as numbers (unsafe ones as strings), dates as ISO strings, nulls kept', async () => {
  const source = await openParquetSource(typedPath);
  const values = (await source.readRows(0, 4)).map((r) => (r.ok ? r.value : r.issue));
  assert.deepEqual(values[0], { id: 1, huge: '1152921504606846976', small: 1, flag: true, note: 'x', at: '2024-01-02T03:04:05.006Z' });
  assert.deepEqual(values[1], { id: -2, huge: 5, small: 2, flag: false, note: null, at: null });
  assert.deepEqual(values[2], { id: 3, huge: null, small: 3, flag: null, note: 'z', at: '1970-01-01T00:00:00.000Z' });
});

test('a value that cannot be converted is a read-error naming file and row; other rows are fine', async () => {
  const path = join(dir, 'bad-date.parquet');
  parquetWriteFile({
    filename: path,
    columnData: [
      { name: 'n', data: [1, 2], type: 'INT32' },
      // Out of Date's range: hyparquet yields an Invalid Date, which has no ISO form.
      { name: 'at', data: [0n, 10n ** 17n], type: 'TIMESTAMP' },
    ],
  });
  const [good, bad] = await (await openParquetSource(path)).readRows(0, 2);
  assert.deepEqual(good, { ok: true, index: 0, value: { n: 1, at: '1970-01-01T00:00:00.000Z' } });
  assert.ok(bad && !bad.ok);
  assert.equal(bad.issue.reason, 'read-error');
  assert.equal(bad.issue.index, 1);
  assert.match(bad.issue.message, /bad-date\.parquet: row 1, column "at"/);
});

test('a corrupt row group becomes read-error rows; the other groups still read', async () => {
  const bytes = readFileSync(ultraPath);
  const { metadata } = await readBack(ultraPath);
  const offset = Number(metadata.row_groups[1]!.columns[0]!.meta_data!.data_page_offset);
  bytes.fill(0xff, offset, offset + 64);
  const path = join(dir, 'bad-group.parquet');
  writeFileSync(path, bytes);
  const rows = await (await openParquetSource(path)).readRows(990, 1010);
  assert.deepEqual(rows.slice(0, 10).map((r) => r.ok && r.value), ultraRows.slice(990, 1000));
  for (const row of rows.slice(10)) {
    assert.ok(!row.ok);
    assert.match(row.issue.message, /bad-group\.parquet: cannot decode rows 1000-1999/);
  }
});

test('oversized row groups are read in bounded windows with the same values', async () => {
  const source = await openParquetSource(ultraPath, { maxCachedBytes: 1 });
  const rows = await source.readRows(950, 1150);
  assert.deepEqual(rows.map((r) => r.ok && r.value), ultraRows.slice(950, 1150));
  assert.equal(source.decodeCount, 3, 'windows 900-999, 1000-1099, 1100-1199');
  await source.readRows(1100, 1150);
  assert.equal(source.decodeCount, 3, 'the last window is still cached');
});

test('an aborted read rejects; a closed source rejects', async () => {
  const source = await openParquetSource(ultraPath);
  await assert.rejects(source.readRows(0, 10, AbortSignal.abort()), { name: 'AbortError' });
  await source.close();
  await assert.rejects(source.readRows(0, 10), /closed/);
});

test('non-Parquet, truncated, empty, corrupt and missing files reject with the file and the problem', async () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['notes.parquet', '{"prompt": "this is JSONL"}\n', /notes\.parquet: not a Parquet file/],
    ['truncated.parquet', readFileSync(ultraPath).subarray(0, 5000), /truncated\.parquet: the Parquet footer is missing/],
    ['empty.parquet', '', /empty\.parquet: the file is empty/],
    ['tiny.parquet', 'PAR1', /tiny\.parquet: 4 bytes is too short/],
    ['corrupt.parquet', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 0xff), Buffer.from([64, 0, 0, 0]), Buffer.from('PAR1')]), /corrupt\.parquet: corrupt Parquet metadata/],
  ];
  for (const [name, content, expected] of cases) {
    writeFileSync(join(dir, name), content);
    await assert.rejects(openParquetSource(join(dir, name)), expected);
  }
  await assert.rejects(openParquetSource(join(dir, 'nope.parquet')), /nope\.parquet/);
});

async function readBack(path: string) {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  return { metadata, types: metadata.schema.map((e) => [e.name, e.type ?? e.converted_type ?? 'group']) };
}

test('round trip with the source template keeps values, nested types, doubles and HF metadata', async () => {
  const source = await openParquetSource(ultraPath);
  const rows = (await source.readRows(0, source.rowCount)).map((r) => (r.ok ? r.value : assert.fail('row failed')));
  const out = join(dir, 'export.parquet');
  await writeParquetRows(out, rows, { columns: [...source.columns], template: source.template });
  const original = await readBack(ultraPath);
  const copy = await readBack(out);
  assert.deepEqual(copy.types.slice(1), original.types.slice(1));
  assert.deepEqual(copy.metadata.key_value_metadata, [HF_METADATA]);
  const back = await openParquetSource(out);
  assert.deepEqual((await back.readRows(0, 2500)).map((r) => r.ok && r.value), ultraRows);
  assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), [], 'no temp file left');
});

test('round trip without a template infers list<struct<content, role>>, int64, double, bool, string', async () => {
  const rows = [
    { prompt: 'p', chosen: [{ role: 'user', content: 'hi' }], score: 1, ratio: 0.5, ok: true, gone: null },
    { prompt: null, chosen: [], score: 2, ratio: 2, ok: false, gone: null },
  ];
  const columns = ['prompt', 'chosen', 'score', 'ratio', 'ok', 'gone'];
  const out = join(dir, 'inferred.parquet');
  await writeParquetRows(out, rows, { columns });
  const { types, metadata } = await readBack(out);
  assert.deepEqual(types.slice(1), [
    ['prompt', 'BYTE_ARRAY'], ['chosen', 'LIST'], ['list', 'group'], ['element', 'group'], ['content', 'BYTE_ARRAY'],
    ['role', 'BYTE_ARRAY'], ['score', 'INT64'], ['ratio', 'DOUBLE'], ['ok', 'BOOLEAN'], ['gone', 'BYTE_ARRAY'],
  ]);
  const raw = await parquetReadObjects({ file: await asyncBufferFromFile(out), metadata });
  assert.equal(raw[0]!.score, 1n);
  const back = await openParquetSource(out);
  assert.deepEqual((await back.readRows(0, 2)).map((r) => r.ok && r.value), rows);
});

test('round trip of typed columns with the template keeps int64, int32, bool and timestamps', async () => {
  const source = await openParquetSource(typedPath);
  const rows = (await source.readRows(0, 4)).map((r) => (r.ok ? r.value : assert.fail('row failed')));
  const out = join(dir, 'typed-export.parquet');
  await writeParquetRows(out, rows, { columns: ['at', 'id', 'huge', 'flag'], template: source.template });
  const original = new Map((await readBack(typedPath)).types.map(([name, type]) => [name, type]));
  const copy = await readBack(out);
  for (const [name, type] of copy.types.slice(1)) assert.equal(type, original.get(name!), name);
  assert.equal(copy.metadata.key_value_metadata, undefined, 'HF metadata dropped when columns differ');
  const back = await openParquetSource(out);
  const expected = rows.map(({ at, id, huge, flag }) => ({ at, id, huge, flag }));
  assert.deepEqual((await back.readRows(0, 4)).map((r) => r.ok && r.value), expected);
});

test('a value that does not fit the template column rejects, naming row and column, leaving no file', async () => {
  const source = await openParquetSource(ultraPath);
  const out = join(dir, 'bad-export.parquet');
  const rows = [{ score_chosen: 1.5 }, { score_chosen: 'high' }];
  await assert.rejects(writeParquetRows(out, rows, { columns: ['score_chosen'], template: source.template }), /row 1, column "score_chosen": expected a number/);
  const required = { schema: [{ name: 'schema', num_children: 1 }, { name: 'x', type: 'DOUBLE' as const, repetition_type: 'REQUIRED' as const }] };
  await assert.rejects(writeParquetRows(out, [{ x: 1 }, { x: null }], { columns: ['x'], template: required }), /row 1, column "x": "x" is required/);
  assert.ok(!readdirSync(dir).some((name) => name.startsWith('.bad-export') || name === 'bad-export.parquet'));
});
