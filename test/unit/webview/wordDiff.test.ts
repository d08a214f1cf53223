// The counterfactual diff: words removed and added, the rest kept; concatenations give back both texts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wordDiff } from '../../../webview/state/wordDiff';

const join = (parts: ReturnType<typeof wordDiff>, keep: 'added' | 'removed') => parts.filter((p) => p.kind !== keep).map((p) => p.text).join('');

test('a deleted sentence and a reworded claim', () => {
  const before = 'Boil the eggs for nine minutes. Add salt to the water. Peel under running water.';
  const after = 'Boil the eggs for ten minutes. Peel under running water.';
  const parts = wordDiff(before, after);
  assert.equal(join(parts, 'added'), before);
  assert.equal(join(parts, 'removed'), after);
  assert.deepEqual(parts.filter((p) => p.kind === 'removed').map((p) => p.text.trim()), ['nine', 'Add salt to the water.']);
  assert.deepEqual(parts.filter((p) => p.kind === 'added').map((p) => p.text.trim()), ['ten']);
});

test('identical and empty texts', () => {
  assert.deepEqual(wordDiff('same text', 'same text'), [{ kind: 'same', text: 'same text' }]);
  assert.deepEqual(wordDiff('', 'new'), [{ kind: 'added', text: 'new' }]);
  assert.deepEqual(wordDiff('old', ''), [{ kind: 'removed', text: 'old' }]);
});
