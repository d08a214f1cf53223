/**
 * BlobCache on-disk format and in-memory index (the design note is in blobCache.ts).
 *
 * Index file `seg-<time36>-<pid>-<rand8>.idx`: a 16-byte header, then fixed 56-byte entries,
 * all little-endian:
 *   header  0 "PLBLOBI1" (8 bytes) · 8 u32 entry size (56) · 12 u32 format version (1)
 *   entry   0 key hash, 16 bytes = sha256(namespace + "\0" + key)[0..16]
 *          16 namespace hash, 8 bytes = sha256(namespace)[0..8]
 *          24 u48 payload offset in the `.dat` file · 30 u16 flags (1 = seal record)
 *          32 u32 payload length · 36 u32 CRC32 of the payload
 *          40 f64 stamp (write order: larger wins) · 48 u32 reserved (0)
 *          52 u32 CRC32 of entry bytes 0..52 (a torn or zero-filled entry fails it)
 * Data file `seg-….dat`: payloads back to back, nothing else.
 */
import * as crypto from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import * as zlib from 'node:zlib';

export const HEADER_BYTES = 16;
export const ENTRY_BYTES = 56;
export const FLAG_SEAL = 1;
const MAGIC = 'PLBLOBI1';
const VERSION = 1;

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
/** CRC32 (zlib's polynomial): native where Node has it (>= 20.15), table-driven otherwise. */
export const crc32: (data: Uint8Array) => number = typeof zlib.crc32 === 'function' ? (d) => zlib.crc32(d) : (d) => crc32Range(d, 0, d.length);

/** sha256(namespace + "\0" + key): its first 16 bytes are the identity of (namespace, key). */
export function keyHashOf(namespace: string, key: string): Buffer {
  return sha256(`${namespace}\0${key}`);
}
// one-shot crypto.hash (Node >= 20.12) is ~1.5x faster than createHash for short inputs
const sha256: (s: string) => Buffer = typeof crypto.hash === 'function'
  ? (s) => crypto.hash('sha256', s, 'buffer') : (s) => crypto.createHash('sha256').update(s).digest();
/** sha256(namespace): its first 8 bytes are written beside each entry. */
export function nsHashOf(namespace: string): Buffer {
  return sha256(namespace);
}

export const SEGMENT_FILE = /^(seg-[0-9a-z]+-(\d+)-[0-9a-f]{8})\.(idx|dat)$/;
export function newSegmentBase(): string {
  return `seg-${Date.now().toString(36).padStart(9, '0')}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

/** Creates a segment's files: the `.idx` (with its header) first, as it is deleted last. */
export async function createSegmentFiles(dir: string, base: string): Promise<{ index: FileHandle; data: FileHandle }> {
  const index = await open(join(dir, `${base}.idx`), 'wx');
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(ENTRY_BYTES, 8);
    header.writeUInt32LE(VERSION, 12);
    await writeAll(index, header, 0);
    return { index, data: await open(join(dir, `${base}.dat`), 'wx') };
  } catch (e) {
    await index.close().catch(() => undefined);
    throw e;
  }
}
/** fsyncs a folder so new names survive power loss; a folder cannot be opened on Windows: skipped. */
export async function syncDir(dir: string): Promise<boolean> {
  const d = await open(dir, 'r').catch(() => undefined);
  await d?.sync().catch(() => undefined);
  await d?.close();
  return true;
}
export function headerValid(b: Buffer): boolean {
  return b.length >= HEADER_BYTES && b.toString('latin1', 0, 8) === MAGIC && b.readUInt32LE(8) === ENTRY_BYTES && b.readUInt32LE(12) === VERSION;
}

/** One index entry; `key`/`ns` are read at `keyAt`/`nsAt` (16 and 8 bytes). */
export interface EntryFields { key: Buffer; keyAt: number; ns: Buffer; nsAt: number; offset: number; flags: number; length: number; crc: number; stamp: number }

export function encodeEntry(b: Buffer, at: number, e: EntryFields): void {
  e.key.copy(b, at, e.keyAt, e.keyAt + 16);
  e.ns.copy(b, at + 16, e.nsAt, e.nsAt + 8);
  b.writeUIntLE(e.offset, at + 24, 6);
  b.writeUInt16LE(e.flags, at + 30);
  b.writeUInt32LE(e.length, at + 32);
  b.writeUInt32LE(e.crc, at + 36);
  b.writeDoubleLE(e.stamp, at + 40);
  b.writeUInt32LE(0, at + 48);
  b.writeUInt32LE(crc32Range(b, at, at + 52), at + 52);
}

function crc32Range(b: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Decodes whole entries of `b` (entries only, no header) in file order; `visit` gets one
 * reused object. Stops at the first entry whose own checksum fails; returns the bytes consumed
 * (whole valid entries), so a caller can resume there once a writer has finished the entry.
 */
export function decodeEntries(b: Buffer, visit: (e: EntryFields) => void): { consumed: number; bad: boolean } {
  const e: EntryFields = { key: b, keyAt: 0, ns: b, nsAt: 16, offset: 0, flags: 0, length: 0, crc: 0, stamp: 0 };
  let at = 0;
  for (; at + ENTRY_BYTES <= b.length; at += ENTRY_BYTES) {
    if (crc32Range(b, at, at + 52) !== b.readUInt32LE(at + 52)) return { consumed: at, bad: true };
    e.keyAt = at; e.nsAt = at + 16;
    e.offset = b.readUIntLE(at + 24, 6); e.flags = b.readUInt16LE(at + 30); e.length = b.readUInt32LE(at + 32);
    e.crc = b.readUInt32LE(at + 36); e.stamp = b.readDoubleLE(at + 40);
    visit(e);
  }
  return { consumed: at, bad: false };
}

export async function writeAll(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('short write');
    done += bytesWritten;
  }
}
/** Reads up to `length` bytes at `position`; shorter only at end of file. */
export async function readAt(fh: FileHandle, length: number, position: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? out : out.subarray(0, done);
}

/** Where one (namespace, key) lives. */
export interface Location { seg: number; offset: number; length: number; crc: number }

/** A segment as one process sees it; `parsed` = index bytes decoded (-1: unusable header). */
export interface Segment {
  id: number; base: string; pid: number; own: boolean; sealed: boolean; gone: boolean;
  dataBytes: number; indexBytes: number; parsed: number; lastUse: number; touchedAt: number; reported: boolean;
}

export const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;
/** Whether a segment's writer may still be running (same host; EPERM: alive, not ours). */
export function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try { process.kill(pid, 0); return true; } catch (e) { return errCode(e) === 'EPERM'; }
}

/** Index bytes [from, size) of a segment, then the data size (read after: covers every entry). */
export async function readIndexTail(dir: string, base: string, from: number, size: number): Promise<{ buf: Buffer; dataBytes: number }> {
  const fh = await open(join(dir, `${base}.idx`), 'r');
  let bytes: Uint8Array;
  try { bytes = await readAt(fh, size - from, from); } finally { await fh.close(); }
  const dataBytes = (await stat(join(dir, `${base}.dat`))).size;
  return { buf: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), dataBytes };
}

export interface ReadItem { i: number; at: Location }
export interface ReadRange { seg: Segment; start: number; end: number; items: ReadItem[] }
/** Per segment, values in offset order; neighbours (gap <= maxGap, span <= maxSpan) share a read. */
export function planReads(bySeg: Map<Segment, ReadItem[]>, maxGap: number, maxSpan: number): ReadRange[] {
  const ranges: ReadRange[] = [];
  for (const [seg, list] of bySeg) {
    list.sort((a, b) => a.at.offset - b.at.offset);
    let last: ReadRange | undefined;
    for (const item of list) {
      const end = item.at.offset + item.at.length;
      if (last && item.at.offset - last.end <= maxGap && end - last.start <= maxSpan) {
        last.end = Math.max(last.end, end);
        last.items.push(item);
      } else ranges.push((last = { seg, start: item.at.offset, end, items: [item] }));
    }
  }
  return ranges;
}

/** Read handles to data files, shared by concurrent reads; beyond `limit`, idle ones close. */
export class ReaderPool {
  private readonly handles = new Map<Segment, { fh: Promise<FileHandle>; users: number }>(); // least recent first
  constructor(private readonly limit: number) {}

  async acquire(seg: Segment, path: string): Promise<FileHandle> {
    let r = this.handles.get(seg);
    if (r) this.handles.delete(seg);
    else {
      r = { fh: open(path, 'r'), users: 0 };
      r.fh.catch(() => undefined);
    }
    this.handles.set(seg, r);
    r.users++;
    for (const [s, x] of this.handles) if (this.handles.size > this.limit && x.users === 0) this.close(s);
    try { return await r.fh; } catch (e) { this.release(seg); this.close(seg); throw e; }
  }

  release(seg: Segment): void {
    const r = this.handles.get(seg);
    if (r && --r.users === 0 && seg.gone) this.close(seg);
  }

  /** Closes the handle now if idle, else at the last release (when the segment is gone). */
  close(seg: Segment): void {
    const r = this.handles.get(seg);
    if (!r || r.users > 0) return;
    this.handles.delete(seg);
    r.fh.then((fh) => fh.close()).catch(() => undefined);
  }
}

/**
 * The in-memory index: an open-addressing hash table (linear probing, load <= 1/2) from the
 * 16-byte key hash to a slot, slots kept as struct-of-arrays. A JS Map with string keys costs
 * ~1 µs and ~150 bytes per entry at a million entries; this costs ~60 bytes and no GC work.
 */
export class EntryTable {
  private cap = 0;
  private next = 0;
  private free: number[] = [];
  private keys = new Uint32Array(0);
  private segOf = new Int32Array(0); // -1: free slot
  private off = new Float64Array(0);
  private len = new Uint32Array(0);
  private sum = new Uint32Array(0);
  private stampOf = new Float64Array(0);
  private nsOf = new Uint32Array(0);
  private buckets = new Int32Array(16).fill(-1);
  private count = 0;
  private readonly nsNumber = new Map<string, number>();
  private nsCount: number[] = [];
  private liveNs = 0;
  private lastNs = { lo: -1, hi: -1, n: 0 };

  get size(): number { return this.count; }
  get namespaces(): number { return this.liveNs; }

  has(key: Buffer, at = 0): boolean { return this.slot(key, at) >= 0; }

  find(key: Buffer, at = 0): Location | undefined {
    const s = this.slot(key, at);
    return s < 0 ? undefined : { seg: this.segOf[s]!, offset: this.off[s]!, length: this.len[s]!, crc: this.sum[s]! };
  }

  /** Inserts or replaces; with `onlyIfNewer`, an existing entry with a larger stamp stays. */
  set(e: EntryFields, seg: number, onlyIfNewer: boolean): void {
    let s = this.slot(e.key, e.keyAt);
    if (s < 0) {
      if ((this.count + 1) * 2 > this.buckets.length) this.rehash(this.buckets.length * 2);
      s = this.free.pop() ?? this.next++;
      if (s >= this.cap) this.grow();
      for (let i = 0; i < 4; i++) this.keys[s * 4 + i] = e.key.readUInt32LE(e.keyAt + 4 * i);
      this.place(s);
      this.count++;
      const ns = this.nsIndex(e.ns, e.nsAt);
      this.nsOf[s] = ns;
      if (this.nsCount[ns]!++ === 0) this.liveNs++;
    } else if (onlyIfNewer && this.stampOf[s]! > e.stamp) return;
    this.segOf[s] = seg; this.off[s] = e.offset; this.len[s] = e.length; this.sum[s] = e.crc; this.stampOf[s] = e.stamp;
  }

  /** Removes the key if it still points at `where` (so a newer put is never dropped). */
  delete(key: Buffer, where?: Location): void {
    const s = this.slot(key, 0);
    if (s < 0 || (where && (this.segOf[s] !== where.seg || this.off[s] !== where.offset))) return;
    this.release(s);
    // backward-shift deletion keeps every probe run unbroken
    const mask = this.buckets.length - 1;
    let hole = this.bucketOf;
    this.buckets[hole] = -1;
    for (let j = (hole + 1) & mask; this.buckets[j]! >= 0; j = (j + 1) & mask) {
      const home = this.keys[this.buckets[j]! * 4]! & mask;
      if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
        this.buckets[hole] = this.buckets[j]!; this.buckets[j] = -1; hole = j;
      }
    }
  }

  dropSegments(segs: ReadonlySet<number>): void {
    if (segs.size === 0) return;
    for (let s = 0; s < this.next; s++) if (this.segOf[s]! >= 0 && segs.has(this.segOf[s]!)) this.release(s);
    this.rehash(this.buckets.length);
  }

  clear(): void {
    this.cap = this.next = this.count = this.liveNs = 0;
    this.free = []; this.nsCount = []; this.nsNumber.clear(); this.lastNs = { lo: -1, hi: -1, n: 0 };
    this.keys = new Uint32Array(0); this.segOf = new Int32Array(0); this.off = new Float64Array(0); this.len = new Uint32Array(0);
    this.sum = new Uint32Array(0); this.stampOf = new Float64Array(0); this.nsOf = new Uint32Array(0);
    this.buckets = new Int32Array(16).fill(-1);
  }

  /** Makes room for `n` entries in all without regrowing (open() knows the index sizes). */
  reserve(n: number): void {
    if (this.cap < n) this.grow(n);
    let size = this.buckets.length;
    while (size < 2 * n) size *= 2;
    if (size > this.buckets.length) this.rehash(size);
  }

  private bucketOf = 0; // set by slot(): where the key is, or where it would go
  private slot(key: Buffer, at: number): number {
    const k0 = key.readUInt32LE(at), k1 = key.readUInt32LE(at + 4), k2 = key.readUInt32LE(at + 8), k3 = key.readUInt32LE(at + 12);
    const mask = this.buckets.length - 1;
    for (let b = k0 & mask; ; b = (b + 1) & mask) {
      const s = this.buckets[b]!;
      if (s < 0 || (this.keys[s * 4] === k0 && this.keys[s * 4 + 1] === k1 && this.keys[s * 4 + 2] === k2 && this.keys[s * 4 + 3] === k3)) {
        this.bucketOf = b;
        return s;
      }
    }
  }

  private place(s: number): void {
    const mask = this.buckets.length - 1;
    let b = this.keys[s * 4]! & mask;
    while (this.buckets[b]! >= 0) b = (b + 1) & mask;
    this.buckets[b] = s;
  }

  private release(s: number): void {
    const ns = this.nsOf[s]!;
    if (--this.nsCount[ns]! === 0) this.liveNs--;
    this.segOf[s] = -1;
    this.free.push(s);
    this.count--;
  }

  private rehash(size: number): void {
    this.buckets = new Int32Array(size).fill(-1);
    for (let s = 0; s < this.next; s++) if (this.segOf[s]! >= 0) this.place(s);
  }

  private nsIndex(b: Buffer, at: number): number {
    const lo = b.readUInt32LE(at), hi = b.readUInt32LE(at + 4);
    if (lo === this.lastNs.lo && hi === this.lastNs.hi) return this.lastNs.n;
    const name = `${lo}:${hi}`;
    let n = this.nsNumber.get(name);
    if (n === undefined) { n = this.nsCount.length; this.nsNumber.set(name, n); this.nsCount.push(0); }
    this.lastNs = { lo, hi, n };
    return n;
  }

  private grow(atLeast = 0): void {
    this.cap = Math.max(1024, this.cap * 2, Math.ceil(atLeast));
    const g = <T extends Int32Array | Float64Array | Uint32Array>(a: T, make: new (n: number) => T, width = 1): T => { const b = new make(this.cap * width); b.set(a); return b; };
    this.keys = g(this.keys, Uint32Array, 4); this.segOf = g(this.segOf, Int32Array); this.off = g(this.off, Float64Array);
    this.len = g(this.len, Uint32Array); this.sum = g(this.sum, Uint32Array); this.stampOf = g(this.stampOf, Float64Array); this.nsOf = g(this.nsOf, Uint32Array);
  }
}
