/**
 * A `.json` file holding an array of records, as a `RowSource`.
 *
 * Design note: one streaming pass over the bytes finds where each top-level array element
 * starts and ends (tracking strings, escapes and nesting depth) and on which line it starts;
 * elements are then parsed on demand like JSONL records. Memory holds offsets, not the file.
 * A file whose top level is not an array is reported as such. Syntax errors inside an element
 * surface when that element is parsed, located by its line.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { parseRecordBytes } from './jsonText';
import type { DataIssue, RowResult, RowSource } from './types';

interface Span {
  starts: number[];
  ends: number[];
  lines: number[];
}

async function scanElements(handle: FileHandle, size: number): Promise<{ span: Span; problem?: string }> {
  const span: Span = { starts: [], ends: [], lines: [] };
  const buffer = Buffer.allocUnsafe(4 << 20);
  let depth = 0;
  let inString = false;
  let escaped = false;
  let line = 1;
  let seenOpen = false;
  let elementStart = -1;
  let lastNonBlank = -1;
  for (let position = 0; position < size; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
    if (bytesRead === 0) break;
    for (let i = 0; i < bytesRead; i++) {
      const b = buffer[i]!;
      const at = position + i;
      if (b === 0x0a) line++;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === 0x5c) escaped = true;
        else if (b === 0x22) inString = false;
        lastNonBlank = at;
        continue;
      }
      const blank = b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || (at < 3 && (b === 0xef || b === 0xbb || b === 0xbf) && !seenOpen);
      if (blank) continue;
      if (!seenOpen) {
        if (b !== 0x5b) return { span, problem: 'the top level is not a JSON array of records' };
        seenOpen = true;
        depth = 1;
        continue;
      }
      if (depth === 1 && (b === 0x2c || b === 0x5d)) {
        if (elementStart !== -1) {
          span.ends.push(lastNonBlank + 1);
          elementStart = -1;
        }
        if (b === 0x5d) depth = 0;
        continue;
      }
      if (depth === 1 && elementStart === -1) {
        elementStart = at;
        span.starts.push(at);
        span.lines.push(line);
      }
      if (b === 0x22) inString = true;
      else if (b === 0x7b || b === 0x5b) depth++;
      else if (b === 0x7d || b === 0x5d) depth--;
      lastNonBlank = at;
    }
    position += bytesRead;
  }
  if (elementStart !== -1) span.ends.push(lastNonBlank + 1);
  if (!seenOpen) return { span, problem: 'the file is empty' };
  if (depth !== 0) return { span, problem: 'the array is not closed (the file may be truncated)' };
  return { span };
}

export async function openJsonArraySource(path: string): Promise<RowSource> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  const { span, problem } = await scanElements(handle, size);
  const fileIssues: DataIssue[] = problem
    ? [{ reason: problem.includes('empty') ? 'empty-file' : problem.includes('truncated') ? 'truncated-file' : 'unsupported-schema', severity: 'error', file: path, message: problem }]
    : [];
  const rowCount = problem?.startsWith('the top level') ? 0 : span.starts.length;
  return {
    format: 'json',
    path,
    rowCount,
    fileIssues,
    lineOf: (i) => span.lines[i],
    async readRows(start: number, end: number, signal?: AbortSignal): Promise<RowResult[]> {
      const rows: RowResult[] = [];
      for (let i = Math.max(0, start); i < Math.min(end, rowCount); i++) {
        signal?.throwIfAborted();
        const from = span.starts[i]!;
        const to = span.ends[i] ?? size;
        const bytes = Buffer.allocUnsafe(to - from);
        await handle.read(bytes, 0, bytes.length, from);
        const line = span.lines[i];
        const parsed = parseRecordBytes(bytes, { file: path, index: i, line });
        rows.push(parsed.ok ? { ok: true, index: i, line, value: parsed.value } : { ok: false, index: i, line, issue: parsed.issue });
      }
      return rows;
    },
    close: () => handle.close(),
  };
}
