/**
 * Decoding and parsing one JSON record from raw bytes, with located errors.
 *
 * Design note: bytes are decoded with a fatal UTF-8 decoder so invalid sequences are reported
 * (with the column of the first bad byte) instead of silently becoming U+FFFD; a trailing `\r`
 * (CRLF files) and a leading BOM are stripped. JSON syntax errors carry V8's position, turned
 * into a 1-based column. A record must be a JSON object.
 */
import type { DataIssue } from './types';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export interface Location {
  file: string;
  index: number;
  line?: number;
}

export type ParsedRecord = { ok: true; value: Record<string, unknown> } | { ok: false; issue: DataIssue };

/** Byte offset of the first invalid UTF-8 sequence in `bytes`, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) { i++; continue; }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000; }
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

function issue(loc: Location, reason: DataIssue['reason'], message: string, column?: number): DataIssue {
  return { reason, severity: 'error', file: loc.file, index: loc.index, line: loc.line, column, message };
}

/** Decodes a record's bytes to text, or explains where the UTF-8 is invalid. */
export function decodeRecord(bytes: Uint8Array, loc: Location): { ok: true; text: string } | { ok: false; issue: DataIssue } {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  const body = bytes.subarray(0, end);
  try {
    let text = decoder.decode(body);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { ok: true, text };
  } catch {
    const bad = firstInvalidUtf8(body);
    const column = bad <= 0 ? 1 : decoder.decode(body.subarray(0, bad)).length + 1;
    const hex = bad >= 0 ? ` (byte 0x${body[bad]!.toString(16).padStart(2, '0')})` : '';
    return { ok: false, issue: issue(loc, 'invalid-utf8', `invalid UTF-8${hex} at column ${column}: the file must be UTF-8 encoded`, column) };
  }
}

/** Column (1-based) of a JSON.parse error, from V8's "at position N" text. */
function errorColumn(error: unknown, text: string): number | undefined {
  const message = error instanceof Error ? error.message : '';
  const match = /position (\d+)/.exec(message);
  if (match) return Number(match[1]) + 1;
  if (/Unexpected end of JSON input/.test(message)) return text.length + 1;
  return undefined;
}

function describeJsonError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // V8 appends the input excerpt and position; keep the reason only, the location is separate.
  return message.replace(/\s*\(line \d+ column \d+\)$/, '').replace(/ in JSON at position \d+.*$/, '').replace(/^(.{0,160}).*$/s, '$1');
}

export function parseRecordText(text: string, loc: Location): ParsedRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const column = errorColumn(error, text);
    return { ok: false, issue: issue(loc, 'malformed-json', `malformed JSON${column ? ` at column ${column}` : ''}: ${describeJsonError(error)}`, column) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { ok: false, issue: issue(loc, 'not-an-object', `expected a JSON object with the pair's fields, found ${kind}`) };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

export function parseRecordBytes(bytes: Uint8Array, loc: Location): ParsedRecord {
  const decoded = decodeRecord(bytes, loc);
  return decoded.ok ? parseRecordText(decoded.text, loc) : decoded;
}
