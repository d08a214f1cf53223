/**
 * Deterministic random weights for GPT-2-shaped causal LMs (PrefLens test fixtures and benchmark
 * models; no model hub is reachable where they are needed).
 *
 * Design note:
 * - What: `randomGpt2Weights(config, seed)` returns every GPT-2 parameter as a Float32Array in the
 *   Hugging Face `GPT2LMHeadModel` layout. Linear weights are Conv1D-style `[in, out]`, so
 *   `y = x @ W + b` with no transpose.
 * - Why random but not "default": the init follows the TRL golden fixture (initializer range 0.2,
 *   LayerNorm weights 1 + N(0, 0.1), non-zero biases). Token distributions are then far from flat,
 *   and a wrong bias, LayerNorm or position handling shows up as a large logit difference instead
 *   of hiding behind zeros and ones.
 * - Invariants: the same (config, seed, initRange) gives bit-identical arrays on every platform.
 *   The PRNG is integer mulberry32 plus Box-Muller in float64, with no Math.random and no
 *   platform-dependent math beyond IEEE log/sqrt/cos. Each tensor draws from its own stream, seeded
 *   from (seed, tensor name), so a tensor does not depend on the generation order of the others.
 */

import { mulberry32 } from './prng';

export interface Gpt2Config {
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** LayerNorm epsilon; GPT-2 uses 1e-5. */
  layerNormEps: number;
  /** GPT-2 ties lm_head to wte; the generator only supports tied heads (see gpt2Graph.ts). */
  tieWordEmbeddings: boolean;
}

export interface Gpt2LayerWeights {
  ln1W: Float32Array; // [H]
  ln1B: Float32Array; // [H]
  attnW: Float32Array; // c_attn [H, 3H], columns q | k | v
  attnB: Float32Array; // [3H]
  attnProjW: Float32Array; // attn.c_proj [H, H]
  attnProjB: Float32Array; // [H]
  ln2W: Float32Array; // [H]
  ln2B: Float32Array; // [H]
  fcW: Float32Array; // mlp.c_fc [H, 4H]
  fcB: Float32Array; // [4H]
  mlpProjW: Float32Array; // mlp.c_proj [4H, H]
  mlpProjB: Float32Array; // [H]
}

export interface Gpt2Weights {
  wte: Float32Array; // [V, H]
  wpe: Float32Array; // [P, H]
  layers: Gpt2LayerWeights[];
  lnfW: Float32Array; // [H]
  lnfB: Float32Array; // [H]
}

export interface RandomWeightOptions {
  /** Std of wte and the linear weights (HF `initializer_range`); 0.2 like the golden fixture. */
  initRange?: number;
}

/** GPT-2 defaults other than the sizes. */
export function gpt2Config(sizes: Pick<Gpt2Config, 'vocabSize' | 'nPositions' | 'nEmbd' | 'nLayer' | 'nHead'>): Gpt2Config {
  return { ...sizes, layerNormEps: 1e-5, tieWordEmbeddings: true };
}

export function validateGpt2Config(c: Gpt2Config): void {
  for (const key of ['vocabSize', 'nPositions', 'nEmbd', 'nLayer', 'nHead'] as const) {
    if (!Number.isInteger(c[key]) || c[key] <= 0) throw new Error(`Gpt2Config.${key} must be a positive integer, got ${c[key]}`);
  }
  if (c.nEmbd % c.nHead !== 0) throw new Error(`n_embd ${c.nEmbd} is not divisible by n_head ${c.nHead}`);
  if (!c.tieWordEmbeddings) throw new Error('only tied word embeddings are supported (GPT-2 ties lm_head to wte)');
  if (!(c.layerNormEps > 0)) throw new Error('layerNormEps must be > 0');
}


/** FNV-1a over the seed and the tensor name: a per-tensor stream seed. */
function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  h = Math.imul(h, 0x01000193) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Also fold in the high bits of seeds above 2^32 so that they are not silently aliased.
  h ^= Math.floor(seed / 4294967296) >>> 0;
  return Math.imul(h, 0x01000193) >>> 0;
}

/** Fills `n` values mean + std * N(0, 1) with Box-Muller (both outputs of each pair are used). */
function normal(seed: number, name: string, n: number, mean: number, std: number): Float32Array {
  const rand = mulberry32(streamSeed(seed, name));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // 1 - u keeps the log argument in (0, 1], so no -Infinity.
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const theta = 2 * Math.PI * rand();
    out[i] = mean + std * r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(theta);
  }
  return out;
}

export function randomGpt2Weights(config: Gpt2Config, seed: number, options: RandomWeightOptions = {}): Gpt2Weights {
  validateGpt2Config(config);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative safe integer, got ${seed}`);
  const init = options.initRange ?? 0.2;
  const { vocabSize: V, nPositions: P, nEmbd: H, nLayer: L } = config;
  // GPT-2 scales the residual projections by 1/sqrt(2 * n_layer) so the residual stream does not
  // grow with depth (HF GPT2PreTrainedModel._init_weights); the same applies here so deep models stay sane.
  const projStd = init / Math.sqrt(2 * L);
  const biasStd = 0.02;
  const g = (name: string, n: number, mean: number, std: number): Float32Array => normal(seed, name, n, mean, std);
  const layers: Gpt2LayerWeights[] = [];
  for (let l = 0; l < L; l++) {
    const p = `h.${l}.`;
    layers.push({
      ln1W: g(`${p}ln_1.weight`, H, 1, 0.1),
      ln1B: g(`${p}ln_1.bias`, H, 0, 0.05),
      attnW: g(`${p}attn.c_attn.weight`, H * 3 * H, 0, init),
      attnB: g(`${p}attn.c_attn.bias`, 3 * H, 0, biasStd),
      attnProjW: g(`${p}attn.c_proj.weight`, H * H, 0, projStd),
      attnProjB: g(`${p}attn.c_proj.bias`, H, 0, biasStd),
      ln2W: g(`${p}ln_2.weight`, H, 1, 0.1),
      ln2B: g(`${p}ln_2.bias`, H, 0, 0.05),
      fcW: g(`${p}mlp.c_fc.weight`, H * 4 * H, 0, init),
      fcB: g(`${p}mlp.c_fc.bias`, 4 * H, 0, biasStd),
      mlpProjW: g(`${p}mlp.c_proj.weight`, 4 * H * H, 0, projStd),
      mlpProjB: g(`${p}mlp.c_proj.bias`, H, 0, biasStd),
    });
  }
  return {
    wte: g('wte.weight', V * H, 0, init),
    wpe: g('wpe.weight', P * H, 0, 0.1),
    layers,
    lnfW: g('ln_f.weight', H, 1, 0.1),
    lnfB: g('ln_f.bias', H, 0, 0.05),
  };
}

/** Number of distinct parameters (the tied lm_head counted once, as HF's num_parameters does). */
export function gpt2ParameterCount(c: Gpt2Config): number {
  const H = c.nEmbd;
  const perLayer = 4 * H + (H * 3 * H + 3 * H) + (H * H + H) + (H * 4 * H + 4 * H) + (4 * H * H + H);
  return c.vocabSize * H + c.nPositions * H + c.nLayer * perLayer + 2 * H;
}
