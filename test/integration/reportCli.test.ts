// `preflens report` end to end: score a dataset (with the analysis), then write the JSON and the
// self-contained HTML report from the scores file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { isReportData } from '../../native/report/reportData';

const G = resolve('test/fixtures/trl-golden');
const cli = resolve('dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'preflens-report-'));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args, '--cache-dir', join(dir, 'cache')], { encoding: 'utf8' });

test('report writes valid report data and a self-contained HTML file', () => {
  const data = `${G}/datasets/trl_strings.jsonl`;
  const scores = join(dir, 'scores.jsonl');
  const scored = run('score', data, '--policy', `${G}/models/policy`, '--ref', `${G}/models/reference`, '--out', scores, '--device', 'cpu', '--max-length', '512');
  assert.equal(scored.status, 0, scored.stderr);
  const json = join(dir, 'report.json');
  const r = run('report', data, '--scores', scores, '--out', json);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8')) as unknown;
  assert.ok(isReportData(report));
  assert.equal(report.dataset.validPairs, 24);
  assert.ok(Math.abs(report.summary.rewardAccuracy! - 13 / 24) < 1e-9, `reward accuracy ${report.summary.rewardAccuracy}`);
  assert.equal(report.marginHistogram.counts.reduce((a, b) => a + b, 0), 24);
  assert.ok(report.factors.some((f) => f.name === 'length_words'));
  assert.ok(report.suspicious.some((p) => p.reasons.some((x) => x.reason === 'identical-responses') && p.line === 6), 'the identical pair on line 6 is listed');
  const html = join(dir, 'report.html');
  assert.equal(run('report', data, '--scores', scores, '--out', html).status, 0);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-/);
  assert.doesNotMatch(page, /https?:\/\//);
  assert.match(page, /id="report-data"/);
});

test('report without --scores is a usage error', () => {
  const r = run('report', `${G}/datasets/trl_strings.jsonl`, '--out', join(dir, 'x.html'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /needs --scores/);
});
