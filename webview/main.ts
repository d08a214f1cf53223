/**
 * Webview bootstrap: connects to the host, performs the `ready` handshake and renders the
 * current state. Views never touch `postMessage` directly; they go through the host client.
 */
import { WEBVIEW_PROTOCOL_VERSION, type DatasetSummary } from '../native/protocol/webviewProtocol';
import { clear, el } from './dom';
import { connectToHost } from './hostClient';
import { renderDatasetHeader } from './views/datasetHeader';
import { renderValidation, renderValidationProgress } from './views/validationView';
import { vscodeApi } from './vscodeApi';

const root = document.getElementById('app');
if (!root) throw new Error('PrefLens: #app is missing from the panel document');
const app: HTMLElement = root;

function showStatus(text: string, kind: 'loading' | 'error'): void {
  clear(app);
  app.append(el('p', { id: 'status', className: `pl-status pl-${kind}`, text, attrs: { role: kind === 'error' ? 'alert' : 'status' } }));
}

function showSummary(summary: DatasetSummary): void {
  clear(app);
  app.append(renderDatasetHeader(summary), renderValidationProgress(0, summary.records));
  app.dataset.state = 'ready';
}

function replaceValidation(node: HTMLElement): void {
  const current = document.getElementById('validation');
  if (current) current.replaceWith(node);
  else app.append(node);
}

const host = connectToHost(vscodeApi());
host.on('datasetChanged', showSummary);
host.on('validationProgress', ({ done, total }) => replaceValidation(renderValidationProgress(done, total)));
host.on('datasetValidated', (result) => replaceValidation(renderValidation(result)));
host.on('datasetError', ({ message }) => showStatus(message, 'error'));

showStatus('Reading dataset…', 'loading');
host.request('ready', { protocolVersion: WEBVIEW_PROTOCOL_VERSION }).then(
  ({ summary }) => (summary ? showSummary(summary) : showStatus('No dataset is open.', 'loading')),
  (error: unknown) => showStatus(error instanceof Error ? error.message : String(error), 'error'),
);
