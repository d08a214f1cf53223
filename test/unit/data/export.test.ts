import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Dataset } from '../../../native/data/dataset';
import { exportDataset, manifestPath, type ExportManifest } from '../../../native/data/exportDataset';
import type { FlagValue } from '../../../native/data/flagsStore';
import { openParquetSource } from '../../../native/data/parquetSource';
import { compileWhere } from '../../../native/data/whereExpression';

const dir = mkdtempSync(join(tmpdir(), 'preflens-export-'));
const cacheDir = join(dir, '.cache');
const version = 'test';

// Mixed line endings, unicode, a blank line, an unparseable row and key orders that JSON.stringify would not keep.
const LINES = [
  '{"prompt": "Q0?", "chosen": " yes 👋", "rejected": " no", "score_chosen": 8, "score_rejected": 2}',
  '{"rejected": " nope",  "prompt": "Q1?", "chosen": " sure", "score_chosen": 7.5, "score_rejected": 7.0}',
  '{"prompt":"Q2?","chosen":" naïve","rejected":" ok","score_chosen":1,"score_rejected":9}\r',
  '{"prompt": "Q3?", "chosen": " a", broken',
  '{"prompt": "Q4?", "chosen": " same", "rejected": " same", "score_chosen": 5, "score_rejected": 5}',
];
const source = join(dir, 'pairs.jsonl');
writeFileSync(source, `${LINES.slice(0, 2).join('\n')}\n\n${LINES.slice(2).join('\n')}\n`);

async function ids(): Promise<string[]> {
  const dataset = await Dataset.open(source, { cacheDir });
  const pairs = await dataset.readPairs(0, dataset.rowCount);
  await dataset.close();
  return pairs.map((p) => (p.ok ? p.pair.id : ''));
}

async function run(out: string, options: Partial<Parameters<typeof exportDataset>[1]> = {}): Promise<ExportManifest> {
  const dataset = await Dataset.open(source, { cacheDir });
  try {
    return await exportDataset(dataset, { out, flags: new Map(), version, ...options });
  } finally {
    await dataset.close();
  }
}

const outLines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').slice(0, -1);

test('no filter: every record line comes out byte for byte, and the manifest agrees', async () => {
  const out = join(dir, 'all.jsonl');
  const manifest = await run(out);
  assert.deepEqual(outLines(out), LINES);
  assert.equal(manifest.counts.kept, 5);
  assert.equal(manifest.counts.rows, 5);
  assert.equal(manifest.source.bytes, readFileSync(source).length);
  assert.match(manifest.source.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(JSON.parse(readFileSync(manifestPath(out), 'utf8')), manifest);
});

test('flags drop pairs, swaps reverse labels with their scores, counts match the output', async () => {
  const [id0, id1, id2] = await ids();
  const flags = new Map<string, FlagValue>([[id0!, 'drop'], [id1!, 'noisy'], [id2!, 'swap']]);
  const out = join(dir, 'filtered.jsonl');
  const manifest = await run(out, { flags, dropFlags: ['drop', 'noisy'], applySwaps: true, dropInvalid: true });
  const lines = outLines(out);
  assert.equal(lines.length, manifest.counts.kept);
  assert.deepEqual(manifest.counts, { rows: 5, kept: 2, swapped: 1, dropped: { invalid: 1, flagged: { drop: 1, noisy: 1 }, suspected: 0, where: 0 } });
  assert.deepEqual(JSON.parse(lines[0]!), { prompt: 'Q2?', chosen: ' ok', rejected: ' naïve', score_chosen: 9, score_rejected: 1 });
  assert.deepEqual(Object.keys(JSON.parse(lines[0]!)), ['prompt', 'chosen', 'rejected', 'score_chosen', 'score_rejected']);
  assert.equal(lines[1], LINES[4]);
  const again = await ids();
  assert.equal(again[2], id2, 'the swapped pair keeps its id');
});

test('without --apply-swaps a swap flag changes nothing', async () => {
  const [, , id2] = await ids();
  const out = join(dir, 'noswap.jsonl');
  await run(out, { flags: new Map([[id2!, 'swap']]) });
  assert.deepEqual(outLines(out), LINES);
});

test('--where over attributes and scores, --drop-suspected over score suspicions', async () => {
  const all = await ids();
  const byId = new Map(all.filter(Boolean).map((id, k) => [id, { id, margin: [0.5, -0.2, 0.1, 0, 0][k], suspicions: k === 1 ? [{ reason: 'policy-prefers-rejected' }] : [] }]));
  const out = join(dir, 'where.jsonl');
  const manifest = await run(out, { where: compileWhere('score_chosen > score_rejected || margin > 0.3'), scores: { path: join(dir, 'scores.jsonl'), byId }, dropSuspected: ['policy-prefers-rejected'], dropInvalid: true });
  assert.deepEqual(manifest.counts.dropped, { invalid: 1, flagged: {}, suspected: 1, where: 2 });
  assert.deepEqual(outLines(out), [LINES[0]]);
  assert.equal(manifest.filters.where, 'score_chosen > score_rejected || margin > 0.3');
});

test('refuses to overwrite the source unless explicitly allowed', async () => {
  await assert.rejects(run(source), /refusing to overwrite the source/);
  assert.deepEqual(readFileSync(source, 'utf8').split('\n').filter(Boolean), LINES);
});

test('a cancelled export leaves no output and no temp file behind', async () => {
  const out = join(dir, 'cancelled.jsonl');
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(run(out, { signal: controller.signal }));
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
});

test('Parquet export keeps the kept rows and their columns', async () => {
  const out = join(dir, 'out.parquet');
  const manifest = await run(out, { dropInvalid: true });
  assert.equal(manifest.output.format, 'parquet');
  const parquet = await openParquetSource(out);
  assert.equal(parquet.rowCount, 4);
  const rows = await parquet.readRows(0, 4);
  assert.deepEqual(rows.map((r) => r.ok && r.value.chosen), [' yes 👋', ' sure', ' naïve', ' same']);
  assert.deepEqual(rows.map((r) => r.ok && r.value.score_rejected), [2, 7, 9, 5]);
  await parquet.close();
});
