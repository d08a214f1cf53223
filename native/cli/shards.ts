/**
 * Sharded scoring for large runs: `preflens score --shard i/n` scores rows [start, end) of a
 * dataset, and `preflens merge --out FILE SHARD...` joins the shards' records in row order.
 *
 * Design note: shard boundaries fall on the engine's 128-row pages, so every page is scored with
 * exactly the batches a single run uses and merged shards equal a single run byte for byte.
 * Shards carry no dataset-level analysis (it needs every pair); run `preflens report` on the
 * merged file. The merge checks that the shards cover the rows exactly once.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../data/atomicFile';
import { CliUsageError } from './args';

export const SCORE_PAGE = 128;

/** Rows [start, end) of shard i of n (0-based i), aligned to pages. */
export function shardRange(spec: string, rows: number): { start: number; end: number; index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  if (!m) throw new CliUsageError(`--shard ${JSON.stringify(spec)}: expected i/n, for example 0/4 (shards are numbered from 0)`);
  const [index, count] = [Number(m[1]), Number(m[2])];
  if (!(count >= 1 && index < count)) throw new CliUsageError(`--shard ${spec}: i must be between 0 and n-1`);
  const pages = Math.ceil(rows / SCORE_PAGE);
  const bound = (k: number) => Math.min(rows, Math.floor((k * pages) / count) * SCORE_PAGE);
  return { start: bound(index), end: bound(index + 1), index, count };
}

interface ShardMeta { shard?: { index: number; count: number; start: number; end: number; rows: number }; counts?: { ok: number; invalid: number } }

export async function runMerge(out: string | undefined, inputs: string[]): Promise<number> {
  if (!out || inputs.length === 0) throw new CliUsageError('merge needs --out FILE and the shard files');
  const shards = await Promise.all(inputs.map(async (file) => ({ file, meta: JSON.parse(await readFile(`${file}.meta.json`, 'utf8')) as ShardMeta & Record<string, unknown>, text: await readFile(file, 'utf8') })));
  for (const s of shards) if (!s.meta.shard) throw new CliUsageError(`${s.file}.meta.json does not describe a shard (score with --shard i/n)`);
  shards.sort((a, b) => a.meta.shard!.start - b.meta.shard!.start);
  const rows = shards[0]!.meta.shard!.rows;
  let next = 0;
  for (const s of shards) {
    const sh = s.meta.shard!;
    if (sh.rows !== rows) throw new CliUsageError(`${s.file} comes from a dataset of ${sh.rows} rows, the others from ${rows}`);
    if (sh.start !== next) throw new CliUsageError(sh.start > next ? `rows ${next}-${sh.start - 1} are in no shard` : `${s.file} overlaps the previous shard at row ${sh.start}`);
    next = sh.end;
  }
  if (next !== rows) throw new CliUsageError(`rows ${next}-${rows - 1} are in no shard`);
  await writeFileAtomic(out, shards.map((s) => s.text).join(''));
  const { shard: _shard, counts: _counts, ...first } = shards[0]!.meta;
  const counts = { ok: shards.reduce((a, s) => a + (s.meta.counts?.ok ?? 0), 0), invalid: shards.reduce((a, s) => a + (s.meta.counts?.invalid ?? 0), 0) };
  await writeFileAtomic(`${out}.meta.json`, `${JSON.stringify({ ...first, counts, merged_from: shards.map((s) => s.file) }, null, 2)}\n`);
  process.stderr.write(`preflens: merged ${shards.length} shards (${rows} rows) into ${out}\n`);
  return 0;
}
