/**
 * BlobCache: a bounded, crash-safe, content-addressed blob store on disk (per-token scoring
 * results, a few KB per pair per model, keyed by hashes).
 *
 * Design note
 * - What: `put(namespace, key, bytes)` / `get(namespace, key)`; the namespace names the model +
 *   tokenizer + settings, the key the pair, so re-scoring a scored pair costs no model call, a
 *   crashed run resumes from what it flushed, and changing one model recomputes only its side.
 * - Why this layout: millions of small values must open fast, write cheaply, survive SIGKILL
 *   and power loss, and tolerate a second process (extension engine + CLI) on the same folder.
 *   So: append-only segments; each segment is a data file of payloads back to back plus an
 *   index file of fixed 56-byte entries (key hash, namespace hash, offset, length, payload
 *   CRC32, stamp, entry CRC32; exact layout in blobCacheSegment.ts). open() reads only index
 *   files into an in-memory hash table (no data scan); a value costs one positioned read.
 * - Invariants
 *   - A batch is written data first, then its index entries, so an entry never names bytes
 *     not yet written; flush() fsyncs data, then index (then the folder once per new segment).
 *     After flush() resolves, everything put before it survives SIGKILL and power loss.
 *   - Nothing on disk is fatal. An index tail that is partial, fails its own CRC or points past
 *     the end of the data is ignored (reported through `onProblem` when its writer is gone); a
 *     payload failing its CRC on read is treated as missing, dropped from the index and reported.
 *   - Each process (each BlobCache instance) appends only to segments it created; the name holds
 *     pid + random bytes, so appends never interleave. Others' segments are only read. A miss
 *     re-scans the folder (readdir + new or grown index files; at most once per `rescanMs`).
 *   - Later puts of one (namespace, key) win: entries carry a stamp that increases strictly
 *     within a process; on load the larger stamp wins (ties: later segment/entry). Evicting the
 *     segment with the newest copy drops the key; an older copy elsewhere may come back on the
 *     next open (keys are content hashes, so copies hold the same result).
 *   - Bounded size, least-recently-used eviction PER SEGMENT (whole files, never single values):
 *     a segment's last use is updated on get/put and persisted by touching its index file's
 *     mtime (at most once a minute). After a flush or a segment rollover, when data + index
 *     bytes exceed maxBytes, sealed segments are deleted oldest-use first until under the bound.
 *     Never deleted: the segment being written, nor another live process's unsealed segment. A
 *     writer seals a segment (a flag-1 entry) when it rolls over or closes; a dead pid's segment
 *     counts as sealed. segmentBytes is capped at maxBytes / 4 so the bound is reachable.
 *   - The `.idx` file is created first and deleted last; an `.idx` without `.dat` of a gone
 *     writer is garbage and removed on scan. Each open() that writes starts new segments, so
 *     short runs leave small segments: LRU eviction removes them like any other.
 *   - clear() deletes other processes' segments too; a writer that loses its open segment
 *     notices on its next scan and starts a new one (puts in between are lost: a cache).
 * - Example:
 *     const cache = await BlobCache.open(join(storage, 'scores'), { maxBytes: 2 ** 31 });
 *     const hit = await cache.get(modelNs, pairHash) ?? await scoreAndPut();
 *     await cache.putMany(modelNs, results); await cache.flush();   // durable: resumable
 */
import { mkdir, readdir, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  alive, crc32, createSegmentFiles, decodeEntries, encodeEntry, EntryTable, ENTRY_BYTES, errCode, FLAG_SEAL, HEADER_BYTES, headerValid,
  keyHashOf, newSegmentBase, nsHashOf, planReads, readAt, ReaderPool, readIndexTail, SEGMENT_FILE, syncDir, writeAll, type ReadItem, type Segment,
} from './blobCacheSegment';

export interface BlobCacheProblem { kind: 'checksum' | 'torn-index' | 'bad-header' | 'read-error'; file: string; message: string }
export interface BlobCacheOptions {
  maxBytes?: number /* default 2 GiB */;
  segmentBytes?: number /* default 64 MiB */;
  /** Minimum time between miss-triggered folder re-scans; default 250 ms (0: every miss). */
  rescanMs?: number;
  onProblem?: (problem: BlobCacheProblem) => void;
}
interface Writer { seg: Segment; data: FileHandle; index: FileHandle; synced: boolean; dirSynced: boolean }

const TOUCH_MS = 60_000; // persist a segment's last use at most this often
const MAX_GAP = 16 * 1024; // getMany: values at most this far apart share one read ...
const MAX_SPAN = 1 << 20; // ... of at most this many bytes
const READ_CONCURRENCY = 8; // range reads in flight per getMany
let lastStamp = 0; // process-wide, so two instances in one process still order their puts
const nextStamp = () => (lastStamp = Math.max(Date.now() * 1000, lastStamp + 1));
let lastUse = 0;
const useClock = () => (lastUse = Math.max(Date.now(), lastUse + 0.001));

export class BlobCache {
  private readonly table = new EntryTable();
  private readonly segs: (Segment | undefined)[] = []; // by Segment.id
  private readonly byBase = new Map<string, Segment>();
  private readonly nsHashes = new Map<string, Buffer>();
  private readonly readers = new ReaderPool(64);
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private writer: Writer | undefined;
  private queue: Promise<unknown> = Promise.resolve(); // writes, flushes, eviction, clear: one at a time
  private scanning: Promise<void> | undefined;
  private lastScan = 0;
  private closed = false;

  private constructor(readonly dir: string, private readonly options: BlobCacheOptions) {
    this.maxBytes = options.maxBytes ?? 2 * 1024 ** 3;
    this.segmentBytes = Math.max(1, Math.min(options.segmentBytes ?? 64 * 1024 ** 2, Math.floor(this.maxBytes / 4)));
  }

  static async open(dir: string, options: BlobCacheOptions = {}): Promise<BlobCache> {
    await mkdir(dir, { recursive: true });
    const cache = new BlobCache(dir, options);
    await cache.rescan();
    await cache.enqueue(() => cache.evictIfNeeded());
    return cache;
  }

  async get(namespace: string, key: string): Promise<Uint8Array | undefined> { return (await this.getMany(namespace, [key])).get(key); }

  /**
   * The present keys' values (missing and corrupt ones left out). Reads grouped by segment in
   * offset order, nearby values merged into one read (values of one read share its buffer).
   */
  async getMany(namespace: string, keys: readonly string[]): Promise<Map<string, Uint8Array>> {
    this.assertOpen();
    const out = new Map<string, Uint8Array>();
    const ids = keys.map((k) => keyHashOf(namespace, k));
    const missing = await this.readInto(keys, ids, out);
    if (missing.length > 0 && Date.now() - this.lastScan >= (this.options.rescanMs ?? 250)) {
      await this.rescan();
      await this.readInto(missing.map((i) => keys[i]!), missing.map((i) => ids[i]!), out);
    }
    return out;
  }

  /** In-memory only: another process's recent puts show up after a get() miss re-scans. */
  has(namespace: string, key: string): boolean { return this.table.has(keyHashOf(namespace, key)); }

  put(namespace: string, key: string, value: Uint8Array): Promise<void> { return this.putMany(namespace, [[key, value]]); }

  async putMany(namespace: string, entries: readonly [string, Uint8Array][]): Promise<void> {
    this.assertOpen();
    let ns = this.nsHashes.get(namespace);
    if (ns === undefined) this.nsHashes.set(namespace, (ns = nsHashOf(namespace)));
    const starts = [0];
    for (const [, v] of entries) starts.push(starts.at(-1)! + v.length);
    const data = Buffer.allocUnsafeSlow(starts.at(-1)!); // copied now: the caller may reuse its buffers
    const items = entries.map(([k, v], i) => { data.set(v, starts[i]); return { key: keyHashOf(namespace, k), crc: crc32(v) }; });
    return this.enqueue(() => this.append(ns, items, data, starts));
  }

  async flush(): Promise<void> {
    this.assertOpen();
    return this.enqueue(async () => { await this.sync(); await this.evictIfNeeded(); });
  }

  stats(): { bytes: number; entries: number; segments: number; namespaces: number } {
    return { bytes: this.totalBytes(), entries: this.table.size, segments: this.byBase.size, namespaces: this.table.namespaces };
  }

  /** Deletes every segment in the folder, other processes' included (Clear Cache). */
  async clear(): Promise<void> {
    this.assertOpen();
    return this.enqueue(async () => {
      await this.closeWriter(false);
      this.table.clear();
      this.forget([...this.byBase.values()]);
      const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => SEGMENT_FILE.test(n));
      for (const n of names.sort((a, b) => Number(a.endsWith('.idx')) - Number(b.endsWith('.idx')))) {
        await unlink(join(this.dir, n)).catch(() => undefined); // data files first: .idx goes last
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.enqueue(() => this.closeWriter(true));
    this.closed = true;
    this.table.clear();
    this.forget([...this.byBase.values()]);
  }

  // ---- writing ----

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async append(ns: Buffer, items: { key: Buffer; crc: number }[], data: Buffer, starts: number[]): Promise<void> {
    for (let i = 0; i < items.length;) {
      let w = this.writer;
      if (!w || (w.seg.dataBytes > 0 && w.seg.dataBytes + starts[i + 1]! - starts[i]! > this.segmentBytes)) w = await this.rollover();
      const seg = w.seg;
      let j = i + 1; // items i..j-1 go into this segment
      while (j < items.length && seg.dataBytes + starts[j + 1]! - starts[i]! <= this.segmentBytes) j++;
      const index = Buffer.allocUnsafe((j - i) * ENTRY_BYTES);
      const fields = items.slice(i, j).map((it, n) => ({
        key: it.key, keyAt: 0, ns, nsAt: 0, offset: seg.dataBytes + starts[i + n]! - starts[i]!, flags: 0,
        length: starts[i + n + 1]! - starts[i + n]!, crc: it.crc, stamp: nextStamp(),
      }));
      fields.forEach((f, n) => encodeEntry(index, n * ENTRY_BYTES, f));
      try {
        await writeAll(w.data, data.subarray(starts[i]!, starts[j]!), seg.dataBytes); // data first ...
        seg.dataBytes += starts[j]! - starts[i]!;
        await writeAll(w.index, index, seg.indexBytes); // ... then the entries naming it
        seg.parsed = seg.indexBytes += index.length;
      } catch (e) {
        await this.sync(w).catch(() => undefined); // keep what earlier puts wrote, best effort
        await this.closeWriter(false); // a failed segment is never appended to again
        seg.sealed = true;
        throw e;
      }
      w.synced = false;
      seg.lastUse = useClock();
      for (const f of fields) this.table.set(f, seg.id, false);
      i = j;
    }
  }

  private async rollover(): Promise<Writer> {
    const hadWriter = this.writer !== undefined;
    await this.closeWriter(true);
    await mkdir(this.dir, { recursive: true });
    const base = newSegmentBase();
    const { index, data } = await createSegmentFiles(this.dir, base);
    const seg = this.addSegment(base, process.pid, true);
    seg.indexBytes = seg.parsed = HEADER_BYTES;
    this.writer = { seg, data, index, synced: false, dirSynced: false };
    if (hadWriter) await this.evictIfNeeded();
    return this.writer;
  }

  private async sync(w = this.writer): Promise<void> {
    if (!w || w.synced) return;
    await w.data.sync();
    await w.index.sync();
    if (!w.dirSynced) w.dirSynced = await syncDir(this.dir); // the new files' names
    w.synced = true;
  }

  /** With `seal`: appends the seal record and makes the segment durable before closing. */
  private async closeWriter(seal: boolean): Promise<void> {
    const w = this.writer;
    if (!w) return;
    this.writer = undefined;
    try {
      if (seal) {
        const rec = Buffer.alloc(ENTRY_BYTES);
        encodeEntry(rec, 0, { key: rec, keyAt: 0, ns: rec, nsAt: 0, offset: 0, flags: FLAG_SEAL, length: 0, crc: 0, stamp: nextStamp() });
        await writeAll(w.index, rec, w.seg.indexBytes);
        w.seg.parsed = w.seg.indexBytes += ENTRY_BYTES;
        w.synced = false;
        await this.sync(w);
        w.seg.sealed = true;
      }
    } finally {
      await w.data.close().catch(() => undefined);
      await w.index.close().catch(() => undefined);
    }
  }

  // ---- eviction ----

  private totalBytes(): number { return [...this.byBase.values()].reduce((n, s) => n + s.dataBytes + s.indexBytes, 0); }

  private async evictIfNeeded(): Promise<void> {
    if (this.totalBytes() <= this.maxBytes) return;
    await this.rescan(); // current sizes, others' segments, and their last use (index mtimes)
    let total = this.totalBytes();
    const candidates = [...this.byBase.values()].filter((s) => s !== this.writer?.seg && (s.sealed || !alive(s.pid)));
    const gone: Segment[] = [];
    for (const s of candidates.sort((a, b) => a.lastUse - b.lastUse)) {
      if (total <= this.maxBytes) break;
      await unlink(join(this.dir, `${s.base}.dat`)).catch(() => undefined);
      await unlink(join(this.dir, `${s.base}.idx`)).catch(() => undefined);
      total -= s.dataBytes + s.indexBytes;
      gone.push(s);
    }
    this.forget(gone);
  }

  // ---- reading and scanning ----

  /** Reads what the index has into `out`; returns the positions of keys it does not have. */
  private async readInto(keys: readonly string[], ids: readonly Buffer[], out: Map<string, Uint8Array>): Promise<number[]> {
    const missing: number[] = [];
    const bySeg = new Map<Segment, ReadItem[]>();
    ids.forEach((id, i) => {
      const at = this.table.find(id);
      const seg = at && this.segs[at.seg];
      if (!at || !seg) return void missing.push(i);
      const list = bySeg.get(seg);
      if (list) list.push({ i, at });
      else bySeg.set(seg, [{ i, at }]);
    });
    for (const seg of bySeg.keys()) this.touch(seg);
    const ranges = planReads(bySeg, MAX_GAP, MAX_SPAN);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let r = ranges[next++]; r; r = ranges[next++]) {
        const { seg, start, end, items } = r;
        if (seg.gone) continue; // evicted meanwhile: a miss
        let buf: Uint8Array;
        try {
          const fh = await this.readers.acquire(seg, join(this.dir, `${seg.base}.dat`));
          try { buf = await readAt(fh, end - start, start); } finally { this.readers.release(seg); }
        } catch (e) {
          this.problem('read-error', seg, `cannot read data: ${errCode(e) ?? String(e)}`);
          this.forget([seg]);
          continue;
        }
        for (const { i, at } of items) {
          const rel = at.offset - start;
          const value = rel + at.length <= buf.length ? buf.subarray(rel, rel + at.length) : undefined;
          if (value && crc32(value) === at.crc) out.set(keys[i]!, value);
          else {
            this.table.delete(ids[i]!, at);
            this.problem('checksum', seg, value ? `payload at ${at.offset} (${at.length} bytes) fails its CRC32` : `payload at ${at.offset} lies past the end of the data`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, ranges.length) }, worker));
    return missing;
  }

  private touch(seg: Segment): void {
    seg.lastUse = useClock();
    const now = Date.now();
    if ((seg.own && !seg.sealed) || now - seg.touchedAt < TOUCH_MS) return; // writes keep an open segment's mtime
    seg.touchedAt = now;
    utimes(join(this.dir, `${seg.base}.idx`), now / 1000, now / 1000).catch(() => undefined);
  }

  private addSegment(base: string, pid: number, own: boolean): Segment {
    const seg: Segment = { id: this.segs.length, base, pid, own, sealed: false, gone: false, dataBytes: 0, indexBytes: 0, parsed: 0, lastUse: useClock(), touchedAt: 0, reported: false };
    this.segs.push(seg);
    this.byBase.set(base, seg);
    return seg;
  }

  /** Drops segments (deleted, or unreadable) and their entries from memory. */
  private forget(segs: readonly Segment[]): void {
    if (segs.length === 0) return;
    for (const s of segs) {
      s.gone = true;
      this.segs[s.id] = undefined;
      this.byBase.delete(s.base);
      this.readers.close(s);
      if (this.writer?.seg === s) void this.closeWriter(false); // someone deleted our files
    }
    this.table.dropSegments(new Set(segs.map((s) => s.id)));
  }

  private rescan(): Promise<void> {
    this.scanning ??= this.scan().finally(() => { this.scanning = undefined; this.lastScan = Date.now(); });
    return this.scanning;
  }

  private async scan(): Promise<void> {
    const before = [...this.byBase.values()]; // a segment created during the scan is not "gone"
    const names = (await readdir(this.dir).catch(() => [] as string[])).sort();
    const todo = names.flatMap((n) => { const m = SEGMENT_FILE.exec(n); return m && m[3] === 'idx' ? [{ base: m[1]!, pid: Number(m[2]) }] : []; });
    const present = new Set(todo.map((t) => t.base));
    const found = await Promise.all(todo.filter((t) => !this.byBase.get(t.base)?.own).map(async (t) => ({ ...t, st: await stat(join(this.dir, `${t.base}.idx`)).catch(() => undefined) })));
    this.table.reserve(this.table.size + found.reduce((n, t) => n + Math.max(0, (t.st?.size ?? 0) - (this.byBase.get(t.base)?.parsed ?? 0)), 0) / ENTRY_BYTES);
    for (const t of found) if (t.st) await this.scanSegment(t.base, t.pid, t.st.size, t.st.mtimeMs);
    this.forget(before.filter((s) => !s.gone && !present.has(s.base)));
  }

  /** Loads another writer's new index entries (all of them the first time). */
  private async scanSegment(base: string, pid: number, size: number, mtimeMs: number): Promise<void> {
    const known = this.byBase.get(base);
    if (known) known.lastUse = Math.max(known.lastUse, mtimeMs);
    if (known && (known.parsed < 0 || size - known.parsed < ENTRY_BYTES)) return void (known.indexBytes = Math.max(known.indexBytes, size));
    const from = known?.parsed ?? 0;
    let tail: { buf: Buffer; dataBytes: number };
    try { tail = await readIndexTail(this.dir, base, from, size); } catch (e) {
      if (errCode(e) === 'ENOENT' && !known && !alive(pid)) await unlink(join(this.dir, `${base}.idx`)).catch(() => undefined); // orphan
      return;
    }
    const { buf, dataBytes } = tail;
    if (!known && buf.length < HEADER_BYTES && alive(pid)) return; // being created
    const seg = known ?? this.addSegment(base, pid, false);
    if (!known) seg.lastUse = mtimeMs;
    seg.indexBytes = from + buf.length;
    seg.dataBytes = dataBytes;
    if (from === 0 && !headerValid(buf)) {
      seg.parsed = -1;
      return this.problem('bad-header', seg, 'index header is not a BlobCache v1 header');
    }
    const at = from === 0 ? HEADER_BYTES : 0;
    let pastEnd = 0;
    const { consumed, bad } = decodeEntries(buf.subarray(at), (e) => {
      lastStamp = Math.max(lastStamp, e.stamp); // our next puts win even if the clock went back
      if (e.flags & FLAG_SEAL) seg.sealed = true;
      else if (e.offset + e.length > dataBytes) pastEnd++;
      else this.table.set(e, seg.id, true);
    });
    seg.parsed = from + at + consumed;
    const rest = seg.indexBytes - seg.parsed; // a live writer's unfinished entry is read next time
    if ((pastEnd > 0 || rest > 0) && (seg.sealed || !alive(pid)) && !seg.reported) {
      seg.reported = true;
      this.problem('torn-index', seg, `ignored: ${pastEnd} entries past the end of the data, ${rest} trailing bytes${bad ? ' (an entry fails its CRC32)' : ''}`);
    }
  }

  private problem(kind: BlobCacheProblem['kind'], seg: Segment, message: string): void {
    const ext = kind === 'torn-index' || kind === 'bad-header' ? 'idx' : 'dat';
    this.options.onProblem?.({ kind, file: join(this.dir, `${seg.base}.${ext}`), message });
  }

  private assertOpen(): void { if (this.closed) throw new Error('BlobCache is closed'); }
}
