// The panel's data requests over a real dataset file, scores and flags sidecar: typed-array
// columns indexed by row, paged previews, search, flags that persist, the detail's fallback when
// no model can run, and the factor rows.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PanelData } from '../../../extension/panel/panelData';
import { Dataset } from '../../../native/data/dataset';
import { FlagsStore } from '../../../native/data/flagsStore';
import type { AnalysisSummary, PairScore } from '../../../native/protocol/engineProtocol';
import { hostResultGuards } from '../../../native/protocol/webviewProtocol';

const dir = mkdtempSync(join(tmpdir(), 'preflens-panel-data-'));
const file = join(dir, 'pairs.jsonl');
const rows = Array.from({ length: 40 }, (_, i) => ({
  prompt: `Question ${i}: how do I boil an egg?`,
  chosen: i % 2 ? `Boil it for ${i} minutes, then cool it in cold water. Peel under running water.` : `Short answer ${i}.`,
  rejected: `I cannot help with ${i === 7 ? 'the needle' : 'that'}.`,
}));
writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\nnot json\n`);

function record(index: number, id: string, margin: number): PairScore {
  return { index, id, status: 'ok', error: null, chosen_tokens: 10 + index, rejected_tokens: 8, chosen_logps: -20, rejected_logps: -30, ref_chosen_logps: -21 + margin, ref_rejected_logps: -30, chosen_reward: 0.1, rejected_reward: 0, margin, ches: 1, ches_ln: 0.5 };
}

async function setup() {
  const dataset = await Dataset.open(file, { cacheDir: join(dir, 'cache') });
  const pairs = await dataset.readPairs(0, rows.length);
  const records = new Map(pairs.map((p, i) => [i, record(i, p.ok ? p.pair.id : '', i % 3 === 0 ? -1 : 1 + i / 10)]));
  const analysis: AnalysisSummary = {
    rewardAccuracy: 0.6, meanMargin: 0.5, displacementRate: 0.1, rankingAccuracy: 0.5, referenceRankingAccuracy: 0.5, alignmentGapPP: 1, suspicious: 1, confidentLearning: 'not run',
    review: [{ index: 3, id: 'x', score: 2, margin: -1, suspicions: [{ reason: 'policy-prefers-rejected', evidence: 'margin -1', strength: 2 }] }],
    columns: { index: [3, 4], reviewScore: [2, 0], displaced: [0, 0], policyRanksCorrectly: [1, 1], ensembleMean: [null, 0.5] },
    checkpoints: null,
  };
  const data = new PanelData({ dataset: async () => dataset, records: () => records, analysis: () => analysis, flags: new FlagsStore(file), explain: async () => 'No models configured.' });
  return { data, dataset };
}

test('columns are Float32Arrays indexed by row, NaN where not scored', async () => {
  const { data, dataset } = await setup();
  const c = await data.columns();
  assert.ok(hostResultGuards.getColumns(c));
  assert.equal(c.rows, 41);
  assert.ok(Math.abs(c.columns.margin[5]! - 1.5) < 1e-6);
  assert.ok(Number.isNaN(c.columns.margin[40]!), 'the invalid last row has no score');
  assert.equal(c.columns.review_score[3], 2);
  assert.equal(c.columns.ensemble_mean[4], 0.5);
  assert.equal(c.columns.chosen_tokens[2], 12);
  await dataset.close();
});

test('rows page previews in the order asked, invalid rows say why; search finds text', async () => {
  const { data, dataset } = await setup();
  const page = await data.rows([7, 5, 6, 40]);
  assert.deepEqual(page.map((r) => r.index), [7, 5, 6, 40]);
  assert.equal(page[0]!.line, 8);
  assert.match(page[0]!.rejected, /needle/);
  assert.ok(page[3]!.problem && /JSON/i.test(page[3]!.problem), page[3]!.problem ?? '');
  assert.deepEqual(await data.search('NEEDLE', 10), { indices: [7], truncated: false });
  assert.deepEqual(await data.search('egg', 3), { indices: [0, 1, 2], truncated: true });
  await dataset.close();
});

test('a flag is written to the sidecar, shows in the flag column and in the detail', async () => {
  const { data, dataset } = await setup();
  await data.setFlag(5, 'noisy', 'looks swapped');
  const sidecar = readFileSync(`${file}.preflens-flags.json`, 'utf8');
  assert.match(sidecar, /looks swapped/);
  const c = await data.columns();
  assert.equal(c.columns.flag[5], 2, 'noisy is code 2');
  const detail = await data.detail(5, new AbortController().signal);
  assert.ok(hostResultGuards.getPairDetail(detail));
  assert.equal(detail.flag, 'noisy');
  assert.equal(detail.explanation, null);
  assert.equal(detail.explainProblem, 'No models configured.');
  assert.match(detail.texts.chosen, /Boil it for 5 minutes/);
  await data.setFlag(5, null);
  assert.equal((await data.columns()).columns.flag[5], 0);
  await assert.rejects(data.setFlag(40, 'drop'), /not a valid pair/);
  await dataset.close();
});

test('the factor view and the rows a factor can decide', async () => {
  const { data, dataset } = await setup();
  const view = await data.factors();
  assert.ok(hostResultGuards.getFactors(view));
  assert.equal(view.state, 'ready');
  assert.ok(view.factors.length > 3);
  const rowsByLength = await data.factorRows(view.factors[0]!.name);
  assert.ok(rowsByLength.length > 0 && rowsByLength.every((i) => i < 40));
  await dataset.close();
});
