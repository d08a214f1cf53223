/**
 * Assembles the embedded sample dataset from its hand-written parts
 * (examples/sample/parts/<category>.jsonl and .more.jsonl) into examples/sample/pairs.jsonl in
 * TRL's conversational preference format, and writes examples/sample/planted-problems.json: every
 * deliberately planted problem of the held-out split, by pair id, with the reason a reviewer can
 * verify. Run: node --import tsx examples/sample/assemble.ts
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset } from '../../native/data/dataset';

interface PartRow { uid: string; category: string; split: 'train' | 'heldout'; prompt: string; chosen: string; rejected: string }
interface KeyEntry { uid: string; kind: string; why: string }

const DIR = 'examples/sample';
const parts = join(DIR, 'parts');

async function main(): Promise<void> {
  const categories = readdirSync(parts).filter((n) => /^[a-z]+\.jsonl$/.test(n)).map((n) => n.replace('.jsonl', '')).sort();
  const rows: PartRow[] = [];
  const keys: KeyEntry[] = [];
  for (const category of categories) {
    for (const file of [`${category}.jsonl`, `${category}.more.jsonl`]) {
      if (!existsSync(join(parts, file))) continue;
      rows.push(...readFileSync(join(parts, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PartRow));
    }
    keys.push(...(JSON.parse(readFileSync(join(parts, `${category}.key.json`), 'utf8')) as { problems: KeyEntry[] }).problems);
  }
  // train rows first, then held-out, each in category/uid order: a stable, readable file
  rows.sort((a, b) => (a.split === b.split ? a.uid.localeCompare(b.uid, 'en', { numeric: true }) : a.split === 'train' ? -1 : 1));
  const lines = rows.map((r) =>
    JSON.stringify({ uid: r.uid, category: r.category, split: r.split, prompt: [{ role: 'user', content: r.prompt }], chosen: [{ role: 'assistant', content: r.chosen }], rejected: [{ role: 'assistant', content: r.rejected }] }),
  );
  const out = join(DIR, 'pairs.jsonl');
  writeFileSync(out, `${lines.join('\n')}\n`);
  const dataset = await Dataset.open(out, { cacheDir: mkdtempSync(join(tmpdir(), 'preflens-assemble-')) });
  const pairs = await dataset.readPairs(0, dataset.rowCount);
  await dataset.close();
  const byUid = new Map(pairs.map((p) => [p.ok ? String(p.pair.attributes.uid) : '', p]));
  const planted = keys.map((k) => {
    const p = byUid.get(k.uid);
    if (!p?.ok) throw new Error(`planted problem ${k.uid} is not a valid pair`);
    return { id: p.pair.id, uid: k.uid, line: p.pair.line, kind: k.kind, why: k.why };
  });
  writeFileSync(join(DIR, 'planted-problems.json'), `${JSON.stringify({ dataset: 'pairs.jsonl', note: 'Deliberately planted problems of the held-out split, by pair id. The dataset has no field that gives them away.', problems: planted }, null, 2)}\n`);
  const count = (split: string) => rows.filter((r) => r.split === split).length;
  console.log(`wrote ${out}: ${rows.length} pairs (${count('train')} train, ${count('heldout')} held-out), ${planted.length} planted problems`);
}

void main();
