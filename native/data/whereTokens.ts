/**
 * Tokenizer for the `--where` filter language, and the error type the whole language throws.
 * The design note (grammar, semantics, limits) lives in whereExpression.ts.
 */

export const MAX_WHERE_LENGTH = 2000;

/** A compile-time error in a `--where` expression; `position` is the 0-based offset of the fault. */
export class WhereSyntaxError extends Error {
  override readonly name = 'WhereSyntaxError';
  /** The message without the quoted expression, for one-line displays (status bars, diagnostics). */
  readonly reason: string;
  readonly position: number;
  readonly source: string;

  constructor(reason: string, position: number, source: string) {
    super(`${reason} at column ${position + 1}\n${pointAt(source, position)}`);
    this.reason = reason;
    this.position = position;
    this.source = source;
  }
}

/** The expression (a window of it, when long) on one line, and a caret under `position`. */
function pointAt(source: string, position: number): string {
  const width = 80;
  const start = Math.max(0, Math.min(position - width / 2, source.length - width));
  const end = Math.min(source.length, start + width);
  let shown = '';
  for (let i = start; i < end; i++) shown += source.charCodeAt(i) < 32 ? ' ' : source[i];
  const before = start > 0 ? '…' : '';
  const after = end < source.length ? '…' : '';
  return `  ${before}${shown}${after}\n  ${' '.repeat(before.length + position - start)}^`;
}

export type Token =
  | { kind: 'number'; pos: number; text: string; value: number }
  | { kind: 'string'; pos: number; text: string; value: string }
  /** `path` holds the dot-separated segments; `bare` is false when any segment was backtick-quoted. */
  | { kind: 'name'; pos: number; text: string; path: string[]; bare: boolean }
  | { kind: 'op' | 'keyword' | 'end'; pos: number; text: string };

export const KEYWORDS: ReadonlySet<string> = new Set(['true', 'false', 'null', 'and', 'or', 'not', 'in']);
// Longest first. `===` and `!==` are accepted as spellings of `==` and `!=` (which are strict already).
const OPERATORS = ['===', '!==', '==', '!=', '<=', '>=', '&&', '||', '<', '>', '+', '-', '*', '/', '%', '!', '(', ')', '[', ']', ','];
const NUMBER = /(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const NAME_START = /[\p{L}_]/u;
const NAME_PART = /[\p{L}\p{N}_]/u;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0', '\\': '\\', "'": "'", '"': '"', '`': '`', '/': '/' };

export function tokenize(src: string): Token[] {
  const fail = (reason: string, pos: number): never => {
    throw new WhereSyntaxError(reason, pos, src);
  };
  const isPart = (c: string | undefined): boolean => c !== undefined && NAME_PART.test(c);

  /** Reads a quoted string or backtick name starting at `start`; escapes as in JavaScript. */
  const readQuoted = (start: number): { value: string; end: number } => {
    const quote = src[start]!;
    const what = quote === '`' ? 'quoted name' : 'string';
    let value = '';
    let i = start + 1;
    for (;;) {
      const c = src[i];
      if (c === undefined) return fail(`unterminated ${what} (missing closing ${quote})`, start);
      if (c === quote) return { value, end: i + 1 };
      if (c !== '\\') {
        value += c;
        i++;
        continue;
      }
      const e = src[i + 1];
      if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        value += ESCAPES[e];
        i += 2;
        continue;
      }
      const hex = e === 'u' ? /^u(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4}))/.exec(src.slice(i + 1, i + 10)) : null;
      const code = hex ? parseInt(hex[1] ?? hex[2]!, 16) : NaN;
      if (!hex || code > 0x10ffff) return fail(`unknown escape '\\${e ?? ''}' in ${what}`, i);
      value += String.fromCodePoint(code);
      i += 1 + hex[0].length;
    }
  };

  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const pos = i;
    NUMBER.lastIndex = i;
    const num = /[\d.]/.test(c) ? NUMBER.exec(src) : null;
    if (num) {
      i += num[0].length;
      if (isPart(src[i]) || src[i] === '.') fail(`malformed number '${src.slice(pos, i + 1)}'`, pos);
      const value = Number(num[0]);
      if (!Number.isFinite(value)) fail(`number '${num[0]}' is out of range`, pos);
      tokens.push({ kind: 'number', pos, text: num[0], value });
    } else if (c === '"' || c === "'") {
      const { value, end } = readQuoted(i);
      tokens.push({ kind: 'string', pos, text: src.slice(pos, end), value });
      i = end;
    } else if (c === '`' || NAME_START.test(c)) {
      const path: string[] = [];
      let bare = true;
      for (;;) {
        if (src[i] === '`') {
          const { value, end } = readQuoted(i);
          if (value === '') fail('empty quoted name', i);
          path.push(value);
          bare = false;
          i = end;
        } else {
          const segStart = i;
          while (isPart(src[i])) i++;
          path.push(src.slice(segStart, i));
        }
        if (src[i] !== '.' || !(isPart(src[i + 1]) || src[i + 1] === '`')) break;
        i++;
      }
      const text = src.slice(pos, i);
      const keyword = bare && path.length === 1 && KEYWORDS.has(text);
      tokens.push(keyword ? { kind: 'keyword', pos, text } : { kind: 'name', pos, text, path, bare });
    } else {
      const op = OPERATORS.find((o) => src.startsWith(o, i));
      if (op === undefined) {
        const hint = c === '=' ? " (use '==' to compare)" : c === '&' ? " (use '&&')" : c === '|' ? " (use '||')" : '';
        fail(`unexpected character '${c}'${hint}`, pos);
      } else {
        tokens.push({ kind: 'op', pos, text: op === '===' ? '==' : op === '!==' ? '!=' : op });
        i += op.length;
      }
    }
  }
  tokens.push({ kind: 'end', pos: src.length, text: '' });
  return tokens;
}
