/**
 * A scoring job over a whole dataset, with open models kept between jobs and a disk cache of
 * per-model results: the same code serves the engine child process and the CLI.
 *
 * Design note
 * - Models, tokenizers and the cache stay open across jobs, so re-scoring a scored dataset is
 *   a cache read: zero model calls.
 * - Cache namespaces are per model: sha256 of (ONNX file hash, tokenizer hash, tokenization
 *   convention, max length, top-k, scoring-head version); keys are pair ids. Changing the
 *   policy changes only the policy namespace, so only policy sides are recomputed.
 * - Pages of pairs are scored in order; results go to `onRecords` page by page; the signal is
 *   checked between batches, so a cancel stops within one batch and everything finished before
 *   it is already in the cache (flushed after every page).
 */
import { createHash } from 'node:crypto';
import { Dataset } from '../data/dataset';
import type { ColumnMapping } from '../data/schema';
import { BlobCache } from './blobCache';
import type { DeviceSetting } from './device';
import { ModelRunner } from './modelRunner';
import { explainPair, type Side, type SideMemo } from './explainPair';
import type { ExplainParams } from '../protocol/engineProtocol';
import type { PairExplanation } from '../protocol/explainProtocol';
import { SCORING_HEAD_VERSION } from './onnx/scoringHead';
import { CONVENTION, scorePairs, type ScoreRecord, type ScoreStats } from './scorePairs';
import { loadModelTokenizer, type ModelTokenizer } from './tokenize/modelTokenizer';

export interface ScoreJobParams {
  dataset: string;
  mapping?: ColumnMapping;
  policy: string;
  reference: string;
  beta: number;
  maxLength: number;
  device: DeviceSetting;
  tokenBudget: number;
  promptSharing?: 'auto' | 'off' | 'always';
  threads?: number;
  tokens?: boolean;
  cacheDir: string;
  cacheMaxBytes?: number;
  /** Score only rows [start, end) (CLI shards; default all). */
  start?: number;
  end?: number;
}

export interface ModelSummary {
  path: string;
  onnx: string;
  onnx_sha256: string;
  tokenizer_sha256: string;
  device: string;
  device_reason: string;
}

export interface ScoreJobResult {
  total: number;
  ok: number;
  invalid: number;
  stats: ScoreStats;
  /** Forward passes this job ran, per model. */
  modelCalls: { policy: number; reference: number };
  models: { policy: ModelSummary; reference: ModelSummary };
  schema: string | null;
  format: string;
  durationMs: number;
}

export interface JobHooks {
  signal?: AbortSignal;
  onRecords?: (records: ScoreRecord[], done: number, total: number) => void | Promise<void>;
  onLog?: (line: string) => void;
}

const PAGE = 128;

export class ScoringEngine {
  private readonly runners = new Map<string, Promise<ModelRunner>>();
  private readonly tokenizers = new Map<string, Promise<ModelTokenizer>>();
  private readonly caches = new Map<string, Promise<BlobCache>>();
  private readonly explainMemo = new Map<string, Map<Side, SideMemo>>();

  private runner(dir: string, params: ScoreJobParams): Promise<ModelRunner> {
    const key = `${dir}\0${params.device}\0${params.threads ?? ''}\0${params.cacheDir}`;
    let runner = this.runners.get(key);
    if (!runner) {
      runner = ModelRunner.open(dir, { cacheDir: params.cacheDir, device: params.device, threads: params.threads });
      runner.catch(() => this.runners.delete(key));
      this.runners.set(key, runner);
    }
    return runner;
  }

  private tokenizer(dir: string): Promise<ModelTokenizer> {
    let tokenizer = this.tokenizers.get(dir);
    if (!tokenizer) {
      tokenizer = loadModelTokenizer(dir);
      tokenizer.catch(() => this.tokenizers.delete(dir));
      this.tokenizers.set(dir, tokenizer);
    }
    return tokenizer;
  }

  cache(dir: string, maxBytes?: number): Promise<BlobCache> {
    let cache = this.caches.get(dir);
    if (!cache) {
      cache = BlobCache.open(`${dir}/scores`, { maxBytes });
      this.caches.set(dir, cache);
    }
    return cache;
  }

  async run(params: ScoreJobParams, hooks: JobHooks = {}): Promise<ScoreJobResult> {
    const started = Date.now();
    const [policyTok, refTok] = await Promise.all([this.tokenizer(params.policy), this.tokenizer(params.reference)]);
    if (policyTok.hash !== refTok.hash) {
      throw new Error(`the policy (${params.policy}) and reference (${params.reference}) tokenizers differ; DPO rewards compare the same token sequences, so both models must share one tokenizer`);
    }
    const [policy, reference] = [await this.runner(params.policy, params), await this.runner(params.reference, params)];
    hooks.onLog?.(`policy on ${policy.device}: ${policy.deviceReason}`);
    const calls = { policy: policy.forwardCount, reference: reference.forwardCount };
    const store = await this.cache(params.cacheDir, params.cacheMaxBytes);
    const namespace = (runner: ModelRunner): string =>
      createHash('sha256').update([runner.scoring.sourceSha256, policyTok.hash, CONVENTION, params.maxLength, runner.topK, SCORING_HEAD_VERSION].join('\0')).digest('hex').slice(0, 32);
    const dataset = await Dataset.open(params.dataset, { cacheDir: params.cacheDir, mapping: params.mapping, signal: hooks.signal });
    const stats: ScoreStats = { computed: { policy: 0, reference: 0 }, cached: { policy: 0, reference: 0 } };
    const counts = { ok: 0, invalid: 0 };
    try {
      if (!dataset.schema) throw new Error(`${params.dataset}: ${dataset.schemaProblem}`);
      const first = Math.max(0, params.start ?? 0);
      const last = Math.min(dataset.rowCount, params.end ?? dataset.rowCount);
      for (let start = first; start < last; start += PAGE) {
        hooks.signal?.throwIfAborted();
        const page = await dataset.readPairs(start, Math.min(start + PAGE, last), hooks.signal);
        const records = await scorePairs(
          page,
          { tokenizer: policyTok, policy, reference, cache: { store, namespaces: { policy: namespace(policy), reference: namespace(reference) } } },
          { beta: params.beta, maxLength: params.maxLength, tokens: params.tokens, tokenBudget: params.tokenBudget, promptSharing: params.promptSharing, signal: hooks.signal },
          stats,
        );
        await store.flush();
        for (const r of records) counts[r.status]++;
        await hooks.onRecords?.(records, Math.min(start + PAGE, last) - first, last - first);
      }
      const summary = (runner: ModelRunner): ModelSummary => ({
        path: runner.folder.dir,
        onnx: runner.folder.onnxPath,
        onnx_sha256: runner.scoring.sourceSha256,
        tokenizer_sha256: policyTok.hash,
        device: runner.device,
        device_reason: runner.deviceReason,
      });
      return {
        total: last - first,
        ...counts,
        stats,
        modelCalls: { policy: policy.forwardCount - calls.policy, reference: reference.forwardCount - calls.reference },
        models: { policy: summary(policy), reference: summary(reference) },
        schema: dataset.schema.kind,
        format: dataset.source.format,
        durationMs: Date.now() - started,
      };
    } finally {
      await dataset.close();
    }
  }

  /** One pair token by token (pair detail, counterfactual edits); models stay open between calls. */
  async explain(params: ExplainParams, signal?: AbortSignal): Promise<PairExplanation> {
    const job = { ...params, tokenBudget: 4096 } as ScoreJobParams;
    const [policyTok, refTok] = await Promise.all([this.tokenizer(params.policy), this.tokenizer(params.reference)]);
    if (policyTok.hash !== refTok.hash) throw new Error(`the policy (${params.policy}) and reference (${params.reference}) tokenizers differ`);
    const [policy, reference] = [await this.runner(params.policy, job), await this.runner(params.reference, job)];
    const dataset = await Dataset.open(params.dataset, { cacheDir: params.cacheDir, mapping: params.mapping, signal });
    try {
      if (params.index >= dataset.rowCount) throw new Error(`${params.dataset} has ${dataset.rowCount} rows; there is no row ${params.index}`);
      const [row] = await dataset.readPairs(params.index, params.index + 1, signal);
      if (!row?.ok) throw new Error(row ? row.issue.message : `row ${params.index} could not be read`);
      // The last few pairs explained keep their per-side results: a counterfactual edit then
      // recomputes only from the first changed token (KV cache) or only the edited side.
      const key = [params.dataset, params.index, params.policy, params.reference, params.maxLength].join('\0');
      const memo = this.explainMemo.get(key) ?? new Map<Side, SideMemo>();
      this.explainMemo.delete(key);
      this.explainMemo.set(key, memo);
      while (this.explainMemo.size > 8) this.explainMemo.delete(this.explainMemo.keys().next().value!);
      return await explainPair(row.pair, { tokenizer: policyTok, policy, reference }, { beta: params.beta, maxLength: params.maxLength, edits: params.edits, sides: params.sides, signal, memo });
    } finally {
      await dataset.close();
    }
  }

  async clearCache(cacheDir: string): Promise<void> {
    await (await this.cache(cacheDir)).clear();
  }

  async close(): Promise<void> {
    for (const runner of this.runners.values()) await runner.then((r) => r.close(), () => undefined);
    for (const cache of this.caches.values()) await cache.then((c) => c.close(), () => undefined);
    this.runners.clear();
    this.caches.clear();
  }
}
