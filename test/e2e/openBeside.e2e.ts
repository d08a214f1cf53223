// Journey: open a JSONL dataset in a real VS Code, run "PrefLens: Open Beside", and read the
// record count from inside the webview; the screenshot shows the panel beside the file.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
  // the panel sits in a second editor group, beside the file
  const groups = await page.locator('.editor-group-container').count();
  assert.ok(groups >= 2, `expected the panel in a second editor group, found ${groups} group(s)`);
  const tab = page.locator('.tab', { hasText: 'PrefLens: pairs.jsonl' });
  assert.equal(await tab.count(), 1);
  await screenshot(page, 'open-beside');
});
