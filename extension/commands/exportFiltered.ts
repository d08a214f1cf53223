/**
 * `PrefLens: Export Filtered Dataset`: the extension's face of `preflens export`. Options are
 * picked in a quick pick, an optional `--where` expression is checked as it is typed, the
 * output comes from a save dialog, and the export runs with cancellable progress. The source
 * is only overwritten after an explicit, modal confirmation.
 */
import * as path from 'node:path';
import { stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import { exportDataset, manifestPath } from '../../native/data/exportDataset';
import { FlagsStore, type FlagValue } from '../../native/data/flagsStore';
import { compileWhere, type CompiledWhere } from '../../native/data/whereExpression';
import { openDataset } from '../dataset/datasetSession';
import { logChannel } from '../log';

interface Choice extends vscode.QuickPickItem {
  key: 'drop' | 'noisy' | 'swaps' | 'invalid';
}

const CHOICES: Choice[] = [
  { key: 'drop', label: 'Drop pairs flagged "drop"', picked: true },
  { key: 'noisy', label: 'Drop pairs flagged "noisy"' },
  { key: 'swaps', label: 'Apply "swap" flags', description: 'reverse chosen and rejected of pairs flagged swap' },
  { key: 'invalid', label: 'Drop rows PrefLens cannot read', description: 'kept verbatim otherwise' },
];

async function askWhere(): Promise<CompiledWhere | undefined | null> {
  const text = await vscode.window.showInputBox({
    title: 'PrefLens: keep only rows where… (optional)',
    placeHolder: 'e.g. score_chosen - score_rejected >= 1 && !contains(chosen, "As an AI")',
    validateInput: (value) => {
      if (!value.trim()) return undefined;
      try {
        compileWhere(value);
        return undefined;
      } catch (error) {
        return error instanceof Error ? error.message.split('\n')[0] : String(error);
      }
    },
  });
  if (text === undefined) return null; // cancelled
  return text.trim() ? compileWhere(text) : undefined;
}

export async function exportFiltered(context: vscode.ExtensionContext, uri?: vscode.Uri): Promise<void> {
  const source = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!source || source.scheme !== 'file') {
    void vscode.window.showErrorMessage('PrefLens: open a dataset file first, or run Export from its context menu.');
    return;
  }
  const picked = await vscode.window.showQuickPick(CHOICES, { canPickMany: true, title: `Export ${path.basename(source.fsPath)}: filters` });
  if (!picked) return;
  const where = await askWhere();
  if (where === null) return;
  const ext = source.fsPath.toLowerCase().endsWith('.parquet') ? 'parquet' : 'jsonl';
  const base = path.basename(source.fsPath).replace(/\.(jsonl\.gz|jsonl|json|parquet|arrow)$/i, '');
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(path.dirname(source.fsPath), `${base}.filtered.${ext}`)),
    filters: { 'JSON Lines': ['jsonl'], Parquet: ['parquet'] },
    title: 'Export filtered dataset',
  });
  if (!target) return;
  let allowOverwriteSource = false;
  if (path.resolve(target.fsPath) === path.resolve(source.fsPath)) {
    const answer = await vscode.window.showWarningMessage(`Replace the source dataset ${path.basename(source.fsPath)} with the filtered copy?`, { modal: true, detail: 'The original rows that are filtered out will be gone from this file.' }, 'Replace');
    if (answer !== 'Replace') return;
    allowOverwriteSource = true;
  }
  const keys = new Set(picked.map((c) => c.key));
  const dropFlags: FlagValue[] = [...(keys.has('drop') ? ['drop' as const] : []), ...(keys.has('noisy') ? ['noisy' as const] : [])];
  // The progress notification ends with the export; the result is offered after it, so that an
  // unanswered result message does not leave "exporting" (and the dataset) open.
  const counts = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'PrefLens: exporting', cancellable: true }, async (_progress, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    const dataset = await openDataset(context, source, controller.signal);
    try {
      if (!dataset.schema) throw new Error(dataset.schemaProblem ?? 'unknown layout');
      const kind = (await stat(source.fsPath)).isDirectory() ? 'folder' : 'file';
      const snapshot = await new FlagsStore(source.fsPath, { kind }).load();
      for (const problem of snapshot.problems) logChannel().warn(`${problem.file}: ${problem.message}`);
      const manifest = await exportDataset(dataset, {
        out: target.fsPath,
        format: target.fsPath.toLowerCase().endsWith('.parquet') ? 'parquet' : 'jsonl',
        flags: new Map([...snapshot.flags].map(([id, f]) => [id, f.flag])),
        dropFlags,
        applySwaps: keys.has('swaps'),
        dropInvalid: keys.has('invalid'),
        where,
        allowOverwriteSource,
        version: String(context.extension.packageJSON.version),
        signal: controller.signal,
      });
      logChannel().info(`exported ${source.fsPath} -> ${target.fsPath}: ${JSON.stringify(manifest.counts)}`);
      return manifest.counts;
    } catch (error) {
      if (!controller.signal.aborted) void vscode.window.showErrorMessage(`PrefLens export failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    } finally {
      await dataset.close();
    }
  });
  if (!counts) return;
  const action = await vscode.window.showInformationMessage(`PrefLens: kept ${counts.kept} of ${counts.rows} rows (${counts.swapped} swapped) in ${path.basename(target.fsPath)}.`, 'Open', 'Open Manifest');
  if (action === 'Open') await vscode.commands.executeCommand('vscode.open', target);
  if (action === 'Open Manifest') await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(manifestPath(target.fsPath)));
}
