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
/**
 * The writers planted 5-6 mislabeled pairs per category; the sample keeps 4 per category (16 in
 * all, the issue asks for at least 15) so that the held-out split stays mostly clean, and the
 * surplus rows are corrected (chosen and rejected swapped back) rather than thrown away.
 */
const MISLABELED_PER_CATEGORY = 4;
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
  const corrected = new Set<string>();
  for (const category of categories) {
    const mislabeled = keys.filter((k) => k.kind === 'mislabeled' && k.uid.startsWith(`${category}-`)).sort((a, b) => a.uid.localeCompare(b.uid, 'en', { numeric: true }));
    for (const k of mislabeled.slice(MISLABELED_PER_CATEGORY)) corrected.add(k.uid);
  }
  for (const row of rows) if (corrected.has(row.uid)) [row.chosen, row.rejected] = [row.rejected, row.chosen];
  keys.splice(0, keys.length, ...keys.filter((k) => !corrected.has(k.uid)));
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
  console.log(`wrote ${out}: ${rows.length} pairs (${count('train')} train, ${count('heldout')} held-out), ${planted.length} planted problems (${corrected.size} surplus mislabeled rows corrected)`);
}

void main();
