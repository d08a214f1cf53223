/**
 * Single-pass text scanning for factors.ts: the machinery that lets responseFactors read each
 * response once instead of running a dozen regexes, splits and Sets over it.
 *
 * Design note
 * - Why: factor scores for 100k pairs used to take ~8 s, mostly in per-word string allocation
 *   (words(), Sets of words, `a\0b\0c` trigram keys), repeated regex scans and the GC they caused.
 * - Words are interned: each distinct lowercased word gets a small integer id in a module-level
 *   Vocabulary (an open-addressing hash table that compares candidate words against the scanned
 *   text in place, so a word already seen allocates nothing). Per-word facts that depend only on
 *   the word (syllables, whether a phrase starts with it) are computed once per id.
 * - Sets become integer marks: IdMarks stamps ids with a generation number, so "clear the set"
 *   is one increment, and TrigramSet hashes three ids into a typed open-addressing table.
 * - Exactness is the invariant: every function here reproduces, bit for bit, the regex it replaces
 *   (see each comment); test/unit/metrics/factorsScan.test.ts checks that against the old
 *   regex implementation on adversarial random text. Character classes are not hand-written:
 *   the BMP table is filled once, lazily, by asking the engine's own /[\p{L}\p{N}]/u and /\s/.
 * - Memory: the vocabulary is dropped and rebuilt when it passes MAX_VOCABULARY (262,144) words, so
 *   a long session over many datasets cannot grow it without bound: about 28 bytes of typed
 *   arrays per id across its users, plus the word strings, ~15 MB at the cap. Ids are only compared
 *   within one responseFactors call, so a reset costs re-interning, never a wrong value; `epoch`
 *   tells holders of per-id caches that they went stale.
 */

// ---------------------------------------------------------------- character classes

const WORD = 1; // [\p{L}\p{N}]
const SPACE = 2; // JS \s (WhiteSpace and LineTerminator)

let bmpClasses: Uint8Array | undefined;
const astralWord = new Map<number, boolean>();
const WORD_RE = /[\p{L}\p{N}]/u;

/** Class bits of every BMP code unit, from the engine's own regexes (~20-30 ms, once, on first use). */
export function classes(): Uint8Array {
  if (bmpClasses) return bmpClasses;
  const t = new Uint8Array(0x10000);
  const space = /\s/;
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue; // surrogates: classified as pairs (lone ones are neither)
    const ch = String.fromCharCode(c);
    t[c] = (WORD_RE.test(ch) ? WORD : 0) | (space.test(ch) ? SPACE : 0);
  }
  bmpClasses = t;
  return t;
}

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

function isAstralWord(cp: number): boolean {
  let v = astralWord.get(cp);
  if (v === undefined) {
    v = WORD_RE.test(String.fromCodePoint(cp));
    if (astralWord.size < 4096) astralWord.set(cp, v);
  }
  return v;
}

/**
 * Code units of the [\p{L}\p{N}] code point at s[i] (1, or 2 for a surrogate pair), 0 when it is
 * not one. A lone surrogate is not a letter, as for a `u` regex.
 */
export function wordUnits(s: string, i: number, cls: Uint8Array): number {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) return cls[c]! & WORD;
  if (isHigh(c) && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (isLow(d)) return isAstralWord(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000) ? 2 : 0;
  }
  return 0;
}

/** JS /\s/ on the code unit at s[i] (no whitespace lies outside the BMP). */
export const isSpace = (s: string, i: number, cls: Uint8Array): boolean => (cls[s.charCodeAt(i)]! & SPACE) !== 0;

// ---------------------------------------------------------------- vocabulary

const MAX_VOCABULARY = 1 << 18;
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** Interned lowercased words with per-id facts; ids are dense from 0. */
export class Vocabulary {
  words: string[] = [];
  /** Bumped on every reset: ids (and anything keyed by them) from an older epoch are stale. */
  epoch = 0;
  private hashes = new Int32Array(1024);
  private slots = new Int32Array(2048); // id + 1, 0 = empty; power-of-two size, load ≤ ½
  private readonly onGrow: ((capacity: number) => void)[] = [];

  /** maxSize: words kept before maybeReset drops them all (small only in tests). */
  constructor(private readonly maxSize = MAX_VOCABULARY) {}

  get size(): number {
    return this.words.length;
  }

  /** Per-id arrays elsewhere (syllables, marks) register here to grow with the vocabulary. */
  capacity(listener: (capacity: number) => void): number {
    this.onGrow.push(listener);
    return this.hashes.length;
  }

  /** Drop every word when the vocabulary is too big; call between texts, never within one. */
  maybeReset(): void {
    if (this.words.length < this.maxSize) return;
    this.words = [];
    this.slots.fill(0);
    this.epoch++;
  }

  /** Id of a (lowercased) word, interning it when new. */
  idOf(word: string): number {
    let h = FNV_OFFSET;
    for (let k = 0; k < word.length; k++) h = Math.imul(h ^ word.charCodeAt(k), FNV_PRIME);
    return this.intern(word, 0, word.length, h);
  }

  /** Id of s[start, end), FNV-1a hash h of its code units; interns it when new. */
  intern(s: string, start: number, end: number, h: number): number {
    const mask = this.slots.length - 1;
    const len = end - start;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = this.slots[slot]!;
      if (e === 0) break;
      const id = e - 1;
      if (this.hashes[id] !== h) continue;
      const w = this.words[id]!;
      if (w.length !== len) continue;
      let k = 0;
      while (k < len && w.charCodeAt(k) === s.charCodeAt(start + k)) k++;
      if (k === len) return id;
    }
    return this.add(s.slice(start, end), h);
  }

  private add(word: string, h: number): number {
    const id = this.words.length;
    this.words.push(word);
    if (id >= this.hashes.length) {
      const hashes = new Int32Array(this.hashes.length * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
      for (const grow of this.onGrow) grow(hashes.length);
    }
    this.hashes[id] = h;
    if (2 * (id + 1) > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hashes[id]! & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = id + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let id = 0; id < this.words.length; id++) this.place(id);
  }
}

/** Growable scratch buffer of word ids and start offsets for one scanned text. */
export class WordBuffer {
  ids = new Int32Array(256);
  starts = new Int32Array(256);
  n = 0;
  /** Matches of /\d+(?:[.,]\d+)*\/g in the scanned text, counted on the way (see scanWords). */
  numbers = 0;

  push(id: number, start: number): void {
    if (this.n === this.ids.length) {
      const ids = new Int32Array(this.n * 2);
      ids.set(this.ids);
      this.ids = ids;
      const starts = new Int32Array(this.n * 2);
      starts.set(this.starts);
      this.starts = starts;
    }
    this.ids[this.n] = id;
    this.starts[this.n++] = start;
  }
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * The words of an already-lowercased text into `out`: exactly `lower.match(/[\p{L}\p{N}]+/gu)`
 * (textCompare's words() after its toLowerCase), as interned ids with their start offsets.
 *
 * It also counts /\d+(?:[.,]\d+)*\/g matches (numeric density), since ASCII digits only occur
 * inside words: every maximal digit run belongs to exactly one match, and a run joins the previous
 * match exactly when a single '.' or ',' separates it from a digit, so matches = digit runs − such
 * "digit [.,] digit" joins; a join always sits between the end of one word and the start of the
 * next. Lowercasing never creates, removes or reorders digits, '.' or ',', so counting on the
 * lowercased text gives the count on the original.
 */
export function scanWords(lower: string, vocab: Vocabulary, out: WordBuffer): void {
  const cls = classes();
  const len = lower.length;
  out.n = 0;
  let numbers = 0;
  let i = 0;
  while (i < len) {
    let c = lower.charCodeAt(i);
    // ASCII fast path first: most text is ASCII, and the table lookup is all it needs.
    let units = c < 128 ? cls[c]! & WORD : wordUnits(lower, i, cls);
    if (units === 0) {
      i++;
      continue;
    }
    const start = i;
    let h = FNV_OFFSET;
    let digit = false;
    for (;;) {
      if (units === 1) {
        h = Math.imul(h ^ c, FNV_PRIME);
        const d = isDigit(c);
        if (d && !digit) numbers++;
        digit = d;
      } else {
        h = Math.imul(Math.imul(h ^ c, FNV_PRIME) ^ lower.charCodeAt(i + 1), FNV_PRIME);
        digit = false;
      }
      i += units;
      if (i >= len) break;
      c = lower.charCodeAt(i);
      units = c < 128 ? cls[c]! & WORD : wordUnits(lower, i, cls);
      if (units === 0) break;
    }
    // Word ended at i on a non-word character: "3.14" / "1,000" join two digit runs into one number.
    if (digit && (c === 46 || c === 44) && i + 1 < len && isDigit(lower.charCodeAt(i + 1))) numbers--;
    out.push(vocab.intern(lower, start, i, h), start);
  }
  out.numbers = numbers;
}

// ---------------------------------------------------------------- integer sets

/** A set of vocabulary ids that is cleared in O(1): an id is in it when marked with this generation. */
export class IdMarks {
  private marks: Int32Array;
  private generation = 0;

  constructor(vocab: Vocabulary) {
    this.marks = new Int32Array(vocab.capacity((capacity) => this.grow(capacity)));
  }

  private grow(capacity: number): void {
    const marks = new Int32Array(capacity);
    marks.set(this.marks);
    this.marks = marks;
  }

  /** Empty the set. */
  clear(): void {
    if (++this.generation === 0x7fffffff) {
      this.marks.fill(0);
      this.generation = 1;
    }
  }

  /** Adds id; true when it was not there yet. */
  add(id: number): boolean {
    if (this.marks[id] === this.generation) return false;
    this.marks[id] = this.generation;
    return true;
  }

  has(id: number): boolean {
    return this.marks[id] === this.generation;
  }
}

/**
 * Counts word trigrams that repeat an earlier one, without building `a\0b\0c` strings:
 * the same count as factors.ts's repeatedTrigramFraction on the word strings, since ids are
 * one-to-one with words.
 */
export class TrigramSet {
  private stamp = new Int32Array(1024);
  private a = new Int32Array(1024);
  private b = new Int32Array(1024);
  private c = new Int32Array(1024);
  private generation = 0;

  repeats(ids: Int32Array, n: number): number {
    if (n < 3) return 0;
    let size = this.stamp.length;
    while (size < 2 * (n - 2)) size *= 2; // load factor ≤ ½ keeps probes short
    if (size !== this.stamp.length) {
      this.stamp = new Int32Array(size);
      this.a = new Int32Array(size);
      this.b = new Int32Array(size);
      this.c = new Int32Array(size);
      this.generation = 0;
    }
    if (++this.generation === 0x7fffffff) {
      this.stamp.fill(0);
      this.generation = 1;
    }
    const g = this.generation;
    const mask = size - 1;
    let repeats = 0;
    for (let i = 0; i + 2 < n; i++) {
      const x = ids[i]!;
      const y = ids[i + 1]!;
      const z = ids[i + 2]!;
      let slot = (Math.imul(x, 0x9e3779b1) ^ Math.imul(y, 0x85ebca77) ^ Math.imul(z, 0xc2b2ae3d)) >>> 0;
      slot = (slot ^ (slot >>> 15)) & mask;
      for (;;) {
        if (this.stamp[slot] !== g) {
          this.stamp[slot] = g;
          this.a[slot] = x;
          this.b[slot] = y;
          this.c[slot] = z;
          break;
        }
        if (this.a[slot] === x && this.b[slot] === y && this.c[slot] === z) {
          repeats++;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    return repeats;
  }
}
