// Prompt extraction and schema handling checked against what TRL itself produced for the four
// golden datasets (test/fixtures/trl-golden, copied from ../shared/fixtures/trl-golden).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Dataset } from '../../../native/data/dataset';
import { extractStringPrompt, extractMessagesPrompt } from '../../../native/data/promptExtraction';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GOLDEN = 'test/fixtures/trl-golden';
const EOS = '<|im_end|>';
const cacheDir = mkdtempSync(join(tmpdir(), 'preflens-cache-'));

interface Expected { index: number; kind: string; trl_prompt: unknown; trl_chosen: unknown; trl_rejected: unknown }
const expected = (name: string): Expected[] => readFileSync(`${GOLDEN}/expected/${name}.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Expected);
// TRL appends the EOS text to string completions (unless present); that is the engine's job, so strip it here.
const stripEos = (v: unknown): unknown => (typeof v === 'string' && v.endsWith(EOS) ? v.slice(0, -EOS.length) : v);

for (const name of ['trl_strings', 'trl_chat', 'hh_style', 'ultrafeedback_style']) {
  test(`${name}: prompt, chosen and rejected equal TRL's processed rows`, async () => {
    const dataset = await Dataset.open(`${GOLDEN}/datasets/${name}.jsonl`, { cacheDir });
    try {
      const pairs = await dataset.readPairs(0, dataset.rowCount);
      const want = expected(name);
      assert.equal(pairs.length, want.length);
      for (const [i, result] of pairs.entries()) {
        assert.ok(result.ok, `row ${i} failed: ${!result.ok ? result.issue.message : ''}`);
        const w = want[i]!;
        assert.deepEqual(result.pair.prompt, w.trl_prompt, `${name}[${i}] prompt`);
        // the golden chosen of row 4 in trl_strings already ends with EOS in the source, and TRL does not add another
        const chosen = name === 'trl_strings' && i === 4 ? w.trl_chosen : stripEos(w.trl_chosen);
        assert.deepEqual(result.pair.chosen, chosen, `${name}[${i}] chosen`);
        assert.deepEqual(result.pair.rejected, stripEos(w.trl_rejected), `${name}[${i}] rejected`);
        assert.equal(result.pair.kind, w.kind, `${name}[${i}] kind`);
        assert.equal(result.pair.index, i);
        assert.equal(result.pair.line, i + 1);
      }
    } finally {
      await dataset.close();
    }
  });
}

test('space rule: the space before the first difference goes with the completions', () => {
  assert.deepEqual(extractStringPrompt('Q? A: It is red', 'Q? A: It was blue'), { prompt: 'Q? A: It', chosen: ' is red', rejected: ' was blue' });
});

test('quirk kept: one side a prefix of the other drops the last shared character', () => {
  assert.deepEqual(extractStringPrompt('Say: Sayonara. In casual', 'Say: Sayonara'), { prompt: 'Say: Sayonar', chosen: 'a. In casual', rejected: 'a' });
});

test('quirk kept: a difference at index 0 with chosen ending in a space (Python chosen[-1])', () => {
  // Python: idx becomes -1, so chosen[:-1], chosen[-1:], rejected[-1:] (the LAST character of rejected)
  assert.deepEqual(extractStringPrompt('abc ', 'xyz'), { prompt: 'abc', chosen: ' ', rejected: 'z' });
  assert.deepEqual(extractStringPrompt('ab ', 'wxyz'), { prompt: 'ab', chosen: ' ', rejected: 'z' });
});

test('code points, not UTF-16 units: a shared emoji prefix stays whole', () => {
  const r = extractStringPrompt('👋 hi there', '👋 hello');
  assert.equal(r.prompt, '👋 h');
  assert.equal(r.chosen, 'i there');
  const split = extractStringPrompt('x😀', 'x😃'); // the two emoji share a high surrogate
  assert.equal(split.prompt, 'x');
});

test('message lists split at the first differing message', () => {
  const user = { role: 'user', content: 'hi' };
  const r = extractMessagesPrompt([user, { role: 'assistant', content: 'a' }], [user, { role: 'assistant', content: 'b' }]);
  assert.deepEqual(r.prompt, [user]);
  assert.deepEqual(r.chosen, [{ role: 'assistant', content: 'a' }]);
});
