// Builds the three PrefLens bundles (plus the CLI):
//   dist/extension.js  extension host (node, cjs; `vscode` and onnxruntime-node external)
//   dist/engine.js     engine child process (node, cjs; onnxruntime-node external)
//   dist/cli.js        `preflens` command line (node, cjs; onnxruntime-node external)
//   dist/webview.js    panel UI (browser, esm; no Node modules can be resolved)
// Usage: node esbuild.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

const common = {
  bundle: true,
  logLevel: 'info',
  sourcemap: production ? false : 'linked',
  minify: production,
  legalComments: production ? 'none' : 'inline',
  define: { PREFLENS_VERSION: JSON.stringify(version) },
};

const node = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'onnxruntime-node'],
};

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  { ...node, entryPoints: { extension: 'extension/extension.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { engine: 'native/engine/engineMain.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { cli: 'native/cli.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  {
    ...common,
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'esm',
    target: ['chrome120'],
  },
];

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
