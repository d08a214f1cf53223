/**
 * Shared types of the dataset layer (`native/data/`).
 *
 * Design note
 * - A dataset file is opened as a `RowSource`: a random-access list of rows that reads pages on
 *   demand and never holds the file in memory. JSONL, gzipped JSONL, JSON arrays, Parquet and
 *   folders of shards all implement it.
 * - A row either parses (`ok: true`, with the decoded JSON object) or carries a `DataIssue`
 *   that names the file, the 1-based line (text formats) or row, and what was expected. One
 *   bad row never affects another.
 * - Row indices are 0-based and count records only (blank lines are not records).
 */

export type DatasetFormat = 'jsonl' | 'jsonl.gz' | 'json' | 'parquet' | 'arrow' | 'folder';

/** Why a row (or part of it) could not be used. Stable identifiers: tests and counts use them. */
export type IssueReason =
  | 'malformed-json'
  | 'not-an-object'
  | 'invalid-utf8'
  | 'byte-order-mark'
  | 'missing-field'
  | 'empty-field'
  | 'wrong-type'
  | 'unknown-role'
  | 'no-assistant-turn'
  | 'identical-responses'
  | 'no-preference'
  | 'duplicate-pair'
  | 'contradictory-label'
  | 'truncated-file'
  | 'missing-columns'
  | 'unsupported-schema'
  | 'empty-file'
  | 'read-error';

export interface DataIssue {
  reason: IssueReason;
  /** 'error' rows are unusable; 'warning' rows are kept (e.g. identical responses). */
  severity: 'error' | 'warning';
  file: string;
  /** 0-based record index, when the issue belongs to one record. */
  index?: number;
  /** 1-based line number in the file (JSONL / JSON). */
  line?: number;
  /** 1-based column (character) within the line, when known. */
  column?: number;
  /** Dotted path of the offending field, e.g. `chosen[1].role`. */
  field?: string;
  message: string;
}

export type RowResult =
  | { ok: true; index: number; line?: number; value: Record<string, unknown> }
  | { ok: false; index: number; line?: number; issue: DataIssue };

export interface RowSource {
  readonly format: DatasetFormat;
  /** The path the user opened (a file or a folder of shards). */
  readonly path: string;
  /** Number of records (rows), known after opening. */
  readonly rowCount: number;
  /** Column names when the format declares them (Parquet), else undefined. */
  readonly columns?: readonly string[];
  /** Issues found while opening (e.g. a truncated gzip), not tied to one readable row. */
  readonly fileIssues: readonly DataIssue[];
  /** Rows [start, end) in order; end is clamped to rowCount. */
  readRows(start: number, end: number, signal?: AbortSignal): Promise<RowResult[]>;
  /** JSONL only: the exact bytes of a record's line (without the newline), for byte-identical export. */
  readRawLine?(index: number): Promise<Buffer>;
  /** 1-based line of a record (text formats). */
  lineOf?(index: number): number | undefined;
  /** The file a record comes from (differs from `path` for a folder of shards). */
  fileOf?(index: number): string;
  close(): Promise<void>;
}
