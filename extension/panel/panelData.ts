/**
 * What the panel asks for beyond the summary, answered from the open dataset, the latest score
 * run and the flags sidecar: typed-array columns for the charts, paged row previews for the
 * table, text search, the pair detail (with the engine's token-level explanation), flags, and
 * the factor profile.
 *
 * Design note
 * - No `vscode` import: the host passes in how to reach the dataset, the scores, the flags and
 *   the engine, so this is unit-tested with plain objects (test/unit/panel/panelData.test.ts).
 * - Columns are rebuilt on request from the score records (kept by ScoreSession) and the
 *   analysis columns; a 1M-row dataset is 12 Float32Arrays (48 MB), sent without JSON.
 * - The factor profile is computed once per finished score run and cached with the per-factor
 *   differences, so clicking a factor (which rows can it decide?) is a lookup.
 */
import type { Dataset, PairResult } from '../../native/data/dataset';
import type { FlagsStore, PairFlag } from '../../native/data/flagsStore';
import { turnsText } from '../../native/data/messages';
import type { AnalysisSummary, PairScore } from '../../native/protocol/engineProtocol';
import type { PairExplanation } from '../../native/protocol/explainProtocol';
import { FLAG_CODES, SCORE_COLUMNS, type FactorsView, type PairDetail, type PanelFlag, type RowPreview, type ScoreColumnName, type ScoreColumns } from '../../native/protocol/webviewProtocol';
import { computeFactorProfile, type FactorProfileResult } from '../../native/report/factorProfile';

export interface PanelSources {
  dataset(signal?: AbortSignal): Promise<Dataset>;
  records(): ReadonlyMap<number, PairScore>;
  analysis(): AnalysisSummary | null;
  flags: FlagsStore;
  /** The engine's explanation of a row, or a reason it cannot be had (no models, untrusted). */
  explain(index: number, signal: AbortSignal): Promise<PairExplanation | string>;
}

const PREVIEW = 400;
const clip = (text: string): string => (text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text);

function preview(result: PairResult | undefined, index: number, full = false): RowPreview {
  const cut = full ? (t: string) => t : clip;
  if (!result) return { index, line: null, id: null, prompt: '', chosen: '', rejected: '', problem: `row ${index} does not exist` };
  if (!result.ok) return { index, line: result.issue.line ?? null, id: null, prompt: '', chosen: '', rejected: '', problem: result.issue.message };
  const p = result.pair;
  return { index, line: p.line ?? null, id: p.id, prompt: cut(turnsText(p.prompt)), chosen: cut(turnsText(p.chosen)), rejected: cut(turnsText(p.rejected)), problem: null };
}

export class PanelData {
  private flagsById = new Map<string, PairFlag>();
  private flagsLoaded: Promise<void> | undefined;
  private factorCache: { analysis: AnalysisSummary; result: FactorProfileResult; indices: number[] } | undefined;

  constructor(private readonly sources: PanelSources) {}

  private async loadFlags(): Promise<void> {
    this.flagsLoaded ??= this.sources.flags.load().then((s) => void (this.flagsById = s.flags));
    return this.flagsLoaded;
  }

  /** The open dataset. */
  dataset(): Promise<Dataset> {
    return this.sources.dataset();
  }

  /** The detected layout of the open dataset (column mapping for swaps). */
  async schema(): Promise<Dataset['schema']> {
    return (await this.sources.dataset()).schema;
  }

  /** The current flags by pair id (loaded from the sidecar on first use). */
  async flags(): Promise<ReadonlyMap<string, PairFlag>> {
    await this.loadFlags();
    return this.flagsById;
  }

  async clearFlags(): Promise<number> {
    const count = (await this.flags()).size;
    this.flagsById = (await this.sources.flags.clearAll()).flags;
    this.flagsLoaded = Promise.resolve();
    return count;
  }

  /** Forget cached flags (the sidecar changed on disk). */
  reloadFlags(): void {
    this.flagsLoaded = undefined;
  }

  async columns(signal?: AbortSignal): Promise<ScoreColumns> {
    const dataset = await this.sources.dataset(signal);
    await this.loadFlags();
    const rows = dataset.rowCount;
    const columns = Object.fromEntries(SCORE_COLUMNS.map((name) => [name, new Float32Array(rows).fill(Number.NaN)])) as Record<ScoreColumnName, Float32Array>;
    columns.flag.fill(0);
    for (const r of this.sources.records().values()) {
      if (r.index >= rows || r.status !== 'ok') continue;
      const k = r.index;
      columns.margin[k] = r.margin ?? Number.NaN;
      columns.chosen_reward[k] = r.chosen_reward ?? Number.NaN;
      columns.rejected_reward[k] = r.rejected_reward ?? Number.NaN;
      columns.chosen_logratio[k] = (r.chosen_logps ?? Number.NaN) - (r.ref_chosen_logps ?? Number.NaN);
      columns.rejected_logratio[k] = (r.rejected_logps ?? Number.NaN) - (r.ref_rejected_logps ?? Number.NaN);
      columns.chosen_tokens[k] = r.chosen_tokens ?? Number.NaN;
      columns.rejected_tokens[k] = r.rejected_tokens ?? Number.NaN;
      columns.ches_ln[k] = r.ches_ln ?? Number.NaN;
      columns.displaced[k] = (r.chosen_logps ?? 0) - (r.ref_chosen_logps ?? 0) < 0 ? 1 : 0;
      const flag = r.id ? this.flagsById.get(r.id) : undefined;
      if (flag) columns.flag[k] = FLAG_CODES.indexOf(flag.flag) + 1;
    }
    if (this.flagsById.size > 0) {
      // flags belong to pair ids: rows not scored yet need their ids read (only when flags exist)
      const scored = this.sources.records();
      for (let start = 0; start < rows; start += 4096) {
        signal?.throwIfAborted();
        for (const r of await dataset.readPairs(start, Math.min(rows, start + 4096), signal)) {
          if (!r.ok || scored.get(r.pair.index)?.status === 'ok') continue;
          const flag = this.flagsById.get(r.pair.id);
          if (flag) columns.flag[r.pair.index] = FLAG_CODES.indexOf(flag.flag) + 1;
        }
      }
    }
    const analysis = this.sources.analysis();
    if (analysis) {
      analysis.columns.index.forEach((k, j) => {
        if (k >= rows) return;
        columns.review_score[k] = analysis.columns.reviewScore[j]!;
        columns.ensemble_mean[k] = analysis.columns.ensembleMean[j] ?? Number.NaN;
      });
    }
    return { rows, columns };
  }

  async rows(indices: readonly number[], signal?: AbortSignal): Promise<RowPreview[]> {
    const dataset = await this.sources.dataset(signal);
    const out: RowPreview[] = [];
    // Consecutive indices are read as one range: the table asks for a visible window.
    const sorted = [...new Set(indices)].filter((i) => i < dataset.rowCount).sort((a, b) => a - b);
    for (let s = 0; s < sorted.length; ) {
      let e = s;
      while (e + 1 < sorted.length && sorted[e + 1] === sorted[e]! + 1) e++;
      const page = await dataset.readPairs(sorted[s]!, sorted[e]! + 1, signal);
      page.forEach((r, j) => out.push(preview(r, sorted[s]! + j)));
      s = e + 1;
    }
    const byIndex = new Map(out.map((r) => [r.index, r]));
    return indices.map((i) => byIndex.get(i) ?? preview(undefined, i));
  }

  async search(text: string, limit: number, signal?: AbortSignal): Promise<{ indices: number[]; truncated: boolean }> {
    const dataset = await this.sources.dataset(signal);
    const needle = text.toLowerCase();
    const indices: number[] = [];
    for (let start = 0; start < dataset.rowCount; start += 1024) {
      signal?.throwIfAborted();
      for (const r of await dataset.readPairs(start, Math.min(dataset.rowCount, start + 1024), signal)) {
        if (!r.ok) continue;
        const p = r.pair;
        if ([p.prompt, p.chosen, p.rejected].some((t) => turnsText(t).toLowerCase().includes(needle))) {
          if (indices.length >= limit) return { indices, truncated: true };
          indices.push(p.index);
        }
      }
    }
    return { indices, truncated: false };
  }

  async detail(index: number, signal: AbortSignal): Promise<PairDetail> {
    const dataset = await this.sources.dataset(signal);
    const [row] = index < dataset.rowCount ? await dataset.readPairs(index, index + 1, signal) : [];
    const texts = preview(row, index, true);
    await this.loadFlags();
    const flag = texts.id ? this.flagsById.get(texts.id) : undefined;
    const suspicions = this.sources.analysis()?.review.find((r) => r.index === index)?.suspicions ?? [];
    let explanation: PairExplanation | null = null;
    let explainProblem: string | null = null;
    if (texts.problem) explainProblem = texts.problem;
    else {
      const result = await this.sources.explain(index, signal).catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
      if (typeof result === 'string') explainProblem = result;
      else explanation = result;
    }
    return { index, texts, explanation, explainProblem, suspicions, flag: flag?.flag ?? null, note: flag?.note ?? null };
  }

  async setFlag(index: number, flag: PanelFlag | null, note?: string): Promise<{ id: string; flag: PanelFlag | null }> {
    const dataset = await this.sources.dataset();
    const [row] = index < dataset.rowCount ? await dataset.readPairs(index, index + 1) : [];
    if (!row?.ok) throw new Error(`row ${index} is not a valid pair, so it cannot be flagged`);
    const snapshot = flag === null ? await this.sources.flags.clear(row.pair.id) : await this.sources.flags.set(row.pair.id, { flag, note });
    this.flagsById = snapshot.flags;
    this.flagsLoaded = Promise.resolve();
    return { id: row.pair.id, flag };
  }

  private async factorResult(signal?: AbortSignal): Promise<{ result: FactorProfileResult; indices: number[] } | undefined> {
    const analysis = this.sources.analysis();
    if (!analysis) return undefined;
    if (this.factorCache?.analysis === analysis) return this.factorCache;
    const dataset = await this.sources.dataset(signal);
    const records = [...this.sources.records().values()].filter((r) => r.status === 'ok' && r.margin !== null).sort((a, b) => a.index - b.index);
    const items = [];
    const indices: number[] = [];
    for (let start = 0; start < dataset.rowCount; start += 1024) {
      signal?.throwIfAborted();
      const page = await dataset.readPairs(start, Math.min(dataset.rowCount, start + 1024), signal);
      for (const r of page) {
        const score = r.ok ? this.sources.records().get(r.pair.index) : undefined;
        if (!r.ok || !score || score.status !== 'ok' || score.margin === null) continue;
        indices.push(r.pair.index);
        items.push({ prompt: turnsText(r.pair.prompt), chosen: turnsText(r.pair.chosen), rejected: turnsText(r.pair.rejected), chosenTokens: score.chosen_tokens ?? 0, rejectedTokens: score.rejected_tokens ?? 0, attributes: r.pair.attributes, margin: score.margin, ches: score.ches ?? undefined });
      }
    }
    if (records.length === 0) return undefined;
    this.factorCache = { analysis, result: computeFactorProfile(items), indices };
    return this.factorCache;
  }

  async factors(signal?: AbortSignal): Promise<FactorsView> {
    const cached = await this.factorResult(signal);
    if (!cached) return { state: 'not-scored', message: 'Score the dataset to compare what drives the labels with what drives the model.', factors: [], sentences: [], spearman: null, lengthBias: [] };
    const { factors, profile } = cached.result;
    return {
      state: 'ready',
      message: null,
      factors: factors.map((f) => ({ name: f.name, description: f.description, labelTau: f.labelTau, modelTau: f.modelTau, labelShare: f.labelShare ?? null, modelShare: f.modelShare ?? null })),
      sentences: profile?.sentences ?? [],
      spearman: profile?.spearman ?? null,
      lengthBias: profile?.lengthBias ?? [],
    };
  }

  async factorRows(factor: string, signal?: AbortSignal): Promise<number[]> {
    const cached = await this.factorResult(signal);
    if (!cached) return [];
    const decides = cached.result.differs(factor);
    return cached.indices.filter((_, j) => decides[j]);
  }
}
