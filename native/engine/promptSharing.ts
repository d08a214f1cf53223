/**
 * Prompt sharing: chosen and rejected of a pair start with the same prompt, so with a graph that
 * takes a KV cache the prompt is run once and both completions continue from it.
 *
 * Design note (ENGINE-NOTES 1.3, "preference-pair prefix reuse")
 * - Run `prompt[:-1]` once (batch 1) and keep `present.*`.
 * - Continue with a batch of two: `[prompt[-1], ...completion]`, right-padded, with the cache
 *   repeated for both rows, an attention mask over cache + new tokens, and positions starting
 *   at the cache length. The logits at continuation position k score completion token k, so
 *   every completion token gets its log-prob exactly as in the full forward.
 * - Used only when the graph has `past_key_values.*` inputs and `present.*` outputs and the
 *   prompt has at least two tokens; the caller falls back to full sequences otherwise.
 * Invariant: the per-token log-probs equal those of the full forward within float32 noise.
 */
import * as ort from 'onnxruntime-node';
import type { ModelRunner, SequenceScores } from './modelRunner';

export function canSharePrompt(runner: ModelRunner, promptLength: number): boolean {
  if (promptLength < 2) return false;
  const inputs = runner.inputMeta().map((m) => m.name);
  const pasts = inputs.filter((n) => n.startsWith('past_key_values.'));
  return pasts.length > 0 && pasts.every((p) => runner.outputNames.includes(p.replace('past_key_values.', 'present.')));
}

function pastDims(shape: (number | string)[] | undefined, batch: number, length: number): number[] {
  // [batch, heads, past_len, head_dim]: symbolic batch -> batch, symbolic length -> length
  return (shape ?? []).map((d, axis) => (typeof d === 'number' ? d : axis === 0 ? batch : length));
}

const int64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);

export async function scoreSharedPrompt(runner: ModelRunner, prompt: readonly number[], completions: readonly (readonly number[])[], wantHidden: boolean): Promise<SequenceScores[]> {
  const meta = runner.inputMeta();
  const has = (name: string) => meta.some((m) => m.name === name);
  const pastInputs = meta.filter((m) => m.name.startsWith('past_key_values.'));
  const P = prompt.length - 1; // cached length
  // 1. the prompt minus its last token, once
  const first: Record<string, ort.Tensor> = {
    input_ids: int64(prompt.slice(0, P) as number[], [1, P]),
    attention_mask: int64(new Array(P).fill(1), [1, P]),
    score_positions: int64([0], [1, 1]),
    target_ids: int64([0], [1, 1]),
  };
  if (has('position_ids')) first.position_ids = int64(Array.from({ length: P }, (_, i) => i), [1, P]);
  if (has('use_cache_branch')) first.use_cache_branch = new ort.Tensor('bool', new Uint8Array([0]), [1]);
  for (const m of pastInputs) first[m.name] = m.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), pastDims(m.shape, 1, 0)) : new ort.Tensor('float32', new Float32Array(0), pastDims(m.shape, 1, 0));
  const presentNames = pastInputs.map((m) => m.name.replace('past_key_values.', 'present.'));
  const cached = await runner.forward(first, presentNames);

  // 2. both completions, continuing from the cache
  const B = completions.length;
  const rows = completions.map((c) => [prompt[P]!, ...c]);
  const L = Math.max(...rows.map((r) => r.length));
  const N = Math.max(...completions.map((c) => c.length));
  const ids: number[] = [];
  const mask: number[] = [];
  const positions: number[] = [];
  const scorePositions: number[] = [];
  const targets: number[] = [];
  rows.forEach((row, r) => {
    for (let j = 0; j < L; j++) {
      ids.push(row[j] ?? 0);
      positions.push(j < row.length ? P + j : 1);
    }
    for (let j = 0; j < P + L; j++) mask.push(j < P + row.length ? 1 : 0);
    for (let k = 0; k < N; k++) {
      scorePositions.push(k < completions[r]!.length ? k : 0);
      targets.push(completions[r]![k] ?? 0);
    }
  });
  const next: Record<string, ort.Tensor> = {
    input_ids: int64(ids, [B, L]),
    attention_mask: int64(mask, [B, P + L]),
    score_positions: int64(scorePositions, [B, N]),
    target_ids: int64(targets, [B, N]),
  };
  if (has('position_ids')) next.position_ids = int64(positions, [B, L]);
  if (has('use_cache_branch')) next.use_cache_branch = new ort.Tensor('bool', new Uint8Array([1]), [1]);
  pastInputs.forEach((m, k) => {
    const present = cached[presentNames[k]!]!;
    const data = present.data as Float32Array | Uint16Array;
    const tiled = new (data.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(data.length * B);
    for (let b = 0; b < B; b++) tiled.set(data, b * data.length);
    next[m.name] = new ort.Tensor(present.type as 'float32', tiled as Float32Array, [B, ...present.dims.slice(1)]);
  });
  const fetches = ['token_logprobs', 'token_entropy', 'target_rank', 'topk_logprobs', 'topk_ids', ...(wantHidden ? ['scored_hidden'] : [])];
  const result = await runner.forward(next, fetches);
  return completions.map((completion, r) => runner.unpackRow(result, r, N, completion.length));
}
