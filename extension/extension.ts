/**
 * Extension entry point: registers commands and nothing else. Everything heavier is created
 * on first use, so activation stays cheap.
 */
import * as vscode from 'vscode';
import { exportFiltered } from './commands/exportFiltered';
import { openBeside } from './commands/openBeside';
import { disposeLog, logChannel } from './log';
import { DatasetPanel } from './panel/datasetPanel';

export function activate(context: vscode.ExtensionContext): void {
  logChannel().info(`PrefLens ${String(context.extension.packageJSON.version)} activated`);
  context.subscriptions.push(
    vscode.commands.registerCommand('preflens.openBeside', (uri?: vscode.Uri) => openBeside(context, uri)),
    vscode.commands.registerCommand('preflens.exportFiltered', (uri?: vscode.Uri) => exportFiltered(context, uri)),
    { dispose: () => DatasetPanel.disposeAll() },
  );
}

export function deactivate(): void {
  DatasetPanel.disposeAll();
  disposeLog();
}
