/**
 * Webview bootstrap: connects to the host, performs the `ready` handshake and renders the
 * panel: dataset header and validation, the score status and summary cards, then tabs
 * (Overview, Pairs, Factors, Checkpoints) over one shared PairStore, and the pair detail.
 * Views never touch `postMessage` directly; they go through the host client. UI state (tab,
 * selected pair, scatter axes, sort) survives the panel being hidden via `vscode.setState`.
 */
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { WEBVIEW_PROTOCOL_VERSION, type DatasetSummary, type FactorsView, type PairScore, type PanelFlag, type ScoreColumnName, type CounterfactualState } from '../native/protocol/webviewProtocol';
import { clear, el } from './dom';
import { connectToHost } from './hostClient';
import { PairStore, type SortOrder } from './state/pairStore';
import { renderCheckpoints } from './views/checkpointsView';
import { renderDatasetHeader } from './views/datasetHeader';
import { renderFactors } from './views/factorsView';
import { renderFilterBar, renderOverview, type OverviewHandle } from './views/overviewView';
import { renderPairDetail } from './views/pairDetail';
import { renderCounterfactual } from './views/counterfactualView';
import { createPairTable, type TableHandle } from './views/pairTable';
import { renderScores, type ScoresState } from './views/scoresView';
import { renderValidation, renderValidationProgress } from './views/validationView';
import { vscodeApi } from './vscodeApi';

interface UiState {
  /** The dataset this panel shows: VS Code's webview serializer reads it to restore the panel after a reload. */
  datasetUri?: string;
  tab: number;
  selected: number | null;
  axes: string;
  sort?: SortOrder;
  ranges?: [ScoreColumnName, [number, number]][];
  toggles?: { onlySuspicious: boolean; onlyFlagged: boolean };
}

const root = document.getElementById('app');
if (!root) throw new Error('PrefLens: #app is missing from the panel document');
const app: HTMLElement = root;
const api = vscodeApi<UiState>();
const ui: UiState = { tab: 0, selected: null, axes: 'rewards', ...(api.getState() ?? {}) };
const saveUi = () => api.setState(ui);
const host = connectToHost(api);
const store = new PairStore();
const scores: ScoresState = { state: 'none', message: null, done: 0, total: 0, modelsConfigured: false, analysis: null, runs: 0 };
let factors: FactorsView | null = null;
// The row check can finish before the panel has drawn its layout: keep its latest state.
let validation: HTMLElement | null = null;

function showStatus(text: string, kind: 'loading' | 'error'): void {
  clear(app);
  app.append(el('p', { id: 'status', className: `pl-status pl-${kind}`, text, attrs: { role: kind === 'error' ? 'alert' : 'status' } }));
}

// ---- layout --------------------------------------------------------------------------------
const slots = {
  scores: el('div', { id: 'scores-slot' }),
  filters: el('div', { id: 'filters-slot' }),
  overview: el('div', { id: 'overview-slot' }),
  factors: el('div', { id: 'factors-slot' }),
  checkpoints: el('div', { id: 'checkpoints-slot' }),
  detail: el('div', { id: 'detail-slot' }),
  counterfactual: el('div', { id: 'counterfactual-slot' }),
};
let overview: OverviewHandle | null = null;
let table: TableHandle | null = null;

function tabs(): HTMLElement {
  const t = document.createElement('vscode-tabs');
  t.id = 'tabs';
  t.setAttribute('selected-index', String(ui.tab));
  const search = document.createElement('vscode-textfield');
  search.setAttribute('placeholder', 'Search prompt and responses (Enter)');
  search.id = 'search';
  search.addEventListener('keydown', (event) => {
    if ((event as KeyboardEvent).key !== 'Enter') return;
    const text = (search as unknown as { value: string }).value.trim();
    if (!text) return store.setTextHits(null);
    void host.request('search', { text, limit: 100_000 }).then(({ indices }) => store.setTextHits(indices));
  });
  const toggle = (label: string, key: 'onlySuspicious' | 'onlyFlagged') => {
    const box = document.createElement('vscode-checkbox');
    box.setAttribute('label', label);
    box.addEventListener('change', () => store.setToggles({ [key]: (box as unknown as { checked: boolean }).checked }));
    return box;
  };
  table = createPairTable(store, (indices) => host.request('getRows', { indices }).then((r) => r.rows), openPair);
  const panels: [string, HTMLElement][] = [
    ['Overview', slots.overview],
    ['Pairs', el('div', { className: 'pl-pairs' }, el('div', { className: 'pl-toolbar' }, search, toggle('suspicious only', 'onlySuspicious'), toggle('flagged only', 'onlyFlagged')), table.node)],
    ['Factors', slots.factors],
    ['Checkpoints', slots.checkpoints],
  ];
  for (const [title, body] of panels) {
    const header = document.createElement('vscode-tab-header');
    header.setAttribute('slot', 'header');
    header.textContent = title;
    const panel = document.createElement('vscode-tab-panel');
    panel.append(body);
    t.append(header, panel);
  }
  t.addEventListener('vsc-tabs-select', (event) => {
    ui.tab = (event as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
    saveUi();
    if (ui.tab === 1) requestAnimationFrame(() => table?.refresh());
    if (ui.tab === 2) void loadFactors();
    if (ui.tab === 3) drawCheckpoints();
  });
  return t;
}

// ---- rendering -----------------------------------------------------------------------------
let frame = 0;
function redraw(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    redrawNow();
  });
}

function redrawNow(): void {
  {
    slots.scores.replaceChildren(renderScores(scores, store, { score: () => void host.request('runCommand', { command: 'score' }), configure: () => void host.request('runCommand', { command: 'configureModels' }) }));
    slots.filters.replaceChildren(renderFilterBar(store));
    overview = renderOverview(store, scores.analysis, ui.axes, (key) => {
      ui.axes = key;
      saveUi();
      redraw();
    }, openPair);
    slots.overview.replaceChildren(overview.node);
    table?.refresh();
    if (ui.tab === 3) drawCheckpoints();
  }
}

function drawCheckpoints(): void {
  const series = scores.analysis?.checkpoints ?? null;
  const position = (index: number) => scores.analysis?.columns.index.indexOf(index) ?? -1;
  slots.checkpoints.replaceChildren(renderCheckpoints(series, ui.selected, position));
}

async function loadFactors(): Promise<void> {
  if (!factors) {
    slots.factors.replaceChildren(el('p', { className: 'pl-muted', text: 'Computing factors…' }));
    factors = await host.request('getFactors', {});
  }
  slots.factors.replaceChildren(renderFactors(factors, store.factorRows?.factor ?? null, (factor) => {
    if (!factor) return store.setFactorRows(null);
    void host.request('getFactorRows', { factor }).then(({ indices }) => {
      store.setFactorRows(factor, indices);
      void loadFactors();
    });
  }));
}

let detailRequest = 0;
/** Shows a pair; unless the editor asked for it, its line is revealed in the dataset editor too. */
function openPair(index: number, fromEditor = false): void {
  if (!fromEditor && ui.selected !== index) void host.request('revealRow', { index }).catch(() => undefined);
  ui.selected = index;
  saveUi();
  store.select(index);
  const ticket = ++detailRequest;
  slots.detail.replaceChildren(el('p', { id: 'detail-loading', className: 'pl-muted', text: `Loading pair ${index + 1}…` }));
  host.request('getPairDetail', { index }).then((detail) => {
    if (ticket !== detailRequest) return;
    slots.detail.replaceChildren(renderPairDetail(detail, {
      setFlag: (flag: PanelFlag | null) => void host.request('setFlag', { index, flag }).then(() => openPair(index, true), (e: unknown) => showDetailError(e)),
      reveal: () => void host.request('revealRow', { index, open: true }),
      configureModels: () => void host.request('runCommand', { command: 'configureModels' }),
      counterfactual: () => void host.request('counterfactual', { index, action: 'open' }),
    }));
    if (ui.tab === 3) drawCheckpoints();
  }, showDetailError);
}

function showDetailError(error: unknown): void {
  slots.detail.replaceChildren(el('p', { className: 'pl-error', attrs: { role: 'alert' }, text: error instanceof Error ? error.message : String(error) }));
}

/** What a brush costs: the filter bar, the histogram and scatter repaint, the table window. */
function updateFiltered(): void {
  slots.filters.replaceChildren(renderFilterBar(store));
  overview?.update();
  table?.refresh();
}

let filterFrame = 0;
store.on((event) => {
  if (event === 'select') return;
  if (event === 'filter' || event === 'sort') {
    // filters and sort survive hide/show and reload (text and factor filters are re-run by the user)
    ui.sort = store.sort;
    ui.ranges = [...store.ranges].map(([c, r]) => [c, [r[0], r[1]]]);
    ui.toggles = { onlySuspicious: store.onlySuspicious, onlyFlagged: store.onlyFlagged };
    saveUi();
  }
  if (event === 'filter') {
    if (!filterFrame) filterFrame = requestAnimationFrame(() => ((filterFrame = 0), updateFiltered()));
    return;
  }
  redraw();
});

let restored = false;
async function loadColumns(): Promise<void> {
  store.setColumns(await host.request('getColumns', {}));
  if (restored) return;
  restored = true;
  const saved = { sort: ui.sort, ranges: ui.ranges ?? [], toggles: ui.toggles };
  if (saved.ranges.length) store.setRanges(saved.ranges);
  if (saved.toggles) store.setToggles(saved.toggles);
  if (saved.sort) store.setSort(saved.sort);
}

function showSummary(summary: DatasetSummary): void {
  ui.datasetUri = summary.datasetUri;
  saveUi();
  clear(app);
  app.append(renderDatasetHeader(summary), validation ?? renderValidationProgress(0, summary.records), slots.scores, slots.filters, tabs(), slots.counterfactual, slots.detail);
  app.dataset.state = 'ready';
  void loadColumns().then(() => {
    if (ui.selected !== null && ui.selected < store.rows) openPair(ui.selected);
  });
}

function replaceValidation(node: HTMLElement): void {
  validation = node;
  const current = document.getElementById('validation');
  if (current) current.replaceWith(node);
}

function applyRecords(records: PairScore[]): void {
  for (const r of records) {
    if (r.status !== 'ok') continue;
    store.patch(r.index, {
      margin: r.margin ?? Number.NaN, chosen_reward: r.chosen_reward ?? Number.NaN, rejected_reward: r.rejected_reward ?? Number.NaN,
      chosen_logratio: (r.chosen_logps ?? Number.NaN) - (r.ref_chosen_logps ?? Number.NaN), rejected_logratio: (r.rejected_logps ?? Number.NaN) - (r.ref_rejected_logps ?? Number.NaN),
      chosen_tokens: r.chosen_tokens ?? Number.NaN, rejected_tokens: r.rejected_tokens ?? Number.NaN, ches_ln: r.ches_ln ?? Number.NaN,
      displaced: (r.chosen_logps ?? 0) - (r.ref_chosen_logps ?? 0) < 0 ? 1 : 0,
    });
  }
  store.commit();
}

host.on('datasetChanged', (summary) => {
  factors = null;
  validation = null;
  showSummary(summary);
});
host.on('validationProgress', ({ done, total }) => replaceValidation(renderValidationProgress(done, total)));
host.on('datasetValidated', (result) => replaceValidation(renderValidation(result)));
host.on('scoreProgress', ({ done, total, records }) => {
  Object.assign(scores, { done, total, state: 'running' });
  applyRecords(records);
});
host.on('scoreState', ({ state, message, done, total }) => {
  Object.assign(scores, { state, message, done, total });
  if (state === 'running' && done === 0) {
    scores.runs++;
    scores.analysis = null;
    factors = null;
    void loadColumns();
  }
  redraw();
});
host.on('scoreAnalysis', (analysis) => {
  scores.analysis = analysis;
  factors = null;
  void loadColumns();
  if (ui.tab === 2) void loadFactors();
});
host.on('flagChanged', ({ index, flag }) => {
  store.patch(index, { flag: flag ? ['ok', 'noisy', 'swap', 'drop'].indexOf(flag) + 1 : 0 });
  store.commit();
});
let counterfactual: CounterfactualState | null = null;
let compareVersion: number | null = null;
function drawCounterfactual(): void {
  if (!counterfactual) return void slots.counterfactual.replaceChildren();
  const state = counterfactual;
  slots.counterfactual.replaceChildren(renderCounterfactual(state, compareVersion, (n) => {
    compareVersion = n;
    drawCounterfactual();
  }, { apply: (n, mode) => void host.request('counterfactual', { index: state.index, action: mode, n }) }));
}
host.on('counterfactual', (state) => {
  if (counterfactual?.index !== state.index) compareVersion = null;
  counterfactual = state;
  compareVersion = null;
  drawCounterfactual();
});
host.on('flagsReset', () => {
  void loadColumns();
  if (ui.selected !== null && document.getElementById('pair-detail')) openPair(ui.selected, true);
});
host.on('selectRow', ({ index }) => {
  openPair(index, true);
  table?.scrollToSelected();
});
host.on('datasetError', ({ message }) => showStatus(message, 'error'));

// VS Code swaps the body's theme class and --vscode-* variables live; canvas pixels and d3
// attributes hold concrete colours, so redraw when the theme changes.
new MutationObserver(() => {
  redraw();
  if (ui.selected !== null && document.getElementById('pair-detail')) openPair(ui.selected);
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

showStatus('Reading dataset…', 'loading');
host.request('ready', { protocolVersion: WEBVIEW_PROTOCOL_VERSION }).then(
  async ({ summary }) => {
    if (!summary) return showStatus('No dataset is open.', 'loading');
    const snapshot = await host.request('getScores', {});
    Object.assign(scores, { state: snapshot.state, message: snapshot.message, done: snapshot.done, total: snapshot.total, modelsConfigured: snapshot.modelsConfigured, analysis: snapshot.analysis });
    showSummary(summary);
    redraw();
  },
  (error: unknown) => showStatus(error instanceof Error ? error.message : String(error), 'error'),
);

// For the headless webview benchmark: time a full redraw of the heaviest views.
(window as unknown as { preflensBench?: unknown }).preflensBench = {
  store,
  scatterFrame: () => overview?.scatter?.redraw() ?? Number.NaN,
  scatterPoint: (k: number) => overview?.scatter?.pointAt(k) ?? null,
  /** A brush as the user makes it: set the range, then the synchronous repaint. */
  brushFrame: (lo: number, hi: number) => {
    const t0 = performance.now();
    store.setRange('margin', [lo, hi]);
    updateFiltered();
    return performance.now() - t0;
  },
  /** The overview built from scratch (first render once the columns are here). */
  overviewFrame: () => {
    const t0 = performance.now();
    redrawNow();
    return performance.now() - t0;
  },
  tableFrame: () => table?.renderFrame() ?? Number.NaN,
};
