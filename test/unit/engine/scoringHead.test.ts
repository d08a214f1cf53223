// The scoring head (native/engine/onnx/scoringHead.ts) on small synthetic LM heads: every output
// against a float64 recomputation from the unmodified graph's own logits, chunked and unchunked
// graphs agree at every chunk boundary, N = 0, opset 12, fp16 logits and a Gemma-style
// soft-capping chain, and the graph's shape (one exp pass over the vocabulary, inside the Loop).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { toFloat16Bits } from '../../../examples/modelgen/gpt2Graph';
import { mulberry32 } from '../../../examples/modelgen/prng';
import { tensorValueInfo, type Message } from '../../../native/engine/onnx/graphEdit';
import { DataType, modelProtoType, onnxRoot } from '../../../native/engine/onnx/onnxSchema';
import { addScoringHead, HEAD_CHUNK_ELEMENTS, type ScoringHeadOptions } from '../../../native/engine/onnx/scoringHead';

const H = 16;
const K = 5;

interface Spec {
  vocab: number;
  opset?: number;
  fp16?: boolean;
  /** Gemma-style soft-capping after the head: tanh(logits / cap) * cap. */
  softcap?: number;
  /** Spread of the logits (larger: sharper distributions). */
  scale?: number;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Multiples of 1/8: products and their sums of H terms are exact in fp32 (and fp16 here), so the
 * logits do not depend on the summation order of whichever MatMul kernel computes them. */
const eighths = (x: number): number => Math.round(x * 8) / 8;

/** hidden [B,T,H] -> MatMul W [H,V] (-> soft-capping) -> logits [B,T,V]; W has two identical columns (ties). */
function buildModel(spec: Spec): Message {
  const rand = mulberry32(spec.vocab * 7 + (spec.fp16 ? 1 : 0));
  const W = Float32Array.from({ length: H * spec.vocab }, () => eighths((rand() - 0.5) * (spec.scale ?? 1)));
  for (let h = 0; h < H; h++) W[h * spec.vocab + 3] = W[h * spec.vocab + 7]!; // tokens 3 and 7 always tie
  const elem = spec.fp16 ? DataType.FLOAT16 : DataType.FLOAT;
  const bytes = (f: Float32Array) => (spec.fp16 ? new Uint8Array(toFloat16Bits(f).buffer) : new Uint8Array(f.buffer));
  const scalar = (name: string, v: number) => ({ name, dims: [], data_type: elem, raw_data: bytes(Float32Array.of(v)) });
  const node: object[] = [{ op_type: 'MatMul', input: ['hidden', 'W'], output: [spec.softcap ? 'raw' : 'logits'], name: 'lm_head' }];
  const initializer: object[] = [{ name: 'W', dims: [H, spec.vocab], data_type: elem, raw_data: bytes(W) }];
  if (spec.softcap) {
    node.push({ op_type: 'Div', input: ['raw', 'cap'], output: ['capped'], name: 'softcap/div' });
    node.push({ op_type: 'Tanh', input: ['capped'], output: ['tanh'], name: 'softcap/tanh' });
    node.push({ op_type: 'Mul', input: ['tanh', 'cap'], output: ['logits'], name: 'softcap/mul' });
    initializer.push(scalar('cap', spec.softcap));
  }
  return modelProtoType().fromObject({
    ir_version: 8,
    opset_import: [{ domain: '', version: spec.opset ?? 14 }],
    producer_name: 'preflens-test',
    graph: {
      name: 'head',
      node,
      initializer,
      input: [tensorValueInfo('hidden', elem, ['batch_size', 'sequence_length', H])],
      output: [tensorValueInfo('logits', elem, ['batch_size', 'sequence_length', spec.vocab])],
    },
  });
}

interface Case {
  hidden: Float32Array;
  B: number;
  T: number;
  positions: number[][];
  targets: number[][];
}

function makeCase(B: number, T: number, N: number, vocab: number, seed: number): Case {
  const rand = mulberry32(seed);
  const hidden = Float32Array.from({ length: B * T * H }, () => eighths((rand() - 0.5) * 4));
  const positions = Array.from({ length: B }, () => Array.from({ length: N }, () => Math.floor(rand() * T)));
  // targets: random, plus the tied tokens and the argmax-prone low ids
  const targets = Array.from({ length: B }, (_, b) => Array.from({ length: N }, (_, n) => ((b + n) % 4 === 0 ? [3, 7][n % 2]! : Math.floor(rand() * vocab))));
  return { hidden, B, T, positions, targets };
}

const encode = (model: Message): Uint8Array => modelProtoType().encode(model).finish();

function hiddenTensor(spec: Spec, c: Case): ort.Tensor {
  return spec.fp16 ? new ort.Tensor('float16', toFloat16Bits(c.hidden), [c.B, c.T, H]) : new ort.Tensor('float32', c.hidden, [c.B, c.T, H]);
}

async function runScoring(spec: Spec, c: Case, options: ScoringHeadOptions): Promise<Record<string, ort.Tensor>> {
  const model = buildModel(spec);
  addScoringHead(model, { topK: K, ...options });
  const session = await ort.InferenceSession.create(encode(model), { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  const N = c.positions[0]!.length;
  const int64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [c.B, N]);
  const out = await session.run({ hidden: hiddenTensor(spec, c), score_positions: int64(c.positions), target_ids: int64(c.targets) });
  await session.release();
  return out;
}

/** The unmodified graph's logits [B,T,V] as float64 (fp16 logits decoded exactly). */
async function originalLogits(spec: Spec, c: Case): Promise<Float64Array> {
  const session = await ort.InferenceSession.create(encode(buildModel(spec)), { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  const out = await session.run({ hidden: hiddenTensor(spec, c) });
  await session.release();
  const data = out.logits!.data;
  return data instanceof Uint16Array ? Float64Array.from(data, halfToFloat) : Float64Array.from(data as Float32Array);
}

/** Every output of the scoring graph against a float64 recomputation from the original logits. */
async function checkAgainstReference(spec: Spec, c: Case, options: ScoringHeadOptions): Promise<void> {
  const V = spec.vocab;
  const out = await runScoring(spec, c, options);
  const logits = await originalLogits(spec, c);
  const N = c.positions[0]!.length;
  assert.deepEqual(out.token_logprobs!.dims, [c.B, N]);
  assert.deepEqual(out.topk_ids!.dims, [c.B, N, K]);
  assert.deepEqual(out.scored_hidden!.dims, [c.B, N, H]);
  const lp = out.token_logprobs!.data as Float32Array;
  const ent = out.token_entropy!.data as Float32Array;
  const rank = out.target_rank!.data as Float32Array;
  const topLp = out.topk_logprobs!.data as Float32Array;
  const topIds = out.topk_ids!.data as BigInt64Array;
  const hidden = out.scored_hidden!.data as Float32Array;
  for (let b = 0; b < c.B; b++) {
    for (let n = 0; n < N; n++) {
      const r = b * N + n;
      const t = c.positions[b]![n]!;
      const lg = logits.subarray((b * c.T + t) * V, (b * c.T + t + 1) * V);
      let max = -Infinity;
      for (const x of lg) max = Math.max(max, x);
      let z = 0;
      let zl = 0;
      for (const x of lg) {
        const e = Math.exp(x - max);
        z += e;
        zl += e * x;
      }
      const lse = max + Math.log(z);
      const target = c.targets[b]![n]!;
      const at = `row ${b}, position ${n}`;
      // fp32 results: a few units in the last place of the largest quantity involved
      const tol = (x: number) => 1e-5 + 4e-7 * Math.max(Math.abs(max), Math.abs(x));
      const wantLp = lg[target]! - lse;
      assert.ok(Math.abs(lp[r]! - wantLp) <= tol(wantLp), `${at}: log-prob ${lp[r]} vs ${wantLp}`);
      assert.ok(Math.abs(ent[r]! - (lse - zl / z)) <= 10 * tol(lse), `${at}: entropy ${ent[r]} vs ${lse - zl / z}`);
      // rank = logits strictly above the target's (ties do not count)
      assert.equal(rank[r], lg.filter((x) => x > lg[target]!).length, `${at}: rank`);
      const sorted = Array.from(lg).sort((x, y) => y - x);
      for (let k = 0; k < K; k++) {
        const id = Number(topIds[r * K + k]);
        assert.equal(lg[id], sorted[k], `${at}: top-${k} id ${id}`);
        assert.ok(Math.abs(topLp[r * K + k]! - (lg[id]! - lse)) <= tol(lg[id]! - lse), `${at}: top-${k} log-prob`);
      }
      for (let h = 0; h < H; h++) {
        const want = spec.fp16 ? halfToFloat(toFloat16Bits(Float32Array.of(c.hidden[(b * c.T + t) * H + h]!))[0]!) : c.hidden[(b * c.T + t) * H + h]!;
        assert.equal(hidden[r * H + h], want, `${at}: scored_hidden[${h}]`);
      }
    }
  }
}

test('every output equals a float64 recomputation from the original logits, chunked and in one piece', async () => {
  const spec: Spec = { vocab: 1009, scale: 2 };
  const c = makeCase(2, 12, 9, spec.vocab, 1);
  for (const chunkRows of [1000, 4, 1]) await checkAgainstReference(spec, c, { chunkRows });
  await checkAgainstReference(spec, c, {}); // the default chunking
});

test('sharp distributions, soft-capping chain, opset 12 and fp16 logits keep the same accuracy', async () => {
  await checkAgainstReference({ vocab: 503, scale: 40 }, makeCase(3, 9, 5, 503, 2), { chunkRows: 4 });
  await checkAgainstReference({ vocab: 503, scale: 40, softcap: 30 }, makeCase(2, 9, 5, 503, 3), { chunkRows: 3 });
  await checkAgainstReference({ vocab: 503, scale: 2, opset: 12 }, makeCase(2, 9, 6, 503, 4), { chunkRows: 5 });
  await checkAgainstReference({ vocab: 503, scale: 2, opset: 12 }, makeCase(2, 9, 6, 503, 4), { chunkRows: 1000 });
  await checkAgainstReference({ vocab: 503, scale: 2, fp16: true }, makeCase(2, 9, 6, 503, 5), { chunkRows: 4 });
});

test('chunked and one-piece graphs agree for every batch, chunk size and boundary', async () => {
  const spec: Spec = { vocab: 257, scale: 3 };
  for (const [B, N] of [[1, 1], [1, 13], [3, 7], [5, 2]] as const) {
    const c = makeCase(B, 16, N, spec.vocab, 10 + B * N);
    const whole = await runScoring(spec, c, { chunkRows: B * N });
    // rows per chunk below, at and above B (one position per row and chunk, uneven last chunks)
    for (const chunkRows of [1, 2, B, 2 * B + 1, 64]) {
      const chunked = await runScoring(spec, c, { chunkRows });
      for (const name of ['token_logprobs', 'token_entropy', 'target_rank', 'topk_logprobs', 'topk_ids', 'scored_hidden']) {
        assert.deepEqual(chunked[name]!.dims, whole[name]!.dims, `${name} dims, B=${B} N=${N} rows=${chunkRows}`);
        const a = Array.from(chunked[name]!.data as ArrayLike<number | bigint>, Number);
        const w = Array.from(whole[name]!.data as ArrayLike<number | bigint>, Number);
        a.forEach((v, i) => assert.ok(Math.abs(v - w[i]!) <= 1e-5, `${name}[${i}] ${v} vs ${w[i]}, B=${B} N=${N} rows=${chunkRows}`));
      }
    }
  }
});

// (the head before the Loop crashed the process with SIGFPE on an empty [B, 0, V] reduction)
test('no scored positions (N = 0) gives empty outputs instead of failing', async () => {
  const spec: Spec = { vocab: 257 };
  const c: Case = { ...makeCase(2, 4, 1, spec.vocab, 20), positions: [[], []], targets: [[], []] };
  for (const chunkRows of [1, 3, 1000]) {
    const out = await runScoring(spec, c, { chunkRows });
    assert.deepEqual(out.token_logprobs!.dims, [2, 0]);
    assert.deepEqual(out.target_rank!.dims, [2, 0]);
    assert.deepEqual(out.topk_ids!.dims, [2, 0, K]);
    assert.deepEqual(out.topk_logprobs!.dims, [2, 0, K]);
  }
});

test('the graph makes one exp pass over the vocabulary, inside a Loop sized from the vocabulary', () => {
  const model = buildModel({ vocab: 50_000 });
  addScoringHead(model, { topK: K });
  const ops = (nodes: Message[]): string[] => nodes.map((n) => n.op_type as string);
  const loop = (model.graph.node as Message[]).find((n) => n.op_type === 'Loop');
  assert.ok(loop, 'the vocabulary-sized part runs in a Loop');
  const body = ops(loop.attribute.find((a: Message) => a.name === 'body').g.node as Message[]);
  const outer = ops(model.graph.node as Message[]);
  assert.deepEqual(body.filter((op) => op === 'Softmax'), ['Softmax'], 'one Softmax per chunk');
  for (const op of ['LogSoftmax', 'ReduceLogSumExp', 'Exp', 'ReduceMax']) assert.ok(!body.includes(op) && !outer.includes(op), `no ${op}`);
  assert.ok(!outer.includes('MatMul') && !outer.includes('Softmax'), 'nothing vocabulary-sized outside the Loop');
  const rows = (model.graph.initializer as Message[]).find((t) => t.name === 'preflens/chunk_rows');
  assert.equal(Number(rows.int64_data[0]), Math.floor(HEAD_CHUNK_ELEMENTS / 50_000));
  // the model round-trips through the protobuf encoding with its Loop body
  const decoded = modelProtoType().decode(encode(model)) as Message;
  assert.equal(onnxRoot().lookupType('onnx.ModelProto').verify(decoded), null);
  assert.ok((decoded.graph.node as Message[]).some((n) => n.op_type === 'Loop' && n.attribute[0].g.node.length === loop.attribute[0].g.node.length));
});
