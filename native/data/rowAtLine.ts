/**
 * The record on a given line of a single-file text dataset (JSONL, JSON array), for the editor:
 * moving the cursor selects that pair. Records' lines increase with their index, so a binary
 * search over `lineOf` finds it in O(log n) with no extra index. A JSON array record that spans
 * several lines is found from any of its lines (the record starting at or before the line).
 */
import type { RowSource } from './types';

/** Index of the record whose text covers `line` (1-based), or undefined (before the first record, or no line numbers). */
export function rowAtLine(source: Pick<RowSource, 'rowCount' | 'lineOf' | 'fileOf' | 'path'>, line: number): number | undefined {
  if (!source.lineOf || source.rowCount === 0) return undefined;
  if (source.fileOf && source.fileOf(0) !== source.path) return undefined; // a folder of shards: lines repeat per file
  let lo = 0;
  let hi = source.rowCount - 1;
  if ((source.lineOf(0) ?? Number.POSITIVE_INFINITY) > line) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((source.lineOf(mid) ?? Number.POSITIVE_INFINITY) <= line) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
