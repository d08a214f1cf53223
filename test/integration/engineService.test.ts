// The engine service as the extension uses it: a supervised child process (dist/engine.js) with
// a disk cache. Crash recovery, cancel, and "never compute the same thing twice", counted in
// model calls.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { gpt2Config } from '../../examples/modelgen/gpt2Weights';
import { writeModelFolder } from '../../examples/modelgen/writeModelFolder';
import { EngineSupervisor } from '../../native/engine/engineSupervisor';
import { ProtocolRequestError } from '../../native/protocol/client';
import type { ScoreParams, ScoreProgress } from '../../native/protocol/engineProtocol';

const G = resolve('test/fixtures/trl-golden');
const dir = mkdtempSync(join(tmpdir(), 'preflens-service-'));
const supervisors: EngineSupervisor[] = [];
after(async () => {
  for (const s of supervisors) await s.dispose();
});

function dataset(name: string, copies: number): string {
  const rows = readFileSync(`${G}/datasets/trl_strings.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string });
  const lines: string[] = [];
  for (let k = 0; k < copies; k++) for (const row of rows) lines.push(JSON.stringify({ ...row, prompt: `[${k}] ${row.prompt}` }));
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const logs: string[] = [];
function supervisor(): EngineSupervisor {
  const s = new EngineSupervisor({ distDir: resolve('dist'), log: (_level, line) => logs.push(line) });
  supervisors.push(s);
  return s;
}

const params = (data: string, cacheDir: string, extra: Partial<ScoreParams> = {}): ScoreParams => ({
  dataset: data, policy: `${G}/models/policy`, reference: `${G}/models/reference`, beta: 0.1, maxLength: 512, device: 'cpu', tokenBudget: 4096, cacheDir, ...extra,
});

test('re-scoring a cached dataset makes zero model calls; changing the policy recomputes only policy sides', async () => {
  const engine = supervisor();
  const data = dataset('small.jsonl', 3); // 72 pairs
  const cacheDir = join(dir, 'cache-a');
  const first = await engine.request('score', params(data, cacheDir));
  assert.equal(first.total, 72);
  assert.ok(first.modelCalls.policy > 0 && first.modelCalls.reference > 0);
  assert.deepEqual(first.computed, { policy: 72, reference: 72 });
  const again = await engine.request('score', params(data, cacheDir));
  assert.deepEqual(again.modelCalls, { policy: 0, reference: 0 });
  assert.deepEqual(again.cached, { policy: 72, reference: 72 });
  // a different policy checkpoint with the same tokenizer: only the policy side is recomputed
  const otherPolicy = writeModelFolder(join(dir, 'other-policy'), { config: gpt2Config({ vocabSize: 859, nPositions: 512, nEmbd: 64, nLayer: 2, nHead: 4 }), seed: 99, tokenizerDir: `${G}/models/policy` }).dir;
  const changed = await engine.request('score', params(data, cacheDir, { policy: otherPolicy }));
  assert.deepEqual(changed.computed, { policy: 72, reference: 0 });
  assert.equal(changed.modelCalls.reference, 0);
  assert.ok(changed.modelCalls.policy > 0);
});

test('an engine killed mid-run is reported, restarted, and the run completes from the cache', async () => {
  const engine = supervisor();
  const data = dataset('large.jsonl', 60); // 1440 pairs
  const cacheDir = join(dir, 'cache-b');
  let killed = false;
  const causes: string[] = [];
  const seen = new Set<number>();
  const result = await engine.requestWithRestart('score', params(data, cacheDir, { tokenBudget: 256 }), {
    onRestart: (cause) => causes.push(cause),
    onProgress: (p) => {
      for (const r of (p as ScoreProgress).records) seen.add(r.index);
      if (!killed && (p as ScoreProgress).done > 0) {
        killed = true;
        engine.kill('SIGKILL');
      }
    },
  });
  assert.ok(killed, 'the engine was killed mid-run');
  assert.equal(engine.starts, 2, 'exactly one restart');
  assert.match(causes[0] ?? '', /killed \(SIGKILL\).*out of memory/);
  assert.equal(result.total, 1440);
  assert.equal(result.ok, 1440);
  assert.ok(result.cached.policy > 0, 'pairs scored before the kill came from the cache');
  assert.equal(result.cached.policy + result.computed.policy, 1440);
  assert.ok(result.computed.policy < 1440);
});

test('cancel stops within one batch, keeps the cache consistent, and a second run completes only the rest', async () => {
  const engine = supervisor();
  const data = dataset('cancel.jsonl', 60);
  const cacheDir = join(dir, 'cache-c');
  const controller = new AbortController();
  let cancelledAt = 0;
  const run = engine.request('score', params(data, cacheDir, { tokenBudget: 256 }), {
    signal: controller.signal,
    onProgress: (p) => {
      if (!cancelledAt && (p as ScoreProgress).done > 0) {
        cancelledAt = Date.now();
        controller.abort();
      }
    },
  });
  await assert.rejects(run, (e: unknown) => e instanceof ProtocolRequestError && e.code === 'cancelled');
  // the engine's job itself stops within one batch (it logs when it does)
  while (!logs.some((l) => /score job stopped after \d+ of 1440 pairs \(cancelled\)/.test(l))) {
    assert.ok(Date.now() - cancelledAt < 10_000, 'the job did not stop after cancel');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(Date.now() - cancelledAt < 5_000, `job stopped ${Date.now() - cancelledAt} ms after cancel`);
  const rest = await engine.request('score', params(data, cacheDir, { tokenBudget: 256 }));
  assert.equal(rest.ok, 1440);
  assert.ok(rest.cached.policy > 0 && rest.computed.policy < 1440, `cached ${rest.cached.policy}, computed ${rest.computed.policy}`);
  assert.equal(rest.cached.reference + rest.computed.reference, 1440);
});
