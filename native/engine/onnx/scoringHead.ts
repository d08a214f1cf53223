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
 *   of all T, and the vocabulary-sized tensors are [B, N, V], bounded by the caller's budget.
 * - New outputs (all float32 even for fp16 graphs: log-softmax is done in fp32):
 *   `token_logprobs` [B,N] = lg[target] - logsumexp(lg); `token_entropy` [B,N];
 *   `target_rank` [B,N] (0 = argmax); `topk_logprobs`, `topk_ids` [B,N,K]; `scored_hidden`
 *   [B,N,H]. `logits` and the original head are removed; `present.*` outputs stay so the
 *   prompt can be run once and continued with a KV cache.
 * Invariant: for every kept position the log-prob equals log_softmax(original logits)[target].
 */
import { DataType } from './onnxSchema';
import { cloneNode, declaredElemType, defaultOpset, int64Initializer, makeNode, tensorValueInfo, type Message } from './graphEdit';

export const SCORING_HEAD_VERSION = 1;
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

export function addScoringHead(model: Message, options: { topK?: number } = {}): ScoringHeadInfo {
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
  const p = (s: string): string => `preflens/${s}`;
  const nodes: Message[] = [];
  const inits: Message[] = [int64Initializer(p('axis_last'), [-1]), int64Initializer(p('k'), [topK])];
  const unsqueeze = (input: string, output: string): Message =>
    opset >= 13 ? makeNode('Unsqueeze', [input, p('axis_last')], [output], output) : makeNode('Unsqueeze', [input], [output], output, [{ name: 'axes', ints: [-1] }]);
  const squeeze = (input: string, output: string): Message =>
    opset >= 13 ? makeNode('Squeeze', [input, p('axis_last')], [output], output) : makeNode('Squeeze', [input], [output], output, [{ name: 'axes', ints: [-1] }]);
  const reduce = (op: string, input: string, output: string, keep: 0 | 1): Message => {
    const axesAsInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
    return axesAsInput
      ? makeNode(op, [input, p('axis_last')], [output], output, [{ name: 'keepdims', int: keep }])
      : makeNode(op, [input], [output], output, [{ name: 'axes', ints: [-1] }, { name: 'keepdims', int: keep }]);
  };

  // 1. gather the hidden states of the scored positions: [B,T,H] -> [B,N,H]
  nodes.push(unsqueeze('score_positions', p('positions3')));
  nodes.push(makeNode('GatherND', [hiddenName, p('positions3')], [p('hidden_sel')], p('hidden_sel'), [{ name: 'batch_dims', int: 1 }]));
  // 2. the head and its post-processing on those positions only
  let last = p('head_out');
  nodes.push(cloneNode(head, [p('hidden_sel'), ...(head.input as string[]).slice(1)], [last], p('head')));
  chain.forEach((node, k) => {
    const out = p(`post_${k}`);
    nodes.push(cloneNode(node, (node.input as string[]).map((i) => (producers.get(i) === (k === 0 ? head : chain[k - 1]) ? last : i)), [out], out));
    last = out;
  });
  // 3. fp32 log-softmax statistics
  nodes.push(makeNode('Cast', [last], [p('lg')], p('lg'), [{ name: 'to', int: DataType.FLOAT }]));
  nodes.push(reduce('ReduceLogSumExp', p('lg'), p('lse'), 1));
  nodes.push(unsqueeze('target_ids', p('targets3')));
  nodes.push(makeNode('GatherElements', [p('lg'), p('targets3')], [p('target_logit')], p('target_logit'), [{ name: 'axis', int: -1 }]));
  nodes.push(makeNode('Sub', [p('target_logit'), p('lse')], [p('target_lp3')], p('target_lp3')));
  nodes.push(squeeze(p('target_lp3'), 'token_logprobs'));
  nodes.push(makeNode('Softmax', [p('lg')], [p('probs')], p('probs'), [{ name: 'axis', int: -1 }]));
  nodes.push(makeNode('Mul', [p('probs'), p('lg')], [p('plg')], p('plg')));
  nodes.push(reduce('ReduceSum', p('plg'), p('expected_logit3'), 1));
  nodes.push(makeNode('Sub', [p('lse'), p('expected_logit3')], [p('entropy3')], p('entropy3')));
  nodes.push(squeeze(p('entropy3'), 'token_entropy'));
  nodes.push(makeNode('Greater', [p('lg'), p('target_logit')], [p('above')], p('above')));
  nodes.push(makeNode('Cast', [p('above')], [p('above_f')], p('above_f'), [{ name: 'to', int: DataType.FLOAT }]));
  nodes.push(reduce('ReduceSum', p('above_f'), 'target_rank', 0));
  nodes.push(makeNode('TopK', [p('lg'), p('k')], [p('topk_logit'), 'topk_ids'], p('topk'), [{ name: 'axis', int: -1 }]));
  nodes.push(makeNode('Sub', [p('topk_logit'), p('lse')], ['topk_logprobs'], p('topk_logprobs')));
  nodes.push(makeNode('Cast', [p('hidden_sel')], ['scored_hidden'], p('scored_hidden'), [{ name: 'to', int: DataType.FLOAT }]));

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
