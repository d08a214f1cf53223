// Journey: set the two model settings, run "PrefLens: Score Dataset", watch progress and the
// panel fill with scores; in an untrusted workspace the command refuses and no engine starts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { findWebviewFrame, openFile, openWorkbench, runCommand, screenshot, startCodeServer, type CodeServer, type Workbench } from './harness';
import { stageExtension } from './stageExtension';

const G = resolve('test/fixtures/trl-golden');
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function workspaceWithModels(): string {
  const workspace = mkdtempSync(join(tmpdir(), 'preflens-score-ws-'));
  cpSync(`${G}/datasets/trl_strings.jsonl`, join(workspace, 'pairs.jsonl'));
  cpSync(`${G}/models/policy`, join(workspace, 'models', 'policy'), { recursive: true });
  cpSync(`${G}/models/reference`, join(workspace, 'models', 'reference'), { recursive: true });
  mkdirSync(join(workspace, '.vscode'));
  // the two model settings, as a user sets them for the workspace
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'preflens.policyModel': 'models/policy', 'preflens.referenceModel': 'models/reference', 'preflens.maxLength': 512, 'preflens.device': 'cpu' }, null, 2));
  return workspace;
}

async function start(workspace: string, trustEnabled: boolean): Promise<{ server: CodeServer; workbench: Workbench; extension: string }> {
  const extension = stageExtension();
  const server = await startCodeServer({ workspace, extensionDevPath: extension, trustEnabled });
  cleanups.push(() => server.stop());
  const workbench = await openWorkbench(server.url, workspace);
  cleanups.push(() => workbench.close());
  return { server, workbench, extension };
}

function engineProcesses(): string[] {
  try {
    return execFileSync('pgrep', ['-af', 'dist/engine.js'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

test('Score Dataset shows progress and fills the panel with scores', async () => {
  const workspace = workspaceWithModels();
  const { workbench } = await start(workspace, false);
  const { page } = workbench;
  await openFile(page, 'pairs.jsonl');
  await runCommand(page, 'PrefLens: Score Dataset');
  const frame = await findWebviewFrame(page, async (f) => (await f.locator('#scores').count()) > 0, 60_000);
  await page.locator('.notifications-toasts', { hasText: 'PrefLens: scoring' }).waitFor({ timeout: 30_000 }).catch(() => undefined);
  await screenshot(page, 'score-progress');
  await frame.waitForSelector('#score-status[data-state="done"]', { timeout: 120_000 });
  assert.equal(await frame.locator('#scored-count').getAttribute('data-count'), '24');
  const accuracy = Number(await frame.locator('#reward-accuracy').getAttribute('data-value'));
  assert.ok(accuracy > 0.4 && accuracy < 0.8, `reward accuracy ${accuracy}`); // TRL's evaluate(): 0.5417 with identical pairs counted
  // the finished run's analysis: ranking accuracy, confident learning, and the review list
  await frame.waitForSelector('#review-list', { timeout: 30_000 });
  assert.match((await frame.locator('#ranking-accuracy').textContent()) ?? '', /ranking accuracy: policy \d/);
  const suspicious = Number(await frame.locator('#suspicious-count').getAttribute('data-count'));
  assert.ok(suspicious >= 1, 'the identical pair (row 5) at least is suspicious');
  assert.ok((await frame.locator('#review-list li[data-reasons~="identical-responses"]').count()) >= 1);
  assert.match((await frame.locator('#score-status').textContent()) ?? '', /scored 24 pairs/);
  await frame.waitForSelector('#overview canvas');
  await screenshot(page, 'score-done');

  // the worst pair, token by token, from the engine's explain request
  await frame.locator('#review-list li').first().click();
  await frame.waitForSelector('#pair-detail .pl-token', { timeout: 60_000 });
  assert.ok((await frame.locator('#pair-detail .pl-token').count()) > 3);
  assert.match((await frame.locator('#pair-detail .pl-metrics').textContent()) ?? '', /margin -?\d/);
  await frame.locator('#pair-detail').scrollIntoViewIfNeeded();
  await screenshot(page, 'pair-detail');
  // flag it from the panel: the sidecar beside the dataset records it
  await frame.locator('#pair-detail vscode-button', { hasText: 'Flag noisy' }).click();
  await frame.waitForSelector('#pair-detail .pl-flag-state:text("flag: noisy")', { timeout: 30_000 });
  assert.match(readFileSync(join(workspace, 'pairs.jsonl.preflens-flags.json'), 'utf8'), /"noisy"/);
  // the table pages rows from the host; the factors view compares labels and model
  await frame.locator('vscode-tab-header', { hasText: 'Pairs' }).click();
  await frame.waitForSelector('#pair-table .pl-tr');
  assert.ok((await frame.locator('#pair-table .pl-tr').count()) >= 10);
  await frame.locator('vscode-tab-header', { hasText: 'Factors' }).click();
  await frame.waitForSelector('#factors svg', { timeout: 60_000 });
  await frame.locator('#factors').scrollIntoViewIfNeeded();
  await screenshot(page, 'factors');
});

test('in an untrusted workspace Score Dataset refuses and no engine process starts', async () => {
  const workspace = workspaceWithModels();
  const before = engineProcesses().length;
  const { workbench, extension } = await start(workspace, true);
  const { page } = workbench;
  // the trust prompt: choose Restricted Mode
  const noTrust = page.getByRole('button', { name: /No, I don't trust the authors/ });
  await noTrust.click({ timeout: 30_000 });
  await openFile(page, 'pairs.jsonl');
  await runCommand(page, 'PrefLens: Open Beside');
  const frame = await findWebviewFrame(page, async (f) => (await f.locator('#record-count').count()) > 0, 60_000);
  assert.equal(await frame.locator('#record-count').getAttribute('data-records'), '24', 'datasets still open in Restricted Mode');
  await runCommand(page, 'PrefLens: Score Dataset');
  await page.locator('.notifications-toasts', { hasText: 'does not load or run models in an untrusted workspace' }).waitFor({ timeout: 30_000 });
  await frame.waitForSelector('#score-status[data-state="untrusted"]', { timeout: 30_000 });
  await screenshot(page, 'score-untrusted');
  const engines = engineProcesses();
  assert.equal(engines.filter((line) => line.includes(extension)).length, 0, `engine processes: ${engines.join('; ')}`);
  assert.equal(engines.length, before);
});
