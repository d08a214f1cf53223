/**
 * Settings that change scores invalidate exactly what they must. Model folders, max length and
 * the tokenizer are part of the cache keys (a new run recomputes only the affected model's
 * sides); beta, the suspicion thresholds, the checkpoints and the out-of-sample rows change only
 * the analysis, which a new run recomputes from cached log-probs with no model call. So every
 * such change offers one action, "Score Again", and says how much work it is.
 */
import * as vscode from 'vscode';
import { ScoreSession } from '../engine/scoreSession';

const MODEL_SETTINGS = ['policyModel', 'referenceModel', 'maxLength', 'columnMapping'];
const ANALYSIS_SETTINGS = ['beta', 'checkpoints', 'outOfSample', 'suspicion'];

export function watchScoreSettings(): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((event) => {
    const changed = (keys: string[]) => keys.filter((k) => event.affectsConfiguration(`preflens.${k}`));
    const models = changed(MODEL_SETTINGS);
    const analysis = changed(ANALYSIS_SETTINGS);
    if (models.length + analysis.length === 0) return;
    const uri = vscode.window.activeTextEditor?.document.uri;
    const session = uri ? ScoreSession.peek(uri.toString()) : undefined;
    if (!uri || !session || session.status().state !== 'done') return;
    const what = models.length
      ? `${models.join(', ')} changed: scoring again recomputes the affected model's pairs (the rest comes from the cache)`
      : `${analysis.join(', ')} changed: scoring again recomputes the metrics from cached log-probs, with no model call`;
    void vscode.window.showInformationMessage(`PrefLens: ${what}.`, 'Score Again').then((choice) => {
      if (choice) void vscode.commands.executeCommand('preflens.scoreDataset', uri);
    });
  });
}
