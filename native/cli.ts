/**
 * The `preflens` command line: the same core as the extension, for scripts and GPU boxes.
 * Subcommands are added here as the core grows; each lives in its own module under native/cli/.
 */
import { EXPORT_FLAGS, EXPORT_OPTIONS, runExport } from './cli/export';
import { runInspect } from './cli/inspect';
import { SCORE_FLAGS, SCORE_OPTIONS, runScore } from './cli/score';
import { REPORT_OPTIONS, runReport } from './cli/report';
import { runMerge } from './cli/shards';
import { IMPORT_FLAGS, IMPORT_OPTIONS, runImport } from './cli/import';
import { CliUsageError, parseArgs } from './cli/args';
import { DATASET_OPTIONS } from './cli/common';

declare const PREFLENS_VERSION: string;
const VERSION = typeof PREFLENS_VERSION === 'string' ? PREFLENS_VERSION : 'dev';

const USAGE = `preflens ${VERSION}: alignment debugging for preference datasets

Usage:
  preflens score DATA --policy DIR --ref DIR     per-pair log-probs, implicit rewards, margin, CHES (JSONL)
      [--beta 0.1] [--out FILE.jsonl] [--tokens] [--device auto|cpu|cuda] [--max-length 1024]
      [--token-budget 4096] [--threads N]       run metadata goes to FILE.meta.json
      [--checkpoints DIR,DIR]                   policy checkpoints: ensembles and trajectories
      [--out-of-sample FIELD=VALUE]             rows the policy never saw (e.g. split=heldout): confident learning
      [--no-analysis]                           skip metrics and suspicions (stream records as they come)
      [--shard i/n]                             score shard i (from 0) of n; needs --out; merge with preflens merge
      [--progress-json]                         progress as JSON lines on stderr (for schedulers)
  preflens import DATA --policy SRC --ref SRC --out FILE.jsonl
                                     log-probs computed elsewhere as a PrefLens score file (docs/interchange.md)
      SRC: interchange rows, a vLLM prompt_logprobs dump, TRL ref_*_logps columns (--ref) or a score file
      [--tokenizer DIR]                         check token ids against PrefLens's tokenization, per pair
      [--strict-tokens]                         mismatched pairs become invalid instead of a warning
      [--match auto|index|id|COLUMN]            how example_id finds its row (default: index, pair id, id column)
      [--policy-model ID] [--ref-model ID]      pick the model in a source holding several
      [--beta 0.1] [--max-length 1024] [--tokens] [--out-of-sample FIELD=VALUE] [--no-analysis]
  preflens import DATA --rewardbench FILE --out FILE.jsonl [--beta 0.1]
                                     RewardBench's per-pair scores (_outputs.jsonl, --save_all, run_dpo/run_rm JSON)
  preflens merge --out FILE SHARD...  join shard outputs in row order (checks they cover every row once)
  preflens report DATA --scores FILE --out report.html|report.json
                                     summary, margin distribution, factors (label vs model), trajectories,
                                     suspicious pairs with evidence: one self-contained, offline-safe file
  preflens inspect DATA [--json]     format, schema, counts and problems of a dataset
                                     DATA: .jsonl, .jsonl.gz, .json, .parquet or a folder of shards
  preflens export DATA --out FILE    write a filtered copy (JSONL or Parquet) and FILE.manifest.json
      [--drop drop,noisy]            drop pairs with these flags (default: drop; "none" keeps all)
      [--apply-swaps]                reverse the label of pairs flagged swap
      [--drop-suspected REASONS]     drop pairs with these suspicion reasons (needs --scores)
      [--where EXPR]                 keep rows where EXPR holds, e.g. 'margin > 0 && score_chosen >= 7'
      [--scores FILE]                scores from preflens score, for --where and --drop-suspected
      [--drop-invalid]               drop rows PrefLens cannot read (kept verbatim by default)
      [--ref-logps]                  add TRL's ref_chosen_logps / ref_rejected_logps columns (needs --scores):
                                     TRL's DPOTrainer then skips its reference-model pass
      [--format jsonl|parquet] [--overwrite-source] [--json]
  preflens export DATA --scores FILE --as rewardbench|argilla --out FILE
                                     every scored pair in RewardBench's per-pair JSONL, or Argilla records
                                     (flags and suspicions as suggestions) plus FILE.settings.json

Dataset options:
  --prompt-column C --chosen-column C --rejected-column C   map columns explicitly
  --cache-dir DIR      index and decompression cache (default $PREFLENS_CACHE or ~/.cache/preflens)
  preflens --version | --help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command === 'inspect') {
    const args = parseArgs(rest, { boolean: ['json'], string: [...DATASET_OPTIONS] });
    return runInspect(args);
  }
  if (command === 'score') {
    const args = parseArgs(rest, { boolean: [...SCORE_FLAGS], string: [...DATASET_OPTIONS, ...SCORE_OPTIONS] });
    return runScore(args, VERSION);
  }
  if (command === 'merge') {
    const args = parseArgs(rest, { boolean: [], string: ['out'] });
    return runMerge(args.options.get('out'), args.positionals);
  }
  if (command === 'import') {
    const args = parseArgs(rest, { boolean: [...IMPORT_FLAGS], string: [...DATASET_OPTIONS, ...IMPORT_OPTIONS] });
    return runImport(args, VERSION);
  }
  if (command === 'report') {
    const args = parseArgs(rest, { boolean: [], string: [...DATASET_OPTIONS, ...REPORT_OPTIONS] });
    return runReport(args);
  }
  if (command === 'export') {
    const args = parseArgs(rest, { boolean: [...EXPORT_FLAGS], string: [...DATASET_OPTIONS, ...EXPORT_OPTIONS] });
    return runExport(args, VERSION);
  }
  throw new CliUsageError(`unknown command ${JSON.stringify(command)}`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliUsageError) {
      process.stderr.write(`preflens: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`preflens: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
