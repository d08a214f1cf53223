// The panel's store (pure, no DOM): filters combine into one row mask, sorting puts NaN last in
// either direction and breaks ties by row, and the packed-key sort agrees with a plain sort.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCORE_COLUMNS, type ScoreColumnName } from '../../../native/protocol/webviewProtocol';
import { PairStore, sortRows } from '../../../webview/state/pairStore';

function store(margins: number[], extra: Partial<Record<ScoreColumnName, number[]>> = {}): PairStore {
  const s = new PairStore();
  const columns = Object.fromEntries(SCORE_COLUMNS.map((n) => [n, Float32Array.from(extra[n] ?? margins.map(() => 0))])) as Record<ScoreColumnName, Float32Array>;
  columns.margin = Float32Array.from(margins);
  s.setColumns({ rows: margins.length, columns });
  return s;
}

test('ranges, toggles, text hits and factor rows combine into one mask', () => {
  const s = store([-2, -1, 0, 1, 2, Number.NaN], { review_score: [3, 0, 0, 1, 0, 0], flag: [0, 2, 0, 0, 0, 0] });
  assert.deepEqual([...s.visible()], [0, 1, 2, 3, 4, 5], 'no filter keeps unscored rows');
  s.setRange('margin', [2, -1.5]);
  assert.deepEqual([...s.visible()], [1, 2, 3, 4], 'reversed bounds are normalised; NaN fails a range');
  s.setToggles({ onlySuspicious: true });
  assert.deepEqual([...s.visible()], [3]);
  s.setToggles({ onlySuspicious: false });
  s.setTextHits([1, 3, 4]);
  s.setFactorRows('length', [3, 4, 5]);
  assert.deepEqual([...s.visible()], [3, 4]);
  assert.equal(s.filterCount, 3);
  assert.deepEqual([...s.mask], [0, 0, 0, 1, 1, 0]);
  s.clearFilters();
  assert.equal(s.visible().length, 6);
});

test('sorting: NaN last both ways, ties by row, events fire', () => {
  const s = store([0.5, Number.NaN, -1, 0.5, 3]);
  const events: string[] = [];
  s.on((e) => events.push(e));
  s.setSort({ column: 'margin', descending: false });
  assert.deepEqual([...s.visible()], [2, 0, 3, 4, 1]);
  s.setSort({ column: 'margin', descending: true });
  assert.deepEqual([...s.visible()], [4, 0, 3, 2, 1]);
  s.select(3);
  assert.deepEqual(events, ['sort', 'sort', 'select']);
});

test('the packed-key sort equals a comparator sort on random data with negatives, zeros and NaN', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const values = Float32Array.from({ length: 5000 }, () => (rand() < 0.05 ? Number.NaN : rand() < 0.1 ? 0 : (rand() - 0.5) * 1e3));
  const rows = Int32Array.from({ length: 4000 }, (_, i) => (i * 7) % 5000);
  for (const descending of [false, true]) {
    const key = (r: number) => (Number.isNaN(values[r]!) ? Infinity : (descending ? -1 : 1) * values[r]!);
    const want = [...rows].sort((a, b) => key(a) - key(b) || a - b);
    assert.deepEqual([...sortRows(rows, values, descending)], want);
  }
});
