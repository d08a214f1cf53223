// Argilla export: record and settings shapes (Argilla 2.x `rg.Record` / `rg.Suggestion` keyword
// arguments, `rg.Settings.serialize()` layout), the suggestion rule, and untrusted text kept verbatim.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLAG_VALUES, type FlagValue } from '../../../native/data/flagsStore';
import { suggestLabel, toArgillaRecords, turnsPlainText, type ArgillaPair, type ArgillaScoreInput } from '../../../native/interop/argillaExport';

const pair = (id: string, chosen = `chosen ${id}`, rejected = `rejected ${id}`, prompt: ArgillaPair['prompt'] = `prompt ${id}`): ArgillaPair => ({ id, prompt, chosen, rejected });
const scored = (index: number, extra: Partial<ArgillaScoreInput> = {}): ArgillaScoreInput => ({
  index, status: 'ok', margin: 0.5, chosen_reward: 0.2, rejected_reward: -0.3, review_score: 0, review_rank: null, suspicions: [], ...extra,
});
const sus = (reason: string, strength: number) => ({ reason, evidence: `because ${reason}`, strength });

test('records: id, fields, metadata and one preflens suggestion each, as JSONL', () => {
  const pairs = [pair('aaaa'), pair('bbbb'), pair('cccc')];
  const records = [
    scored(1, { margin: -2, review_score: 4, review_rank: 1, suspicions: [sus('policy-prefers-rejected', 3), sus('reference-prefers-rejected', 0.5)], ches_ln: 0.25 }),
    scored(0),
    scored(2, { review_score: 2, review_rank: 2, suspicions: [sus('near-identical', 1), sus('policy-prefers-rejected', 0.5)] }),
  ];
  const out = toArgillaRecords(records, pairs);
  const lines = out.jsonl.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines, out.records);
  assert.deepEqual(out.records.map((r) => r.id), ['aaaa-0', 'bbbb-1', 'cccc-2']);
  const [clean, swap, drop] = out.records as [typeof out.records[0], typeof out.records[0], typeof out.records[0]];
  assert.deepEqual(clean.fields, { chosen: 'chosen aaaa', rejected: 'rejected aaaa', prompt: 'prompt aaaa' });
  assert.deepEqual(clean.metadata, { index: 0, pair_id: 'aaaa', margin: 0.5, chosen_reward: 0.2, rejected_reward: -0.3, review_score: 0 });
  assert.deepEqual(clean.suggestions, [{ question_name: 'label', value: 'keep', score: 1, agent: 'preflens', type: 'model' }]);
  assert.deepEqual(swap.metadata, { index: 1, pair_id: 'bbbb', margin: -2, chosen_reward: 0.2, rejected_reward: -0.3, review_score: 4, ches_ln: 0.25, review_rank: 1, suspicion_reasons: ['policy-prefers-rejected', 'reference-prefers-rejected'] });
  assert.deepEqual(swap.suggestions, [{ question_name: 'label', value: 'swap', score: 1, agent: 'preflens', type: 'model' }]);
  assert.equal(swap.fields.evidence, 'policy-prefers-rejected: because policy-prefers-rejected\nreference-prefers-rejected: because reference-prefers-rejected');
  assert.deepEqual(drop.suggestions[0], { question_name: 'label', value: 'drop', score: 0.5, agent: 'preflens', type: 'model' });
  assert.deepEqual(out.suggested, { keep: 1, swap: 1, drop: 1 });
  assert.deepEqual(out.skipped, []);
});

test('the suggestion rule: flags first, then no-preference -> drop, label evidence -> swap, else keep', () => {
  const rule = (suspicions: ReturnType<typeof sus>[], flag?: FlagValue, status = 'ok') => suggestLabel(scored(0, { suspicions, review_score: 3, status }), flag, 6);
  assert.deepEqual([rule([], 'swap'), rule([], 'drop'), rule([], 'ok'), rule([], 'noisy')].map((s) => [s?.value, s?.score, s?.type]), [
    ['swap', 1, 'human'], ['drop', 1, 'human'], ['keep', 1, 'human'], ['drop', 1, 'human'],
  ]);
  assert.equal(rule([sus('policy-prefers-rejected', 4)], 'ok')?.value, 'keep', 'a person\'s flag wins over the model');
  for (const reason of ['identical-responses', 'token-identical', 'format-only', 'near-identical']) assert.equal(rule([sus('policy-prefers-rejected', 4), sus(reason, 1)])?.value, 'drop', reason);
  assert.equal(rule([sus('policy-prefers-rejected', 1)])?.value, 'swap');
  assert.equal(rule([sus('policy-prefers-rejected', 0.6)])?.value, 'keep', 'weakly below zero is not a strong preference');
  assert.equal(rule([sus('contradictory-duplicate', 2)])?.value, 'swap');
  assert.equal(rule([sus('contradictory-duplicate', 0.5)])?.value, 'keep', 'the twin the policy agrees with');
  assert.equal(rule([sus('scores-contradict-label', 1.5)])?.value, 'swap');
  assert.equal(rule([sus('confident-learning', 1)])?.value, 'swap');
  for (const reason of ['length-only', 'reference-prefers-rejected', 'ensemble-prefers-rejected']) assert.equal(rule([sus(reason, 1)])?.value, 'keep', reason);
  assert.equal(rule([sus('policy-prefers-rejected', 2)])?.score, 0.5, 'review score 3 of at most 6');
  assert.equal(rule([sus('length-only', 1)])?.score, 0.5, 'keep gets 1 - s');
  assert.equal(rule([], undefined, 'invalid'), undefined, 'no model suggestion for an unscored pair');
  assert.equal(suggestLabel(scored(0, { review_score: 5 }), undefined, 0)?.score, 1, 'no positive review score: s = 0');
});

test('settings: the rg.Settings.serialize() layout, covering every metadata key the records use', () => {
  const out = toArgillaRecords([scored(0, { review_rank: 1, suspicions: [sus('policy-prefers-rejected', 2), sus('a-future-reason', 1)] })], [pair('aaaa')], { flags: new Map([['aaaa', { flag: 'noisy' as const }]]) });
  const settings = JSON.parse(out.settingsJson) as {
    fields: { name: string; type: string; required: boolean; settings: { type: string; use_markdown: boolean } }[];
    questions: { name: string; required: boolean; settings: { type: string; options?: { value: string; text: string }[]; visible_options?: number } }[];
    metadata: { name: string; type: string; settings: { type: string; values?: string[] | null } }[];
    vectors: unknown[]; guidelines: string; allow_extra_metadata: boolean;
  };
  assert.deepEqual(settings, JSON.parse(JSON.stringify(out.settings)));
  assert.deepEqual(settings.fields.map((f) => [f.name, f.type, f.settings.type, f.settings.use_markdown, f.required]), [
    ['prompt', 'text', 'text', false, false], ['chosen', 'text', 'text', false, true], ['rejected', 'text', 'text', false, true], ['evidence', 'text', 'text', false, false],
  ]);
  const label = settings.questions[0]!;
  assert.equal(label.name, 'label');
  assert.equal(label.required, true);
  assert.equal(label.settings.type, 'label_selection');
  assert.deepEqual(label.settings.options?.map((o) => o.value), ['keep', 'swap', 'drop']);
  assert.equal(settings.questions[1]!.required, false);
  assert.deepEqual(settings.vectors, []);
  assert.equal(settings.allow_extra_metadata, false);
  assert.match(settings.guidelines, /keep/);
  const meta = new Map(settings.metadata.map((m) => [m.name, m]));
  for (const m of settings.metadata) assert.equal(m.type, m.settings.type);
  assert.deepEqual([...meta.values()].map((m) => m.type).sort(), ['float', 'float', 'float', 'float', 'float', 'integer', 'integer', 'terms', 'terms', 'terms']);
  assert.deepEqual(meta.get('flag')!.settings.values, [...FLAG_VALUES]);
  assert.ok(meta.get('suspicion_reasons')!.settings.values!.includes('a-future-reason'), 'reasons seen in the data are allowed values');
  assert.ok(meta.get('suspicion_reasons')!.settings.values!.includes('contradictory-duplicate'));
  const record = out.records[0]!;
  for (const key of Object.keys(record.metadata)) assert.ok(meta.has(key), `metadata ${key} is declared`);
  for (const key of Object.keys(record.fields)) assert.ok(settings.fields.some((f) => f.name === key), `field ${key} is declared`);
  assert.equal(record.metadata.flag, 'noisy');
  assert.deepEqual(record.suggestions[0], { question_name: 'label', value: 'drop', score: 1, agent: 'preflens', type: 'human' });
});

test('untrusted text passes through verbatim: it is data, not markup', () => {
  const nasty = '<script>alert(1)</script> **bold** [x](javascript:alert(2)) {{ record.fields.prompt }} \u2028 "quotes" \\ \t na\u00efve \u65e5\u672c\n\nsecond paragraph';
  const out = toArgillaRecords([scored(0)], [pair('aaaa', nasty, '<img src=x onerror=alert(3)>', `Q: ${nasty}`)]);
  assert.equal(out.jsonl.split('\n').length, 2, 'one record, one line');
  const back = JSON.parse(out.jsonl) as { fields: Record<string, string> };
  assert.deepEqual(back.fields, { chosen: nasty, rejected: '<img src=x onerror=alert(3)>', prompt: `Q: ${nasty}` });
});

test('conversations, missing numbers, empty responses, duplicates and unreadable rows', () => {
  assert.equal(turnsPlainText([{ role: 'assistant', content: ' exact  text ' }]), ' exact  text ');
  assert.equal(turnsPlainText([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi?' }]), 'system:\nBe brief.\n\nuser:\nHi?');
  const pairs = new Map<number, ArgillaPair>([
    [0, pair('dup1', 'A', 'B', [{ role: 'user', content: 'Which?' }])],
    [1, pair('dup1', 'B', 'A', '')],
    [2, pair('empty', '', 'x')],
  ]);
  const out = toArgillaRecords([
    scored(0, { margin: Number.NaN, chosen_reward: null, rejected_reward: Number.POSITIVE_INFINITY, review_score: null }),
    scored(1, { status: 'invalid', error: 'too long', margin: null }),
    scored(2),
    scored(7),
  ], pairs);
  assert.deepEqual(out.records.map((r) => r.id), ['dup1-0', 'dup1-1'], 'contradictory duplicates share a pair id, not a record id');
  assert.deepEqual(out.records[0]!.metadata, { index: 0, pair_id: 'dup1' });
  assert.equal(out.records[0]!.fields.prompt, 'Which?');
  assert.ok(!('prompt' in out.records[1]!.fields), 'an empty prompt is left out');
  assert.deepEqual(out.records[1]!.suggestions, []);
  assert.deepEqual(out.skipped, [{ index: 2, reason: 'the chosen response is empty (Argilla requires it)' }, { index: 7, reason: 'the dataset has no readable pair at this row' }]);
});
