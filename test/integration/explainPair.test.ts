// One pair explained token by token (pair detail, counterfactuals) against the numbers TRL
// itself produced (test/fixtures/trl-golden): token log-probs, token rewards summing to the
// implicit reward, sentence segments summing to it exactly, spans tiling the completion, and an
// edit of one side recomputing that side only and matching a fresh score of the edited pair.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ScoringEngine } from '../../native/engine/scoringEngine';
import type { ScoreRecord } from '../../native/engine/scorePairs';
import { isPairExplanation } from '../../native/protocol/explainProtocol';

const G = 'test/fixtures/trl-golden';
const dir = mkdtempSync(join(tmpdir(), 'preflens-explain-'));
const engine = new ScoringEngine();
after(() => engine.close());

const base = { policy: `${G}/models/policy`, reference: `${G}/models/reference`, beta: 0.1, maxLength: 512, device: 'cpu' as const, cacheDir: join(dir, 'cache') };

interface Expected { chosen_logps: number; rejected_logps: number; ref_chosen_logps: number; chosen_reward: number; rejected_reward: number; chosen_token_logps: number[]; chosen_ids: number[] }

test('the explanation matches TRL per token and its rewards add up exactly', async () => {
  for (const name of ['trl_chat', 'hh_style']) {
    const expected = readFileSync(`${G}/expected/${name}.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Expected);
    const x = await engine.explain({ ...base, dataset: `${G}/datasets/${name}.jsonl`, index: 0 });
    assert.ok(isPairExplanation(x), 'passes the protocol guard');
    const want = expected[0]!;
    const c = x.chosen!;
    assert.deepEqual(c.tokens.ids, want.chosen_ids);
    c.tokens.policyLogp.forEach((v, t) => assert.ok(Math.abs(v - want.chosen_token_logps[t]!) <= 1e-4, `${name} token ${t}`));
    assert.ok(Math.abs(c.logps - want.chosen_logps) <= 1e-3);
    assert.ok(Math.abs(c.reward - want.chosen_reward) <= 1e-4, `${c.reward} vs ${want.chosen_reward}`);
    assert.ok(Math.abs(x.rejected!.reward - want.rejected_reward) <= 1e-4);
    for (const side of [x.chosen!, x.rejected!]) {
      const tokenSum = side.tokens.reward.reduce((a, b) => a + b, 0);
      const segmentSum = side.segments.reduce((a, s) => a + s.reward, 0);
      assert.ok(Math.abs(segmentSum - tokenSum) <= 1e-12, 'segment rewards sum to the response reward');
      assert.ok(side.segments.length >= 1);
      // spans tile the decoded completion, so the text under the tokens is the completion
      assert.equal(side.tokens.text.join(''), side.text);
      side.tokens.start.forEach((s, t) => assert.equal(s, t === 0 ? 0 : side.tokens.end[t - 1]));
      assert.ok(side.tokens.alternatives.every((a) => a.length === 3));
    }
    assert.ok(x.firstDivergence >= 0);
  }
});

test('an edit re-scores the edited side only and equals a fresh score of the edited pair', async () => {
  const rows = readFileSync(`${G}/datasets/trl_chat.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const original = await engine.explain({ ...base, dataset: `${G}/datasets/trl_chat.jsonl`, index: 1 });
  const sentences = original.rejected!.segments;
  const worst = sentences.reduce((a, b) => (b.reward < a.reward ? b : a));
  const editedText = original.rejectedEditable.replace(worst.text.trim(), '').replace(/\s{2,}/g, ' ').trim() || 'OK.';
  const edited = await engine.explain({ ...base, dataset: `${G}/datasets/trl_chat.jsonl`, index: 1, edits: { rejected: editedText }, sides: ['rejected'] });
  assert.equal(edited.chosen, null, 'the chosen side was not recomputed');
  assert.equal(edited.rejectedEditable, editedText);

  // a fresh score of a dataset holding the edited pair
  const row = structuredClone(rows[1]!) as { rejected: { role: string; content: string }[] };
  row.rejected[row.rejected.length - 1]!.content = editedText;
  writeFileSync(join(dir, 'edited.jsonl'), `${JSON.stringify(row)}\n`);
  const records: ScoreRecord[] = [];
  await engine.run({ ...base, dataset: join(dir, 'edited.jsonl'), tokenBudget: 4096 }, { onRecords: (r) => void records.push(...r) });
  const fresh = records[0]!;
  assert.ok(Math.abs(edited.rejected!.reward - fresh.rejected_reward!) <= 1e-4, `${edited.rejected!.reward} vs ${fresh.rejected_reward}`);
  const margin = original.chosen!.reward - edited.rejected!.reward;
  assert.ok(Math.abs(margin - fresh.margin!) <= 1e-4, `margin ${margin} vs ${fresh.margin}`);
});

test('a second edit of the same side reuses the unchanged prefix through the KV cache and matches a fresh run', async () => {
  const dataset = `${G}/datasets/trl_chat.jsonl`;
  await engine.explain({ ...base, dataset, index: 0, edits: { chosen: 'The blue whale is the largest animal in the ocean, by far.' }, sides: ['chosen'] });
  const second = await engine.explain({ ...base, dataset, index: 0, edits: { chosen: 'The blue whale is the largest animal in the ocean, by far the heaviest.' }, sides: ['chosen'] });
  const from = second.recomputedFrom?.chosen ?? 0;
  assert.ok(from > 5, `recomputed only from token ${from}`);
  const fresh = new ScoringEngine();
  try {
    const want = await fresh.explain({ ...base, dataset, index: 0, edits: { chosen: 'The blue whale is the largest animal in the ocean, by far the heaviest.' }, sides: ['chosen'] });
    assert.equal(want.recomputedFrom?.chosen, 0);
    assert.deepEqual(second.chosen!.tokens.ids, want.chosen!.tokens.ids);
    second.chosen!.tokens.policyLogp.forEach((v, t) => assert.ok(Math.abs(v - want.chosen!.tokens.policyLogp[t]!) <= 1e-4, `policy token ${t}`));
    second.chosen!.tokens.refLogp.forEach((v, t) => assert.ok(Math.abs(v - want.chosen!.tokens.refLogp[t]!) <= 1e-4, `reference token ${t}`));
    assert.ok(Math.abs(second.chosen!.reward - want.chosen!.reward) <= 1e-4);
  } finally {
    await fresh.close();
  }
});
