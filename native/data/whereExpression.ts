/**
 * The `--where` filter language: `preflens export DATA --where EXPR` and the extension's filter box.
 *
 * Design note.
 * What: a small expression language over one row (a pair's scores plus its dataset attributes),
 * compiled once into a predicate `test(row) => boolean`.
 * Why: users filter millions of rows with expressions they type, so it must be safe (no eval or
 * Function, no access beyond the row's own properties, bounded length and nesting), clear when
 * wrong (errors at compile time, with a caret under the fault), and fast: the tree is compiled to
 * nested closures once, constant sub-expressions are folded, and `x in [literals]` is a Set lookup.
 *
 * Grammar (lowest precedence first; binary operators are left-associative):
 *   or       := and (('||' | 'or') and)*
 *   and      := not (('&&' | 'and') not)*
 *   not      := 'not' not | equality          `not` binds looser than comparisons, as in Python:
 *                                              `not x == 1` is `!(x == 1)`; `!x == 1` is `(!x) == 1`
 *   equality := compare (('==' | '!=') compare)?            no chains: `a == b == c` is an error
 *   compare  := sum (('<' | '<=' | '>' | '>=' | 'in' | 'not' 'in') sum)?   `a < b < c` is an error
 *   sum      := product (('+' | '-') product)*
 *   product  := unary (('*' | '/' | '%') unary)*
 *   unary    := ('!' | '-' | '+') unary | primary
 *   primary  := number | string | 'true' | 'false' | 'null' | name | function '(' args ')'
 *             | '(' or ')' | '[' (or (',' or)*)? ']'
 * Numbers: `3`, `0.5`, `.5`, `1e-3`. Strings: "..." or '...' with JavaScript escapes (\n \t \\ \"
 * \' \uXXXX \u{X}); unknown escapes are errors. Names: letters, digits, `_`, with `.` between
 * segments for nested attributes (`attributes.helpfulness`, `tags.0`); a segment in backticks may
 * hold any characters (`chosen-rating`, attributes.`overall score`). Keywords (true false null and
 * or not in) need backticks to be used as names. `===`/`!==` are accepted as `==`/`!=`.
 * Functions (arity checked at compile time; unknown names are errors): abs(x), min(a, ...),
 * max(a, ...) (one array argument means its elements), len(x) (string length in UTF-16 units, or
 * array length), contains(haystack, needle) (substring, case-sensitive; for arrays, membership),
 * lower(s), is_null(x).
 *
 * Semantics. Values are JSON values. A name reads the row's own properties only (never the
 * prototype: `constructor`, `__proto__`, `toString` are ordinary, usually missing, names); a dotted
 * name first tries a flat key with that exact text (flattened exports), then walks the path.
 * Missing names are null. Arithmetic is on numbers only: anything else, and non-finite results
 * (division by zero), give null. `==` is strict (no coercion: `1 == "1"` is false; `x == null`
 * finds missing values) and `!=` is exactly its negation. `<` `<=` `>` `>=` compare two numbers or
 * two strings; any other pair (null included) is false. `x in list` is membership by `==`; a right
 * side that is not an array gives false. `&&` `||` `!` work on truthiness and yield booleans:
 * false, 0, NaN, "", null and [] are falsy; everything else is truthy. The row matches when the
 * whole expression's value is truthy.
 *
 * Examples: `margin < 0`; `score_chosen - score_rejected >= 2 && !(flag == "ok")`;
 * `chosen_tokens > 2 * rejected_tokens || suspicious`; `prompt_id in ["a1", "b2"]`;
 * `contains(lower(prompt), "translate")`; `abs(margin) < 0.05`; `is_null(ches)`.
 */
import { MAX_WHERE_LENGTH, type Token, tokenize, WhereSyntaxError } from './whereTokens';

export { MAX_WHERE_LENGTH, WhereSyntaxError } from './whereTokens';
export const MAX_WHERE_DEPTH = 64;

export interface CompiledWhere {
  source: string;
  /** The names the expression reads, dotted, in order of first use (for validation and UI). */
  identifiers: string[];
  test(row: Record<string, unknown>): boolean;
}

type Row = Record<string, unknown>;
type Eval = (row: Row) => unknown;
interface Node {
  run: Eval;
  constant: boolean;
}

const NO_ROW: Row = Object.freeze(Object.create(null) as Row);

/** A node over `children`; folded to a constant when they all are (no operation has effects). */
function make(run: Eval, ...children: Node[]): Node {
  if (!children.every((c) => c.constant)) return { run, constant: false };
  const value = run(NO_ROW);
  return { run: () => value, constant: true };
}

export function whereTruthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  return typeof v === 'object' && v !== null;
}

/** Row values as the language sees them: JSON types, with anything else (undefined...) as null. */
function normalize(v: unknown): unknown {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint' ? null : v;
}

function lookup(path: string[], flatKey: string | null): Eval {
  const [first] = path;
  if (path.length === 1) return (row) => (Object.hasOwn(row, first!) ? normalize(row[first!]) : null);
  return (row) => {
    if (flatKey !== null && Object.hasOwn(row, flatKey)) return normalize(row[flatKey]);
    let at: unknown = row;
    for (const key of path) {
      if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return null;
      at = (at as Row)[key];
    }
    return normalize(at);
  };
}

const num = (v: unknown): v is number => typeof v === 'number';
const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
};
type Ordered = number | string;
const ORDER: Record<string, (a: Ordered, b: Ordered) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function extreme(pick: (a: number, b: number) => number): (args: Node[]) => Eval {
  return (args) => (row) => {
    const one = args.length === 1 ? args[0]!.run(row) : undefined;
    const values = args.length === 1 ? (Array.isArray(one) ? one : [one]) : args.map((a) => a.run(row));
    let best: number | null = null;
    for (const v of values) {
      if (!num(v)) return null;
      best = best === null ? v : pick(best, v);
    }
    return best;
  };
}

interface FunctionSpec {
  min: number;
  max: number;
  build(args: Node[]): Eval;
}
/** A one-argument function applying `f` to its argument's value. */
const unary = (f: (v: unknown) => unknown): FunctionSpec => ({ min: 1, max: 1, build: ([x]) => (row) => f(x!.run(row)) });
function contains(hay: unknown, needle: unknown): boolean {
  if (typeof hay === 'string') return typeof needle === 'string' && hay.includes(needle);
  return Array.isArray(hay) && hay.includes(needle);
}
const FUNCTIONS = new Map<string, FunctionSpec>([
  ['abs', unary((v) => (num(v) ? Math.abs(v) : null))],
  ['min', { min: 1, max: Infinity, build: extreme(Math.min) }],
  ['max', { min: 1, max: Infinity, build: extreme(Math.max) }],
  ['len', unary((v) => (typeof v === 'string' || Array.isArray(v) ? v.length : null))],
  ['lower', unary((v) => (typeof v === 'string' ? v.toLowerCase() : null))],
  ['is_null', unary((v) => v === null)],
  ['contains', { min: 2, max: 2, build: ([h, n]) => (row) => contains(h!.run(row), n!.run(row)) }],
]);
/** Function names, for completions and help text. */
export const WHERE_FUNCTIONS: readonly string[] = [...FUNCTIONS.keys()];

const describe = (t: Token): string => (t.kind === 'end' ? 'the end of the expression' : `'${t.text}'`);

class Parser {
  private at = 0;
  private depth = 0;
  readonly identifiers: string[] = [];

  constructor(private readonly src: string, private readonly tokens: Token[]) {}

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.at + ahead, this.tokens.length - 1)]!;
  }
  private fail(reason: string, pos: number): never {
    throw new WhereSyntaxError(reason, pos, this.src);
  }
  /** Consumes and returns the next token when it is one of `texts` (operators or keywords). */
  private accept(...texts: string[]): Token | null {
    const t = this.peek();
    if ((t.kind === 'op' || t.kind === 'keyword') && texts.includes(t.text)) return this.tokens[this.at++]!;
    return null;
  }
  private nested<T>(t: Token, parse: () => T): T {
    if (++this.depth > MAX_WHERE_DEPTH) this.fail(`expression is nested too deeply (the limit is ${MAX_WHERE_DEPTH} levels)`, t.pos);
    const result = parse();
    this.depth--;
    return result;
  }

  parse(): Node {
    const node = this.or();
    const t = this.peek();
    if (t.kind !== 'end') this.fail(`expected an operator or the end of the expression, found ${describe(t)}`, t.pos);
    return node;
  }

  private or(): Node {
    let left = this.and();
    for (let op; (op = this.accept('||', 'or')); ) {
      const l = left, r = this.operand(op, () => this.and());
      left = make((row) => whereTruthy(l.run(row)) || whereTruthy(r.run(row)), l, r);
    }
    return left;
  }
  private and(): Node {
    let left = this.not();
    for (let op; (op = this.accept('&&', 'and')); ) {
      const l = left, r = this.operand(op, () => this.not());
      left = make((row) => whereTruthy(l.run(row)) && whereTruthy(r.run(row)), l, r);
    }
    return left;
  }
  private not(): Node {
    const op = this.peek(1).text !== 'in' ? this.accept('not') : null;
    if (!op) return this.equality();
    const x = this.nested(op, () => this.operand(op, () => this.not()));
    return make((row) => !whereTruthy(x.run(row)), x);
  }
  private equality(): Node {
    const l = this.compare();
    const op = this.accept('==', '!=');
    if (!op) return l;
    const r = this.operand(op, () => this.compare());
    this.noChain(['==', '!='], 'a == b && b == c');
    return op.text === '==' ? make((row) => l.run(row) === r.run(row), l, r) : make((row) => l.run(row) !== r.run(row), l, r);
  }
  private compare(): Node {
    const l = this.sum();
    const negated = this.peek().text === 'not' && this.peek(1).text === 'in' ? this.accept('not') : null;
    const op = this.accept('<', '<=', '>', '>=', 'in');
    if (!op) return l;
    const r = this.operand(op, () => this.sum());
    this.noChain(['<', '<=', '>', '>=', 'in'], 'a < b && b < c');
    if (op.text !== 'in') {
      const f = ORDER[op.text]!;
      return make((row) => {
        const a = l.run(row), b = r.run(row);
        return (num(a) && num(b)) || (typeof a === 'string' && typeof b === 'string') ? f(a, b) : false;
      }, l, r);
    }
    const list = r.constant ? r.run(NO_ROW) : null;
    const set = Array.isArray(list) ? new Set<unknown>(list) : null;
    const member: Eval = set
      ? (row) => set.has(l.run(row))
      : (row) => { const h = r.run(row); return Array.isArray(h) && h.includes(l.run(row)); };
    return negated ? make((row) => !member(row), l, r) : make(member, l, r);
  }
  private noChain(ops: string[], advice: string): void {
    const t = this.peek();
    if (t.kind !== 'end' && ops.includes(t.text)) this.fail(`comparisons cannot be chained; write '${advice}'`, t.pos);
  }
  private sum(): Node {
    return this.arithmetic(['+', '-'], () => this.product());
  }
  private product(): Node {
    return this.arithmetic(['*', '/', '%'], () => this.unary());
  }
  private arithmetic(ops: string[], next: () => Node): Node {
    let left = next();
    for (let op; (op = this.accept(...ops)); ) {
      const l = left, r = this.operand(op, next), f = ARITHMETIC[op.text]!;
      left = make((row) => { const a = l.run(row), b = r.run(row); return num(a) && num(b) ? finite(f(a, b)) : null; }, l, r);
    }
    return left;
  }
  private unary(): Node {
    const op = this.accept('!', '-', '+');
    if (!op) return this.primary(null);
    const x = this.nested(op, () => this.operand(op, () => this.unary()));
    if (op.text === '!') return make((row) => !whereTruthy(x.run(row)), x);
    if (op.text === '+') return make((row) => { const v = x.run(row); return num(v) ? v : null; }, x);
    return make((row) => { const v = x.run(row); return num(v) ? -v : null; }, x);
  }
  /** Parses the operand after `op`; when none starts here, says "expected a value after 'op'". */
  private operand(op: Token, parse: () => Node): Node {
    const t = this.peek();
    const startsValue = t.kind === 'op' ? ['!', '-', '+', '(', '['].includes(t.text) : t.kind !== 'end' && !['and', 'or', 'in'].includes(t.text);
    return startsValue ? parse() : this.primary(op);
  }

  private primary(after: Token | null): Node {
    const t = this.peek();
    if (t.kind !== 'end') this.at++;
    switch (t.kind) {
      case 'number':
      case 'string':
        return make(() => t.value);
      case 'keyword':
        if (t.text === 'true' || t.text === 'false' || t.text === 'null') {
          const value = t.text === 'null' ? null : t.text === 'true';
          return make(() => value);
        }
        break;
      case 'name':
        return this.peek().text === '(' && this.peek().kind === 'op' ? this.call(t) : this.name(t);
      case 'op':
        if (t.text === '(') {
          return this.nested(t, () => {
            const inner = this.operand(t, () => this.or());
            this.close(')', t, "')'");
            return inner;
          });
        }
        if (t.text === '[') return this.nested(t, () => this.list(t));
    }
    const where = after ? ` after '${after.text}'` : '';
    return this.fail(`expected a value${where}, found ${describe(t)}`, t.pos);
  }
  private name(t: Extract<Token, { kind: 'name' }>): Node {
    const dotted = t.path.join('.');
    if (!this.identifiers.includes(dotted)) this.identifiers.push(dotted);
    return { run: lookup(t.path, t.bare && t.path.length > 1 ? dotted : null), constant: false };
  }
  private call(t: Extract<Token, { kind: 'name' }>): Node {
    const spec = t.bare && t.path.length === 1 ? FUNCTIONS.get(t.text) : undefined;
    if (!spec) this.fail(`unknown function '${t.text}' (known: ${WHERE_FUNCTIONS.join(', ')})`, t.pos);
    const open = this.tokens[this.at++]!;
    const args = this.nested(open, () => this.items(')', open));
    if (args.length < spec.min || args.length > spec.max) {
      const wanted = spec.max === Infinity ? `at least ${spec.min}` : `${spec.min}`;
      this.fail(`${t.text}() takes ${wanted} argument${spec.min === 1 ? '' : 's'}, got ${args.length}`, t.pos);
    }
    return make(spec.build(args), ...args);
  }
  private list(open: Token): Node {
    const items = this.items(']', open);
    return make((row) => items.map((x) => x.run(row)), ...items);
  }
  /** Comma-separated expressions up to `closer` (the opening token is already consumed). */
  private items(closer: string, open: Token): Node[] {
    const items: Node[] = [];
    if (this.accept(closer)) return items;
    for (let sep: Token | null = open; sep; sep = this.accept(',')) items.push(this.operand(sep, () => this.or()));
    this.close(closer, open, `',' or '${closer}'`);
    return items;
  }
  private close(closer: string, open: Token, expected: string): void {
    if (this.accept(closer)) return;
    const t = this.peek();
    this.fail(`expected ${expected} to close the '${open.text}' at column ${open.pos + 1}, found ${describe(t)}`, t.pos);
  }
}

/** Compiles a `--where` expression; throws WhereSyntaxError with the position of the first fault. */
export function compileWhere(source: string): CompiledWhere {
  if (source.length > MAX_WHERE_LENGTH) {
    throw new WhereSyntaxError(`expression is too long (${source.length} characters; the limit is ${MAX_WHERE_LENGTH})`, MAX_WHERE_LENGTH, source);
  }
  const parser = new Parser(source, tokenize(source));
  const root = parser.parse().run;
  return {
    source,
    identifiers: parser.identifiers,
    test: (row) => whereTruthy(root(typeof row === 'object' && row !== null ? row : NO_ROW)),
  };
}
