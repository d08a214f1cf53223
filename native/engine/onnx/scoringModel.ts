/**
 * The scoring variant of a model's ONNX graph (see scoringHead.ts), built once per model file
 * and cached on disk keyed by the file's content hash, the surgery version and top-k.
 *
 * Design note: the edited graph is written into the cache folder, not into the user's model
 * folder. Graphs with external-data weights reference their data by relative path, and ONNX
 * Runtime refuses data that resolves outside the graph's folder (symbolic links included), so
 * the cache entry gets *hard* links to the original data files (no copy, same bytes). When a
 * hard link is impossible (cache on another filesystem), the edited graph is written beside the
 * original instead, as `<name>.preflens-scoring.onnx`, and the error says so if that folder is
 * read-only. The content hash of a multi-gigabyte file is itself cached by (path, size, mtime)
 * so reopening is instant.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { link, mkdir, readFile, readdir, realpath, rename, stat, writeFile } from 'node:fs/promises';
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
  if (existsSync(infoPath)) {
    const elsewhere = existsSync(join(dir, 'location.txt')) ? (await readFile(join(dir, 'location.txt'), 'utf8')).trim() : target;
    if (existsSync(elsewhere)) return { path: elsewhere, sourceSha256, info: JSON.parse(await readFile(infoPath, 'utf8')) as ScoringHeadInfo };
  }
  await mkdir(dir, { recursive: true });
  const type = modelProtoType();
  const model = type.decode(await readFile(onnxPath));
  const info = addScoringHead(model, options);
  const bytes = type.encode(model).finish();
  const sourceDir = dirname(resolve(onnxPath));
  const dataFiles = (await readdir(sourceDir)).filter((name) => name !== basename(onnxPath) && /\.onnx_data(_\d+)?$|\.onnx\.data$|\.data$|\.onnx_data\.\d+$/.test(name));
  let home = dir;
  try {
    for (const name of dataFiles) if (!existsSync(join(dir, name))) await link(await realpath(join(sourceDir, name)), join(dir, name));
  } catch (error) {
    // Another filesystem: fall back to the model's own folder, where the data already is.
    home = sourceDir;
    if (!dataFiles.length) throw error;
  }
  const target2 = home === dir ? target : join(sourceDir, basename(onnxPath).replace(/\.onnx$/, '.preflens-scoring.onnx'));
  const temp = `${target2}.${process.pid}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, target2);
  } catch (error) {
    throw new Error(`cannot write the scoring graph for ${onnxPath} (${error instanceof Error ? error.message : String(error)}); its external-data weights need the cache folder on the same filesystem as the model, or a writable model folder`);
  }
  await writeFile(infoPath, JSON.stringify(info));
  if (home !== dir) await writeFile(join(dir, 'location.txt'), target2);
  return { path: target2, sourceSha256, info };
}
