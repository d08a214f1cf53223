// The engine against numbers produced by TRL 1.13 itself (test/fixtures/trl-golden): summed
// log-probs within 1e-3 (TRL's own float32 run lands within 4e-4), token counts and ids exact,
// per-token log-probs within 1e-4, CHES within 1e-4 relative; with and without prompt sharing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Dataset } from '../../native/data/dataset';
import { ModelRunner } from '../../native/engine/modelRunner';
import { scorePairs, type ScoreRecord } from '../../native/engine/scorePairs';
import { loadModelTokenizer, type ModelTokenizer } from '../../native/engine/tokenize/modelTokenizer';

const G = 'test/fixtures/trl-golden';
const cacheDir = mkdtempSync(join(tmpdir(), 'preflens-golden-'));
let tokenizer: ModelTokenizer;
let policy: ModelRunner;
let reference: ModelRunner;

interface Expected {
  index: number; chosen_tokens: number; rejected_tokens: number; chosen_logps: number; rejected_logps: number; ref_chosen_logps: number; ref_rejected_logps: number;
  chosen_reward: number; rejected_reward: number; margin: number; ches: number; ches_ln: number; ches_pn: number; ches_pp: number;
  chosen_ids: number[]; rejected_ids: number[]; prompt_ids: number[]; chosen_token_logps: number[]; rejected_token_logps: number[]; ref_chosen_token_logps: number[]; ref_rejected_token_logps: number[];
}

before(async () => {
  tokenizer = await loadModelTokenizer(`${G}/models/policy`);
  policy = await ModelRunner.open(`${G}/models/policy`, { cacheDir, device: 'cpu' });
  reference = await ModelRunner.open(`${G}/models/reference`, { cacheDir, device: 'cpu' });
});
after(async () => {
  await policy?.close();
  await reference?.close();
});

async function score(name: string, promptSharing: 'always' | 'off'): Promise<ScoreRecord[]> {
  const dataset = await Dataset.open(`${G}/datasets/${name}.jsonl`, { cacheDir });
  try {
    return await scorePairs(await dataset.readPairs(0, dataset.rowCount), { tokenizer, policy, reference }, { beta: 0.1, maxLength: 512, tokens: true, promptSharing });
  } finally {
    await dataset.close();
  }
}

function maxDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return Math.max(0, ...a.map((x, i) => Math.abs(x - b[i]!)));
}

for (const name of ['trl_strings', 'trl_chat', 'hh_style', 'ultrafeedback_style']) {
  for (const sharing of ['off', 'always'] as const) {
    test(`${name} (prompt sharing ${sharing}) matches TRL`, async () => {
      const expected = readFileSync(`${G}/expected/${name}.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Expected);
      const records = await score(name, sharing);
      assert.equal(records.length, expected.length);
      for (const e of expected) {
        const r = records[e.index]!;
        const at = `${name}[${e.index}]`;
        assert.equal(r.status, 'ok', `${at}: ${r.error}`);
        assert.equal(r.index, e.index);
        assert.deepEqual([r.chosen_tokens, r.rejected_tokens], [e.chosen_tokens, e.rejected_tokens], at);
        // TRL's scored ids are completion ids (the first completion token has a predecessor here)
        assert.deepEqual(r.chosen_token_ids, e.chosen_ids, `${at} chosen ids`);
        assert.deepEqual(r.rejected_token_ids, e.rejected_ids, `${at} rejected ids`);
        for (const f of ['chosen_logps', 'rejected_logps', 'ref_chosen_logps', 'ref_rejected_logps', 'chosen_reward', 'rejected_reward', 'margin'] as const) {
          assert.ok(Math.abs(r[f]! - e[f]) <= 1e-3, `${at} ${f}: ${r[f]} vs ${e[f]}`);
        }
        assert.ok(maxDiff(r.chosen_token_logps!, e.chosen_token_logps) <= 1e-4, `${at} chosen per-token`);
        assert.ok(maxDiff(r.rejected_token_logps!, e.rejected_token_logps) <= 1e-4, `${at} rejected per-token`);
        assert.ok(maxDiff(r.ref_chosen_token_logps!, e.ref_chosen_token_logps) <= 1e-4, `${at} ref chosen per-token`);
        assert.ok(maxDiff(r.ref_rejected_token_logps!, e.ref_rejected_token_logps) <= 1e-4, `${at} ref rejected per-token`);
        const scale = Math.max(1, Math.abs(e.ches_pn) + Math.abs(e.ches_pp));
        assert.ok(Math.abs(r.ches! - e.ches) / scale <= 1e-4, `${at} ches ${r.ches} vs ${e.ches}`);
        const scaleLn = Math.max(1, Math.abs(e.ches_pn / (e.chosen_tokens * e.rejected_tokens)) + Math.abs(e.ches_pp / (e.chosen_tokens * e.chosen_tokens)));
        assert.ok(Math.abs(r.ches_ln! - e.ches_ln) / scaleLn <= 1e-4, `${at} ches_ln`);
      }
    });
  }
}

test('a pair scores the same alone, inside a padded batch and with a shared prompt', async () => {
  const dataset = await Dataset.open(`${G}/datasets/trl_strings.jsonl`, { cacheDir });
  const all = await dataset.readPairs(0, dataset.rowCount);
  await dataset.close();
  const long = 6; // the 339-token response: maximum padding for the others
  const alone = await scorePairs([all[0]!], { tokenizer, policy, reference }, { beta: 0.1, maxLength: 512, tokens: true, promptSharing: 'off' });
  const batched = await scorePairs([all[long]!, all[0]!, all[3]!], { tokenizer, policy, reference }, { beta: 0.1, maxLength: 512, tokens: true, promptSharing: 'off', tokenBudget: 100_000 });
  const shared = await scorePairs([all[0]!], { tokenizer, policy, reference }, { beta: 0.1, maxLength: 512, tokens: true, promptSharing: 'always' });
  for (const other of [batched[1]!, shared[0]!]) {
    assert.ok(maxDiff(other.chosen_token_logps!, alone[0]!.chosen_token_logps!) <= 1e-4);
    assert.ok(maxDiff(other.ref_rejected_token_logps!, alone[0]!.ref_rejected_token_logps!) <= 1e-4);
    assert.ok(Math.abs(other.ches! - alone[0]!.ches!) <= 1e-4 * Math.max(1, Math.abs(alone[0]!.ches!)));
  }
});
