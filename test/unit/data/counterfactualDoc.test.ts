// The counterfactual scratch document round-trips any response text exactly and refuses a
// document whose markers were damaged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MARKERS, parseCounterfactual, renderCounterfactual } from '../../../native/data/counterfactualDoc';

test('render then parse gives back the texts, whatever they contain', () => {
  for (const texts of [
    { prompt: 'Q?', chosen: 'A.', rejected: 'B.' },
    { prompt: 'multi\nline', chosen: '\nleading newline and trailing\n', rejected: '' },
    { prompt: '', chosen: `${MARKERS.rejected} inside a line is fine`, rejected: '# not a comment\n\n' },
  ]) {
    const parsed = parseCounterfactual(renderCounterfactual('t', texts));
    assert.deepEqual(parsed, { ok: true, texts });
  }
});

test('an edit in one section changes only that section', () => {
  const doc = renderCounterfactual('t', { prompt: 'Q?', chosen: 'First. Second.', rejected: 'No.' });
  const parsed = parseCounterfactual(doc.replace('First. ', ''));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.texts, { prompt: 'Q?', chosen: 'Second.', rejected: 'No.' });
});

test('damaged or reordered markers are reported, not guessed', () => {
  const doc = renderCounterfactual('t', { prompt: 'Q', chosen: 'A', rejected: 'B' });
  for (const broken of [doc.replace(MARKERS.chosen, '== CHOSEN'), doc.replace(MARKERS.rejected, 'x')]) {
    const parsed = parseCounterfactual(broken);
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.problem, /marker lines must stay/);
  }
});
