// BlobCache: round trip, batches across segments, overwrite, reopen, rollover, LRU eviction,
// torn index tails and corrupt payloads, clear, two writers on one folder, and a timing print.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BlobCache, type BlobCacheProblem } from '../../../native/engine/blobCache';

const roots: string[] = [];
after(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'preflens-blobcache-'));
  roots.push(d);
  return d;
}
/** Deterministic bytes for a key: reproducible without storing the expectation. */
function valueFor(key: string, length = 100 + (createHash('md5').update(key).digest()[0]! * 13)): Uint8Array {
  const out = new Uint8Array(length);
  const seed = createHash('md5').update(key).digest();
  for (let i = 0; i < length; i++) out[i] = seed[i % 16]! ^ (i & 0xff);
  return out;
}
const NS = 'a'.repeat(32);
const files = (dir: string, ext: string) => readdirSync(dir).filter((n) => n.endsWith(ext)).sort();

test('round trip, has, missing keys and stats', async () => {
  const cache = await BlobCache.open(tempDir());
  const v = valueFor('k1');
  await cache.put(NS, 'k1', v);
  assert.deepEqual(await cache.get(NS, 'k1'), v);
  assert.equal(cache.has(NS, 'k1'), true);
  assert.equal(cache.has(NS, 'k2'), false);
  assert.equal(cache.has('b'.repeat(32), 'k1'), false, 'namespaces are separate');
  assert.equal(await cache.get(NS, 'k2'), undefined);
  await cache.put(NS, 'empty', new Uint8Array(0));
  assert.deepEqual(await cache.get(NS, 'empty'), new Uint8Array(0));
  const s = cache.stats();
  assert.equal(s.entries, 2);
  assert.equal(s.namespaces, 1);
  assert.equal(s.segments, 1);
  assert.ok(s.bytes >= v.length);
  await cache.close();
  await assert.rejects(cache.get(NS, 'k1'), /closed/);
});

test('getMany across segments returns every present key and skips missing ones', async () => {
  const cache = await BlobCache.open(tempDir(), { segmentBytes: 4096 });
  const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`);
  for (let i = 0; i < keys.length; i += 7) await cache.putMany(NS, keys.slice(i, i + 7).map((k) => [k, valueFor(k)]));
  assert.ok(cache.stats().segments >= 5, `segments: ${cache.stats().segments}`);
  const wanted = [...keys].reverse().concat(['nope']);
  const got = await cache.getMany(NS, wanted);
  assert.equal(got.size, keys.length);
  for (const k of keys) assert.deepEqual(got.get(k), valueFor(k), k);
  assert.equal(got.has('nope'), false);
  await cache.close();
});

test('a later put of the same key wins, in memory and after reopen', async () => {
  const dir = tempDir();
  let cache = await BlobCache.open(dir, { segmentBytes: 2048 });
  await cache.put(NS, 'k', valueFor('first', 1500));
  await cache.put(NS, 'other', valueFor('other', 1500));
  await cache.put(NS, 'k', valueFor('second', 1500)); // a later segment
  await cache.putMany(NS, [['k2', valueFor('a', 10)], ['k2', valueFor('b', 10)]]); // within one batch
  assert.deepEqual(await cache.get(NS, 'k'), valueFor('second', 1500));
  assert.deepEqual(await cache.get(NS, 'k2'), valueFor('b', 10));
  assert.equal(cache.stats().entries, 3);
  await cache.close();
  cache = await BlobCache.open(dir, { segmentBytes: 2048 });
  assert.deepEqual(await cache.get(NS, 'k'), valueFor('second', 1500));
  assert.deepEqual(await cache.get(NS, 'k2'), valueFor('b', 10));
  assert.equal(cache.stats().entries, 3);
  await cache.close();
});

test('reopen keeps everything, in every namespace', async () => {
  const dir = tempDir();
  const ns2 = 'c'.repeat(32);
  let cache = await BlobCache.open(dir, { segmentBytes: 16 * 1024 });
  const keys = Array.from({ length: 200 }, (_, i) => `p${i}`);
  await cache.putMany(NS, keys.map((k) => [k, valueFor(k)]));
  await cache.putMany(ns2, keys.slice(0, 50).map((k) => [k, valueFor(`${k}!`)]));
  await cache.flush();
  const before = cache.stats();
  await cache.close();
  cache = await BlobCache.open(dir, { segmentBytes: 16 * 1024 });
  assert.deepEqual({ ...cache.stats(), bytes: 0 }, { ...before, bytes: 0 });
  assert.ok(cache.stats().bytes >= before.bytes, 'seal records add a few bytes');
  assert.equal(cache.stats().namespaces, 2);
  for (const k of keys) assert.ok(cache.has(NS, k));
  const got = await cache.getMany(ns2, keys);
  assert.equal(got.size, 50);
  for (const [k, v] of got) assert.deepEqual(v, valueFor(`${k}!`));
  await cache.close();
});

test('segments roll over at segmentBytes; a value larger than that gets a segment of its own', async () => {
  const dir = tempDir();
  const cache = await BlobCache.open(dir, { segmentBytes: 10_000 });
  await cache.putMany(NS, Array.from({ length: 25 }, (_, i) => [`r${i}`, valueFor(`r${i}`, 1000)]));
  await cache.put(NS, 'big', valueFor('big', 25_000));
  await cache.put(NS, 'after', valueFor('after', 1000));
  await cache.flush();
  const sizes = files(dir, '.dat').map((n) => statSync(join(dir, n)).size);
  assert.deepEqual([...sizes].sort((a, b) => a - b), [1000, 5000, 10_000, 10_000, 25_000]);
  assert.equal(files(dir, '.idx').length, 5);
  assert.deepEqual(await cache.get(NS, 'big'), valueFor('big', 25_000));
  await cache.close();
});

test('LRU eviction removes the least recently used sealed segment first and keeps the bound', async () => {
  const dir = tempDir();
  const maxBytes = 40_000;
  const cache = await BlobCache.open(dir, { segmentBytes: 8192, maxBytes });
  const put2 = async (a: number) => { for (const i of [a, a + 1]) await cache.put(NS, `k${i}`, valueFor(`k${i}`, 4000)); };
  await put2(0); // segment A
  await put2(2); // B
  await put2(4); // C
  await cache.flush();
  assert.equal(cache.stats().segments, 3);
  assert.ok(await cache.get(NS, 'k0')); // A is now used more recently than B and C
  await put2(6); // D
  await put2(8); // E: total passes 40 000 and B, the least recently used, goes
  await cache.flush();
  const present = (i: number) => cache.has(NS, `k${i}`);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(present), [true, true, false, false, true, true, true, true, true, true]);
  assert.ok(cache.stats().bytes <= maxBytes, `bytes ${cache.stats().bytes}`);
  await put2(10); // F: C goes next (A was used after C)
  await cache.flush();
  assert.deepEqual([0, 4, 5, 6, 10].map(present), [true, false, false, true, true]);
  assert.equal(await cache.get(NS, 'k4'), undefined);
  assert.deepEqual(await cache.get(NS, 'k0'), valueFor('k0', 4000));
  const onDisk = files(dir, '.dat').reduce((n, f) => n + statSync(join(dir, f)).size, 0) + files(dir, '.idx').reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  assert.equal(onDisk, cache.stats().bytes);
  assert.ok(onDisk <= maxBytes);
  await cache.close();
  const again = await BlobCache.open(dir, { segmentBytes: 8192, maxBytes });
  assert.deepEqual([0, 2, 4, 6, 11].map((i) => again.has(NS, `k${i}`)), [true, false, false, true, true]);
  await again.close();
});

test('eviction spares the segment being written and a live writer\'s open segment, not a dead writer\'s', async () => {
  const dir = tempDir();
  const a = await BlobCache.open(dir);
  await a.put(NS, 'live', valueFor('live', 3000));
  await a.flush(); // a's segment stays open (unsealed), its pid alive
  const [live] = files(dir, '.idx');
  const other = tempDir(); // a crashed writer's segment: unsealed, its pid gone
  const c = await BlobCache.open(other);
  await c.put(NS, 'dead', valueFor('dead', 3000));
  await c.flush();
  const dead = files(other, '.idx')[0]!.replace(/-\d+-([0-9a-f]{8})\.idx$/, '-99999999-$1'); // no such pid
  for (const ext of ['.idx', '.dat']) copyFileSync(join(other, files(other, ext)[0]!), join(dir, dead + ext));
  await c.close();
  const b = await BlobCache.open(dir, { maxBytes: 5000 }); // 2 x ~3100 bytes: one must go
  assert.deepEqual(files(dir, '.idx'), [live]);
  assert.equal(b.has(NS, 'dead'), false);
  assert.ok(b.stats().bytes <= 5000);
  assert.deepEqual(await b.get(NS, 'live'), valueFor('live', 3000));
  await b.put(NS, 'mine', valueFor('mine', 4000)); // over the bound with b's own open segment:
  await b.flush(); // neither open segment may go
  assert.equal(files(dir, '.idx').length, 2);
  assert.ok(a.has(NS, 'live') && b.has(NS, 'mine'));
  await a.close(); // sealed now (the seal write counts as a use): evictable
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(await b.get(NS, 'mine')); // ... and now the least recently used
  await b.put(NS, 'more', valueFor('more', 10));
  await b.flush();
  assert.equal(await b.get(NS, 'live'), undefined);
  assert.deepEqual(await b.get(NS, 'mine'), valueFor('mine', 4000));
  await b.close();
});

test('a torn index tail is ignored and reported, never fatal', async () => {
  const dir = tempDir();
  let cache = await BlobCache.open(dir);
  await cache.putMany(NS, Array.from({ length: 10 }, (_, i) => [`t${i}`, valueFor(`t${i}`, 500)]));
  await cache.close(); // sealed: its writer is gone, so problems are reported
  const [dat] = files(dir, '.dat');
  const [idx] = files(dir, '.idx');
  truncateSync(join(dir, dat!), 10 * 500 - 1); // the last entry now points past the end
  appendFileSync(join(dir, idx!), Buffer.alloc(56)); // a zero-filled entry (fails its CRC) ...
  appendFileSync(join(dir, idx!), Buffer.from('partial entry')); // ... and a partial one
  const problems: BlobCacheProblem[] = [];
  cache = await BlobCache.open(dir, { onProblem: (p) => problems.push(p) });
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.kind, 'torn-index');
  assert.match(problems[0]!.message, /1 entries past the end of the data, 69 trailing bytes/);
  const got = await cache.getMany(NS, Array.from({ length: 10 }, (_, i) => `t${i}`));
  assert.equal(got.size, 9);
  assert.equal(got.has('t9'), false);
  for (const [k, v] of got) assert.deepEqual(v, valueFor(k, 500));
  await cache.put(NS, 't9', valueFor('t9', 500)); // writable as usual
  assert.deepEqual(await cache.get(NS, 't9'), valueFor('t9', 500));
  await cache.close();
  // a header-only or garbage index is no problem either
  writeFileSync(join(dir, 'seg-000000001-1-deadbeef.idx'), 'garbage!');
  writeFileSync(join(dir, 'seg-000000001-1-deadbeef.dat'), '');
  const again = await BlobCache.open(dir, { onProblem: (p) => problems.push(p) });
  assert.ok(again.has(NS, 't0'));
  await again.close();
});

test('a payload that fails its checksum is treated as missing and reported', async () => {
  const dir = tempDir();
  let cache = await BlobCache.open(dir);
  await cache.putMany(NS, Array.from({ length: 5 }, (_, i) => [`c${i}`, valueFor(`c${i}`, 300)]));
  await cache.close();
  const dat = join(dir, files(dir, '.dat')[0]!);
  const bytes = readFileSync(dat);
  bytes[3 * 300 + 17]! ^= 0x40; // inside c3
  writeFileSync(dat, bytes);
  const problems: BlobCacheProblem[] = [];
  cache = await BlobCache.open(dir, { onProblem: (p) => problems.push(p) });
  assert.equal(cache.has(NS, 'c3'), true, 'open does not read data');
  const got = await cache.getMany(NS, ['c0', 'c1', 'c2', 'c3', 'c4']);
  assert.deepEqual([...got.keys()].sort(), ['c0', 'c1', 'c2', 'c4']);
  assert.equal(await cache.get(NS, 'c3'), undefined);
  assert.equal(cache.has(NS, 'c3'), false, 'dropped from the index');
  assert.deepEqual(problems.map((p) => p.kind), ['checksum']);
  assert.equal(problems[0]!.file, dat);
  await cache.close();
});

test('clear() deletes everything and the cache stays usable', async () => {
  const dir = tempDir();
  const cache = await BlobCache.open(dir, { segmentBytes: 4096 });
  await cache.putMany(NS, Array.from({ length: 20 }, (_, i) => [`x${i}`, valueFor(`x${i}`, 1000)]));
  await cache.flush();
  await cache.clear();
  assert.deepEqual(cache.stats(), { bytes: 0, entries: 0, segments: 0, namespaces: 0 });
  assert.deepEqual(readdirSync(dir), []);
  assert.equal(await cache.get(NS, 'x1'), undefined);
  await cache.put(NS, 'x1', valueFor('x1'));
  assert.deepEqual(await cache.get(NS, 'x1'), valueFor('x1'));
  await cache.close();
});

test('two instances on one folder (two processes) both write and see each other after a miss', async () => {
  const dir = tempDir();
  const a = await BlobCache.open(dir, { segmentBytes: 8192, rescanMs: 0 });
  const b = await BlobCache.open(dir, { segmentBytes: 8192, rescanMs: 0 });
  const keysA = Array.from({ length: 40 }, (_, i) => `a${i}`);
  const keysB = Array.from({ length: 40 }, (_, i) => `b${i}`);
  for (let i = 0; i < 40; i += 4) { // interleaved batches: appends never mix
    await Promise.all([a.putMany(NS, keysA.slice(i, i + 4).map((k) => [k, valueFor(k)])), b.putMany(NS, keysB.slice(i, i + 4).map((k) => [k, valueFor(k)]))]);
  }
  assert.equal(a.has(NS, 'b0'), false, 'has() does no I/O');
  assert.deepEqual(await a.get(NS, 'b0'), valueFor('b0')); // miss -> re-scan -> hit
  assert.equal(a.has(NS, 'b39'), true);
  const fromB = await b.getMany(NS, keysA);
  assert.equal(fromB.size, 40);
  for (const [k, v] of fromB) assert.deepEqual(v, valueFor(k));
  await b.put(NS, 'late', valueFor('late')); // a segment b grows after a's scan
  assert.deepEqual(await a.get(NS, 'late'), valueFor('late'));
  assert.equal(a.stats().entries, 81);
  await a.close();
  await b.close();
  const c = await BlobCache.open(dir);
  assert.equal((await c.getMany(NS, [...keysA, ...keysB, 'late'])).size, 81);
  await c.close();
});

test('timing: open() with 1,000,000 entries indexed, getMany of 1,000 keys', async () => {
  const dir = tempDir();
  const N = 1_000_000;
  const key = (i: number) => i.toString(16).padStart(32, '0'); // any string: BlobCache hashes it
  const val = (i: number) => { const v = new Uint8Array(32); new DataView(v.buffer).setUint32(0, i, true); return v; };
  let cache = await BlobCache.open(dir);
  let t = performance.now();
  for (let i = 0; i < N; i += 10_000) await cache.putMany(NS, Array.from({ length: 10_000 }, (_, j) => [key(i + j), val(i + j)]));
  await cache.close();
  const putMs = performance.now() - t;
  t = performance.now();
  cache = await BlobCache.open(dir);
  const openMs = performance.now() - t;
  assert.equal(cache.stats().entries, N);
  const picks = Array.from({ length: 1000 }, (_, i) => (i * 7919) % N);
  t = performance.now();
  const got = await cache.getMany(NS, picks.map(key));
  const getManyMs = performance.now() - t;
  assert.equal(got.size, 1000);
  for (const i of picks) assert.deepEqual(got.get(key(i)), val(i));
  t = performance.now();
  const run = await cache.getMany(NS, Array.from({ length: 1000 }, (_, i) => key(500_000 + i)));
  const runMs = performance.now() - t;
  assert.equal(run.size, 1000);
  const mem = process.memoryUsage();
  console.log(`blobCache timing: putMany ${N} x 32 B ${putMs.toFixed(0)} ms; open() ${openMs.toFixed(0)} ms `
    + `(${(cache.stats().bytes / 2 ** 20).toFixed(0)} MiB on disk; heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB, array buffers ${(mem.arrayBuffers / 2 ** 20).toFixed(0)} MiB); `
    + `getMany(1000 scattered keys) ${getManyMs.toFixed(1)} ms, getMany(1000 keys written together) ${runMs.toFixed(1)} ms`);
  await cache.close();
});
