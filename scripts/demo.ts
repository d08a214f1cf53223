/**
 * `npm run demo`: PrefLens on its embedded default, with no downloads.
 *
 * 1. builds the embedded models if missing (`npm run models`: tokenizer, reference, DPO policy);
 * 2. scores the sample with `preflens score` into test-artifacts/demo/scores.jsonl (with the
 *    checkpoints and the held-out split for the analysis) and always writes the self-contained
 *    report test-artifacts/demo/report.html;
 * 3. opens PrefLens in a browser-served VS Code (code-server) on a scratch workspace holding the
 *    sample and the models, with the two model settings set, runs "PrefLens: Score Dataset" in a
 *    headless Chromium as a health check (screenshot: test-artifacts/demo/panel.png), and prints
 *    the URL for you. With --check it stops after the health check.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findWebviewFrame, openFile, openWorkbench, runCommand, screenshot, startCodeServer } from '../test/e2e/harness';
import { stageExtension } from '../test/e2e/stageExtension';

const MODELS = 'examples/models';

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  if (!existsSync(join(MODELS, 'policy', 'onnx', 'model.onnx')) || !existsSync(join(MODELS, 'reference', 'onnx', 'model.onnx'))) {
    console.log('demo: building the embedded models (npm run models)…');
    run(process.execPath, ['--import', 'tsx', 'examples/buildModels.ts']);
  }
  mkdirSync('test-artifacts/demo', { recursive: true });
  console.log('demo: scoring the sample with the embedded models…');
  const checkpoints = ['02', '03', '04'].map((e) => `${MODELS}/checkpoints/policy-epoch-${e}`).join(',');
  run(process.execPath, ['dist/cli.js', 'score', 'examples/sample/pairs.jsonl', '--policy', `${MODELS}/policy`, '--ref', `${MODELS}/reference`, '--out', 'test-artifacts/demo/scores.jsonl', '--checkpoints', checkpoints, '--out-of-sample', 'split=heldout']);
  run(process.execPath, ['dist/cli.js', 'report', 'examples/sample/pairs.jsonl', '--scores', 'test-artifacts/demo/scores.jsonl', '--out', 'test-artifacts/demo/report.html']);
  console.log(`demo: report written to ${resolve('test-artifacts/demo/report.html')} (open it in any browser)`);

  const workspace = mkdtempSync(join(tmpdir(), 'preflens-demo-'));
  copyFileSync('examples/sample/pairs.jsonl', join(workspace, 'pairs.jsonl'));
  for (const model of ['policy', 'reference']) cpSync(join(MODELS, model), join(workspace, 'models', model), { recursive: true });
  mkdirSync(join(workspace, '.vscode'));
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'preflens.policyModel': 'models/policy', 'preflens.referenceModel': 'models/reference' }, null, 2));
  const server = await startCodeServer({ workspace, extensionDevPath: stageExtension() });
  process.on('SIGINT', () => void server.stop().then(() => process.exit(0)));
  try {
    const workbench = await openWorkbench(server.url, workspace);
    await openFile(workbench.page, 'pairs.jsonl');
    await runCommand(workbench.page, 'PrefLens: Score Dataset');
    const frame = await findWebviewFrame(workbench.page, async (f) => (await f.locator('#score-status[data-state="done"]').count()) > 0, 180_000);
    const scored = await frame.locator('#scored-count').getAttribute('data-count');
    const shot = await screenshot(workbench.page, 'demo-panel');
    copyFileSync(shot, resolve('test-artifacts/demo/panel.png'));
    await workbench.close();
    console.log(`\nPrefLens health check: the panel shows ${scored} scored pairs (screenshot: test-artifacts/demo/panel.png; scores: test-artifacts/demo/scores.jsonl)`);
    if (check) return;
    console.log(`\nOpen ${server.url}/?folder=${workspace}`);
    console.log('then open pairs.jsonl and run "PrefLens: Score Dataset" (or click the PrefLens icon in the editor title).');
    console.log('Press Ctrl-C to stop.');
    await new Promise(() => undefined);
  } finally {
    if (check) await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
