/**
 * One open dataset in the extension host: the `native/data` Dataset plus what the panel shows
 * about it. The line index and decompressed archives are cached in the extension's global
 * storage, never beside the user's files. Validation (a full pass over the rows) runs in the
 * background in pages and can be cancelled; the summary needs only the index.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Dataset } from '../../native/data/dataset';
import { inspectDataset } from '../../native/data/inspect';
import type { ColumnMapping } from '../../native/data/schema';
import type { DatasetSummary, DatasetValidation } from '../../native/protocol/webviewProtocol';

export function cacheDirOf(context: vscode.ExtensionContext): string {
  return path.join(context.globalStorageUri.fsPath, 'cache');
}

/** `preflens.columnMapping` as a ColumnMapping, or undefined when unset or incomplete. */
export function mappingFromSettings(scope: vscode.Uri): Extract<ColumnMapping, { chosen: string }> | undefined {
  const value = vscode.workspace.getConfiguration('preflens', scope).get<Record<string, string>>('columnMapping');
  if (!value || !value.chosen || !value.rejected) return undefined;
  return { prompt: value.prompt || undefined, chosen: value.chosen, rejected: value.rejected };
}

export async function openDataset(context: vscode.ExtensionContext, uri: vscode.Uri, signal?: AbortSignal): Promise<Dataset> {
  return Dataset.open(uri.fsPath, { cacheDir: cacheDirOf(context), mapping: mappingFromSettings(uri), signal });
}

export function summarize(dataset: Dataset, uri: vscode.Uri, bytes: number): DatasetSummary {
  return {
    fileName: path.basename(uri.fsPath),
    datasetUri: uri.toString(),
    displayPath: vscode.workspace.asRelativePath(uri, false),
    format: dataset.source.format,
    schema: dataset.schema ? { kind: dataset.schema.kind, description: dataset.schema.description } : null,
    schemaProblem: dataset.schemaProblem ?? null,
    records: dataset.rowCount,
    bytes,
  };
}

export async function validate(dataset: Dataset, signal: AbortSignal, onProgress: (done: number, total: number) => void): Promise<DatasetValidation> {
  const report = await inspectDataset(dataset, signal, onProgress);
  return {
    validPairs: report.validPairs,
    invalidRows: report.invalidRows,
    invalidByReason: report.invalidByReason as Record<string, number>,
    warningsByReason: report.warningsByReason as Record<string, number>,
    duplicatePairs: report.duplicatePairs,
    contradictoryPairs: report.contradictoryPairs,
    duplicatePrompts: report.duplicatePrompts,
    attributes: report.attributes,
    issuesTotal: report.issuesTotal,
    issues: report.issues.slice(0, 50).map((issue) => ({
      severity: issue.severity,
      reason: issue.reason,
      file: path.basename(issue.file),
      line: issue.line ?? null,
      column: issue.column ?? null,
      index: issue.index ?? null,
      field: issue.field ?? null,
      message: issue.message,
    })),
  };
}
