/**
 * What a dataset holds, in one pass: format, schema, counts, duplicates, contradictory labels
 * and every problem with its location (the first 100 kept verbatim, the rest counted).
 * Serves `preflens inspect` and the extension's dataset summary.
 */
import type { Dataset } from './dataset';
import type { DataIssue, DatasetFormat, IssueReason } from './types';

export interface DatasetReport {
  path: string;
  format: DatasetFormat;
  schema: { kind: string; description: string } | null;
  schemaProblem: string | null;
  rows: number;
  validPairs: number;
  invalidRows: number;
  invalidByReason: Partial<Record<IssueReason, number>>;
  warningsByReason: Partial<Record<IssueReason, number>>;
  /** Pairs whose id occurs more than once (same prompt and responses), beyond the first. */
  duplicatePairs: number;
  /** Pair ids seen with both label directions: the same comparison labelled both ways. */
  contradictoryPairs: number;
  /** Prompts that occur in more than one row. */
  duplicatePrompts: number;
  attributes: string[];
  issues: DataIssue[];
  issuesTotal: number;
}

export const MAX_LISTED_ISSUES = 100;

export async function inspectDataset(dataset: Dataset, signal?: AbortSignal, onProgress?: (done: number, total: number) => void): Promise<DatasetReport> {
  const report: DatasetReport = {
    path: dataset.path,
    format: dataset.source.format,
    schema: dataset.schema ? { kind: dataset.schema.kind, description: dataset.schema.description } : null,
    schemaProblem: dataset.schemaProblem ?? null,
    rows: dataset.rowCount,
    validPairs: 0,
    invalidRows: 0,
    invalidByReason: {},
    warningsByReason: {},
    duplicatePairs: 0,
    contradictoryPairs: 0,
    duplicatePrompts: 0,
    attributes: [],
    issues: [],
    issuesTotal: 0,
  };
  const note = (issue: DataIssue): void => {
    report.issuesTotal++;
    if (report.issues.length < MAX_LISTED_ISSUES) report.issues.push(issue);
  };
  for (const issue of dataset.source.fileIssues) note(issue);
  const directions = new Map<string, number>(); // id -> bitmask of directions seen (1: +1, 2: -1)
  const prompts = new Map<string, number>();
  const attributes = new Set<string>();
  let done = 0;
  for await (const page of dataset.scan(signal)) {
    for (const result of page) {
      if (!result.ok) {
        report.invalidRows++;
        report.invalidByReason[result.issue.reason] = (report.invalidByReason[result.issue.reason] ?? 0) + 1;
        note(result.issue);
        continue;
      }
      const { pair } = result;
      report.validPairs++;
      for (const warning of pair.warnings) {
        report.warningsByReason[warning.reason] = (report.warningsByReason[warning.reason] ?? 0) + 1;
        note(warning);
      }
      const bit = pair.direction === 1 ? 1 : 2;
      const seen = directions.get(pair.id) ?? 0;
      if (seen !== 0) report.duplicatePairs++;
      if (seen !== 0 && (seen & bit) === 0 && seen !== 3) report.contradictoryPairs++;
      directions.set(pair.id, seen | bit);
      const count = (prompts.get(pair.promptHash) ?? 0) + 1;
      prompts.set(pair.promptHash, count);
      if (count === 2) report.duplicatePrompts++;
      for (const key of Object.keys(pair.attributes)) attributes.add(key);
    }
    done += page.length;
    onProgress?.(done, dataset.rowCount);
  }
  report.attributes = [...attributes].sort();
  return report;
}
