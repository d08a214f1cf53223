/** `preflens inspect DATA [--json]`: format, schema, counts and every problem with its location. */
import { Dataset } from '../data/dataset';
import { inspectDataset, type DatasetReport } from '../data/inspect';
import { CliUsageError, type ParsedArgs } from './args';
import { cacheDirFrom, formatLocation, mappingFrom } from './common';

function counts(byReason: Partial<Record<string, number>>): string {
  const entries = Object.entries(byReason).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  return entries.length === 0 ? 'none' : entries.map(([reason, n]) => `${reason} ${n}`).join(', ');
}

export function formatReport(report: DatasetReport): string {
  const lines = [
    report.path,
    `  format:      ${report.format}`,
    `  schema:      ${report.schema ? `${report.schema.kind}: ${report.schema.description}` : `not recognised: ${report.schemaProblem}`}`,
    `  rows:        ${report.rows}`,
    `  valid pairs: ${report.validPairs}`,
    `  invalid:     ${report.invalidRows}${report.invalidRows ? ` (${counts(report.invalidByReason)})` : ''}`,
    `  warnings:    ${counts(report.warningsByReason)}`,
    `  duplicates:  ${report.duplicatePairs} repeated pairs, ${report.contradictoryPairs} with contradictory labels, ${report.duplicatePrompts} repeated prompts`,
    `  attributes:  ${report.attributes.length ? report.attributes.join(', ') : 'none'}`,
  ];
  if (report.issuesTotal > 0) {
    lines.push('', `problems (${report.issuesTotal}${report.issuesTotal > report.issues.length ? `, first ${report.issues.length} listed` : ''}):`);
    for (const issue of report.issues) {
      lines.push(`  ${formatLocation(issue)}: ${issue.severity} ${issue.reason}${issue.field ? ` [${issue.field}]` : ''}: ${issue.message}`);
    }
    if (report.issuesTotal > report.issues.length) lines.push(`  ... and ${report.issuesTotal - report.issues.length} more`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runInspect(args: ParsedArgs): Promise<number> {
  const [file, ...extra] = args.positionals;
  if (!file || extra.length > 0) throw new CliUsageError('inspect takes exactly one DATA path');
  const dataset = await Dataset.open(file, { cacheDir: cacheDirFrom(args), mapping: mappingFrom(args) });
  try {
    const report = await inspectDataset(dataset, undefined, (done, total) => {
      if (process.stderr.isTTY && total > 50_000) process.stderr.write(`\rinspecting ${done}/${total}`);
    });
    if (process.stderr.isTTY && report.rows > 50_000) process.stderr.write('\n');
    process.stdout.write(args.flags.has('json') ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.validPairs > 0 ? 0 : 1;
  } finally {
    await dataset.close();
  }
}
