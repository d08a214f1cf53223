/** Reads a small JSONL (or, with `wholeFileJson`, a JSON) file fully: scores files, manifests. */
import { readFile } from 'node:fs/promises';

export async function readJsonl(path: string, options: { wholeFileJson?: boolean } = {}): Promise<unknown[]> {
  const text = await readFile(path, 'utf8');
  if (options.wholeFileJson) return [JSON.parse(text) as unknown];
  const out: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch (error) {
      throw new Error(`${path}:${i + 1}: malformed JSON (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return out;
}
