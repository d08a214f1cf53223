// Validates one part of the sample dataset against SPEC.md.
import { readFileSync } from 'node:fs';
const more = process.argv[2] === '--more';
const file = process.argv[more ? 3 : 2];
if (more) {
  const rows = readFileSync(file, 'utf8').trim().split('\n').map((l, i) => { try { return JSON.parse(l); } catch (e) { throw new Error(`${file}:${i + 1}: ${e.message}`); } });
  const base = readFileSync(file.replace(/\.more\.jsonl$/, '.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const seen = new Set(base.map((r) => r.prompt));
  const problems = [];
  if (rows.length !== 26) problems.push(`expected 26 rows, found ${rows.length}`);
  rows.forEach((r, i) => {
    for (const f of ['uid', 'category', 'split', 'prompt', 'chosen', 'rejected']) if (typeof r[f] !== 'string' || !r[f].trim()) problems.push(`row ${i + 1}: missing ${f}`);
    if (r.split !== 'heldout') problems.push(`row ${i + 1}: split should be heldout`);
    if (r.uid !== `${r.category}-${String(57 + i).padStart(3, '0')}`) problems.push(`row ${i + 1}: uid should be ${r.category}-${String(57 + i).padStart(3, '0')}`);
    if (seen.has(r.prompt)) problems.push(`row ${i + 1}: prompt repeats an earlier row`);
    seen.add(r.prompt);
    if (Object.keys(r).length !== 6) problems.push(`row ${i + 1}: unexpected fields`);
  });
  console.log(`${rows.length} rows`);
  if (problems.length) { console.log(problems.join('\n')); process.exit(1); }
  console.log('OK');
  process.exit(0);
}
const rows = readFileSync(file, 'utf8').trim().split('\n').map((l, i) => { try { return JSON.parse(l); } catch (e) { throw new Error(`${file}:${i + 1}: ${e.message}`); } });
const key = JSON.parse(readFileSync(file.replace(/\.jsonl$/, '.key.json'), 'utf8'));
const problems = [];
if (rows.length !== 56) problems.push(`expected 56 rows, found ${rows.length}`);
rows.forEach((r, i) => {
  for (const f of ['uid', 'category', 'split', 'prompt', 'chosen', 'rejected']) if (typeof r[f] !== 'string' || !r[f].trim()) problems.push(`row ${i + 1}: missing ${f}`);
  if (r.split !== (i < 38 ? 'train' : 'heldout')) problems.push(`row ${i + 1}: split should be ${i < 38 ? 'train' : 'heldout'}`);
  if (Object.keys(r).length !== 6) problems.push(`row ${i + 1}: unexpected fields ${Object.keys(r)}`);
});
const uids = new Set(rows.map((r) => r.uid));
if (uids.size !== rows.length) problems.push('uids are not unique');
const prompts = new Map();
rows.forEach((r) => prompts.set(r.prompt, (prompts.get(r.prompt) ?? 0) + 1));
const dupPrompts = [...prompts.values()].filter((n) => n > 1).length;
if (dupPrompts !== 1) problems.push(`expected exactly one duplicated prompt, found ${dupPrompts}`);
const kinds = {};
for (const p of key.problems) {
  kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
  const row = rows.find((r) => r.uid === p.uid);
  if (!row) problems.push(`key: unknown uid ${p.uid}`);
  else if (row.split !== 'heldout') problems.push(`key: ${p.uid} is not held-out`);
  if (!p.why) problems.push(`key: ${p.uid} has no why`);
}
console.log(`${rows.length} rows; planted:`, kinds);
if (problems.length) { console.log(problems.join('\n')); process.exit(1); }
console.log('OK');
