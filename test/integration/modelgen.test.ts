// The GPT-2 generator (examples/modelgen) writes ONNX models that ONNX Runtime loads and that
// agree with the independent float64 reference (test/support/gpt2Reference.ts). The checks are
// full forward, padding, KV-cache continuation, fp16, external data and determinism. The last
// test times a GPT-2-small-sized generation and deletes it afterwards.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { modelProtoType } from '../../native/engine/onnx/onnxSchema';
import { toFloat16Bits } from '../../examples/modelgen/gpt2Graph';
import { gpt2Config, gpt2ParameterCount, type Gpt2Config } from '../../examples/modelgen/gpt2Weights';
import { writeModelFolder, type WriteModelFolderOptions } from '../../examples/modelgen/writeModelFolder';
import { referenceLogits } from '../support/gpt2Reference';

const TOKENIZER = resolve('test/fixtures/trl-golden/models/reference');
const SMALL = gpt2Config({ vocabSize: 859, nLayer: 2, nEmbd: 64, nHead: 4, nPositions: 128 });
const HEAD_DIM = SMALL.nEmbd / SMALL.nHead;
const PAD = 856;
const root = mkdtempSync(join(tmpdir(), 'preflens-modelgen-'));
after(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
const generate = (opts: Partial<WriteModelFolderOptions> = {}) =>
  writeModelFolder(join(root, `m${folders++}`), { config: SMALL, seed: 8484, tokenizerDir: TOKENIZER, ...opts });
const open = (path: string) => ort.InferenceSession.create(path, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });

/** Deterministic token ids, including the special tokens at the top of the tokenizer vocabulary. */
const sequence = (n: number, salt: number): number[] => Array.from({ length: n }, (_, i) => (i * 131 + salt * 17 + ((i * i) % 7)) % SMALL.vocabSize);

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

interface Batch { ids: number[][]; mask?: number[][]; positions?: number[][] }

/** Runs one batch; rows must have equal length. Returns logits as float32 and the present tensors. */
async function run(session: ort.InferenceSession, config: Gpt2Config, batch: Batch, past?: Record<string, ort.Tensor>, pastLen = 0) {
  const B = batch.ids.length, T = batch.ids[0]!.length;
  const mask = batch.mask ?? batch.ids.map(() => new Array<number>(pastLen + T).fill(1));
  const positions = batch.positions ?? batch.ids.map(() => Array.from({ length: T }, (_, t) => pastLen + t));
  const i64 = (rows: number[][]) => BigInt64Array.from(rows.flat(), BigInt);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', i64(batch.ids), [B, T]),
    attention_mask: new ort.Tensor('int64', i64(mask), [B, mask[0]!.length]),
    position_ids: new ort.Tensor('int64', i64(positions), [B, T]),
  };
  const half = session.inputMetadata.some((m) => m.isTensor && m.name.startsWith('past_') && m.type === 'float16');
  for (let l = 0; l < config.nLayer; l++) {
    for (const kv of ['key', 'value']) {
      const name = `past_key_values.${l}.${kv}`;
      // Zero-length past = a full forward (ENGINE-NOTES §1.3).
      feeds[name] = past?.[`present.${l}.${kv}`] ?? (half ? new ort.Tensor('float16', new Uint16Array(0), [B, config.nHead, 0, config.nEmbd / config.nHead]) : new ort.Tensor('float32', new Float32Array(0), [B, config.nHead, 0, config.nEmbd / config.nHead]));
    }
  }
  const out = await session.run(feeds);
  const raw = out.logits!.data as Float32Array | Uint16Array;
  const logits = raw instanceof Uint16Array ? Float32Array.from(raw, halfToFloat) : raw;
  return { logits, out, row: (b: number, t: number) => logits.subarray((b * T + t) * config.vocabSize, (b * T + t + 1) * config.vocabSize) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const fp32 = generate();
const fp32Session = open(fp32.modelPath);

test('float16 conversion rounds to nearest even and saturates like torch .half()', () => {
  const got = toFloat16Bits(Float32Array.of(1, -2, 0.1, 65504, 65520, 1e-8, 2 ** -24, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -0));
  assert.deepEqual([...got], [0x3c00, 0xc000, 0x2e66, 0x7bff, 0x7c00, 0, 1, 0x3c00, 0x3c02, 0x8000]);
});

test('the folder and graph follow the optimum text-generation-with-past layout', async () => {
  assert.deepEqual(fp32.files, ['config.json', 'generation_config.json', 'onnx/model.onnx', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
  const cfg = JSON.parse(readFileSync(join(fp32.dir, 'config.json'), 'utf8'));
  assert.equal(cfg.model_type, 'gpt2');
  assert.deepEqual([cfg.vocab_size, cfg.n_layer, cfg.n_embd, cfg.n_head, cfg.n_positions], [859, 2, 64, 4, 128]);
  assert.deepEqual([cfg.eos_token_id, cfg.pad_token_id, cfg.bos_token_id], [858, 856, null]);
  const s = await fp32Session;
  assert.deepEqual(s.inputNames, ['input_ids', 'attention_mask', 'position_ids', 'past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value']);
  assert.deepEqual(s.outputNames, ['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
  const meta = Object.fromEntries(s.inputMetadata.map((m) => [m.name, m.isTensor ? m.shape : []]));
  assert.deepEqual(meta.attention_mask, ['batch_size', 'past_sequence_length + sequence_length']);
  assert.deepEqual(meta['past_key_values.1.value'], ['batch_size', 4, 'past_sequence_length', HEAD_DIM]);
  const type = modelProtoType();
  const model = type.toObject(type.decode(readFileSync(fp32.modelPath)), { longs: Number }) as { opset_import: { domain?: string; version: number }[]; graph: { node: { op_type: string; domain?: string; input: string[]; output: string[] }[]; initializer: { name: string; dims: number[] }[] } };
  assert.deepEqual(model.opset_import, [{ domain: '', version: 14 }]);
  assert.ok(model.graph.node.every((n) => !n.domain), 'only default-domain ops');
  const head = model.graph.node.find((n) => n.output.includes('logits'))!;
  assert.equal(head.op_type, 'MatMul');
  assert.deepEqual(model.graph.initializer.find((t) => t.name === head.input[1])?.dims, [64, 859]);
});

test('ORT logits equal the float64 reference for one sequence', async (t) => {
  const ids = sequence(40, 1).concat([857, 858, 856]);
  const { row } = await run(await fp32Session, SMALL, { ids: [ids] });
  const ref = referenceLogits(SMALL, fp32.weights, ids);
  const diff = Math.max(...ref.map((r, i) => maxAbsDiff(r, row(0, i))));
  // Explicit, shifted position_ids reach wpe on both sides (and change the result).
  const positions = ids.map((_, i) => i + 50);
  const shifted = await run(await fp32Session, SMALL, { ids: [ids], positions: [positions] });
  const refShifted = referenceLogits(SMALL, fp32.weights, ids, positions);
  const diffShifted = Math.max(...refShifted.map((r, i) => maxAbsDiff(r, shifted.row(0, i))));
  assert.ok(maxAbsDiff(ref[5]!, refShifted[5]!) > 1e-2, 'positions matter');
  t.diagnostic(`max |ORT - reference| = ${diff.toExponential(2)} over ${ids.length} x ${SMALL.vocabSize} logits; ${diffShifted.toExponential(2)} with position_ids + 50`);
  assert.ok(diff < 1e-4 && diffShifted < 1e-4, `max diff ${diff} ${diffShifted}`);
});

test('right- and left-padded batches equal unpadded runs at real positions', async (t) => {
  const s = await fp32Session;
  const rows = [sequence(12, 2), sequence(7, 3), sequence(3, 4)];
  const T = 12;
  let worst = 0, worstRef = 0;
  for (const side of ['right', 'left'] as const) {
    const padded = rows.map((r) => (side === 'right' ? [...r, ...new Array<number>(T - r.length).fill(PAD)] : [...new Array<number>(T - r.length).fill(PAD), ...r]));
    const mask = rows.map((r) => Array.from({ length: T }, (_, i) => (side === 'right' ? i < r.length : i >= T - r.length) ? 1 : 0));
    // HF/transformers.js: position_ids = cumsum(mask) - 1, pad positions filled with 1.
    const positions = mask.map((m) => { let c = 0; return m.map((v) => (v ? c++ : 1)); });
    const batch = await run(s, SMALL, { ids: padded, mask, positions });
    for (let b = 0; b < rows.length; b++) {
      const single = await run(s, SMALL, { ids: [rows[b]!] });
      const ref = referenceLogits(SMALL, fp32.weights, rows[b]!);
      const offset = side === 'right' ? 0 : T - rows[b]!.length;
      for (let i = 0; i < rows[b]!.length; i++) {
        worst = Math.max(worst, maxAbsDiff(batch.row(b, offset + i), single.row(0, i)));
        worstRef = Math.max(worstRef, maxAbsDiff(ref[i]!, batch.row(b, offset + i)));
      }
    }
  }
  t.diagnostic(`max |padded - unpadded| = ${worst.toExponential(2)}, max |padded - reference| = ${worstRef.toExponential(2)}`);
  assert.ok(worst < 1e-4 && worstRef < 1e-4, `${worst} ${worstRef}`);
});

test('a KV-cache continuation (present fed back as past) equals the full run', async (t) => {
  const s = await fp32Session;
  const ids = [sequence(20, 5), sequence(20, 6)];
  const full = await run(s, SMALL, { ids });
  const prefix = await run(s, SMALL, { ids: ids.map((r) => r.slice(0, 13)) });
  assert.deepEqual(prefix.out['present.0.key']!.dims, [2, 4, 13, HEAD_DIM]);
  const rest = await run(s, SMALL, { ids: ids.map((r) => r.slice(13)) }, prefix.out, 13);
  assert.deepEqual(rest.out['present.1.value']!.dims, [2, 4, 20, HEAD_DIM]);
  let diff = 0;
  for (let b = 0; b < 2; b++) {
    for (let i = 0; i < 13; i++) diff = Math.max(diff, maxAbsDiff(prefix.row(b, i), full.row(b, i)));
    for (let i = 13; i < 20; i++) diff = Math.max(diff, maxAbsDiff(rest.row(b, i - 13), full.row(b, i)));
  }
  t.diagnostic(`max |cached - full| = ${diff.toExponential(2)}`);
  assert.ok(diff < 1e-4, `max diff ${diff}`);
  // Negative control: the continuation really reads the past (another row's cache changes the logits).
  const swapped = Object.fromEntries(Object.entries(prefix.out).filter(([k]) => k.startsWith('present.')).map(([k, v]) => {
    const d = v.data as Float32Array, half = d.length / 2;
    return [k, new ort.Tensor('float32', Float32Array.from(d, (_, i) => d[(i + half) % d.length]!), v.dims)];
  }));
  const wrong = await run(s, SMALL, { ids: ids.map((r) => r.slice(13)) }, swapped, 13);
  assert.ok(maxAbsDiff(wrong.logits, rest.logits) > 1e-2);
});

test('the float16 variant loads, keeps float16 I/O and stays close to float32', async (t) => {
  const fp16 = generate({ dtype: 'float16' });
  const s = await open(fp16.modelPath);
  const types = Object.fromEntries([...s.inputMetadata, ...s.outputMetadata].map((m) => [m.name, m.isTensor ? m.type : '']));
  assert.deepEqual([types['past_key_values.0.key'], types.logits, types['present.1.value'], types.input_ids], ['float16', 'float16', 'float16', 'int64']);
  const ids = [sequence(30, 7)];
  const half = await run(s, SMALL, { ids });
  assert.ok(half.out.logits!.data instanceof Uint16Array);
  const full = await run(await fp32Session, SMALL, { ids });
  const diff = maxAbsDiff(half.logits, full.logits);
  t.diagnostic(`max |fp16 - fp32| = ${diff.toExponential(2)} (|logit| up to ${Math.max(...full.logits.map(Math.abs)).toFixed(2)})`);
  assert.ok(diff < 2e-2, `max diff ${diff}`);
});

test('the external-data variant loads and computes the same logits', async () => {
  const ext = generate({ externalData: true });
  assert.ok(ext.files.includes('onnx/model.onnx_data'));
  assert.ok(statSync(ext.modelPath).size < 64 * 1024, 'weights live in the sidecar');
  const type = modelProtoType();
  const graph = (type.toObject(type.decode(readFileSync(ext.modelPath))) as { graph: { initializer: { data_location?: number; raw_data?: Uint8Array; external_data: { key: string; value: string }[] }[] } }).graph;
  assert.ok(graph.initializer.every((i) => i.data_location === 1 && !i.raw_data?.length && i.external_data[0]?.value === 'model.onnx_data'));
  const ids = [sequence(16, 8)];
  const a = await run(await open(ext.modelPath), SMALL, { ids });
  const b = await run(await fp32Session, SMALL, { ids });
  assert.equal(maxAbsDiff(a.logits, b.logits), 0);
});

test('generation is deterministic, and the CLI writes the same bytes', () => {
  const tree = (dir: string) => Object.fromEntries(readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().filter((f) => statSync(join(dir, f)).isFile()).map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
  for (const opts of [{}, { dtype: 'float16' as const, externalData: true }]) {
    assert.deepEqual(tree(generate(opts).dir), tree(generate(opts).dir));
  }
  const out = join(root, 'cli');
  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'examples/modelgen/cli.ts', out, '--vocab', '859', '--layers', '2', '--embd', '64', '--heads', '4', '--positions', '128', '--seed', '8484', '--tokenizer', TOKENIZER], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  assert.deepEqual(tree(out), tree(fp32.dir));
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'examples/modelgen/cli.ts', out, '--vocab', '100', '--layers', '1', '--embd', '64', '--heads', '4', '--positions', '8', '--seed', '1', '--tokenizer', TOKENIZER], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /tokenizer has 859 ids but the model vocabulary only 100/);
});

test('a GPT-2-small-sized model (124M parameters) generates and runs in reasonable time', { timeout: 600_000 }, async (t) => {
  const config = gpt2Config({ vocabSize: 50257, nLayer: 12, nEmbd: 768, nHead: 12, nPositions: 1024 });
  assert.equal(gpt2ParameterCount(config), 124_439_808); // HF GPT2LMHeadModel('gpt2').num_parameters()
  const dir = mkdtempSync(join(tmpdir(), 'preflens-gpt2-small-'));
  try {
    let started = performance.now();
    const written = writeModelFolder(dir, { config, seed: 1, tokenizerDir: TOKENIZER });
    const genSeconds = (performance.now() - started) / 1000;
    const genRssGiB = process.resourceUsage().maxRSS / 2 ** 20;
    started = performance.now();
    const s = await open(written.modelPath);
    const ids = sequence(8, 9);
    const { row } = await run(s, config, { ids: [ids] });
    const runSeconds = (performance.now() - started) / 1000;
    const runRssGiB = process.resourceUsage().maxRSS / 2 ** 20;
    const ref = referenceLogits(config, written.weights, ids.slice(0, 2));
    const diff = Math.max(maxAbsDiff(ref[0]!, row(0, 0)), maxAbsDiff(ref[1]!, row(0, 1)));
    await s.release();
    t.diagnostic(`generated ${(written.bytes / 2 ** 20).toFixed(0)} MiB in ${genSeconds.toFixed(1)} s (peak RSS ${genRssGiB.toFixed(2)} GiB); ORT load + 8-token run ${runSeconds.toFixed(1)} s (peak RSS ${runRssGiB.toFixed(2)} GiB); max |ORT - reference| ${diff.toExponential(2)}`);
    assert.ok(genSeconds < 300, `generation took ${genSeconds} s`);
    assert.ok(diff < 1e-3, `max diff ${diff}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
