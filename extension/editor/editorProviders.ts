/**
 * Language features on dataset files that have a PrefLens panel: a hover with the pair's key
 * numbers and suspicions (and a link that opens its detail), CodeLenses on suspicious pairs, and
 * quick fixes on PrefLens diagnostics (flag noisy / drop, swap chosen and rejected in the file,
 * mark reviewed, open in PrefLens).
 *
 * Design note: registered once for JSONL and JSON files; each call looks up the panel of the
 * document (no panel, no features), so closed datasets cost nothing. CodeLenses exist only for
 * the review list (at most a few hundred), never one per line.
 */
import * as vscode from 'vscode';
import { DatasetPanel } from '../panel/datasetPanel';
import { DIAGNOSTIC_SOURCE } from './datasetEditorLink';

const SELECTOR: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.{jsonl,json}' }];
const fixed = (x: number | null | undefined, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '–');

function commandLink(command: string, args: unknown[]): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify(args))}`;
}

class PairHover implements vscode.HoverProvider {
  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const panel = DatasetPanel.find(document.uri);
    if (!panel) return undefined;
    const row = await panel.link.rowOfLine(position.line + 1);
    if (row === undefined) return undefined;
    const r = panel.session.scoredRecords().get(row);
    const review = panel.session.currentAnalysis()?.review.find((e) => e.index === row);
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: ['preflens.openPair'] };
    md.appendMarkdown(`**PrefLens · pair ${row + 1}**\n\n`);
    if (r && r.status === 'ok') {
      md.appendMarkdown(`margin **${fixed(r.margin)}** · chosen reward ${fixed(r.chosen_reward)} · rejected reward ${fixed(r.rejected_reward)}  \n`);
      md.appendMarkdown(`tokens ${r.chosen_tokens} / ${r.rejected_tokens} · chosen log-ratio ${fixed((r.chosen_logps ?? 0) - (r.ref_chosen_logps ?? 0), 2)}\n\n`);
    } else if (r) md.appendText(`not scored: ${r.error ?? 'invalid row'}\n\n`);
    else md.appendMarkdown('not scored yet\n\n');
    for (const s of review?.suspicions ?? []) {
      md.appendMarkdown(`- **${s.reason}**: `);
      md.appendText(s.evidence);
      md.appendMarkdown('\n');
    }
    md.appendMarkdown(`\n[Open in PrefLens](${commandLink('preflens.openPair', [document.uri.toString(), row])})`);
    return new vscode.Hover(md, document.lineAt(position.line).range);
  }
}

class SuspicionLenses implements vscode.CodeLensProvider {
  readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const panel = DatasetPanel.find(document.uri);
    const analysis = panel?.session.currentAnalysis();
    if (!panel || !analysis) return [];
    const flags = await panel.data.flags();
    const lenses: vscode.CodeLens[] = [];
    for (const entry of analysis.review) {
      const line = await panel.link.lineOfRow(entry.index);
      if (line === undefined || line > document.lineCount) continue;
      const range = new vscode.Range(line - 1, 0, line - 1, 0);
      const flag = flags.get(entry.id)?.flag;
      const uri = document.uri.toString();
      lenses.push(new vscode.CodeLens(range, { title: `$(warning) margin ${fixed(entry.margin)} · ${entry.suspicions.map((s) => s.reason).join(', ')}${flag ? ` · flagged ${flag}` : ''}`, command: 'preflens.openPair', arguments: [uri, entry.index], tooltip: entry.suspicions.map((s) => s.evidence).join('\n') }));
      if (!flag) lenses.push(new vscode.CodeLens(range, { title: 'Flag noisy', command: 'preflens.flagPair', arguments: [uri, entry.index, 'noisy'] }));
      lenses.push(new vscode.CodeLens(range, { title: 'Counterfactual', command: 'preflens.editCounterfactual', arguments: [uri, entry.index], tooltip: 'Edit this pair in a scratch document and watch its rewards change' }));
    }
    return lenses;
  }
}

class SuspicionFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  async provideCodeActions(document: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const panel = DatasetPanel.find(document.uri);
    if (!panel) return [];
    const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
    if (ours.length === 0) return [];
    const row = await panel.link.rowOfLine(range.start.line + 1);
    if (row === undefined) return [];
    const uri = document.uri.toString();
    const action = (title: string, command: string, args: unknown[], preferred = false): vscode.CodeAction => {
      const a = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
      a.command = { title, command, arguments: args };
      a.diagnostics = ours;
      a.isPreferred = preferred;
      return a;
    };
    return [
      action('PrefLens: Flag as noisy', 'preflens.flagPair', [uri, row, 'noisy'], true),
      action('PrefLens: Flag to drop', 'preflens.flagPair', [uri, row, 'drop']),
      action('PrefLens: Swap chosen/rejected in the file', 'preflens.swapInFile', [uri, row]),
      action('PrefLens: Mark reviewed (ok)', 'preflens.flagPair', [uri, row, 'ok']),
      action('PrefLens: Open in PrefLens', 'preflens.openPair', [uri, row]),
    ];
  }
}

export function registerEditorProviders(): vscode.Disposable {
  const lenses = new SuspicionLenses();
  const refresh = () => lenses.changed.fire();
  return vscode.Disposable.from(
    vscode.languages.registerHoverProvider(SELECTOR, new PairHover()),
    vscode.languages.registerCodeLensProvider(SELECTOR, lenses),
    vscode.languages.registerCodeActionsProvider(SELECTOR, new SuspicionFixes(), { providedCodeActionKinds: SuspicionFixes.kinds }),
    DatasetPanel.onFlagsChanged.event(refresh),
    DatasetPanel.onAnalysisChanged.event(refresh),
    lenses.changed,
  );
}
