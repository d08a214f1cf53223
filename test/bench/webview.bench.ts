/**
 * The panel in headless Chromium (no GPU) at 1M and 100k pairs: overview first render, brush and
 * zoom frames, table frames; the scatter's baseline is the same points drawn one by one with
 * Canvas2D in the same page (test/webview/panelTimings.ts).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { measurePanel } from '../webview/panelTimings';
import type { BenchResult } from './types';

export async function benchWebview(): Promise<BenchResult[]> {
  const out = resolve('test-artifacts/bench');
  mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'], headless: true });
  try {
    const big = await measurePanel(browser, 1_000_000, out);
    const small = await measurePanel(browser, 100_000, out);
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const row = (figure: string, value: number, target: number, baseline?: number): BenchResult => ({
      figure, value: ms(value), baseline: baseline === undefined ? '-' : `${ms(baseline)} (Canvas2D fillRect per point)`, ratio: baseline === undefined ? undefined : baseline / value, target: `< ${target} ms`, pass: value < target,
    });
    return [
      row('webview: overview first render, 1M pairs (after the data arrives)', big.overviewRenderMs, 1000),
      row('webview: brush frame, 1M pairs (steady; first frame ' + ms(big.firstBrushFrameMs) + ')', big.brushFrameMs, 50),
      row('webview: zoom frame (scatter repaint), 1M pairs', big.zoomFrameMs, 50, big.naiveCanvasFrameMs),
      row('webview: brush frame, 100k pairs', small.brushFrameMs, 16),
      row('webview: zoom frame, 100k pairs', small.zoomFrameMs, 16, small.naiveCanvasFrameMs),
      row('webview: table frame while scrolling, 1M rows (max ' + ms(big.tableFrameMaxMs) + ')', big.tableFrameMedianMs, 16),
    ];
  } finally {
    await browser.close();
  }
}
