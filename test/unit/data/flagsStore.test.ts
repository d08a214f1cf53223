import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FlagsError, FlagsStore, sidecarPath } from '../../../native/data/flagsStore';

const root = mkdtempSync(join(tmpdir(), 'preflens-flags-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const T0 = new Date('2025-01-02T03:04:05.000Z');
/** A fresh dataset path (the dataset itself need not exist) and its store, with a fixed clock. */
function fresh(options: ConstructorParameters<typeof FlagsStore>[1] = {}) {
  const dir = join(root, `d${n++}`);
  mkdirSync(dir);
  const dataset = join(dir, 'pairs.jsonl');
  return { dir, dataset, store: new FlagsStore(dataset, { now: () => T0, ...options }) };
}
const isFlagsError = (code: string) => (e: unknown) => e instanceof FlagsError && e.code === code;

test('sidecarPath: beside a file, inside a folder of shards', () => {
  assert.equal(sidecarPath('data/pairs.jsonl'), 'data/pairs.jsonl.preflens-flags.json');
  assert.equal(sidecarPath(root), join(root, '.preflens-flags.json'));
  assert.equal(sidecarPath('shards/'), join('shards', '.preflens-flags.json'));
  assert.equal(sidecarPath('not-yet', 'folder'), join('not-yet', '.preflens-flags.json'));
});

test('a missing sidecar is no flags, and no file appears until a real change', async () => {
  const { store } = fresh();
  assert.deepEqual(await store.load(), { flags: new Map(), problems: [] });
  await store.clear('abcd1234');
  await store.clearAll();
  assert.equal(existsSync(store.path), false);
  await store.set('abcd1234', { flag: 'ok' });
  assert.equal(existsSync(store.path), true);
});

test('set, clear and round trip through a second store', async () => {
  const { dataset, store } = fresh();
  await store.set('aa01', { flag: 'noisy', note: 'both answers are wrong', author: 'ana' });
  await store.set('bb02', { flag: 'swap', note: '' });
  const after = await store.set('cc03', { flag: 'drop' });
  assert.equal(after.flags.size, 3);
  const other = new FlagsStore(dataset);
  const { flags, problems } = await other.load();
  assert.deepEqual(problems, []);
  assert.deepEqual(flags.get('aa01'), { flag: 'noisy', note: 'both answers are wrong', author: 'ana', time: T0.toISOString() });
  assert.deepEqual(flags.get('bb02'), { flag: 'swap', time: T0.toISOString() }); // empty note = no note
  await other.set('aa01', { flag: 'ok' }); // replaces the whole entry
  assert.deepEqual((await store.load()).flags.get('aa01'), { flag: 'ok', time: (await other.load()).flags.get('aa01')!.time });
  await store.clear('bb02');
  assert.deepEqual([...(await store.load()).flags.keys()], ['aa01', 'cc03']);
  await store.clearAll();
  assert.equal((await store.load()).flags.size, 0);
  assert.match(readFileSync(store.path, 'utf8'), /"flags": \{\}\n\}\n$/);
});

test('output is sorted and stable: the same flags in any order give the same bytes', async () => {
  const a = fresh();
  const b = fresh();
  const ids = ['ff00', '0a0b', 'c0ffee', '1234abcd'];
  for (const id of ids) await a.store.set(id, { flag: 'ok', author: 'x' });
  await b.store.setMany([...ids].reverse().map((id) => ({ id, flag: 'ok' as const, author: 'x' })));
  const text = readFileSync(a.store.path, 'utf8');
  assert.equal(text, readFileSync(b.store.path, 'utf8'));
  assert.equal(text, [
    '{', '  "preflens": "flags",', '  "version": 1,', '  "dataset": "pairs.jsonl",', '  "flags": {',
    '    "0a0b": { "flag": "ok", "author": "x", "time": "2025-01-02T03:04:05.000Z" },',
    '    "1234abcd": { "flag": "ok", "author": "x", "time": "2025-01-02T03:04:05.000Z" },',
    '    "c0ffee": { "flag": "ok", "author": "x", "time": "2025-01-02T03:04:05.000Z" },',
    '    "ff00": { "flag": "ok", "author": "x", "time": "2025-01-02T03:04:05.000Z" }',
    '  }', '}', '',
  ].join('\n'));
  assert.deepEqual(JSON.parse(text).flags.ff00, { flag: 'ok', author: 'x', time: T0.toISOString() });
});

test('setMany applies sets and clears in one write, validated all or nothing', async () => {
  const { store } = fresh();
  await store.setMany([{ id: 'aa01', flag: 'ok' }, { id: 'bb02', flag: 'drop' }]);
  const r = await store.setMany([{ id: 'aa01', flag: null }, { id: 'cc03', flag: 'swap', note: 'reversed' }]);
  assert.deepEqual([...r.flags.keys()].sort(), ['bb02', 'cc03']);
  const before = readFileSync(store.path, 'utf8');
  await assert.rejects(store.setMany([{ id: 'dd04', flag: 'ok' }, { id: 'ee05', flag: 'maybe' as 'ok' }]), isFlagsError('invalid-input'));
  assert.equal(readFileSync(store.path, 'utf8'), before);
});

test('inputs are validated', async () => {
  const { store } = fresh();
  await assert.rejects(store.set('aa01', { flag: 'bad' as 'ok' }), /invalid flag "bad" for aa01: expected one of ok, noisy, swap, drop/);
  for (const id of ['', 'xyz1', 'AB12', 'ab', 'a'.repeat(129), '../../etc']) {
    await assert.rejects(store.set(id, { flag: 'ok' }), isFlagsError('invalid-input'), id);
  }
  await assert.rejects(store.set('aa01', { flag: 'ok', note: 'x'.repeat(4001) }), /note of aa01 must be a string of at most 4000/);
  await assert.rejects(store.set('aa01', { flag: 'ok', author: 42 as unknown as string }), /author/);
  assert.equal(existsSync(store.path), false);
});

test('a file that is not JSON is reported, then backed up before the first write', async () => {
  const { dir, store } = fresh();
  writeFileSync(store.path, '{"preflens": "flags", "version": 1, "flags": {"aa01": ');
  const loaded = await store.load();
  assert.equal(loaded.flags.size, 0);
  assert.equal(loaded.problems.length, 1);
  assert.equal(loaded.problems[0]!.kind, 'not-json');
  assert.ok(loaded.problems[0]!.message.includes(store.path));
  assert.equal(readdirSync(dir).some((f) => f.includes('.corrupt-')), false, 'load() only reports');

  const written = await store.set('bb02', { flag: 'noisy' });
  const backup = `${store.path}.corrupt-2025-01-02T03-04-05-000Z`;
  assert.equal(written.problems[0]!.backup, backup);
  assert.equal(readFileSync(backup, 'utf8'), '{"preflens": "flags", "version": 1, "flags": {"aa01": ');
  assert.deepEqual(await store.load(), { flags: new Map([['bb02', { flag: 'noisy', time: T0.toISOString() }]]), problems: [] });

  writeFileSync(store.path, Buffer.from([0x7b, 0xff, 0x7d])); // invalid UTF-8 is not JSON either
  assert.equal((await store.load()).problems[0]!.kind, 'not-json');
  assert.equal((await store.set('cc03', { flag: 'ok' })).problems[0]!.backup, `${backup}-1`); // never overwrites a backup
});

test('wrong shapes are reported with the file name', async () => {
  const { store } = fresh();
  for (const text of ['[]', '{"flags": {}}', '{"preflens": "flags", "version": 1, "flags": []}', '{"preflens": "flags", "version": "1", "flags": {}}']) {
    writeFileSync(store.path, text);
    const { flags, problems } = await store.load();
    assert.equal(flags.size, 0);
    assert.deepEqual(problems.map((p) => [p.kind, p.file]), [['wrong-shape', store.path]], text);
  }
});

test('unknown flag values and bad entries are left out and reported; good ones kept', async () => {
  const { store } = fresh();
  const original = JSON.stringify({
    preflens: 'flags', version: 1, dataset: 'pairs.jsonl', extra: true,
    flags: { aa01: { flag: 'ok' }, bb02: { flag: 'maybe', note: 'x' }, 'not hex': { flag: 'ok' }, cc03: 'drop', dd04: { flag: 'swap', note: 5, by: 'x' } },
  });
  writeFileSync(store.path, original);
  const { flags, problems } = await store.load();
  assert.deepEqual([...flags], [['aa01', { flag: 'ok' }], ['dd04', { flag: 'swap' }]]);
  assert.deepEqual(problems.map((p) => [p.kind, p.id]), [
    ['bad-field', undefined], ['unknown-flag', 'bb02'], ['bad-id', 'not hex'], ['bad-entry', 'cc03'], ['bad-field', 'dd04'], ['bad-field', 'dd04'],
  ]);
  assert.match(problems[1]!.message, /pairs\.jsonl\.preflens-flags\.json: flag "bb02": unknown flag "maybe"/);

  const r = await store.clear('aa01');
  assert.ok(r.problems.every((p) => p.backup === r.problems[0]!.backup));
  assert.equal(readFileSync(r.problems[0]!.backup!, 'utf8'), original);
  assert.deepEqual(await store.load(), { flags: new Map([['dd04', { flag: 'swap' }]]), problems: [] });
});

test('a sidecar from a newer format version is reported and never overwritten', async () => {
  const { store } = fresh();
  const text = '{"preflens": "flags", "version": 2, "flags": {"aa01": {"flag": "later"}}}';
  writeFileSync(store.path, text);
  assert.equal((await store.load()).problems[0]!.kind, 'unsupported-version');
  await assert.rejects(store.set('bb02', { flag: 'ok' }), isFlagsError('unsupported-version'));
  assert.equal(readFileSync(store.path, 'utf8'), text);
});

test('concurrent sets within one process all land', async () => {
  const { store } = fresh();
  const ids = Array.from({ length: 25 }, (_, i) => `e${i.toString(16).padStart(4, '0')}`);
  await Promise.all(ids.map((id) => store.set(id, { flag: 'drop' })));
  assert.deepEqual([...(await store.load()).flags.keys()].sort(), ids);
  assert.equal(existsSync(`${store.path}.lock`), false);
});

test('a live lock makes writers wait, then fail with a clear error', async () => {
  const { store } = fresh({ lockTimeoutMs: 150 });
  writeFileSync(`${store.path}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), time: new Date().toISOString(), nonce: 'x' }));
  await assert.rejects(store.set('aa01', { flag: 'ok' }), (e: unknown) =>
    isFlagsError('lock-timeout')(e) && /timed out after 150 ms waiting for the lock .*\.lock, held by pid \d+/.test((e as Error).message));
  assert.equal(existsSync(store.path), false);
});

test('stale locks are broken: dead holder, or too old', async () => {
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid; // exited and reaped by now
  const { store } = fresh({ lockTimeoutMs: 2000 });
  const lock = `${store.path}.lock`;
  writeFileSync(lock, JSON.stringify({ pid: deadPid, host: hostname(), time: new Date().toISOString(), nonce: 'x' }));
  writeFileSync(`${store.path}.tmp-${deadPid}`, 'half a write');
  await store.set('aa01', { flag: 'ok' });
  assert.equal(existsSync(`${store.path}.tmp-${deadPid}`), false, "the dead writer's temp file is removed");

  writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), time: 'long ago', nonce: 'x' })); // alive, but old
  const old = new Date(Date.now() - 60_000);
  utimesSync(lock, old, old);
  await store.set('bb02', { flag: 'ok' });
  writeFileSync(lock, ''); // a writer killed between creating and filling the lock: 2 s grace
  const recent = new Date(Date.now() - 3000);
  utimesSync(lock, recent, recent);
  await store.set('cc03', { flag: 'ok' });
  assert.deepEqual([...(await store.load()).flags.keys()], ['aa01', 'bb02', 'cc03']);
  assert.equal(existsSync(lock), false);
});
