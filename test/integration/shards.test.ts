// Scale-out: `preflens score --shard i/n` then `preflens merge` equals a single run byte for byte;
// JSON progress lines for schedulers; a rerun is served from the cache (resumable); a merge with a
// missing shard is refused with the rows it lacks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { shardRange } from '../../native/cli/shards';

const G = resolve('test/fixtures/trl-golden');
const cli = resolve('dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'preflens-shards-'));
const models = ['--policy', `${G}/models/policy`, '--ref', `${G}/models/reference`, '--device', 'cpu', '--max-length', '512', '--no-analysis'];
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('shard ranges fall on 128-row pages and cover every row exactly once', () => {
  for (const rows of [0, 1, 127, 128, 300, 1000]) {
    for (const n of [1, 2, 3, 7]) {
      let next = 0;
      for (let i = 0; i < n; i++) {
        const r = shardRange(`${i}/${n}`, rows);
        assert.equal(r.start, next);
        assert.ok(r.start % 128 === 0 || r.start === rows);
        next = r.end;
      }
      assert.equal(next, rows);
    }
  }
  assert.throws(() => shardRange('3/3', 10), /between 0 and n-1/);
  assert.throws(() => shardRange('1-3', 10), /expected i\/n/);
});

test('three shards merged equal one run byte for byte; progress as JSON lines; reruns come from the cache', () => {
  const rows = readFileSync(`${G}/datasets/trl_strings.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string });
  const lines: string[] = [];
  for (let k = 0; k < 14; k++) for (const row of rows) lines.push(JSON.stringify({ ...row, prompt: `[${k}] ${row.prompt}` }));
  const data = join(dir, 'pairs.jsonl');
  writeFileSync(data, `${lines.join('\n')}\n`); // 336 rows: three pages
  const single = run(['score', data, ...models, '--out', join(dir, 'single.jsonl'), '--cache-dir', join(dir, 'cache-single')]);
  assert.equal(single.status, 0, single.stderr);
  const shards: string[] = [];
  for (let i = 0; i < 3; i++) {
    const out = join(dir, `shard-${i}.jsonl`);
    const r = run(['score', data, ...models, '--shard', `${i}/3`, '--out', out, '--progress-json', '--cache-dir', join(dir, 'cache-shards')]);
    assert.equal(r.status, 0, r.stderr);
    const progress = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string; done: number; total: number });
    assert.ok(progress.length >= 1 && progress.every((p) => p.event === 'progress'));
    assert.equal(progress.at(-1)!.done, progress.at(-1)!.total);
    shards.push(out);
  }
  const merged = join(dir, 'merged.jsonl');
  const m = run(['merge', '--out', merged, shards[2]!, shards[0]!, shards[1]!]);
  assert.equal(m.status, 0, m.stderr);
  assert.ok(readFileSync(merged).equals(readFileSync(join(dir, 'single.jsonl'))), 'merged shards equal the single run byte for byte');
  const meta = JSON.parse(readFileSync(`${merged}.meta.json`, 'utf8')) as { counts: { ok: number } };
  assert.equal(meta.counts.ok, 336);
  // resumable: a shard scored again is served from the cache
  const again = run(['score', data, ...models, '--shard', '1/3', '--out', join(dir, 'again.jsonl'), '--cache-dir', join(dir, 'cache-shards')]);
  const againMeta = JSON.parse(readFileSync(join(dir, 'again.jsonl.meta.json'), 'utf8')) as { model_calls: { policy: number; reference: number } };
  assert.equal(again.status, 0);
  assert.deepEqual(againMeta.model_calls, { policy: 0, reference: 0 });
  const missing = run(['merge', '--out', join(dir, 'bad.jsonl'), shards[0]!, shards[2]!]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /rows 128-255 are in no shard/);
});
