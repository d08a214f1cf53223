// HTML report: the embedded data round-trips, nothing in it can end its <script> element, the
// CSP allows only the hashed inline style and script, and the file names no remote resource.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { embedJson, renderHtmlReport, renderJsonReport, REPORT_SCRIPT } from '../../../native/report/htmlReport';
import { isReportData, reportDataProblems, type ReportData } from '../../../native/report/reportData';

const EVIL = '</script><script>window.__pwned=1</script> <!-- <script ]]> & > \u2028 \u2029 </style> javascript:alert(1)';

function sample(text: string): ReportData {
  return {
    title: `Report ${text}`,
    generatedAt: '2025-01-01T00:00:00Z',
    dataset: { path: `/data/${text}.jsonl`, format: 'jsonl', schema: 'trl', rows: 10, validPairs: 9 },
    summary: { rewardAccuracy: 0.8, meanMargin: 0.41, rankingAccuracy: 0.7, referenceRankingAccuracy: null, alignmentGapPP: 5.5, displacementRate: 0.2, suspicious: 1, confidentLearning: text },
    marginHistogram: { edges: [-1, 0, 1], counts: [2, 7] },
    factors: [{ name: text, description: text, labelTau: 0.3, modelTau: -0.1 }],
    trajectories: { checkpoints: [text, 'step-2'], meanMargin: [0.1, 0.4], displaced: [0.1, 0.2] },
    suspicious: [{ index: 3, line: 4, id: text, margin: -2, prompt: text, chosen: text, rejected: text, reasons: [{ reason: 'policy-prefers-rejected', evidence: text }] }],
  };
}

const css = readFileSync('media/preflens.css', 'utf8');
const dataBlock = (html: string): string => {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'data block present');
  return m[1]!;
};

test('the embedded JSON round-trips exactly, payloads included', () => {
  const data = sample(EVIL);
  const html = renderHtmlReport(data, css);
  assert.deepEqual(JSON.parse(dataBlock(html)), data);
  assert.equal(renderJsonReport(data).endsWith('\n'), true);
  assert.deepEqual(JSON.parse(renderJsonReport(data)), data);
});

test('embedJson leaves no markup character and no line separator', () => {
  const text = embedJson({ a: EVIL });
  assert.doesNotMatch(text, /[<>&\u2028\u2029]/);
  assert.match(text, /\\u003c\/script\\u003e/);
  assert.match(text, /\\u2028/);
  assert.deepEqual(JSON.parse(text), { a: EVIL });
});

test('only the two expected <script> elements exist and nothing breaks out of them', () => {
  const html = renderHtmlReport(sample(EVIL), css);
  const opens = html.match(/<script/gi) ?? [];
  assert.equal(opens.length, 2);
  assert.equal((html.match(/<\/script/gi) ?? []).length, 2);
  assert.equal((html.match(/<style/gi) ?? []).length, 1);
  assert.equal((html.match(/<\/style/gi) ?? []).length, 1);
  assert.doesNotMatch(html, /<!--/);
  assert.doesNotMatch(html, /\]\]>/);
  assert.match(html, /<title>Report &lt;\/script&gt;&lt;script&gt;/);
});

test('the CSP is strict and hashes exactly the inline style and script', () => {
  const html = renderHtmlReport(sample('plain'), css);
  const cspMatch = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(cspMatch);
  const csp = cspMatch[1]!.replace(/&#39;/g, "'");
  assert.match(csp, /^default-src 'none';/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|unsafe-hashes|\*|http|nonce-/);
  assert.match(csp, /img-src data:/);
  const hash = (t: string) => `'sha256-${createHash('sha256').update(t, 'utf8').digest('base64')}'`;
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
  assert.ok(csp.includes(`style-src ${hash(style)};`));
  assert.ok(csp.includes(`script-src ${hash(REPORT_SCRIPT)};`));
  assert.ok(html.includes(`<script>${REPORT_SCRIPT}</script>`));
  assert.ok(style.includes(css.trim().slice(0, 200)), 'the shared CSS is included');
});

test('no http(s) URL, no remote resource, no inline handler or style attribute', () => {
  const html = renderHtmlReport(sample('plain'), css);
  assert.doesNotMatch(html, /https?:/i);
  assert.doesNotMatch(html, /<link|<img|<iframe|@import|url\(|src=/i);
  assert.doesNotMatch(html, /\son[a-z]+=|style="/i);
  assert.doesNotMatch(REPORT_SCRIPT, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  assert.doesNotMatch(REPORT_SCRIPT, /javascript:/);
});

test('a </style> in the given CSS cannot end the style element', () => {
  const html = renderHtmlReport(sample('plain'), `${css}\n/* </style><script>alert(1)</script> */`);
  assert.equal((html.match(/<\/style/gi) ?? []).length, 1);
  assert.equal((html.match(/<script/gi) ?? []).length, 2);
});

test('the guard accepts a report and names what is wrong with others', () => {
  const data = sample('x');
  assert.equal(isReportData(data), true);
  assert.equal(isReportData(JSON.parse(renderJsonReport(data))), true);
  const { trajectories: _t, ...noTrajectories } = data;
  assert.equal(isReportData(noTrajectories), true);
  assert.equal(isReportData(null), false);
  assert.deepEqual(reportDataProblems({ ...data, summary: { ...data.summary, meanMargin: Number.NaN } }), ['summary.meanMargin is missing or has the wrong type']);
  assert.match(reportDataProblems({ ...data, marginHistogram: { edges: [0, 1], counts: [1, 2] } }).join(), /counts.length \+ 1/);
  assert.match(reportDataProblems({ ...data, suspicious: [{ ...data.suspicious[0], line: 0 }] }).join(), /suspicious\[0\]\.line/);
  assert.match(reportDataProblems({ ...data, trajectories: { checkpoints: ['a'], meanMargin: [], displaced: [] } }).join(), /one entry per checkpoint/);
});
