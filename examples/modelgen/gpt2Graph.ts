/**
 * Builds a GPT-2 causal LM as a real ONNX model with the optimum `text-generation-with-past` I/O
 * contract (ENGINE-NOTES §1.2). PrefLens's fixtures and benchmark models come from here.
 *
 * Design note:
 * - What: standard default-domain ops at opset 14 (no contrib ops), laid out the way
 *   `torch.onnx` / optimum exports GPT-2 (see the TRL golden `model.onnx`):
 *   - decomposed LayerNorm (ReduceMean/Sub/Pow/Sqrt/Div), gelu_new as the tanh formula;
 *   - the attention mask as `Where(causal AND attention_mask > 0, scores, finfo.min)`;
 *   - `present.i.* = Concat(past, new, axis=2)`;
 *   - a final `MatMul(ln_f, W[H,V])` that writes `logits` directly, with W a transposed copy of
 *     wte stored as its own initializer, like the golden export. PrefLens's lm_head finder relies on that.
 * - Why: PrefLens reads real exports. Any graph that runs is not enough; the I/O names, dtypes,
 *   symbolic dims and the lm_head shape are the contract under test. Zero-length past gives a full
 *   forward, and a non-empty past gives a KV-cache continuation.
 * - Invariants: the output is deterministic, with no timestamps or random names. Node and tensor
 *   names are unique. float16 models keep float16 weights, activations, past/present and logits,
 *   like `optimum-cli --dtype fp16`. External data goes to one sidecar `model.onnx_data` with
 *   aligned offsets, and only the weight initializers go there; small constants stay inline.
 */
import { AttributeType, DataType, modelProtoType } from '../../native/engine/onnx/onnxSchema';
import type { Gpt2Config, Gpt2Weights } from './gpt2Weights';
import { validateGpt2Config } from './gpt2Weights';

export type Gpt2Dtype = 'float32' | 'float16';

export interface BuildGpt2Options {
  dtype: Gpt2Dtype;
  /** Put the weights in a sidecar file (returned as `externalData`) instead of inside the model. */
  externalData?: boolean;
  /** Sidecar file name recorded in each TensorProto.external_data `location`. */
  externalDataName?: string;
}

export interface BuiltGpt2Onnx {
  model: Uint8Array;
  externalData?: Uint8Array;
}

const OPSET = 14;
const IR_VERSION = 8;
const FP32_MIN = -3.4028234663852886e38; // torch.finfo(torch.float32).min, what HF masks with
const FP16_MIN = -65504; // torch.finfo(torch.float16).min

/** float32 -> IEEE binary16 bits, round to nearest even (the way torch's .half() rounds). */
export function toFloat16Bits(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < src.length; i++) {
    f[0] = src[i]!;
    const x = u[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) { out[i] = sign | 0x7c00 | (mant ? 0x200 : 0); continue; } // Inf / NaN
    const e = exp - 127 + 15;
    if (e >= 0x1f) { out[i] = sign | 0x7c00; continue; } // overflow -> Inf
    if (e <= 0) {
      if (e < -10) { out[i] = sign; continue; } // underflows to signed zero
      mant |= 0x800000; // subnormal: make the implicit bit explicit, then shift it into place
      const shift = 14 - e;
      let h = mant >>> shift;
      const rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
      if (rem > half || (rem === half && (h & 1))) h++;
      out[i] = sign | h;
      continue;
    }
    let h = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++; // a carry may round up to Inf: correct
    out[i] = sign | h;
  }
  return out;
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

interface Tensor { name: string; dims: number[]; data_type: number; raw_data?: Uint8Array; data_location?: number; external_data?: { key: string; value: string }[] }
interface Attr { name: string; type: number; i?: number; f?: number; ints?: number[]; t?: Tensor }

/** A small append-only graph builder; names are deterministic counters per scope. */
class Graph {
  readonly nodes: object[] = [];
  readonly weights: { tensor: Tensor; bytes: Uint8Array }[] = [];
  private used = new Map<string, number>();
  constructor(readonly floatType: number) {}

  private unique(base: string): string {
    const n = this.used.get(base) ?? 0;
    this.used.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }

  /** Adds a node; returns its output names (`nOut` of them, or the given names). */
  op(scope: string, opType: string, inputs: string[], attrs: Attr[] = [], outputs: number | string[] = 1): string[] {
    const name = this.unique(`/${scope}/${opType}`);
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => `${name}_output_${i}`) : outputs;
    this.nodes.push({ name, op_type: opType, input: inputs, output: outs, attribute: attrs });
    return outs;
  }

  op1(scope: string, opType: string, inputs: string[], attrs: Attr[] = []): string {
    return this.op(scope, opType, inputs, attrs)[0]!;
  }

  private constant(scope: string, tensor: Omit<Tensor, 'name'>): string {
    return this.op1(scope, 'Constant', [], [{ name: 'value', type: AttributeType.TENSOR, t: { name: '', ...tensor } }]);
  }

  int64s(scope: string, values: number[], scalar = false): string {
    return this.constant(scope, { dims: scalar ? [] : [values.length], data_type: DataType.INT64, raw_data: bytesOf(BigInt64Array.from(values, BigInt)) });
  }

  /** A scalar in the activation dtype (a float16 graph must not mix in float32 constants). */
  scalar(scope: string, value: number): string {
    const f = Float32Array.of(value);
    const raw = this.floatType === DataType.FLOAT16 ? bytesOf(toFloat16Bits(f)) : bytesOf(f);
    return this.constant(scope, { dims: [], data_type: this.floatType, raw_data: raw });
  }

  weight(name: string, data: Float32Array, dims: number[]): string {
    const bytes = this.floatType === DataType.FLOAT16 ? bytesOf(toFloat16Bits(data)) : bytesOf(data);
    this.weights.push({ tensor: { name, dims, data_type: this.floatType }, bytes });
    return name;
  }
}

const ints = (name: string, v: number[]): Attr => ({ name, type: AttributeType.INTS, ints: v });
const int = (name: string, v: number): Attr => ({ name, type: AttributeType.INT, i: v });

function valueInfo(name: string, elemType: number, dims: (number | string)[]): object {
  const dim = dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim } } } };
}

function layerNorm(g: Graph, scope: string, x: string, w: string, b: string, eps: number): string {
  const mean = g.op1(scope, 'ReduceMean', [x], [ints('axes', [-1])]);
  const d = g.op1(scope, 'Sub', [x, mean]);
  const v = g.op1(scope, 'ReduceMean', [g.op1(scope, 'Pow', [d, g.scalar(scope, 2)])], [ints('axes', [-1])]);
  const std = g.op1(scope, 'Sqrt', [g.op1(scope, 'Add', [v, g.scalar(scope, eps)])]);
  return g.op1(scope, 'Add', [g.op1(scope, 'Mul', [g.op1(scope, 'Div', [d, std]), w]), b]);
}

/** HF gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
function geluNew(g: Graph, scope: string, x: string): string {
  const cube = g.op1(scope, 'Mul', [g.op1(scope, 'Pow', [x, g.scalar(scope, 3)]), g.scalar(scope, 0.044715)]);
  const inner = g.op1(scope, 'Mul', [g.op1(scope, 'Add', [x, cube]), g.scalar(scope, Math.sqrt(2 / Math.PI))]);
  const t = g.op1(scope, 'Add', [g.op1(scope, 'Tanh', [inner]), g.scalar(scope, 1)]);
  return g.op1(scope, 'Mul', [g.op1(scope, 'Mul', [x, g.scalar(scope, 0.5)]), t]);
}

function linear(g: Graph, scope: string, x: string, w: string, b: string): string {
  return g.op1(scope, 'Add', [g.op1(scope, 'MatMul', [x, w]), b]);
}

export function buildGpt2Onnx(config: Gpt2Config, weights: Gpt2Weights, options: BuildGpt2Options): BuiltGpt2Onnx {
  validateGpt2Config(config);
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('raw_data is little-endian; a big-endian host is not supported');
  const { vocabSize: V, nPositions: P, nEmbd: H, nLayer: L, nHead: A } = config;
  const hd = H / A;
  const floatType = options.dtype === 'float16' ? DataType.FLOAT16 : DataType.FLOAT;
  const g = new Graph(floatType);
  const check = (what: string, a: Float32Array, n: number): Float32Array => {
    if (a.length !== n) throw new Error(`${what} has ${a.length} values, expected ${n}`);
    return a;
  };

  // Embeddings.
  const wte = g.weight('transformer.wte.weight', check('wte', weights.wte, V * H), [V, H]);
  const wpe = g.weight('transformer.wpe.weight', check('wpe', weights.wpe, P * H), [P, H]);
  let x = g.op1('transformer', 'Add', [g.op1('transformer/wte', 'Gather', [wte, 'input_ids']), g.op1('transformer/wpe', 'Gather', [wpe, 'position_ids'])]);

  // Mask shared by all layers: query t (absolute position K - S + t) may see key j iff j <= that
  // position AND attention_mask[b, j] > 0. Shape [B, 1, S, K], broadcast over heads.
  const m = 'transformer/mask';
  const one = g.int64s(m, [1], true);
  const seqLen = g.op1(m, 'Gather', [g.op1(m, 'Shape', ['input_ids']), one], [int('axis', 0)]);
  const total = g.op1(m, 'Gather', [g.op1(m, 'Shape', ['attention_mask']), one], [int('axis', 0)]);
  const qPos = g.op1(m, 'Range', [g.op1(m, 'Sub', [total, seqLen]), total, one]);
  const kPos = g.op1(m, 'Range', [g.int64s(m, [0], true), total, one]);
  const causal = g.op1(m, 'LessOrEqual', [g.op1(m, 'Unsqueeze', [kPos, g.int64s(m, [0])]), g.op1(m, 'Unsqueeze', [qPos, g.int64s(m, [1])])]);
  const keep = g.op1(m, 'Unsqueeze', [g.op1(m, 'Greater', ['attention_mask', g.int64s(m, [0], true)]), g.int64s(m, [1, 2])]);
  const allowed = g.op1(m, 'And', [causal, keep]);

  const pastType = floatType;
  const inputs = [
    valueInfo('input_ids', DataType.INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', DataType.INT64, ['batch_size', 'past_sequence_length + sequence_length']),
    valueInfo('position_ids', DataType.INT64, ['batch_size', 'sequence_length']),
  ];
  const outputs = [valueInfo('logits', floatType, ['batch_size', 'sequence_length', V])];

  if (weights.layers.length !== L) throw new Error(`weights have ${weights.layers.length} layers, config ${L}`);
  // Inputs and outputs follow optimum's order: ids, mask, positions, then past/present by layer, key before value.
  for (let l = 0; l < L; l++) {
    const w = weights.layers[l]!;
    const s = `transformer/h.${l}`;
    const p = `transformer.h.${l}.`;
    const pastK = `past_key_values.${l}.key`, pastV = `past_key_values.${l}.value`;
    const presK = `present.${l}.key`, presV = `present.${l}.value`;
    inputs.push(valueInfo(pastK, pastType, ['batch_size', A, 'past_sequence_length', hd]), valueInfo(pastV, pastType, ['batch_size', A, 'past_sequence_length', hd]));
    outputs.push(valueInfo(presK, pastType, ['batch_size', A, 'past_sequence_length + sequence_length', hd]), valueInfo(presV, pastType, ['batch_size', A, 'past_sequence_length + sequence_length', hd]));

    // Attention block (pre-LN).
    const h1 = layerNorm(g, `${s}/ln_1`, x, g.weight(`${p}ln_1.weight`, check('ln_1.w', w.ln1W, H), [H]), g.weight(`${p}ln_1.bias`, check('ln_1.b', w.ln1B, H), [H]), config.layerNormEps);
    const qkv = linear(g, `${s}/attn/c_attn`, h1, g.weight(`${p}attn.c_attn.weight`, check('c_attn.w', w.attnW, H * 3 * H), [H, 3 * H]), g.weight(`${p}attn.c_attn.bias`, check('c_attn.b', w.attnB, 3 * H), [3 * H]));
    const [q, k, v] = g.op(`${s}/attn`, 'Split', [qkv, g.int64s(`${s}/attn`, [H, H, H])], [int('axis', 2)], 3) as [string, string, string];
    const heads = g.int64s(`${s}/attn`, [0, 0, A, hd]); // 0 = copy B and S from the input (allowzero=0)
    const split = (t: string): string => g.op1(`${s}/attn`, 'Transpose', [g.op1(`${s}/attn`, 'Reshape', [t, heads])], [ints('perm', [0, 2, 1, 3])]);
    g.op(`${s}/attn`, 'Concat', [pastK, split(k)], [int('axis', 2)], [presK]);
    g.op(`${s}/attn`, 'Concat', [pastV, split(v)], [int('axis', 2)], [presV]);
    const kT = g.op1(`${s}/attn`, 'Transpose', [presK], [ints('perm', [0, 1, 3, 2])]);
    const scores = g.op1(`${s}/attn`, 'Mul', [g.op1(`${s}/attn`, 'MatMul', [split(q), kT]), g.scalar(`${s}/attn`, 1 / Math.sqrt(hd))]);
    // Masked scores become finfo.min (not -Inf), so a fully masked row gives a uniform softmax, not NaN, as in HF.
    const masked = g.op1(`${s}/attn`, 'Where', [allowed, scores, g.scalar(`${s}/attn`, floatType === DataType.FLOAT16 ? FP16_MIN : FP32_MIN)]);
    const probs = g.op1(`${s}/attn`, 'Softmax', [masked], [int('axis', -1)]);
    const ctx = g.op1(`${s}/attn`, 'MatMul', [probs, presV]);
    const merged = g.op1(`${s}/attn`, 'Reshape', [g.op1(`${s}/attn`, 'Transpose', [ctx], [ints('perm', [0, 2, 1, 3])]), g.int64s(`${s}/attn`, [0, 0, H])]);
    const attnOut = linear(g, `${s}/attn/c_proj`, merged, g.weight(`${p}attn.c_proj.weight`, check('attn.c_proj.w', w.attnProjW, H * H), [H, H]), g.weight(`${p}attn.c_proj.bias`, check('attn.c_proj.b', w.attnProjB, H), [H]));
    x = g.op1(s, 'Add', [x, attnOut]);

    // MLP block (pre-LN).
    const h2 = layerNorm(g, `${s}/ln_2`, x, g.weight(`${p}ln_2.weight`, check('ln_2.w', w.ln2W, H), [H]), g.weight(`${p}ln_2.bias`, check('ln_2.b', w.ln2B, H), [H]), config.layerNormEps);
    const fc = linear(g, `${s}/mlp/c_fc`, h2, g.weight(`${p}mlp.c_fc.weight`, check('c_fc.w', w.fcW, H * 4 * H), [H, 4 * H]), g.weight(`${p}mlp.c_fc.bias`, check('c_fc.b', w.fcB, 4 * H), [4 * H]));
    const mlpOut = linear(g, `${s}/mlp/c_proj`, geluNew(g, `${s}/mlp/act`, fc), g.weight(`${p}mlp.c_proj.weight`, check('mlp.c_proj.w', w.mlpProjW, 4 * H * H), [4 * H, H]), g.weight(`${p}mlp.c_proj.bias`, check('mlp.c_proj.b', w.mlpProjB, H), [H]));
    x = g.op1(s, 'Add', [x, mlpOut]);
  }

  const hidden = layerNorm(g, 'transformer/ln_f', x, g.weight('transformer.ln_f.weight', check('ln_f.w', weights.lnfW, H), [H]), g.weight('transformer.ln_f.bias', check('ln_f.b', weights.lnfB, H), [H]), config.layerNormEps);
  // Tied lm_head stored as its own [H, V] initializer (a transposed copy of wte), like torch.onnx
  // exports: the final node is a plain MatMul with an initializer weight, so PrefLens's head surgery finds it.
  const wteT = new Float32Array(H * V);
  for (let vi = 0; vi < V; vi++) for (let hi = 0; hi < H; hi++) wteT[hi * V + vi] = weights.wte[vi * H + hi]!;
  g.op('lm_head', 'MatMul', [hidden, g.weight('lm_head.weight_transposed', wteT, [H, V])], [], ['logits']);

  const externalName = options.externalDataName ?? 'model.onnx_data';
  let externalData: Uint8Array | undefined;
  if (options.externalData) {
    // Align every tensor to 64 bytes and the large ones (> 1 MiB) to 4096, as onnx's
    // convert_model_to_external_data does, so a runtime can mmap them.
    let size = 0;
    const offsets = g.weights.map(({ bytes }) => {
      size = Math.ceil(size / (bytes.length > 1 << 20 ? 4096 : 64)) * (bytes.length > 1 << 20 ? 4096 : 64);
      const at = size;
      size += bytes.length;
      return at;
    });
    externalData = new Uint8Array(size);
    g.weights.forEach(({ tensor, bytes }, i) => {
      externalData!.set(bytes, offsets[i]!);
      tensor.data_location = 1; // TensorProto.DataLocation.EXTERNAL
      tensor.external_data = [{ key: 'location', value: externalName }, { key: 'offset', value: String(offsets[i]) }, { key: 'length', value: String(bytes.length) }];
    });
  } else {
    for (const w of g.weights) w.tensor.raw_data = w.bytes;
  }

  const type = modelProtoType();
  const model = type.encode(type.fromObject({
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: OPSET }],
    producer_name: 'preflens-modelgen',
    producer_version: '1',
    doc_string: `GPT-2 (V=${V}, P=${P}, H=${H}, L=${L}, A=${A}, ${options.dtype}) with random weights, generated by PrefLens examples/modelgen`,
    graph: { name: 'main_graph', node: g.nodes, initializer: g.weights.map((w) => w.tensor), input: inputs, output: outputs },
  })).finish();
  return externalData ? { model, externalData } : { model };
}
