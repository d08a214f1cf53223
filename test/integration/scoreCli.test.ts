// `preflens score` as a user runs it: the contract's fields, the meta file, progress on stderr,
// invalid rows kept in place, tokenizer mismatch refused, and Ctrl-C leaving no partial output.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const G = resolve('test/fixtures/trl-golden');
const cli = resolve('dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'preflens-score-'));
const models = ['--policy', `${G}/models/policy`, '--ref', `${G}/models/reference`, '--cache-dir', join(dir, 'cache'), '--device', 'cpu', '--max-length', '512'];

const FIELDS = ['index', 'id', 'status', 'error', 'chosen_tokens', 'rejected_tokens', 'chosen_logps', 'rejected_logps', 'ref_chosen_logps', 'ref_rejected_logps', 'chosen_reward', 'rejected_reward', 'margin', 'beta', 'ches', 'ches_ln'];

test('score writes one record per input row in order, invalid rows in place, and a meta file', () => {
  const lines = readFileSync(`${G}/datasets/trl_strings.jsonl`, 'utf8').trim().split('\n').slice(0, 4);
  lines.splice(2, 0, '{"prompt": "broken", "chosen": }');
  const data = join(dir, 'pairs.jsonl');
  writeFileSync(data, `${lines.join('\n')}\n`);
  const out = join(dir, 'scores.jsonl');
  const r = spawnSync(process.execPath, [cli, 'score', data, ...models, '--out', out, '--tokens', '--beta', '0.2'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /scored 5\/5 pairs/);
  const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(records.map((x) => x.index), [0, 1, 2, 3, 4]);
  assert.deepEqual(records.map((x) => x.status), ['ok', 'ok', 'invalid', 'ok', 'ok']);
  assert.match(String(records[2]!.error), /malformed JSON/);
  for (const record of records) for (const f of FIELDS) assert.ok(f in record, `field ${f}`);
  const ok = records[0]!;
  assert.ok(Number.isInteger(ok.chosen_tokens) && Number.isInteger(ok.rejected_tokens));
  assert.equal(ok.beta, 0.2);
  assert.ok(Math.abs((ok.margin as number) - ((ok.chosen_reward as number) - (ok.rejected_reward as number))) < 1e-12);
  assert.equal((ok.chosen_token_logps as number[]).length, ok.chosen_tokens);
  assert.equal((ok.chosen_token_ids as number[]).length, ok.chosen_tokens);
  const meta = JSON.parse(readFileSync(`${out}.meta.json`, 'utf8')) as { models: { policy: { onnx_sha256: string; tokenizer_sha256: string } }; convention: string; counts: { ok: number; invalid: number } };
  assert.match(meta.models.policy.onnx_sha256, /^202d817d034b5971/); // the fixture's recorded hash
  assert.deepEqual(meta.counts, { ok: 4, invalid: 1 });
  assert.match(meta.convention, /TRL/);
});

test('policy and reference with different tokenizers are refused', () => {
  const other = join(dir, 'other-ref');
  cpSync(`${G}/models/reference`, other, { recursive: true });
  const config = JSON.parse(readFileSync(join(other, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(other, 'tokenizer_config.json'), JSON.stringify({ ...config, eos_token: '<|endoftext|>' }));
  const r = spawnSync(process.execPath, [cli, 'score', `${G}/datasets/trl_strings.jsonl`, '--policy', `${G}/models/policy`, '--ref', other, '--cache-dir', join(dir, 'cache')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /tokenizers differ/);
});

test('a safetensors checkpoint is recognised and the export command is given', () => {
  const pt = join(dir, 'pytorch-model');
  cpSync(`${G}/models/policy`, pt, { recursive: true, filter: (src) => !src.includes('onnx') });
  writeFileSync(join(pt, 'model.safetensors'), 'x');
  const r = spawnSync(process.execPath, [cli, 'score', `${G}/datasets/trl_strings.jsonl`, '--policy', pt, '--ref', pt, '--cache-dir', join(dir, 'cache')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`optimum-cli export onnx --model ${pt.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} --task text-generation-with-past`));
});

test('Ctrl-C stops cleanly and leaves no partial output', async () => {
  const base = readFileSync(`${G}/datasets/trl_strings.jsonl`, 'utf8');
  const data = join(dir, 'many.jsonl');
  writeFileSync(data, base.repeat(120)); // 2880 pairs: long enough to interrupt
  const out = join(dir, 'interrupted.jsonl');
  const child = spawn(process.execPath, [cli, 'score', data, ...models, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  await new Promise<void>((resolveStarted) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/scored \d+\//.test(stderr)) resolveStarted();
    });
  });
  child.kill('SIGINT');
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /stopped; no output file was written/);
  assert.equal(existsSync(out), false);
});
