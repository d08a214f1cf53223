// The HTML report in a real browser (headless Chromium from /usr/bin/chromium, never a download):
// a report whose every text field is an injection payload opens from file:// with no dialog, no
// executed payload, no network request and no CSP violation; it renders every section, shows
// the payloads as literal text, and never puts a javascript: URL in an href.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
// Browser-side code is passed as strings: this project compiles without the DOM lib.
import { renderHtmlReport } from '../../native/report/htmlReport';
import type { ReportData } from '../../native/report/reportData';

const PAYLOADS = [
  '</script><script>window.__pwned=1</script>',
  '<!--',
  '<img src=x onerror="window.__pwned=2">',
  'javascript:alert(1)',
  '</style><style>body{display:none}</style>',
  '"><svg onload=window.__pwned=3>',
  '\u2028',
];
const T = PAYLOADS.join(' ');

function evilReport(): ReportData {
  const pair = (index: number, line: number | null) => ({
    index, line, id: `${T}#${index}`, margin: -1.5 + index, prompt: T, chosen: T, rejected: T,
    reasons: [{ reason: T, evidence: T }, { reason: 'policy-prefers-rejected', evidence: T }],
  });
  return {
    title: T,
    generatedAt: T,
    dataset: { path: `/tmp/${T}/javascript:alert(1).jsonl`, format: T, schema: T, rows: 12, validPairs: 11 },
    summary: { rewardAccuracy: 0.75, meanMargin: 0.42, rankingAccuracy: 0.64, referenceRankingAccuracy: 0.58, alignmentGapPP: 6, displacementRate: 0.31, suspicious: 3, confidentLearning: T },
    marginHistogram: { edges: [-3, -2, -1, 0, 1, 2, 3], counts: [1, 2, 3, 5, 8, 4] },
    factors: [
      { name: T, description: T, labelTau: 0.1, modelTau: 0.15, labelShare: 0.2, modelShare: 0.3 },
      { name: `length ${T}`, description: T, labelTau: 0.05, modelTau: 0.6 },
    ],
    trajectories: { checkpoints: [T, `${T} 2`, 'final'], meanMargin: [0.05, 0.2, 0.42], displaced: [0.1, 0.25, 0.31] },
    suspicious: [pair(0, 4), pair(1, 9), pair(2, null)],
  };
}

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
let browser: Browser;
let dir: string;

before(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, headless: true });
  dir = mkdtempSync(join(tmpdir(), 'preflens-report-'));
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('an injection-laden report renders as text, runs nothing and fetches nothing', async () => {
  const data = evilReport();
  const file = join(dir, 'report.html');
  writeFileSync(file, renderHtmlReport(data, readFileSync('media/preflens.css', 'utf8')));
  const url = pathToFileURL(file).href;

  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const dialogs: string[] = [];
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => pageErrors.push(e.message));

  await page.goto(url, { waitUntil: 'load' });
  await page.locator('#pl-suspicious-list > li').first().waitFor({ timeout: 10_000 });
  await page.waitForTimeout(300);

  assert.deepEqual(dialogs, []);
  assert.deepEqual(requests, []);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(consoleErrors, [], 'no CSP violation: the hashed style and script are allowed');
  assert.equal(await page.evaluate('window.__pwned'), undefined);

  // Every section rendered, with the expected number of items.
  assert.equal(await page.locator('#pl-suspicious-list > li').count(), 3);
  assert.equal(await page.locator('#pl-summary .pl-card').count(), 7);
  assert.equal(await page.locator('#pl-histogram svg rect').count(), 6);
  assert.equal(await page.locator('#pl-factors tbody tr').count(), 2);
  assert.equal(await page.locator('#pl-trajectories tbody tr').count(), 3);
  assert.equal(await page.locator('#pl-trajectories svg circle').count(), 3);
  // Sorted by disagreement: the length factor (|Δτ| 0.55) comes first.
  assert.match((await page.locator('#pl-factors tbody tr').first().textContent()) ?? '', /^length /);

  // The payloads are literal text, unchanged.
  assert.equal(await page.locator('h1.pl-title').textContent(), T);
  assert.equal(await page.title(), T);
  assert.equal(await page.locator('#pl-suspicious-list > li').first().locator('pre.pl-text').first().textContent(), T);
  const visible = await page.locator('body').innerText();
  for (const payload of PAYLOADS.slice(0, 6)) assert.ok(visible.includes(payload), `visible text shows ${payload}`);
  assert.equal(await page.locator('text=</script><script>window.__pwned=1</script>').first().isVisible(), true);
  // No element was created from the payloads.
  assert.equal(await page.locator('img, style:not(head style), iframe, object, embed').count(), 0);
  assert.equal(await page.locator('svg[onload], [onerror], [onload]').count(), 0);
  assert.equal(await page.locator('script').count(), 2);

  // The body is visible and styled (the injected `body{display:none}` did nothing).
  assert.equal(await page.locator('body').isVisible(), true);
  assert.notEqual(await page.evaluate('getComputedStyle(document.body).display'), 'none');
  assert.equal(await page.evaluate("getComputedStyle(document.querySelector('.pl-card')).borderTopStyle"), 'solid');

  // Row links: only vscode://file hrefs built by the report, and only for rows with a line.
  const hrefs = await page.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
  assert.equal(hrefs.length, 2);
  for (const href of hrefs) {
    assert.match(href, /^vscode:\/\/file\/tmp\/[^<>"\s]*:(4|9)$/);
    assert.doesNotMatch(href, /javascript:/i);
  }
  assert.equal(await page.locator('#pl-suspicious-list > li').nth(2).locator('a').count(), 0);
  assert.match((await page.locator('#pl-suspicious-list > li').nth(2).locator('.pl-location').textContent()) ?? '', /\(pair #2\)$/);

  mkdirSync('test-artifacts/webview', { recursive: true });
  await page.screenshot({ path: 'test-artifacts/webview/report.png', fullPage: true });
  await page.close();
});

test('a relative dataset path gets no link at all', async () => {
  const data = { ...evilReport(), dataset: { ...evilReport().dataset, path: 'javascript:alert(1)' } };
  const file = join(dir, 'relative.html');
  writeFileSync(file, renderHtmlReport(data, ''));
  const page = await browser.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  await page.goto(pathToFileURL(file).href);
  await page.locator('#pl-suspicious-list > li').first().waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('a').count(), 0);
  assert.equal(await page.locator('#pl-suspicious-list .pl-location').first().textContent(), 'javascript:alert(1):4');
  assert.deepEqual(dialogs, []);
  await page.close();
});
