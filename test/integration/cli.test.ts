// The built `preflens` CLI, run as a user would run it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const cli = resolve('dist/cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('--version prints the package version', () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const r = run('--version');
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), version);
});

test('inspect reports format, schema, counts and located problems; --json is machine-readable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'preflens-cli-'));
  const file = join(dir, 'pairs.jsonl');
  writeFileSync(file, '{"prompt":"a","chosen":"b","rejected":"c"}\n\n{"prompt":"d","chosen":"e",}\n{"prompt":"f","rejected":"g"}\n');
  const r = run('inspect', file, '--json', '--cache-dir', join(dir, 'cache'));
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { format: string; schema: { kind: string }; rows: number; validPairs: number; invalidByReason: Record<string, number>; issues: { line: number; column?: number; reason: string; field?: string }[] };
  assert.equal(report.format, 'jsonl');
  assert.equal(report.schema.kind, 'trl-explicit-standard');
  assert.deepEqual([report.rows, report.validPairs], [3, 1]);
  assert.deepEqual(report.invalidByReason, { 'malformed-json': 1, 'missing-field': 1 });
  assert.deepEqual(report.issues.map((i) => [i.line, i.column, i.reason, i.field]), [[3, 28, 'malformed-json', undefined], [4, undefined, 'missing-field', 'chosen']]);
  const text = run('inspect', file, '--cache-dir', join(dir, 'cache'));
  assert.match(text.stdout, /pairs\.jsonl:3:28: error malformed-json/);
  assert.match(text.stdout, /pairs\.jsonl:4: error missing-field \[chosen\]/);
});

test('inspect exits non-zero only when nothing could be read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'preflens-cli-'));
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{oops\n');
  assert.equal(run('inspect', bad, '--cache-dir', join(dir, 'cache')).status, 1);
});

test('export without filters reproduces the file; with --drop-invalid the manifest counts match', () => {
  const dir = mkdtempSync(join(tmpdir(), 'preflens-cli-'));
  const file = join(dir, 'pairs.jsonl');
  const lines = ['{"prompt":"a","chosen":"b","rejected":"c"}', '{"prompt":"d","chosen":"e",}', '{"prompt":"f","chosen":"g","rejected":"h"}'];
  writeFileSync(file, `${lines.join('\n')}\n`);
  const out = join(dir, 'out.jsonl');
  assert.equal(run('export', file, '--out', out, '--cache-dir', join(dir, 'cache')).status, 0);
  assert.equal(readFileSync(out, 'utf8'), `${lines.join('\n')}\n`);
  const filtered = join(dir, 'filtered.jsonl');
  const r = run('export', file, '--out', filtered, '--drop-invalid', '--where', 'prompt != "f"', '--json', '--cache-dir', join(dir, 'cache'));
  assert.equal(r.status, 0, r.stderr);
  const manifest = JSON.parse(r.stdout) as { counts: { kept: number; dropped: { invalid: number; where: number } } };
  assert.deepEqual([manifest.counts.kept, manifest.counts.dropped.invalid, manifest.counts.dropped.where], [1, 1, 1]);
  assert.equal(readFileSync(filtered, 'utf8'), `${lines[0]}\n`);
  assert.equal(run('export', file, '--out', file, '--cache-dir', join(dir, 'cache')).status, 1, 'the source is never overwritten by accident');
  assert.equal(readFileSync(file, 'utf8'), `${lines.join('\n')}\n`);
});

test('usage errors exit 2 and say what is wrong', () => {
  const r = run('inspect', 'x.jsonl', '--bogus');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option --bogus/);
  assert.equal(run('frobnicate').status, 2);
});
