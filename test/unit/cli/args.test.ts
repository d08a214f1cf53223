import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliUsageError, parseArgs } from '../../../native/cli/args';

const spec = { boolean: ['json', 'tokens'], string: ['out', 'beta'] };

test('parses flags, options in both forms, and positionals', () => {
  const a = parseArgs(['data.jsonl', '--json', '--out', 'x.jsonl', '--beta=0.2', '--', '--weird-name'], spec);
  assert.deepEqual(a.positionals, ['data.jsonl', '--weird-name']);
  assert.ok(a.flags.has('json'));
  assert.equal(a.options.get('out'), 'x.jsonl');
  assert.equal(a.options.get('beta'), '0.2');
});

test('unknown options and missing values are usage errors', () => {
  assert.throws(() => parseArgs(['--jsn'], spec), CliUsageError);
  assert.throws(() => parseArgs(['--out'], spec), /--out needs a value/);
  assert.throws(() => parseArgs(['--json=1'], spec), /takes no value/);
});
