/**
 * Webview bootstrap: connects to the host, performs the `ready` handshake and renders the
 * current state. Views never touch `postMessage` directly; they go through the host client.
 */
import { WEBVIEW_PROTOCOL_VERSION, type DatasetSummary } from '../native/protocol/webviewProtocol';
import { clear, el } from './dom';
import { connectToHost } from './hostClient';
import { renderDatasetHeader } from './views/datasetHeader';
import { renderValidation, renderValidationProgress } from './views/validationView';
import { renderScores, type ScoresState } from './views/scoresView';
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
  showScores();
}

const scores: ScoresState = { state: 'none', message: null, done: 0, total: 0, records: new Map(), analysis: null };
let scoresFrame = 0;

function showScores(): void {
  // Batched to one render per frame: progress can arrive faster than it is worth drawing.
  if (scoresFrame) return;
  scoresFrame = requestAnimationFrame(() => {
    scoresFrame = 0;
    const node = renderScores(scores);
    const current = document.getElementById('scores');
    if (current) current.replaceWith(node);
    else if (app.dataset.state === 'ready') app.append(node);
  });
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
host.on('scoreProgress', ({ done, total, records }) => {
  for (const record of records) scores.records.set(record.index, record);
  Object.assign(scores, { done, total, state: 'running' });
  showScores();
});
host.on('scoreState', ({ state, message, done, total }) => {
  if (state === 'running' && done === 0) {
    scores.records.clear();
    scores.analysis = null;
  }
  Object.assign(scores, { state, message, done, total });
  showScores();
});
host.on('scoreAnalysis', (analysis) => {
  scores.analysis = analysis;
  showScores();
});
host.on('datasetError', ({ message }) => showStatus(message, 'error'));

showStatus('Reading dataset…', 'loading');
host.request('ready', { protocolVersion: WEBVIEW_PROTOCOL_VERSION }).then(
  async ({ summary }) => {
    if (!summary) return showStatus('No dataset is open.', 'loading');
    showSummary(summary);
    const snapshot = await host.request('getScores', {});
    scores.records = new Map(snapshot.records.map((r) => [r.index, r]));
    Object.assign(scores, { state: snapshot.state, message: snapshot.message, done: snapshot.done, total: snapshot.total, analysis: snapshot.analysis });
    showScores();
  },
  (error: unknown) => showStatus(error instanceof Error ? error.message : String(error), 'error'),
);
