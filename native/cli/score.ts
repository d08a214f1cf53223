/**
 * `preflens score DATA --policy DIR --ref DIR [--beta 0.1] [--out FILE.jsonl] [--tokens]
 *   [--device auto|cpu|cuda] [--max-length N] [--token-budget N] [--threads N]`
 *
 * One JSON record per input pair, in input order (the contract in ARCHITECTURE.md), to --out or
 * stdout; run metadata to FILE.meta.json. Progress goes to stderr at most once a second (JSON
 * lines with --progress-json, for schedulers); Ctrl-C stops after the batch in flight and leaves
 * no partial output file. Results are cached per model in the cache folder, so a rerun after an
 * interruption or with one model changed computes only what is missing.
 */
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AtomicFileWriter, writeFileAtomic } from '../data/atomicFile';
import type { DeviceSetting } from '../engine/device';
import { CONVENTION } from '../engine/scorePairs';
import { ScoringEngine, type ScoreJobParams } from '../engine/scoringEngine';
import type { ScoreRecord } from '../engine/scorePairs';
import { analyzeScores, mergeMetrics, summaryOf } from '../engine/scoreAnalysis';
import { CliUsageError, type ParsedArgs } from './args';
import { cacheDirFrom, mappingFrom } from './common';
import { shardRange } from './shards';
import { Dataset } from '../data/dataset';

export const SCORE_OPTIONS = ['policy', 'ref', 'beta', 'out', 'device', 'max-length', 'token-budget', 'threads', 'prompt-sharing', 'cache-max-mb', 'checkpoints', 'out-of-sample', 'shard'] as const;
export const SCORE_FLAGS = ['tokens', 'progress-json', 'no-analysis'] as const;

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
  const cacheMaxBytes = args.options.has('cache-max-mb') ? numberOption(args, 'cache-max-mb', 2048, (n) => n > 0) * 2 ** 20 : undefined;
  const started = Date.now();

  const controller = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\npreflens: stopping after the current batch…\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);

  const engine = new ScoringEngine();
  const shardSpec = args.options.get('shard');
  let shard: ReturnType<typeof shardRange> | undefined;
  let rows = 0;
  if (shardSpec) {
    const dataset = await Dataset.open(data, { cacheDir, mapping: mappingFrom(args) });
    rows = dataset.rowCount;
    await dataset.close();
    shard = shardRange(shardSpec, rows);
    if (!out) throw new CliUsageError('--shard needs --out FILE (shards are merged with preflens merge)');
  }
  const writer = out ? await AtomicFileWriter.create(out) : undefined;
  // With --out, records are kept to add the dataset-level analysis (metrics need every pair);
  // a shard has only some pairs, so the analysis is left to the merged file (preflens report).
  const analyse = out !== undefined && !args.flags.has('no-analysis') && !shard;
  const kept: ScoreRecord[] = [];
  let lastProgress = 0;
  const params: ScoreJobParams = { dataset: data, mapping: mappingFrom(args), policy: policyDir, reference: refDir, beta, maxLength, device, tokenBudget, promptSharing, threads, tokens: args.flags.has('tokens'), cacheDir, cacheMaxBytes, start: shard?.start, end: shard?.end };
  try {
    const result = await engine.run(
      params,
      {
        signal: controller.signal,
        onLog: (line) => process.stderr.write(`preflens: ${line}\n`),
        onRecords: async (records, done, total) => {
          if (analyse) kept.push(...records);
          else {
            const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
            if (writer) await writer.write(text);
            else process.stdout.write(text);
          }
          const now = Date.now();
          if (now - lastProgress >= 1000 || done === total) {
            lastProgress = now;
            if (args.flags.has('progress-json')) process.stderr.write(`${JSON.stringify({ event: 'progress', done, total, elapsed_ms: now - started })}\n`);
            else process.stderr.write(`preflens: scored ${done}/${total} pairs (${(done / Math.max(0.001, (now - started) / 1000)).toFixed(1)} pairs/s)\n`);
          }
        },
      },
    );
    let analysis: Record<string, unknown> | undefined;
    if (analyse && writer && out) {
      const checkpoints = (args.options.get('checkpoints') ?? '').split(',').map((d) => d.trim()).filter(Boolean);
      const result2 = await analyzeScores(engine, { records: kept, params, mapping: mappingFrom(args), checkpoints, outOfSample: args.options.get('out-of-sample') }, (line) => process.stderr.write(`preflens: ${line}\n`));
      await writer.write(mergeMetrics(kept, result2).map((r) => JSON.stringify(r)).join('\n') + '\n');
      const review = result2.reviewOrder.map((k) => {
        const m = result2.metrics[k]!;
        return JSON.stringify({ rank: m.review_rank, index: m.index, id: m.id, review_score: m.review_score, margin: m.margin, suspicions: m.suspicions });
      });
      await writeFileAtomic(`${out}.review.jsonl`, review.length ? `${review.join('\n')}\n` : '');
      analysis = summaryOf(result2);
      process.stderr.write(`preflens: reward accuracy ${(100 * result2.rewardAccuracy).toFixed(1)}%, ${result2.suspicious} pairs with suspicions, review order in ${out}.review.jsonl\n`);
    }
    if (writer && out) {
      await writer.commit();
      const meta = {
        preflens: version,
        kind: 'score-meta',
        createdAt: new Date().toISOString(),
        dataset: { path: resolve(data), format: result.format, schema: result.schema, rows: result.total },
        convention: CONVENTION,
        beta,
        max_length: maxLength,
        models: result.models,
        versions: { preflens: version, onnxruntime: (ort.env as { versions?: Record<string, string> }).versions?.node ?? 'unknown', node: process.version },
        counts: { ok: result.ok, invalid: result.invalid },
        model_calls: result.modelCalls,
        cache: { dir: cacheDir, computed: result.stats.computed, cached: result.stats.cached },
        timings: { total_ms: Date.now() - started },
        analysis,
        shard: shard ? { index: shard.index, count: shard.count, start: shard.start, end: shard.end, rows } : undefined,
      };
      await writeFileAtomic(`${out}.meta.json`, `${JSON.stringify(meta, null, 2)}\n`);
      process.stderr.write(`preflens: wrote ${out} (${result.ok} scored, ${result.invalid} invalid; ${result.stats.cached.policy + result.stats.cached.reference} model sides from the cache) and ${out}.meta.json\n`);
    }
    return 0;
  } catch (error) {
    await writer?.abort();
    if (controller.signal.aborted) {
      process.stderr.write('preflens: stopped; no output file was written (finished pairs are cached: run again to resume)\n');
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    await engine.close();
  }
}
