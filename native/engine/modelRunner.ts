/**
 * Runs a model's scoring graph over tokenized sequences and returns per-token statistics.
 *
 * Design note
 * - Sequences are right-padded in batches bounded by a token budget (B x T) and a logits budget
 *   (B x N x V, the vocabulary-sized temporaries inside the head), longest first so padding
 *   stays small. Position ids come from the attention mask (0..L-1 on real tokens, 1 on pads,
 *   as Hugging Face does), so a sequence scores the same alone or in any batch.
 * - Scored positions follow TRL's shift (METRICS 1.2): the logits at position j score token
 *   j+1, for every completion token; a completion token at position 0 (empty prompt, no BOS)
 *   has no predecessor and is not scored, as in TRL.
 * - A sequence whose scored positions alone exceed the logits budget (long completions, large
 *   vocabularies) is scored in slices of positions, one forward per slice, so the
 *   vocabulary-sized temporaries never exceed the budget; the body is recomputed per slice
 *   (a KV-cache continuation would avoid that; see docs/architecture.md).
 * - Inputs are read from the session, never hard-coded: zero-length `past_key_values.*`,
 *   `position_ids`, the legacy `use_cache_branch` and transformers.js `num_logits_to_keep`
 *   are fed only when the graph has them.
 */
import * as ort from 'onnxruntime-node';
import { openSession, type DeviceSetting } from './device';
import { locateModel, type ModelFolder } from './modelFolder';
import { prepareScoringModel, type ScoringModel } from './onnx/scoringModel';

export interface SequenceInput {
  ids: readonly number[];
  /** Index of the first completion token (TRL: len(prompt_ids)). */
  completionStart: number;
}

export interface SequenceScores {
  /** Number of scored completion tokens. */
  scored: number;
  tokenLogps: Float32Array;
  entropy: Float32Array;
  rank: Float32Array;
  topkIds: Int32Array;
  topkLogps: Float32Array;
  /** Sum of the final hidden states at the scored positions (CHES), float64. */
  hiddenSum?: Float64Array;
}

export interface RunOptions {
  wantHidden?: boolean;
  /** Max B x T tokens per forward (default 4096). */
  tokenBudget?: number;
  /** Max B x N x V logits elements per forward (default 64 M: 256 MB per fp32 temporary). */
  logitsBudget?: number;
  signal?: AbortSignal;
  onBatch?: (done: number, total: number) => void;
}

export interface OpenRunnerOptions {
  cacheDir: string;
  device?: DeviceSetting;
  topK?: number;
  threads?: number;
}

export interface InputMeta {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: (number | string)[];
}

export class ModelRunner {
  /** Forward passes run so far (tests count model calls). */
  forwardCount = 0;

  private constructor(
    readonly folder: ModelFolder,
    readonly scoring: ScoringModel,
    private readonly session: ort.InferenceSession,
    readonly device: 'cpu' | 'cuda',
    readonly deviceReason: string,
    readonly vocabSize: number,
  ) {}

  static async open(modelDir: string, options: OpenRunnerOptions): Promise<ModelRunner> {
    const folder = await locateModel(modelDir);
    const scoring = await prepareScoringModel(options.cacheDir, folder.onnxPath, { topK: options.topK ?? 5 });
    const opened = await openSession(scoring.path, options.device ?? 'auto', options.threads);
    const vocab = Number(folder.config.vocab_size ?? 0) || 50_000;
    return new ModelRunner(folder, scoring, opened.session, opened.device, opened.reason, vocab);
  }

  get topK(): number {
    return this.scoring.info.topK;
  }

  /** One forward pass (every model call goes through here, so `forwardCount` is exact). */
  async forward(feeds: Record<string, ort.Tensor>, fetches: string[]): Promise<ort.InferenceSession.OnnxValueMapType> {
    this.forwardCount++;
    return this.session.run(feeds, fetches);
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  inputMeta(): InputMeta[] {
    const meta = (this.session as unknown as { inputMetadata?: InputMeta[] }).inputMetadata;
    return meta ?? this.session.inputNames.map((name) => ({ name, isTensor: true }));
  }

  /** Batches of parts, longest first, within both budgets. */
  private plan(seqs: readonly Part[], tokenBudget: number, logitsBudget: number): number[][] {
    const order = seqs.map((_, i) => i).sort((a, b) => seqs[b]!.ids.length - seqs[a]!.ids.length);
    const batches: number[][] = [];
    let batch: number[] = [];
    let maxT = 0;
    let maxN = 0;
    for (const i of order) {
      const t = seqs[i]!.ids.length;
      const n = seqs[i]!.to - seqs[i]!.from;
      const nextT = Math.max(maxT, t);
      const nextN = Math.max(maxN, n);
      const size = batch.length + 1;
      if (batch.length > 0 && (size * nextT > tokenBudget || size * nextN * this.vocabSize > logitsBudget)) {
        batches.push(batch);
        batch = [];
        maxT = 0;
        maxN = 0;
      }
      batch.push(i);
      maxT = Math.max(maxT, t);
      maxN = Math.max(maxN, n);
    }
    if (batch.length > 0) batches.push(batch);
    return batches;
  }

  async score(seqs: readonly SequenceInput[], options: RunOptions = {}): Promise<SequenceScores[]> {
    const logitsBudget = options.logitsBudget ?? 64 * 2 ** 20;
    const slice = Math.max(1, Math.floor(logitsBudget / this.vocabSize));
    const parts: Part[] = [];
    seqs.forEach((seq, index) => {
      const n = scoredCount(seq);
      for (let from = 0; from < n || (from === 0 && n === 0); from += slice) parts.push({ ...seq, index, from, to: Math.min(n, from + slice) });
    });
    const pieces: SequenceScores[][] = seqs.map(() => []);
    const batches = this.plan(parts, options.tokenBudget ?? 4096, logitsBudget);
    let done = 0;
    for (const batch of batches) {
      options.signal?.throwIfAborted();
      const results = await this.runBatch(batch.map((i) => parts[i]!), options.wantHidden === true);
      batch.forEach((i, k) => (pieces[parts[i]!.index]![Math.floor(parts[i]!.from / slice)] = results[k]!));
      done += batch.length;
      options.onBatch?.(done, parts.length);
    }
    return pieces.map((list) => (list.length === 1 ? list[0]! : concatScores(list)));
  }

  private async runBatch(batch: Part[], wantHidden: boolean): Promise<SequenceScores[]> {
    const B = batch.length;
    const T = Math.max(...batch.map((s) => s.ids.length));
    const counts = batch.map((p) => p.to - p.from);
    const N = Math.max(1, ...counts);
    const ids = new BigInt64Array(B * T);
    const mask = new BigInt64Array(B * T);
    const positions = new BigInt64Array(B * T).fill(1n);
    const scorePositions = new BigInt64Array(B * N);
    const targets = new BigInt64Array(B * N);
    batch.forEach((seq, r) => {
      seq.ids.forEach((id, j) => {
        ids[r * T + j] = BigInt(id);
        mask[r * T + j] = 1n;
        positions[r * T + j] = BigInt(j);
      });
      const first = Math.max(seq.completionStart, 1) + seq.from;
      for (let k = 0; k < counts[r]!; k++) {
        scorePositions[r * N + k] = BigInt(first - 1 + k);
        targets[r * N + k] = BigInt(seq.ids[first + k]!);
      }
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, T]),
      attention_mask: new ort.Tensor('int64', mask, [B, T]),
      score_positions: new ort.Tensor('int64', scorePositions, [B, N]),
      target_ids: new ort.Tensor('int64', targets, [B, N]),
    };
    for (const meta of this.inputMeta()) {
      if (meta.name === 'position_ids') feeds.position_ids = new ort.Tensor('int64', positions, [B, T]);
      else if (meta.name === 'use_cache_branch') feeds.use_cache_branch = new ort.Tensor('bool', new Uint8Array([0]), [1]);
      else if (meta.name === 'num_logits_to_keep' || meta.name === 'logits_to_keep') feeds[meta.name] = new ort.Tensor('int64', BigInt64Array.of(0n), []);
      else if (meta.name.startsWith('past_key_values') || meta.name.startsWith('past.')) {
        const dims = (meta.shape ?? []).map((d) => (typeof d === 'number' ? d : d === 'batch_size' || d === 'batch' ? B : 0));
        feeds[meta.name] = meta.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
      }
    }
    const fetches = ['token_logprobs', 'token_entropy', 'target_rank', 'topk_logprobs', 'topk_ids', ...(wantHidden ? ['scored_hidden'] : [])];
    const result = await this.forward(feeds, fetches);
    return batch.map((_, r) => this.unpackRow(result, r, N, counts[r]!));
  }

  /** Row r of a scoring output with N columns, of which the first n are real. */
  unpackRow(result: ort.InferenceSession.OnnxValueMapType, r: number, N: number, n: number): SequenceScores {
    const lp = result.token_logprobs!.data as Float32Array;
    const ent = result.token_entropy!.data as Float32Array;
    const rank = result.target_rank!.data as Float32Array;
    const topLp = result.topk_logprobs!.data as Float32Array;
    const topIds = result.topk_ids!.data as BigInt64Array;
    const hidden = result.scored_hidden ? (result.scored_hidden.data as Float32Array) : undefined;
    const K = this.topK;
    const B = lp.length / N;
    const H = hidden ? hidden.length / (B * N) : 0;
    const at = r * N;
    let hiddenSum: Float64Array | undefined;
    if (hidden) {
      hiddenSum = new Float64Array(H);
      for (let k = 0; k < n; k++) for (let h = 0; h < H; h++) hiddenSum[h]! += hidden[(at + k) * H + h]!;
    }
    return {
      scored: n,
      tokenLogps: lp.slice(at, at + n),
      entropy: ent.slice(at, at + n),
      rank: rank.slice(at, at + n),
      topkIds: Int32Array.from(topIds.subarray(at * K, (at + n) * K), (v) => Number(v)),
      topkLogps: topLp.slice(at * K, (at + n) * K),
      hiddenSum,
    };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** A slice [from, to) of a sequence's scored positions, scored in one forward. */
interface Part extends SequenceInput {
  index: number;
  from: number;
  to: number;
}

function concatScores(list: SequenceScores[]): SequenceScores {
  const cat = <T extends Float32Array | Int32Array>(pick: (s: SequenceScores) => T, make: (n: number) => T): T => {
    const out = make(list.reduce((n, s) => n + pick(s).length, 0));
    let at = 0;
    for (const s of list) {
      out.set(pick(s), at);
      at += pick(s).length;
    }
    return out;
  };
  const hidden = list[0]!.hiddenSum ? new Float64Array(list[0]!.hiddenSum.length) : undefined;
  if (hidden) for (const s of list) s.hiddenSum!.forEach((v, h) => (hidden[h]! += v));
  return {
    scored: list.reduce((n, s) => n + s.scored, 0),
    tokenLogps: cat((s) => s.tokenLogps, (n) => new Float32Array(n)),
    entropy: cat((s) => s.entropy, (n) => new Float32Array(n)),
    rank: cat((s) => s.rank, (n) => new Float32Array(n)),
    topkIds: cat((s) => s.topkIds, (n) => new Int32Array(n)),
    topkLogps: cat((s) => s.topkLogps, (n) => new Float32Array(n)),
    hiddenSum: hidden,
  };
}

/** Completion tokens that get a log-prob: all but a token at position 0 (it has no predecessor). */
export function scoredCount(seq: SequenceInput): number {
  return Math.max(0, seq.ids.length - Math.max(seq.completionStart, 1));
}
