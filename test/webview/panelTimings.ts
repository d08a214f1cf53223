// Times the real panel bundle in headless Chromium (no GPU) at a given size, with the stand-in
// host: the overview built from scratch, the first and steady brush frames (refilter + filter
// bar + histogram recount + scatter repaint), zoom frames (scatter repaint at a new scale), table
// frames at 20 scroll positions, and a baseline in the same page: the same points drawn one by
// one with Canvas2D fillRect, the obvious implementation. Shared by test/webview/panel.test.ts
// and `npm run bench` (test/bench/webview.bench.ts).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { renderPanelHtml } from '../../extension/panel/panelHtml';
import { fakeHostScript } from './fakeHost';

export interface PanelTimings {
  rows: number;
  overviewRenderMs: number;
  firstBrushFrameMs: number;
  brushFrameMs: number;
  zoomFrameMs: number;
  tableFrameMedianMs: number;
  tableFrameMaxMs: number;
  naiveCanvasFrameMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 10) / 10;

export async function measurePanel(browser: Browser, rows: number, outDir: string): Promise<PanelTimings> {
  const html = renderPanelHtml({ cspSource: 'file:', scriptUri: pathToFileURL(resolve('dist/webview.js')).href, styleUri: pathToFileURL(resolve('media/preflens.css')).href, title: 'PrefLens timing' });
  const file = resolve(outDir, `panel-timing-${rows}.html`);
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1100, height: 1500 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.addInitScript(fakeHostScript({ rows, theme: 'dark' }));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('#overview canvas', { timeout: 120_000 });
    await page.locator('#filter-bar').waitFor({ timeout: 60_000 });
    // Functions as strings: the test project has no DOM lib; page.evaluate runs them over CDP.
    const t = (await page.evaluate(`(() => {
      const bench = window.preflensBench;
      const firstBrush = bench.brushFrame(-1.5, 1.5);
      for (let i = 0; i < 3; i++) bench.brushFrame(-1.4 + i * 0.05, 1.4);
      const brush = [];
      for (let i = 0; i < 9; i++) brush.push(bench.brushFrame(-1 + i * 0.1, 1 + i * 0.05));
      const zoom = [];
      for (let i = 0; i < 7; i++) zoom.push(bench.scatterFrame());
      bench.store.setRange('margin', null);
      const overview = [];
      for (let i = 0; i < 3; i++) overview.push(bench.overviewFrame());
      const canvas = document.createElement('canvas');
      canvas.width = 420; canvas.height = 300;
      const ctx = canvas.getContext('2d');
      const xs = bench.store.columns.chosen_reward, ys = bench.store.columns.rejected_reward;
      const naive = [];
      for (let r = 0; r < 2; r++) {
        const t0 = performance.now();
        ctx.clearRect(0, 0, 420, 300);
        ctx.fillStyle = '#3794ff';
        for (let k = 0; k < xs.length; k++) ctx.fillRect(210 + xs[k] * 40, 150 - ys[k] * 40, 1, 1);
        ctx.getImageData(0, 0, 1, 1);
        naive.push(performance.now() - t0);
      }
      return { firstBrush, brush, zoom, overview, naive };
    })()`)) as { firstBrush: number; brush: number[]; zoom: number[]; overview: number[]; naive: number[] };
    await page.locator('vscode-tab-header', { hasText: 'Pairs' }).click();
    await page.waitForSelector('#pair-table .pl-tr');
    const table = (await page.evaluate(`(() => {
      const viewport = document.querySelector('.pl-table-viewport');
      const frames = [];
      for (let i = 0; i < 20; i++) {
        viewport.scrollTop = i * ${Math.floor(rows / 20)} * 26;
        frames.push(window.preflensBench.tableFrame());
      }
      return frames;
    })()`)) as number[];
    if (errors.length) throw new Error(`panel errors: ${errors.join('; ')}`);
    return {
      rows,
      overviewRenderMs: round(median(t.overview)),
      firstBrushFrameMs: round(t.firstBrush),
      brushFrameMs: round(median(t.brush)),
      zoomFrameMs: round(median(t.zoom)),
      tableFrameMedianMs: round(median(table)),
      tableFrameMaxMs: round(Math.max(...table)),
      naiveCanvasFrameMs: round(Math.min(...t.naive)),
    };
  } finally {
    await page.close();
  }
}
