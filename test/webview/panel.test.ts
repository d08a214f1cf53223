// The PrefLens panel (dist/webview.js inside the real panel HTML and CSP) in headless Chromium,
// fed by a stand-in host that answers the typed protocol: the overview, table, pair detail and
// factors render, untrusted text stays text, brushing filters the table; and at a million pairs
// the first render, a brush redraw and a table frame are timed (the numbers go to the benchmark
// via test-artifacts/webview/panel-timings.json). Screenshots in dark and light themes.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderPanelHtml } from '../../extension/panel/panelHtml';
import { fakeHostScript } from './fakeHost';
import { measurePanel } from './panelTimings';

const OUT = resolve('test-artifacts/webview');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--allow-file-access-from-files'];
let browser: Browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, headless: true });
});
after(() => browser?.close());

/** Polls from Node: the panel's CSP (rightly) forbids the eval that page.waitForFunction needs. */
async function until(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function openPanel(rows: number, theme: 'dark' | 'light'): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const html = renderPanelHtml({ cspSource: 'file:', scriptUri: pathToFileURL(resolve('dist/webview.js')).href, styleUri: pathToFileURL(resolve('media/preflens.css')).href, title: 'PrefLens test' });
  const file = resolve(OUT, `panel-${rows}.html`);
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1100, height: 1500 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); void d.dismiss(); });
  await page.addInitScript(fakeHostScript({ rows, theme }));
  await page.goto(pathToFileURL(file).href);
  return { page, errors, requests };
}

test('the panel renders every view, keeps dataset text as text, and brushing filters the table', async () => {
  for (const theme of ['dark', 'light'] as const) {
    const { page, errors, requests } = await openPanel(2000, theme);
    await page.waitForSelector('#overview canvas', { timeout: 20_000 });
    await page.waitForSelector('#reward-accuracy');
    assert.equal(await page.locator('#filter-bar').getAttribute('data-visible'), '2000');
    // open the worst pair from the review list
    await page.locator('#review-list li').first().click();
    await page.waitForSelector('#pair-detail .pl-token');
    const tokens = await page.locator('#pair-detail .pl-token').count();
    assert.ok(tokens > 10, `${tokens} token spans`);
    assert.match((await page.locator('#pair-detail .pl-side-chosen').textContent()) ?? '', /<img src=x onerror/);
    await page.locator('#pair-detail .pl-token').nth(3).hover();
    const tip = (await page.locator('.pl-tooltip').textContent()) ?? '';
    assert.match(tip, /policy log p-2\.0000/);
    assert.match(tip, /reward β·Δ-?0\.\d{4}/);
    assert.match(tip, /policy top alternatives/);
    // colour by value: the most negative token reward is drawn red, the most positive blue
    const colours = await page.evaluate(`(() => {
      const side = [...document.querySelectorAll('.pl-side-chosen .pl-token')];
      const rgb = (el) => getComputedStyle(el).backgroundColor.match(/\\d+/g).map(Number);
      return side.map((el) => rgb(el));
    })()`) as number[][];
    const rewards = Array.from({ length: colours.length }, (_, i) => Math.sin(i) * 0.3);
    const lo = rewards.indexOf(Math.min(...rewards));
    const hi = rewards.indexOf(Math.max(...rewards));
    assert.ok(colours[lo]![0]! > colours[lo]![2]!, `most negative token is red: ${colours[lo]}`);
    assert.ok(colours[hi]![2]! > colours[hi]![0]!, `most positive token is blue: ${colours[hi]}`);
    // segment rewards sum to the response reward shown in the header
    const header = (await page.locator('.pl-side-chosen h4').textContent()) ?? '';
    const caption = (await page.locator('.pl-side-chosen svg text').first().textContent()) ?? '';
    assert.equal(/reward (-?\d+\.\d+)/.exec(header)?.[1], /sum (-?\d+\.\d+)/.exec(caption)?.[1]);
    // the stylesheet payload did not hide the page
    assert.ok(await page.locator('#pair-detail').isVisible());
    await page.screenshot({ path: `${OUT}/panel-overview-${theme}.png`, fullPage: true });
    // brush the margin histogram: drag across its left part
    const histogram = page.locator('#overview .pl-figure').first().locator('svg');
    await histogram.scrollIntoViewIfNeeded();
    const box = (await histogram.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.15, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.5, { steps: 4 });
    await page.mouse.up();
    await until(async () => (await page.locator('#filter-bar').getAttribute('data-visible')) !== '2000');
    const visible = Number(await page.locator('#filter-bar').getAttribute('data-visible'));
    assert.ok(visible > 0 && visible < 2000, `brush kept ${visible} of 2000`);
    // the table shows the filtered rows, sorted by margin on click
    await page.locator('vscode-tab-header', { hasText: 'Pairs' }).click();
    await page.waitForSelector('#pair-table .pl-tr');
    await page.locator('#pair-table .pl-th[data-key="margin"]').click();
    const sortedMargins = async (): Promise<number[]> => (await page.locator('#pair-table .pl-col-margin').allTextContents()).map(Number).filter(Number.isFinite);
    await until(async () => (await page.locator('#pair-table .pl-th[data-key="margin"]').getAttribute('aria-sort')) === 'ascending');
    await until(async () => {
      const values = await sortedMargins();
      return values.length > 5 && values.every((v, i) => i === 0 || v >= values[i - 1]!);
    });
    await until(async () => !((await page.locator('#pair-table .pl-col-text').first().textContent()) ?? '…').includes('…'));
    assert.match((await page.locator('#pair-table .pl-col-text').first().textContent()) ?? '', /<script>|<img/);
    await page.screenshot({ path: `${OUT}/panel-table-${theme}.png`, fullPage: true });
    await page.locator('vscode-tab-header', { hasText: 'Factors' }).click();
    await page.waitForSelector('#factors svg');
    await page.locator('#factors .pl-factor').first().click();
    await until(async () => /factor/.test((await page.locator('#filter-bar').textContent()) ?? ''));
    await page.screenshot({ path: `${OUT}/panel-factors-${theme}.png`, fullPage: true });
    await page.locator('vscode-tab-header', { hasText: 'Checkpoints' }).click();
    await page.waitForSelector('#checkpoints svg');
    // a reload keeps the tab, the sort, the brush and the selected pair (webview state)
    await page.reload();
    await page.waitForSelector('#checkpoints svg', { timeout: 20_000 });
    await page.waitForSelector('#pair-detail .pl-token');
    assert.notEqual(await page.locator('#filter-bar').getAttribute('data-visible'), '2000', 'brush restored');
    // clicking a point in the scatter opens that pair
    await page.locator('vscode-tab-header', { hasText: 'Overview' }).click();
    const target = (await page.evaluate('(() => { const b = window.preflensBench; b.store.clearFilters(); const m = b.store.columns.margin; let k = 0; for (let i = 1; i < m.length; i++) if (m[i] < m[k]) k = i; return [k, b.scatterPoint(k)]; })()')) as [number, [number, number]];
    await page.waitForTimeout(100);
    await page.locator('.pl-scatter-overlay').click({ position: { x: target[1][0], y: target[1][1] } });
    await until(async () => ((await page.locator('#pair-detail h3').textContent()) ?? '').startsWith(`Pair ${target[0] + 1} `));
    assert.equal(await page.evaluate('window.__pwned'), undefined, 'no payload ran');
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [], 'no network requests');
    await page.close();
  }
});

test('a million and 100k pairs: first render, brush, zoom and table frames are timed', async () => {
  const results = [];
  for (const rows of [1_000_000, 100_000]) results.push(await measurePanel(browser, rows, OUT));
  writeFileSync(`${OUT}/panel-timings.json`, `${JSON.stringify({ machine: `${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, headless Chromium without GPU`, results }, null, 2)}\n`);
  console.log(JSON.stringify(results));
  for (const r of results) assert.ok(Object.values(r).every((v) => Number.isFinite(v) && v >= 0), JSON.stringify(r));
});
