/**
 * `preflens score DATA --policy DIR --ref DIR [--beta 0.1] [--out FILE.jsonl] [--tokens]
 *   [--device auto|cpu|cuda] [--max-length N] [--token-budget N] [--threads N]`
 *
 * One JSON record per input pair, in input order (the contract in ARCHITECTURE.md), to --out or
 * stdout; run metadata to FILE.meta.json. Progress goes to stderr at most once a second; Ctrl-C
 * stops after the batch in flight and leaves no partial output file.
 */
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AtomicFileWriter, writeFileAtomic } from '../data/atomicFile';
import { Dataset } from '../data/dataset';
import { ModelRunner } from '../engine/modelRunner';
import { CONVENTION, scorePairs } from '../engine/scorePairs';
import { loadModelTokenizer } from '../engine/tokenize/modelTokenizer';
import type { DeviceSetting } from '../engine/device';
import { CliUsageError, type ParsedArgs } from './args';
import { cacheDirFrom, mappingFrom } from './common';

export const SCORE_OPTIONS = ['policy', 'ref', 'beta', 'out', 'device', 'max-length', 'token-budget', 'threads', 'prompt-sharing'] as const;
export const SCORE_FLAGS = ['tokens'] as const;
const PAGE = 256;

function numberOption(args: ParsedArgs, name: string, fallback: number, check: (n: number) => boolean): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) throw new CliUsageError(`--${name} ${JSON.stringify(raw)} is not valid`);
  return value;
}

export async function runScore(args: ParsedArgs, version: string): Promise<number> {
  const [data, ...extra] = args.positionals;
  if (!data || extra.length > 0) throw new CliUsageError('score takes exactly one DATA path');
  const policyDir = args.options.get('policy');
  const refDir = args.options.get('ref');
  if (!policyDir || !refDir) throw new CliUsageError('score needs --policy DIR and --ref DIR (Hugging Face ONNX export folders)');
  const device = (args.options.get('device') ?? 'auto') as DeviceSetting;
  if (!['auto', 'cpu', 'cuda'].includes(device)) throw new CliUsageError('--device is auto, cpu or cuda');
  const beta = numberOption(args, 'beta', 0.1, (n) => n > 0);
  const maxLength = numberOption(args, 'max-length', 1024, (n) => Number.isInteger(n) && n > 1);
  const tokenBudget = numberOption(args, 'token-budget', 4096, (n) => Number.isInteger(n) && n >= 16);
  const threads = args.options.has('threads') ? numberOption(args, 'threads', 1, (n) => Number.isInteger(n) && n >= 1) : undefined;
  const promptSharing = (args.options.get('prompt-sharing') ?? 'auto') as 'auto' | 'off' | 'always';
  if (!['auto', 'off', 'always'].includes(promptSharing)) throw new CliUsageError('--prompt-sharing is auto, off or always');
  const out = args.options.get('out');
  const cacheDir = cacheDirFrom(args);
  const started = Date.now();

  const controller = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\npreflens: stopping after the current batch…\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);

  const [policyTok, refTok] = await Promise.all([loadModelTokenizer(policyDir), loadModelTokenizer(refDir)]);
  if (policyTok.hash !== refTok.hash) {
    throw new Error(`the policy (${policyDir}) and reference (${refDir}) tokenizers differ; DPO rewards compare the same token sequences, so both models must share one tokenizer`);
  }
  const policy = await ModelRunner.open(policyDir, { cacheDir, device, threads });
  const reference = await ModelRunner.open(refDir, { cacheDir, device, threads });
  process.stderr.write(`preflens: policy on ${policy.device} (${policy.deviceReason}); reference on ${reference.device}\n`);
  const dataset = await Dataset.open(data, { cacheDir, mapping: mappingFrom(args) });
  const writer = out ? await AtomicFileWriter.create(out) : undefined;
  const counts = { ok: 0, invalid: 0 };
  let lastProgress = 0;
  try {
    if (!dataset.schema) throw new Error(`${data}: ${dataset.schemaProblem}`);
    for (let start = 0; start < dataset.rowCount; start += PAGE) {
      controller.signal.throwIfAborted();
      const page = await dataset.readPairs(start, Math.min(start + PAGE, dataset.rowCount));
      const records = await scorePairs(page, { tokenizer: policyTok, policy, reference }, { beta, maxLength, tokens: args.flags.has('tokens'), tokenBudget, promptSharing, signal: controller.signal });
      const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
      for (const r of records) counts[r.status]++;
      if (writer) await writer.write(text);
      else process.stdout.write(text);
      const now = Date.now();
      if (now - lastProgress >= 1000 || start + PAGE >= dataset.rowCount) {
        lastProgress = now;
        const done = Math.min(start + PAGE, dataset.rowCount);
        process.stderr.write(`preflens: scored ${done}/${dataset.rowCount} pairs (${(done / ((now - started) / 1000)).toFixed(1)} pairs/s)\n`);
      }
    }
    if (writer && out) {
      await writer.commit();
      const meta = {
        preflens: version,
        kind: 'score-meta',
        createdAt: new Date().toISOString(),
        dataset: { path: resolve(data), format: dataset.source.format, schema: dataset.schema.kind, rows: dataset.rowCount },
        convention: CONVENTION,
        beta,
        max_length: maxLength,
        models: Object.fromEntries(
          ([['policy', policy], ['reference', reference]] as const).map(([name, runner]) => [
            name,
            { path: runner.folder.dir, onnx: runner.folder.onnxPath, onnx_sha256: runner.scoring.sourceSha256, tokenizer_sha256: policyTok.hash, device: runner.device, forward_passes: runner.forwardCount },
          ]),
        ),
        versions: { preflens: version, onnxruntime: (ort.env as { versions?: Record<string, string> }).versions?.node ?? 'unknown', node: process.version },
        counts,
        timings: { total_ms: Date.now() - started },
      };
      await writeFileAtomic(`${out}.meta.json`, `${JSON.stringify(meta, null, 2)}\n`);
      process.stderr.write(`preflens: wrote ${out} (${counts.ok} scored, ${counts.invalid} invalid) and ${out}.meta.json\n`);
    }
    return 0;
  } catch (error) {
    await writer?.abort();
    if (controller.signal.aborted) {
      process.stderr.write('preflens: stopped; no output file was written\n');
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    await dataset.close();
    await Promise.all([policy.close(), reference.close()]);
  }
}
