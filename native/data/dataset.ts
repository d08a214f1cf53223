/**
 * A preference dataset: a `RowSource` plus its detected schema, read as `Pair`s page by page.
 *
 * Design note: opening reads only the index (or metadata) and a sample of rows for schema
 * detection; pairs are produced on demand. A row that fails to parse or to validate becomes a
 * located `DataIssue` in its place, so the pages keep their positions and every other row
 * still loads. `scan()` walks the whole dataset in pages for inspect and export, honouring an
 * AbortSignal between pages.
 */
import { normalizeRow, type Pair } from './normalizePair';
import { openRowSource, type OpenOptions } from './openSource';
import { detectSchema, SchemaError, type ColumnMapping, type DetectedSchema } from './schema';
import type { DataIssue, RowResult, RowSource } from './types';

export type PairResult = { ok: true; pair: Pair } | { ok: false; index: number; line?: number; issue: DataIssue };

export interface DatasetOptions extends OpenOptions {
  mapping?: ColumnMapping;
}

const SAMPLE_ROWS = 200;

export class Dataset {
  private constructor(
    readonly source: RowSource,
    readonly schema: DetectedSchema | undefined,
    /** Why no schema could be detected (then every row is reported with it). */
    readonly schemaProblem: string | undefined,
  ) {}

  static async open(path: string, options: DatasetOptions): Promise<Dataset> {
    const source = await openRowSource(path, options);
    try {
      const sample = (await source.readRows(0, Math.min(SAMPLE_ROWS, source.rowCount), options.signal)).flatMap((r) => (r.ok ? [r.value] : []));
      if (sample.length === 0 && source.rowCount > 0 && !options.mapping) {
        return new Dataset(source, undefined, `none of the first ${Math.min(SAMPLE_ROWS, source.rowCount)} rows could be read, so the layout is unknown`);
      }
      if (source.rowCount === 0 && !options.mapping) return new Dataset(source, undefined, 'the dataset has no records');
      try {
        return new Dataset(source, detectSchema(sample, source.columns, options.mapping), undefined);
      } catch (error) {
        if (error instanceof SchemaError) return new Dataset(source, undefined, error.message);
        throw error;
      }
    } catch (error) {
      await source.close();
      throw error;
    }
  }

  get path(): string {
    return this.source.path;
  }

  get rowCount(): number {
    return this.source.rowCount;
  }

  async readPairs(start: number, end: number, signal?: AbortSignal): Promise<PairResult[]> {
    return this.pairsFromRows(await this.source.readRows(start, end, signal));
  }

  /** Normalises rows already read from `source` (callers that also need the raw rows). */
  pairsFromRows(rows: RowResult[]): PairResult[] {
    return rows.map((row): PairResult => {
      const file = this.source.fileOf?.(row.index) ?? this.source.path;
      if (!row.ok) return { ok: false, index: row.index, line: row.line, issue: row.issue };
      if (!this.schema) {
        const reason = this.source.columns && this.schemaProblem?.includes('columns found') ? 'missing-columns' : 'unsupported-schema';
        return { ok: false, index: row.index, line: row.line, issue: { reason, severity: 'error', file, index: row.index, line: row.line, message: this.schemaProblem ?? 'unknown layout' } };
      }
      const normalized = normalizeRow(row.value, this.schema, { file, index: row.index, line: row.line });
      return normalized.ok ? normalized : { ok: false, index: row.index, line: row.line, issue: normalized.issue };
    });
  }

  async *scan(signal?: AbortSignal, pageSize = 2000): AsyncGenerator<PairResult[]> {
    for (let start = 0; start < this.rowCount; start += pageSize) {
      signal?.throwIfAborted();
      yield await this.readPairs(start, Math.min(start + pageSize, this.rowCount), signal);
    }
  }

  close(): Promise<void> {
    return this.source.close();
  }
}
