/**
 * Graph surgery: turns a causal-LM export that returns `[batch, tokens, vocab]` logits into one
 * that returns only what scoring needs, so full logits never reach JavaScript
 * (ENGINE-NOTES section 3).
 *
 * Design note
 * - The LM head is found by walking back from the `logits` output through element-wise
 *   post-processing (Cast, bias Add, Gemma soft-capping Div/Tanh/Mul) to the MatMul/Gemm/
 *   MatMulNBits whose weight is a constant. Its first input is the final hidden state
 *   (after the final norm): the vector CHES needs.
 * - New inputs: `score_positions` [B, N] (the positions whose logits are needed: position j
 *   predicts token j+1) and `target_ids` [B, N]. The hidden states at those positions are
 *   gathered (GatherND, batch_dims=1) before the head, so the head runs on N positions instead
 *   of all T.
 * - The vocabulary-sized part (the head, its post-processing, the statistics) runs in an ONNX
 *   Loop over chunks of the scored positions, about HEAD_CHUNK_ELEMENTS / V rows (batch x
 *   positions) each, so every [rows, V] fp32 temporary stays near 64 MB whatever batch the
 *   caller sends. On a cold run fresh memory is what the head costs most: page faults on each
 *   new vocabulary-sized buffer, twice per new input shape because onnxruntime's memory pattern
 *   allocates one more block on the second run (docs/BENCHMARKS.md, scoring throughput). Chunk
 *   i covers positions [i*c, (i+1)*c) with c = ceil(N / iterations), indices clamped to N - 1;
 *   the few repeated rows of the last chunk are sliced off after the Loop. Positions and
 *   targets get one padding column, so N = 0 runs one discarded chunk instead of failing. Each
 *   extra chunk reads the head weight once more (a few per cent at V = 150k). HEAD_CHUNK_ELEMENTS
 *   is part of the graph: changing it needs a new SCORING_HEAD_VERSION.
 * - Statistics with one exp pass over V (see headStats): Softmax, then the log-sum-exp from
 *   the top-1 logit and its probability, the entropy as a row-wise dot product, the rank as a
 *   count; no [rows, V] log-softmax is materialised and top-k runs on the logits.
 * - New outputs (all float32 even for fp16 graphs: the statistics are computed in fp32):
 *   `token_logprobs` [B,N] = lg[target] - logsumexp(lg); `token_entropy` [B,N];
 *   `target_rank` [B,N] (0 = argmax); `topk_logprobs`, `topk_ids` [B,N,K]; `scored_hidden`
 *   [B,N,H]. `logits` and the original head are removed; `present.*` outputs stay so the
 *   prompt can be run once and continued with a KV cache.
 * Invariant: for every kept position the log-prob equals log_softmax(original logits)[target].
 */
import { DataType, onnxRoot } from './onnxSchema';
import { cloneNode, declaredElemType, defaultOpset, int64Initializer, makeNode, tensorValueInfo, toNumber, type Message } from './graphEdit';

export const SCORING_HEAD_VERSION = 2;
export const SCORING_OUTPUTS = ['token_logprobs', 'token_entropy', 'target_rank', 'topk_logprobs', 'topk_ids', 'scored_hidden'] as const;

export interface ScoringHeadInfo {
  opset: number;
  topK: number;
  logitsType: 'float32' | 'float16' | 'other';
  hiddenName: string;
}

const HEAD_OPS = new Set(['MatMul', 'Gemm', 'MatMulNBits', 'MatMulInteger']);
const POST_OPS = new Set(['Cast', 'Add', 'Sub', 'Mul', 'Div', 'Tanh', 'Identity']);

function isConstant(graph: Message, producers: Map<string, Message>, name: string): boolean {
  if ((graph.initializer as Message[]).some((t) => t.name === name)) return true;
  const producer = producers.get(name);
  if (!producer) return false;
  if (producer.op_type === 'Constant') return true;
  // tied embeddings are often stored once and transposed in the graph
  return (producer.op_type === 'Transpose' || producer.op_type === 'Cast') && isConstant(graph, producers, producer.input[0]);
}

/** Elements of each vocabulary-sized fp32 temporary of the head per chunk (16 M: 64 MB). */
export const HEAD_CHUNK_ELEMENTS = 16 * 2 ** 20;
/** Rows per chunk when the vocabulary size cannot be read from the graph. */
export const HEAD_CHUNK_ROWS = 128;

const GRAPH_ATTRIBUTE = 5; // AttributeProto.AttributeType.GRAPH

export interface ScoringHeadOptions {
  topK?: number;
  /** Rows (batch x positions) per chunk of the head (default: HEAD_CHUNK_ELEMENTS / vocabulary, at least 1). */
  chunkRows?: number;
}

/** The vocabulary size: the declared last dim of the logits, else the last dim of a MatMul head's weight. */
function vocabularySize(graph: Message, logitsInfo: Message, head: Message): number | undefined {
  const dims = (logitsInfo.type?.tensor_type?.shape?.dim ?? []) as Message[];
  const declared = dims.length ? toNumber(dims[dims.length - 1]!.dim_value) : 0;
  if (declared > 0) return declared;
  const weight = head.op_type === 'MatMul' ? (graph.initializer as Message[]).find((t) => t.name === head.input[1]) : undefined;
  const last = weight ? toNumber((weight.dims as unknown[])[(weight.dims as unknown[]).length - 1]) : 0;
  return last > 0 ? last : undefined;
}

export function addScoringHead(model: Message, options: ScoringHeadOptions = {}): ScoringHeadInfo {
  const graph = model.graph;
  const opset = defaultOpset(model);
  if (opset < 12) throw new Error(`the model uses ONNX opset ${opset}; PrefLens needs opset 12 or newer (re-export with optimum-cli export onnx --opset 14)`);
  const outputs = graph.output as Message[];
  const logitsInfo = outputs.find((o) => o.name === 'logits') ?? outputs[0];
  if (!logitsInfo) throw new Error('the model has no outputs');
  const logitsName: string = logitsInfo.name;
  const producers = new Map<string, Message>();
  for (const node of graph.node as Message[]) for (const out of node.output as string[]) producers.set(out, node);

  // Walk back from logits to the head, remembering the post-processing chain (head first).
  const chain: Message[] = [];
  let current = producers.get(logitsName);
  while (current && !HEAD_OPS.has(current.op_type)) {
    if (!POST_OPS.has(current.op_type)) throw new Error(`cannot find the LM head: ${current.op_type} node "${current.name}" produces the logits`);
    chain.unshift(current);
    const dynamic = (current.input as string[]).filter((i) => i && !isConstant(graph, producers, i));
    if (dynamic.length !== 1) throw new Error(`cannot find the LM head: node "${current.name}" mixes several computed inputs`);
    current = producers.get(dynamic[0]!);
  }
  if (!current) throw new Error('cannot find the LM head (no MatMul/Gemm producing the logits)');
  const head = current;
  if (!isConstant(graph, producers, head.input[1])) throw new Error(`the LM head "${head.name}" has a computed weight; this export layout is not supported yet`);
  const hiddenName: string = head.input[0];

  const logitsElem = declaredElemType(graph, logitsName) ?? DataType.FLOAT;
  const logitsType = logitsElem === DataType.FLOAT ? 'float32' : logitsElem === DataType.FLOAT16 ? 'float16' : 'other';
  const topK = Math.max(1, options.topK ?? 5);
  const vocab = vocabularySize(graph, logitsInfo, head);
  const chunkRows = Math.max(1, Math.floor(options.chunkRows ?? (vocab ? HEAD_CHUNK_ELEMENTS / vocab : HEAD_CHUNK_ROWS)));
  const p = (s: string): string => `preflens/${s}`;
  const nodes: Message[] = [];
  const inits: Message[] = [
    int64Initializer(p('axis_last'), [-1]),
    int64Initializer(p('k'), [topK]),
    int64Initializer(p('zero'), [0]),
    int64Initializer(p('one'), [1]),
    // Squeeze/Unsqueeze take their axes as an input from opset 13
    ...(opset >= 13 ? [int64Initializer(p('axis_m2'), [-2]), int64Initializer(p('axis_0'), [0])] : []),
  ];
  const axesInput: Record<number, string> = { [-1]: p('axis_last'), [-2]: p('axis_m2'), 0: p('axis_0') };
  const unsqueeze = (input: string, output: string, axis = -1): Message =>
    opset >= 13 ? makeNode('Unsqueeze', [input, axesInput[axis]!], [output], output) : makeNode('Unsqueeze', [input], [output], output, [{ name: 'axes', ints: [axis] }]);
  const squeeze = (input: string, output: string, axis = -1): Message =>
    opset >= 13 ? makeNode('Squeeze', [input, axesInput[axis]!], [output], output) : makeNode('Squeeze', [input], [output], output, [{ name: 'axes', ints: [axis] }]);
  const reduceSum = (input: string, output: string, keep: 0 | 1): Message =>
    opset >= 13
      ? makeNode('ReduceSum', [input, p('axis_last')], [output], output, [{ name: 'keepdims', int: keep }])
      : makeNode('ReduceSum', [input], [output], output, [{ name: 'axes', ints: [-1] }, { name: 'keepdims', int: keep }]);

  /**
   * The head, its post-processing and the fp32 statistics for hidden states [B,R,H] and targets
   * [B,R]. One exp pass over the vocabulary: Softmax gives the probabilities; the log-sum-exp
   * follows from the top logit and its probability (lse = max - log p_max, p_max >= 1/V); the
   * entropy is lse - sum(p * lg), a row-wise dot product (MatMul against the transposed logits,
   * which onnxruntime fuses into one kernel without a copy); the rank counts logits above the
   * target's.
   */
  const headStats = (list: Message[], n: (s: string) => string, hidden: string, targets: string, out: Record<'lp' | 'ent' | 'rank' | 'topkLp' | 'topkIds', string>): void => {
    let last = n('head_out');
    list.push(cloneNode(head, [hidden, ...(head.input as string[]).slice(1)], [last], n('head')));
    chain.forEach((node, k) => {
      const o = n(`post_${k}`);
      list.push(cloneNode(node, (node.input as string[]).map((i) => (producers.get(i) === (k === 0 ? head : chain[k - 1]) ? last : i)), [o], o));
      last = o;
    });
    const lg = n('lg');
    // a no-op for fp32 graphs (onnxruntime removes it); fp16 logits are widened once
    list.push(makeNode('Cast', [last], [lg], lg, [{ name: 'to', int: DataType.FLOAT }]));
    list.push(makeNode('TopK', [lg, p('k')], [n('topk_logit'), out.topkIds], n('topk'), [{ name: 'axis', int: -1 }]));
    list.push(makeNode('Slice', [n('topk_logit'), p('zero'), p('one'), p('axis_last')], [n('max_logit')], n('max_logit')));
    list.push(makeNode('Slice', [out.topkIds, p('zero'), p('one'), p('axis_last')], [n('argmax')], n('argmax')));
    list.push(makeNode('Softmax', [lg], [n('probs')], n('probs'), [{ name: 'axis', int: -1 }]));
    list.push(makeNode('GatherElements', [n('probs'), n('argmax')], [n('max_prob')], n('max_prob'), [{ name: 'axis', int: -1 }]));
    list.push(makeNode('Log', [n('max_prob')], [n('log_max_prob')], n('log_max_prob')));
    list.push(makeNode('Sub', [n('max_logit'), n('log_max_prob')], [n('lse')], n('lse')));
    list.push(unsqueeze(targets, n('targets3')));
    list.push(makeNode('GatherElements', [lg, n('targets3')], [n('target_logit')], n('target_logit'), [{ name: 'axis', int: -1 }]));
    list.push(makeNode('Sub', [n('target_logit'), n('lse')], [n('target_lp3')], n('target_lp3')));
    list.push(squeeze(n('target_lp3'), out.lp));
    list.push(makeNode('Sub', [n('topk_logit'), n('lse')], [out.topkLp], out.topkLp));
    list.push(unsqueeze(n('probs'), n('probs_row'), -2));
    list.push(unsqueeze(lg, n('lg_row'), -2));
    list.push(makeNode('Transpose', [n('lg_row')], [n('lg_col')], n('lg_col'), [{ name: 'perm', ints: [0, 1, 3, 2] }]));
    list.push(makeNode('MatMul', [n('probs_row'), n('lg_col')], [n('expected_logit4')], n('expected_logit')));
    list.push(squeeze(n('expected_logit4'), n('expected_logit3')));
    list.push(makeNode('Sub', [n('lse'), n('expected_logit3')], [n('entropy3')], n('entropy3')));
    list.push(squeeze(n('entropy3'), out.ent));
    list.push(makeNode('Greater', [lg, n('target_logit')], [n('above')], n('above')));
    list.push(makeNode('Cast', [n('above')], [n('above_f')], n('above_f'), [{ name: 'to', int: DataType.FLOAT }]));
    list.push(reduceSum(n('above_f'), out.rank, 0));
  };

  // 1. gather the hidden states of the scored positions: [B,T,H] -> [B,N,H] (CHES reads them)
  nodes.push(unsqueeze('score_positions', p('positions3')));
  nodes.push(makeNode('GatherND', [hiddenName, p('positions3')], [p('hidden_sel')], p('hidden_sel'), [{ name: 'batch_dims', int: 1 }]));
  nodes.push(makeNode('Cast', [p('hidden_sel')], ['scored_hidden'], p('scored_hidden'), [{ name: 'to', int: DataType.FLOAT }]));
  const final = { lp: 'token_logprobs', ent: 'token_entropy', rank: 'target_rank', topkLp: 'topk_logprobs', topkIds: 'topk_ids' };
  // 2. the head and its statistics in a Loop over chunks of the scored positions (design note)
  inits.push(int64Initializer(p('two'), [2]), int64Initializer(p('chunk_rows'), [chunkRows]), int64Initializer(p('zero_s'), [0], []), int64Initializer(p('one_s'), [1], []));
  inits.push(int64Initializer(p('shape_bn'), [0, -1]), int64Initializer(p('shape_bnk'), [0, -1, topK]));
  inits.push(onnxRoot().lookupType('onnx.TensorProto').fromObject({ name: p('true'), dims: [], data_type: DataType.BOOL, int32_data: [1] }));
  const op = (type: string, inputs: string[], output: string, attrs: Parameters<typeof makeNode>[4] = []): void => void nodes.push(makeNode(type, inputs, [output], output, attrs));
  op('Shape', ['score_positions'], p('bn'));
  op('Slice', [p('bn'), p('zero'), p('one')], p('b'));
  op('Slice', [p('bn'), p('one'), p('two')], p('n'));
  // per batch row at most max(1, chunk_rows / B) positions; iterations = ceil(n / that), at least 1;
  // chunk = ceil(n / iterations), so the last chunk repeats fewer than `iterations` positions
  op('Max', [p('b'), p('one')], p('b1')); // never a division by zero, even for an empty batch
  op('Div', [p('chunk_rows'), p('b1')], p('per_row0'));
  op('Max', [p('per_row0'), p('one')], p('per_row'));
  op('Add', [p('n'), p('per_row')], p('n_plus'));
  op('Sub', [p('n_plus'), p('one')], p('n_plus1'));
  op('Div', [p('n_plus1'), p('per_row')], p('iters0'));
  op('Max', [p('iters0'), p('one')], p('iters1'));
  op('Add', [p('n'), p('iters1')], p('n_iters'));
  op('Sub', [p('n_iters'), p('one')], p('n_iters1'));
  op('Div', [p('n_iters1'), p('iters1')], p('chunk0'));
  op('Max', [p('chunk0'), p('one')], p('chunk1'));
  op('Sub', [p('n'), p('one')], p('n_minus1'));
  op('Max', [p('n_minus1'), p('zero')], p('last_index'));
  nodes.push(squeeze(p('iters1'), p('iters'), 0));
  nodes.push(squeeze(p('chunk1'), p('chunk'), 0));
  // positions and targets get one padding column, so every chunk can gather (n = 0 included)
  op('Concat', [p('b'), p('one')], p('pad_shape'), [{ name: 'axis', int: 0 }]);
  op('ConstantOfShape', [p('pad_shape')], p('pad_f'));
  op('Cast', [p('pad_f')], p('pad'), [{ name: 'to', int: DataType.INT64 }]);
  op('Concat', ['score_positions', p('pad')], p('positions_pad'), [{ name: 'axis', int: 1 }]);
  op('Concat', ['target_ids', p('pad')], p('targets_pad'), [{ name: 'axis', int: 1 }]);
  // the body: chunk i covers positions [i * chunk, (i + 1) * chunk), clamped to n - 1
  const c = (s: string): string => `preflens/chunk/${s}`;
  const body: Message[] = [];
  const bop = (type: string, inputs: string[], output: string, attrs: Parameters<typeof makeNode>[4] = []): void => void body.push(makeNode(type, inputs, [output], output, attrs));
  bop('Identity', [c('cond_in')], c('cond_out'));
  bop('Mul', [c('i'), p('chunk')], c('start'));
  bop('Range', [p('zero_s'), p('chunk'), p('one_s')], c('offsets'));
  bop('Add', [c('offsets'), c('start')], c('index_raw'));
  bop('Min', [c('index_raw'), p('last_index')], c('index'));
  bop('Gather', [p('positions_pad'), c('index')], c('positions'), [{ name: 'axis', int: 1 }]);
  bop('Gather', [p('targets_pad'), c('index')], c('targets'), [{ name: 'axis', int: 1 }]);
  body.push(unsqueeze(c('positions'), c('positions3')));
  bop('GatherND', [hiddenName, c('positions3')], c('hidden'), [{ name: 'batch_dims', int: 1 }]);
  const scan = { lp: c('lp'), ent: c('entropy'), rank: c('rank'), topkLp: c('topk_lp'), topkIds: c('topk_ids') };
  headStats(body, c, c('hidden'), c('targets'), scan);
  const Graph = onnxRoot().lookupType('onnx.GraphProto');
  const bodyGraph: Message = Graph.fromObject({
    name: 'preflens_head_chunk',
    input: [tensorValueInfo(c('i'), DataType.INT64, []), tensorValueInfo(c('cond_in'), DataType.BOOL, [])],
    output: [
      tensorValueInfo(c('cond_out'), DataType.BOOL, []),
      tensorValueInfo(scan.lp, DataType.FLOAT, ['batch_size', 'chunk']),
      tensorValueInfo(scan.ent, DataType.FLOAT, ['batch_size', 'chunk']),
      tensorValueInfo(scan.rank, DataType.FLOAT, ['batch_size', 'chunk']),
      tensorValueInfo(scan.topkLp, DataType.FLOAT, ['batch_size', 'chunk', topK]),
      tensorValueInfo(scan.topkIds, DataType.INT64, ['batch_size', 'chunk', topK]),
    ].map((v) => onnxRoot().lookupType('onnx.ValueInfoProto').toObject(v)),
  });
  bodyGraph.node = body;
  const loop = makeNode('Loop', [p('iters'), p('true')], [p('lp_chunks'), p('entropy_chunks'), p('rank_chunks'), p('topk_lp_chunks'), p('topk_ids_chunks')], p('head_chunks'));
  const attr: Message = onnxRoot().lookupType('onnx.AttributeProto').fromObject({ name: 'body', type: GRAPH_ATTRIBUTE });
  attr.g = bodyGraph;
  loop.attribute = [attr];
  nodes.push(loop);
  // 3. [iterations, B, chunk(, K)] -> [B, iterations x chunk(, K)] -> the first n positions
  const unchunk = (chunks: string, output: string, withK: boolean): void => {
    op('Transpose', [chunks], `${chunks}_t`, [{ name: 'perm', ints: withK ? [1, 0, 2, 3] : [1, 0, 2] }]);
    op('Reshape', [`${chunks}_t`, withK ? p('shape_bnk') : p('shape_bn')], `${chunks}_r`);
    op('Slice', [`${chunks}_r`, p('zero'), p('n'), p('one')], output);
  };
  unchunk(p('lp_chunks'), final.lp, false);
  unchunk(p('entropy_chunks'), final.ent, false);
  unchunk(p('rank_chunks'), final.rank, false);
  unchunk(p('topk_lp_chunks'), final.topkLp, true);
  unchunk(p('topk_ids_chunks'), final.topkIds, true);

  // 4. drop the full-logits path: the old head and its chain feed only `logits`
  const dead = new Set<Message>([head, ...chain]);
  for (const node of graph.node as Message[]) {
    if (dead.has(node)) continue;
    for (const input of node.input as string[]) {
      if ([head, ...chain].some((d) => (d.output as string[]).includes(input))) throw new Error(`the logits path is also used by node "${node.name}"; cannot remove it`);
    }
  }
  graph.node = [...(graph.node as Message[]).filter((n) => !dead.has(n)), ...nodes];
  graph.initializer = [...(graph.initializer as Message[]), ...inits];
  graph.output = [
    ...outputs.filter((o) => o.name !== logitsName),
    tensorValueInfo('token_logprobs', DataType.FLOAT, ['batch_size', 'num_scored']),
    tensorValueInfo('token_entropy', DataType.FLOAT, ['batch_size', 'num_scored']),
    tensorValueInfo('target_rank', DataType.FLOAT, ['batch_size', 'num_scored']),
    tensorValueInfo('topk_logprobs', DataType.FLOAT, ['batch_size', 'num_scored', topK]),
    tensorValueInfo('topk_ids', DataType.INT64, ['batch_size', 'num_scored', topK]),
    tensorValueInfo('scored_hidden', DataType.FLOAT, ['batch_size', 'num_scored', 'hidden_size']),
  ];
  graph.input = [
    ...(graph.input as Message[]),
    tensorValueInfo('score_positions', DataType.INT64, ['batch_size', 'num_scored']),
    tensorValueInfo('target_ids', DataType.INT64, ['batch_size', 'num_scored']),
  ];
  // value_info entries for removed values would only confuse shape inference
  const removed = new Set([logitsName, ...[head, ...chain].flatMap((n) => n.output as string[])]);
  graph.value_info = (graph.value_info as Message[]).filter((v) => !removed.has(v.name));
  return { opset, topK, logitsType, hiddenName };
}
