/**
 * What the row check found: valid pairs, invalid rows by reason, duplicates, and the first
 * problems with their locations. All dataset-derived text goes through `textContent`.
 */
import type { DatasetValidation, IssueSummary } from '../../native/protocol/webviewProtocol';
import { el } from '../dom';
import { formatCount, plural } from '../format';

function reasons(byReason: Record<string, number>): string {
  return Object.entries(byReason)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${reason.replace(/-/g, ' ')} ${formatCount(n)}`)
    .join(', ');
}

function location(issue: IssueSummary): string {
  if (issue.line !== null) return `${issue.file}:${issue.line}${issue.column !== null ? `:${issue.column}` : ''}`;
  return issue.index !== null ? `${issue.file} row ${issue.index}` : issue.file;
}

export function renderValidationProgress(done: number, total: number): HTMLElement {
  const percent = total > 0 ? Math.round((100 * done) / total) : 0;
  return el('p', { id: 'validation', className: 'pl-muted', text: `Checking rows… ${formatCount(done)} of ${formatCount(total)} (${percent}%)`, attrs: { role: 'status' } });
}

export function renderValidation(result: DatasetValidation): HTMLElement {
  const stats = el(
    'ul',
    { className: 'pl-stats' },
    el('li', { id: 'valid-pairs', text: plural(result.validPairs, 'valid pair', 'valid pairs'), attrs: { 'data-count': String(result.validPairs) } }),
    el('li', { id: 'invalid-rows', className: result.invalidRows ? 'pl-error' : '', text: `${plural(result.invalidRows, 'invalid row', 'invalid rows')}${result.invalidRows ? ` (${reasons(result.invalidByReason)})` : ''}`, attrs: { 'data-count': String(result.invalidRows) } }),
    el('li', { text: `${plural(result.duplicatePairs, 'repeated pair', 'repeated pairs')}, ${formatCount(result.contradictoryPairs)} with contradictory labels, ${plural(result.duplicatePrompts, 'repeated prompt', 'repeated prompts')}` }),
  );
  if (Object.keys(result.warningsByReason).length > 0) stats.append(el('li', { text: `warnings: ${reasons(result.warningsByReason)}` }));
  if (result.attributes.length > 0) stats.append(el('li', { className: 'pl-muted', text: `attributes: ${result.attributes.join(', ')}` }));
  const section = el('section', { id: 'validation', attrs: { 'aria-label': 'Row check' } }, stats);
  if (result.issues.length > 0) {
    const list = el('ol', { className: 'pl-issues', id: 'issues' });
    for (const issue of result.issues) {
      list.append(
        el(
          'li',
          { className: `pl-issue pl-${issue.severity}` },
          el('code', { className: 'pl-location', text: location(issue) }),
          el('span', { className: 'pl-reason', text: issue.reason }),
          el('span', { text: issue.message }),
        ),
      );
    }
    const more = result.issuesTotal > result.issues.length ? ` (first ${result.issues.length} of ${formatCount(result.issuesTotal)})` : '';
    section.append(el('h2', { className: 'pl-subtitle', text: `Problems${more}` }), list);
  }
  return section;
}
