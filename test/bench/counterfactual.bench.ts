/**
 * Counterfactual latency: from the end of the keystroke pause (the 150 ms debounce) to new
 * scores, as the extension runs it (ScoringEngine.explain of the edited side; the engine keeps
 * the pair's earlier results, so an edit is recomputed from its first changed token where the
 * graph takes a KV cache). Two figures: the embedded models on a sample pair, and a
 * GPT-2-small-sized model (124M) with a 256-token response, edited near its end (prefix reuse)
 * and at its start (the whole side). Baseline: the same edit scored with both sides from scratch.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModels, MODELS, SAMPLE } from '../../examples/buildModels';
import { ScoringEngine } from '../../native/engine/scoringEngine';
import { gpt2SmallFolder } from './gpt2Small';
import type { BenchResult } from './types';
import { existsSync } from 'node:fs';

const DEBOUNCE_MS = 150;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function benchCounterfactual(cacheRoot = process.env.PREFLENS_CACHE ?? join(homedir(), '.cache', 'preflens')): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const cacheDir = mkdtempSync(join(tmpdir(), 'preflens-bench-cf-'));
  // 1. embedded models, a held-out sample pair
  if (!existsSync(join(MODELS, 'policy', 'onnx', 'model.onnx'))) await buildModels(MODELS, () => undefined);
  const engine = new ScoringEngine();
  try {
    const base = { dataset: SAMPLE, policy: join(MODELS, 'policy'), reference: join(MODELS, 'reference'), beta: 0.1, maxLength: 512, device: 'cpu' as const, cacheDir, index: 200 };
    const original = await engine.explain(base);
    const text = original.rejectedEditable;
    const edits = [' Also', ' Also, check', ' Also, check twice.', ' Also, check twice. Then'].map((s) => text + s);
    const live: number[] = [];
    for (const edit of edits) live.push(await timed(() => engine.explain({ ...base, edits: { rejected: edit }, sides: ['rejected'] })));
    const fresh = new ScoringEngine();
    const scratch = median(await Promise.all([0].map(() => timed(() => fresh.explain({ ...base, edits: { rejected: edits.at(-1)! } })))));
    await fresh.close();
    const value = DEBOUNCE_MS + median(live);
    results.push({ figure: 'counterfactual: keystroke pause to new scores, embedded models (150 ms debounce + engine)', value: `${value.toFixed(0)} ms`, baseline: `${(DEBOUNCE_MS + scratch).toFixed(0)} ms (both sides from scratch, cold engine)`, ratio: (DEBOUNCE_MS + scratch) / value, target: '< 300 ms', pass: value < 300 });
  } finally {
    await engine.close();
  }
  // 2. GPT-2-small-sized model, a 256-token response
  const model = gpt2SmallFolder(cacheRoot);
  const words = Array.from({ length: 400 }, (_, i) => ['the', 'whale', 'is', 'large', 'and', 'swims', 'in', 'cold', 'water', 'near'][i % 10]!);
  const { loadModelTokenizer } = await import('../../native/engine/tokenize/modelTokenizer');
  const tokenizer = await loadModelTokenizer(model);
  let n = 10;
  while (tokenizer.encode(` ${words.slice(0, n).join(' ')}.`, { addSpecialTokens: false }).ids.length < 256) n++;
  const response = ` ${words.slice(0, n).join(' ')}.`;
  const data = join(cacheDir, 'gpt2pair.jsonl');
  writeFileSync(data, `${JSON.stringify({ prompt: `Question: ${words.slice(0, 40).join(' ')}?\nAnswer:`, chosen: response, rejected: ' No.' })}\n`);
  const big = new ScoringEngine();
  try {
    const base = { dataset: data, policy: model, reference: model, beta: 0.1, maxLength: 1024, device: 'cpu' as const, cacheDir, index: 0 };
    await big.explain(base); // loads the model; the pair's first explanation (the panel opening it)
    const nearEnd = await timed(() => big.explain({ ...base, edits: { chosen: response.replace(/ water near([^ ]*)\.$/, ' ice near$1.') }, sides: ['chosen'] }));
    const atStart = await timed(() => big.explain({ ...base, edits: { chosen: response.replace(' the whale', ' a whale') }, sides: ['chosen'] }));
    results.push({ figure: 'counterfactual: 256-token response, GPT-2-small-sized model (124M), edit near the end (KV prefix reuse)', value: `${(DEBOUNCE_MS + nearEnd).toFixed(0)} ms`, baseline: `${(DEBOUNCE_MS + atStart).toFixed(0)} ms (edit at the start: the whole side)`, ratio: atStart / nearEnd, target: '< 3000 ms', pass: DEBOUNCE_MS + nearEnd < 3000 });
    results.push({ figure: 'counterfactual: 256-token response, GPT-2-small-sized model (124M), edit at the start (whole side)', value: `${(DEBOUNCE_MS + atStart).toFixed(0)} ms`, baseline: '-', ratio: undefined, target: '< 3000 ms', pass: DEBOUNCE_MS + atStart < 3000 });
  } finally {
    await big.close();
  }
  return results;
}
