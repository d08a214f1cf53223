/**
 * Factors: for each factor (length, structure, refusals, prompt overlap, dataset ratings...),
 * its influence on the labels and on the model (Kendall τ, METRICS 5) as paired bars, sorted by
 * how much they disagree, with the plain-language sentences and the length-bias correlations.
 * Clicking a factor filters every view to the pairs where that factor differs between the two
 * responses (where it can decide the preference).
 */
import { scaleBand, scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import type { FactorsView } from '../../native/protocol/webviewProtocol';
import { chartColors } from '../charts/theme';
import { el } from '../dom';

export function renderFactors(view: FactorsView, active: string | null, onPick: (factor: string | null) => void): HTMLElement {
  const node = el('section', { id: 'factors', className: 'pl-factors' });
  if (view.state !== 'ready') {
    node.append(el('p', { className: 'pl-empty', text: view.message ?? 'No factor analysis yet.' }));
    return node;
  }
  const factors = [...view.factors].sort((a, b) => Math.abs(b.labelTau - b.modelTau) - Math.abs(a.labelTau - a.modelTau));
  node.append(el('p', { className: 'pl-muted', text: `Influence is Kendall τ between the factor difference (chosen − rejected) and the preference: labels vs the policy's margin. Agreement across factors (Spearman): ${view.spearman === null ? 'n/a' : view.spearman.toFixed(2)}. Click a factor to show only the pairs where it differs.` }));
  if (view.sentences.length) node.append(el('ul', { className: 'pl-sentences' }, ...view.sentences.map((s) => el('li', { text: s }))));
  const width = 720;
  const rowH = 22;
  const M = { top: 24, right: 16, bottom: 8, left: 200 };
  const height = M.top + M.bottom + factors.length * rowH;
  const svg = select(document.createElementNS('http://www.w3.org/2000/svg', 'svg')).attr('class', 'pl-chart').attr('viewBox', `0 0 ${width} ${height}`).attr('role', 'img').attr('aria-label', 'label vs model influence per factor');
  const x = scaleLinear().domain([-1, 1]).range([M.left, width - M.right]);
  const y = scaleBand<string>().domain(factors.map((f) => f.name)).range([M.top, height - M.bottom]).padding(0.2);
  const colors = chartColors();
  svg.append('text').attr('x', M.left).attr('y', 12).attr('class', 'pl-axis-label').text('τ: ').append('tspan').attr('fill', colors.accent).text('labels  ').append('tspan').attr('fill', colors.warning).text('model');
  svg.append('line').attr('x1', x(0)).attr('x2', x(0)).attr('y1', M.top).attr('y2', height - M.bottom).attr('stroke', colors.muted);
  const row = svg.selectAll('g.row').data(factors).join('g').attr('class', (f) => `row pl-factor${f.name === active ? ' pl-active' : ''}`).attr('tabindex', '0').attr('role', 'button')
    .on('click', (_e, f) => onPick(f.name === active ? null : f.name))
    .on('keydown', (e: KeyboardEvent, f) => { if (e.key === 'Enter') onPick(f.name === active ? null : f.name); });
  row.append('rect').attr('x', 0).attr('width', width).attr('y', (f) => y(f.name)! - 2).attr('height', y.bandwidth() + 4).attr('class', 'pl-factor-hit');
  row.append('text').attr('x', M.left - 6).attr('y', (f) => y(f.name)! + y.bandwidth() / 2 + 4).attr('text-anchor', 'end').attr('class', 'pl-factor-name').text((f) => f.name);
  const half = () => y.bandwidth() / 2;
  row.append('rect').attr('x', (f) => Math.min(x(0), x(f.labelTau))).attr('width', (f) => Math.abs(x(f.labelTau) - x(0))).attr('y', (f) => y(f.name)!).attr('height', half()).attr('fill', colors.accent);
  row.append('rect').attr('x', (f) => Math.min(x(0), x(f.modelTau))).attr('width', (f) => Math.abs(x(f.modelTau) - x(0))).attr('y', (f) => y(f.name)! + half()).attr('height', half()).attr('fill', colors.warning);
  row.append('title').text((f) => `${f.name}: ${f.description}\nlabels τ ${f.labelTau.toFixed(3)}${f.labelShare !== null ? `, prefer larger ${(100 * f.labelShare).toFixed(0)}%` : ''}\nmodel τ ${f.modelTau.toFixed(3)}${f.modelShare !== null ? `, prefers larger ${(100 * f.modelShare).toFixed(0)}%` : ''}`);
  node.append(svg.node()!);
  if (view.lengthBias.length) {
    const table = el('table', { className: 'pl-small-table' }, el('tr', {}, el('th', { text: 'length difference vs' }), el('th', { text: 'Pearson' }), el('th', { text: 'Spearman' })));
    for (const b of view.lengthBias) table.append(el('tr', {}, el('td', { text: b.against }), el('td', { text: b.pearson === null ? '–' : b.pearson.toFixed(3) }), el('td', { text: b.spearman === null ? '–' : b.spearman.toFixed(3) })));
    node.append(el('h4', { text: 'Length bias' }), table);
  }
  return node;
}
