// Shared by the journeys: polling a condition from Node (the panel's CSP forbids the eval that
// waitForFunction needs), and a workspace holding the TRL golden dataset and models with the
// PrefLens settings a user would set.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findWebviewFrame, openFile, openWorkbench, startCodeServer, type CodeServerOptions, type Frame, type Page } from './harness';
import { stageExtension } from './stageExtension';

export const GOLDEN = resolve('test/fixtures/trl-golden');

export async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A temp workspace: pairs.jsonl (a golden dataset), models/{policy,reference}, .vscode/settings.json. */
export function goldenWorkspace(prefix: string, settings: Record<string, unknown> = {}, dataset = 'trl_strings'): { workspace: string; datasetPath: string } {
  const workspace = mkdtempSync(join(tmpdir(), prefix));
  const datasetPath = join(workspace, 'pairs.jsonl');
  cpSync(`${GOLDEN}/datasets/${dataset}.jsonl`, datasetPath);
  cpSync(`${GOLDEN}/models/policy`, join(workspace, 'models', 'policy'), { recursive: true });
  cpSync(`${GOLDEN}/models/reference`, join(workspace, 'models', 'reference'), { recursive: true });
  mkdirSync(join(workspace, '.vscode'));
  const all = { 'preflens.policyModel': 'models/policy', 'preflens.referenceModel': 'models/reference', 'preflens.maxLength': 512, 'preflens.device': 'cpu', ...settings };
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify(all, null, 2));
  return { workspace, datasetPath };
}

/** Clicks the first row of the open quick pick whose text contains `label`. */
export async function pick(page: Page, label: string): Promise<void> {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout: 30_000 });
  await row.click();
}

/** The PrefLens panel's frame once its scores section is there. */
export const panelFrame = (page: Page): Promise<Frame> => findWebviewFrame(page, async (f) => (await f.locator('#scores').count()) > 0, 90_000);

/**
 * code-server on `workspace` (the extension under test staged, unless `options` installs a VSIX),
 * a workbench page on it, and pairs.jsonl open in the editor. Both are closed by `cleanups`.
 */
export async function openDatasetWorkbench(workspace: string, cleanups: (() => Promise<void>)[], options: Partial<CodeServerOptions> = {}): Promise<Page> {
  const extension = options.vsixPath === undefined ? { extensionDevPath: stageExtension() } : {};
  const server = await startCodeServer({ workspace, trustEnabled: false, ...extension, ...options });
  cleanups.push(() => server.stop());
  const workbench = await openWorkbench(server.url, workspace);
  cleanups.push(() => workbench.close());
  await openFile(workbench.page, 'pairs.jsonl');
  return workbench.page;
}
