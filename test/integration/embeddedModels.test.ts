// The embedded default: the hand-written sample with its planted problems, and `npm run models`
// (deterministic, offline, DPO-trained policy that beats the reference on the held-out split),
// scored through exactly the code path real exports use.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildModels, SAMPLE } from '../../examples/buildModels';
import { Dataset } from '../../native/data/dataset';
import { ScoringEngine } from '../../native/engine/scoringEngine';
import type { ScoreRecord } from '../../native/engine/scorePairs';
import { analyzeScores } from '../../native/engine/scoreAnalysis';

const dir = mkdtempSync(join(tmpdir(), 'preflens-embedded-'));

function files(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p.slice(root.length), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(root);
  return out;
}

test('the sample: 200+ pairs over four categories, a fixed split, and planted problems listed by pair id', async () => {
  const dataset = await Dataset.open(SAMPLE, { cacheDir: join(dir, 'cache') });
  const pairs = (await dataset.readPairs(0, dataset.rowCount)).flatMap((p) => (p.ok ? [p.pair] : []));
  await dataset.close();
  assert.ok(pairs.length >= 200);
  assert.deepEqual([...new Set(pairs.map((p) => p.attributes.category))].sort(), ['harmlessness', 'helpfulness', 'qa', 'summarization']);
  const key = JSON.parse(readFileSync('examples/sample/planted-problems.json', 'utf8')) as { problems: { id: string; kind: string }[] };
  const byId = new Map(pairs.map((p) => [p.id, p]));
  for (const problem of key.problems) assert.equal(byId.get(problem.id)?.attributes.split, 'heldout', `${problem.id} is a held-out pair`);
  const kinds = key.problems.reduce<Record<string, number>>((n, p) => ({ ...n, [p.kind]: (n[p.kind] ?? 0) + 1 }), {});
  assert.ok(kinds.mislabeled! >= 15);
  for (const kind of ['near-identical', 'verbosity-only', 'contradictory-duplicate', 'refusal-preferred', 'refusal-dispreferred']) assert.ok(kinds[kind]! >= 1, kind);
  // nothing in the rows gives the mislabels away: no score or rating fields at all
  assert.deepEqual(Object.keys(pairs[0]!.attributes).sort(), ['category', 'split', 'uid']);
});

test('npm run models: policy beats the reference on the held-out split, byte-identical on a rebuild, scored by the real engine', async () => {
  const first = await buildModels(join(dir, 'a'), () => undefined);
  assert.ok(first.heldoutRewardAccuracy >= 0.75, `held-out reward accuracy ${first.heldoutRewardAccuracy}`);
  const second = await buildModels(join(dir, 'b'), () => undefined);
  assert.deepEqual(files(second.dir), files(first.dir), 'two builds are byte-identical');
  const checkpoints = readdirSync(join(first.dir, 'checkpoints'));
  assert.ok(checkpoints.length >= 3);
  for (const model of ['reference', 'policy', ...checkpoints.map((c) => `checkpoints/${c}`)]) {
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) statSync(join(first.dir, model, f));
  }
  // the ONNX exports through preflens's engine give the same held-out accuracy as training measured
  const engine = new ScoringEngine();
  const records: ScoreRecord[] = [];
  const params = { dataset: SAMPLE, policy: join(first.dir, 'policy'), reference: join(first.dir, 'reference'), beta: 0.1, maxLength: 512, device: 'cpu' as const, tokenBudget: 4096, cacheDir: join(dir, 'cache'), tokens: true };
  const result = await engine.run(params, { onRecords: (r) => void records.push(...r) });
  // metrics and suspicions from the scores, with the checkpoints as an ensemble and the held-out split for confident learning
  const analysis = await analyzeScores(engine, { records, params, checkpoints: checkpoints.map((c) => join(first.dir, 'checkpoints', c)), outOfSample: 'split=heldout' }, () => undefined);
  await engine.close();
  assert.ok(analysis.confidentLearning.informative, 'confident learning runs on the held-out split');
  assert.ok(analysis.confidentLearning.flipRate! > 0 && analysis.confidentLearning.flipRate! < 0.5, `flip-rate estimate ${analysis.confidentLearning.flipRate}`);
  assert.equal(analysis.trajectories?.checkpoints.length, checkpoints.length);
  assert.ok(analysis.metrics.every((m) => m.ensemble_mean !== null && Number.isFinite(m.ensemble_mean)), 'a trajectory for every pair');
  const key = JSON.parse(readFileSync('examples/sample/planted-problems.json', 'utf8')) as { problems: { id: string; kind: string }[] };
  const flagged = new Map(analysis.metrics.map((m) => [m.id, m.suspicions.map((s) => s.reason)]));
  const reasonsOf = (kind: string) => key.problems.filter((p) => p.kind === kind).map((p) => flagged.get(p.id) ?? []);
  for (const reasons of reasonsOf('near-identical')) assert.ok(reasons.some((r) => r === 'near-identical' || r === 'format-only'), `near-identical: ${reasons}`);
  for (const reasons of reasonsOf('contradictory-duplicate')) assert.ok(reasons.includes('contradictory-duplicate'));
  const mislabeled = reasonsOf('mislabeled');
  const caught = mislabeled.filter((r) => r.length > 0).length;
  assert.ok(caught >= 0.75 * mislabeled.length, `${caught} of ${mislabeled.length} mislabeled pairs have a suspicion`);
  assert.equal(result.invalid, 0);
  const rows = readFileSync(SAMPLE, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { split: string });
  const held = records.filter((r) => rows[r.index]!.split === 'heldout');
  const accuracy = held.filter((r) => r.margin! > 0).length / held.length;
  assert.ok(Math.abs(accuracy - first.heldoutRewardAccuracy) < 1e-9, `engine ${accuracy} vs training ${first.heldoutRewardAccuracy}`);
  assert.ok(held.every((r) => Number.isFinite(r.ches)), 'the models expose a final hidden state (CHES)');
});
