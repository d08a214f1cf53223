/**
 * The panel header: dataset name, record count and size. Rendered with DOM APIs and
 * `textContent` only; the file name comes from the user's disk and is treated as untrusted.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { DatasetSummary } from '../../native/protocol/webviewProtocol';
import { el } from '../dom';
import { formatBytes, plural } from '../format';

export function renderDatasetHeader(summary: DatasetSummary): HTMLElement {
  const count = el('vscode-badge', {
    id: 'record-count',
    text: plural(summary.records, 'record', 'records'),
    attrs: { 'data-records': String(summary.records), 'aria-label': `${summary.records} records` },
  });
  return el(
    'header',
    { className: 'pl-header' },
    el('h1', { id: 'dataset-name', className: 'pl-title', text: summary.fileName }),
    count,
    el('span', { id: 'dataset-size', className: 'pl-muted', text: `${formatBytes(summary.bytes)} · ${summary.format}` }),
    el('p', { id: 'dataset-path', className: 'pl-muted pl-path', text: summary.displayPath }),
    summary.schema
      ? el('p', { id: 'dataset-schema', className: 'pl-schema', text: summary.schema.description, attrs: { 'data-kind': summary.schema.kind } })
      : el('p', { id: 'dataset-schema', className: 'pl-schema pl-error', text: `Layout not recognised: ${summary.schemaProblem ?? 'unknown'}`, attrs: { role: 'alert' } }),
  );
}
