/**
 * A GPT-2-small-sized model (124M parameters: 12 layers, 768 wide, 50,257-token vocabulary,
 * random weights) generated once by the project's own model generator and kept in the cache
 * folder, for benchmarks that need a realistically sized model without downloading one. The
 * tokenizer is the small test tokenizer (its ids are a subset of the model's vocabulary).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gpt2Config } from '../../examples/modelgen/gpt2Weights';
import { writeModelFolder } from '../../examples/modelgen/writeModelFolder';

export const GPT2_SMALL = gpt2Config({ vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12 });
export const GPT2_SMALL_PARAMETERS = 124_439_808;

export function gpt2SmallFolder(cacheDir: string, seed = 1, vocabSize = GPT2_SMALL.vocabSize): string {
  const dir = join(cacheDir, 'bench-models', `gpt2-small-v${vocabSize}-s${seed}`);
  if (!existsSync(join(dir, 'onnx', 'model.onnx'))) {
    writeModelFolder(dir, { config: { ...GPT2_SMALL, vocabSize }, seed, tokenizerDir: 'test/fixtures/trl-golden/models/reference', externalData: true });
  }
  return dir;
}
