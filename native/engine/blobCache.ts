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
 *   files into an in-memory Map (no data scan); a value costs one positioned read.
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
 *     within a process; on load the larger stamp wins (ties: later segment/entry).
 *   - Bounded size, least-recently-used eviction PER SEGMENT (whole files, never single values):
 *     a segment's last use is updated on get/put and persisted by touching its index file's
 *     mtime (at most once a minute). After a flush or a segment rollover, when data + index
 *     bytes exceed maxBytes, sealed segments are deleted oldest-use first until under the bound.
 *     Never deleted: the segment being written, nor another live process's unsealed segment. A
 *     writer seals a segment (a flag-1 entry) when it rolls over or closes; a dead pid's segment
 *     counts as sealed. segmentBytes is capped at maxBytes / 4 so the bound is reachable.
 *   - The `.idx` file is created first and deleted last; an `.idx` without `.dat` of a gone
 *     writer is garbage and removed on scan.
 * - Example:
 *     const cache = await BlobCache.open(join(storage, 'scores'), { maxBytes: 2 ** 31 });
 *     const hit = await cache.get(modelNs, pairHash) ?? await scoreAndPut();
 *     await cache.putMany(modelNs, results); await cache.flush();   // durable: resumable
 */
import { mkdir, open, readdir, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  crc32, decodeEntries, encodeEntry, EntryTable, ENTRY_BYTES, FLAG_SEAL, HEADER_BYTES, headerValid, indexHeader,
  keyHashOf, newSegmentBase, nsHashOf, readAt, SEGMENT_FILE, writeAll, type Location,
} from './blobCacheSegment';

export interface BlobCacheProblem { kind: 'checksum' | 'torn-index' | 'bad-header' | 'read-error'; file: string; message: string }
export interface BlobCacheOptions {
  maxBytes?: number /* default 2 GiB */;
  segmentBytes?: number /* default 64 MiB */;
  /** Minimum time between miss-triggered folder re-scans; default 250 ms (0: every miss). */
  rescanMs?: number;
  onProblem?: (problem: BlobCacheProblem) => void;
}

interface Segment {
  id: number; base: string; pid: number; own: boolean; sealed: boolean; gone: boolean;
  dataBytes: number; indexBytes: number; parsed: number; lastUse: number; touchedAt: number; reported: boolean;
  reader?: { fh: Promise<FileHandle>; users: number };
}
interface Writer { seg: Segment; data: FileHandle; index: FileHandle; synced: boolean; dirSynced: boolean }

const TOUCH_MS = 60_000;
const MAX_GAP = 16 * 1024; // getMany merges reads whose gap is at most this
const MAX_RANGE = 1 << 20;
const MAX_READERS = 64;
let lastStamp = 0; // process-wide, so two instances in one process still order their puts
const nextStamp = () => (lastStamp = Math.max(Date.now() * 1000, lastStamp + 1));
let lastUseClock = 0;
const useClock = () => (lastUseClock = Math.max(Date.now(), lastUseClock + 0.001));
const code = (e: unknown) => (e as NodeJS.ErrnoException).code;
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try { process.kill(pid, 0); return true; } catch (e) { return code(e) === 'EPERM'; }
}

export class BlobCache {
  private readonly table = new EntryTable();
  private readonly segs: (Segment | undefined)[] = [];
  private readonly byBase = new Map<string, Segment>();
  private readonly nsHashes = new Map<string, Buffer>();
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private writer: Writer | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private scanning: Promise<void> | undefined;
  private lastScan = 0;
  private openReaders = 0;
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

  async get(namespace: string, key: string): Promise<Uint8Array | undefined> {
    return (await this.getMany(namespace, [key])).get(key);
  }

  /** Reads grouped by segment, in offset order, merging nearby values into one read. */
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

  has(namespace: string, key: string): boolean {
    return this.table.has(keyHashOf(namespace, key));
  }

  put(namespace: string, key: string, value: Uint8Array): Promise<void> {
    return this.putMany(namespace, [[key, value]]);
  }

  putMany(namespace: string, entries: readonly [string, Uint8Array][]): Promise<void> {
    this.assertOpen();
    let ns = this.nsHashes.get(namespace);
    if (ns === undefined) this.nsHashes.set(namespace, (ns = nsHashOf(namespace)));
    const starts: number[] = [];
    let total = 0;
    for (const [, v] of entries) { starts.push(total); total += v.length; }
    starts.push(total);
    const data = Buffer.allocUnsafeSlow(total); // copied now: the caller may reuse its buffers
    const items = entries.map(([k, v], i) => { data.set(v, starts[i]); return { key: keyHashOf(namespace, k), crc: crc32(v) }; });
    return this.enqueue(() => this.append(ns, items, data, starts));
  }

  flush(): Promise<void> {
    this.assertOpen();
    return this.enqueue(async () => { await this.sync(); await this.evictIfNeeded(); });
  }

  stats(): { bytes: number; entries: number; segments: number; namespaces: number } {
    return { bytes: this.totalBytes(), entries: this.table.size, segments: this.byBase.size, namespaces: this.table.namespaces };
  }

  /** Deletes every segment in the folder, other processes' included (Clear Cache). */
  clear(): Promise<void> {
    this.assertOpen();
    return this.enqueue(async () => {
      await this.closeWriter(false);
      this.table.clear();
      this.forget(new Set(this.byBase.values()));
      const names = await readdir(this.dir).catch(() => [] as string[]);
      const files = names.filter((n) => SEGMENT_FILE.test(n)).sort((a, b) => Number(a.endsWith('.idx')) - Number(b.endsWith('.idx')));
      for (const n of files) await unlink(join(this.dir, n)).catch(() => undefined);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.enqueue(() => this.closeWriter(true));
    this.closed = true;
    this.table.clear();
    this.forget(new Set(this.byBase.values()));
  }

  // ---- writing ----

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async append(ns: Buffer, items: { key: Buffer; crc: number }[], data: Buffer, starts: number[]): Promise<void> {
    const size = (k: number) => starts[k + 1]! - starts[k]!;
    for (let i = 0; i < items.length;) {
      let w = this.writer;
      if (!w || (w.seg.dataBytes > 0 && w.seg.dataBytes + size(i) > this.segmentBytes)) w = await this.rollover();
      let j = i + 1;
      while (j < items.length && w.seg.dataBytes + starts[j + 1]! - starts[i]! <= this.segmentBytes) j++;
      const seg = w.seg;
      const base = seg.dataBytes - starts[i]!;
      const index = Buffer.allocUnsafe((j - i) * ENTRY_BYTES);
      const fields = items.slice(i, j).map((it, n) => ({ key: it.key, keyAt: 0, ns, nsAt: 0, offset: base + starts[i + n]!, flags: 0, length: size(i + n), crc: it.crc, stamp: nextStamp() }));
      fields.forEach((f, n) => encodeEntry(index, n * ENTRY_BYTES, f));
      try {
        await writeAll(w.data, data.subarray(starts[i]!, starts[j]!), seg.dataBytes);
        seg.dataBytes += starts[j]! - starts[i]!;
        await writeAll(w.index, index, seg.indexBytes);
        seg.indexBytes += index.length;
        seg.parsed = seg.indexBytes;
      } catch (e) {
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
    const index = await open(join(this.dir, `${base}.idx`), 'wx');
    let data: FileHandle;
    try {
      await writeAll(index, indexHeader(), 0);
      data = await open(join(this.dir, `${base}.dat`), 'wx');
    } catch (e) {
      await index.close().catch(() => undefined);
      throw e;
    }
    const seg = this.addSegment(base, process.pid, true);
    seg.indexBytes = seg.parsed = HEADER_BYTES;
    this.writer = { seg, data, index, synced: false, dirSynced: false };
    if (hadWriter) await this.evictIfNeeded();
    return this.writer;
  }

  private async sync(): Promise<void> {
    const w = this.writer;
    if (!w || w.synced) return;
    await w.data.sync();
    await w.index.sync();
    if (!w.dirSynced) {
      const d = await open(this.dir, 'r').catch(() => undefined); // not possible on Windows: fine
      await d?.sync().catch(() => undefined);
      await d?.close();
      w.dirSynced = true;
    }
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
        w.seg.indexBytes += ENTRY_BYTES;
        w.seg.parsed = w.seg.indexBytes;
        w.synced = false;
        this.writer = w;
        await this.sync();
        this.writer = undefined;
        w.seg.sealed = true;
      }
    } finally {
      await w.data.close().catch(() => undefined);
      await w.index.close().catch(() => undefined);
    }
  }

  // ---- eviction ----

  private totalBytes(): number {
    let total = 0;
    for (const s of this.byBase.values()) total += s.dataBytes + s.indexBytes;
    return total;
  }

  private async evictIfNeeded(): Promise<void> {
    if (this.totalBytes() <= this.maxBytes) return;
    await this.rescan();
    let total = this.totalBytes();
    const candidates = [...this.byBase.values()]
      .filter((s) => s !== this.writer?.seg && (s.sealed || !alive(s.pid)))
      .sort((a, b) => a.lastUse - b.lastUse);
    const gone = new Set<Segment>();
    for (const s of candidates) {
      if (total <= this.maxBytes) break;
      await unlink(join(this.dir, `${s.base}.dat`)).catch(() => undefined);
      await unlink(join(this.dir, `${s.base}.idx`)).catch(() => undefined);
      total -= s.dataBytes + s.indexBytes;
      gone.add(s);
    }
    this.forget(gone);
  }

  // ---- reading and scanning ----

  private async readInto(keys: readonly string[], ids: readonly Buffer[], out: Map<string, Uint8Array>): Promise<number[]> {
    const missing: number[] = [];
    const bySeg = new Map<Segment, { i: number; at: Location }[]>();
    ids.forEach((id, i) => {
      const at = this.table.find(id);
      const seg = at && this.segs[at.seg];
      if (!at || !seg) return void missing.push(i);
      const list = bySeg.get(seg) ?? [];
      list.push({ i, at });
      bySeg.set(seg, list);
    });
    await Promise.all([...bySeg].map(async ([seg, list]) => {
      list.sort((a, b) => a.at.offset - b.at.offset);
      this.touch(seg);
      let fh: FileHandle;
      try { fh = await this.acquire(seg); } catch (e) {
        this.problem('read-error', seg, `cannot open data: ${code(e) ?? String(e)}`);
        return this.forget(new Set([seg]));
      }
      try {
        for (let a = 0; a < list.length;) {
          let b = a + 1;
          const start = list[a]!.at.offset;
          let end = start + list[a]!.at.length;
          for (; b < list.length && list[b]!.at.offset - end <= MAX_GAP && list[b]!.at.offset + list[b]!.at.length - start <= MAX_RANGE; b++) {
            end = Math.max(end, list[b]!.at.offset + list[b]!.at.length);
          }
          const buf = await readAt(fh, end - start, start);
          for (const { i, at } of list.slice(a, b)) {
            const rel = at.offset - start;
            const value = rel + at.length <= buf.length ? buf.subarray(rel, rel + at.length) : undefined;
            if (value && crc32(value) === at.crc) out.set(keys[i]!, value);
            else {
              this.table.delete(ids[i]!, at);
              this.problem('checksum', seg, value ? `payload at ${at.offset} (${at.length} bytes) fails its CRC32` : `payload at ${at.offset} lies past the end of the data`);
            }
          }
          a = b;
        }
      } finally { this.release(seg); }
    }));
    return missing;
  }

  private touch(seg: Segment): void {
    seg.lastUse = useClock();
    const now = Date.now();
    if (seg.own && !seg.sealed) return; // its writes keep the mtime current
    if (now - seg.touchedAt < TOUCH_MS) return;
    seg.touchedAt = now;
    utimes(join(this.dir, `${seg.base}.idx`), now / 1000, now / 1000).catch(() => undefined);
  }

  private async acquire(seg: Segment): Promise<FileHandle> {
    if (!seg.reader) {
      seg.reader = { fh: open(join(this.dir, `${seg.base}.dat`), 'r'), users: 0 };
      seg.reader.fh.catch(() => undefined);
      if (++this.openReaders > MAX_READERS) {
        for (const s of [...this.byBase.values()].sort((x, y) => x.lastUse - y.lastUse)) {
          if (this.openReaders <= MAX_READERS) break;
          if (s !== seg && s.reader?.users === 0) this.closeReader(s);
        }
      }
    }
    seg.reader.users++;
    try { return await seg.reader.fh; } catch (e) { this.release(seg); throw e; }
  }

  private release(seg: Segment): void {
    if (seg.reader && --seg.reader.users === 0 && seg.gone) this.closeReader(seg);
  }

  private closeReader(seg: Segment): void {
    const r = seg.reader;
    if (!r) return;
    seg.reader = undefined;
    this.openReaders--;
    r.fh.then((fh) => fh.close()).catch(() => undefined);
  }

  private addSegment(base: string, pid: number, own: boolean): Segment {
    const seg: Segment = { id: this.segs.length, base, pid, own, sealed: false, gone: false, dataBytes: 0, indexBytes: 0, parsed: 0, lastUse: useClock(), touchedAt: 0, reported: false };
    this.segs.push(seg);
    this.byBase.set(base, seg);
    return seg;
  }

  private forget(segs: ReadonlySet<Segment>): void {
    if (segs.size === 0) return;
    for (const s of segs) {
      s.gone = true;
      this.segs[s.id] = undefined;
      this.byBase.delete(s.base);
      if (s.reader?.users === 0) this.closeReader(s);
      if (this.writer?.seg === s) void this.closeWriter(false);
    }
    this.table.dropSegments(new Set([...segs].map((s) => s.id)));
  }

  private rescan(): Promise<void> {
    this.scanning ??= this.scan().finally(() => { this.scanning = undefined; this.lastScan = Date.now(); });
    return this.scanning;
  }

  private async scan(): Promise<void> {
    const before = [...this.byBase.values()]; // a segment created during the scan is not "gone"
    const names = (await readdir(this.dir).catch(() => [] as string[])).sort();
    const present = new Set<string>();
    for (const name of names) {
      const m = SEGMENT_FILE.exec(name);
      if (!m || m[3] !== 'idx') continue;
      present.add(m[1]!);
      const seg = this.byBase.get(m[1]!);
      if (!seg?.own) await this.scanSegment(m[1]!, Number(m[2]), seg);
    }
    this.forget(new Set(before.filter((s) => !s.gone && !present.has(s.base))));
  }

  /** Loads a foreign segment's new index entries (all of them the first time). */
  private async scanSegment(base: string, pid: number, known: Segment | undefined): Promise<void> {
    const idxPath = join(this.dir, `${base}.idx`);
    const st = await stat(idxPath).catch(() => undefined);
    if (!st) return;
    if (known) known.lastUse = Math.max(known.lastUse, st.mtimeMs);
    const from = known?.parsed ?? 0;
    if (known && (st.size - from < ENTRY_BYTES || known.parsed < 0)) return void (known.indexBytes = st.size);
    let buf: Buffer;
    let dataBytes: number;
    try {
      const fh = await open(idxPath, 'r');
      try {
        const bytes = await readAt(fh, st.size - from, from);
        buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      } finally { await fh.close(); }
      dataBytes = (await stat(join(this.dir, `${base}.dat`))).size; // after the index: covers every entry read
    } catch (e) {
      if (code(e) === 'ENOENT' && !known && !alive(pid)) await unlink(idxPath).catch(() => undefined); // orphan
      return;
    }
    if (!known && buf.length < HEADER_BYTES && alive(pid)) return; // being created
    const seg = known ?? this.addSegment(base, pid, false);
    seg.lastUse = known ? seg.lastUse : st.mtimeMs;
    seg.indexBytes = from + buf.length;
    seg.dataBytes = dataBytes;
    let at = 0;
    if (from === 0) {
      if (!headerValid(buf)) { seg.parsed = -1; return this.problem('bad-header', seg, 'index header is not a BlobCache v1 header'); }
      at = HEADER_BYTES;
    }
    let pastEnd = 0;
    const { consumed, bad } = decodeEntries(buf.subarray(at), (e) => {
      if (e.flags & FLAG_SEAL) seg.sealed = true;
      else if (e.offset + e.length > dataBytes) pastEnd++;
      else this.table.set(e, seg.id, true);
    });
    seg.parsed = from + at + consumed;
    const tail = seg.indexBytes - seg.parsed;
    if ((pastEnd > 0 || tail > 0) && (seg.sealed || !alive(pid)) && !seg.reported) {
      seg.reported = true;
      this.problem('torn-index', seg, `ignored: ${pastEnd} entries past the end of the data, ${tail} trailing bytes${bad ? ' (an entry fails its CRC32)' : ''}`);
    }
  }

  private problem(kind: BlobCacheProblem['kind'], seg: Segment, message: string): void {
    this.options.onProblem?.({ kind, file: join(this.dir, `${seg.base}.${kind === 'torn-index' || kind === 'bad-header' ? 'idx' : 'dat'}`), message });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('BlobCache is closed');
  }
}
