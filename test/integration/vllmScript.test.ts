// The scale-out script scripts/scale-out/preflens_vllm.py (docs/vllm.md): its Python tests (the
// interchange rows it writes, checked against docs/interchange.md and TRL's numbers, with fake
// vLLM output), its --help without vLLM, and, where vLLM is installed, a real run on the TRL-golden
// models whose summed log-probs must equal TRL's own (test/fixtures/trl-golden) within 1e-3.
// Whatever cannot run here is reported as skipped with the reason, never as passed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const python = process.env.PREFLENS_PYTHON ?? 'python3';
const script = resolve('scripts/scale-out/preflens_vllm.py');
const G = resolve('test/fixtures/trl-golden');
const run = (args: string[], timeout = 120_000) => spawnSync(python, args, { encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
const hasPython = run(['-c', 'import sys; assert sys.version_info >= (3, 9)']).status === 0;

test('the script\'s Python tests pass (converter, readers, TRL tokenization logic, command line with fake vLLM)', (t) => {
  if (!hasPython) return t.skip(`${python} (3.9 or later) is not installed`);
  const r = run(['-B', '-m', 'unittest', 'scripts/scale-out/test_preflens_vllm.py', '-v']); // -B: no __pycache__ in the tree
  assert.equal(r.status, 0, r.stderr);
  const ran = /Ran (\d+) tests?/.exec(r.stderr);
  assert.ok(ran && Number(ran[1]) >= 20, r.stderr);
  assert.match(r.stderr, /\nOK( \(skipped=\d+\))?\n/);
  // unittest's own skips (no pyarrow, transformers...) are listed, so the log says what did not run
  for (const m of r.stderr.matchAll(/^(\w+) \(.*\) \.\.\. skipped (['"])(.*)\2$/gm)) t.diagnostic(`python skipped ${m[1]}: ${m[3]}`);
});

test('--help works without vLLM', (t) => {
  if (!hasPython) return t.skip(`${python} is not installed`);
  const r = run([script, '--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /--tensor-parallel-size/);
  assert.match(r.stdout, /--data-parallel-size/);
  assert.match(r.stdout, /--ray/);
});

/** A golden model folder vLLM can load (it reads model.safetensors, not the ONNX export). */
function loadableModel(role: string): string | undefined {
  for (const dir of [join(G, 'models', role), resolve('..', 'shared', 'fixtures', 'trl-golden', 'models', role)]) {
    if (existsSync(join(dir, 'model.safetensors')) && existsSync(join(dir, 'tokenizer.json'))) return dir;
  }
  return undefined;
}

interface Row { example_id: number; side: 'chosen' | 'rejected'; model_role: string; token_ids: number[]; sum_logprob: number; n_tokens: number }
interface Expected { index: number; prompt_ids: number[]; chosen_ids: number[]; rejected_ids: number[]; chosen_tokens: number; rejected_tokens: number; chosen_logps: number; rejected_logps: number; ref_chosen_logps: number; ref_rejected_logps: number }

test('with vLLM: the script reproduces TRL\'s summed log-probs on the golden models', { timeout: 1_200_000 }, (t) => {
  if (!hasPython) return t.skip(`${python} is not installed`);
  if (run(['-c', 'import vllm']).status !== 0) return t.skip('vLLM is not installed: pip install vllm (needs a CUDA GPU)');
  const policy = loadableModel('policy');
  const reference = loadableModel('reference');
  if (!policy || !reference) return t.skip('the golden models\' model.safetensors are not in test/fixtures/trl-golden/models (nor ../shared/fixtures): vLLM cannot load the ONNX export');
  const out = join(mkdtempSync(join(tmpdir(), 'preflens-vllm-')), 'golden.interchange.jsonl');
  const r = run([script, join(G, 'datasets', 'trl_strings.jsonl'), '--policy', policy, '--ref', reference, '--dtype', 'float32', '--max-length', '512',
    '--enforce-eager', '--gpu-memory-utilization', '0.3', '--out', out], 1_100_000);
  assert.equal(r.status, 0, r.stderr.slice(-4000));
  const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
  const expected = readFileSync(join(G, 'expected', 'trl_strings.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Expected);
  assert.equal(rows.length, expected.length * 4);
  const key = (role: string, id: number, side: string) => `${role}/${id}/${side}`;
  const byKey = new Map(rows.map((row) => [key(row.model_role, row.example_id, row.side), row]));
  for (const x of expected) {
    for (const side of ['chosen', 'rejected'] as const) {
      const want = { policy: x[`${side}_logps`], reference: x[`ref_${side}_logps`] };
      for (const role of ['policy', 'reference'] as const) {
        const row = byKey.get(key(role, x.index, side));
        assert.ok(row, `${key(role, x.index, side)} missing`);
        assert.deepEqual(row.token_ids, [...x.prompt_ids, ...x[`${side}_ids`]], `${key(role, x.index, side)} token ids`);
        assert.equal(row.n_tokens, x[`${side}_tokens`]);
        assert.ok(Math.abs(row.sum_logprob - want[role]) < 1e-3, `${key(role, x.index, side)}: ${row.sum_logprob} vs TRL ${want[role]}`);
      }
    }
  }
});
