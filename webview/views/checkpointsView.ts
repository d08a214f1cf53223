/**
 * Checkpoints: when several policy checkpoints were scored (setting preflens.checkpoints), the
 * dataset's mean margin and displacement rate per checkpoint, and the selected pair's margin and
 * chosen log-ratio across them (METRICS 7, 4.2).
 */
import { axisBottom, axisLeft } from 'd3-axis';
import { scalePoint, scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { line } from 'd3-shape';
import type { CheckpointSeries } from '../../native/protocol/engineProtocol';
import { chartColors } from '../charts/theme';
import { el } from '../dom';

function lineChart(title: string, labels: string[], series: { name: string; values: (number | null)[]; color: string }[]): SVGSVGElement {
  const width = 720;
  const height = 200;
  const M = { top: 20, right: 16, bottom: 28, left: 52 };
  const svg = select(document.createElementNS('http://www.w3.org/2000/svg', 'svg')).attr('class', 'pl-chart').attr('viewBox', `0 0 ${width} ${height}`).attr('role', 'img').attr('aria-label', title);
  const x = scalePoint<string>().domain(labels).range([M.left, width - M.right]).padding(0.3);
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const y = scaleLinear().domain([Math.min(0, ...values), Math.max(0, ...values)]).nice().range([height - M.bottom, M.top]);
  svg.append('g').attr('class', 'pl-axis').attr('transform', `translate(0,${height - M.bottom})`).call(axisBottom(x));
  svg.append('g').attr('class', 'pl-axis').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).ticks(4));
  svg.append('text').attr('x', M.left).attr('y', 12).attr('class', 'pl-axis-label').text(title);
  for (const s of series) {
    const points = s.values.map((v, i) => ({ v, label: labels[i]! })).filter((p): p is { v: number; label: string } => p.v !== null);
    svg.append('path').attr('d', line<{ v: number; label: string }>().x((p) => x(p.label)!).y((p) => y(p.v))(points)).attr('fill', 'none').attr('stroke', s.color).attr('stroke-width', 1.8);
    svg.append('g').selectAll('circle').data(points).join('circle').attr('cx', (p) => x(p.label)!).attr('cy', (p) => y(p.v)).attr('r', 3).attr('fill', s.color).append('title').text((p) => `${s.name} at ${p.label}: ${p.v.toFixed(3)}`);
  }
  return svg.node()!;
}

export function renderCheckpoints(series: CheckpointSeries | null, pairIndex: number | null, position: (index: number) => number): HTMLElement {
  const node = el('section', { id: 'checkpoints', className: 'pl-checkpoints' });
  if (!series || series.labels.length === 0) {
    node.append(el('p', { className: 'pl-empty', text: 'No checkpoints scored. List policy checkpoint folders in the setting preflens.checkpoints (in training order) and score again to see trajectories.' }));
    return node;
  }
  const labels = series.labels.map((l) => l.split(/[\\/]/).pop() ?? l);
  const colors = chartColors();
  node.append(lineChart('mean margin per checkpoint', labels, [{ name: 'mean margin', values: series.meanMargin, color: colors.accent }]));
  node.append(lineChart('fraction of pairs with likelihood displacement (chosen log-ratio < 0)', labels, [{ name: 'displaced', values: series.displaced, color: colors.negative }]));
  const j = pairIndex === null ? -1 : position(pairIndex);
  if (j >= 0) {
    node.append(lineChart(`pair ${pairIndex! + 1}: margin and chosen log-ratio across checkpoints`, labels, [
      { name: 'margin', values: series.margin.map((m) => m[j] ?? null), color: colors.accent },
      { name: 'chosen log-ratio', values: series.rhoChosen.map((m) => m[j] ?? null), color: colors.warning },
    ]));
  } else node.append(el('p', { className: 'pl-muted', text: 'Select a pair to see its trajectory.' }));
  return node;
}
