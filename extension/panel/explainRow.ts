/**
 * The pair detail's token-level explanation, from the engine process with the scoring settings
 * of the dataset. Returns a sentence instead of throwing when it cannot run (untrusted
 * workspace, no models configured), so the panel can show the pair's text with the reason.
 */
import * as vscode from 'vscode';
import type { PairExplanation } from '../../native/protocol/explainProtocol';
import { engine } from '../engine/engineService';
import { scoreParams, SettingsProblem } from '../engine/scoreSettings';

export function modelsConfigured(context: vscode.ExtensionContext, dataset: vscode.Uri): boolean {
  if (!vscode.workspace.isTrusted) return false;
  try {
    scoreParams(context, dataset);
    return true;
  } catch {
    return false;
  }
}

export async function explainRow(context: vscode.ExtensionContext, dataset: vscode.Uri, index: number, signal: AbortSignal, edits?: { chosen?: string; rejected?: string }, sides?: ('chosen' | 'rejected')[]): Promise<PairExplanation | string> {
  if (!vscode.workspace.isTrusted) return 'Token rewards need the models, and PrefLens does not run models in an untrusted workspace.';
  let params;
  try {
    params = scoreParams(context, dataset);
  } catch (error) {
    if (error instanceof SettingsProblem) return `No models configured: ${error.message}.`;
    throw error;
  }
  const { checkpoints: _c, outOfSample: _o, tokenBudget: _t, promptSharing: _p, cacheMaxBytes: _m, thresholds: _h, ...base } = params;
  return engine(context).requestWithRestart('explain', { ...base, index, edits, sides }, { signal });
}
