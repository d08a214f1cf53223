/**
 * Small helpers for editing a decoded ONNX ModelProto with protobufjs: creating nodes,
 * attributes and constant initializers in the shapes protobufjs encodes faithfully, and
 * reading the opset of the default domain.
 */
import { AttributeType, DataType, onnxRoot } from './onnxSchema';

/* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs messages are dynamic */
export type Message = any;

const type = (name: string) => onnxRoot().lookupType(`onnx.${name}`);

export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value && typeof value === 'object' && 'toNumber' in value) return (value as { toNumber(): number }).toNumber();
  return Number(value ?? 0);
}

export function defaultOpset(model: Message): number {
  const entry = (model.opset_import as Message[]).find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? toNumber(entry.version) : 1;
}

export type Attr =
  | { name: string; int: number }
  | { name: string; ints: number[] }
  | { name: string; float: number };

function attribute(attr: Attr): Message {
  if ('int' in attr) return type('AttributeProto').fromObject({ name: attr.name, type: AttributeType.INT, i: attr.int });
  if ('ints' in attr) return type('AttributeProto').fromObject({ name: attr.name, type: AttributeType.INTS, ints: attr.ints });
  return type('AttributeProto').fromObject({ name: attr.name, type: AttributeType.FLOAT, f: attr.float });
}

export function makeNode(op: string, inputs: string[], outputs: string[], name: string, attrs: Attr[] = [], domain = ''): Message {
  return type('NodeProto').fromObject({ op_type: op, input: inputs, output: outputs, name, domain, attribute: attrs.map(attribute) });
}

export function int64Initializer(name: string, values: number[], dims: number[] = [values.length]): Message {
  return type('TensorProto').fromObject({ name, dims, data_type: DataType.INT64, int64_data: values });
}

export function tensorValueInfo(name: string, elemType: number, dims: (number | string)[]): Message {
  return type('ValueInfoProto').fromObject({
    name,
    type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  });
}

/** Clones a node with new inputs/outputs and name (attributes and domain kept). */
export function cloneNode(node: Message, inputs: string[], outputs: string[], name: string): Message {
  const copy: Message = type('NodeProto').fromObject(type('NodeProto').toObject(node));
  copy.input = inputs;
  copy.output = outputs;
  copy.name = name;
  return copy;
}

/** Element type of a graph value when its type is declared in inputs, outputs or value_info. */
export function declaredElemType(graph: Message, name: string): number | undefined {
  for (const list of [graph.output, graph.input, graph.value_info] as Message[][]) {
    const info = list.find((v) => v.name === name);
    const elem = info?.type?.tensor_type?.elem_type;
    if (elem !== undefined) return toNumber(elem);
  }
  return undefined;
}
