// Acceptance test of the flags sidecar under real concurrency: six processes write at once, one
// is SIGKILLed while holding the lock and one at an arbitrary moment of its writes; every write
// any process reported must be in the file, the file must parse cleanly, and the dead
// processes' locks must not block anyone.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { FLAG_VALUES, FlagsStore } from '../../native/data/flagsStore';

const fixture = resolve('test/integration/fixtures/flagWriter.ts');
const COUNT = 40;

interface Worker { prefix: string; child: ChildProcessWithoutNullStreams; reported: string[]; lines: string[]; exit: Promise<unknown[]> }

function startWorker(dataset: string, prefix: string, count: number, holdAfter?: number): Worker {
  const args = ['--import', 'tsx', fixture, dataset, prefix, String(count), ...(holdAfter === undefined ? [] : [String(holdAfter)])];
  const child = spawn(process.execPath, args, { stdio: 'pipe' });
  const w: Worker = { prefix, child, reported: [], lines: [], exit: once(child, 'exit') };
  createInterface({ input: child.stdout }).on('line', (line) => {
    w.lines.push(line);
    if (line.startsWith('set ')) w.reported.push(line.slice(4));
  });
  child.stderr.on('data', (d: Buffer) => process.stderr.write(`[worker ${prefix}] ${d.toString()}`));
  return w;
}

const untilLine = (w: Worker, pred: (lines: string[]) => boolean) => new Promise<void>((done, fail) => {
  const check = () => { if (pred(w.lines)) { clearInterval(timer); done(); } };
  const timer = setInterval(check, 2);
  w.child.once('exit', () => { clearInterval(timer); if (pred(w.lines)) done(); else fail(new Error(`worker ${w.prefix} exited early: ${w.lines.join(' | ')}`)); });
});

test('six concurrent writers, two SIGKILLed mid-way: no write lost, no corruption, no stuck lock', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'preflens-flags-conc-'));
  const dataset = join(dir, 'pairs.jsonl');
  writeFileSync(dataset, '');
  const prefixes = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'];
  // a0 does 5 sets alone, then takes the lock and is killed holding it, while the others wait
  // for it. a1 writes until it is killed after reporting 15 (at whatever point of a write it then
  // is), so it cannot finish first.
  const workers = prefixes.map((p, i) => startWorker(dataset, p, i === 1 ? 100_000 : COUNT, i === 0 ? 5 : undefined));
  await Promise.all(workers.map((w) => untilLine(w, (l) => l.includes('ready'))));
  const [holder, victim, ...survivors] = workers as [Worker, Worker, ...Worker[]];
  holder.child.stdin.end('go\n');
  await untilLine(holder, (l) => l.includes('holding'));
  for (const w of [victim, ...survivors]) w.child.stdin.end('go\n');
  await new Promise((done) => setTimeout(done, 200)); // let them queue on the lock
  assert.equal(victim.reported.length + survivors.reduce((n, w) => n + w.reported.length, 0), 0, 'nobody writes past a live lock');
  holder.child.kill('SIGKILL');
  await untilLine(victim, () => victim.reported.length >= 15);
  victim.child.kill('SIGKILL');

  const exits = await Promise.all(workers.map((w) => w.exit));
  assert.deepEqual(exits.map((e) => e[1]), ['SIGKILL', 'SIGKILL', null, null, null, null]);
  for (const w of survivors) assert.equal(w.reported.length, COUNT, `worker ${w.prefix} finished`);
  assert.equal(holder.reported.length, 5);

  const store = new FlagsStore(dataset, { lockTimeoutMs: 10_000 });
  const { flags, problems } = await store.load();
  assert.deepEqual(problems, []);
  for (const w of workers) {
    for (const id of w.reported) {
      const i = parseInt(id.slice(w.prefix.length), 16);
      assert.deepEqual({ ...flags.get(id), time: undefined }, { flag: FLAG_VALUES[i % 4], note: `${w.prefix}#${i}`, author: `worker ${w.prefix}`, time: undefined }, id);
    }
  }
  // At most the one write the victim finished but had no time to report is extra.
  const reportedTotal = workers.reduce((n, w) => n + w.reported.length, 0);
  assert.ok(flags.size === reportedTotal || flags.size === reportedTotal + 1, `${flags.size} flags, ${reportedTotal} reported`);

  // Whatever the victim left (a lock, its temp file) goes with the next write; and a lock the
  // killed holder left (fresh, so only its dead pid marks it stale) does not block either.
  await store.set('ffff0000', { flag: 'drop' });
  writeFileSync(`${store.path}.lock`, JSON.stringify({ pid: holder.child.pid, host: hostname(), time: new Date().toISOString(), nonce: 'dead' }));
  const started = Date.now();
  await store.set('ffff0001', { flag: 'ok' });
  assert.ok(Date.now() - started < 6000, 'the dead holder\'s lock was broken promptly');
  assert.deepEqual(readdirSync(dir).sort(), [basename(dataset), basename(store.path)]);
  rmSync(dir, { recursive: true, force: true });
});
