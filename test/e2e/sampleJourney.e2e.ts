// Journey on the embedded default, in real VS Code (code-server): open the sample dataset, score
// it with the embedded models (policy, reference and three checkpoints), click the most negative
// margin in the scatter, read the pair's token rewards, flag it; overview, detail, factors and
// checkpoints in the dark theme, then the same views after switching to the light theme.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { buildModels, MODELS, SAMPLE } from '../../examples/buildModels';
import { findWebviewFrame, runCommand, screenshot, type Frame, type Page } from './harness';
import { openDatasetWorkbench } from './journeySupport';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function settings(theme: string): string {
  return JSON.stringify({
    'workbench.colorTheme': theme,
    'preflens.policyModel': 'models/policy',
    'preflens.referenceModel': 'models/reference',
    'preflens.checkpoints': ['models/checkpoints/policy-epoch-02', 'models/checkpoints/policy-epoch-03', 'models/checkpoints/policy-epoch-04'],
    'preflens.outOfSample': 'split=heldout',
    'preflens.maxLength': 512,
    'preflens.device': 'cpu',
  }, null, 2);
}

async function views(page: Page, frame: Frame, theme: string): Promise<void> {
  await frame.locator('vscode-tab-header', { hasText: 'Overview' }).click();
  await frame.locator('#overview canvas').scrollIntoViewIfNeeded();
  await screenshot(page, `sample-overview-${theme}`);
  await frame.locator('#pair-detail').scrollIntoViewIfNeeded();
  await screenshot(page, `sample-detail-${theme}`);
  await frame.locator('vscode-tab-header', { hasText: 'Factors' }).click();
  await frame.waitForSelector('#factors svg', { timeout: 120_000 });
  await frame.locator('#factors').scrollIntoViewIfNeeded();
  await screenshot(page, `sample-factors-${theme}`);
  await frame.locator('vscode-tab-header', { hasText: 'Checkpoints' }).click();
  await frame.waitForSelector('#checkpoints svg');
  await frame.locator('#checkpoints').scrollIntoViewIfNeeded();
  await screenshot(page, `sample-checkpoints-${theme}`);
}

test('the sample, scored with the embedded models: scatter -> worst pair -> token rewards -> flag, in dark and light', async () => {
  if (!existsSync(join(MODELS, 'policy', 'onnx', 'model.onnx'))) await buildModels(MODELS, () => undefined);
  const workspace = mkdtempSync(join(tmpdir(), 'preflens-sample-ws-'));
  cpSync(SAMPLE, join(workspace, 'pairs.jsonl'));
  for (const part of ['policy', 'reference', 'checkpoints']) cpSync(resolve(MODELS, part), join(workspace, 'models', part), { recursive: true });
  mkdirSync(join(workspace, '.vscode'));
  writeFileSync(join(workspace, '.vscode', 'settings.json'), settings('Default Dark Modern'));
  const page = await openDatasetWorkbench(workspace, cleanups);
  await runCommand(page, 'PrefLens: Score Dataset');
  const frame = await findWebviewFrame(page, async (f) => (await f.locator('#scores').count()) > 0, 60_000);
  await frame.waitForSelector('#score-status[data-state="done"]', { timeout: 300_000 });
  assert.equal(await frame.locator('#scored-count').getAttribute('data-count'), '328');
  await frame.waitForSelector('#review-list');
  await frame.waitForSelector('#overview canvas');

  // the most negative margin, clicked where the scatter drew it
  const [worst, point] = (await frame.evaluate('(() => { const b = window.preflensBench; const m = b.store.columns.margin; let k = 0; for (let i = 1; i < m.length; i++) if (m[i] < m[k]) k = i; return [k, b.scatterPoint(k)]; })()')) as [number, [number, number]];
  assert.ok(point, 'the worst pair is drawn in the scatter');
  await frame.locator('.pl-scatter-overlay').scrollIntoViewIfNeeded();
  await frame.locator('.pl-scatter-overlay').click({ position: { x: point[0], y: point[1] } });
  await frame.waitForSelector(`#pair-detail[aria-label="pair ${worst + 1}"] .pl-token`, { timeout: 120_000 });
  const tokens = await frame.locator('#pair-detail .pl-token').count();
  assert.ok(tokens > 20, `${tokens} coloured tokens`);
  const margin = Number(/margin (-?\d+\.\d+)/.exec((await frame.locator('#pair-detail .pl-metrics').textContent()) ?? '')?.[1]);
  assert.ok(margin < 0, `the worst pair has a negative margin (${margin})`);
  await frame.locator('#pair-detail vscode-button', { hasText: 'Flag noisy' }).click();
  await frame.waitForSelector('#pair-detail .pl-flag-state:text("flag: noisy")', { timeout: 30_000 });
  assert.match(readFileSync(join(workspace, 'pairs.jsonl.preflens-flags.json'), 'utf8'), /"noisy"/);
  await views(page, frame, 'dark');

  writeFileSync(join(workspace, '.vscode', 'settings.json'), settings('Default Light Modern'));
  await page.locator('.monaco-workbench.vs').waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
  await views(page, frame, 'light');
});
