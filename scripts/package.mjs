// `npm run package [-- --target linux-x64]`: a platform-specific VSIX with @vscode/vsce.
//
// The VSIX carries the production bundles (minified, no source maps), media, the manifest,
// README/LICENSE, and onnxruntime-node with only the target platform's binaries: no other
// platforms, no CUDA or TensorRT provider libraries (CUDA is a documented opt-in), no models,
// no tests, no sources. The build fails when a required runtime file is missing from the VSIX or
// a forbidden one is in it; the size is printed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// VS Code target -> onnxruntime-node's bin folder (napi-v6/<platform>/<arch>)
const TARGETS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};

const args = process.argv.slice(2);
const target = args.includes('--target') ? args[args.indexOf('--target') + 1] : 'linux-x64';
if (!TARGETS[target]) {
  console.error(`package: unknown target ${target}; one of ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}
const ortDir = `node_modules/onnxruntime-node/bin/napi-v6/${TARGETS[target]}`;
if (!existsSync(ortDir)) {
  console.error(`package: ${ortDir} is missing: npm ci installs onnxruntime-node with every platform's binary`);
  process.exit(1);
}
const { version, name } = JSON.parse(readFileSync('package.json', 'utf8'));

execFileSync(process.execPath, ['esbuild.mjs', '--production'], { stdio: 'inherit' });

const ignore = [
  '**',
  '!package.json',
  '!README.md',
  '!LICENSE',
  '!CHANGELOG.md',
  '!dist/extension.js',
  '!dist/engine.js',
  '!dist/cli.js',
  '!dist/webview.js',
  '!media/**',
  '!node_modules/onnxruntime-node/package.json',
  '!node_modules/onnxruntime-node/dist/**/*.js',
  `!${ortDir}/**`,
  '!node_modules/onnxruntime-common/package.json',
  '!node_modules/onnxruntime-common/dist/cjs/**/*.js',
  // marks dist/cjs as CommonJS (the package itself is "type": "module"): without it require fails
  '!node_modules/onnxruntime-common/dist/cjs/package.json',
  // (vsce lets any "!" pattern win, so exclusions are expressed by including only what ships)
].join('\n');
const ignoreFile = join(mkdtempSync(join(tmpdir(), 'preflens-package-')), '.vscodeignore');
writeFileSync(ignoreFile, `${ignore}\n`);
const out = `${name}-${target}-${version}.vsix`;
execFileSync(join('node_modules', '.bin', process.platform === 'win32' ? 'vsce.cmd' : 'vsce'), ['package', '--target', target, '--ignoreFile', ignoreFile, '--out', out, '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links'], { stdio: 'inherit' });

const listing = execFileSync('unzip', ['-Z1', out], { encoding: 'utf8' }).split('\n').filter(Boolean);
const required = ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/engine.js', 'extension/dist/webview.js', 'extension/dist/cli.js', 'extension/media/preflens.css', `extension/${ortDir}/onnxruntime_binding.node`, 'extension/node_modules/onnxruntime-node/dist/index.js', 'extension/node_modules/onnxruntime-common/dist/cjs/index.js', 'extension/node_modules/onnxruntime-common/dist/cjs/package.json'];
const missing = required.filter((f) => !listing.includes(f));
const forbidden = listing.filter((f) => /\.map$|providers_cuda|providers_tensorrt|\/test\/|\/examples\/|\.ts$|\.onnx$/.test(f) || (/onnxruntime-node\/bin\//.test(f) && !f.includes(ortDir)));
if (!listing.some((f) => f.startsWith(`extension/${ortDir}/libonnxruntime`) || f.startsWith(`extension/${ortDir}/onnxruntime.dll`))) missing.push(`${ortDir}/libonnxruntime*`);
if (missing.length || forbidden.length) {
  if (missing.length) console.error(`package: required runtime files missing from ${out}:\n  ${missing.join('\n  ')}`);
  if (forbidden.length) console.error(`package: files that must not ship are in ${out}:\n  ${forbidden.slice(0, 20).join('\n  ')}`);
  process.exit(1);
}
// Smoke test where the target is this machine: the unpacked VSIX loads onnxruntime.
if (target === `${process.platform}-${process.arch}`) {
  const unpacked = mkdtempSync(join(tmpdir(), 'preflens-vsix-check-'));
  execFileSync('unzip', ['-q', out, '-d', unpacked]);
  const probe = "const o = require('./node_modules/onnxruntime-node'); if (!o.listSupportedBackends().some((b) => b.name === 'cpu')) process.exit(3);";
  try {
    execFileSync(process.execPath, ['-e', probe], { cwd: join(unpacked, 'extension'), stdio: 'pipe' });
  } catch (error) {
    console.error(`package: onnxruntime-node does not load from the unpacked ${out}:\n${String(error.stderr ?? error)}`);
    process.exit(1);
  }
}
const mb = statSync(out).size / 2 ** 20;
console.log(`package: ${out}: ${mb.toFixed(1)} MiB, ${listing.length} files, target ${target}`);
