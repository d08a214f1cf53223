/**
 * Command line for the GPT-2 model generator:
 *
 *   node --import tsx examples/modelgen/cli.ts OUT --vocab N --layers L --embd H --heads A \
 *     --positions P --seed S [--fp16] [--external-data] [--init-range R] --tokenizer DIR
 *
 * Design note: a thin shell over writeModelFolder. It holds no logic of its own, so the CLI and the
 * tests produce the same bytes for the same options. Every size is required, with no defaults, so a
 * benchmark script records exactly the model it asked for.
 */
import { parseArgs } from 'node:util';
import { gpt2Config, gpt2ParameterCount } from './gpt2Weights';
import { writeModelFolder } from './writeModelFolder';

const USAGE =
  'usage: node --import tsx examples/modelgen/cli.ts OUT --vocab N --layers L --embd H --heads A --positions P --seed S ' +
  '[--fp16] [--external-data] [--init-range R] --tokenizer DIR';

function intOption(values: Record<string, unknown>, name: string): number {
  const raw = values[name];
  if (typeof raw !== 'string') throw new Error(`--${name} is required`);
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new Error(`--${name} must be a non-negative integer, got ${raw}`);
  return n;
}

function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        vocab: { type: 'string' }, layers: { type: 'string' }, embd: { type: 'string' }, heads: { type: 'string' },
        positions: { type: 'string' }, seed: { type: 'string' }, tokenizer: { type: 'string' }, 'init-range': { type: 'string' },
        fp16: { type: 'boolean' }, 'external-data': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (positionals.length !== 1) throw new Error('exactly one output folder is required');
    if (!values.tokenizer) throw new Error('--tokenizer is required');
    const config = gpt2Config({
      vocabSize: intOption(values, 'vocab'), nLayer: intOption(values, 'layers'), nEmbd: intOption(values, 'embd'),
      nHead: intOption(values, 'heads'), nPositions: intOption(values, 'positions'),
    });
    const initRange = values['init-range'] === undefined ? undefined : Number(values['init-range']);
    if (initRange !== undefined && !(initRange > 0)) throw new Error('--init-range must be a positive number');
    const started = process.hrtime.bigint();
    const out = writeModelFolder(positionals[0]!, {
      config, seed: intOption(values, 'seed'), dtype: values.fp16 ? 'float16' : 'float32',
      externalData: values['external-data'] ?? false, tokenizerDir: values.tokenizer, initRange,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`wrote ${out.dir}: ${gpt2ParameterCount(config).toLocaleString('en-US')} parameters, ${(out.bytes / 2 ** 20).toFixed(1)} MiB in ${seconds.toFixed(1)} s`);
    for (const f of out.files) console.log(`  ${f}`);
    return 0;
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
