// Journey (issue 14): log-probs computed on a GPU cluster (a vLLM prompt_logprobs dump per model,
// here the fixtures for the embedded models) opened beside the dataset with "PrefLens: Import
// Scores…": two quick picks, no model run, the panel shows the same numbers as `preflens import`
// on the command line, token ids are checked against the configured policy's tokenizer, and a
// reloaded window imports again rather than scoring.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { runCommand, screenshot } from './harness';
import { openDatasetWorkbench, panelFrame, pick, until } from './journeySupport';
import { buildModels, MODELS } from '../../examples/buildModels';

const PAIRS = 8; // the pairs the fixtures cover (test/fixtures/interop/makeVllmFixtures.ts)
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});


test('Import Scores shows vLLM log-probs beside the dataset, with the CLI\'s numbers, and survives a reload', async () => {
  if (!existsSync(join(MODELS, 'policy', 'onnx', 'model.onnx'))) await buildModels(MODELS, () => undefined); // npm run models
  const workspace = mkdtempSync(join(tmpdir(), 'preflens-import-ws-'));
  const dataset = join(workspace, 'pairs.jsonl');
  writeFileSync(dataset, readFileSync('examples/sample/pairs.jsonl', 'utf8').split('\n').slice(0, PAIRS).join('\n') + '\n');
  cpSync('test/fixtures/interop/vllm', join(workspace, 'cluster-output'), { recursive: true });
  // only the policy's tokenizer is read (to check token ids); no model runs in this journey
  cpSync('examples/models/policy', join(workspace, 'models', 'policy'), { recursive: true });
  mkdirSync(join(workspace, '.vscode'));
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'preflens.policyModel': 'models/policy' }, null, 2));

  // what the command line makes of the same files
  const cliOut = join(mkdtempSync(join(tmpdir(), 'preflens-import-cli-')), 'scores.jsonl');
  const cli = spawnSync(process.execPath, [resolve('dist/cli.js'), 'import', dataset, '--policy', join(workspace, 'cluster-output', 'policy.prompt_logprobs.jsonl'), '--ref', join(workspace, 'cluster-output', 'reference.prompt_logprobs.jsonl'), '--tokenizer', join(workspace, 'models', 'policy'), '--out', cliOut, '--cache-dir', join(workspace, '..', 'cli-cache')], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const meta = JSON.parse(readFileSync(`${cliOut}.meta.json`, 'utf8')) as { analysis: { rewardAccuracy: number } };

  const page = await openDatasetWorkbench(workspace, cleanups);

  await runCommand(page, 'PrefLens: Import Scores…');
  await pick(page, 'Log-probs computed elsewhere');
  await pick(page, 'policy.prompt_logprobs.jsonl');
  await screenshot(page, 'import-pick-reference');
  await pick(page, 'reference.prompt_logprobs.jsonl');
  const frame = await panelFrame(page);
  await frame.waitForSelector('#score-status[data-state="done"]', { timeout: 120_000 });
  assert.equal(await frame.locator('#scored-count').getAttribute('data-count'), String(PAIRS));
  const status = (await frame.locator('#score-status').textContent()) ?? '';
  assert.match(status, /imported 8 pairs from policy policy\.prompt_logprobs\.jsonl \(vllm\), reference reference\.prompt_logprobs\.jsonl \(vllm\); 0 row problems; 0 sides tokenized differently/);
  const accuracy = Number(await frame.locator('#reward-accuracy').getAttribute('data-value'));
  assert.ok(Math.abs(accuracy - meta.analysis.rewardAccuracy) < 1e-9, `panel ${accuracy} vs CLI ${meta.analysis.rewardAccuracy}`);
  await frame.waitForSelector('#overview canvas');
  await screenshot(page, 'import-done');

  // the table holds the imported margins, equal to the CLI's
  await frame.locator('vscode-tab-header', { hasText: 'Pairs' }).click();
  await until('the table rows', async () => (await frame.locator('#pair-table .pl-tr').count()) === PAIRS);
  const cliMargin = (JSON.parse(readFileSync(cliOut, 'utf8').split('\n')[0]!) as { margin: number }).margin;
  const firstMargin = (await frame.locator('#pair-table .pl-tr[data-index="0"] .pl-col-margin').textContent()) ?? '';
  assert.ok(Math.abs(Number(firstMargin) - cliMargin) < 5e-3, `table margin ${firstMargin} vs CLI ${cliMargin}`);
  await screenshot(page, 'import-table');

  // a reloaded window imports the same files again (there are no models to score with)
  await runCommand(page, 'Developer: Reload Window');
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  const revived = await panelFrame(page);
  await revived.waitForSelector('#score-status[data-state="done"]', { timeout: 120_000 });
  assert.match((await revived.locator('#score-status').textContent()) ?? '', /imported 8 pairs/);
  await screenshot(page, 'import-reloaded');
});
