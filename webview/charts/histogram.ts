/**
 * Histogram of one column over the rows that pass the other filters, with an x brush that sets
 * this column's range filter. SVG through d3 (at most a few dozen bars, whatever the row count);
 * counting is one pass over the typed array.
 */
import { axisBottom, axisLeft } from 'd3-axis';
import { brushX } from 'd3-brush';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import type { ScoreColumnName } from '../../native/protocol/webviewProtocol';
import type { PairStore } from '../state/pairStore';
import { OPEN_END, robustDomain } from './robustDomain';
import { chartColors } from './theme';

const BINS = 40;
const M = { top: 8, right: 12, bottom: 28, left: 44 };

export interface HistogramHandle {
  node: SVGSVGElement;
  /** After a filter change: recount the kept bars from the row mask (bins are cached per row). */
  update(): void;
}

export function renderHistogram(store: PairStore, column: ScoreColumnName, label: string, width = 420, height = 180): HistogramHandle {
  const svg = select(document.createElementNS('http://www.w3.org/2000/svg', 'svg')).attr('class', 'pl-chart').attr('viewBox', `0 0 ${width} ${height}`).attr('role', 'img').attr('aria-label', `${label} histogram`);
  const values = store.columns[column];
  const domain = robustDomain(values, store.rows);
  if (!domain) {
    svg.append('text').attr('x', width / 2).attr('y', height / 2).attr('text-anchor', 'middle').attr('class', 'pl-muted-text').text('no scored pairs yet');
    return { node: svg.node()!, update: () => undefined };
  }
  let { lo, hi } = domain;
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const all = new Uint32Array(BINS);
  const kept = new Uint32Array(BINS);
  const scale = BINS / (hi - lo);
  // Each row's bin, computed once: a brush then only re-counts (one pass over two byte arrays).
  const binOf = new Uint8Array(store.rows).fill(255);
  for (let k = 0; k < store.rows; k++) {
    const v = values[k]!;
    if (Number.isNaN(v)) continue;
    // values beyond a clipped domain are counted in the end bars
    const b = Math.max(0, Math.min(BINS - 1, Math.floor((v - lo) * scale)));
    binOf[k] = b;
    all[b]!++;
  }
  const recount = (): void => {
    kept.fill(0);
    const mask = store.mask;
    for (let k = 0; k < binOf.length; k++) if (binOf[k] !== 255 && mask[k] === 1) kept[binOf[k]!]!++;
  };
  recount();
  const x = scaleLinear().domain([lo, hi]).range([M.left, width - M.right]);
  const y = scaleLinear().domain([0, Math.max(1, ...all)]).nice().range([height - M.bottom, M.top]);
  const colors = chartColors();
  const barW = (width - M.left - M.right) / BINS;
  const g = svg.append('g');
  const bins = Array.from(all, (count, b) => ({ b, count, kept: kept[b]! }));
  g.selectAll('rect.all').data(bins).join('rect').attr('class', 'all').attr('x', (d) => M.left + d.b * barW).attr('width', Math.max(1, barW - 1)).attr('y', (d) => y(d.count)).attr('height', (d) => y(0) - y(d.count)).attr('fill', colors.grid);
  const keptBars = g.selectAll('rect.kept').data(bins).join('rect').attr('class', 'kept').attr('x', (d) => M.left + d.b * barW).attr('width', Math.max(1, barW - 1)).attr('fill', colors.accent);
  const titles = keptBars.append('title');
  const drawKept = (): void => {
    keptBars.attr('y', (d) => y(kept[d.b]!)).attr('height', (d) => y(0) - y(kept[d.b]!));
    titles.text((d) => `${kept[d.b]} of ${d.count} pairs in [${(lo + d.b / scale).toFixed(2)}, ${(lo + (d.b + 1) / scale).toFixed(2)})`);
  };
  drawKept();
  if (lo < 0 && hi > 0) svg.append('line').attr('x1', x(0)).attr('x2', x(0)).attr('y1', M.top).attr('y2', height - M.bottom).attr('stroke', colors.negative).attr('stroke-dasharray', '3 3');
  svg.append('g').attr('transform', `translate(0,${height - M.bottom})`).call(axisBottom(x).ticks(6)).attr('class', 'pl-axis');
  svg.append('g').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).ticks(4)).attr('class', 'pl-axis');
  svg.append('text').attr('x', width - M.right).attr('y', height - 2).attr('text-anchor', 'end').attr('class', 'pl-axis-label').text(label);
  if (domain.clipped) {
    const beyond = [domain.below ? `${domain.below} below` : '', domain.above ? `${domain.above} above` : ''].filter(Boolean).join(', ');
    svg.append('text').attr('x', width - M.right).attr('y', M.top + 8).attr('text-anchor', 'end').attr('class', 'pl-axis-label').text(`outliers: ${beyond}, counted in the end bars`);
  }
  const brush = brushX().extent([[M.left, M.top], [width - M.right, height - M.bottom]]).on('end', (event: { selection: [number, number] | null; sourceEvent?: unknown }) => {
    if (!event.sourceEvent) return; // programmatic moves
    if (!event.selection) return store.setRange(column, null);
    // a clipped chart's end bars hold the outliers: a brush reaching an end reaches past it
    const [a, b] = event.selection;
    const from = domain.clipped && domain.below > 0 && a <= M.left + 0.5 ? -OPEN_END : x.invert(a);
    const to = domain.clipped && domain.above > 0 && b >= width - M.right - 0.5 ? OPEN_END : x.invert(b);
    store.setRange(column, [from, to]);
  });
  const brushG = svg.append('g').attr('class', 'pl-brush').call(brush);
  const current = store.ranges.get(column);
  if (current) brushG.call(brush.move, [x(Math.max(lo, current[0])), x(Math.min(hi, current[1]))]);
  return {
    node: svg.node()!,
    update: () => {
      recount();
      drawKept();
    },
  };
}
