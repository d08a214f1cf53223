/**
 * `PrefLens: Score Dataset`: scores the dataset with the policy and reference from the settings
 * in the engine process, with a cancellable progress notification; results flow into the panel
 * beside the dataset as they arrive. An engine crash is reported and the run resumes from the
 * cache in a restarted engine. In an untrusted workspace it refuses and starts nothing.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ProtocolRequestError } from '../../native/protocol/client';
import { engine } from '../engine/engineService';
import { scoreParams, SettingsProblem } from '../engine/scoreSettings';
import { ScoreSession } from '../engine/scoreSession';
import { SCORED_KEY } from '../engine/scoredDatasets';
import { forgetImport } from './importScores';
import { logChannel } from '../log';
import { DatasetPanel } from '../panel/datasetPanel';

export const UNTRUSTED_MESSAGE = 'PrefLens does not load or run models in an untrusted workspace (Restricted Mode). Trust this workspace to score datasets; viewing datasets works without trust.';

export async function scoreDataset(context: vscode.ExtensionContext, uri?: vscode.Uri, options: { quiet?: boolean } = {}): Promise<void> {
  const dataset = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!dataset || dataset.scheme !== 'file') {
    void vscode.window.showErrorMessage('PrefLens: open a dataset file first, or run Score Dataset from its context menu.');
    return;
  }
  const session = ScoreSession.for(dataset.toString());
  if (!vscode.workspace.isTrusted) {
    session.setState('untrusted', UNTRUSTED_MESSAGE);
    void vscode.window.showWarningMessage(UNTRUSTED_MESSAGE, 'Manage Workspace Trust').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return;
  }
  let params;
  try {
    params = scoreParams(context, dataset);
  } catch (error) {
    if (!(error instanceof SettingsProblem)) throw error;
    const choice = await vscode.window.showErrorMessage(`PrefLens: ${error.message}`, 'Open Settings');
    if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', 'preflens');
    return;
  }
  DatasetPanel.show(context, dataset, vscode.ViewColumn.Beside);
  const name = path.basename(dataset.fsPath);
  session.start(0);
  await vscode.window.withProgress(
    // quiet: restoring a scored dataset from the cache shows progress in the status bar only
    { location: options.quiet ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification, title: `PrefLens: scoring ${name}`, cancellable: !options.quiet },
    async (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      let reported = 0;
      try {
        const result = await engine(context).requestWithRestart('score', params, {
          signal: controller.signal,
          onRestart: (cause) => {
            logChannel().warn(`${cause}; restarting the engine and resuming from the cache`);
            progress.report({ message: 'the engine stopped; restarting and resuming…' });
          },
          onProgress: (data) => {
            const p = data as { done: number; total: number; records: [] };
            session.add(p.done, p.total, p.records);
            const percent = p.total ? (100 * p.done) / p.total : 0;
            progress.report({ message: `${p.done} of ${p.total} pairs`, increment: percent - reported });
            reported = percent;
          },
        });
        const summary = `scored ${result.ok} pairs${result.invalid ? `, ${result.invalid} invalid` : ''} on ${result.device} in ${(result.durationMs / 1000).toFixed(1)} s (${result.computed.policy} ${result.computed.policy === 1 ? 'pair' : 'pairs'} run through the policy and ${result.computed.reference} through the reference; ${result.cached.policy + result.cached.reference} model sides from the cache)`;
        logChannel().info(`${name}: ${summary}; model calls ${JSON.stringify(result.modelCalls)}`);
        if (result.analysis) session.setAnalysis(result.analysis);
        session.setState('done', summary);
        await forgetImport(context, dataset);
        const scored = new Set(context.workspaceState.get<string[]>(SCORED_KEY, []));
        if (!scored.has(dataset.toString())) void context.workspaceState.update(SCORED_KEY, [...scored, dataset.toString()].slice(-50));
      } catch (error) {
        if (controller.signal.aborted || (error instanceof ProtocolRequestError && error.code === 'cancelled')) {
          session.setState('cancelled', 'scoring cancelled; finished pairs are cached, and scoring again continues from there');
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        session.setState('error', message);
        void vscode.window.showErrorMessage(`PrefLens: scoring failed: ${message}`, 'Show Engine Log').then((choice) => {
          if (choice) logChannel().show();
        });
      }
    },
  );
}
