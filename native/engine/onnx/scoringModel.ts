/**
 * The scoring variant of a model's ONNX graph (see scoringHead.ts), built once per model file
 * and cached on disk keyed by the file's content hash, the surgery version and top-k.
 *
 * Design note: the edited graph is written into the cache folder, never into the user's model
 * folder. Graphs with external-data weights reference their data by relative path, so the cache
 * entry gets symbolic links to the original data files under the same names. The content hash
 * of a multi-gigabyte file is itself cached by (path, size, mtime) so reopening is instant.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { modelProtoType } from './onnxSchema';
import { addScoringHead, SCORING_HEAD_VERSION, type ScoringHeadInfo } from './scoringHead';

export interface ScoringModel {
  /** Path of the edited graph to load in ONNX Runtime. */
  path: string;
  /** sha256 of the original ONNX file. */
  sourceSha256: string;
  info: ScoringHeadInfo;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** Content hash of a file, remembered per (path, size, mtime) in the cache folder. */
export async function cachedSha256(cacheDir: string, path: string): Promise<string> {
  const abs = resolve(path);
  const { size, mtimeMs } = await stat(abs);
  const key = createHash('sha256').update(`${abs}\0${size}\0${mtimeMs}`).digest('hex').slice(0, 32);
  const memo = join(cacheDir, 'hashes', key);
  try {
    const value = (await readFile(memo, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(value)) return value;
  } catch {
    // not remembered yet
  }
  const value = await sha256File(abs);
  await mkdir(dirname(memo), { recursive: true });
  await writeFile(memo, value);
  return value;
}

export async function prepareScoringModel(cacheDir: string, onnxPath: string, options: { topK: number }): Promise<ScoringModel> {
  const sourceSha256 = await cachedSha256(cacheDir, onnxPath);
  const dir = join(cacheDir, 'graphs', `${sourceSha256.slice(0, 32)}-v${SCORING_HEAD_VERSION}-k${options.topK}`);
  const target = join(dir, basename(onnxPath));
  const infoPath = join(dir, 'scoring-head.json');
  if (existsSync(target) && existsSync(infoPath)) {
    return { path: target, sourceSha256, info: JSON.parse(await readFile(infoPath, 'utf8')) as ScoringHeadInfo };
  }
  await mkdir(dir, { recursive: true });
  const type = modelProtoType();
  const model = type.decode(await readFile(onnxPath));
  const info = addScoringHead(model, options);
  // External data files beside the original graph are linked under the same relative names.
  const sourceDir = dirname(resolve(onnxPath));
  const graphName = basename(onnxPath);
  for (const name of await readdir(sourceDir)) {
    if (name === graphName || name.endsWith('.onnx') || existsSync(join(dir, name))) continue;
    if (/\.onnx_data(_\d+)?$|\.onnx\.data$|\.data$|\.bin$/.test(name)) await symlink(join(sourceDir, name), join(dir, name));
  }
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, type.encode(model).finish());
  await rename(temp, target);
  await writeFile(infoPath, JSON.stringify(info));
  return { path: target, sourceSha256, info };
}
