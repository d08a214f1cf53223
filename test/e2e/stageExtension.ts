/**
 * Stages the built extension as an unpacked folder for code-server: the manifest, `dist/`,
 * `media/` and a link to `node_modules` (for onnxruntime-node), without copying the repository.
 */
import { cpSync, mkdtempSync, symlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export function stageExtension(repoRoot = resolve('.')): string {
  if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) {
    throw new Error('dist/extension.js is missing: run `npm run build` first');
  }
  const dir = mkdtempSync(join(tmpdir(), 'preflens-ext-'));
  for (const name of ['package.json', 'README.md', 'LICENSE']) {
    if (existsSync(join(repoRoot, name))) cpSync(join(repoRoot, name), join(dir, name));
  }
  cpSync(join(repoRoot, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(repoRoot, 'media'), join(dir, 'media'), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}
