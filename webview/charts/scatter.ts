/**
 * Scatter of chosen vs rejected implicit reward (or policy log-ratios), one point per pair,
 * coloured by flag and suspicion. Points are drawn into a canvas ImageData (a million points is
 * one pass over typed arrays, no per-point DOM or path calls); axes and the brush are SVG on top.
 * Drag brushes a rectangle (filters both columns for every view); the wheel zooms, with pan by
 * dragging while holding Shift; double-click resets the zoom.
 */
import { axisBottom, axisLeft } from 'd3-axis';
import { brush as d3brush } from 'd3-brush';
import { color as d3color } from 'd3-color';
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { zoom as d3zoom, zoomIdentity, type ZoomTransform } from 'd3-zoom';
import type { ScoreColumnName } from '../../native/protocol/webviewProtocol';
import type { PairStore } from '../state/pairStore';
import { chartColors } from './theme';

const M = { top: 8, right: 12, bottom: 30, left: 48 };

export interface ScatterAxes { x: ScoreColumnName; y: ScoreColumnName; xLabel: string; yLabel: string }

function rgb(value: string): [number, number, number] {
  const c = d3color(value)?.rgb();
  return c ? [c.r, c.g, c.b] : [128, 128, 128];
}

export interface ScatterHandle {
  node: HTMLElement;
  redraw(): number;
  /** Where row k's point is drawn, in CSS pixels from the chart's top-left (null when off-chart or unscored). */
  pointAt(k: number): [number, number] | null;
}

export function createScatter(store: PairStore, axes: ScatterAxes, open: (index: number) => void, width = 420, height = 300): ScatterHandle {
  const node = document.createElement('div');
  node.className = 'pl-scatter';
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.className = 'pl-scatter-canvas';
  const svg = select(document.createElementNS('http://www.w3.org/2000/svg', 'svg')).attr('class', 'pl-scatter-overlay').attr('viewBox', `0 0 ${width} ${height}`).attr('width', width).attr('height', height);
  node.append(canvas, svg.node()!);
  const xs = store.columns[axes.x];
  const ys = store.columns[axes.y];
  const extent = (v: Float32Array): [number, number] => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < store.rows; k++) {
      const a = v[k]!;
      if (a < lo) lo = a;
      if (a > hi) hi = a;
    }
    return hi >= lo ? (hi > lo ? [lo, hi] : [lo - 1, hi + 1]) : [-1, 1];
  };
  const x0 = scaleLinear().domain(extent(xs)).nice().range([M.left, width - M.right]);
  const y0 = scaleLinear().domain(extent(ys)).nice().range([height - M.bottom, M.top]);
  let x: ScaleLinear<number, number> = x0;
  let y: ScaleLinear<number, number> = y0;
  const xAxis = svg.append('g').attr('class', 'pl-axis').attr('transform', `translate(0,${height - M.bottom})`);
  const yAxis = svg.append('g').attr('class', 'pl-axis').attr('transform', `translate(${M.left},0)`);
  const diagonal = svg.append('line').attr('class', 'pl-diagonal');
  svg.append('text').attr('x', width - M.right).attr('y', height - 2).attr('text-anchor', 'end').attr('class', 'pl-axis-label').text(axes.xLabel);
  svg.append('text').attr('x', 4).attr('y', M.top + 4).attr('class', 'pl-axis-label').text(axes.yLabel);
  const ctx = canvas.getContext('2d')!;

  /** Draws every point; returns the milliseconds it took (the webview benchmark reads this). */
  function redraw(): number {
    const started = performance.now();
    const colors = chartColors();
    const [base, faded, suspicious, flagged] = [rgb(colors.accent), rgb(colors.grid), rgb(colors.negative), rgb(colors.flag)];
    const image = ctx.createImageData(width, height);
    // One 32-bit write per point (RGBA bytes in little-endian order), one pass: a kept point
    // always paints its pixel; a filtered-out point only paints an empty one, so kept points
    // stay on top without a second pass.
    const pixels = new Uint32Array(image.data.buffer);
    const pack = (c: [number, number, number], alpha: number) => ((alpha << 24) | (c[2] << 16) | (c[1] << 8) | c[0]) >>> 0;
    const [cBase, cFaded, cSuspicious, cFlagged] = [pack(base, 255), pack(faded, 110), pack(suspicious, 255), pack(flagged, 255)];
    const [ax, bx] = [x(1) - x(0), x(0)];
    const [ay, by] = [y(1) - y(0), y(0)];
    const [left, right, top, bottom] = [M.left, width - M.right, M.top, height - M.bottom];
    const filtering = store.filterCount > 0;
    const review = store.columns.review_score;
    const flag = store.columns.flag;
    const mask = store.mask;
    const n = store.rows;
    for (let k = 0; k < n; k++) {
      const px = (ax * xs[k]! + bx) | 0;
      const py = (ay * ys[k]! + by) | 0;
      if (px < left || px >= right || py < top || py >= bottom) continue;
      const o = py * width + px;
      if (filtering && mask[k] !== 1) {
        if (pixels[o] === 0) pixels[o] = cFaded;
        continue;
      }
      pixels[o] = flag[k]! > 0 ? cFlagged : review[k]! > 0 ? cSuspicious : cBase;
    }
    // Few points: grow each painted pixel into a 3x3 dot so a few hundred pairs are visible
    // (a dilation of the 1-px image, so the z-order above still holds).
    if (n <= 20_000) dilate(pixels, width, height);
    ctx.putImageData(image, 0, 0);
    xAxis.call(axisBottom(x).ticks(6));
    yAxis.call(axisLeft(y).ticks(5));
    const [d0, d1] = [Math.max(x.domain()[0]!, y.domain()[0]!), Math.min(x.domain()[1]!, y.domain()[1]!)];
    diagonal.attr('x1', x(d0)).attr('y1', y(d0)).attr('x2', x(d1)).attr('y2', y(d1));
    return performance.now() - started;
  }

  const brush = d3brush().extent([[M.left, M.top], [width - M.right, height - M.bottom]])
    .filter((event: MouseEvent) => !event.shiftKey && !event.button)
    .on('end', (event: { selection: [[number, number], [number, number]] | null; sourceEvent?: MouseEvent }) => {
      if (!event.sourceEvent) return;
      const s = event.selection;
      // A click (no rectangle) on a point opens that pair; on empty space it clears the brush.
      if (!s) {
        const hit = nearest(event.sourceEvent);
        if (hit !== null) return open(hit);
      }
      store.setRanges([
        [axes.x, s ? [x.invert(s[0][0]), x.invert(s[1][0])] : null],
        [axes.y, s ? [y.invert(s[1][1]), y.invert(s[0][1])] : null],
      ]);
    });
  const brushG = svg.append('g').attr('class', 'pl-brush').call(brush);
  const zoom = d3zoom<SVGSVGElement, unknown>()
    .scaleExtent([1, 200])
    .filter((event: Event) => event.type === 'wheel' || (event instanceof MouseEvent && event.shiftKey && event.type === 'mousedown'))
    .on('zoom', (event: { transform: ZoomTransform }) => {
      x = event.transform.rescaleX(x0);
      y = event.transform.rescaleY(y0);
      brushG.call(brush.move, null);
      redraw();
    });
  svg.call(zoom).on('dblclick.zoom', () => svg.call(zoom.transform, zoomIdentity));

  function pointAt(k: number): [number, number] | null {
    const px = x(xs[k]!);
    const py = y(ys[k]!);
    if (!(Number.isFinite(px) && Number.isFinite(py) && px >= M.left && px <= width - M.right && py >= M.top && py <= height - M.bottom)) return null;
    const box = (svg.node() as SVGSVGElement).getBoundingClientRect();
    return [(px * box.width) / width, (py * box.height) / height];
  }

  /** The visible point nearest the pointer, within 6 px; kept (filtered-in) points only. */
  function nearest(event: MouseEvent): number | null {
    const box = (svg.node() as SVGSVGElement).getBoundingClientRect();
    const [mx, my] = [((event.clientX - box.left) * width) / box.width, ((event.clientY - box.top) * height) / box.height];
    let best: number | null = null;
    let bestD = 36;
    const filtering = store.filterCount > 0;
    for (let k = 0; k < store.rows; k++) {
      if (filtering && store.mask[k] !== 1) continue;
      const dx = x(xs[k]!) - mx;
      const dy = y(ys[k]!) - my;
      const d = dx * dx + dy * dy;
      if (d < bestD) [best, bestD] = [k, d];
    }
    return best;
  }
  redraw();
  return { node, redraw, pointAt };
}

/** Each painted pixel also paints its empty 8 neighbours (same colour): 3x3 dots. */
function dilate(pixels: Uint32Array, width: number, height: number): void {
  const source = pixels.slice();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = source[y * width + x]!;
      if (c === 0) continue;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
          const o = yy * width + xx;
          if (source[o] === 0 && pixels[o] === 0) pixels[o] = c;
        }
      }
    }
  }
}
