/**
 * `PrefLens: Open Report`: the shareable report of the latest scoring run of a dataset, built
 * by the same code as `preflens report` (native/report/), shown in an editor tab and saved as
 * one self-contained HTML file that "Save Report As…" copies wherever the user wants.
 *
 * Design note: the run lives in the extension host (ScoreSession); it is written to the
 * extension's storage as a scores file with its meta (the `preflens score --out` format), so the
 * report builder reads exactly what the CLI would. The HTML carries its own CSP (hashed inline
 * script and style, no network) and escapes every dataset string.
 */
import * as path from 'node:path';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { buildReportData } from '../../native/report/buildReport';
import { renderHtmlReport } from '../../native/report/htmlReport';
import { cacheDirOf, mappingFromSettings } from '../dataset/datasetSession';
import { ScoreSession } from '../engine/scoreSession';

export async function writeSessionScores(session: ScoreSession, file: string, beta: number): Promise<void> {
  const analysis = session.currentAnalysis();
  const review = new Map((analysis?.review ?? []).map((r, rank) => [r.index, { rank, suspicions: r.suspicions }]));
  const lines = [...session.scoredRecords().values()].sort((a, b) => a.index - b.index).map((r) => {
    const entry = review.get(r.index);
    return JSON.stringify({ ...r, beta, suspicions: entry?.suspicions ?? [], review_rank: entry?.rank ?? null });
  });
  await writeFile(file, lines.length ? `${lines.join('\n')}\n` : '');
  const meta = analysis
    ? {
        analysis: {
          rewardAccuracy: analysis.rewardAccuracy,
          meanMargin: analysis.meanMargin,
          displacementRate: analysis.displacementRate,
          ranking: { R: analysis.rankingAccuracy, refR: analysis.referenceRankingAccuracy, alignmentGapPP: analysis.alignmentGapPP },
          suspicious: analysis.suspicious,
          confidentLearning: analysis.confidentLearning,
          trajectories: analysis.checkpoints ? { checkpoints: analysis.checkpoints.labels, displacedByCheckpoint: analysis.checkpoints.displaced, meanMarginByCheckpoint: analysis.checkpoints.meanMargin } : undefined,
        },
      }
    : {};
  await writeFile(`${file}.meta.json`, JSON.stringify(meta));
}

export async function openReport(context: vscode.ExtensionContext, uri?: vscode.Uri): Promise<void> {
  const dataset = uri ?? vscode.window.activeTextEditor?.document.uri;
  const session = dataset ? ScoreSession.peek(dataset.toString()) : undefined;
  if (!dataset || !session || session.scoredRecords().size === 0) {
    void vscode.window.showInformationMessage('PrefLens: score the dataset first (PrefLens: Score Dataset); the report summarises the latest run.');
    return;
  }
  const dir = path.join(context.globalStorageUri.fsPath, 'reports');
  await mkdir(dir, { recursive: true });
  const base = path.basename(dataset.fsPath).replace(/[^\w.-]+/g, '_');
  const scores = path.join(dir, `${base}.scores.jsonl`);
  const html = path.join(dir, `${base}.report.html`);
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'PrefLens: building the report' }, async () => {
    await writeSessionScores(session, scores, vscode.workspace.getConfiguration('preflens', dataset).get<number>('beta', 0.1));
    const data = await buildReportData(dataset.fsPath, scores, { cacheDir: cacheDirOf(context), mapping: mappingFromSettings(dataset) });
    const css = await readFile(path.join(context.extensionPath, 'media', 'preflens.css'), 'utf8').catch(() => '');
    await writeFile(html, renderHtmlReport(data, css));
  });
  const panel = vscode.window.createWebviewPanel('preflens.report', `PrefLens Report: ${path.basename(dataset.fsPath)}`, vscode.ViewColumn.Active, { enableScripts: true, enableCommandUris: false, localResourceRoots: [] });
  panel.webview.html = await readFile(html, 'utf8');
  const choice = await vscode.window.showInformationMessage(`PrefLens: report of ${path.basename(dataset.fsPath)} ready.`, 'Save Report As…');
  if (choice) {
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(path.dirname(dataset.fsPath), `${base.replace(/\.[^.]+$/, '')}.report.html`)), filters: { HTML: ['html'] } });
    if (target) await copyFile(html, target.fsPath);
  }
}
