/** `preflens report DATA --scores FILE --out report.html|report.json`: a shareable, self-contained report. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/atomicFile';
import { buildReportData } from '../report/buildReport';
import { renderHtmlReport, renderJsonReport } from '../report/htmlReport';
import { CliUsageError, type ParsedArgs } from './args';
import { cacheDirFrom, mappingFrom } from './common';

export const REPORT_OPTIONS = ['scores', 'out'] as const;

/** The panel's stylesheet, shipped beside the bundles (media/preflens.css), shared by the report. */
async function panelCss(): Promise<string> {
  for (const candidate of [join(__dirname, '..', 'media', 'preflens.css'), join(process.cwd(), 'media', 'preflens.css')]) {
    try {
      return await readFile(candidate, 'utf8');
    } catch {
      // try the next location
    }
  }
  return '';
}

export async function runReport(args: ParsedArgs): Promise<number> {
  const [data, ...extra] = args.positionals;
  if (!data || extra.length > 0) throw new CliUsageError('report takes exactly one DATA path');
  const scores = args.options.get('scores');
  const out = args.options.get('out');
  if (!scores || !out) throw new CliUsageError('report needs --scores FILE (from preflens score --out) and --out report.html or report.json');
  const report = await buildReportData(data, scores, { cacheDir: cacheDirFrom(args), mapping: mappingFrom(args) });
  const text = out.toLowerCase().endsWith('.json') ? renderJsonReport(report) : renderHtmlReport(report, await panelCss());
  await writeFileAtomic(out, text);
  process.stderr.write(`preflens: wrote ${out} (${report.suspicious.length} suspicious pairs, ${report.factors.length} factors)\n`);
  return 0;
}
