/**
 * `npm run demo`: opens PrefLens in a browser-served VS Code (code-server) on the examples
 * folder, with the sample dataset and the PrefLens panel open, and prints the URL.
 *
 * A headless Chromium opens the sample and runs "PrefLens: Open Beside" as a health check and
 * saves test-artifacts/demo/panel.png. With --check the demo stops after the health check;
 * otherwise code-server keeps running until Ctrl-C, for you to open the printed URL.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findWebviewFrame, openFile, openWorkbench, runCommand, screenshot, startCodeServer } from '../test/e2e/harness';
import { stageExtension } from '../test/e2e/stageExtension';

const SAMPLE = 'quickstart.jsonl';

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  // A scratch copy of examples/, so the demo never writes next to the repository's files.
  const workspace = mkdtempSync(join(tmpdir(), 'preflens-demo-'));
  for (const name of readdirSync('examples')) if (name.endsWith('.jsonl')) copyFileSync(join('examples', name), join(workspace, name));
  const server = await startCodeServer({ workspace, extensionDevPath: stageExtension() });
  const stop = async (): Promise<void> => {
    await server.stop();
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(0)));
  try {
    const workbench = await openWorkbench(server.url, workspace);
    await openFile(workbench.page, SAMPLE);
    await runCommand(workbench.page, 'PrefLens: Open Beside');
    const frame = await findWebviewFrame(workbench.page, async (f) => (await f.locator('#record-count[data-records]').count()) > 0, 60_000);
    const records = await frame.locator('#record-count').getAttribute('data-records');
    mkdirSync(resolve('test-artifacts/demo'), { recursive: true });
    const shot = await screenshot(workbench.page, 'demo-panel');
    copyFileSync(shot, resolve('test-artifacts/demo/panel.png'));
    await workbench.close();
    console.log(`\nPrefLens health check: the panel shows ${records} records of ${SAMPLE} (screenshot: test-artifacts/demo/panel.png)`);
    if (check) return;
    console.log(`\nOpen ${server.url}/?folder=${workspace}`);
    console.log(`then open ${SAMPLE} and click the PrefLens icon in the editor title (or run "PrefLens: Open Beside").`);
    console.log('Press Ctrl-C to stop.');
    await new Promise(() => undefined);
  } finally {
    if (check) await stop();
  }
}

main().catch(async (error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
