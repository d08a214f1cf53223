import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileWhere, MAX_WHERE_DEPTH, MAX_WHERE_LENGTH, WHERE_FUNCTIONS, WhereSyntaxError } from '../../../native/data/whereExpression';

const check = (expr: string, row: Record<string, unknown> = {}): boolean => compileWhere(expr).test(row);

/** Asserts that compiling `expr` fails at `position` with a reason matching `reason`. */
function fails(expr: string, position: number, reason: RegExp): WhereSyntaxError {
  try {
    compileWhere(expr);
  } catch (error) {
    assert.ok(error instanceof WhereSyntaxError, `${expr}: ${String(error)}`);
    assert.equal(error.position, position, `${expr}: ${error.message}`);
    assert.match(error.reason, reason);
    return error;
  }
  assert.fail(`expected '${expr}' not to compile`);
}

test('the examples from the design note', () => {
  const row = { margin: -0.5, score_chosen: 5, score_rejected: 2, flag: 'bad', chosen_tokens: 10, rejected_tokens: 4, prompt_id: 'b2', prompt: 'Please translate this' };
  assert.equal(check('margin < 0', row), true);
  assert.equal(check('score_chosen - score_rejected >= 2 && !(flag == "ok")', row), true);
  assert.equal(check('score_chosen - score_rejected >= 2 && !(flag == "ok")', { ...row, flag: 'ok' }), false);
  assert.equal(check('chosen_tokens > 2 * rejected_tokens || suspicious', row), true);
  assert.equal(check('chosen_tokens > 3 * rejected_tokens || suspicious', row), false);
  assert.equal(check('chosen_tokens > 3 * rejected_tokens || suspicious', { ...row, suspicious: true }), true);
  assert.equal(check('prompt_id in ["a1", "b2"]', row), true);
  assert.equal(check('prompt_id in ["a1", "b3"]', row), false);
  assert.equal(check('contains(prompt, "translate")', row), true);
  assert.equal(check('contains(prompt, "Translate")', row), false);
  assert.equal(check('abs(margin) < 0.05', { margin: -0.01 }), true);
  assert.equal(check('abs(margin) < 0.05', row), false);
  assert.equal(check('is_null(ches)', row), true);
  assert.equal(check('is_null(margin)', row), false);
});

test('precedence follows C/JS, with parentheses overriding it', () => {
  assert.equal(check('1 + 2 * 3 == 7'), true);
  assert.equal(check('(1 + 2) * 3 == 9'), true);
  assert.equal(check('10 - 4 - 3 == 3'), true); // left-associative
  assert.equal(check('12 / 3 / 2 == 2'), true);
  assert.equal(check('7 % 4 * 2 == 6'), true);
  assert.equal(check('-2 * -3 == 6'), true);
  assert.equal(check('true || false && false'), true); // && binds tighter than ||
  assert.equal(check('(true || false) && false'), false);
  assert.equal(check('!false && false'), false); // ! binds tightest
  assert.equal(check('1 < 2 == 3 < 4'), true); // relational before equality
  assert.equal(check('x == 1 || y == 2 && z == 3', { x: 1 }), true);
  assert.equal(check('1e-3 * 1000 == 1 && .5 == 0.5 && 2E2 == 200'), true);
});

test('and / or / not keywords; `not` binds looser than comparisons', () => {
  assert.equal(check('a > 1 and b > 1', { a: 2, b: 2 }), true);
  assert.equal(check('a > 1 and b > 1', { a: 2, b: 0 }), false);
  assert.equal(check('a > 5 or b > 1', { a: 2, b: 2 }), true);
  assert.equal(check('not x == 1', { x: 2 }), true); // not (x == 1)
  assert.equal(check('!x == 1', { x: 2 }), false); // (!x) == 1: false == 1
  assert.equal(check('not a and b', { a: false, b: true }), true);
  assert.equal(check('not not a', { a: 1 }), true);
  assert.equal(check('x not in [1, 2]', { x: 3 }), true);
  assert.equal(check('x not in [1, 2]', { x: 2 }), false);
  assert.equal(check('not x in [1, 2]', { x: 2 }), false);
});

test('null semantics: missing is null; only == / != see it; arithmetic propagates it', () => {
  assert.equal(check('missing == null'), true);
  assert.equal(check('missing != null'), false);
  assert.equal(check('x == null', { x: null }), true);
  assert.equal(check('x == null', { x: 0 }), false);
  for (const op of ['<', '<=', '>', '>=']) {
    assert.equal(check(`missing ${op} 0`), false, op);
    assert.equal(check(`0 ${op} missing`), false, op);
    assert.equal(check(`!(missing ${op} 0)`), true, op);
  }
  assert.equal(check('missing + 1 == null'), true);
  assert.equal(check('-missing == null'), true);
  assert.equal(check('abs(missing) == null && len(missing) == null && lower(missing) == null'), true);
  assert.equal(check('missing'), false);
  assert.equal(check('!missing'), true);
  assert.equal(check('x != "ok"'), true); // != is exactly !(==)
  assert.equal(check('missing in [null]'), true);
  assert.equal(check('missing in [1]'), false);
});

test('no coercion: types must match; non-finite arithmetic is null', () => {
  assert.equal(check('x == 1', { x: '1' }), false);
  assert.equal(check('x < 2', { x: '1' }), false);
  assert.equal(check('x + 1 == null', { x: '1' }), true);
  assert.equal(check('x + 1 == null', { x: true }), true);
  assert.equal(check('"abc" < "abd" && "b" > "a"'), true);
  assert.equal(check('1 / 0 == null && 1 % 0 == null'), true);
  assert.equal(check('x / y == null', { x: 1, y: 0 }), true);
  assert.equal(check('true == 1'), false);
});

test('a final value that is not boolean is coerced by truthiness', () => {
  assert.equal(check('n', { n: 2 }), true);
  assert.equal(check('n', { n: 0 }), false);
  assert.equal(check('s', { s: 'x' }), true);
  assert.equal(check('s', { s: '' }), false);
  assert.equal(check('a', { a: [] }), false);
  assert.equal(check('a', { a: [0] }), true);
  assert.equal(check('o', { o: {} }), true);
  assert.equal(check('null'), false);
  assert.equal(check('"0"'), true);
});

test('strings in either quote style, with backslash escapes', () => {
  assert.equal(check(`s == "say \\"hi\\""`, { s: 'say "hi"' }), true);
  assert.equal(check(`s == 'it\\'s'`, { s: "it's" }), true);
  assert.equal(check(`s == "it's" && t == 'a "b"'`, { s: "it's", t: 'a "b"' }), true);
  assert.equal(check(`s == "a\\nb\\tc\\\\"`, { s: 'a\nb\tc\\' }), true);
  assert.equal(check(`s == "\\u00e9\\u{1F44B}"`, { s: 'é👋' }), true);
  assert.equal(check(`len("\\u{1F44B}") == 2`), true);
  assert.equal(check('s == "é👋"', { s: 'é👋' }), true);
  fails(`s == "a\\qb"`, 7, /unknown escape '\\q'/);
  fails(`s == "abc`, 5, /unterminated string/);
  fails(`s == 'abc"`, 5, /unterminated string/);
});

test('`in` with literal lists, computed lists, and array attributes', () => {
  assert.equal(check('x in [1, 2, 3]', { x: 2 }), true);
  assert.equal(check('x in [1, 2, 3]', { x: '2' }), false);
  assert.equal(check('x in []', { x: 1 }), false);
  assert.equal(check('x in [y, y + 1]', { x: 4, y: 3 }), true);
  assert.equal(check('"math" in tags', { tags: ['code', 'math'] }), true);
  assert.equal(check('"math" in tags', { tags: 'math' }), false); // not an array
  assert.equal(check('x in [true, null]', { x: true }), true);
});

test('functions', () => {
  assert.equal(check('abs(-3) == 3 && abs(x) == 2', { x: -2 }), true);
  assert.equal(check('min(3, 1, 2) == 1 && max(3, 1, 2) == 3 && min(5) == 5'), true);
  assert.equal(check('min(xs) == -1 && max(xs) == 4', { xs: [2, -1, 4] }), true);
  assert.equal(check('min(xs) == null && min(1, "a") == null', { xs: [] }), true);
  assert.equal(check('len(s) == 5 && len(a) == 3 && len(3) == null', { s: 'hello', a: [1, 2, 3] }), true);
  assert.equal(check('contains(tags, "b") && !contains(tags, "z")', { tags: ['a', 'b'] }), true);
  assert.equal(check('contains(s, "") && !contains(s, 1) && !contains(missing, "a")', { s: 'x' }), true);
  assert.equal(check('lower(s) == "mixed case" && contains(lower(s), "case")', { s: 'MiXed CASE' }), true);
  assert.equal(check('is_null(null) && !is_null(0) && !is_null("")'), true);
  assert.deepEqual([...WHERE_FUNCTIONS].sort(), ['abs', 'contains', 'is_null', 'len', 'lower', 'max', 'min']);
});

test('unknown functions and wrong arity are compile-time errors', () => {
  fails('x > 1 && frob(x)', 9, /unknown function 'frob'/);
  fails('constructor(x)', 0, /unknown function 'constructor'/);
  fails('a.abs(x)', 0, /unknown function 'a\.abs'/);
  fails('abs(1, 2)', 0, /abs\(\) takes 1 argument, got 2/);
  fails('contains("a")', 0, /contains\(\) takes 2 arguments, got 1/);
  fails('min()', 0, /min\(\) takes at least 1 argument, got 0/);
});

test('nested, flat-dotted and backtick-quoted names', () => {
  const row = { attributes: { helpfulness: 4, 'overall score': 7, deep: { x: 1 } }, 'chosen-rating': 9, 'with space': 'y', tags: ['a', 'b'] };
  assert.equal(check('attributes.helpfulness >= 4', row), true);
  assert.equal(check('attributes.deep.x == 1', row), true);
  assert.equal(check('attributes.nope.x == null && attributes.helpfulness.x == null', row), true);
  assert.equal(check('`chosen-rating` > 8 && `with space` == "y"', row), true);
  assert.equal(check('attributes.`overall score` == 7', row), true);
  assert.equal(check('tags.1 == "b" && tags.length == 2', row), true);
  // A flattened export's dotted column is matched before the path is walked.
  assert.equal(check('attributes.helpfulness == 3', { 'attributes.helpfulness': 3 }), true);
  assert.equal(check('`a.b` == 1 && a.b == 1', { 'a.b': 1 }), true);
  assert.equal(check('`in` == 1 && `and`', { in: 1, and: true }), true);
  assert.equal(check('prompt_ü == 1', { prompt_ü: 1 }), true);
});

test('identifiers lists the names read, dotted, once each, in order of first use', () => {
  const w = compileWhere('b > 1 && abs(a.x) < 2 || b == `c-d` || a.x in [e]');
  assert.deepEqual(w.identifiers, ['b', 'a.x', 'c-d', 'e']);
  assert.equal(w.source, 'b > 1 && abs(a.x) < 2 || b == `c-d` || a.x in [e]');
});

test('names read only the row\'s own properties: no prototype leaks', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
    assert.equal(check(`${name} == null`, {}), true, name);
    assert.equal(check(`is_null(${name})`, {}), true, name);
    assert.equal(check(`${name}`, {}), false, name);
    assert.equal(check(`a.${name} == null && s.${name} == null && xs.${name} == null`, { a: {}, s: 'str', xs: [] }), true, name);
    assert.equal(check(`${name}.name == null && ${name}.constructor == null`, {}), true, name);
  }
  const parsed = JSON.parse('{"__proto__": 5, "constructor": "c", "toString": {"x": 1}}') as Record<string, unknown>;
  assert.equal(check('__proto__ == 5 && constructor == "c" && toString.x == 1', parsed), true);
  assert.equal(check('x == 1', Object.assign(Object.create(null) as Record<string, unknown>, { x: 1 })), true);
  assert.equal(check('x == 1', Object.create({ x: 1 }) as Record<string, unknown>), false); // inherited
});

test('syntax errors carry the position and quote the expression with a caret', () => {
  const e = fails('margin < 0 &&', 13, /^expected a value after '&&', found the end of the expression$/);
  assert.equal(e.message, "expected a value after '&&', found the end of the expression at column 14\n  margin < 0 &&\n               ^");
  assert.equal(e.name, 'WhereSyntaxError');
  assert.ok(e instanceof Error);
  const mid = fails('a < 0 && || b', 9, /expected a value after '&&', found '\|\|'/);
  assert.equal(mid.message.split('\n')[2], `  ${' '.repeat(9)}^`);
  fails('', 0, /expected a value, found the end/);
  fails('a b', 2, /expected an operator or the end of the expression, found 'b'/);
  fails('(a > 1', 6, /expected '\)' to close the '\(' at column 1/);
  fails('x in [1, 2', 10, /expected ',' or '\]' to close the '\[' at column 6/);
  fails('abs(1', 5, /expected ',' or '\)'/);
  fails('a > 1)', 5, /found '\)'/);
  fails('()', 1, /expected a value after '\(', found '\)'/);
  fails('x in [1,]', 8, /expected a value after ',', found '\]'/);
  fails('a = 1', 2, /unexpected character '=' \(use '==' to compare\)/);
  fails('a & b', 2, /use '&&'/);
  fails('a # b', 2, /unexpected character '#'/);
  fails('1 < x < 3', 6, /comparisons cannot be chained/);
  fails('a == b == c', 7, /comparisons cannot be chained/);
  fails('2x > 1', 0, /malformed number '2x'/);
  fails('1.2.3 > 1', 0, /malformed number/);
  fails('1e999 > 1', 0, /out of range/);
  fails('`` == 1', 0, /empty quoted name/);
  fails('`abc == 1', 0, /unterminated quoted name/);
  fails('a. == 1', 1, /unexpected character '\.'/);
  fails('not', 3, /expected a value after 'not'/);
  fails('x == not y', 5, /expected a value, found 'not'/);
  assert.equal(check('a === 1 && b !== 2', { a: 1, b: 3 }), true);
});

test('errors in long expressions show a window around the fault', () => {
  const expr = `${'a > 1 && '.repeat(30)}b > @ && ${'c < 2 && '.repeat(10)}d`;
  const e = fails(expr, expr.indexOf('@'), /unexpected character '@'/);
  const [, shown, caret] = e.message.split('\n');
  assert.ok(shown!.startsWith('  …') && shown!.endsWith('…'));
  assert.equal(shown![caret!.length - 1], '@');
});

test('length and nesting-depth limits', () => {
  const atLimit = `x == ${'1'.repeat(MAX_WHERE_LENGTH - 5)}`;
  assert.equal(atLimit.length, MAX_WHERE_LENGTH);
  fails(atLimit.replace(/1+$/, (d) => d.slice(0, 10)) + ' '.repeat(MAX_WHERE_LENGTH), MAX_WHERE_LENGTH, /too long \(\d+ characters; the limit is 2000\)/);
  const deepOk = `${'('.repeat(MAX_WHERE_DEPTH)}x${')'.repeat(MAX_WHERE_DEPTH)} == 1`;
  assert.equal(check(deepOk, { x: 1 }), true);
  fails(`${'('.repeat(MAX_WHERE_DEPTH + 1)}x${')'.repeat(MAX_WHERE_DEPTH + 1)}`, MAX_WHERE_DEPTH, /nested too deeply \(the limit is 64 levels\)/);
  fails(`${'!'.repeat(MAX_WHERE_DEPTH + 1)}x`, MAX_WHERE_DEPTH, /nested too deeply/);
  fails(`${'abs('.repeat(MAX_WHERE_DEPTH + 1)}x${')'.repeat(MAX_WHERE_DEPTH + 1)}`, MAX_WHERE_DEPTH * 4 + 3, /nested too deeply/);
  fails(`x in ${'['.repeat(MAX_WHERE_DEPTH + 1)}`, 5 + MAX_WHERE_DEPTH, /nested too deeply/);
  // Long flat chains are not nesting: they compile and run.
  const chain = Array.from({ length: 150 }, (_, i) => `x != ${i}`).join(' && ');
  assert.ok(chain.length <= MAX_WHERE_LENGTH);
  assert.equal(check(chain, { x: 1000 }), true);
  assert.equal(check(chain, { x: 7 }), false);
});

test('rows that are not objects never throw', () => {
  const w = compileWhere('x == null');
  assert.equal(w.test(null as unknown as Record<string, unknown>), true);
  assert.equal(w.test('str' as unknown as Record<string, unknown>), true);
});

test('filters a million rows with a 3-clause expression quickly', () => {
  const rows = Array.from({ length: 1_000_000 }, (_, i) => ({ margin: (i % 200) / 100 - 1, score_chosen: i % 7, score_rejected: i % 5, flag: i % 3 ? 'ok' : 'bad', prompt_id: `p${i % 1000}` }));
  const w = compileWhere('margin < 0 && score_chosen - score_rejected >= 2 && !(flag == "ok")');
  let matches = 0;
  const started = performance.now();
  for (const row of rows) if (w.test(row)) matches++;
  const ms = performance.now() - started;
  const expected = rows.filter((r) => r.margin < 0 && r.score_chosen - r.score_rejected >= 2 && r.flag !== 'ok').length;
  assert.equal(matches, expected);
  console.log(`# where: 1,000,000 rows, 3 clauses: ${ms.toFixed(0)} ms (${matches} matches)`);
  assert.ok(ms < 3000, `took ${ms} ms`); // generous for slow CI; typically far below a second
});
