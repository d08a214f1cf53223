/**
 * `PrefLens: Configure Models`: pick the policy and the reference from the model folders found
 * in the workspace (folders with a config.json or an ONNX graph), or browse for one. Each folder
 * is checked as the engine will load it (native/engine/modelFolder.ts) and the tokenizer must
 * load; a bad folder is refused with what is wrong (for example the optimum-cli command that
 * exports a PyTorch checkpoint). The choice is saved to the workspace settings.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { locateModel } from '../../native/engine/modelFolder';
import { loadModelTokenizer } from '../../native/engine/tokenize/modelTokenizer';

interface FolderPick extends vscode.QuickPickItem { dir?: string; browse?: boolean }

/** What is wrong with a folder as a PrefLens model, or undefined when it loads. */
export async function checkModelFolder(dir: string): Promise<string | undefined> {
  try {
    await locateModel(dir);
    await loadModelTokenizer(dir);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function candidateFolders(): Promise<string[]> {
  const found = await vscode.workspace.findFiles('**/{config.json,model.onnx,onnx/model.onnx}', '**/node_modules/**', 500);
  const dirs = new Set<string>();
  for (const uri of found) {
    const dir = path.basename(path.dirname(uri.fsPath)) === 'onnx' ? path.dirname(path.dirname(uri.fsPath)) : path.dirname(uri.fsPath);
    dirs.add(dir);
  }
  return [...dirs].sort();
}

async function pickFolder(title: string, folders: string[], exclude?: string): Promise<string | undefined> {
  const items: FolderPick[] = [
    ...folders.filter((d) => d !== exclude).map((dir) => ({ label: vscode.workspace.asRelativePath(dir, false), description: dir, dir })),
    { label: '$(folder-opened) Browse…', browse: true, alwaysShow: true },
  ];
  for (;;) {
    const choice = await vscode.window.showQuickPick(items, { title, placeHolder: 'A Hugging Face ONNX export (optimum-cli export onnx)', ignoreFocusOut: true });
    if (!choice) return undefined;
    let dir = choice.dir;
    if (choice.browse) {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, title });
      dir = picked?.[0]?.fsPath;
      if (!dir) continue;
    }
    const problem = await checkModelFolder(dir!);
    if (!problem) return dir;
    await vscode.window.showErrorMessage(`PrefLens: ${dir} cannot be used: ${problem}`, { modal: true });
  }
}

function settingValue(dir: string, scope: vscode.Uri | undefined): string {
  const folder = scope ? vscode.workspace.getWorkspaceFolder(scope) : vscode.workspace.workspaceFolders?.[0];
  if (!folder) return dir;
  const relative = path.relative(folder.uri.fsPath, dir);
  return relative.startsWith('..') || path.isAbsolute(relative) ? dir : relative;
}

export async function configureModels(uri?: vscode.Uri): Promise<boolean> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('PrefLens: models are not loaded in an untrusted workspace; trust the workspace first.');
    return false;
  }
  const folders = await candidateFolders();
  const policy = await pickFolder('PrefLens: policy model (the trained checkpoint)', folders);
  if (!policy) return false;
  const reference = await pickFolder('PrefLens: reference model (the SFT checkpoint DPO started from)', folders, policy);
  if (!reference) return false;
  const config = vscode.workspace.getConfiguration('preflens', uri);
  await config.update('policyModel', settingValue(policy, uri), vscode.ConfigurationTarget.Workspace);
  await config.update('referenceModel', settingValue(reference, uri), vscode.ConfigurationTarget.Workspace);
  const choice = await vscode.window.showInformationMessage(`PrefLens: policy ${path.basename(policy)}, reference ${path.basename(reference)}.`, 'Score Dataset');
  if (choice) await vscode.commands.executeCommand('preflens.scoreDataset', uri);
  return true;
}
