/**
 * A pair's live counterfactual: the margin before and after, how fast and how much was
 * recomputed, a word diff of each edited response against the original, the edited response's
 * token rewards, and the history of versions with actions to write one back to the dataset or
 * append it as a new pair. Text only through textContent.
 */
import type { CounterfactualState, CounterfactualVersion } from '../../native/protocol/webviewProtocol';
import { rewardScale } from '../charts/theme';
import { el } from '../dom';
import { wordDiff } from '../state/wordDiff';
import { renderTokens } from './pairDetail';

const fmt = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '–');
const signed = (v: number) => `${v >= 0 ? '+' : '−'}${fmt(Math.abs(v))}`;

function diffView(before: string, after: string, label: string): HTMLElement {
  const box = el('div', { className: 'pl-diff', attrs: { 'aria-label': `${label}: changes` } });
  for (const part of wordDiff(before, after)) {
    box.append(el(part.kind === 'added' ? 'ins' : part.kind === 'removed' ? 'del' : 'span', { text: part.text }));
  }
  return box;
}

function button(label: string, handler: () => void): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  b.setAttribute('secondary', '');
  b.addEventListener('click', handler);
  return b;
}

export interface CounterfactualActions { apply(n: number, mode: 'write' | 'append'): void }

export function renderCounterfactual(state: CounterfactualState, compare: number | null, onCompare: (n: number) => void, actions: CounterfactualActions): HTMLElement {
  const node = el('section', { id: 'counterfactual', className: 'pl-counterfactual', attrs: { 'aria-label': `counterfactual of pair ${state.index + 1}` } });
  node.append(el('h3', { text: `Counterfactual of pair ${state.index + 1}` }));
  if (state.problem) node.append(el('p', { className: 'pl-error', attrs: { role: 'alert' }, text: state.problem }));
  const latest = state.versions.at(-1);
  if (!latest) {
    node.append(el('p', { className: 'pl-muted', text: `Original margin ${fmt(state.originalMargin)}. Edit the chosen or rejected text in the scratch editor; the new rewards appear here as you type.` }));
    return node;
  }
  const delta = latest.margin - state.originalMargin;
  const recomputed = (['chosen', 'rejected'] as const).filter((s) => latest.recomputedFrom[s] !== null).map((s) => `${s} from token ${latest.recomputedFrom[s]}`).join(', ');
  node.append(
    el('p', { id: 'counterfactual-margin', className: 'pl-metrics', attrs: { 'data-margin': String(latest.margin), 'data-delta': String(delta) }, text: `margin ${fmt(state.originalMargin)} → ${fmt(latest.margin)} (${signed(delta)}) · version ${latest.n} scored in ${latest.latencyMs} ms · recomputed: ${recomputed || 'nothing'}` }),
  );
  const shown: CounterfactualVersion = state.versions.find((v) => v.n === compare) ?? latest;
  for (const side of ['chosen', 'rejected'] as const) {
    if (shown[side] === state.original[side]) continue;
    node.append(el('h4', { text: `${side}: version ${shown.n} vs original (reward ${fmt(side === 'chosen' ? shown.chosenReward : shown.rejectedReward)})` }), diffView(state.original[side], shown[side], side));
  }
  const x = state.latest;
  for (const side of ['chosen', 'rejected'] as const) {
    const explained = x?.[side];
    if (!explained || shown.n !== latest.n) continue;
    const maxAbs = Math.max(1e-9, ...explained.tokens.reward.map(Math.abs));
    const tip = el('div', { className: 'pl-tooltip', attrs: { role: 'tooltip' } });
    tip.hidden = true;
    node.append(el('h4', { text: `${side} token rewards (version ${latest.n})` }), renderTokens(explained, rewardScale(maxAbs), tip, side), tip);
  }
  const table = el('table', { className: 'pl-small-table', attrs: { 'aria-label': 'counterfactual versions' } }, el('tr', {}, ...['version', 'margin', 'Δ vs original', 'latency', ''].map((h) => el('th', { text: h }))));
  for (const v of [...state.versions].reverse()) {
    const row = el('tr', { attrs: { 'data-version': String(v.n), 'aria-selected': String(v.n === shown.n) } },
      el('td', { text: String(v.n) }), el('td', { text: fmt(v.margin) }), el('td', { text: signed(v.margin - state.originalMargin) }), el('td', { text: `${v.latencyMs} ms` }));
    row.append(el('td', {}, button('Diff', () => onCompare(v.n)), button('Write to dataset', () => actions.apply(v.n, 'write')), button('Append as new pair', () => actions.apply(v.n, 'append'))));
    table.append(row);
  }
  node.append(el('h4', { text: 'Versions' }), table);
  return node;
}
