/**
 * Writes rows (plain JSON-like objects, as `parquetSource` returns them) to a Parquet file.
 *
 * Design note
 * - What: one explicit Parquet schema is built per column, then hyparquet-writer encodes the
 *   rows (it handles nested LIST / struct / MAP columns through Dremel levels).
 * - Why a template: JSON values lose Parquet types (8.0 reads back as 8, an int64 as a number,
 *   a timestamp as an ISO string). A column present in `template` (the source file's metadata)
 *   keeps its exact schema subtree, so an export of UltraFeedback keeps `chosen` as
 *   list<struct<content, role>> and `score_chosen` as double. Columns not in the template are
 *   inferred: string, boolean, int64 (all safe integers), double, lists, structs; a column whose
 *   values disagree in shape is stored as a JSON-annotated string, never dropped.
 * - Invariants: inferred columns are nullable, template columns keep their own repetition (a null
 *   in a REQUIRED one is an error naming row and column); the file appears under `path` only once it is complete
 *   and fsynced (`AtomicFileWriter`: temp file in the same folder, renamed over `path`). Encoded
 *   row groups are flushed to disk as they are produced, so the output is never held whole.
 * - The `huggingface` key/value metadata (datasets features) is kept only when the columns are
 *   exactly the template's, because it describes every column; Arrow's own schema blob is dropped
 *   since it describes the source writer's layout, not this file's.
 */
import type { KeyValue, SchemaElement } from 'hyparquet';
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import type { SchemaElement as WriterSchemaElement, Writer } from 'hyparquet-writer';
import { AtomicFileWriter } from './atomicFile';

/** What an export keeps from its source file; a hyparquet `FileMetaData` is one. */
export interface ParquetTemplate {
  readonly schema: readonly SchemaElement[];
  readonly key_value_metadata?: readonly KeyValue[];
}

export interface ParquetWriteRowsOptions {
  columns: string[];
  template?: ParquetTemplate;
  /** Rows per row group (default 1000: small groups keep page reads cheap for viewers). */
  rowGroupSize?: number;
}

interface Node {
  element: SchemaElement;
  children: Node[];
}
type Shape =
  | { kind: 'null' | 'string' | 'boolean' | 'int' | 'double' | 'json' }
  | { kind: 'list'; item: Shape }
  | { kind: 'struct'; fields: Map<string, Shape> };

export async function writeParquetRows(path: string, rows: Record<string, unknown>[], options: ParquetWriteRowsOptions): Promise<void> {
  const templateColumns = options.template ? topLevel(options.template.schema) : new Map<string, Node>();
  const columnData = options.columns.map((name) => {
    const values = rows.map((row) => row[name]);
    const node = templateColumns.get(name) ?? shapeNode(name, values.reduce<Shape>((shape, v) => merge(shape, shapeOf(v)), { kind: 'null' }));
    const data = values.map((value, index) => {
      try {
        return toWritable(value, node);
      } catch (error) {
        throw new Error(`Cannot write ${path}: row ${index}, column "${name}": ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return { name, node, data };
  });
  const schema: SchemaElement[] = [{ name: 'schema', num_children: columnData.length }];
  for (const { node } of columnData) schema.push(...flatten(node));
  const sameColumns = options.template !== undefined && options.columns.join('\0') === [...templateColumns.keys()].join('\0');
  const kvMetadata = sameColumns ? options.template?.key_value_metadata?.filter((kv) => kv.key === 'huggingface') : undefined;

  const file = await AtomicFileWriter.create(path);
  try {
    // hyparquet-writer calls flush() after each row group and awaits the promise before encoding
    // the next one; bytes are copied because the ByteWriter reuses its buffer after `index = 0`.
    const bytes = new ByteWriter();
    const flush = async (): Promise<void> => {
      const block = bytes.getBytes().slice();
      bytes.index = 0;
      await file.write(block);
    };
    const writer: Writer = Object.assign(bytes, { flush, finish: flush });
    await parquetWrite({
      writer,
      // hyparquet-writer ships its own (older) hyparquet typings; the shapes differ only in logical
      // types newer than it (e.g. FILE), which it cannot write anyway.
      schema: schema as WriterSchemaElement[],
      columnData: columnData.map(({ name, data }) => ({ name, data })),
      rowGroupSize: options.rowGroupSize ?? 1000,
      kvMetadata: kvMetadata?.length ? [...kvMetadata] : undefined,
      createdBy: 'PrefLens',
    });
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
}

/** Rebuilds the schema tree from the flat pre-order list and returns the root's children by name. */
function topLevel(schema: readonly SchemaElement[]): Map<string, Node> {
  let next = 0;
  const build = (): Node => {
    const element = schema[next++];
    if (!element) throw new Error('the template schema is truncated');
    const children: Node[] = [];
    for (let i = 0; i < (element.num_children ?? 0); i++) children.push(build());
    return { element: widenInt96(element), children };
  };
  return new Map(build().children.map((child) => [child.element.name, child]));
}

/** hyparquet-writer cannot write legacy INT96 timestamps; store them as int64 microseconds. */
function widenInt96(element: SchemaElement): SchemaElement {
  return element.type === 'INT96' ? { ...element, type: 'INT64', converted_type: 'TIMESTAMP_MICROS' } : element;
}

function flatten(node: Node): SchemaElement[] {
  return [node.element, ...node.children.flatMap(flatten)];
}

function shapeOf(value: unknown): Shape {
  if (value === null || value === undefined) return { kind: 'null' };
  if (typeof value === 'string') return { kind: 'string' };
  if (typeof value === 'boolean') return { kind: 'boolean' };
  if (typeof value === 'bigint') return { kind: 'int' };
  if (typeof value === 'number') return { kind: Number.isSafeInteger(value) ? 'int' : 'double' };
  if (Array.isArray(value)) return { kind: 'list', item: value.reduce<Shape>((shape, v) => merge(shape, shapeOf(v)), { kind: 'null' }) };
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype && Object.keys(value).length > 0) {
    return { kind: 'struct', fields: new Map(Object.entries(value).map(([k, v]) => [k, shapeOf(v)])) };
  }
  return { kind: 'json' };
}

function merge(a: Shape, b: Shape): Shape {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === 'list' && b.kind === 'list') return { kind: 'list', item: merge(a.item, b.item) };
  if (a.kind === 'struct' && b.kind === 'struct') {
    const fields = new Map(a.fields);
    for (const [key, shape] of b.fields) fields.set(key, merge(fields.get(key) ?? { kind: 'null' }, shape));
    return { kind: 'struct', fields };
  }
  if (a.kind === b.kind) return a;
  if ((a.kind === 'int' && b.kind === 'double') || (a.kind === 'double' && b.kind === 'int')) return { kind: 'double' };
  return { kind: 'json' };
}

/** Parquet schema for an inferred shape: everything OPTIONAL, lists in the standard 3-level form. */
function shapeNode(name: string, shape: Shape): Node {
  const leaf = (element: Omit<SchemaElement, 'name' | 'repetition_type'>): Node => ({
    element: { name, repetition_type: 'OPTIONAL', ...element }, children: [],
  });
  switch (shape.kind) {
    case 'null':
    case 'string':
      return leaf({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
    case 'boolean':
      return leaf({ type: 'BOOLEAN' });
    case 'int':
      return leaf({ type: 'INT64' });
    case 'double':
      return leaf({ type: 'DOUBLE' });
    case 'json':
      return leaf({ type: 'BYTE_ARRAY', converted_type: 'JSON' });
    case 'list':
      return {
        element: { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        children: [{ element: { name: 'list', repetition_type: 'REPEATED', num_children: 1 }, children: [shapeNode('element', shape.item)] }],
      };
    case 'struct': {
      // Sorted field names: deterministic, and the order `datasets` uses for {content, role}.
      const keys = [...shape.fields.keys()].sort();
      return {
        element: { name, repetition_type: 'OPTIONAL', num_children: keys.length },
        children: keys.map((key) => shapeNode(key, shape.fields.get(key)!)),
      };
    }
  }
}

function isList(node: Node): boolean {
  const repeated = node.children[0];
  return node.element.converted_type === 'LIST' && node.children.length === 1 && repeated?.element.repetition_type === 'REPEATED';
}

/** Converts a plain value into what hyparquet-writer expects for `node` (bigint for int64, ...). */
function toWritable(value: unknown, node: Node): unknown {
  const { element, children } = node;
  if (value === null || value === undefined) {
    // Caught here, with a useful message, rather than by the Dremel encoder's generic error.
    if (element.repetition_type === 'REQUIRED') throw new Error(`"${element.name}" is required but the value is null`);
    return null;
  }
  if (children.length === 0) return leafValue(value, element);
  if (isList(node)) {
    if (!Array.isArray(value)) throw new Error(`expected a list, got ${typeof value}`);
    // Standard 3-level list: the items are the repeated group's single child (legacy 2-level
    // lists are not written by hyparquet-writer, so they are not handled here either).
    const item = children[0]!.children[0] ?? children[0]!;
    return value.map((v) => toWritable(v, item));
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`expected an object for "${element.name}"`);
  if (element.converted_type === 'MAP' || element.converted_type === 'MAP_KEY_VALUE') {
    // hyparquet-writer accepts a plain object for a map; only the values need converting.
    const valueNode = children[0]?.children[1];
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, valueNode ? toWritable(v, valueNode) : v]));
  }
  const out: Record<string, unknown> = {};
  for (const child of children) out[child.element.name] = toWritable((value as Record<string, unknown>)[child.element.name], child);
  return out;
}

function leafValue(value: unknown, element: SchemaElement): unknown {
  const timestamp = element.converted_type?.startsWith('TIMESTAMP') || element.converted_type === 'DATE' || element.logical_type?.type === 'TIMESTAMP';
  if (timestamp && typeof value === 'string') {
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) throw new Error(`"${value}" is not a date`);
    return date;
  }
  if (element.converted_type === 'JSON' || element.converted_type === 'DECIMAL' || timestamp) return value;
  switch (element.type) {
    case 'INT64':
      if (typeof value === 'bigint') return value;
      if ((typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value))) return BigInt(value);
      throw new Error(`expected an integer, got ${JSON.stringify(value)}`);
    case 'INT32':
    case 'FLOAT':
    case 'DOUBLE':
      if (typeof value === 'number') return value;
      throw new Error(`expected a number, got ${JSON.stringify(value)}`);
    case 'BOOLEAN':
      if (typeof value === 'boolean') return value;
      throw new Error(`expected a boolean, got ${JSON.stringify(value)}`);
    case 'FIXED_LEN_BYTE_ARRAY':
      // Unannotated fixed bytes were read as base64 (see parquetSource); UUID/FLOAT16 pass through.
      return typeof value === 'string' && !element.logical_type ? Buffer.from(value, 'base64') : value;
    default:
      if (element.converted_type === 'UTF8' || element.logical_type?.type === 'STRING') {
        if (typeof value === 'string') return value;
        throw new Error(`expected a string, got ${JSON.stringify(value)}`);
      }
      return value;
  }
}
