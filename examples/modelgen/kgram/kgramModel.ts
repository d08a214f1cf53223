/**
 * The embedded demo's language model: a small neural k-gram LM (Bengio et al. 2003 style),
 * trained in TypeScript with hand-written gradients so the demo needs no Python and no download.
 *
 * Design note
 * - Position t sees the embeddings of tokens t, t-1, ..., t-k+1 (zeros before the start),
 *   concatenated: x_t in R^{kD}. Then h_t = tanh(W1^T x_t + b1) is the final hidden state (the
 *   LM-head input, as CHES needs) and logits_t = Wout^T h_t + bout score token t+1.
 * - Causal by construction, so right padding never changes earlier positions, and a position
 *   depends only on its k-token window: training and scoring compute just the positions whose
 *   next token is a completion token.
 * - Float64 arithmetic in a fixed order: two trainings give identical weights on one machine.
 * Invariant: `logProbs` equals the exported ONNX graph's log-softmax within float32 rounding.
 */
import { mulberry32 } from '../prng';

export interface KgramConfig {
  vocabSize: number;
  context: number;
  embed: number;
  hidden: number;
}

export interface KgramParams {
  config: KgramConfig;
  E: Float64Array; // [V, D]
  W1: Float64Array; // [k*D, H]
  b1: Float64Array; // [H]
  Wout: Float64Array; // [H, V]
  bout: Float64Array; // [V]
}

export function initParams(config: KgramConfig, seed: number): KgramParams {
  const rand = mulberry32(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const fill = (n: number, std: number): Float64Array => Float64Array.from({ length: n }, () => normal() * std);
  const { vocabSize: V, context: k, embed: D, hidden: H } = config;
  return { config, E: fill(V * D, 0.1), W1: fill(k * D * H, 1 / Math.sqrt(k * D)), b1: new Float64Array(H), Wout: fill(H * V, 1 / Math.sqrt(H)), bout: new Float64Array(V) };
}

export function cloneParams(p: KgramParams): KgramParams {
  return { config: p.config, E: p.E.slice(), W1: p.W1.slice(), b1: p.b1.slice(), Wout: p.Wout.slice(), bout: p.bout.slice() };
}

export function zerosLike(p: KgramParams): KgramParams {
  return { config: p.config, E: new Float64Array(p.E.length), W1: new Float64Array(p.W1.length), b1: new Float64Array(p.b1.length), Wout: new Float64Array(p.Wout.length), bout: new Float64Array(p.bout.length) };
}

/** Hidden state and log-softmax at position t of `ids` (predicting ids[t+1]). */
export function forwardAt(p: KgramParams, ids: readonly number[], t: number, x: Float64Array, h: Float64Array, logits: Float64Array): number {
  const { vocabSize: V, context: k, embed: D, hidden: H } = p.config;
  for (let j = 0; j < k; j++) {
    const tok = t - j >= 0 ? ids[t - j]! : -1;
    for (let d = 0; d < D; d++) x[j * D + d] = tok >= 0 ? p.E[tok * D + d]! : 0;
  }
  for (let u = 0; u < H; u++) {
    let a = p.b1[u]!;
    for (let i = 0; i < k * D; i++) a += x[i]! * p.W1[i * H + u]!;
    h[u] = Math.tanh(a);
  }
  // row-major over Wout so the inner loop walks contiguous memory
  logits.set(p.bout);
  for (let u = 0; u < H; u++) {
    const hu = h[u]!;
    const row = u * V;
    for (let v = 0; v < V; v++) logits[v]! += hu * p.Wout[row + v]!;
  }
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (logits[v]! > max) max = logits[v]!;
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[v]! - max);
  return max + Math.log(sum); // log-sum-exp
}

/** Per-token log-probs of ids[from+1..] (positions from..L-2), as the engine scores them. */
export function logProbs(p: KgramParams, ids: readonly number[], from: number): number[] {
  const { vocabSize: V, context: k, embed: D, hidden: H } = p.config;
  const x = new Float64Array(k * D);
  const h = new Float64Array(H);
  const logits = new Float64Array(V);
  const out: number[] = [];
  for (let t = from; t < ids.length - 1; t++) {
    const lse = forwardAt(p, ids, t, x, h, logits);
    out.push(logits[ids[t + 1]!]! - lse);
  }
  return out;
}

/**
 * Adds weight * d(sum of log p(ids[t+1]), t = from..L-2)/d(params) to `grad` and returns that sum.
 * With weight -1 this is the gradient of the negative log-likelihood.
 */
export function accumulateLogProbGrad(p: KgramParams, grad: KgramParams, ids: readonly number[], from: number, weight: number): number {
  const { vocabSize: V, context: k, embed: D, hidden: H } = p.config;
  const x = new Float64Array(k * D);
  const h = new Float64Array(H);
  const logits = new Float64Array(V);
  const dh = new Float64Array(H);
  const dx = new Float64Array(k * D);
  const g = new Float64Array(V);
  let total = 0;
  for (let t = from; t < ids.length - 1; t++) {
    const target = ids[t + 1]!;
    const lse = forwardAt(p, ids, t, x, h, logits);
    total += logits[target]! - lse;
    // d log p(target) / d logits = onehot - softmax
    for (let v = 0; v < V; v++) g[v] = -weight * Math.exp(logits[v]! - lse);
    g[target]! += weight;
    for (let v = 0; v < V; v++) grad.bout[v]! += g[v]!;
    for (let u = 0; u < H; u++) {
      const hu = h[u]!;
      const row = u * V;
      let acc = 0;
      for (let v = 0; v < V; v++) {
        grad.Wout[row + v]! += g[v]! * hu;
        acc += g[v]! * p.Wout[row + v]!;
      }
      dh[u] = acc;
    }
    dx.fill(0);
    for (let u = 0; u < H; u++) {
      const da = dh[u]! * (1 - h[u]! * h[u]!);
      grad.b1[u]! += da;
      for (let i = 0; i < k * D; i++) {
        grad.W1[i * H + u]! += da * x[i]!;
        dx[i]! += da * p.W1[i * H + u]!;
      }
    }
    for (let j = 0; j < k; j++) {
      const tok = t - j >= 0 ? ids[t - j]! : -1;
      if (tok < 0) continue;
      for (let d = 0; d < D; d++) grad.E[tok * D + d]! += dx[j * D + d]!;
    }
  }
  return total;
}
