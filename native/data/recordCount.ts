/**
 * Counts the records of a JSONL file by streaming it, without parsing or holding it in memory.
 *
 * Design note: a record is a line holding anything other than whitespace (blank lines, which
 * many exporters leave at the end, are skipped, as every JSONL reader does). Lines are found
 * with `Buffer.indexOf(10)` on raw bytes, so multi-byte UTF-8 and CRLF need no decoding; only
 * the first bytes of each line are looked at to decide whether it is blank.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

const NEWLINE = 0x0a;

function isBlankByte(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0b || byte === 0x0c;
}

export interface RecordCount {
  records: number;
  bytes: number;
}

export async function countJsonlRecords(path: string, signal?: AbortSignal): Promise<RecordCount> {
  const { size } = await stat(path);
  let records = 0;
  // Whether the line being scanned (possibly spanning chunks) has shown a non-blank byte yet.
  let lineHasContent = false;
  const stream = createReadStream(path, { highWaterMark: 1 << 20, signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(NEWLINE, start);
      const stop = end === -1 ? chunk.length : end;
      for (let i = start; i < stop && !lineHasContent; i++) {
        if (!isBlankByte(chunk[i]!)) lineHasContent = true;
      }
      if (end === -1) break;
      if (lineHasContent) records++;
      lineHasContent = false;
      start = end + 1;
    }
  }
  if (lineHasContent) records++;
  return { records, bytes: size };
}
