/**
 * Writes a trained k-gram LM (kgramModel.ts) as an ONNX graph with the same inputs and outputs
 * as a Hugging Face export without KV cache (`input_ids`, `attention_mask` -> `logits`), so the
 * demo models load through exactly the code path real exports use.
 *
 * Graph: emb = Gather(E, input_ids) * mask; for j = 1..k-1 the window is built by padding emb
 * with j leading zero rows and slicing back to the sequence length; Concat -> MatMul W1 -> Add b1
 * -> Tanh (the final hidden state) -> MatMul Wout -> Add bout = logits. Opset 14, standard ops.
 */
import { AttributeType, DataType, modelProtoType } from '../../../native/engine/onnx/onnxSchema';
import type { KgramParams } from './kgramModel';

interface NodeSpec {
  op: string;
  inputs: string[];
  output: string;
  attrs?: Record<string, number | number[]>;
}

function floatTensor(name: string, dims: number[], values: Float64Array): object {
  const data = Float32Array.from(values);
  return { name, dims, data_type: DataType.FLOAT, raw_data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}

function int64Tensor(name: string, values: number[]): object {
  return { name, dims: [values.length], data_type: DataType.INT64, int64_data: values };
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): object {
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } } };
}

export function kgramToOnnx(params: KgramParams, producer = 'preflens-modelgen'): Uint8Array {
  const { vocabSize: V, context: k, embed: D, hidden: H } = params.config;
  const nodes: NodeSpec[] = [
    { op: 'Gather', inputs: ['embed.weight', 'input_ids'], output: 'emb_raw', attrs: { axis: 0 } },
    { op: 'Unsqueeze', inputs: ['attention_mask', 'axis_2'], output: 'mask3' },
    { op: 'Cast', inputs: ['mask3'], output: 'mask3f', attrs: { to: DataType.FLOAT } },
    { op: 'Mul', inputs: ['emb_raw', 'mask3f'], output: 'emb' },
    { op: 'Shape', inputs: ['input_ids'], output: 'ids_shape' },
    { op: 'Gather', inputs: ['ids_shape', 'index_1'], output: 'seq_len', attrs: { axis: 0 } },
  ];
  const window = ['emb'];
  const inits: object[] = [
    floatTensor('embed.weight', [V, D], params.E),
    floatTensor('mix.weight', [k * D, H], params.W1),
    floatTensor('mix.bias', [H], params.b1),
    floatTensor('lm_head.weight', [H, V], params.Wout),
    floatTensor('lm_head.bias', [V], params.bout),
    int64Tensor('axis_2', [2]),
    int64Tensor('index_1', [1]),
    int64Tensor('zero_1', [0]),
    int64Tensor('axis_1', [1]),
  ];
  for (let j = 1; j < k; j++) {
    inits.push(int64Tensor(`pads_${j}`, [0, j, 0, 0, 0, 0]));
    nodes.push({ op: 'Pad', inputs: ['emb', `pads_${j}`], output: `padded_${j}` });
    nodes.push({ op: 'Slice', inputs: [`padded_${j}`, 'zero_1', 'seq_len', 'axis_1'], output: `shift_${j}` });
    window.push(`shift_${j}`);
  }
  nodes.push(
    { op: 'Concat', inputs: window, output: 'window', attrs: { axis: 2 } },
    { op: 'MatMul', inputs: ['window', 'mix.weight'], output: 'mixed' },
    { op: 'Add', inputs: ['mixed', 'mix.bias'], output: 'pre_hidden' },
    { op: 'Tanh', inputs: ['pre_hidden'], output: 'hidden' },
    { op: 'MatMul', inputs: ['hidden', 'lm_head.weight'], output: 'head' },
    { op: 'Add', inputs: ['head', 'lm_head.bias'], output: 'logits' },
  );
  const model = {
    ir_version: 8,
    opset_import: [{ domain: '', version: 14 }],
    producer_name: producer,
    graph: {
      name: 'kgram_lm',
      node: nodes.map((n, i) => ({
        op_type: n.op,
        input: n.inputs,
        output: [n.output],
        name: `${n.op.toLowerCase()}_${i}`,
        attribute: Object.entries(n.attrs ?? {}).map(([name, value]) =>
          Array.isArray(value) ? { name, type: AttributeType.INTS, ints: value } : { name, type: AttributeType.INT, i: value },
        ),
      })),
      initializer: inits,
      input: [valueInfo('input_ids', DataType.INT64, ['batch_size', 'sequence_length']), valueInfo('attention_mask', DataType.INT64, ['batch_size', 'sequence_length'])],
      output: [valueInfo('logits', DataType.FLOAT, ['batch_size', 'sequence_length', V])],
    },
  };
  const type = modelProtoType();
  return type.encode(type.fromObject(model)).finish();
}
