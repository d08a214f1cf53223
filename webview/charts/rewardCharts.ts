/**
 * The pair detail's reward charts: the sentence waterfall (each segment's reward as a step from
 * the running total, ending at the response reward, METRICS 6.4) and the cumulative token
 * reward curves of both responses with the first divergence marked (METRICS 9).
 */
import { axisBottom, axisLeft } from 'd3-axis';
import { scaleBand, scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { line } from 'd3-shape';
import type { SideExplanation } from '../../native/protocol/explainProtocol';
import { chartColors } from './theme';

const svgNode = (width: number, height: number, label: string) =>
  select(document.createElementNS('http://www.w3.org/2000/svg', 'svg')).attr('class', 'pl-chart').attr('viewBox', `0 0 ${width} ${height}`).attr('role', 'img').attr('aria-label', label);

export function renderWaterfall(side: SideExplanation, title: string, width = 360, height = 170): SVGSVGElement {
  const M = { top: 16, right: 8, bottom: 22, left: 44 };
  const svg = svgNode(width, height, `${title}: sentence rewards`);
  const steps = side.segments.map((s, i) => ({ i, s, from: 0, to: 0 }));
  let acc = 0;
  for (const step of steps) {
    step.from = acc;
    acc += step.s.reward;
    step.to = acc;
  }
  const lo = Math.min(0, ...steps.map((d) => Math.min(d.from, d.to)));
  const hi = Math.max(0, ...steps.map((d) => Math.max(d.from, d.to)));
  const x = scaleBand<number>().domain(steps.map((d) => d.i)).range([M.left, width - M.right]).padding(0.15);
  const y = scaleLinear().domain([lo, hi === lo ? lo + 1 : hi]).nice().range([height - M.bottom, M.top]);
  const colors = chartColors();
  svg.append('text').attr('x', M.left).attr('y', 11).attr('class', 'pl-axis-label').text(`${title}: sentence rewards (sum ${side.reward.toFixed(3)})`);
  svg.append('g').selectAll('rect').data(steps).join('rect')
    .attr('x', (d) => x(d.i)!).attr('width', x.bandwidth())
    .attr('y', (d) => y(Math.max(d.from, d.to))).attr('height', (d) => Math.max(1, Math.abs(y(d.from) - y(d.to))))
    .attr('fill', (d) => (d.s.reward < 0 ? colors.negative : colors.positive))
    .append('title').text((d) => `sentence ${d.i + 1}: ${d.s.reward >= 0 ? '+' : ''}${d.s.reward.toFixed(3)}\n${d.s.text.trim().slice(0, 200)}`);
  svg.append('line').attr('x1', M.left).attr('x2', width - M.right).attr('y1', y(0)).attr('y2', y(0)).attr('stroke', colors.muted).attr('stroke-dasharray', '2 2');
  svg.append('g').attr('class', 'pl-axis').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).ticks(4));
  svg.append('g').attr('class', 'pl-axis').attr('transform', `translate(0,${height - M.bottom})`).call(axisBottom(x).tickFormat((i) => String(i + 1)).tickValues(steps.length > 20 ? steps.filter((d) => d.i % 5 === 0).map((d) => d.i) : steps.map((d) => d.i)));
  return svg.node()!;
}

export function renderCumulative(chosen: SideExplanation, rejected: SideExplanation, divergence: number, width = 740, height = 180): SVGSVGElement {
  const M = { top: 18, right: 12, bottom: 24, left: 48 };
  const svg = svgNode(width, height, 'cumulative token rewards');
  const series = [chosen, rejected].map((side) => {
    let acc = 0;
    return [{ t: 0, v: 0 }, ...side.tokens.reward.map((r, t) => ({ t: t + 1, v: (acc += r) }))];
  });
  const all = series.flat();
  const x = scaleLinear().domain([0, Math.max(1, ...all.map((p) => p.t))]).range([M.left, width - M.right]);
  const y = scaleLinear().domain([Math.min(0, ...all.map((p) => p.v)), Math.max(0, ...all.map((p) => p.v))]).nice().range([height - M.bottom, M.top]);
  const colors = chartColors();
  const stroke = [colors.positive, colors.negative];
  const path = line<{ t: number; v: number }>().x((p) => x(p.t)).y((p) => y(p.v));
  svg.append('g').attr('class', 'pl-axis').attr('transform', `translate(0,${height - M.bottom})`).call(axisBottom(x).ticks(8));
  svg.append('g').attr('class', 'pl-axis').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).ticks(4));
  series.forEach((s, i) => svg.append('path').attr('d', path(s)).attr('fill', 'none').attr('stroke', stroke[i]!).attr('stroke-width', 1.6));
  if (divergence >= 0) {
    svg.append('line').attr('x1', x(divergence)).attr('x2', x(divergence)).attr('y1', M.top).attr('y2', height - M.bottom).attr('stroke', colors.warning).attr('stroke-dasharray', '4 3');
    svg.append('text').attr('x', x(divergence) + 4).attr('y', M.top + 8).attr('class', 'pl-axis-label').text(`first divergence: token ${divergence}`);
  }
  svg.append('text').attr('x', M.left).attr('y', 11).attr('class', 'pl-axis-label').text('cumulative token reward: ').append('tspan').attr('fill', stroke[0]!).text('chosen ').append('tspan').attr('fill', stroke[1]!).text('rejected');
  return svg.node()!;
}
