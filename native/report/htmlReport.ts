/**
 * Renders a ReportData as ONE self-contained HTML file (or as pretty JSON) for
 * `preflens report DATA --scores FILE --out report.html`.
 *
 * Design note
 * - Offline and sealed: no external resource of any kind. The CSP meta is `default-src 'none'`
 *   with `style-src` and `script-src` limited to the SHA-256 hashes of the one inline <style>
 *   and the one inline <script> (hashes, not nonces, so the same data gives the same bytes),
 *   `img-src data:`, `base-uri 'none'`, `form-action 'none'`. No unsafe-inline, no unsafe-eval.
 * - Dataset text is untrusted. The only place it enters the markup is the escaped <title> and
 *   the data block `<script type="application/json" id="report-data">`, where `<`, `>`, `&`,
 *   U+2028 and U+2029 are written as \uXXXX escapes: JSON.parse reads them back unchanged, and
 *   no `</script>`, `<!--` or `<script` can appear in the block. The inline script renders with
 *   createElement/createElementNS/textContent only (no innerHTML or document.write).
 * - Links: a suspicious pair links to its row only through an href this script builds:
 *   `vscode://file/<absolute path, each segment percent-encoded>:<line>`; relative paths and
 *   rows without a line show plain text. Dataset text never becomes an href.
 * - The SVG namespace comes from a hidden static <svg> (its namespaceURI), so the file holds
 *   no http(s) string at all. CSS uses the webview's --vscode-* variables; defaults for them
 *   (light and dark) are defined here so the shared media/preflens.css works outside VS Code.
 */
import { createHash } from 'node:crypto';
import type { ReportData } from './reportData';

/** `<`, `>`, `&`, U+2028, U+2029 as \u escapes: safe inside a <script> element, still JSON. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function reportCsp(styleText: string, scriptText: string): string {
  return `default-src 'none'; style-src ${sha256(styleText)}; script-src ${sha256(scriptText)}; img-src data:; base-uri 'none'; form-action 'none'`;
}

/** Defaults for the webview's theme variables, then report-only rules. */
export const REPORT_CSS = `
:root {
  --vscode-foreground: #1f1f1f; --vscode-editor-background: #ffffff; --vscode-descriptionForeground: #616161;
  --vscode-font-family: system-ui, -apple-system, "Segoe UI", sans-serif; --vscode-font-size: 14px;
  --vscode-editor-font-family: ui-monospace, Menlo, Consolas, monospace; --vscode-panel-border: #d4d4d4;
  --vscode-textLink-foreground: #005fb8; --vscode-errorForeground: #c72e0f; --vscode-focusBorder: #005fb8;
  --vscode-editorWarning-foreground: #9a6700; --vscode-editorWidget-background: #f5f5f5;
  --vscode-charts-blue: #1a85ff; --vscode-charts-red: #d6336c;
}
@media (prefers-color-scheme: dark) {
  :root {
    --vscode-foreground: #cccccc; --vscode-editor-background: #1f1f1f; --vscode-descriptionForeground: #9d9d9d;
    --vscode-panel-border: #3c3c3c; --vscode-textLink-foreground: #4daafc; --vscode-errorForeground: #f48771;
    --vscode-focusBorder: #0078d4; --vscode-editorWarning-foreground: #cca700; --vscode-editorWidget-background: #2a2a2a;
    --vscode-charts-blue: #3794ff; --vscode-charts-red: #f14c4c;
  }
}
`;

const REPORT_RULES = `
.pl-report { max-width: 1100px; margin: 0 auto; }
.pl-hidden { display: none; }
.pl-section { margin-top: 20px; }
.pl-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 8px; }
.pl-card { padding: 10px 12px; border: 1px solid var(--vscode-panel-border, #d4d4d4); border-radius: 4px;
  background: var(--vscode-editorWidget-background, transparent); }
.pl-card-value { font-size: 1.5em; font-weight: 600; }
.pl-chart { width: 100%; max-width: 720px; height: auto; display: block; }
.pl-bar { fill: var(--vscode-charts-blue, #1a85ff); }
.pl-bar-neg { fill: var(--vscode-charts-red, #d6336c); }
.pl-axis { stroke: var(--vscode-descriptionForeground, #888); stroke-width: 1; fill: none; }
.pl-line { stroke: var(--vscode-charts-blue, #1a85ff); stroke-width: 2; fill: none; }
.pl-dot { fill: var(--vscode-charts-blue, #1a85ff); }
.pl-tick { fill: var(--vscode-descriptionForeground, #888); font-size: 11px; font-family: var(--vscode-font-family, sans-serif); }
.pl-table { border-collapse: collapse; width: 100%; }
.pl-table th, .pl-table td { text-align: left; padding: 4px 8px; vertical-align: top; overflow-wrap: anywhere;
  border-bottom: 1px solid var(--vscode-panel-border, #d4d4d4); }
.pl-table td.pl-num, .pl-table th.pl-num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; overflow-wrap: normal; }
.pl-pairs { padding-left: 1.5em; display: grid; gap: 14px; }
.pl-pair-head > * + * { margin-left: 10px; }
.pl-pair dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 10px; margin: 6px 0 0; }
.pl-pair dt { font-weight: 600; }
.pl-pair dd { margin: 0; }
.pl-text { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 14em; overflow: auto;
  font-family: var(--vscode-editor-font-family, monospace); }
`;

/** Browser-side renderer (plain ES2017, kept as a string: it is not compiled with Node types). */
export const REPORT_SCRIPT = String.raw`(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var root = document.getElementById('report');
  var svgProto = document.getElementById('pl-svg');
  var SVG_NS = svgProto.namespaceURI;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function svgEl(tag, attrs, text) {
    var e = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function newSvg(w, h, label) {
    var svg = svgProto.cloneNode(false);
    svg.removeAttribute('id');
    svg.removeAttribute('aria-hidden');
    svg.setAttribute('class', 'pl-chart');
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
    return svg;
  }
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function num(v) { return isNum(v) ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : 'n/a'; }
  function pct(v) { return isNum(v) ? (v * 100).toFixed(1) + '%' : 'n/a'; }
  function pp(v) { return isNum(v) ? (v > 0 ? '+' : '') + v.toFixed(1) + ' pp' : 'n/a'; }
  function section(title, id) {
    var s = add(root, el('section', 'pl-section'));
    s.id = id;
    add(s, el('h2', 'pl-subtitle', title));
    return s;
  }
  function table(parent, heads, rows, numeric) {
    var t = add(parent, el('table', 'pl-table'));
    var tr = add(add(t, el('thead')), el('tr'));
    heads.forEach(function (h, i) { add(tr, el('th', numeric[i] ? 'pl-num' : '', h)); });
    var body = add(t, el('tbody'));
    rows.forEach(function (row) {
      var r = add(body, el('tr'));
      row.forEach(function (cell, i) {
        var td = add(r, el('td', numeric[i] ? 'pl-num' : ''));
        if (typeof cell === 'string') td.textContent = cell; else td.appendChild(cell);
      });
    });
    return t;
  }
  function lineHref(path, line) {
    if (!(Number.isInteger(line) && line >= 1)) return null;
    var p = String(path).replace(/\\/g, '/');
    if (/^[A-Za-z]:\//.test(p)) p = '/' + p;
    if (p.charAt(0) !== '/') return null;
    var parts = p.split('/').map(function (seg, i) {
      return i === 1 && /^[A-Za-z]:$/.test(seg) ? seg : encodeURIComponent(seg);
    });
    return 'vscode://file' + parts.join('/') + ':' + line;
  }

  var ds = data.dataset;
  var header = add(root, el('header', 'pl-header'));
  add(header, el('h1', 'pl-title', data.title));
  add(header, el('p', 'pl-path', ds.path));
  add(header, el('p', 'pl-schema pl-muted', ds.format + ' \u00b7 ' + ds.schema + ' \u00b7 ' + ds.rows + ' rows \u00b7 ' +
    ds.validPairs + ' valid pairs \u00b7 generated ' + data.generatedAt));

  var s = data.summary;
  var sumSec = section('Summary', 'pl-summary');
  var cards = add(sumSec, el('div', 'pl-cards'));
  [['Reward accuracy', pct(s.rewardAccuracy)], ['Mean margin', num(s.meanMargin)],
    ['Ranking accuracy', pct(s.rankingAccuracy)], ['Reference ranking accuracy', pct(s.referenceRankingAccuracy)],
    ['Alignment gap', pp(s.alignmentGapPP)], ['Displacement rate', pct(s.displacementRate)],
    ['Suspicious pairs', num(s.suspicious)]].forEach(function (c) {
    var card = add(cards, el('div', 'pl-card'));
    add(card, el('div', 'pl-card-value', c[1]));
    add(card, el('div', 'pl-card-label pl-muted', c[0]));
  });
  add(sumSec, el('p', 'pl-note', 'Confident learning: ' + s.confidentLearning));

  var h = data.marginHistogram;
  var histSec = section('Reward margin distribution', 'pl-histogram');
  if (h.counts.length === 0) add(histSec, el('p', 'pl-muted', 'No margins.'));
  else {
    var W = 640, H = 200, L = 44, R = 10, T = 10, B = 26, n = h.counts.length;
    var max = h.counts.reduce(function (m, c) { return Math.max(m, c); }, 1);
    var lo = h.edges[0], hi = h.edges[n], span = (hi - lo) || 1;
    var x = function (v) { return L + (v - lo) / span * (W - L - R); };
    var y = function (c) { return T + (1 - c / max) * (H - T - B); };
    var svg = add(histSec, newSvg(W, H, 'Histogram of reward margins'));
    h.counts.forEach(function (c, i) {
      var a = h.edges[i], b = h.edges[i + 1];
      var bar = add(svg, svgEl('rect', { x: x(a), y: y(c), width: Math.max(0.5, x(b) - x(a) - 1), height: H - B - y(c),
        'class': b <= 0 ? 'pl-bar pl-bar-neg' : 'pl-bar' }));
      add(bar, svgEl('title', {}, '[' + num(a) + ', ' + num(b) + '): ' + c + ' pairs'));
    });
    add(svg, svgEl('path', { d: 'M' + L + ' ' + T + 'V' + (H - B) + 'H' + (W - R), 'class': 'pl-axis' }));
    if (lo < 0 && hi > 0) add(svg, svgEl('path', { d: 'M' + x(0) + ' ' + T + 'V' + (H - B), 'class': 'pl-axis' }));
    [[lo, 'start'], [hi, 'end']].concat(lo < 0 && hi > 0 ? [[0, 'middle']] : []).forEach(function (t) {
      add(svg, svgEl('text', { x: x(t[0]), y: H - 8, 'text-anchor': t[1], 'class': 'pl-tick' }, num(t[0])));
    });
    add(svg, svgEl('text', { x: L - 4, y: T + 10, 'text-anchor': 'end', 'class': 'pl-tick' }, String(max)));
    add(histSec, el('p', 'pl-muted', 'Margin = implicit reward of chosen minus rejected; red bars are pairs the model ranks against the label.'));
  }

  var facSec = section('Factors: labels vs model (sorted by disagreement)', 'pl-factors');
  if (data.factors.length === 0) add(facSec, el('p', 'pl-muted', 'No factors.'));
  else {
    var shares = data.factors.some(function (f) { return isNum(f.labelShare) || isNum(f.modelShare); });
    var facs = data.factors.slice().sort(function (a, b) {
      return Math.abs(b.labelTau - b.modelTau) - Math.abs(a.labelTau - a.modelTau);
    });
    var heads = ['Factor', 'Label \u03c4', 'Model \u03c4', '|\u0394\u03c4|'].concat(shares ? ['Label share', 'Model share'] : []);
    table(facSec, heads, facs.map(function (f) {
      var name = el('div');
      add(name, el('strong', '', f.name));
      if (f.description) add(name, el('div', 'pl-muted', f.description));
      var row = [name, num(f.labelTau), num(f.modelTau), num(Math.abs(f.labelTau - f.modelTau))];
      return shares ? row.concat([pct(f.labelShare), pct(f.modelShare)]) : row;
    }), [false, true, true, true, true, true]);
  }

  var tr = data.trajectories;
  if (tr && tr.checkpoints.length > 0) {
    var trSec = section('Training trajectories', 'pl-trajectories');
    var m = tr.checkpoints.length, TW = 640, TH = 160, TL = 44, TR = 10, TT = 10, TB = 20;
    var mn = Math.min.apply(null, tr.meanMargin.concat([0])), mx = Math.max.apply(null, tr.meanMargin.concat([0]));
    var tx = function (i) { return TL + (m === 1 ? 0.5 : i / (m - 1)) * (TW - TL - TR); };
    var ty = function (v) { return TT + (1 - (v - mn) / ((mx - mn) || 1)) * (TH - TT - TB); };
    var tsvg = add(trSec, newSvg(TW, TH, 'Mean margin per checkpoint'));
    add(tsvg, svgEl('path', { d: 'M' + TL + ' ' + ty(0) + 'H' + (TW - TR), 'class': 'pl-axis' }));
    add(tsvg, svgEl('polyline', { points: tr.meanMargin.map(function (v, i) { return tx(i) + ',' + ty(v); }).join(' '), 'class': 'pl-line' }));
    tr.meanMargin.forEach(function (v, i) {
      var dot = add(tsvg, svgEl('circle', { cx: tx(i), cy: ty(v), r: 3, 'class': 'pl-dot' }));
      add(dot, svgEl('title', {}, tr.checkpoints[i] + ': ' + num(v)));
    });
    add(tsvg, svgEl('text', { x: TL - 4, y: ty(mx) + 4, 'text-anchor': 'end', 'class': 'pl-tick' }, num(mx)));
    add(tsvg, svgEl('text', { x: TL - 4, y: ty(mn) + 4, 'text-anchor': 'end', 'class': 'pl-tick' }, num(mn)));
    table(trSec, ['Checkpoint', 'Mean margin', 'Displaced'], tr.checkpoints.map(function (c, i) {
      return [c, num(tr.meanMargin[i]), num(tr.displaced[i])];
    }), [false, true, true]);
  }

  if (data.profile) {
    var pr = data.profile;
    var prSec = section('What drives the labels and the model', 'pl-profile');
    add(prSec, el('p', 'pl-note', 'Agreement between the label profile and the model profile across factors: Spearman ' + num(pr.spearman) + ', Kendall ' + num(pr.kendall) + '.'));
    var ul = add(prSec, el('ul', 'pl-sentences'));
    pr.sentences.forEach(function (t) { add(ul, el('li', '', t)); });
    [['Labels: Bradley-Terry fit on standardized factor differences (95% CI)', pr.labelFit], ['Model: the same fit on the model\'s preferences', pr.modelFit]].forEach(function (kv) {
      add(prSec, el('h3', '', kv[0]));
      table(prSec, ['Factor', 'Coefficient', 'CI low', 'CI high'], kv[1].map(function (c) {
        return [c.factor, num(c.coefficient), num(c.low), num(c.high)];
      }), [false, true, true, true]);
    });
    add(prSec, el('h3', '', 'Length bias (METRICS 12)'));
    table(prSec, ['Length difference vs', 'Pearson', 'Spearman'], pr.lengthBias.map(function (b) {
      return [b.against, num(b.pearson), num(b.spearman)];
    }), [false, true, true]);
  }
  var susSec = section('Suspicious pairs (' + data.suspicious.length + ')', 'pl-suspicious');
  if (data.suspicious.length === 0) add(susSec, el('p', 'pl-muted', 'No suspicious pairs.'));
  var list = add(susSec, el('ol', 'pl-pairs'));
  list.id = 'pl-suspicious-list';
  data.suspicious.forEach(function (p) {
    var li = add(list, el('li', 'pl-pair'));
    var head = add(li, el('div', 'pl-pair-head'));
    var text = p.line === null ? ds.path + ' (pair #' + p.index + ')' : ds.path + ':' + p.line;
    var href = lineHref(ds.path, p.line);
    var loc = add(head, el(href ? 'a' : 'span', 'pl-location', text));
    if (href) loc.setAttribute('href', href);
    add(head, el('span', 'pl-muted', 'id ' + p.id));
    add(head, el('span', p.margin < 0 ? 'pl-error' : '', 'margin ' + num(p.margin)));
    var reasons = add(li, el('ul', 'pl-evidence'));
    p.reasons.forEach(function (r) {
      var item = add(reasons, el('li', 'pl-issue pl-warning'));
      add(item, el('span', 'pl-reason', r.reason));
      add(item, el('span', 'pl-detail', r.evidence));
    });
    var dl = add(li, el('dl'));
    [['Prompt', p.prompt], ['Chosen', p.chosen], ['Rejected', p.rejected]].forEach(function (kv) {
      add(dl, el('dt', '', kv[0]));
      add(add(dl, el('dd')), el('pre', 'pl-text', kv[1]));
    });
  });
})();
`;

/** One self-contained HTML file; `css` is media/preflens.css's text (report rules are appended). */
export function renderHtmlReport(data: ReportData, css: string): string {
  // `<` is only valid in CSS strings and comments, where the escape `\3c ` means the same: so a
  // stray `</style` (or `<script`, `<!--`) in the given CSS can neither end nor confuse the element.
  const style = `${REPORT_CSS}\n${css.replace(/</g, '\\3c ')}\n${REPORT_RULES}`;
  const csp = reportCsp(style, REPORT_SCRIPT);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(data.title)}</title>`,
    `<style>${style}</style>`,
    '</head>',
    '<body>',
    '<main id="report" class="pl-report"><noscript><p>This report needs JavaScript to display. Its data is in this file as JSON (script id "report-data").</p></noscript></main>',
    '<svg id="pl-svg" class="pl-hidden" aria-hidden="true"></svg>',
    `<script type="application/json" id="report-data">${embedJson(data)}</script>`,
    `<script>${REPORT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The same data as pretty JSON (a trailing newline, UTF-8 text). */
export function renderJsonReport(data: ReportData): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}
