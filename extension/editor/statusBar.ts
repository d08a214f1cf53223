/**
 * The PrefLens status bar item: for the dataset in the active editor, scoring progress while a
 * run is going, then a short summary (reward accuracy, suspicious pairs); clicking it opens the
 * panel beside the file. Hidden for files PrefLens has not scored.
 */
import * as vscode from 'vscode';
import { ScoreSession } from '../engine/scoreSession';

export function createStatusBar(): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('preflens.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'PrefLens';
  item.command = 'preflens.openBeside';
  // Focus in the PrefLens panel (or any webview) leaves no active text editor: the item keeps
  // showing the dataset last active while it is still open beside it.
  let last: vscode.Uri | undefined;
  const update = (): void => {
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active) last = active;
    const stillVisible = (u: vscode.Uri): boolean => vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === u.toString());
    const uri = active ?? (last && stillVisible(last) ? last : undefined);
    const session = uri ? ScoreSession.peek(uri.toString()) : undefined;
    const status = session?.status();
    if (!session || !status || status.state === 'none') return item.hide();
    const analysis = session.currentAnalysis();
    if (status.state === 'running') {
      item.text = status.total > 0 ? `$(sync~spin) PrefLens ${status.done}/${status.total}` : '$(sync~spin) PrefLens scoring…';
      item.tooltip = 'PrefLens is scoring this dataset; click to open the panel';
    } else if (status.state === 'done' && analysis) {
      item.text = `$(graph) PrefLens ${(100 * analysis.rewardAccuracy).toFixed(1)}% · $(warning) ${analysis.suspicious}`;
      item.tooltip = `reward accuracy ${(100 * analysis.rewardAccuracy).toFixed(1)}%, mean margin ${analysis.meanMargin.toFixed(3)}, ${analysis.suspicious} suspicious pairs. ${status.message ?? ''}`;
    } else {
      item.text = `$(${status.state === 'error' ? 'error' : 'circle-slash'}) PrefLens ${status.state}`;
      item.tooltip = status.message ?? status.state;
    }
    item.show();
  };
  const stop = ScoreSession.subscribeAll(() => update());
  update();
  return vscode.Disposable.from(item, vscode.window.onDidChangeActiveTextEditor(update), vscode.window.onDidChangeVisibleTextEditors(update), { dispose: stop });
}
