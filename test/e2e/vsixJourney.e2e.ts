// The whole journey from the packaged VSIX (npm run package, installed with
// `code-server --install-extension`): open the sample, configure the embedded models through the
// command, score with progress, inspect the worst pair, flag two pairs to drop from the Problems
// panel, export the filtered dataset, reload the window and find the flags and the panel's state.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildModels, MODELS, SAMPLE } from '../../examples/buildModels';
import { openDatasetWorkbench, panelFrame, pick, until } from './journeySupport';
import { openFile, quickFixFromProblems, runCommand, screenshot } from './harness';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});



test('from the VSIX: configure, score, inspect, flag from Problems, export, reload', async () => {
  execFileSync(process.execPath, ['scripts/package.mjs', '--target', 'linux-x64'], { stdio: 'inherit' });
  const vsix = readdirSync('.').find((f) => /^preflens-linux-x64-.*\.vsix$/.test(f));
  assert.ok(vsix, 'npm run package wrote the VSIX');
  if (!existsSync(join(MODELS, 'policy', 'onnx', 'model.onnx'))) await buildModels(MODELS, () => undefined);
  const workspace = mkdtempSync(join(tmpdir(), 'preflens-vsix-ws-'));
  const datasetPath = join(workspace, 'pairs.jsonl');
  cpSync(SAMPLE, datasetPath);
  for (const part of ['policy', 'reference']) cpSync(join(MODELS, part), join(workspace, 'models', part), { recursive: true });
  const page = await openDatasetWorkbench(workspace, cleanups, { vsixPath: vsix, settings: { 'files.autoSave': 'off', 'preflens.maxLength': 512, 'preflens.device': 'cpu' } });

  // configure the models through the command: two quick picks over the folders found
  await runCommand(page, 'PrefLens: Configure Models');
  await pick(page, 'models/policy');
  await pick(page, 'models/reference');
  await screenshot(page, 'vsix-configured');
  const scoreButton = page.locator('.notifications-toasts .monaco-button', { hasText: 'Score Dataset' });
  await scoreButton.waitFor({ timeout: 30_000 });
  await scoreButton.click();
  const frame = await panelFrame(page);
  await page.locator('.notifications-toasts', { hasText: 'PrefLens: scoring' }).waitFor({ timeout: 60_000 }).catch(() => undefined);
  await screenshot(page, 'vsix-scoring');
  await frame.waitForSelector('#score-status[data-state="done"]', { timeout: 300_000 });
  assert.equal(await frame.locator('#scored-count').getAttribute('data-count'), '328');

  // the worst pair: sort the table by margin, open the first row
  await frame.locator('vscode-tab-header', { hasText: 'Pairs' }).click();
  await frame.locator('#pair-table .pl-th[data-key="margin"]').click();
  await until('the table sorted by margin', async () => (await frame.locator('#pair-table .pl-th[data-key="margin"]').getAttribute('aria-sort')) === 'ascending');
  await frame.waitForTimeout(300);
  const worst = Number(await frame.locator('#pair-table .pl-tr').first().getAttribute('data-index'));
  await frame.locator('#pair-table .pl-tr').first().click();
  await frame.waitForSelector(`#pair-detail[aria-label="pair ${worst + 1}"] .pl-token`, { timeout: 60_000 });
  await screenshot(page, 'vsix-worst-pair');

  // flag two pairs to drop from the Problems panel (quick fixes)
  await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
  const markers = page.locator('.markers-panel .monaco-list-row', { hasText: '(margin ' });
  await until('PrefLens problems', async () => (await markers.count()) >= 3);
  const drops = (): number => {
    if (!existsSync(`${datasetPath}.preflens-flags.json`)) return 0;
    const flags = JSON.parse(readFileSync(`${datasetPath}.preflens-flags.json`, 'utf8')) as { flags: Record<string, { flag: string }> };
    return Object.values(flags.flags).filter((f) => f.flag === 'drop').length;
  };
  for (let k = 0; k < 2; k++) {
    const first = (await markers.first().textContent()) ?? '';
    await quickFixFromProblems(page, markers.first(), 'PrefLens: Flag to drop', async () => drops() === k + 1);
    // a flagged pair counts as reviewed: its problem leaves the list
    await until('the flagged problem to leave the list', async () => ((await markers.first().textContent()) ?? '') !== first);
  }
  assert.equal(drops(), 2);
  await screenshot(page, 'vsix-flagged');

  // export: the default drops pairs flagged "drop"
  await openFile(page, 'pairs.jsonl');
  await runCommand(page, 'PrefLens: Export Filtered Dataset');
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: 'filters' }).waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter'); // filters: the defaults
  await widget.locator('.quick-input-title', { hasText: 'keep only rows where' }).waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter'); // no --where expression
  const input = page.locator('.quick-input-widget input');
  await until('the save dialog', async () => (await input.inputValue()).endsWith('pairs.filtered.jsonl'), 30_000);
  await page.keyboard.press('Enter');
  const toast = page.locator('.notifications-toasts', { hasText: 'PrefLens: kept' });
  await toast.waitFor({ timeout: 60_000 });
  // flags belong to pair ids, and a contradictory duplicate is the same pair twice: 2 flags drop 2-4 rows
  const kept = Number(/kept (\d+) of 328 rows/.exec((await toast.textContent()) ?? '')?.[1]);
  assert.ok(kept >= 324 && kept <= 326, `kept ${kept}`);
  assert.equal(readFileSync(join(workspace, 'pairs.filtered.jsonl'), 'utf8').trim().split('\n').length, kept);
  assert.ok(existsSync(join(workspace, 'pairs.filtered.jsonl.manifest.json')));
  await screenshot(page, 'vsix-exported');

  // reload the window: the panel comes back with its tab and pair, the flags from the sidecar
  const shown = await frame.locator('#pair-detail').getAttribute('aria-label');
  assert.ok(shown, 'a pair is shown before the reload');
  await runCommand(page, 'Developer: Reload Window');
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  const revived = await panelFrame(page);
  // the scores come back from the cache (no model call), the flags from the sidecar
  await revived.waitForSelector('#score-status[data-state="done"]', { timeout: 120_000 });
  assert.match((await revived.locator('#score-status').textContent()) ?? '', /0 pairs run through the policy and 0 through the reference/);
  await revived.waitForSelector(`#pair-detail[aria-label="${shown}"]`, { timeout: 90_000 });
  await revived.locator('vscode-tab-header', { hasText: 'Pairs' }).click();
  await revived.locator('#pair-table .pl-th[data-key="flag"]').click();
  // (a contradictory duplicate shares its pair id, so one flag can mark two rows)
  await until('the drop flags in the table', async () => (await revived.locator('#pair-table .pl-tr .pl-col-flag', { hasText: 'drop' }).count()) === 328 - kept);
  // the rows' previews (prompt text) come from the host after the reload too
  await until('the prompt previews in the table', async () => ((await revived.locator('#pair-table .pl-tr .pl-col-text').first().textContent()) ?? '…') !== '…', 30_000);
  await screenshot(page, 'vsix-reloaded');
});
