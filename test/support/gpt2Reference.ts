/**
 * An independent GPT-2 forward pass in plain TypeScript, used to check the ONNX models that
 * examples/modelgen builds.
 *
 * Design note:
 * - What: the Hugging Face `GPT2LMHeadModel` math for ONE unpadded sequence, in float64, with plain
 *   loops: token + position embeddings; per layer pre-LN causal self-attention and a gelu_new MLP,
 *   each with a residual; the final ln_f; a tied lm_head (`logits[v] = hidden . wte[v]`).
 * - Why independent: the graph builder and this file share only the weight object. A mistake in
 *   either one (head split order, Conv1D `[in, out]` layout, scaling, LayerNorm eps, position
 *   handling, gelu variant) then shows up as a disagreement and does not cancel out. Float64
 *   makes this the accurate side of any comparison.
 * - Invariants: the attention is causal over the array order (the sequence has no padding). Positions
 *   default to 0..T-1, and explicit `positionIds` only change the wpe rows, like HF's `position_ids`.
 *   The input is never mutated.
 */
import type { Gpt2Config, Gpt2Weights } from '../../examples/modelgen/gpt2Weights';

type Vec = Float64Array;

function layerNorm(x: Vec, w: Float32Array, b: Float32Array, eps: number): Vec {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i]! - mean) ** 2;
  variance /= n; // biased variance, as torch.nn.LayerNorm
  const inv = 1 / Math.sqrt(variance + eps);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (x[i]! - mean) * inv * w[i]! + b[i]!;
  return out;
}

/** y = x @ W + b with W stored row-major [inDim, outDim] (GPT-2 Conv1D layout). */
function affine(x: Vec, w: Float32Array, b: Float32Array, outDim: number): Vec {
  const y = new Float64Array(outDim);
  for (let o = 0; o < outDim; o++) y[o] = b[o]!;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const row = i * outDim;
    for (let o = 0; o < outDim; o++) y[o] = y[o]! + xi * w[row + o]!;
  }
  return y;
}

/** HF ACT2FN['gelu_new'] (NewGELUActivation), the tanh approximation. */
function geluNew(v: number): number {
  return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
}

function checkInputs(config: Gpt2Config, inputIds: number[], positionIds: number[] | undefined): number[] {
  if (inputIds.length === 0) throw new Error('empty sequence');
  const positions = positionIds ?? inputIds.map((_, t) => t);
  if (positions.length !== inputIds.length) throw new Error('positionIds and inputIds differ in length');
  for (const id of inputIds) if (!Number.isInteger(id) || id < 0 || id >= config.vocabSize) throw new Error(`token id ${id} out of range`);
  for (const p of positions) if (!Number.isInteger(p) || p < 0 || p >= config.nPositions) throw new Error(`position ${p} out of range`);
  return positions;
}

/** The final hidden state per position: after ln_f, the input of the lm_head. */
export function referenceHidden(config: Gpt2Config, weights: Gpt2Weights, inputIds: number[], positionIds?: number[]): Float64Array[] {
  const positions = checkInputs(config, inputIds, positionIds);
  const H = config.nEmbd, A = config.nHead, D = H / A, T = inputIds.length, eps = config.layerNormEps;

  // Residual stream, one vector per position.
  const x: Vec[] = inputIds.map((id, t) => {
    const v = new Float64Array(H);
    for (let i = 0; i < H; i++) v[i] = weights.wte[id * H + i]! + weights.wpe[positions[t]! * H + i]!;
    return v;
  });

  for (const layer of weights.layers) {
    // c_attn output columns are [q (H) | k (H) | v (H)]; head a owns columns a*D .. a*D+D-1 of each.
    const qkv = x.map((v) => affine(layerNorm(v, layer.ln1W, layer.ln1B, eps), layer.attnW, layer.attnB, 3 * H));
    const ctx = x.map(() => new Float64Array(H));
    for (let a = 0; a < A; a++) {
      const off = a * D;
      for (let t = 0; t < T; t++) {
        const q = qkv[t]!;
        const scores = new Float64Array(t + 1);
        let max = -Infinity;
        for (let j = 0; j <= t; j++) {
          const k = qkv[j]!;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[off + d]! * k[H + off + d]!;
          scores[j] = dot / Math.sqrt(D);
          if (scores[j]! > max) max = scores[j]!;
        }
        let sum = 0;
        for (let j = 0; j <= t; j++) {
          scores[j] = Math.exp(scores[j]! - max);
          sum += scores[j]!;
        }
        const out = ctx[t]!;
        for (let j = 0; j <= t; j++) {
          const p = scores[j]! / sum;
          const vv = qkv[j]!;
          for (let d = 0; d < D; d++) out[off + d] = out[off + d]! + p * vv[2 * H + off + d]!;
        }
      }
    }
    for (let t = 0; t < T; t++) {
      const attn = affine(ctx[t]!, layer.attnProjW, layer.attnProjB, H);
      const xt = x[t]!;
      for (let i = 0; i < H; i++) xt[i] = xt[i]! + attn[i]!;
      const fc = affine(layerNorm(xt, layer.ln2W, layer.ln2B, eps), layer.fcW, layer.fcB, 4 * H);
      for (let i = 0; i < fc.length; i++) fc[i] = geluNew(fc[i]!);
      const mlp = affine(fc, layer.mlpProjW, layer.mlpProjB, H);
      for (let i = 0; i < H; i++) xt[i] = xt[i]! + mlp[i]!;
    }
  }
  return x.map((v) => layerNorm(v, weights.lnfW, weights.lnfB, eps));
}

/** Vocabulary logits per position (tied lm_head: logits[v] = hidden . wte[v]). */
export function referenceLogits(config: Gpt2Config, weights: Gpt2Weights, inputIds: number[], positionIds?: number[]): Float64Array[] {
  const H = config.nEmbd, V = config.vocabSize;
  return referenceHidden(config, weights, inputIds, positionIds).map((h) => {
    const row = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      let dot = 0;
      for (let i = 0; i < H; i++) dot += h[i]! * weights.wte[v * H + i]!;
      row[v] = dot;
    }
    return row;
  });
}

/** log_softmax(row)[target] in float64 with the max shift. */
export function logSoftmaxAt(row: ArrayLike<number>, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
  return row[target]! - max - Math.log(sum);
}

/**
 * Next-token log-probs: entry t is log p(inputIds[t+1] | inputIds[0..t]), for t = 0..T-2. This is
 * TRL's `selective_log_softmax(logits[:, :-1], input_ids[:, 1:])` for one unpadded row.
 */
export function referenceLogSoftmaxTargets(config: Gpt2Config, weights: Gpt2Weights, inputIds: number[], positionIds?: number[]): Float64Array {
  const logits = referenceLogits(config, weights, inputIds, positionIds);
  const out = new Float64Array(inputIds.length - 1);
  for (let t = 0; t + 1 < inputIds.length; t++) out[t] = logSoftmaxAt(logits[t]!, inputIds[t + 1]!);
  return out;
}
