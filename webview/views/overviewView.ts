/**
 * Overview: the active filters (with a clear button), the margin histogram, the reward scatter
 * (axes selectable: implicit rewards or policy log-ratios) and the review list. Every chart is a
 * brush: it filters the others and the table through the store.
 */
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { AnalysisSummary } from '../../native/protocol/webviewProtocol';
import { renderHistogram } from '../charts/histogram';
import { describeRange } from '../charts/robustDomain';
import { createScatter, type ScatterAxes, type ScatterHandle } from '../charts/scatter';
import { el } from '../dom';
import { formatCount } from '../format';
import type { PairStore } from '../state/pairStore';
import { renderReview } from './reviewView';

export const SCATTER_AXES: Record<string, ScatterAxes> = {
  rewards: { x: 'chosen_reward', y: 'rejected_reward', xLabel: 'chosen implicit reward', yLabel: 'rejected implicit reward' },
  logratios: { x: 'rejected_logratio', y: 'chosen_logratio', xLabel: 'policy log-ratio, rejected', yLabel: 'policy log-ratio, chosen' },
};

export interface OverviewHandle {
  node: HTMLElement;
  scatter: ScatterHandle | null;
  /** After a filter change: recount the histogram and repaint the scatter, keeping the DOM. */
  update(): void;
}

export function renderFilterBar(store: PairStore): HTMLElement {
  const visible = store.visible().length;
  const parts = [...store.ranges].map(([name, range]) => describeRange(name, range));
  if (store.textHits) parts.push(`text search (${formatCount(store.textHits.size)} hits)`);
  if (store.factorRows) parts.push(`factor ${store.factorRows.factor} differs`);
  if (store.onlySuspicious) parts.push('suspicious only');
  if (store.onlyFlagged) parts.push('flagged only');
  const bar = el('div', { id: 'filter-bar', className: 'pl-filter-bar', attrs: { 'data-visible': String(visible) } },
    el('span', { text: `${formatCount(visible)} of ${formatCount(store.rows)} pairs` }),
    el('span', { className: 'pl-muted', text: parts.length ? ` · ${parts.join(' · ')}` : ' · no filters (drag on a chart to filter)' }));
  if (parts.length) {
    const clear = document.createElement('vscode-button');
    clear.textContent = 'Clear filters';
    clear.setAttribute('secondary', '');
    clear.addEventListener('click', () => store.clearFilters());
    bar.append(clear);
  }
  return bar;
}

export function renderOverview(store: PairStore, analysis: AnalysisSummary | null, axesKey: string, onAxes: (key: string) => void, open: (index: number) => void): OverviewHandle {
  const node = el('div', { id: 'overview', className: 'pl-overview' });
  let scatter: ScatterHandle | null = null;
  const scored = store.columns.margin.some((v) => !Number.isNaN(v));
  if (!scored) {
    node.append(el('p', { className: 'pl-empty', text: 'Charts appear as pairs are scored.' }));
    return { node, scatter, update: () => undefined };
  }
  const histogram = renderHistogram(store, 'margin', 'margin');
  const select = document.createElement('vscode-single-select');
  select.id = 'scatter-axes';
  for (const [key, axes] of Object.entries(SCATTER_AXES)) {
    const option = document.createElement('vscode-option');
    option.setAttribute('value', key);
    option.textContent = `${axes.yLabel} vs ${axes.xLabel}`;
    if (key === axesKey) option.setAttribute('selected', '');
    select.append(option);
  }
  select.addEventListener('change', () => onAxes((select as unknown as { value: string }).value));
  scatter = createScatter(store, SCATTER_AXES[axesKey] ?? SCATTER_AXES.rewards!, open);
  node.append(
    el('div', { className: 'pl-charts' },
      el('figure', { className: 'pl-figure' }, el('figcaption', { text: 'Margin distribution (drag to filter)' }), histogram.node),
      el('figure', { className: 'pl-figure' }, el('figcaption', { text: 'Pairs (drag to filter, wheel to zoom, shift-drag to pan, double-click to reset)' }), select, scatter.node),
    ),
  );
  if (analysis) node.append(renderReview(analysis, open));
  const handle = scatter;
  return {
    node,
    scatter,
    update: () => {
      histogram.update();
      handle.redraw();
    },
  };
}
