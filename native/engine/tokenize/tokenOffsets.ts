/**
 * Character offsets of tokens, rebuilt in pure JS (the JS tokenizer returns token strings, not
 * offsets). Used to highlight each scored token of a completion (METRICS.md section 1.1,
 * convention A; ENGINE-NOTES.md section 4.4).
 *
 * Design note
 * - What: for each token, the UTF-16 code-unit span [start, end) of `text` that it came from.
 * - How: every token becomes the bytes it stands for ("surface bytes"): byte-level BPE symbols go
 *   through the inverse of GPT-2's `bytes_to_unicode`; Metaspace pieces map `▁` to a space and
 *   `<0xNN>` to byte NN; added/special tokens are their literal UTF-8. The surfaces are aligned
 *   left to right against the UTF-8 bytes of `text`, and byte positions become UTF-16 positions
 *   with a `floor` table for starts and a `ceil` table for ends, so a token that holds part of a
 *   multi-byte character covers the whole character (as Rust `tokenizers` does: both byte tokens
 *   of `é` get the span of `é`, all four byte tokens of an emoji get its two code units).
 * - Invariants: spans are non-decreasing and inside [0, text.length]; for byte-level tokenizers
 *   without a normalizer, consecutive spans tile the text (no gaps; neighbours overlap only
 *   inside one multi-byte character). Spans include a token's leading space (Rust's ByteLevel
 *   post-processor with `trim_offsets` would drop it; tiling is better for highlighting).
 * - Best effort (documented limits): a token whose surface does not match the text at the cursor
 *   (a prefix space added by the tokenizer, whitespace eaten by lstrip/rstrip or a whitespace
 *   pre-tokenizer) is matched after dropping its leading space or skipping whitespace in the
 *   text; if it still does not match (a normalizer changed the text: NFC, lowercasing, WordPiece
 *   accents), it gets the next `surface.length` bytes, so spans stay monotonic but may drift.
 * Example: "Hi 👋" in GPT-2 byte-level BPE -> tokens "Hi", "Ġ", "ðŁ", "ĳ", "ĭ" -> spans
 * [0,2) [2,3) [3,5) [3,5) [3,5).
 */

export type OffsetMode = 'byte-level' | 'metaspace' | 'plain';

/** A token to place: its string as the model sees it, and whether it is literal added-token text. */
export interface TokenPiece {
  token: string;
  literal: boolean;
}

let inverseByteMap: Map<string, number> | undefined;

/** Inverse of GPT-2's `bytes_to_unicode`: the printable stand-in character -> the byte it encodes. */
export function byteLevelInverse(): Map<string, number> {
  if (inverseByteMap) return inverseByteMap;
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  inverseByteMap = new Map(bs.map((b, i) => [String.fromCodePoint(cs[i]!), b]));
  return inverseByteMap;
}

const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];

/** The bytes a token stands for in the original text. */
export function surfaceBytes(piece: TokenPiece, mode: OffsetMode, subwordPrefix?: string): number[] {
  if (piece.literal) return utf8(piece.token);
  if (mode === 'byte-level') {
    const inverse = byteLevelInverse();
    const out: number[] = [];
    for (const ch of piece.token) {
      const b = inverse.get(ch);
      if (b === undefined) out.push(...utf8(ch));
      else out.push(b);
    }
    return out;
  }
  if (mode === 'metaspace') {
    const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece.token);
    if (byte) return [parseInt(byte[1]!, 16)];
    return utf8(piece.token.replaceAll('\u2581', ' '));
  }
  const token = subwordPrefix && piece.token.startsWith(subwordPrefix) ? piece.token.slice(subwordPrefix.length) : piece.token;
  return utf8(token);
}

/** Byte position -> UTF-16 position, rounding down (starts) and up (ends) inside a character. */
function byteToUtf16Tables(text: string): { floor: Int32Array; ceil: Int32Array; bytes: Buffer } {
  const bytes = Buffer.from(text, 'utf8');
  const floor = new Int32Array(bytes.length + 1);
  const ceil = new Int32Array(bytes.length + 1);
  let b = 0;
  let u = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    // lone surrogates are written as U+FFFD (3 bytes), like Buffer.from does
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) {
      floor[b + k] = u;
      ceil[b + k] = k === 0 ? u : u + ch.length;
    }
    b += n;
    u += ch.length;
  }
  floor[b] = u;
  ceil[b] = u;
  return { floor, ceil, bytes };
}

const isSpaceByte = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;

function matchesAt(bytes: Buffer, pos: number, surface: number[]): boolean {
  if (pos + surface.length > bytes.length) return false;
  for (let i = 0; i < surface.length; i++) if (bytes[pos + i] !== surface[i]) return false;
  return true;
}

/** Where a surface starts at or after `pos`: exact, without an added leading space, or after skipped whitespace. */
function place(bytes: Buffer, pos: number, surface: number[]): { start: number; length: number } | undefined {
  if (matchesAt(bytes, pos, surface)) return { start: pos, length: surface.length };
  const trimmed = surface[0] === 0x20 ? surface.slice(1) : undefined;
  if (trimmed && matchesAt(bytes, pos, trimmed)) return { start: pos, length: trimmed.length };
  for (let p = pos; p < bytes.length && isSpaceByte(bytes[p]!); ) {
    p++;
    if (matchesAt(bytes, p, surface)) return { start: p, length: surface.length };
    if (trimmed && matchesAt(bytes, p, trimmed)) return { start: p, length: trimmed.length };
  }
  return undefined;
}

/** UTF-16 [start, end) spans of `pieces` in `text`, in order (see the design note for the limits). */
export function alignOffsets(text: string, pieces: readonly TokenPiece[], mode: OffsetMode, subwordPrefix?: string): [number, number][] {
  const { floor, ceil, bytes } = byteToUtf16Tables(text);
  const spans: [number, number][] = [];
  let pos = 0;
  for (const piece of pieces) {
    const surface = surfaceBytes(piece, mode, subwordPrefix);
    const found = surface.length > 0 ? place(bytes, pos, surface) : { start: pos, length: 0 };
    const start = found ? found.start : pos;
    const end = Math.min(bytes.length, start + (found ? found.length : surface.length));
    spans.push([floor[start]!, ceil[end]!]);
    pos = end;
  }
  return spans;
}
