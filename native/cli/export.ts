/**
 * `preflens export DATA --out FILE [--drop drop,noisy] [--apply-swaps] [--drop-suspected REASONS]
 * [--where EXPR] [--scores FILE] [--drop-invalid] [--format jsonl|parquet] [--overwrite-source]`
 * or `preflens export DATA --scores FILE --as rewardbench|argilla --out FILE` (native/cli/interopFormats.ts)
 */
import { stat } from 'node:fs/promises';
import { Dataset } from '../data/dataset';
import { exportDataset, manifestPath, type ScoreRecord } from '../data/exportDataset';
import { FLAG_VALUES, FlagsStore, type FlagValue } from '../data/flagsStore';
import { readJsonl } from '../data/readJsonl';
import { compileWhere } from '../data/whereExpression';
import { CliUsageError, type ParsedArgs } from './args';
import { cacheDirFrom, mappingFrom } from './common';
import { exportAs } from './interopFormats';

export const EXPORT_OPTIONS = ['out', 'drop', 'drop-suspected', 'where', 'scores', 'format', 'as'] as const;
export const EXPORT_FLAGS = ['apply-swaps', 'drop-invalid', 'overwrite-source', 'json', 'ref-logps'] as const;

function list(value: string | undefined): string[] {
  return value === undefined || value === 'none' || value === '' ? [] : value.split(',').map((s) => s.trim()).filter(Boolean);
}

function dropFlagsFrom(value: string | undefined): FlagValue[] {
  if (value === undefined) return ['drop'];
  const flags = list(value);
  for (const flag of flags) {
    if (!(FLAG_VALUES as readonly string[]).includes(flag)) throw new CliUsageError(`--drop: unknown flag "${flag}" (flags are ${FLAG_VALUES.join(', ')}; "none" keeps every flagged pair)`);
  }
  return flags as FlagValue[];
}

async function loadScores(path: string): Promise<{ path: string; byId: Map<string, ScoreRecord>; byIndex: Map<number, ScoreRecord>; meta?: unknown }> {
  const byId = new Map<string, ScoreRecord>();
  const byIndex = new Map<number, ScoreRecord>();
  for (const record of await readJsonl(path)) {
    if (!record || typeof record !== 'object') continue;
    const r = record as ScoreRecord;
    if (typeof r.id === 'string') byId.set(r.id, r);
    if (typeof r.index === 'number') byIndex.set(r.index, r);
  }
  let meta: unknown;
  try {
    meta = (await readJsonl(`${path}.meta.json`, { wholeFileJson: true }))[0];
  } catch {
    meta = undefined;
  }
  return { path, byId, byIndex, meta };
}

export async function runExport(args: ParsedArgs, version: string): Promise<number> {
  const [data, ...extra] = args.positionals;
  if (!data || extra.length > 0) throw new CliUsageError('export takes exactly one DATA path');
  const out = args.options.get('out');
  if (!out) throw new CliUsageError('export needs --out FILE (.jsonl or .parquet)');
  const format = args.options.get('format');
  if (format !== undefined && format !== 'jsonl' && format !== 'parquet') throw new CliUsageError('--format is jsonl or parquet');
  const where = args.options.has('where') ? compileWhere(args.options.get('where')!) : undefined;
  const scoresPath = args.options.get('scores');
  const as = args.options.get('as');
  if (as !== undefined) {
    if (!scoresPath) throw new CliUsageError(`--as ${as} needs --scores FILE (from preflens score or preflens import)`);
    const filters = ['drop', 'drop-suspected', 'where', 'format'].filter((o) => args.options.has(o)).concat(['apply-swaps', 'ref-logps', 'drop-invalid'].filter((f) => args.flags.has(f)));
    if (filters.length > 0) throw new CliUsageError(`--as writes every scored pair; --${filters.join(', --')} apply to dataset exports (export the filtered dataset first, then use --as on it)`);
    return exportAs(as, data, scoresPath, out, { cacheDir: cacheDirFrom(args), mapping: mappingFrom(args) });
  }
  const dropSuspected = list(args.options.get('drop-suspected'));
  if (dropSuspected.length > 0 && !scoresPath) throw new CliUsageError('--drop-suspected needs --scores FILE (the output of preflens score)');
  const scores = scoresPath ? await loadScores(scoresPath) : undefined;
  if (args.flags.has('ref-logps') && !scoresPath) throw new CliUsageError('--ref-logps needs --scores FILE (the output of preflens score with the reference model)');

  const dataset = await Dataset.open(data, { cacheDir: cacheDirFrom(args), mapping: mappingFrom(args) });
  try {
    if (!dataset.schema) throw new Error(`${data}: ${dataset.schemaProblem}`);
    const store = new FlagsStore(data, { kind: (await stat(data)).isDirectory() ? 'folder' : 'file' });
    const snapshot = await store.load();
    for (const problem of snapshot.problems) process.stderr.write(`preflens: warning: ${problem.file}: ${problem.message}\n`);
    const flags = new Map([...snapshot.flags].map(([id, f]) => [id, f.flag]));
    const manifest = await exportDataset(dataset, {
      out,
      format: format as 'jsonl' | 'parquet' | undefined,
      flags,
      dropFlags: dropFlagsFrom(args.options.get('drop')),
      applySwaps: args.flags.has('apply-swaps'),
      dropSuspected,
      where,
      scores,
      dropInvalid: args.flags.has('drop-invalid'),
      refLogps: args.flags.has('ref-logps'),
      allowOverwriteSource: args.flags.has('overwrite-source'),
      version,
    });
    if (args.flags.has('json')) process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
    else {
      const c = manifest.counts;
      const flagged = Object.entries(c.dropped.flagged).map(([f, n]) => `${f} ${n}`).join(', ') || 'none';
      process.stdout.write(
        `wrote ${out} (${manifest.output.format}): kept ${c.kept} of ${c.rows} rows, swapped ${c.swapped}\n` +
          `  dropped: flagged ${flagged}; suspected ${c.dropped.suspected}; --where ${c.dropped.where}; invalid ${c.dropped.invalid}\n` +
          `  manifest: ${manifestPath(out)}\n`,
      );
    }
    return 0;
  } finally {
    await dataset.close();
  }
}
