/**
 * The CLI ends of the RewardBench and Argilla integrations (native/interop/rewardBench.ts,
 * argillaExport.ts; docs/rewardbench.md, docs/argilla.md):
 * - `preflens import DATA --rewardbench FILE --out scores.jsonl [--beta B]`: RewardBench's
 *   per-pair scores as PrefLens records (rewards and margin; RewardBench keeps no log-probs, so
 *   the log-prob analysis is not run);
 * - `preflens export DATA --scores FILE --as rewardbench|argilla --out FILE`: every scored pair
 *   in RewardBench's per-pair JSONL, or Argilla records (+ FILE.settings.json) with PrefLens's
 *   evidence as metadata and flags and suspicions as suggestions.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../data/atomicFile';
import { Dataset } from '../data/dataset';
import { FlagsStore } from '../data/flagsStore';
import type { Pair } from '../data/normalizePair';
import { readJsonl } from '../data/readJsonl';
import type { ColumnMapping } from '../data/schema';
import { toArgillaRecords, type ArgillaScoreInput } from '../interop/argillaExport';
import { createRewardBenchMatcher, parseRewardBenchOutput, rewardBenchToRecords } from '../interop/rewardBench';
import { toRewardBenchJsonl, type RewardBenchExportRecord } from '../interop/rewardBenchExport';
import { CliUsageError } from './args';

async function datasetPairs(data: string, cacheDir: string, mapping?: ColumnMapping): Promise<{ pairs: (Pair | null)[]; rowCount: number }> {
  const dataset = await Dataset.open(data, { cacheDir, mapping });
  try {
    if (!dataset.schema) throw new CliUsageError(`${data}: ${dataset.schemaProblem ?? 'unknown layout'}`);
    const pairs: (Pair | null)[] = [];
    for (let start = 0; start < dataset.rowCount; start += 2000) pairs.push(...(await dataset.readPairs(start, start + 2000)).map((p) => (p.ok ? p.pair : null)));
    return { pairs, rowCount: dataset.rowCount };
  } finally {
    await dataset.close();
  }
}

export async function importRewardBench(data: string, file: string, out: string, options: { beta: number; cacheDir: string; mapping?: ColumnMapping; version: string }): Promise<number> {
  const parsed = parseRewardBenchOutput(await readFile(file, 'utf8'), file);
  const { pairs, rowCount } = await datasetPairs(data, options.cacheDir, options.mapping);
  const matchable = pairs.flatMap((p) => (p ? [{ index: p.index, id: p.id, chosen: p.chosen, rejected: p.rejected, attributes: p.attributes }] : []));
  const result = rewardBenchToRecords(parsed.entries, createRewardBenchMatcher(matchable, { rowCount }), options.beta, { pairId: (i) => pairs[i]?.id ?? null });
  const byIndex = new Map(result.records.map((r) => [r.index, r]));
  const records = pairs.map((p, index) => byIndex.get(index) ?? {
    index, id: p?.id ?? null, status: 'invalid', error: p ? `not in ${file}` : 'the dataset row could not be read',
    chosen_tokens: null, rejected_tokens: null, chosen_logps: null, rejected_logps: null, ref_chosen_logps: null, ref_rejected_logps: null,
    chosen_reward: null, rejected_reward: null, margin: null, beta: options.beta, ches: null, ches_ln: null,
  });
  await writeFileAtomic(out, records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
  const issues = [...parsed.issues.map((i) => JSON.stringify({ kind: 'row', ...i })), ...result.unmatched.map((u) => JSON.stringify({ kind: 'unmatched', file, line: u.entry.line, message: u.reason }))];
  await writeFileAtomic(`${out}.import-issues.jsonl`, issues.length ? `${issues.join('\n')}\n` : '');
  const ok = result.records.length;
  const meta = {
    preflens: options.version, kind: 'score-meta', imported: true, createdAt: new Date().toISOString(),
    dataset: { path: resolve(data), rows: records.length }, beta: options.beta,
    sources: [{ role: 'rewards', file: resolve(file), kind: `rewardbench (${parsed.layout})`, score_kind: parsed.scoreKind, rows: parsed.entries.length }],
    counts: { ok, invalid: records.length - ok, row_problems: parsed.issues.filter((i) => i.severity === 'error').length, unmatched: result.unmatched.length },
  };
  await writeFileAtomic(`${out}.meta.json`, `${JSON.stringify(meta, null, 2)}\n`);
  for (const issue of parsed.issues.slice(0, 10)) process.stderr.write(`preflens: ${issue.file}:${issue.line}: ${issue.field ? `${issue.field}: ` : ''}${issue.message}\n`);
  for (const u of result.unmatched.slice(0, 5)) process.stderr.write(`preflens: ${file}:${u.entry.line}: ${u.reason}\n`);
  process.stderr.write(`preflens: RewardBench ${parsed.layout} (${parsed.scoreKind} scores): ${ok} of ${records.length} rows matched; rewards = beta (${options.beta}) x RewardBench's score; no log-probs, so the log-prob analysis is not run. Wrote ${out}, ${out}.meta.json, ${out}.import-issues.jsonl (${issues.length} entries)\n`);
  return 0;
}

export async function exportAs(kind: string, data: string, scoresPath: string, out: string, options: { cacheDir: string; mapping?: ColumnMapping }): Promise<number> {
  if (kind !== 'rewardbench' && kind !== 'argilla') throw new CliUsageError(`--as is rewardbench or argilla (got ${JSON.stringify(kind)})`);
  const records = (await readJsonl(scoresPath)).filter((r): r is Record<string, unknown> & { index: number } => !!r && typeof r === 'object' && typeof (r as { index?: unknown }).index === 'number');
  const { pairs } = await datasetPairs(data, options.cacheDir, options.mapping);
  const lookup = new Map<number, Pair>();
  pairs.forEach((p, i) => p && lookup.set(i, p));
  if (kind === 'rewardbench') {
    const result = toRewardBenchJsonl(records as unknown as RewardBenchExportRecord[], lookup);
    await writeFileAtomic(out, result.text);
    process.stdout.write(`wrote ${out}: ${result.written} pairs in RewardBench's per-pair layout${result.skipped.length ? `, ${result.skipped.length} skipped (first: row ${result.skipped[0]!.index}: ${result.skipped[0]!.reason})` : ''}\n`);
    return 0;
  }
  const store = new FlagsStore(data, { kind: (await stat(data)).isDirectory() ? 'folder' : 'file' });
  const flags = new Map([...(await store.load()).flags].map(([id, f]) => [id, f.flag]));
  const result = toArgillaRecords(records as unknown as ArgillaScoreInput[], lookup, { flags });
  const settingsPath = out.replace(/\.jsonl$/i, '') + '.settings.json';
  await writeFileAtomic(out, result.jsonl);
  await writeFileAtomic(settingsPath, result.settingsJson);
  const s = result.suggested;
  process.stdout.write(`wrote ${out} (${result.records.length} Argilla records; suggested keep ${s.keep}, swap ${s.swap}, drop ${s.drop}) and ${settingsPath}\n`);
  return 0;
}
