// Journey: a live counterfactual in real VS Code (code-server). From the pair detail, open the
// pair as a scratch document, add a sentence to the rejected response, and watch the panel show
// the new margin, what was recomputed and the diff; write the version back into the dataset (an
// undoable edit), save, and find the re-scored margin equal to the counterfactual's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { findWebviewFrame, runCommand, screenshot } from './harness';
import { goldenWorkspace, openDatasetWorkbench, until } from './journeySupport';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});


test('edit a response in a scratch document: the panel re-scores it live, and the version can be written back', async () => {
  const { workspace, datasetPath } = goldenWorkspace('preflens-cf-ws-', { 'files.autoSave': 'off' });
  const page = await openDatasetWorkbench(workspace, cleanups);
  await runCommand(page, 'PrefLens: Score Dataset');
  const frame = await findWebviewFrame(page, async (f) => (await f.locator('#scores').count()) > 0, 60_000);
  await frame.waitForSelector('#score-status[data-state="done"]', { timeout: 120_000 });
  // pair 1 (line 1): open it, then edit it as a counterfactual
  await frame.locator('vscode-tab-header', { hasText: 'Pairs' }).click();
  await frame.locator('#pair-table .pl-tr[data-index="0"]').click();
  await frame.waitForSelector('#pair-detail[aria-label="pair 1"] .pl-token', { timeout: 60_000 });
  await frame.locator('#pair-detail vscode-button', { hasText: 'Edit as counterfactual' }).click();
  await page.locator('.tabs-container .tab', { hasText: 'pair-1.txt' }).waitFor({ timeout: 30_000 });
  await frame.waitForSelector('#counterfactual');

  // append a sentence to the rejected response (the scratch document ends with it)
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(' I am not sure about any of this.');
  await frame.waitForSelector('#counterfactual-margin', { timeout: 60_000 });
  // typing produces intermediate versions (debounced); wait for the one with the whole sentence
  await until('the finished edit scored', async () => /any of this\.\s*$/.test((await frame.locator('#counterfactual ins').allTextContents()).join('')));
  const marginText = (await frame.locator('#counterfactual-margin').textContent()) ?? '';
  assert.match(marginText, /recomputed: rejected from token \d+/, marginText);
  assert.doesNotMatch(marginText, /chosen from/, 'only the edited side was recomputed');
  assert.match((await frame.locator('#counterfactual ins').allTextContents()).join(''), /I am not sure about any of this\./);
  const cfMargin = Number(await frame.locator('#counterfactual-margin').getAttribute('data-margin'));
  await frame.locator('#counterfactual').scrollIntoViewIfNeeded();
  await screenshot(page, 'counterfactual-edit');

  // write the latest version back into the dataset: one undoable edit of line 1, then save
  await frame.locator('#counterfactual tr[aria-selected="true"] vscode-button', { hasText: 'Write to dataset' }).click();
  await page.locator('.tabs-container .tab.dirty', { hasText: 'pairs.jsonl' }).waitFor({ timeout: 30_000 });
  await page.locator('.tabs-container .tab', { hasText: 'pairs.jsonl' }).first().click();
  await page.keyboard.press('Control+S');
  await until('the edited line on disk', async () => readFileSync(datasetPath, 'utf8').split('\n')[0]!.includes('I am not sure about any of this.'));
  // the saved file is re-scored; pair 1's margin equals the counterfactual's
  await until('pair 1 re-scored', async () => {
    const cell = await frame.locator('#pair-table .pl-tr[data-index="0"] .pl-col-margin').textContent();
    return cell !== null && Math.abs(Number(cell) - cfMargin) < 1.5e-3;
  }, 120_000);
  await screenshot(page, 'counterfactual-written');
});
