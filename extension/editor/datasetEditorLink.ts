/**
 * Ties one dataset file's text editors to its PrefLens panel: the cursor's line selects that
 * pair in the panel (debounced), the panel's selection reveals and highlights its line, scored
 * lines show their margin and flag at the end of the line (only in the visible ranges, redrawn
 * on scroll, so files with millions of lines stay fast), and suspicious pairs are diagnostics in
 * the Problems panel with their evidence (pairs a person has flagged are considered reviewed), as
 * are the rows the background validation found unreadable or odd (file, line, column, field).
 *
 * Design note: one link per open panel, created and disposed with it. Everything is read from
 * the panel's open Dataset (line numbers), its ScoreSession (numbers, analysis) and its
 * PanelData (flags); nothing here reads the file again.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Dataset } from '../../native/data/dataset';
import { rowAtLine } from '../../native/data/rowAtLine';
import type { ScoreSession } from '../engine/scoreSession';
import type { PanelData } from '../panel/panelData';
import type { IssueSummary } from '../../native/protocol/webviewProtocol';

export const DIAGNOSTIC_SOURCE = 'PrefLens';
/** Row problems have their own source: the suspicion quick fixes (flag, swap) do not apply to them. */
export const ROW_DIAGNOSTIC_SOURCE = 'PrefLens dataset';
let diagnostics: vscode.DiagnosticCollection | undefined;

export function preflensDiagnostics(): vscode.DiagnosticCollection {
  diagnostics ??= vscode.languages.createDiagnosticCollection('preflens');
  return diagnostics;
}

const marginDecoration = vscode.window.createTextEditorDecorationType({
  after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
  rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
});
const selectedDecoration = vscode.window.createTextEditorDecorationType({
  isWholeLine: true,
  backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
  overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.rangeHighlightForeground'),
  overviewRulerLane: vscode.OverviewRulerLane.Center,
});

export interface LinkDeps {
  uri: vscode.Uri;
  dataset(): Promise<Dataset>;
  session: ScoreSession;
  data: PanelData;
  /** Tell the panel to select this row. */
  selectRow(index: number): void;
}

export class DatasetEditorLink implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private selected: number | null = null;
  private suppressCursorUntil = 0;
  private cursorTimer: ReturnType<typeof setTimeout> | undefined;
  private decorateTimer: ReturnType<typeof setTimeout> | undefined;
  private rowIssues: readonly IssueSummary[] = [];
  private diagnosticsRun = 0;

  constructor(private readonly deps: LinkDeps) {
    const key = deps.uri.toString();
    const mine = (editor: vscode.TextEditor) => editor.document.uri.toString() === key;
    this.disposables.push(
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (!mine(e.textEditor) || Date.now() < this.suppressCursorUntil) return;
        if (this.cursorTimer) clearTimeout(this.cursorTimer);
        this.cursorTimer = setTimeout(() => void this.cursorMoved(e.selections[0]!.active.line + 1), 150);
      }),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => {
        if (mine(e.textEditor)) this.scheduleDecorations();
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.scheduleDecorations()),
      { dispose: deps.session.subscribe((event) => {
        if (event.kind !== 'progress' || event.done === event.total) this.refresh();
        else this.scheduleDecorations();
      }) },
    );
    this.refresh();
  }

  private editors(): vscode.TextEditor[] {
    const key = this.deps.uri.toString();
    return vscode.window.visibleTextEditors.filter((e) => e.document.uri.toString() === key);
  }

  /** Row of a 1-based line, or undefined. */
  async rowOfLine(line: number): Promise<number | undefined> {
    return rowAtLine((await this.deps.dataset()).source, line);
  }

  async lineOfRow(index: number): Promise<number | undefined> {
    return (await this.deps.dataset()).source.lineOf?.(index);
  }

  private async cursorMoved(line: number): Promise<void> {
    const row = await this.rowOfLine(line);
    if (row === undefined || row === this.selected) return;
    this.selected = row;
    this.deps.selectRow(row);
    this.scheduleDecorations();
  }

  /** The panel selected a row: reveal and highlight its line without echoing it back. */
  async revealRow(index: number, open = false): Promise<boolean> {
    const line = await this.lineOfRow(index);
    if (line === undefined) return false;
    this.selected = index;
    this.suppressCursorUntil = Date.now() + 500;
    let editor = this.editors()[0];
    if (!editor && !open) return false;
    editor ??= await vscode.window.showTextDocument(this.deps.uri, { viewColumn: vscode.ViewColumn.One, preserveFocus: true });
    const position = new vscode.Position(line - 1, 0);
    editor.selection = new vscode.Selection(position, position);
    editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    this.scheduleDecorations();
    return true;
  }

  /** Diagnostics and decorations from the current scores, analysis and flags. */
  refresh(): void {
    void this.updateDiagnostics();
    this.scheduleDecorations();
  }

  /** The validation's row problems (empty: none, or the file changed and is being checked again). */
  setRowIssues(issues: readonly IssueSummary[]): void {
    this.rowIssues = issues;
    void this.updateDiagnostics();
  }

  private rowIssueDiagnostics(covered: (issue: IssueSummary) => boolean = () => false): vscode.Diagnostic[] {
    // Issues name their file: a folder of shards has none to attach them to here (the panel lists them).
    const fileName = path.basename(this.deps.uri.fsPath);
    const list: vscode.Diagnostic[] = [];
    for (const issue of this.rowIssues) {
      if (issue.file !== fileName || issue.line === null || covered(issue)) continue;
      const column = Math.max(0, (issue.column ?? 1) - 1);
      const range = new vscode.Range(issue.line - 1, column, issue.line - 1, Number.MAX_SAFE_INTEGER);
      const d = new vscode.Diagnostic(range, issue.message, issue.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
      d.source = ROW_DIAGNOSTIC_SOURCE;
      d.code = issue.reason;
      list.push(d);
    }
    return list;
  }

  private async updateDiagnostics(): Promise<void> {
    // Updates overlap (scores, flags and validation all trigger one); only the latest may write.
    const run = ++this.diagnosticsRun;
    const analysis = this.deps.session.currentAnalysis();
    const dataset = analysis ? await this.deps.dataset() : undefined;
    const flags = analysis ? await this.deps.data.flags() : undefined;
    if (run !== this.diagnosticsRun) return;
    const collection = preflensDiagnostics();
    if (!analysis || !dataset || !flags) {
      const list = this.rowIssueDiagnostics();
      return void (list.length > 0 ? collection.set(this.deps.uri, list) : collection.delete(this.deps.uri));
    }
    // A row warning the scores also raise (identical responses) is said once, by the suspicion;
    // a pair a person has flagged is reviewed, its warnings included.
    const records = this.deps.session.scoredRecords();
    const suspected = new Set(analysis.review.flatMap((e) => e.suspicions.map((s) => `${e.index}:${s.reason}`)));
    const list = this.rowIssueDiagnostics((issue) => {
      if (issue.severity === 'error' || issue.index === null) return false;
      const id = records.get(issue.index)?.id;
      return suspected.has(`${issue.index}:${issue.reason}`) || (typeof id === 'string' && flags.has(id));
    });
    for (const entry of analysis.review) {
      if (flags.has(entry.id)) continue; // reviewed by a person
      const line = dataset.source.lineOf?.(entry.index);
      if (line === undefined) continue;
      const range = new vscode.Range(line - 1, 0, line - 1, Number.MAX_SAFE_INTEGER);
      const reasons = entry.suspicions.map((s) => s.reason).join(', ');
      const d = new vscode.Diagnostic(range, `pair ${entry.index + 1} (margin ${entry.margin.toFixed(3)}): ${reasons}. ${entry.suspicions[0]?.evidence ?? ''}`, entry.score >= 3 ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = entry.suspicions[0]?.reason;
      list.push(d);
    }
    collection.set(this.deps.uri, list);
  }

  private scheduleDecorations(): void {
    if (this.decorateTimer) clearTimeout(this.decorateTimer);
    this.decorateTimer = setTimeout(() => void this.decorate(), 80);
  }

  private async decorate(): Promise<void> {
    const editors = this.editors();
    if (editors.length === 0) return;
    const dataset = await this.deps.dataset();
    const records = this.deps.session.scoredRecords();
    const flags = await this.deps.data.flags();
    const selectedLine = this.selected === null ? undefined : dataset.source.lineOf?.(this.selected);
    for (const editor of editors) {
      const options: vscode.DecorationOptions[] = [];
      for (const visible of editor.visibleRanges) {
        // a few lines beyond the viewport so short scrolls show numbers at once
        const from = Math.max(1, visible.start.line + 1 - 20);
        const to = Math.min(editor.document.lineCount, visible.end.line + 1 + 20);
        let row = rowAtLine(dataset.source, from);
        for (row ??= 0; row < dataset.rowCount; row++) {
          const line = dataset.source.lineOf?.(row);
          if (line === undefined || line > to) break;
          if (line < from) continue;
          const r = records.get(row);
          if (!r || r.status !== 'ok' || r.margin === null) continue;
          const flag = r.id ? flags.get(r.id)?.flag : undefined;
          const text = `margin ${r.margin.toFixed(3)}${flag ? ` · ${flag}` : ''}`;
          const end = editor.document.lineAt(line - 1).range.end;
          options.push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: text } } });
        }
      }
      editor.setDecorations(marginDecoration, options);
      editor.setDecorations(selectedDecoration, selectedLine !== undefined && selectedLine <= editor.document.lineCount ? [new vscode.Range(selectedLine - 1, 0, selectedLine - 1, 0)] : []);
    }
  }

  dispose(): void {
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    if (this.decorateTimer) clearTimeout(this.decorateTimer);
    for (const editor of this.editors()) {
      editor.setDecorations(marginDecoration, []);
      editor.setDecorations(selectedDecoration, []);
    }
    preflensDiagnostics().delete(this.deps.uri);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
