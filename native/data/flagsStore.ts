/**
 * Person-set flags on preference pairs, kept in a sidecar file beside the dataset.
 *
 * Design note
 * - What: a person marks a pair `ok` (reviewed, keep), `noisy` (label doubtful), `swap` (label
 *   reversed: export swaps chosen/rejected) or `drop` (exclude), with an optional note, author
 *   and time (ISO). Flags are keyed by the pair id (a lowercase hex content hash), not by row
 *   index, so they survive reordering and re-sharding.
 * - Why a sidecar: it is human-readable and meant to be committed next to the data, so it is
 *   pretty JSON with ids sorted (code-unit order) and one flag per line: changing one flag
 *   changes one line of the diff. `data/pairs.jsonl` → `data/pairs.jsonl.preflens-flags.json`;
 *   a folder of shards `DIR` → `DIR/.preflens-flags.json`. Example:
 *     {
 *       "preflens": "flags",
 *       "version": 1,
 *       "dataset": "pairs.jsonl",
 *       "flags": {
 *         "3f9a0c17": { "flag": "noisy", "note": "both wrong", "author": "ana", "time": "2025-01-02T03:04:05.000Z" }
 *       }
 *     }
 * - Invariants
 *   - Every mutation is a locked read-modify-write: create `<sidecar>.lock` with open('wx')
 *     (holding {pid, host, time, nonce}), re-read the sidecar, apply, write
 *     `<sidecar>.tmp-<pid>`, fsync, rename over the sidecar, fsync the folder, release. Readers
 *     never see a half-written file; concurrent writers never lose each other's changes.
 *   - A lock is stale when its pid is dead (same host), its mtime is older than staleLockMs, or
 *     it is still empty after 2 s (creator killed between open and write);
 *     one breaker at a time (under `<sidecar>.lock.break`) removes it after re-checking it is
 *     the very same lock, so a fresh lock is never removed. A live lock is waited for with
 *     backoff; once one holder has kept it lockTimeoutMs, FlagsError('lock-timeout') names it.
 *   - Nothing is silently discarded. load() never throws for bad content: it returns the valid
 *     flags and `problems`. Not UTF-8/JSON, or wrong shape: no flags, one problem. Bad id,
 *     non-object entry or unknown flag value: that entry is left out and reported. A mistyped
 *     or unknown field: the field is left out and reported, the flag kept. Before a mutation
 *     overwrites a file that had any problem, it is copied to `<sidecar>.corrupt-<timestamp>`
 *     and the returned problems carry `backup`. A newer format version is never overwritten:
 *     load() reports it, mutations throw FlagsError('unsupported-version').
 *   - A missing sidecar means no flags. Nothing is written unless a mutation changes something
 *     (so no file appears until the first real change); clearing the last flag leaves `{}`.
 */
import { randomBytes } from 'node:crypto';
import { constants, statSync } from 'node:fs';
import { copyFile, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

export const FLAG_VALUES = ['ok', 'noisy', 'swap', 'drop'] as const;
export type FlagValue = (typeof FLAG_VALUES)[number];
export interface PairFlag { flag: FlagValue; note?: string; author?: string; time?: string }
export interface FlagInput { flag: FlagValue; note?: string; author?: string }
/** One change of a batch: a flag to set, or `flag: null` to clear that pair. */
export type FlagChange = { id: string } & (FlagInput | { flag: null });
export type FlagsProblemKind = 'not-json' | 'wrong-shape' | 'unsupported-version' | 'bad-id' | 'bad-entry' | 'unknown-flag' | 'bad-field';
export interface FlagsProblem { file: string; kind: FlagsProblemKind; id?: string; message: string; backup?: string }
export interface FlagsSnapshot { flags: Map<string, PairFlag>; problems: FlagsProblem[] }
export type FlagsErrorCode = 'invalid-input' | 'lock-timeout' | 'lock-lost' | 'unsupported-version';
export class FlagsError extends Error {
  constructor(readonly code: FlagsErrorCode, message: string) { super(message); this.name = 'FlagsError'; }
}
export interface LockOptions { timeoutMs?: number; staleMs?: number; onBreak?: (holderPid: number) => Promise<void> }
export interface FlagsStoreOptions { kind?: 'file' | 'folder'; lockTimeoutMs?: number; staleLockMs?: number; now?: () => Date }

export const MAX_NOTE_LENGTH = 4000;
export const MAX_AUTHOR_LENGTH = 200;
const ID_RE = /^[0-9a-f]{4,128}$/;
const VERSION = 1;
const FIELDS = ['flag', 'note', 'author', 'time'] as const;
const BREAK_STALE_MS = 5000; // a break takes milliseconds: an older break file was left behind
const UNWRITTEN_LOCK_MS = 2000;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const errCode = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFlagValue = (v: unknown): v is FlagValue => (FLAG_VALUES as readonly unknown[]).includes(v);
const ignoreMissing = (e: unknown) => { if (errCode(e) !== 'ENOENT') throw e; };

/** The sidecar of a dataset file or folder; `kind` defaults to what is on disk (or a trailing slash). */
export function sidecarPath(datasetPath: string, kind?: 'file' | 'folder'): string {
  const folder = kind ? kind === 'folder' : /[\\/]$/.test(datasetPath) || statSync(datasetPath, { throwIfNoEntry: false })?.isDirectory() === true;
  return folder ? join(datasetPath, '.preflens-flags.json') : `${datasetPath}.preflens-flags.json`;
}

function checkChange(c: FlagChange): void {
  const bad = (what: string) => { throw new FlagsError('invalid-input', what); };
  if (typeof c.id !== 'string' || !ID_RE.test(c.id)) bad(`invalid pair id ${JSON.stringify(c.id)}: expected 4-128 lowercase hex digits`);
  if (c.flag === null) return;
  if (!isFlagValue(c.flag)) bad(`invalid flag ${JSON.stringify(c.flag)} for ${c.id}: expected one of ${FLAG_VALUES.join(', ')}`);
  for (const [key, max] of [['note', MAX_NOTE_LENGTH], ['author', MAX_AUTHOR_LENGTH]] as const) {
    const v: unknown = c[key];
    if (v !== undefined && (typeof v !== 'string' || v.length > max)) bad(`${key} of ${c.id} must be a string of at most ${max} characters`);
  }
}

/** Parses sidecar text; never throws (see the design note for what is kept and what reported). */
export function parseSidecar(file: string, bytes: Buffer | string): FlagsSnapshot {
  const flags = new Map<string, PairFlag>();
  const problems: FlagsProblem[] = [];
  const fail = (kind: FlagsProblemKind, message: string) => ({ flags, problems: [{ file, kind, message: `${file}: ${message}` }] });
  let doc: unknown;
  try {
    // Fatal decoding: replacing bad bytes with U+FFFD would quietly alter the file on rewrite.
    doc = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    return fail('not-json', `not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(doc) || doc.preflens !== 'flags' || !isObject(doc.flags)) return fail('wrong-shape', 'expected an object with "preflens": "flags" and a "flags" object');
  if (doc.version !== VERSION) {
    return typeof doc.version === 'number' && doc.version > VERSION
      ? fail('unsupported-version', `format version ${doc.version} is newer than this PrefLens reads (${VERSION})`)
      : fail('wrong-shape', `unknown format version ${JSON.stringify(doc.version)}`);
  }
  for (const key of Object.keys(doc)) {
    if (!['preflens', 'version', 'dataset', 'flags'].includes(key)) problems.push({ file, kind: 'bad-field', message: `${file}: unknown top-level key "${key}" left out` });
  }
  for (const [id, entry] of Object.entries(doc.flags)) {
    const report = (kind: FlagsProblemKind, message: string) => problems.push({ file, kind, id, message: `${file}: flag "${id}": ${message}` });
    if (!ID_RE.test(id)) { report('bad-id', 'id is not 4-128 lowercase hex digits; entry left out'); continue; }
    if (!isObject(entry)) { report('bad-entry', 'entry is not an object; left out'); continue; }
    if (!isFlagValue(entry.flag)) { report('unknown-flag', `unknown flag ${JSON.stringify(entry.flag)} (expected ${FLAG_VALUES.join(', ')}); entry left out`); continue; }
    const flag: PairFlag = { flag: entry.flag };
    for (const [key, value] of Object.entries(entry)) {
      if (key === 'note' || key === 'author' || key === 'time') {
        if (typeof value === 'string') flag[key] = value;
        else report('bad-field', `field "${key}" is not a string; left out`);
      } else if (key !== 'flag') report('bad-field', `unknown field "${key}" left out`);
    }
    flags.set(id, flag);
  }
  return { flags, problems };
}

/** The sidecar text: fixed key order, ids sorted, one flag per line, final newline. */
export function serializeSidecar(dataset: string, flags: ReadonlyMap<string, PairFlag>): string {
  const ids = [...flags.keys()].sort(); // default sort: code-unit order, the same in every locale
  const lines = ids.map((id) => {
    const f = flags.get(id)!;
    const fields = FIELDS.filter((k) => f[k] !== undefined).map((k) => `${JSON.stringify(k)}: ${JSON.stringify(f[k])}`);
    return `    ${JSON.stringify(id)}: { ${fields.join(', ')} }`;
  });
  const body = ids.length ? `{\n${lines.join(',\n')}\n  }` : '{}';
  return `{\n  "preflens": "flags",\n  "version": ${VERSION},\n  "dataset": ${JSON.stringify(dataset)},\n  "flags": ${body}\n}\n`;
}

/** The flags sidecar of one dataset: load, and locked mutations that resolve to the new state. */
export class FlagsStore {
  /** The sidecar path. */
  readonly path: string;
  private readonly dataset: string;
  private readonly lock: LockOptions;
  private readonly now: () => Date;

  constructor(datasetPath: string, options: FlagsStoreOptions = {}) {
    this.path = sidecarPath(datasetPath, options.kind);
    this.dataset = basename(datasetPath);
    this.now = options.now ?? (() => new Date());
    // A killed writer leaves its temp file; whoever breaks its lock removes it.
    const onBreak = (pid: number) => unlink(`${this.path}.tmp-${pid}`).catch(() => undefined);
    this.lock = { timeoutMs: options.lockTimeoutMs ?? 10_000, staleMs: options.staleLockMs ?? 30_000, onBreak };
  }

  /** All valid flags plus every problem found; a missing sidecar is `{ flags: empty, problems: [] }`. */
  async load(): Promise<FlagsSnapshot> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return { flags: new Map(), problems: [] };
      throw e; // Node's message names the path
    }
    return parseSidecar(this.path, bytes);
  }

  /**
   * Sets (or replaces) one pair's flag, `time` filled with now. Mutations resolve to the state written,
   * with the problems the file had before (each with `backup` when it was overwritten).
   */
  set(id: string, input: FlagInput): Promise<FlagsSnapshot> { return this.setMany([{ ...input, id }]); }
  clear(id: string): Promise<FlagsSnapshot> { return this.setMany([{ id, flag: null }]); }
  clearAll(): Promise<FlagsSnapshot> {
    return this.mutate((flags) => { const had = flags.size > 0; flags.clear(); return had; });
  }

  /** Applies a batch in one locked write; the whole batch is validated first (all or nothing, rejects). */
  async setMany(changes: readonly FlagChange[]): Promise<FlagsSnapshot> {
    changes.forEach(checkChange);
    return this.mutate((flags) => {
      let changed = false;
      const time = this.now().toISOString();
      for (const c of changes) {
        if (c.flag === null) { changed = flags.delete(c.id) || changed; continue; }
        const entry: PairFlag = { flag: c.flag };
        if (c.note) entry.note = c.note; // empty strings are "no note"
        if (c.author) entry.author = c.author;
        entry.time = time;
        flags.set(c.id, entry);
        changed = true;
      }
      return changed;
    });
  }

  private mutate(apply: (flags: Map<string, PairFlag>) => boolean): Promise<FlagsSnapshot> {
    return withFileLock(`${this.path}.lock`, async (assertHeld) => {
      const current = await this.load(); // re-read under the lock: another process may have written
      const newer = current.problems.find((p) => p.kind === 'unsupported-version');
      if (newer) throw new FlagsError('unsupported-version', `${newer.message}; not overwriting it`);
      if (!apply(current.flags)) return current;
      if (current.problems.length) {
        const backup = await this.backup();
        for (const p of current.problems) p.backup = backup;
      }
      const tmp = `${this.path}.tmp-${process.pid}`;
      try {
        const fh = await open(tmp, 'w');
        try { await fh.writeFile(serializeSidecar(this.dataset, current.flags)); await fh.sync(); } finally { await fh.close(); }
        await assertHeld();
        await renameWithRetry(tmp, this.path);
      } catch (e) {
        await unlink(tmp).catch(() => undefined);
        throw e;
      }
      await syncFolder(dirname(this.path));
      return current;
    }, this.lock);
  }

  private async backup(): Promise<string> {
    const stamp = this.now().toISOString().replace(/[:.]/g, '-');
    for (let n = 0; ; n++) {
      const target = `${this.path}.corrupt-${stamp}${n ? `-${n}` : ''}`;
      try {
        await copyFile(this.path, target, constants.COPYFILE_EXCL);
        const fh = await open(target, 'r+');
        try { await fh.sync(); } finally { await fh.close(); } // durable before the original is replaced
        return target;
      } catch (e) {
        if (errCode(e) !== 'EEXIST' || n >= 100) throw e;
      }
    }
  }
}

// Windows refuses to replace a file another process has open for a moment; POSIX never does.
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let i = 0; ; i++) {
    try { return await rename(from, to); } catch (e) {
      if (i >= 5 || !['EPERM', 'EACCES', 'EBUSY'].includes(errCode(e) ?? '')) throw e;
      await sleep(20 * (i + 1));
    }
  }
}

// Makes the rename itself durable. Best effort: Windows and some file systems cannot fsync a folder.
async function syncFolder(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  try { await fh?.sync(); } catch { /* not supported here */ } finally { await fh?.close(); }
}

interface LockInfo { raw: string; ino: number; mtimeMs: number; pid?: number; host?: string; nonce?: string }

async function readLock(lockPath: string): Promise<LockInfo | undefined> {
  const fh = await open(lockPath, 'r').catch(ignoreMissing);
  if (!fh) return undefined;
  try {
    const st = await fh.stat();
    const raw = await fh.readFile('utf8');
    const info: LockInfo = { raw, ino: st.ino, mtimeMs: st.mtimeMs };
    try {
      const v: unknown = JSON.parse(raw);
      // pid 0 / negative would signal process groups in kill(): only a positive integer counts.
      if (isObject(v) && Number.isInteger(v.pid) && (v.pid as number) > 0) Object.assign(info, { pid: v.pid, host: v.host, nonce: v.nonce });
    } catch { /* still being written, or garbage: judged by age alone */ }
    return info;
  } finally { await fh.close(); }
}

function isStale(info: LockInfo, staleMs: number): boolean {
  const age = Date.now() - info.mtimeMs;
  if (age > staleMs) return true; // also covers pid reuse and other hosts
  // No valid content: its creator was killed between open('wx') and writing, which a busy writer
  // hits now and then; a live creator fills it within milliseconds (and re-checks it, below).
  if (info.pid === undefined) return age > UNWRITTEN_LOCK_MS;
  if (info.host !== hostname()) return false;
  try { process.kill(info.pid, 0); return false; } catch (e) { return errCode(e) === 'ESRCH'; } // EPERM: alive
}

// Removes a stale lock; false when another process is breaking it right now.
async function breakLock(lockPath: string, seen: LockInfo, options: LockOptions & { staleMs: number }): Promise<boolean> {
  const breakPath = `${lockPath}.break`;
  if (!(await createExclusive(breakPath))) {
    // Someone is breaking it (for milliseconds), or a breaker was killed: then its break file goes.
    const other = await readLock(breakPath);
    if (other && isStale(other, BREAK_STALE_MS)) await unlink(breakPath).catch(() => undefined);
    return false;
  }
  try {
    const now = await readLock(lockPath);
    // Only the very lock judged stale: a lock released and retaken meanwhile is a new file with a new nonce.
    if (now && now.ino === seen.ino && now.raw === seen.raw && now.mtimeMs === seen.mtimeMs && isStale(now, options.staleMs)) {
      await unlink(lockPath).catch(ignoreMissing);
      if (now.pid !== undefined && now.host === hostname()) await options.onBreak?.(now.pid);
    }
    return true;
  } finally { await unlink(breakPath).catch(() => undefined); }
}

// Creates `path` only if absent (open 'wx'), holding {pid, host, time, nonce}; false if taken.
async function createExclusive(path: string, nonce = randomBytes(8).toString('hex')): Promise<boolean> {
  let fh;
  try { fh = await open(path, 'wx'); } catch (e) { if (errCode(e) === 'EEXIST') return false; throw e; }
  try {
    await fh.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), time: new Date().toISOString(), nonce }));
  } catch (e) {
    await unlink(path).catch(() => undefined);
    throw e;
  } finally { await fh.close(); }
  // Had we stalled for UNWRITTEN_LOCK_MS before writing, it may have been broken and retaken.
  return (await readLock(path))?.nonce === nonce;
}

/**
 * Runs `fn` holding the exclusive lock file `lockPath` (see the design note). `assertHeld`
 * throws FlagsError('lock-lost') if the lock was broken meanwhile: call it before committing.
 */
export async function withFileLock<T>(lockPath: string, fn: (assertHeld: () => Promise<void>) => Promise<T>, options: LockOptions = {}): Promise<T> {
  const opts = { ...options, timeoutMs: options.timeoutMs ?? 10_000, staleMs: options.staleMs ?? 30_000 };
  const nonce = randomBytes(8).toString('hex');
  // The wait times out only while one holder keeps the lock: a lock that changes hands means
  // writers are progressing, and a busy period must not fail a writer that merely lost races.
  let seen = '';
  let since = Date.now();
  for (let delay = 2; !(await createExclusive(lockPath, nonce)); delay = Math.min(delay * 2, 8)) {
    const info = await readLock(lockPath);
    if (!info || (isStale(info, opts.staleMs) && (await breakLock(lockPath, info, opts)))) continue;
    const key = `${info.ino}:${info.raw}`;
    if (key !== seen) { seen = key; since = Date.now(); }
    if (Date.now() - since >= opts.timeoutMs) {
      const holder = info.pid === undefined ? 'an unknown process' : `pid ${info.pid} on ${info.host ?? 'an unknown host'}`;
      throw new FlagsError('lock-timeout', `timed out after ${opts.timeoutMs} ms waiting for the lock ${lockPath}, held by ${holder}; if no PrefLens is writing flags, delete that file`);
    }
    // Jitter keeps waiters out of lockstep; the low cap keeps long waiters from losing every race
    // to newcomers that retry sooner (a write holds the lock for milliseconds).
    await sleep(delay * (1 + Math.random()));
  }
  const ours = async () => (await readLock(lockPath))?.nonce === nonce;
  const assertHeld = async () => {
    if (!(await ours())) throw new FlagsError('lock-lost', `lost the lock ${lockPath} (broken as stale); nothing was written`);
  };
  try {
    return await fn(assertHeld);
  } finally {
    if (await ours()) await unlink(lockPath).catch(ignoreMissing);
  }
}
