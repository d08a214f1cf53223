/**
 * Locating a model checkpoint on disk in the Hugging Face ONNX layout.
 *
 * Design note: accepted layouts, in order of preference: `onnx/model.onnx` (optimum >= 1.14 and
 * transformers.js), `model.onnx` at the root, then the legacy merged decoder
 * `onnx/decoder_model_merged.onnx` / `decoder_model_merged.onnx` (driven by `use_cache_branch`).
 * fp16 exports (`model_fp16.onnx`) are used only when no fp32 file exists. External-data weights
 * (`model.onnx_data`, `*.onnx.data`) stay beside the graph and are found by ONNX Runtime through
 * the relative paths in the graph. A folder holding a PyTorch / safetensors checkpoint instead
 * is recognised and the error gives the exact export command.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface ModelFolder {
  dir: string;
  /** The ONNX graph to run. */
  onnxPath: string;
  /** `config.json`, parsed (empty when absent). */
  config: Record<string, unknown>;
  /** The graph is the legacy merged decoder (`use_cache_branch` input). */
  legacyMerged: boolean;
}

export class ModelFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFolderError';
  }
}

const CANDIDATES = [
  'onnx/model.onnx',
  'model.onnx',
  'onnx/decoder_model_merged.onnx',
  'decoder_model_merged.onnx',
  'onnx/model_fp16.onnx',
  'model_fp16.onnx',
  'onnx/decoder_model_merged_fp16.onnx',
];

function isPytorchCheckpoint(dir: string): boolean {
  const names = readdirSync(dir);
  return names.some((n) => n.endsWith('.safetensors') || n === 'pytorch_model.bin' || n === 'model.safetensors.index.json' || n === 'pytorch_model.bin.index.json');
}

export async function locateModel(dirInput: string): Promise<ModelFolder> {
  const dir = resolve(dirInput);
  if (!existsSync(dir)) throw new ModelFolderError(`model folder ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new ModelFolderError(`${dir} is a file; point PrefLens at the model's folder (holding config.json and onnx/model.onnx)`);
  const found = CANDIDATES.map((c) => join(dir, c)).find((p) => existsSync(p));
  if (!found) {
    if (isPytorchCheckpoint(dir)) {
      throw new ModelFolderError(
        `${dir} holds a PyTorch/safetensors checkpoint, not an ONNX export. Export it once with:\n` +
          `  optimum-cli export onnx --model ${dir} --task text-generation-with-past ${dir}-onnx\n` +
          `and point PrefLens at ${dir}-onnx.`,
      );
    }
    throw new ModelFolderError(`${dir} has no ONNX model: expected onnx/model.onnx, model.onnx or decoder_model_merged.onnx (the layout optimum-cli export onnx writes)`);
  }
  if (!existsSync(join(dir, 'tokenizer.json'))) {
    throw new ModelFolderError(`${dir} has no tokenizer.json: PrefLens tokenizes with the model's own fast-tokenizer file (save it with tokenizer.save_pretrained)`);
  }
  let config: Record<string, unknown> = {};
  if (existsSync(join(dir, 'config.json'))) {
    try {
      config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ModelFolderError(`${join(dir, 'config.json')} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { dir, onnxPath: found, config, legacyMerged: found.includes('decoder_model_merged') };
}
