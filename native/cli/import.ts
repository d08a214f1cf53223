/**
 * `preflens import DATA --policy SRC --ref SRC --out FILE.jsonl [--beta 0.1] [--tokenizer DIR]
 *   (or `--rewardbench FILE` instead of --policy/--ref: RewardBench's per-pair scores)
 *   [--strict-tokens] [--match auto|index|id|COLUMN] [--policy-model ID] [--ref-model ID]
 *   [--max-length N] [--tokens] [--out-of-sample FIELD=VALUE]`
 *
 * Log-probs computed elsewhere (vLLM, Ray, TRL, another PrefLens run) become a PrefLens score
 * file for DATA: the same records, meta file and review order as `preflens score --out`, so
 * `report`, `export` and the extension read it like any other. Every row problem and every
 * tokenization mismatch goes to FILE.import-issues.jsonl (file, line, field, message) and is
 * counted on stderr; the good rows are imported regardless.
 */
import { resolve } from 'node:path';
import { AtomicFileWriter, writeFileAtomic } from '../data/atomicFile';
import { analyzeScores, mergeMetrics, summaryOf } from '../engine/scoreAnalysis';
import { CONVENTION } from '../engine/scorePairs';
import { importScores } from '../interop/importScores';
import { ImportSourceError } from '../interop/importSources';
import { CliUsageError, type ParsedArgs } from './args';
import { importRewardBench } from './interopFormats';
import { cacheDirFrom, formatLocation, mappingFrom } from './common';

export const IMPORT_OPTIONS = ['policy', 'ref', 'rewardbench', 'out', 'beta', 'tokenizer', 'match', 'policy-model', 'ref-model', 'max-length', 'out-of-sample'] as const;
export const IMPORT_FLAGS = ['strict-tokens', 'tokens', 'no-analysis'] as const;

export async function runImport(args: ParsedArgs, version: string): Promise<number> {
  const [data, ...extra] = args.positionals;
  if (!data || extra.length > 0) throw new CliUsageError('import takes exactly one DATA path (the dataset the log-probs belong to)');
  const rewardbench = args.options.get('rewardbench');
  if (rewardbench) {
    const target = args.options.get('out');
    if (!target) throw new CliUsageError('import --rewardbench FILE needs --out FILE.jsonl');
    if (args.options.has('policy') || args.options.has('ref')) throw new CliUsageError('--rewardbench holds both models\' scores: leave out --policy and --ref');
    const b = Number(args.options.get('beta') ?? 0.1);
    if (!(b > 0)) throw new CliUsageError('--beta must be a positive number');
    return importRewardBench(data, rewardbench, target, { beta: b, cacheDir: cacheDirFrom(args), mapping: mappingFrom(args), version });
  }
  const policy = args.options.get('policy');
  const reference = args.options.get('ref');
  const out = args.options.get('out');
  if (!policy || !reference || !out) throw new CliUsageError('import needs --policy SRC, --ref SRC and --out FILE.jsonl (SRC: interchange rows, a vLLM prompt_logprobs dump, TRL ref_*_logps columns (--ref only) or a preflens score file)');
  const beta = Number(args.options.get('beta') ?? 0.1);
  if (!(beta > 0)) throw new CliUsageError('--beta must be a positive number');
  const maxLength = args.options.has('max-length') ? Number(args.options.get('max-length')) : undefined;
  if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength > 1)) throw new CliUsageError('--max-length must be an integer > 1');
  const cacheDir = cacheDirFrom(args);
  const mapping = mappingFrom(args);
  const started = Date.now();
  let result;
  try {
    result = await importScores({
      dataset: data, mapping, cacheDir, policy, reference, beta, tokenizer: args.options.get('tokenizer'), maxLength,
      strictTokens: args.flags.has('strict-tokens'), match: args.options.get('match'), policyModel: args.options.get('policy-model'), refModel: args.options.get('ref-model'), tokens: args.flags.has('tokens'),
    });
  } catch (error) {
    if (error instanceof ImportSourceError) throw new CliUsageError(error.message);
    throw error;
  }
  const log = (line: string): void => void process.stderr.write(`preflens: ${line}\n`);
  for (const s of result.sources) log(`${s.role}: ${s.file} (${s.kind}, ${s.rows} rows, model ${s.models.join(', ') || 'none'})`);
  const errors = result.issues.filter((i) => i.severity === 'error');
  for (const w of result.issues.filter((i) => i.severity === 'warning' && i.field?.endsWith('_sha256'))) log(`warning: ${w.file}: ${w.message}`);
  for (const issue of errors.slice(0, 10)) log(`${formatLocation(issue)}: ${issue.field ? `${issue.field}: ` : ''}${issue.message}`);
  if (errors.length > 10) log(`… and ${errors.length - 10} more row problems`);
  if (result.tokenMismatches.length > 0) log(`${result.tokenMismatches.length} sides tokenized differently from PrefLens (first: row ${result.tokenMismatches[0]!.index} ${result.tokenMismatches[0]!.role} ${result.tokenMismatches[0]!.side}: ${result.tokenMismatches[0]!.message})`);
  else if (!result.tokenizationChecked) log('token ids not checked against PrefLens\'s tokenization (give --tokenizer MODEL_DIR to check them)');

  let records: Record<string, unknown>[] = result.records.map((r) => ({ ...r }));
  let analysis: Record<string, unknown> | undefined;
  const params = { dataset: data, cacheDir, beta };
  if (!args.flags.has('no-analysis') && result.ok > 0) {
    const a = await analyzeScores(undefined, { records: result.records, params, mapping, checkpoints: [], outOfSample: args.options.get('out-of-sample') }, log);
    records = mergeMetrics(result.records, a);
    const review = a.reviewOrder.map((k) => {
      const m = a.metrics[k]!;
      return JSON.stringify({ rank: m.review_rank, index: m.index, id: m.id, review_score: m.review_score, margin: m.margin, suspicions: m.suspicions });
    });
    await writeFileAtomic(`${out}.review.jsonl`, review.length ? `${review.join('\n')}\n` : '');
    analysis = summaryOf(a);
    log(`reward accuracy ${(100 * a.rewardAccuracy).toFixed(1)}%, ${a.suspicious} pairs with suspicions, review order in ${out}.review.jsonl`);
  }
  const writer = await AtomicFileWriter.create(out);
  try {
    await writer.write(records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const issueLines = [
    ...result.issues.map((i) => JSON.stringify({ kind: 'row', ...i })),
    ...result.tokenMismatches.map((m) => JSON.stringify({ kind: 'tokenization', ...m })),
  ];
  await writeFileAtomic(`${out}.import-issues.jsonl`, issueLines.length ? `${issueLines.join('\n')}\n` : '');
  const meta = {
    preflens: version,
    kind: 'score-meta',
    imported: true,
    createdAt: new Date().toISOString(),
    dataset: { path: resolve(data), rows: result.records.length },
    convention: CONVENTION,
    beta,
    sources: result.sources.map((s) => ({ ...s, file: resolve(s.file) })),
    matched_by: result.matchedBy,
    tokenization: { checked: result.tokenizationChecked, tokenizer: args.options.get('tokenizer') ?? null, mismatched_sides: result.tokenMismatches.length, strict: args.flags.has('strict-tokens') },
    counts: { ok: result.ok, invalid: result.invalid, row_problems: errors.length, warnings: result.issues.length - errors.length },
    timings: { total_ms: Date.now() - started },
    analysis,
  };
  await writeFileAtomic(`${out}.meta.json`, `${JSON.stringify(meta, null, 2)}\n`);
  log(`wrote ${out} (${result.ok} pairs imported, ${result.invalid} invalid), ${out}.meta.json and ${out}.import-issues.jsonl (${issueLines.length} entries)`);
  return 0;
}
