// Architecture rules checked on the source tree (the linter enforces them too; this test keeps
// them true even when lint is skipped): native/ never imports vscode; the webview never imports
// Node modules and never assigns HTML from strings.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mjs|js)$/.test(name)) out.push(path);
  }
  return out;
}

const importsOf = (text: string): string[] => [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4] ?? '');

test('native/ never imports vscode', () => {
  for (const file of sources('native')) {
    assert.ok(!importsOf(readFileSync(file, 'utf8')).includes('vscode'), `${file} imports vscode`);
  }
});

test('webview/ imports no Node modules and nothing from extension/', () => {
  const builtins = new Set(['fs', 'path', 'os', 'child_process', 'crypto', 'zlib', 'stream', 'worker_threads', 'net', 'http', 'https', 'util', 'events', 'vscode']);
  for (const file of sources('webview')) {
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      assert.ok(!spec.startsWith('node:') && !builtins.has(spec), `${file} imports ${spec}`);
      assert.ok(!spec.includes('/extension/'), `${file} imports host code ${spec}`);
    }
  }
});

test('webview/ never builds HTML from strings', () => {
  for (const file of sources('webview')) {
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\.html\(/, file);
  }
});
