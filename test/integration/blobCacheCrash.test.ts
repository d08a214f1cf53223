// BlobCache survives SIGKILL: a child process puts entries in a loop and reports each key once a
// flush() covering it has resolved; the parent kills it mid-run (three times, into one folder)
// and reopens: every reported key is there with its bytes, and nothing read is corrupt.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { BlobCache, type BlobCacheProblem } from '../../native/engine/blobCache';

const fixture = resolve('test/integration/fixtures/blobCacheWriter.ts');
const NS = 'ns-crash';

// Same rule as the worker's valueFor.
function valueFor(key: string): Uint8Array {
  const seed = createHash('sha256').update(key).digest();
  const out = new Uint8Array(64 + seed[0]! * 20);
  for (let i = 0; i < out.length; i++) out[i] = seed[i % 32]! ^ ((i * 7) & 0xff);
  return out;
}

/** Runs the worker until it has reported `killAfter` flushed keys, then SIGKILLs it. */
async function runAndKill(dir: string, prefix: string, killAfter: number): Promise<{ flushed: string[]; lastIndex: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = once(child, 'exit');
  const flushed: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    if (!line.startsWith('flushed ')) continue;
    flushed.push(line.slice(8));
    if (flushed.length >= killAfter) { child.kill('SIGKILL'); break; }
  }
  const [code, signal] = await exited;
  assert.equal(signal, 'SIGKILL', `worker ended by itself (code ${code}): ${stderr}`);
  return { flushed, lastIndex: Number(flushed.at(-1)!.split('-').pop()) };
}

test('every key reported flushed survives SIGKILL, and nothing corrupt is returned', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'preflens-blobcrash-'));
  try {
    const survivors: string[] = [];
    for (const [round, killAfter] of [150, 320, 90].entries()) {
      const prefix = `r${round}`;
      const { flushed, lastIndex } = await runAndKill(dir, prefix, killAfter + Math.floor(Math.random() * 60));
      survivors.push(...flushed);
      const problems: BlobCacheProblem[] = [];
      const cache = await BlobCache.open(dir, { onProblem: (p) => problems.push(p) });
      const got = await cache.getMany(NS, survivors);
      for (const key of survivors) assert.deepEqual(got.get(key), valueFor(key), `flushed key ${key} lost or wrong`);
      // keys put after the last reported flush (some written, some not): whatever comes back is intact
      const after = Array.from({ length: 200 }, (_, i) => `${prefix}-${lastIndex + 1 + i}`);
      const extra = await cache.getMany(NS, after);
      for (const [key, value] of extra) assert.deepEqual(value, valueFor(key), `unflushed key ${key} returned corrupt`);
      assert.deepEqual(problems.filter((p) => p.kind !== 'torn-index'), [], 'a kill may tear an index tail, nothing else');
      console.log(`blobCache crash round ${round}: ${flushed.length} flushed keys intact, ${extra.size} later keys also present, ${cache.stats().segments} segments, problems: ${problems.length}`);
      await cache.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
