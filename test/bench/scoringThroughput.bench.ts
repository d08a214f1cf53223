/**
 * Scoring performance (issue 13): throughput against a naive ONNX path, achieved FLOP rate
 * against onnxruntime's own MatMul rate, prompt-sharing saving, cache re-scoring and peak RSS.
 *
 * Design note
 * - Models are GPT-2-small-sized random models from gpt2Small.ts (vocabularies 32k, 50,257 and
 *   151,936); the tokenizer is the small test tokenizer, so datasets are random words padded
 *   to the wanted token counts and the counts reported are those of TRL's tokenization
 *   (tokenizePairTrl over the pairs the Dataset reader yields, exactly what the engine scores).
 * - PrefLens path: ScoringEngine.run, policy = reference = the same folder (the compute is that
 *   of two models; the scoring cache namespaces coincide but the reference side needs hidden
 *   states, so it is recomputed, and the job's modelCalls are checked). A one-pair warm-up job
 *   on the same engine opens the models and prepares the scoring graphs outside the timing.
 * - Naive path: the unmodified onnx/model.onnx in an InferenceSession with the same session
 *   options and thread count, one sequence per run, full logits [1, T, V] fetched, log-softmax
 *   in JS over the scored rows only (generous to the baseline), target log-probs gathered, no
 *   prompt sharing; run for both sides and both models like the engine. Its sums are checked
 *   against the engine's chosen_logps.
 * - FLOP rate: 2 x parameters x tokens the engine processed (prompt once, each completion plus
 *   the prompt's last token) / wall time, against the best rate of a one-node
 *   [2048,768]x[768,3072] fp32 MatMul built with the project's ONNX schema, same threads
 *   (5 runs before and 5 after the scoring runs).
 * - Prompt sharing: scorePairs + ModelRunner (no cache binding, so nothing is cached) on the
 *   same long-prompt pairs with promptSharing 'off' and 'always' alternated twice (fastest of
 *   each); predicted saving = prompt tokens saved / tokens processed without sharing.
 * - Memory: the CLI in a child process under /usr/bin/time -v (max RSS), 8 vs 32 pairs at
 *   token budget 4096, for vocabularies 32,000 and 151,936, after a one-pair run that prepares
 *   the scoring graph; pair shapes are such that 8 pairs already fill a batch, since below
 *   that the batch (and so the peak) grows with the dataset by design.
 * - Warm pass: after the timed (cold) runs, a second dataset of the same shapes (other words, so
 *   no cache hits) is scored on the same engine, and by the naive path in the same session, to
 *   separate steady throughput from first-run costs (fresh vocabulary-sized memory). The target
 *   is judged on the cold runs, as before; the warm ratio is reported beside it.
 * - Cause diagnostic: the scoring head's cost is measured as one 512-token forward with 256
 *   scored positions minus one with 1, both shapes run twice first and the best of two taken
 *   (steady state), and compared with its LM-head MatMul at the MatMul rate; the first forward
 *   at 256 positions is reported as the cold cost on top.
 * Timings are single runs on a shared machine; expect noise of some per cent.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { mulberry32 } from '../../examples/modelgen/prng';
import { Dataset } from '../../native/data/dataset';
import { baseOptions, defaultThreads } from '../../native/engine/device';
import { ModelRunner } from '../../native/engine/modelRunner';
import { tensorValueInfo } from '../../native/engine/onnx/graphEdit';
import { DataType, modelProtoType } from '../../native/engine/onnx/onnxSchema';
import { scorePairs, type ScoreRecord } from '../../native/engine/scorePairs';
import { ScoringEngine, type ScoreJobParams } from '../../native/engine/scoringEngine';
import { loadModelTokenizer, type ModelTokenizer } from '../../native/engine/tokenize/modelTokenizer';
import { tokenizePairTrl, type TokenizedPair } from '../../native/engine/tokenize/trlTokenize';
import { GPT2_SMALL, gpt2SmallFolder } from './gpt2Small';
import type { BenchResult } from './types';

const TOKENIZER_DIR = resolve('test/fixtures/trl-golden/models/reference');
const MAX_LENGTH = 1024;
const WORDS = 'the model reads a long answer about data and then writes short notes on each pair while users check the reward margin for every token in chosen or rejected text because noise hides in labels'.split(' ');

/** Parameters of the generated GPT-2 (tied embedding counted once). */
function parameters(vocab: number): number {
  const { nEmbd: H, nLayer: L, nPositions: P } = GPT2_SMALL;
  return vocab * H + P * H + L * (12 * H * H + 13 * H) + 2 * H;
}

/** Text of random words with at least `tokens` tokens (leading space, so it continues a prompt). */
function textOf(tok: ModelTokenizer, tokens: number, rand: () => number): string {
  let text = '';
  while (tok.encode(text, { addSpecialTokens: false }).ids.length < tokens) text += ` ${WORDS[Math.floor(rand() * WORDS.length)]}`;
  return text;
}

function writeDataset(dir: string, name: string, tok: ModelTokenizer, pairs: number, promptTokens: number, completionTokens: number, seed: number): string {
  const rand = mulberry32(seed);
  const lines: string[] = [];
  for (let k = 0; k < pairs; k++) {
    lines.push(JSON.stringify({ prompt: `[${seed}-${k}]${textOf(tok, promptTokens - 4, rand)}`, chosen: textOf(tok, completionTokens, rand), rejected: textOf(tok, completionTokens, rand) }));
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function tokenized(path: string, tok: ModelTokenizer, cacheDir: string): Promise<TokenizedPair[]> {
  const dataset = await Dataset.open(path, { cacheDir });
  try {
    const rows = await dataset.readPairs(0, dataset.rowCount);
    return rows.map((r) => {
      if (!r.ok) throw new Error(r.issue.message);
      return tokenizePairTrl(r.pair, tok, { maxLength: MAX_LENGTH });
    });
  } finally {
    await dataset.close();
  }
}

// the engine's own CPU session options, so the baselines differ from it only in what they compute
const sessionOptions = baseOptions;

/** The naive scorer: full logits to JS, log-softmax and gather there. Returns the summed completion log-prob. */
async function naiveSequence(session: ort.InferenceSession, ids: readonly number[], start: number): Promise<number> {
  const T = ids.length;
  const big = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [1, T]);
  const feeds: Record<string, ort.Tensor> = { input_ids: big(ids as number[]), attention_mask: big(new Array<number>(T).fill(1)) };
  const headDim = GPT2_SMALL.nEmbd / GPT2_SMALL.nHead;
  for (const name of session.inputNames) {
    if (name === 'position_ids') feeds[name] = big(Array.from({ length: T }, (_, j) => j));
    else if (name.startsWith('past_key_values')) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, GPT2_SMALL.nHead, 0, headDim]);
  }
  const out = await session.run(feeds, ['logits']);
  const logits = out.logits!.data as Float32Array;
  const V = logits.length / T;
  let sum = 0;
  for (let j = Math.max(start, 1); j < T; j++) {
    const row = (j - 1) * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[row + v]! > max) max = logits[row + v]!;
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[row + v]! - max);
    sum += logits[row + ids[j]!]! - max - Math.log(z);
  }
  out.logits!.dispose();
  return sum;
}

/** The naive path over `pairs` (timed cold), then over `again` in the same session (timed warm). */
async function naiveScore(onnxPath: string, pairs: TokenizedPair[], again: TokenizedPair[], threads: number, warm: TokenizedPair): Promise<{ ms: number; warmMs: number; chosen: number[] }> {
  const session = await ort.InferenceSession.create(onnxPath, sessionOptions(threads));
  const all = async (list: TokenizedPair[], chosen: number[]): Promise<number> => {
    const started = performance.now();
    for (let model = 0; model < 2; model++) {
      for (const t of list) {
        const c = await naiveSequence(session, [...t.promptIds, ...t.chosenIds], t.promptIds.length);
        await naiveSequence(session, [...t.promptIds, ...t.rejectedIds], t.promptIds.length);
        if (model === 0) chosen.push(c);
      }
    }
    return performance.now() - started;
  };
  try {
    await naiveSequence(session, [...warm.promptIds, ...warm.chosenIds], warm.promptIds.length);
    const chosen: number[] = [];
    const ms = await all(pairs, chosen);
    return { ms, warmMs: await all(again, []), chosen };
  } finally {
    await session.release();
  }
}

/** Best MatMul FLOP rate of onnxruntime here over 5 runs ([2048,768] x [768,3072] fp32). */
async function matmulRate(threads: number): Promise<number> {
  const [M, K, N] = [2048, 768, 3072];
  const type = modelProtoType();
  const model = type.encode(type.fromObject({
    ir_version: 8,
    opset_import: [{ domain: '', version: 14 }],
    producer_name: 'preflens-bench',
    graph: {
      name: 'matmul',
      node: [{ op_type: 'MatMul', input: ['A', 'B'], output: ['C'], name: 'mm' }],
      input: [tensorValueInfo('A', DataType.FLOAT, [M, K]), tensorValueInfo('B', DataType.FLOAT, [K, N])],
      output: [tensorValueInfo('C', DataType.FLOAT, [M, N])],
    },
  })).finish();
  const session = await ort.InferenceSession.create(model, sessionOptions(threads));
  try {
    const rand = mulberry32(7);
    const a = new ort.Tensor('float32', Float32Array.from({ length: M * K }, () => rand() - 0.5), [M, K]);
    const b = new ort.Tensor('float32', Float32Array.from({ length: K * N }, () => rand() - 0.5), [K, N]);
    await session.run({ A: a, B: b });
    const rates: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await session.run({ A: a, B: b });
      rates.push((2 * M * K * N) / ((performance.now() - t0) / 1000));
    }
    return Math.max(...rates);
  } finally {
    await session.release();
  }
}

/** Peak RSS (bytes) of the CLI scoring a dataset in a child process. */
function cliPeakRss(data: string, model: string, out: string, cacheDir: string): Promise<{ rss: number; ms: number }> {
  return new Promise((done, fail) => {
    const args = ['-v', process.execPath, resolve('dist/cli.js'), 'score', data, '--policy', model, '--ref', model, '--out', out, '--token-budget', '4096', '--cache-dir', cacheDir];
    const started = performance.now();
    const child = spawn('/usr/bin/time', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      if (code !== 0 || !m) fail(new Error(`preflens score exited ${code}: ${err.slice(-2000)}`));
      else done({ rss: Number(m[1]) * 1024, ms: performance.now() - started });
    });
  });
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

interface Throughput {
  vocab: number;
  prefMs: number;
  naiveMs: number;
  completionTokens: number;
  processedTokens: number;
  maxDiff: number;
  /** Both contenders again on a second dataset of the same shapes, same engine and session. */
  prefWarmMs: number;
  naiveWarmMs: number;
  /** One 512-token sequence, steady state: forward with 256 scored positions minus with 1 (the scoring head's cost for 255 positions). */
  headMs: number;
  /** The first forward with 256 scored positions minus the steady one (fresh vocabulary-sized memory). */
  headColdMs: number;
  calls: { policy: number; reference: number };
  engine: ScoringEngine;
  params: ScoreJobParams;
}

/** Figure 1 for one vocabulary; the engine stays open for the cache figure. */
async function throughput(cacheRoot: string, work: string, tok: ModelTokenizer, vocab: number, pairsN: number, threads: number): Promise<Throughput> {
  const model = gpt2SmallFolder(cacheRoot, 1, vocab);
  const cacheDir = mkdtempSync(join(work, `cache-v${vocab}-`));
  const warmData = writeDataset(work, `warm-${vocab}.jsonl`, tok, 1, 16, 16, 900 + vocab);
  const data = writeDataset(work, `tp-${vocab}.jsonl`, tok, pairsN, 256, 256, vocab);
  const again = writeDataset(work, `tp2-${vocab}.jsonl`, tok, pairsN, 256, 256, vocab + 1);
  const pairs = await tokenized(data, tok, cacheDir);
  const pairsAgain = await tokenized(again, tok, cacheDir);
  const [warm] = await tokenized(warmData, tok, cacheDir);
  const engine = new ScoringEngine();
  const params: ScoreJobParams = { dataset: data, policy: model, reference: model, beta: 0.1, maxLength: MAX_LENGTH, device: 'cpu', tokenBudget: 4096, threads, cacheDir };
  await engine.run({ ...params, dataset: warmData });
  const records: ScoreRecord[] = [];
  const t0 = performance.now();
  const result = await engine.run(params, { onRecords: (r) => void records.push(...r) });
  const prefMs = performance.now() - t0;
  if (result.ok !== pairsN) throw new Error(`scored ${result.ok}/${pairsN} pairs`);
  const t1 = performance.now();
  const second = await engine.run({ ...params, dataset: again });
  const prefWarmMs = performance.now() - t1;
  if (second.ok !== pairsN) throw new Error(`scored ${second.ok}/${pairsN} pairs`);
  const naive = await naiveScore(join(model, 'onnx', 'model.onnx'), pairs, pairsAgain, threads, warm!);
  const maxDiff = Math.max(...records.map((r, k) => Math.abs((r.chosen_logps ?? NaN) - naive.chosen[k]!)));
  const runner = await ModelRunner.open(model, { cacheDir, device: 'cpu', threads });
  let headMs: number;
  let headColdMs: number;
  try {
    const ids = [...pairs[0]!.promptIds, ...pairs[0]!.chosenIds].slice(0, 512);
    const once = async (completionStart: number): Promise<number> => {
      const t = performance.now();
      await runner.score([{ ids, completionStart }], { tokenBudget: 4096 });
      return performance.now() - t;
    };
    await once(ids.length - 1);
    const cold = await once(ids.length - 256);
    await once(ids.length - 1);
    await once(ids.length - 256);
    const full = Math.min(await once(ids.length - 256), await once(ids.length - 256));
    const one = Math.min(await once(ids.length - 1), await once(ids.length - 1));
    headMs = full - one;
    headColdMs = cold - full;
  } finally {
    await runner.close();
  }
  const completionTokens = 2 * pairs.reduce((n, t) => n + t.chosenIds.length + t.rejectedIds.length, 0);
  // with prompt sharing: prompt[:-1] once, then [prompt[-1], ...completion] per side; two models
  const processedTokens = 2 * pairs.reduce((n, t) => n + t.promptIds.length - 1 + 2 + t.chosenIds.length + t.rejectedIds.length, 0);
  return { vocab, prefMs, naiveMs: naive.ms, prefWarmMs, naiveWarmMs: naive.warmMs, completionTokens, processedTokens, maxDiff, headMs, headColdMs, calls: result.modelCalls, engine, params };
}

export async function benchScoring(cacheDir: string): Promise<BenchResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'preflens-bench-scoring-'));
  const threads = defaultThreads();
  const tok = await loadModelTokenizer(TOKENIZER_DIR);
  const results: BenchResult[] = [];
  const PAIRS = 2;
  try {
    const mm = await matmulRate(threads);
    // 1. throughput, 50k then 152k vocabulary; 4. cache on the 50k engine
    const tps: Throughput[] = [];
    for (const vocab of [50257, 151936]) {
      const tp = await throughput(cacheDir, work, tok, vocab, PAIRS, threads);
      tps.push(tp);
      if (vocab === 50257) {
        const t0 = performance.now();
        const again = await tp.engine.run(tp.params);
        const ms = performance.now() - t0;
        // policy and reference are one runner here, so each of modelCalls' counts is the total
        const calls = again.modelCalls.policy;
        results.push({
          figure: `cache: re-scoring the same ${PAIRS} pairs with the same engine (V=50,257)`,
          value: `${calls} model calls, ${ms.toFixed(0)} ms (${pct(ms / tp.prefMs)} of the first run)`,
          baseline: `first run: ${tp.calls.policy} model calls, ${tp.prefMs.toFixed(0)} ms`,
          ratio: tp.prefMs / ms,
          target: '0 model calls and < 5% of the first run',
          pass: calls === 0 && ms < 0.05 * tp.prefMs,
        });
      }
      await tp.engine.close();
    }
    // the best MatMul rate seen before and after the scoring runs (the machine is shared: the peak is the honest denominator)
    const mmRate = Math.max(mm, await matmulRate(threads));
    for (const tp of tps) {
      const tokS = (ms: number) => tp.completionTokens / (ms / 1000);
      const ratio = tp.naiveMs / tp.prefMs;
      const want = tp.vocab > 100_000 ? 3 : 1.5;
      const lmHeadMs = ((2 * 255 * GPT2_SMALL.nEmbd * tp.vocab) / mmRate) * 1000;
      const warm = `; warm (same shapes again, same engine and session): ${tokS(tp.prefWarmMs).toFixed(0)} vs ${tokS(tp.naiveWarmMs).toFixed(0)} tok/s, ${(tp.naiveWarmMs / tp.prefWarmMs).toFixed(2)}x`;
      const head = `scoring head ${tp.headMs.toFixed(0)} ms per 255 scored positions warm vs ${lmHeadMs.toFixed(0)} ms for its LM-head MatMul alone at the MatMul rate, first forward at that size +${tp.headColdMs.toFixed(0)} ms`;
      const cause = ratio < want ? ` — below target on the cold run: ${head} (fresh memory), and the shared transformer body dominates both paths` : ` (${head})`;
      results.push({
        figure: `scoring throughput, V=${tp.vocab.toLocaleString('en-US')}, ${PAIRS} pairs x prompt 256 / completions 256, policy + reference, ${threads} thread(s)`,
        value: `${tokS(tp.prefMs).toFixed(0)} completion tok/s (${(tp.prefMs / 1000).toFixed(1)} s; max |chosen_logps - naive| ${tp.maxDiff.toExponential(1)})${warm}${cause}`,
        baseline: `naive ONNX + JS log-softmax: ${tokS(tp.naiveMs).toFixed(0)} tok/s (${(tp.naiveMs / 1000).toFixed(1)} s)`,
        ratio,
        target: `>= ${want}x`,
        pass: ratio >= want,
      });
    }
    // 2. FLOP rate of the 50k scoring run vs onnxruntime's MatMul rate
    const tp = tps[0]!;
    const achieved = (2 * parameters(tp.vocab) * tp.processedTokens) / (tp.prefMs / 1000);
    // the LM head (V x H) runs only at scored positions: FLOPs actually needed
    const headParams = tp.vocab * GPT2_SMALL.nEmbd;
    const needed = (2 * ((parameters(tp.vocab) - headParams) * tp.processedTokens + headParams * tp.completionTokens)) / (tp.prefMs / 1000);
    results.push({
      figure: `achieved FLOP rate of scoring (2 x ${(parameters(tp.vocab) / 1e6).toFixed(1)}M params x ${tp.processedTokens} tokens / wall), ${threads} thread(s)`,
      value: `${(achieved / 1e9).toFixed(1)} GFLOP/s (${pct(achieved / mmRate)} of the MatMul rate; counting the LM head only at the ${tp.completionTokens} scored positions: ${(needed / 1e9).toFixed(1)} GFLOP/s, ${pct(needed / mmRate)})`,
      baseline: `onnxruntime MatMul [2048,768]x[768,3072] fp32, best of 10 runs before and after: ${(mmRate / 1e9).toFixed(1)} GFLOP/s`,
      ratio: undefined,
      target: '>= 50% of the MatMul rate',
      pass: achieved / mmRate >= 0.5,
    });
    // 3. prompt sharing
    {
      const model = gpt2SmallFolder(cacheDir, 1, 50257);
      const shareCache = tps[0]!.params.cacheDir; // the scoring graph is already prepared there
      const data = writeDataset(work, 'share.jsonl', tok, 2, 384, 48, 31);
      const dataset = await Dataset.open(data, { cacheDir: shareCache });
      const rows = await dataset.readPairs(0, dataset.rowCount);
      await dataset.close();
      const pairs = await tokenized(data, tok, shareCache);
      const runner = await ModelRunner.open(model, { cacheDir: shareCache, device: 'cpu', threads });
      try {
        const scorers = { tokenizer: tok, policy: runner, reference: runner };
        const time = async (promptSharing: 'off' | 'always'): Promise<number> => {
          const t0 = performance.now();
          await scorePairs(rows, scorers, { beta: 0.1, maxLength: MAX_LENGTH, tokenBudget: 4096, promptSharing });
          return performance.now() - t0;
        };
        await scorePairs(rows.slice(0, 1), scorers, { beta: 0.1, maxLength: MAX_LENGTH, tokenBudget: 4096, promptSharing: 'always' }); // warm-up
        // alternated twice, fastest of each, to damp the shared machine's load swings
        const off1 = await time('off');
        const always1 = await time('always');
        const off = Math.min(off1, await time('off'));
        const always = Math.min(always1, await time('always'));
        const without = pairs.reduce((n, t) => n + 2 * t.promptIds.length + t.chosenIds.length + t.rejectedIds.length, 0);
        const saved = pairs.reduce((n, t) => n + t.promptIds.length - 1, 0); // prompt[:-1] once instead of twice; each side re-feeds prompt[-1]
        const predicted = saved / without;
        const measured = 1 - always / off;
        const P = pairs[0]!.promptIds.length;
        results.push({
          figure: `prompt sharing 'always' vs 'off', ${pairs.length} pairs, prompt ${P} / completions ${pairs[0]!.chosenIds.length}, ${pairs[0]!.rejectedIds.length} tokens (V=50,257)`,
          value: `saves ${pct(measured)} (${(always / 1000).toFixed(1)} s vs ${(off / 1000).toFixed(1)} s)`,
          baseline: `predicted: prompt share of the work ${pct(predicted)}`,
          ratio: off / always,
          target: 'measured saving within 20% of the predicted share',
          pass: Math.abs(measured - predicted) <= 0.2 * predicted,
        });
      } finally {
        await runner.close();
      }
    }
    // 5. peak RSS of the CLI, independent of dataset size
    if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is needed for the memory figure');
    if (!existsSync(resolve('dist/cli.js'))) throw new Error('dist/cli.js is missing: run npm run build');
    // Shapes chosen so that 8 pairs already fill a batch (logits budget 64M elements: B x N x V),
    // so the peak is the batch's, not the dataset's: V=32k 14 x 140 scored, V=152k 3 x 40.
    for (const [vocab, promptN, completionN] of [[32000, 8, 140], [151936, 16, 40]] as const) {
      const model = gpt2SmallFolder(cacheDir, 1, vocab);
      const cliCache = mkdtempSync(join(work, `cli-v${vocab}-`));
      const small = writeDataset(work, `mem8-${vocab}.jsonl`, tok, 8, promptN, completionN, 100 + vocab);
      const large = writeDataset(work, `mem32-${vocab}.jsonl`, tok, 32, promptN, completionN, 200 + vocab);
      const warm = writeDataset(work, `mem1-${vocab}.jsonl`, tok, 1, 8, 8, 300 + vocab);
      await cliPeakRss(warm, model, join(work, `mem1-${vocab}.out.jsonl`), cliCache); // prepares the scoring graph
      const a = await cliPeakRss(small, model, join(work, `mem8-${vocab}.out.jsonl`), cliCache);
      const b = await cliPeakRss(large, model, join(work, `mem32-${vocab}.out.jsonl`), cliCache);
      const spread = Math.abs(b.rss - a.rss) / a.rss;
      results.push({
        figure: `peak RSS of \`preflens score\` (V=${vocab.toLocaleString('en-US')}, token budget 4096, prompt ${promptN} / completions ${completionN})`,
        value: `32 pairs: ${mib(b.rss)} (${(b.ms / 1000).toFixed(0)} s), ${pct(spread)} from 8 pairs`,
        baseline: `8 pairs: ${mib(a.rss)} (${(a.ms / 1000).toFixed(0)} s)`,
        ratio: undefined,
        target: 'independent of dataset size (8 vs 32 pairs within 10%)',
        pass: spread <= 0.1,
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return results;
}
