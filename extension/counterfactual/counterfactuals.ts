/**
 * Live counterfactuals: a pair opened as an editable scratch document; as the user types
 * (debounced), the edited side is re-scored in the engine and the panel shows the new token and
 * sentence rewards, the new margin, a diff against the original and a small history of versions.
 * Any version can be written back to the dataset (one undoable edit of the pair's line) or
 * appended as a new pair.
 *
 * Design note
 * - Only the sides whose text differs from the last scored version are sent (`sides`), and the
 *   engine keeps each side's last results, so an edit is recomputed from its first changed token
 *   (KV cache) or, without a cache, for that side only. A newer keystroke cancels the request in
 *   flight.
 * - Nothing is written to the dataset by editing: the scratch file lives in memory (scratchFs).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { editRowCompletion, type Side } from '../../native/data/completionEdit';
import { parseCounterfactual, renderCounterfactual } from '../../native/data/counterfactualDoc';
import type { PairExplanation } from '../../native/protocol/explainProtocol';
import type { CounterfactualVersion } from '../../native/protocol/webviewProtocol';
import { explainRow } from '../panel/explainRow';
import { DatasetPanel } from '../panel/datasetPanel';
import { SCRATCH_SCHEME, ScratchFs } from './scratchFs';

interface Session {
  dataset: vscode.Uri;
  index: number;
  original: { chosen: string; rejected: string; chosenReward: number; rejectedReward: number };
  /** The last scored texts and rewards of each side. */
  current: { chosen: string; rejected: string; chosenReward: number; rejectedReward: number };
  versions: CounterfactualVersion[];
  timer?: ReturnType<typeof setTimeout>;
  inFlight?: AbortController;
}

const DEBOUNCE_MS = 150;

export class Counterfactuals implements vscode.Disposable {
  private readonly fs = new ScratchFs();
  private readonly sessions = new Map<string, Session>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext) {
    this.disposables.push(
      vscode.workspace.registerFileSystemProvider(SCRATCH_SCHEME, this.fs, { isCaseSensitive: true }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const session = this.sessions.get(e.document.uri.toString());
        if (!session || e.contentChanges.length === 0) return;
        if (session.timer) clearTimeout(session.timer);
        session.timer = setTimeout(() => void this.rescore(session, e.document), DEBOUNCE_MS);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => this.sessions.delete(doc.uri.toString())),
    );
  }

  /** Opens the pair as a scratch document beside the panel. */
  async open(dataset: vscode.Uri, index: number): Promise<vscode.Uri | undefined> {
    const panel = DatasetPanel.find(dataset) ?? DatasetPanel.show(this.context, dataset, vscode.ViewColumn.Beside);
    const detail = await panel.data.detail(index, new AbortController().signal);
    const x = detail.explanation;
    if (!x?.chosen || !x.rejected) {
      void vscode.window.showErrorMessage(`PrefLens: a counterfactual needs the models to score the edit. ${detail.explainProblem ?? ''}`);
      return undefined;
    }
    const uri = vscode.Uri.from({ scheme: SCRATCH_SCHEME, path: `/${path.basename(dataset.fsPath)}/pair-${index + 1}.txt` });
    const title = `pair ${index + 1} of ${path.basename(dataset.fsPath)}`;
    this.fs.writeFile(uri, Buffer.from(renderCounterfactual(title, { prompt: detail.texts.prompt, chosen: x.chosenEditable, rejected: x.rejectedEditable })));
    const texts = { chosen: x.chosenEditable, rejected: x.rejectedEditable, chosenReward: x.chosen.reward, rejectedReward: x.rejected.reward };
    this.sessions.set(uri.toString(), { dataset, index, original: { ...texts }, current: { ...texts }, versions: [] });
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
    panel.showCounterfactual({ index, originalMargin: texts.chosenReward - texts.rejectedReward, original: { chosen: texts.chosen, rejected: texts.rejected }, versions: [], latest: null, problem: null });
    return uri;
  }

  private async rescore(session: Session, doc: vscode.TextDocument): Promise<void> {
    const panel = DatasetPanel.find(session.dataset);
    if (!panel) return;
    const parsed = parseCounterfactual(doc.getText());
    const state = { index: session.index, originalMargin: session.original.chosenReward - session.original.rejectedReward, original: { chosen: session.original.chosen, rejected: session.original.rejected } };
    if (!parsed.ok) return panel.showCounterfactual({ ...state, versions: session.versions, latest: null, problem: parsed.problem });
    const sides = (['chosen', 'rejected'] as Side[]).filter((s) => parsed.texts[s] !== session.current[s]);
    if (sides.length === 0) return;
    session.inFlight?.abort();
    const controller = (session.inFlight = new AbortController());
    const started = Date.now();
    let result: PairExplanation | string;
    try {
      result = await explainRow(this.context, session.dataset, session.index, controller.signal, { chosen: parsed.texts.chosen, rejected: parsed.texts.rejected }, sides);
    } catch (error) {
      if (controller.signal.aborted) return;
      result = error instanceof Error ? error.message : String(error);
    }
    if (controller.signal.aborted) return;
    if (typeof result === 'string') return panel.showCounterfactual({ ...state, versions: session.versions, latest: null, problem: result });
    for (const side of sides) {
      session.current[side] = parsed.texts[side];
      session.current[`${side}Reward`] = result[side]!.reward;
    }
    const version: CounterfactualVersion = {
      n: session.versions.length + 1,
      chosen: session.current.chosen,
      rejected: session.current.rejected,
      chosenReward: session.current.chosenReward,
      rejectedReward: session.current.rejectedReward,
      margin: session.current.chosenReward - session.current.rejectedReward,
      latencyMs: Date.now() - started,
      recomputedFrom: result.recomputedFrom ?? { chosen: null, rejected: null },
    };
    session.versions = [...session.versions, version].slice(-12);
    panel.showCounterfactual({ ...state, versions: session.versions, latest: result, problem: null });
  }

  /** Writes a version back into the dataset (replace the pair's line, or append a new pair). */
  async apply(dataset: vscode.Uri, index: number, n: number, mode: 'write' | 'append'): Promise<boolean> {
    const session = [...this.sessions.values()].find((s) => s.dataset.toString() === dataset.toString() && s.index === index);
    const version = session?.versions.find((v) => v.n === n);
    const panel = DatasetPanel.find(dataset);
    if (!session || !version || !panel) {
      void vscode.window.showErrorMessage(`PrefLens: version ${n} of pair ${index + 1} is no longer open (its scratch document was closed).`);
      return false;
    }
    const line = await panel.link.lineOfRow(index);
    const schema = await panel.data.schema();
    const [pairResult] = await (await panel.data.dataset()).readPairs(index, index + 1);
    if (line === undefined || !schema || !pairResult?.ok) {
      void vscode.window.showErrorMessage('PrefLens: counterfactuals can be written back to JSONL datasets only (one pair per line).');
      return false;
    }
    const document = await vscode.workspace.openTextDocument(dataset);
    let row = JSON.parse(document.lineAt(line - 1).text) as Record<string, unknown>;
    for (const side of ['chosen', 'rejected'] as Side[]) {
      if (version[side] === session.original[side]) continue;
      const edited = editRowCompletion(row, pairResult.pair, schema.mapping, side, version[side]);
      if (!edited.ok) {
        void vscode.window.showErrorMessage(`PrefLens: ${edited.problem}.`);
        return false;
      }
      row = edited.row;
    }
    const edit = new vscode.WorkspaceEdit();
    const label = mode === 'write' ? `PrefLens: write counterfactual ${n} into pair ${index + 1}` : `PrefLens: append counterfactual ${n} of pair ${index + 1}`;
    if (mode === 'write') edit.replace(dataset, document.lineAt(line - 1).range, JSON.stringify(row), { label, needsConfirmation: false });
    else {
      const end = document.lineAt(document.lineCount - 1);
      const text = `${JSON.stringify({ ...row, preflens_counterfactual_of: pairResult.pair.id })}`;
      edit.insert(dataset, end.range.end, end.text.length === 0 ? `${text}\n` : `\n${text}`, { label, needsConfirmation: false });
    }
    const applied = await vscode.workspace.applyEdit(edit);
    if (!applied) void vscode.window.showErrorMessage(`PrefLens: VS Code refused the edit of ${dataset.fsPath}.`);
    if (applied) void vscode.window.showInformationMessage(`${label.replace('PrefLens: ', 'PrefLens: ')} (unsaved; Undo reverts it).`);
    return applied;
  }

  dispose(): void {
    for (const s of this.sessions.values()) s.inFlight?.abort();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
