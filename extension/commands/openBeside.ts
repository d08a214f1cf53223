/** `PrefLens: Open Beside`: opens the PrefLens panel for a dataset in the column beside it. */
import * as vscode from 'vscode';
import { DatasetPanel } from '../panel/datasetPanel';

const SUPPORTED = /\.(jsonl|jsonl\.gz|json|parquet|arrow)$/i;

export async function openBeside(context: vscode.ExtensionContext, uri?: vscode.Uri): Promise<void> {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!target) {
    void vscode.window.showErrorMessage('PrefLens: open a dataset (.jsonl, .json, .parquet, .arrow) first, or run Open Beside from its context menu.');
    return;
  }
  if (target.scheme !== 'file') {
    void vscode.window.showErrorMessage(`PrefLens works on files on disk; ${target.toString()} is not one.`);
    return;
  }
  if (!SUPPORTED.test(target.fsPath)) {
    void vscode.window.showErrorMessage(`PrefLens: ${vscode.workspace.asRelativePath(target)} is not a dataset PrefLens reads (.jsonl, .jsonl.gz, .json, .parquet).`);
    return;
  }
  DatasetPanel.show(context, target, vscode.ViewColumn.Beside);
}
