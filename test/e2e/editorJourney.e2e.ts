// Journey: the dataset file as the place where pairs are debugged, in real VS Code (code-server).
// Score, then: cursor -> panel and panel -> cursor; the hover; suspicious pairs in the Problems
// panel; a quick fix from the Problems panel flags a pair (sidecar and panel follow); the swap
// quick fix edits exactly one line and Undo restores the file byte for byte; a line edited on
// disk re-scores only that pair. Each step saves a screenshot.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { findWebviewFrame, focusFirstEditor, quickFixFromProblems, runCommand, screenshot, type Frame, type Page } from './harness';
import { goldenWorkspace, openDatasetWorkbench, until } from './journeySupport';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});


async function goToLine(page: Page, line: number): Promise<void> {
  await focusFirstEditor(page);
  await page.keyboard.press('Control+G');
  await page.locator('.quick-input-widget input').fill(`:${line}`);
  await page.keyboard.press('Enter');
}

const cursorLine = async (page: Page): Promise<number> => Number(/Ln (\d+)/.exec((await page.locator('.statusbar').textContent()) ?? '')?.[1]);

/** Waits for the run after `runs` runs to finish; returns its status line. */
async function scoredAgain(frame: Frame, runs: number): Promise<string> {
  await until(`scoring run ${runs + 1} to finish`, async () => Number(await frame.locator('#score-status').getAttribute('data-runs')) > runs && (await frame.locator('#score-status').getAttribute('data-state')) === 'done', 120_000);
  return (await frame.locator('#score-status').textContent()) ?? '';
}

const runsSoFar = async (frame: Frame): Promise<number> => Number(await frame.locator('#score-status').getAttribute('data-runs'));

test('cursor sync, hover, Problems panel quick fixes, an undoable swap, and re-scoring one edited line', async () => {
  const { workspace, datasetPath } = goldenWorkspace('preflens-editor-ws-', { 'files.autoSave': 'off' });
  const original = readFileSync(datasetPath);
  const page = await openDatasetWorkbench(workspace, cleanups);
  await runCommand(page, 'PrefLens: Score Dataset');
  const frame = await findWebviewFrame(page, async (f) => (await f.locator('#scores').count()) > 0, 60_000);
  await frame.waitForSelector('#score-status[data-state="done"]', { timeout: 120_000 });
  await frame.waitForSelector('#review-list');
  await page.locator('.statusbar-item', { hasText: 'PrefLens' }).first().waitFor({ timeout: 30_000 });
  await screenshot(page, 'editor-scored');

  // editor -> panel: the cursor on line 10 selects pair 10
  await goToLine(page, 10);
  await frame.waitForSelector('#pair-detail[aria-label="pair 10"]', { timeout: 30_000 });
  await screenshot(page, 'editor-cursor-to-panel');

  // panel -> editor: choosing a pair in the review list moves the cursor to its line
  const entry = frame.locator('#review-list li').first();
  const index = Number(await entry.getAttribute('data-index'));
  await entry.click();
  await frame.waitForSelector(`#pair-detail[aria-label="pair ${index + 1}"]`);
  // the status bar shows the cursor of the focused editor: focus it without moving the cursor
  await page.locator('.tabs-container .tab', { hasText: 'pairs.jsonl' }).first().click();
  await until(`the cursor on line ${index + 1}`, async () => (await cursorLine(page)) === index + 1);
  await screenshot(page, 'editor-panel-to-cursor');

  // the hover on a line: key numbers and suspicions, with a link to the pair
  await page.locator('.view-line', { hasText: '9 minus 4' }).first().hover({ position: { x: 40, y: 5 } });
  const hover = page.locator('.monaco-hover', { hasText: 'PrefLens · pair 6' });
  await hover.waitFor({ timeout: 30_000 });
  assert.match((await hover.textContent()) ?? '', /identical-responses/);
  assert.match((await hover.textContent()) ?? '', /Open in PrefLens/);
  await screenshot(page, 'editor-hover');
  await page.keyboard.press('Escape');

  // the Problems panel lists the suspicious pairs
  await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
  const markers = page.locator('.markers-panel .monaco-list-row');
  await until('PrefLens diagnostics in the Problems panel', async () => (await page.locator('.markers-panel').textContent())?.includes('identical-responses') ?? false);
  const markerCount = await markers.filter({ hasText: '(margin ' }).count();
  assert.ok(markerCount >= 2, `${markerCount} PrefLens problems`);
  // rows the validation found odd are problems too, with their own source and no pair quick fixes
  await until('the empty-field row in the Problems panel', async () => (await markers.filter({ hasText: 'rejected is empty' }).filter({ hasText: 'PrefLens dataset' }).count()) === 1);
  await screenshot(page, 'editor-problems');

  // a quick fix from the Problems panel: flag the identical pair (line 6) as noisy
  await quickFixFromProblems(page, markers.filter({ hasText: 'identical-responses' }).first(), 'PrefLens: Flag as noisy', async () => /"noisy"/.test(readFileSync(`${datasetPath}.preflens-flags.json`, 'utf8')));
  await until('the diagnostic of the flagged pair to go', async () => !((await page.locator('.markers-panel').textContent()) ?? '').includes('identical-responses'));
  await frame.locator('vscode-tab-header', { hasText: 'Pairs' }).click();
  await frame.locator('#pair-table .pl-th[data-key="flag"]').click();
  await until('the flag in the panel table', async () => (await frame.locator('#pair-table .pl-tr').first().locator('.pl-col-flag').textContent()) === 'noisy');
  await screenshot(page, 'editor-flag-from-problems');

  // the swap quick fix: one line changes, Undo restores the file byte for byte
  const swapTarget = markers.filter({ hasText: '(margin ' }).first();
  const swapLine = Number(/pair (\d+)/.exec((await swapTarget.textContent()) ?? '')?.[1]);
  const before = await runsSoFar(frame);
  await quickFixFromProblems(page, swapTarget, 'PrefLens: Swap chosen/rejected in the file', () => page.locator('.tab.dirty', { hasText: 'pairs.jsonl' }).isVisible());
  await page.keyboard.press('Control+S');
  await until('the swap saved', async () => !readFileSync(datasetPath).equals(original));
  const was = original.toString('utf8').split('\n');
  const now = readFileSync(datasetPath, 'utf8').split('\n');
  const changed = was.map((l, i) => (l === now[i] ? -1 : i)).filter((i) => i >= 0);
  assert.equal(changed.length, 1, `exactly one line changed (${changed.map((i) => i + 1).join(', ')})`);
  assert.ok(!Number.isFinite(swapLine) || changed[0] === swapLine - 1, `the swapped line is ${swapLine}`);
  const a = JSON.parse(was[changed[0]!]!) as Record<string, string>;
  const b = JSON.parse(now[changed[0]!]!) as Record<string, string>;
  assert.deepEqual([b.chosen, b.rejected, b.prompt], [a.rejected, a.chosen, a.prompt]);
  await screenshot(page, 'editor-swapped');
  await scoredAgain(frame, before);
  const afterSwap = await runsSoFar(frame);
  await focusFirstEditor(page);
  await page.keyboard.press('Control+Z');
  await page.keyboard.press('Control+S');
  await until('Undo to restore the file byte for byte', async () => readFileSync(datasetPath).equals(original));
  await scoredAgain(frame, afterSwap);
  const afterUndo = await runsSoFar(frame);

  // the file edited on disk (one response of one line): only that pair is run through the models
  const lines = original.toString('utf8').split('\n');
  const edited = JSON.parse(lines[2]!) as Record<string, string>;
  edited.chosen = `${edited.chosen} Indeed.`;
  lines[2] = JSON.stringify(edited);
  writeFileSync(datasetPath, lines.join('\n'));
  const status = await scoredAgain(frame, afterUndo);
  assert.match(status, /1 pair run through the policy and 1 through the reference/, status);
  await screenshot(page, 'editor-rescored-one-line');
});
