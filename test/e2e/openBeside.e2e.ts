// Journey: open a JSONL dataset in a real VS Code, run "PrefLens: Open Beside", and read the
// record count from inside the webview; the screenshot shows the panel beside the file.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { findWebviewFrame, openFile, openWorkbench, runCommand, screenshot, startCodeServer, type CodeServer, type Workbench } from './harness';
import { stageExtension } from './stageExtension';

const RECORDS = 37;
let server: CodeServer;
let workbench: Workbench;
let workspace: string;

before(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'preflens-ws-'));
  const lines = Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ prompt: `Question ${i}?`, chosen: ` Answer ${i}.`, rejected: ` Wrong ${i}.` }));
  // blank lines and a missing final newline must not change the count
  // one malformed record (line 5) that the panel must report with its location
  lines[4] = '{"prompt": "Question 4?", "chosen": " Answer 4.",, "rejected": " Wrong 4."}';
  writeFileSync(join(workspace, 'pairs.jsonl'), `${lines.slice(0, 10).join('\n')}\n\n${lines.slice(10).join('\n')}`);
  server = await startCodeServer({ workspace, extensionDevPath: stageExtension() });
  workbench = await openWorkbench(server.url, workspace);
});

after(async () => {
  await workbench?.close();
  await server?.stop();
});

test('Open Beside shows the dataset name and record count in a panel beside the file', async () => {
  const { page } = workbench;
  await openFile(page, 'pairs.jsonl');
  await runCommand(page, 'PrefLens: Open Beside');
  const frame = await findWebviewFrame(page, async (f) => (await f.locator('#record-count').count()) > 0, 60_000);
  await frame.waitForSelector('#record-count[data-records]');
  const records = await frame.locator('#record-count').getAttribute('data-records');
  const label = (await frame.locator('#record-count').textContent())?.trim();
  const name = (await frame.locator('#dataset-name').textContent())?.trim();
  assert.equal(records, String(RECORDS));
  assert.equal(label, `${RECORDS} records`);
  assert.equal(name, 'pairs.jsonl');
  assert.equal(await frame.locator('#dataset-schema').getAttribute('data-kind'), 'trl-explicit-standard');
  await frame.waitForSelector('#valid-pairs[data-count]', { timeout: 30_000 });
  assert.equal(await frame.locator('#valid-pairs').getAttribute('data-count'), String(RECORDS - 1));
  assert.equal(await frame.locator('#invalid-rows').getAttribute('data-count'), '1');
  const problem = (await frame.locator('#issues li').first().textContent()) ?? '';
  assert.match(problem, /pairs\.jsonl:5:50/);
  assert.match(problem, /malformed-json/);
  // the panel sits in a second editor group, beside the file
  const groups = await page.locator('.editor-group-container').count();
  assert.ok(groups >= 2, `expected the panel in a second editor group, found ${groups} group(s)`);
  const tab = page.locator('.tab', { hasText: 'PrefLens: pairs.jsonl' });
  assert.equal(await tab.count(), 1);
  await screenshot(page, 'open-beside');
});

test('Export Filtered Dataset writes the filtered file and its manifest', async () => {
  const { page } = workbench;
  await openFile(page, 'pairs.jsonl');
  await runCommand(page, 'PrefLens: Export Filtered Dataset');
  // quick pick of filters: tick "Drop rows PrefLens cannot read" as well as the default
  const quickInput = page.locator('.quick-input-widget');
  await quickInput.locator('.quick-input-list .monaco-list-row', { hasText: 'Drop rows PrefLens cannot read' }).click();
  await screenshot(page, 'export-filters');
  await page.keyboard.press('Enter');
  // optional --where expression
  await quickInput.locator('input').fill('prompt != "Question 0?"');
  await page.keyboard.press('Enter');
  // VS Code's own save dialog (the simple file dialog in the browser): accept the proposed name
  const input = quickInput.locator('input');
  for (let waited = 0; !(await input.inputValue()).endsWith('pairs.filtered.jsonl'); waited += 200) {
    assert.ok(waited < 30_000, 'the save dialog did not propose pairs.filtered.jsonl');
    await page.waitForTimeout(200);
  }
  await page.keyboard.press('Enter');
  const toast = page.locator('.notifications-toasts', { hasText: 'PrefLens: kept' });
  await toast.waitFor({ timeout: 60_000 });
  assert.match((await toast.textContent()) ?? '', /kept 35 of 37 rows/);
  // the export's progress notification closes with the export, not when the result is dismissed
  const progress = page.locator('.notifications-toasts .notification-list-item', { hasText: 'PrefLens: exporting' });
  for (let waited = 0; (await progress.count()) > 0; waited += 200) {
    assert.ok(waited < 15_000, 'the "PrefLens: exporting" notification stayed open after the export');
    await page.waitForTimeout(200);
  }
  await screenshot(page, 'export-done');
  const out = join(workspace, 'pairs.filtered.jsonl');
  const written = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(written.length, 35);
  const manifest = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8')) as { counts: { kept: number; dropped: { invalid: number; where: number } } };
  assert.deepEqual([manifest.counts.kept, manifest.counts.dropped.invalid, manifest.counts.dropped.where], [35, 1, 1]);
});
