/**
 * Dataset benchmark: indexing a large JSONL file against a plain sequential read of the same
 * file in the same run, time to the first page, and index bytes per row.
 * The file (1 GB by default, PREFLENS_BENCH_GB to change) is generated once into the cache.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { buildLineIndex } from '../../native/data/lineIndex';
import { openJsonlSource, peekJsonlRows } from '../../native/data/jsonlSource';
import type { BenchResult } from './types';

const WORDS = 'the model prefers longer answers while raters prefer correct ones and both disagree about refusals in safety prompts'.split(' ');

async function generate(path: string, bytes: number): Promise<void> {
  if (existsSync(path) && statSync(path).size >= bytes) return;
  const handle = await open(path, 'w');
  let written = 0;
  let i = 0;
  let seed = 7;
  const word = (): string => WORDS[(seed = (seed * 1103515245 + 12345) % 2147483648) % WORDS.length]!;
  const text = (n: number): string => Array.from({ length: n }, word).join(' ');
  while (written < bytes) {
    const lines: string[] = [];
    for (let k = 0; k < 1000; k++, i++) {
      lines.push(JSON.stringify({ prompt: `Question ${i}: ${text(20)}?`, chosen: ` ${text(60 + (i % 40))}.`, rejected: ` ${text(30 + (i % 25))}.`, score_chosen: 5 + (i % 5), score_rejected: 2 + (i % 4) }));
    }
    const block = `${lines.join('\n')}\n`;
    await handle.write(block);
    written += Buffer.byteLength(block);
  }
  await handle.close();
}

async function plainRead(path: string): Promise<number> {
  const handle = await open(path, 'r');
  const buffer = Buffer.allocUnsafe(4 << 20);
  let position = 0;
  let checksum = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    checksum ^= buffer[bytesRead - 1]!;
    position += bytesRead;
  }
  await handle.close();
  return checksum;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchDatasetIndex(cacheDir: string): Promise<BenchResult[]> {
  const gb = Number(process.env.PREFLENS_BENCH_GB ?? '1');
  const dir = join(cacheDir, 'bench');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `pairs-${gb}gb.jsonl`);
  await generate(path, gb * 1e9);
  const size = statSync(path).size;
  await plainRead(path); // warm the page cache for both contenders
  const reads: number[] = [];
  const indexes: number[] = [];
  let records = 0;
  let indexBytes = 0;
  for (let round = 0; round < 3; round++) {
    reads.push(await time(() => plainRead(path)));
    indexes.push(await time(async () => {
      const index = await buildLineIndex(path);
      records = index.count;
      indexBytes = index.starts.byteLength + index.lines.byteLength;
    }));
  }
  const read = median(reads);
  const index = median(indexes);
  const peeks: number[] = [];
  for (let k = 0; k < 3; k++) peeks.push(await time(() => peekJsonlRows(path, 100)));
  const peek = median(peeks);
  const cached = join(dir, 'index-cache');
  const first = await openJsonlSource(path, { cacheDir: cached }); // builds and caches the index
  await first.close();
  const reopens: number[] = [];
  for (let k = 0; k < 3; k++) {
    reopens.push(await time(async () => {
      const source = await openJsonlSource(path, { cacheDir: cached });
      await source.readRows(0, 100);
      await source.close();
    }));
  }
  const reopen = median(reopens);
  const mbps = (ms: number): string => `${(size / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
  return [
    { figure: `JSONL indexing, ${(size / 1e9).toFixed(2)} GB, ${records.toLocaleString('en-US')} records`, value: `${index.toFixed(0)} ms (${mbps(index)})`, baseline: `plain sequential read ${read.toFixed(0)} ms (${mbps(read)})`, ratio: read / index, target: 'index speed >= 0.70 x read speed', pass: read / index >= 0.7 },
    { figure: 'first page (100 rows), no index yet', value: `${peek.toFixed(1)} ms`, baseline: '-', ratio: undefined, target: '< 300 ms at any size', pass: peek < 300 },
    { figure: 'first page (100 rows), reopening with the cached index', value: `${reopen.toFixed(1)} ms`, baseline: '-', ratio: undefined, target: '< 300 ms at any size', pass: reopen < 300 },
    { figure: 'index memory', value: `${(indexBytes / records).toFixed(1)} bytes/row`, baseline: '-', ratio: undefined, target: '<= 16 bytes/row', pass: indexBytes / records <= 16 },
  ];
}
