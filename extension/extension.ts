/**
 * Extension entry point: registers commands and nothing else. Everything heavier is created
 * on first use, so activation stays cheap.
 */
import * as vscode from 'vscode';
import { exportFiltered } from './commands/exportFiltered';
import { openBeside } from './commands/openBeside';
import { scoreDataset } from './commands/scoreDataset';
import { cacheDirOf } from './dataset/datasetSession';
import { engine, shutdownEngine } from './engine/engineService';
import { disposeLog, logChannel } from './log';
import { DatasetPanel } from './panel/datasetPanel';

export function activate(context: vscode.ExtensionContext): void {
  logChannel().info(`PrefLens ${String(context.extension.packageJSON.version)} activated`);
  context.subscriptions.push(
    vscode.commands.registerCommand('preflens.openBeside', (uri?: vscode.Uri) => openBeside(context, uri)),
    vscode.commands.registerCommand('preflens.exportFiltered', (uri?: vscode.Uri) => exportFiltered(context, uri)),
    vscode.commands.registerCommand('preflens.scoreDataset', (uri?: vscode.Uri) => scoreDataset(context, uri)),
    vscode.commands.registerCommand('preflens.showEngineLog', () => logChannel().show()),
    vscode.commands.registerCommand('preflens.clearCache', async () => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage('PrefLens: the engine does not run in an untrusted workspace.');
        return;
      }
      await engine(context).request('clearCache', { cacheDir: cacheDirOf(context) });
      void vscode.window.showInformationMessage('PrefLens: cache cleared.');
    }),
    { dispose: () => void shutdownEngine() },
    { dispose: () => DatasetPanel.disposeAll() },
  );
}

export async function deactivate(): Promise<void> {
  DatasetPanel.disposeAll();
  await shutdownEngine();
  disposeLog();
}
