/**
 * Commands on one pair, used by CodeLenses, hovers, quick fixes and the palette:
 * open it in the panel, flag it, swap chosen and rejected in the file (one undoable edit of that
 * line, every other byte untouched), and clear all flags of a dataset.
 */
import * as vscode from 'vscode';
import type { FlagValue } from '../../native/data/flagsStore';
import { swapRow } from '../../native/data/swapRow';
import { DatasetPanel } from '../panel/datasetPanel';

const asUri = (value: unknown): vscode.Uri | undefined =>
  value instanceof vscode.Uri ? value : typeof value === 'string' ? vscode.Uri.parse(value) : vscode.window.activeTextEditor?.document.uri;

function panelFor(context: vscode.ExtensionContext, uri: vscode.Uri): DatasetPanel {
  return DatasetPanel.find(uri) ?? DatasetPanel.show(context, uri, vscode.ViewColumn.Beside);
}

export async function openPair(context: vscode.ExtensionContext, uriArg: unknown, index: number): Promise<void> {
  const uri = asUri(uriArg);
  if (!uri || !Number.isInteger(index)) return;
  const panel = panelFor(context, uri);
  panel.reveal();
  panel.selectRow(index);
  await panel.link.revealRow(index);
}

export async function flagPair(context: vscode.ExtensionContext, uriArg: unknown, index: number, flag: FlagValue | null): Promise<void> {
  const uri = asUri(uriArg);
  if (!uri || !Number.isInteger(index)) return;
  const panel = panelFor(context, uri);
  try {
    await panel.data.setFlag(index, flag);
    panel.flagChanged(index, flag);
    vscode.window.setStatusBarMessage(`PrefLens: pair ${index + 1} ${flag ? `flagged ${flag}` : 'unflagged'}`, 3000);
  } catch (error) {
    void vscode.window.showErrorMessage(`PrefLens: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Replaces the pair's line with the same record, chosen and rejected (and their scores) swapped. */
export async function swapInFile(context: vscode.ExtensionContext, uriArg: unknown, index: number): Promise<boolean> {
  const uri = asUri(uriArg);
  if (!uri || !Number.isInteger(index)) return false;
  const panel = panelFor(context, uri);
  const line = await panel.link.lineOfRow(index);
  const schema = await panel.data.schema();
  if (line === undefined || !schema) {
    void vscode.window.showErrorMessage('PrefLens: only a pair on its own line of a JSONL file with a recognised layout can be swapped in place.');
    return false;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  const text = document.lineAt(line - 1).text;
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch {
    void vscode.window.showErrorMessage(`PrefLens: ${uri.fsPath}:${line} is not one JSON record on its own line, so it cannot be swapped in place.`);
    return false;
  }
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return false;
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, document.lineAt(line - 1).range, JSON.stringify(swapRow(row as Record<string, unknown>, schema.mapping)), { label: `PrefLens: swap chosen/rejected of pair ${index + 1}`, needsConfirmation: false });
  const applied = await vscode.workspace.applyEdit(edit);
  if (applied) vscode.window.setStatusBarMessage(`PrefLens: swapped chosen and rejected on line ${line} (Undo restores it); save the file to keep it`, 5000);
  return applied;
}

export async function clearFlags(context: vscode.ExtensionContext, uriArg: unknown): Promise<void> {
  const uri = asUri(uriArg);
  if (!uri) return;
  const panel = panelFor(context, uri);
  const count = (await panel.data.flags()).size;
  if (count === 0) return void vscode.window.showInformationMessage('PrefLens: this dataset has no flags.');
  const choice = await vscode.window.showWarningMessage(`Clear all ${count} PrefLens flags of ${uri.fsPath}?`, { modal: true }, 'Clear Flags');
  if (choice !== 'Clear Flags') return;
  await panel.data.clearFlags();
  panel.flagsReloaded();
}
