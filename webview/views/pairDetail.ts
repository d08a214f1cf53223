/**
 * Pair detail: the prompt, chosen and rejected side by side with every token coloured by its
 * implicit reward (diverging scale centred at zero, with a legend), a hover card per token
 * (text, both log-probs, reward, rank, top alternatives), the sentence waterfall, the cumulative
 * reward curves with the first divergence, the suspicions with their evidence, and the flag
 * actions. All dataset and model text goes through textContent.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { PairDetail, PanelFlag } from '../../native/protocol/webviewProtocol';
import type { SideExplanation } from '../../native/protocol/explainProtocol';
import { renderCumulative, renderWaterfall } from '../charts/rewardCharts';
import { rewardScale } from '../charts/theme';
import { el } from '../dom';

export interface DetailActions {
  setFlag(flag: PanelFlag | null): void;
  reveal(): void;
  configureModels(): void;
  counterfactual(): void;
}

const fmt = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '–');

function tooltipFor(side: SideExplanation, t: number, tip: HTMLElement): void {
  const k = side.tokens;
  const rows: [string, string][] = [
    ['token', JSON.stringify(k.text[t])],
    ['policy log p', fmt(k.policyLogp[t]!, 4)],
    ['reference log p', fmt(k.refLogp[t]!, 4)],
    ['reward β·Δ', fmt(k.reward[t]!, 4)],
    ['policy rank', String(k.rank[t])],
  ];
  tip.replaceChildren(...rows.map(([a, b]) => el('div', {}, el('span', { className: 'pl-tip-key', text: a }), el('span', { text: b }))));
  const alts = k.alternatives[t] ?? [];
  if (alts.length) tip.append(el('div', { className: 'pl-tip-key', text: 'policy top alternatives' }), ...alts.map((a) => el('div', { className: 'pl-tip-alt', text: `${JSON.stringify(a.text)}  ${fmt(a.logp, 3)}` })));
}

export function renderTokens(side: SideExplanation, color: (v: number) => string, tip: HTMLElement, label: string): HTMLElement {
  const box = el('div', { className: 'pl-tokens', attrs: { 'aria-label': `${label} tokens coloured by reward` } });
  side.tokens.text.forEach((text, t) => {
    const span = el('span', { className: 'pl-token', text, attrs: { 'data-t': String(t) } });
    span.style.backgroundColor = color(side.tokens.reward[t]!);
    box.append(span);
  });
  box.addEventListener('mouseover', (event) => {
    const target = event.target as HTMLElement;
    const t = Number(target.dataset.t);
    if (!Number.isInteger(t)) return;
    tooltipFor(side, t, tip);
    const rect = target.getBoundingClientRect();
    tip.style.left = `${Math.min(window.innerWidth - 260, rect.left)}px`;
    tip.style.top = `${rect.bottom + 4}px`;
    tip.hidden = false;
  });
  box.addEventListener('mouseleave', () => (tip.hidden = true));
  return box;
}

function legend(maxAbs: number): HTMLElement {
  const bar = el('div', { className: 'pl-legend-bar' });
  return el('div', { className: 'pl-legend', attrs: { 'aria-label': 'token reward colour scale' } },
    el('span', { text: `−${fmt(maxAbs, 2)} lowers reward` }), bar, el('span', { text: `+${fmt(maxAbs, 2)} raises reward` }));
}

function sideColumn(title: string, text: string, side: SideExplanation | null, color: (v: number) => string, tip: HTMLElement): HTMLElement {
  const head = el('h4', { text: side ? `${title} · reward ${fmt(side.reward)} · ${side.tokens.ids.length} tokens${side.truncated ? ' (truncated)' : ''}` : title });
  const body = side ? renderTokens(side, color, tip, title) : el('pre', { className: 'pl-plain', text });
  const column = el('section', { className: `pl-side pl-side-${title.toLowerCase()}` }, head, body);
  if (side && side.segments.length) column.append(renderWaterfall(side, title));
  return column;
}

export function renderPairDetail(detail: PairDetail, actions: DetailActions): HTMLElement {
  const node = el('section', { id: 'pair-detail', className: 'pl-detail', attrs: { 'aria-label': `pair ${detail.index + 1}` } });
  const x = detail.explanation;
  const where = detail.texts.line !== null ? `line ${detail.texts.line}` : `row ${detail.index + 1}`;
  node.append(el('h3', { text: `Pair ${detail.index + 1} · ${where}${detail.texts.id ? ` · ${detail.texts.id}` : ''}` }));
  const flagBar = el('div', { className: 'pl-actions' });
  const button = (label: string, handler: () => void, secondary = true) => {
    const b = document.createElement('vscode-button');
    b.textContent = label;
    if (secondary) b.setAttribute('secondary', '');
    b.addEventListener('click', handler);
    return b;
  };
  flagBar.append(
    el('span', { className: 'pl-flag-state', text: detail.flag ? `flag: ${detail.flag}${detail.note ? ` (${detail.note})` : ''}` : 'not flagged' }),
    button('Flag noisy', () => actions.setFlag('noisy')),
    button('Flag swap', () => actions.setFlag('swap')),
    button('Flag drop', () => actions.setFlag('drop')),
    button('Mark OK', () => actions.setFlag('ok')),
    ...(detail.flag ? [button('Clear flag', () => actions.setFlag(null))] : []),
    ...(detail.texts.line !== null ? [button('Show in file', actions.reveal)] : []),
    ...(x?.chosen ? [button('Edit as counterfactual', actions.counterfactual)] : []),
  );
  node.append(flagBar);
  if (x?.chosen && x.rejected) {
    const margin = x.chosen.reward - x.rejected.reward;
    node.append(el('p', { className: 'pl-metrics', text: `margin ${fmt(margin)} (β = ${x.beta}) · chosen log p ${fmt(x.chosen.logps, 2)} vs reference ${fmt(x.chosen.refLogps, 2)} · rejected log p ${fmt(x.rejected.logps, 2)} vs reference ${fmt(x.rejected.refLogps, 2)}` }));
  }
  if (detail.suspicions.length) {
    node.append(el('ul', { className: 'pl-suspicions', attrs: { 'aria-label': 'suspicions' } }, ...detail.suspicions.map((s) => el('li', {}, el('strong', { text: s.reason }), el('span', { text: `: ${s.evidence}` })))));
  }
  if (detail.explainProblem) {
    const note = el('div', { className: 'pl-callout', attrs: { role: 'note' } }, el('span', { text: detail.explainProblem }));
    if (/model/i.test(detail.explainProblem)) note.append(button('Configure models', actions.configureModels, false));
    node.append(note);
  }
  node.append(el('h4', { text: 'Prompt' }), el('pre', { className: 'pl-plain pl-prompt', text: x?.prompt ?? detail.texts.prompt }));
  const tip = el('div', { className: 'pl-tooltip', attrs: { role: 'tooltip' } });
  tip.hidden = true;
  let maxAbs = 0;
  for (const side of [x?.chosen, x?.rejected]) for (const r of side?.tokens.reward ?? []) maxAbs = Math.max(maxAbs, Math.abs(r));
  const color = rewardScale(maxAbs);
  if (x?.chosen) node.append(legend(maxAbs));
  node.append(el('div', { className: 'pl-sides' }, sideColumn('Chosen', detail.texts.chosen, x?.chosen ?? null, color, tip), sideColumn('Rejected', detail.texts.rejected, x?.rejected ?? null, color, tip)));
  if (x?.chosen && x.rejected) node.append(renderCumulative(x.chosen, x.rejected, x.firstDivergence));
  node.append(tip);
  return node;
}
