/**
 * Extension entry point: registers commands, the editor features (hover, CodeLens, quick fixes,
 * status bar) and the settings watcher. Everything heavier (datasets, the engine) is created on
 * first use, so activation stays cheap.
 */
import * as vscode from 'vscode';
import { configureModels } from './commands/configureModels';
import { Counterfactuals } from './counterfactual/counterfactuals';
import { exportFiltered } from './commands/exportFiltered';
import { openBeside } from './commands/openBeside';
import { openReport } from './commands/openReport';
import { clearFlags, flagPair, openPair, swapInFile } from './commands/pairCommands';
import { scoreDataset } from './commands/scoreDataset';
import { importedChoice, importScores } from './commands/importScores';
import { cacheDirOf } from './dataset/datasetSession';
import { registerEditorProviders } from './editor/editorProviders';
import { watchScoreSettings } from './editor/settingsWatcher';
import { createStatusBar } from './editor/statusBar';
import { engine, shutdownEngine } from './engine/engineService';
import { disposeLog, logChannel } from './log';
import { DatasetPanel, VIEW_TYPE } from './panel/datasetPanel';
import type { FlagValue } from '../native/data/flagsStore';

export function activate(context: vscode.ExtensionContext): void {
  logChannel().info(`PrefLens ${String(context.extension.packageJSON.version)} activated`);
  const command = (id: string, run: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, run as (...args: unknown[]) => unknown);
  const counterfactuals = new Counterfactuals(context);
  context.subscriptions.push(
    command('preflens.openBeside', (uri?: vscode.Uri) => openBeside(context, uri)),
    command('preflens.exportFiltered', (uri?: vscode.Uri) => exportFiltered(context, uri)),
    command('preflens.scoreDataset', (uri?: vscode.Uri) => scoreDataset(context, uri)),
    // Scores are cached per pair and model: a new run recomputes only new or changed pairs.
    command('preflens.rescoreChanged', (uri?: vscode.Uri) => scoreDataset(context, uri)),
    command('preflens.restoreScores', (uri: vscode.Uri) => scoreDataset(context, uri, { quiet: true })),
    command('preflens.importScores', (uri?: vscode.Uri) => importScores(context, uri)),
    command('preflens.restoreImport', (uri: vscode.Uri) => importScores(context, uri, importedChoice(context, uri), { quiet: true })),
    command('preflens.configureModels', (uri?: vscode.Uri) => configureModels(uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri)),
    command('preflens.openReport', (uri?: vscode.Uri) => openReport(context, uri)),
    command('preflens.openPair', (uri: unknown, index: number) => openPair(context, uri, index)),
    command('preflens.flagPair', (uri: unknown, index: number, flag: FlagValue | null) => flagPair(context, uri, index, flag)),
    command('preflens.swapInFile', (uri: unknown, index: number) => swapInFile(context, uri, index)),
    command('preflens.clearFlags', (uri?: unknown) => clearFlags(context, uri)),
    counterfactuals,
    command('preflens.editCounterfactual', async (uri?: unknown, index?: number) => {
      const target = uri instanceof vscode.Uri ? uri : typeof uri === 'string' ? vscode.Uri.parse(uri) : vscode.window.activeTextEditor?.document.uri;
      if (!target) return undefined;
      let row = index;
      if (row === undefined) {
        const panel = DatasetPanel.find(target) ?? DatasetPanel.show(context, target, vscode.ViewColumn.Beside);
        row = await panel.link.rowOfLine((vscode.window.activeTextEditor?.selection.active.line ?? 0) + 1);
      }
      return row === undefined ? undefined : counterfactuals.open(target, row);
    }),
    command('preflens.applyCounterfactual', (uri: vscode.Uri, index: number, n: number, mode: 'write' | 'append') => counterfactuals.apply(uri, index, n, mode)),
    command('preflens.showEngineLog', () => logChannel().show()),
    command('preflens.clearCache', async () => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage('PrefLens: the engine does not run in an untrusted workspace.');
        return;
      }
      await engine(context).request('clearCache', { cacheDir: cacheDirOf(context) });
      void vscode.window.showInformationMessage('PrefLens: cache cleared.');
    }),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => DatasetPanel.revive(context, panel, state),
    }),
    registerEditorProviders(),
    createStatusBar(),
    watchScoreSettings(),
    { dispose: () => void shutdownEngine() },
    { dispose: () => DatasetPanel.disposeAll() },
  );
}

export async function deactivate(): Promise<void> {
  DatasetPanel.disposeAll();
  await shutdownEngine();
  disposeLog();
}
