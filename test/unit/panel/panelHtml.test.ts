import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentSecurityPolicy, createNonce, escapeHtml, renderPanelHtml } from '../../../extension/panel/panelHtml';

const input = { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', scriptUri: 'https://x/dist/webview.js', styleUri: 'https://x/media/preflens.css', title: 'PrefLens: a.jsonl' };

test('CSP starts from default-src none and allows no inline or eval code', () => {
  const csp = contentSecurityPolicy(input.cspSource, 'abc');
  assert.match(csp, /^default-src 'none';/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.match(csp, /script-src 'nonce-abc'/);
  assert.match(csp, /connect-src 'none'/);
});

test('nonces are random, long and distinct', () => {
  const nonces = new Set(Array.from({ length: 100 }, createNonce));
  assert.equal(nonces.size, 100);
  for (const nonce of nonces) assert.match(nonce, /^[A-Za-z0-9_-]{24}$/);
});

test('the page carries the nonce on its one script and escapes the title', () => {
  const html = renderPanelHtml({ ...input, title: 'PrefLens: </title><script>alert(1)</script>.jsonl', nonce: 'N0NCE' });
  const scripts = html.match(/<script[^>]*>/g) ?? [];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0]!, /nonce="N0NCE"/);
  assert.match(html, /<title>PrefLens: &lt;\/title&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;.jsonl<\/title>/);
  assert.doesNotMatch(html, /style="/);
});

test('escapeHtml covers every markup character', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
});
