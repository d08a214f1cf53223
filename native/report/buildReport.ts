/**
 * Builds the data of a PrefLens report from a dataset and a `preflens score --out` file (with its
 * meta file): the dataset summary, the margin distribution, the factor table (label profile vs
 * model profile, after PROFILE; METRICS 5), checkpoint trajectories when they were scored, and the
 * suspicious pairs in review order with their evidence and text.
 */
import { basename, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { Dataset } from '../data/dataset';
import { turnsText } from '../data/messages';
import type { ColumnMapping } from '../data/schema';
import { readJsonl } from '../data/readJsonl';
import { histogram } from '../metrics/histogram';
import { computeFactorProfile } from './factorProfile';
import type { ReportData, ReportSuspiciousPair } from './reportData';

interface ScoreLine {
  index: number;
  id: string | null;
  status: string;
  margin: number | null;
  chosen_tokens: number | null;
  rejected_tokens: number | null;
  suspicions?: { reason: string; evidence: string }[];
  review_rank?: number | null;
  ches?: number | null;
}

const MAX_SUSPICIOUS = 200;
const MAX_TEXT = 4000;
const clip = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length - MAX_TEXT} more characters)` : text);
const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

export async function buildReportData(data: string, scoresPath: string, options: { cacheDir: string; mapping?: ColumnMapping }): Promise<ReportData> {
  const records = (await readJsonl(scoresPath)) as ScoreLine[];
  let meta: Record<string, unknown> = {};
  try {
    meta = JSON.parse(await readFile(`${scoresPath}.meta.json`, 'utf8')) as Record<string, unknown>;
  } catch {
    // a scores file without its meta file still gives most of the report
  }
  const analysis = (meta.analysis ?? {}) as Record<string, unknown>;
  const ranking = (analysis.ranking ?? {}) as Record<string, unknown>;
  const dataset = await Dataset.open(data, { cacheDir: options.cacheDir, mapping: options.mapping });
  const pairs = await dataset.readPairs(0, dataset.rowCount);
  await dataset.close();
  const ok = records.filter((r) => r.status === 'ok' && finite(r.margin) !== null && pairs[r.index]?.ok);
  const { factors, profile: profileData } = computeFactorProfile(ok.map((r) => {
    const pair = pairs[r.index]!;
    if (!pair.ok) throw new Error('unreachable');
    const p = pair.pair;
    return { prompt: turnsText(p.prompt), chosen: turnsText(p.chosen), rejected: turnsText(p.rejected), chosenTokens: r.chosen_tokens ?? 0, rejectedTokens: r.rejected_tokens ?? 0, attributes: p.attributes, margin: r.margin!, ches: finite(r.ches) ?? undefined };
  }));
  const suspicious: ReportSuspiciousPair[] = records
    .filter((r) => r.suspicions && r.suspicions.length > 0 && r.review_rank !== null && r.review_rank !== undefined)
    .sort((a, b) => a.review_rank! - b.review_rank!)
    .slice(0, MAX_SUSPICIOUS)
    .flatMap((r) => {
      const pair = pairs[r.index];
      if (!pair?.ok) return [];
      const p = pair.pair;
      return [{ index: r.index, line: p.line ?? null, id: r.id ?? p.id, margin: r.margin ?? Number.NaN, prompt: clip(turnsText(p.prompt)), chosen: clip(turnsText(p.chosen)), rejected: clip(turnsText(p.rejected)), reasons: r.suspicions!.map((s) => ({ reason: s.reason, evidence: s.evidence })) }];
    });
  const traj = analysis.trajectories as { checkpoints: string[]; displacedByCheckpoint: number[]; meanMarginByCheckpoint?: number[] } | undefined;
  const hist = histogram(ok.map((r) => r.margin!));
  return {
    title: `PrefLens report: ${basename(data)}`,
    generatedAt: new Date().toISOString(),
    dataset: { path: resolve(data), format: dataset.source.format, schema: dataset.schema?.kind ?? 'unknown', rows: dataset.rowCount, validPairs: pairs.filter((p) => p.ok).length },
    summary: {
      rewardAccuracy: finite(analysis.rewardAccuracy) ?? (ok.length ? ok.filter((r) => r.margin! > 0).length / ok.length : null),
      meanMargin: finite(analysis.meanMargin) ?? (ok.length ? ok.reduce((s, r) => s + r.margin!, 0) / ok.length : null),
      rankingAccuracy: finite(ranking.R),
      referenceRankingAccuracy: finite(ranking.refR),
      alignmentGapPP: finite(ranking.alignmentGapPP),
      displacementRate: finite(analysis.displacementRate),
      suspicious: typeof analysis.suspicious === 'number' ? analysis.suspicious : records.filter((r) => r.suspicions?.length).length,
      confidentLearning: describeConfidentLearning(analysis.confidentLearning),
    },
    marginHistogram: { edges: hist.edges, counts: hist.counts },
    factors,
    profile: profileData,
    trajectories: traj && traj.meanMarginByCheckpoint ? { checkpoints: traj.checkpoints.map((c) => basename(c)), meanMargin: traj.meanMarginByCheckpoint, displaced: traj.displacedByCheckpoint } : undefined,
    suspicious,
  };
}

function describeConfidentLearning(value: unknown): string {
  if (typeof value === 'string') return value; // already described (the extension's run summary)
  const cl = (value ?? {}) as { informative?: boolean; flipRate?: number; pairs?: number; expectedIssues?: number; reason?: string };
  if (cl.informative) return `estimated label-flip rate ${(100 * (cl.flipRate ?? 0)).toFixed(1)}% over ${cl.pairs} out-of-sample pairs (about ${cl.expectedIssues} label issues)`;
  return `not run: ${cl.reason ?? 'score with --out-of-sample FIELD=VALUE to name the pairs the policy never saw'}`;
}
