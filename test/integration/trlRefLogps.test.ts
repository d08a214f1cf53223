// Export for TRL: `preflens export --ref-logps --scores FILE` adds ref_chosen_logps and
// ref_rejected_logps, and those are the numbers TRL itself computes (test/fixtures/trl-golden),
// in JSONL and in Parquet, so TRL's DPOTrainer can skip its reference pass.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { Dataset } from '../../native/data/dataset';

const G = resolve('test/fixtures/trl-golden');
const cli = resolve('dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'preflens-trl-ref-'));
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('the exported reference columns equal TRL\'s own reference log-probs', async () => {
  for (const name of ['trl_chat', 'hh_style']) {
    const data = `${G}/datasets/${name}.jsonl`;
    const scores = join(dir, `${name}.scores.jsonl`);
    const s = run(['score', data, '--policy', `${G}/models/policy`, '--ref', `${G}/models/reference`, '--max-length', '512', '--device', 'cpu', '--no-analysis', '--out', scores, '--cache-dir', join(dir, 'cache')]);
    assert.equal(s.status, 0, s.stderr);
    const expected = readFileSync(`${G}/expected/${name}.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { index: number; ref_chosen_logps: number; ref_rejected_logps: number });
    for (const ext of ['jsonl', 'parquet']) {
      const out = join(dir, `${name}.trl.${ext}`);
      const e = run(['export', data, '--scores', scores, '--ref-logps', '--out', out, '--cache-dir', join(dir, 'cache')]);
      assert.equal(e.status, 0, e.stderr);
      const exported = await Dataset.open(out, { cacheDir: join(dir, 'cache') });
      const rows = await exported.source.readRows(0, exported.rowCount);
      await exported.close();
      const valid = expected.filter((x) => rows[x.index]?.ok);
      assert.ok(valid.length >= 3);
      for (const x of valid) {
        const row = rows[x.index]!;
        assert.ok(row.ok);
        assert.ok(Math.abs((row.value.ref_chosen_logps as number) - x.ref_chosen_logps) < 1e-3, `${name}.${ext} row ${x.index} chosen`);
        assert.ok(Math.abs((row.value.ref_rejected_logps as number) - x.ref_rejected_logps) < 1e-3, `${name}.${ext} row ${x.index} rejected`);
      }
    }
  }
});

test('a kept pair without a score is refused with its row, not exported without the columns', () => {
  const data = `${G}/datasets/trl_strings.jsonl`;
  const scores = join(dir, 'partial.scores.jsonl');
  const s = run(['score', data, '--policy', `${G}/models/policy`, '--ref', `${G}/models/reference`, '--max-length', '512', '--device', 'cpu', '--no-analysis', '--shard', '0/1', '--out', scores, '--cache-dir', join(dir, 'cache')]);
  assert.equal(s.status, 0, s.stderr);
  const lines = readFileSync(scores, 'utf8').trim().split('\n');
  writeFileSync(scores, `${lines.slice(0, 3).join('\n')}\n`);
  const e = run(['export', data, '--scores', scores, '--ref-logps', '--out', join(dir, 'partial.jsonl'), '--cache-dir', join(dir, 'cache')]);
  assert.notEqual(e.status, 0);
  assert.match(e.stderr, /row 4 \(pair [0-9a-f]+\) has no reference log-probs/);
});
