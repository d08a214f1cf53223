/**
 * `PrefLens: Import Scores…`: shows log-probs computed elsewhere beside a dataset, with no model
 * run: a PrefLens score file (`preflens score` / `preflens import --out`), or the policy's and the
 * reference's log-probs from a GPU cluster (interchange rows, a vLLM `prompt_logprobs` dump, TRL's
 * `ref_*_logps` columns). The import runs in the engine process (native/interop/importScores.ts),
 * token ids are checked against the configured policy model's tokenizer when there is one, and
 * the panel, diagnostics and status bar then work as after a scoring run. The choice is kept in
 * workspace state so a reloaded window imports again instead of scoring.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ImportParams } from '../../native/protocol/engineProtocol';
import { ProtocolRequestError } from '../../native/protocol/client';
import { cacheDirOf, mappingFromSettings } from '../dataset/datasetSession';
import { engine } from '../engine/engineService';
import { ScoreSession } from '../engine/scoreSession';
import { resolveFolder, suspicionThresholds } from '../engine/scoreSettings';
import { logChannel } from '../log';
import { DatasetPanel } from '../panel/datasetPanel';

/** workspaceState: dataset uri -> the sources it was imported from. */
export const IMPORTED_KEY = 'preflens.importedScores';
export interface ImportChoice { policy: string; reference: string }

interface SourcePick extends vscode.QuickPickItem { file?: string; browse?: boolean }

async function candidateFiles(dataset: vscode.Uri): Promise<string[]> {
  const found = await vscode.workspace.findFiles('**/*.{jsonl,json,parquet,arrow}', '{**/node_modules/**,**/.preflens/**}', 500);
  return found.map((u) => u.fsPath).filter((f) => f !== dataset.fsPath && !/\.(meta|manifest)\.json$|\.(review|import-issues)\.jsonl$/.test(f)).sort();
}

async function pickSource(title: string, files: string[], placeHolder: string, preferred?: string): Promise<string | undefined> {
  const ordered = preferred ? [preferred, ...files.filter((f) => f !== preferred)] : files;
  const items: SourcePick[] = [
    ...ordered.map((file) => ({ label: path.basename(file), description: vscode.workspace.asRelativePath(file, false), file })),
    { label: '$(folder-opened) Browse…', browse: true, alwaysShow: true },
  ];
  const choice = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true, ignoreFocusOut: true });
  if (!choice) return undefined;
  if (!choice.browse) return choice.file;
  const picked = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: false, canSelectMany: false, title, filters: { 'Scores and log-probs': ['jsonl', 'json', 'parquet', 'arrow'] } });
  return picked?.[0]?.fsPath;
}

/** Asks for the sources; a PrefLens score file holds both models, so it is asked for once. */
async function askSources(dataset: vscode.Uri): Promise<ImportChoice | undefined> {
  const kind = await vscode.window.showQuickPick(
    [
      { label: '$(file) A PrefLens score file', detail: 'written by preflens score --out or preflens import --out', id: 'scores' },
      { label: '$(server) Log-probs computed elsewhere', detail: 'interchange rows (docs/interchange.md), a vLLM prompt_logprobs dump, TRL ref_chosen_logps / ref_rejected_logps columns', id: 'external' },
    ],
    { title: `PrefLens: import scores for ${path.basename(dataset.fsPath)}`, ignoreFocusOut: true },
  );
  if (!kind) return undefined;
  const files = await candidateFiles(dataset);
  if (kind.id === 'scores') {
    const file = await pickSource('PrefLens: score file', files, 'the .jsonl that preflens score or preflens import wrote');
    return file ? { policy: file, reference: file } : undefined;
  }
  const policy = await pickSource('PrefLens: policy log-probs (1 of 2)', files, 'the trained model\'s log-probs: interchange rows or a vLLM dump');
  if (!policy) return undefined;
  const reference = await pickSource('PrefLens: reference log-probs (2 of 2)', files, 'the reference model\'s: the same file when it holds both models, or TRL ref_*_logps columns', policy);
  return reference ? { policy, reference } : undefined;
}

export async function importScores(context: vscode.ExtensionContext, uri?: vscode.Uri, given?: ImportChoice, options: { quiet?: boolean } = {}): Promise<void> {
  const dataset = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (!dataset || dataset.scheme !== 'file') {
    void vscode.window.showErrorMessage('PrefLens: open a dataset file first, or run Import Scores from its context menu.');
    return;
  }
  const session = ScoreSession.for(dataset.toString());
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('PrefLens imports scores in a trusted workspace only (the import reads the model\'s tokenizer and runs the engine). Trust this workspace first.');
    return;
  }
  const choice = given ?? (await askSources(dataset));
  if (!choice) return;
  const config = vscode.workspace.getConfiguration('preflens', dataset);
  const tokenizerSetting = config.get<string>('policyModel', '').trim();
  const params: ImportParams = {
    dataset: dataset.fsPath,
    mapping: mappingFromSettings(dataset),
    cacheDir: cacheDirOf(context),
    beta: config.get<number>('beta', 0.1),
    policy: choice.policy,
    reference: choice.reference,
    tokenizer: tokenizerSetting ? resolveFolder(tokenizerSetting, dataset) : undefined,
    maxLength: config.get<number>('maxLength', 1024),
    outOfSample: config.get<string>('outOfSample', '').trim() || undefined,
    thresholds: suspicionThresholds(config),
  };
  DatasetPanel.show(context, dataset, vscode.ViewColumn.Beside);
  const name = path.basename(dataset.fsPath);
  session.start(0);
  await vscode.window.withProgress(
    { location: options.quiet ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification, title: `PrefLens: importing scores for ${name}`, cancellable: !options.quiet },
    async (_progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      try {
        const result = await engine(context).request('importScores', params, { signal: controller.signal });
        session.add(result.total, result.total, result.records);
        if (result.analysis) session.setAnalysis(result.analysis);
        const sources = result.sources.map((s) => `${s.role} ${path.basename(s.file)} (${s.kind})`).join(', ');
        const checked = result.tokenizationChecked ? `${result.tokenMismatches} sides tokenized differently` : 'token ids not checked (set preflens.policyModel to check them)';
        const summary = `imported ${result.ok} pairs${result.invalid ? `, ${result.invalid} invalid` : ''} from ${sources}; ${result.problems} row problems; ${checked}`;
        logChannel().info(`${name}: ${summary}`);
        for (const line of result.firstProblems) logChannel().warn(`${name}: ${line}`);
        session.setState('done', summary);
        const imported = context.workspaceState.get<Record<string, ImportChoice>>(IMPORTED_KEY, {});
        void context.workspaceState.update(IMPORTED_KEY, { ...imported, [dataset.toString()]: choice });
        if (!options.quiet && (result.problems > 0 || result.tokenMismatches > 0 || result.invalid > 0)) {
          void vscode.window.showWarningMessage(`PrefLens: ${summary}.`, 'Show Log').then((c) => c && logChannel().show());
        }
      } catch (error) {
        if (controller.signal.aborted || (error instanceof ProtocolRequestError && error.code === 'cancelled')) {
          session.setState('cancelled', 'import cancelled');
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        session.setState('error', message);
        void vscode.window.showErrorMessage(`PrefLens: import failed: ${message}`, 'Show Log').then((c) => c && logChannel().show());
      }
    },
  );
}

/** The sources a dataset's scores were imported from, if they were (for restoring after a reload). */
export function importedChoice(context: vscode.ExtensionContext, dataset: vscode.Uri): ImportChoice | undefined {
  return context.workspaceState.get<Record<string, ImportChoice>>(IMPORTED_KEY, {})[dataset.toString()];
}

/** A scoring run replaces an import: the dataset is restored by scoring from then on. */
export async function forgetImport(context: vscode.ExtensionContext, dataset: vscode.Uri): Promise<void> {
  const imported = { ...context.workspaceState.get<Record<string, ImportChoice>>(IMPORTED_KEY, {}) };
  if (!(dataset.toString() in imported)) return;
  delete imported[dataset.toString()];
  await context.workspaceState.update(IMPORTED_KEY, imported);
}
