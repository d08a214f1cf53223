/**
 * The pair table: virtualized (only the rows in view exist in the DOM, positioned through
 * CSSOM transforms), numbers read from the store's typed-array columns, text previews paged
 * from the host as rows scroll into view and cached. Sortable by clicking a header; keyboard:
 * Up/Down move the selection, Enter opens the pair, Home/End jump.
 */
import type { RowPreview, ScoreColumnName } from '../../native/protocol/webviewProtocol';
import { FLAG_CODES } from '../../native/protocol/webviewProtocol';
import { el } from '../dom';
import type { PairStore } from '../state/pairStore';

const ROW_HEIGHT = 26;
const OVERSCAN = 6;

interface Column { key: ScoreColumnName | 'index' | 'text'; title: string; width: string; format?: (v: number) => string }

const num = (d: number) => (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(d));
const COLUMNS: Column[] = [
  { key: 'index', title: 'Row', width: '60px' },
  { key: 'margin', title: 'Margin', width: '72px', format: num(3) },
  { key: 'chosen_reward', title: 'r(chosen)', width: '78px', format: num(3) },
  { key: 'rejected_reward', title: 'r(rejected)', width: '84px', format: num(3) },
  { key: 'review_score', title: 'Suspicion', width: '76px', format: (v) => (Number.isNaN(v) || v === 0 ? '' : v.toFixed(1)) },
  { key: 'flag', title: 'Flag', width: '56px', format: (v) => (v > 0 ? FLAG_CODES[v - 1]! : '') },
  { key: 'text', title: 'Prompt', width: '1fr' },
];

export interface TableHandle { node: HTMLElement; refresh(): void; scrollToSelected(): void; renderFrame(): number }

export function createPairTable(store: PairStore, fetchRows: (indices: number[]) => Promise<RowPreview[]>, open: (index: number) => void): TableHandle {
  const cache = new Map<number, RowPreview>();
  const pending = new Set<number>();
  const header = el('div', { className: 'pl-table-header', attrs: { role: 'row' } });
  const viewport = el('div', { className: 'pl-table-viewport', attrs: { tabindex: '0', role: 'grid', 'aria-label': 'Pairs' } });
  const spacer = el('div', { className: 'pl-table-spacer' });
  const body = el('div', { className: 'pl-table-body' });
  viewport.append(spacer, body);
  const node = el('div', { className: 'pl-table', id: 'pair-table' }, header, viewport);
  const template = COLUMNS.map((c) => c.width).join(' ');
  header.style.gridTemplateColumns = template;

  for (const c of COLUMNS) {
    // the full name on hover: a narrow panel cuts the header text
    const cell = el('div', { className: 'pl-th', text: c.title, attrs: { role: 'columnheader', 'data-key': c.key, title: c.title } });
    if (c.key !== 'text') {
      cell.classList.add('pl-sortable');
      cell.addEventListener('click', () => {
        const key = c.key as ScoreColumnName | 'index';
        store.setSort({ column: key, descending: store.sort.column === key ? !store.sort.descending : key !== 'index' && key !== 'margin' });
      });
    }
    header.append(cell);
  }

  let fetchTimer = 0;
  let failures = 0;
  function requestMissing(indices: number[]): void {
    const missing = indices.filter((i) => !cache.has(i) && !pending.has(i));
    if (missing.length === 0) return;
    clearTimeout(fetchTimer);
    // Debounced: fast scrolling asks only for where it stops.
    fetchTimer = window.setTimeout(() => {
      const ask = missing.filter((i) => !cache.has(i)).slice(0, 200);
      ask.forEach((i) => pending.add(i));
      fetchRows(ask).then((rows) => {
        failures = 0;
        for (const r of rows) cache.set(r.index, r);
        ask.forEach((i) => pending.delete(i));
        renderFrame();
      }, () => {
        ask.forEach((i) => pending.delete(i));
        // the host can be busy or still opening the dataset (a reloaded window): ask again, backing off
        if (failures < 5) window.setTimeout(renderFrame, 500 * 2 ** failures++);
      });
    }, 60);
  }

  function renderFrame(): number {
    const started = performance.now();
    const rows = store.visible();
    spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const wanted: number[] = [];
    const nodes: HTMLElement[] = [];
    for (let j = first; j < last; j++) {
      const k = rows[j]!;
      wanted.push(k);
      const row = el('div', { className: 'pl-tr', attrs: { role: 'row', 'data-index': String(k), 'aria-selected': String(store.selected === k) } });
      row.style.gridTemplateColumns = template;
      row.style.transform = `translateY(${j * ROW_HEIGHT}px)`;
      for (const c of COLUMNS) {
        let text: string;
        if (c.key === 'index') text = String(k + 1);
        else if (c.key === 'text') {
          const p = cache.get(k);
          text = p ? (p.problem ? `⚠ ${p.problem}` : p.prompt.replace(/\s+/g, ' ')) : '…';
        } else text = c.format!(store.columns[c.key][k]!);
        const cell = el('div', { className: `pl-td pl-col-${c.key}`, text, attrs: { role: 'gridcell' } });
        if (c.key === 'margin' && store.columns.margin[k]! < 0) cell.classList.add('pl-negative');
        row.append(cell);
      }
      row.addEventListener('click', () => {
        store.select(k);
        open(k);
      });
      nodes.push(row);
    }
    body.replaceChildren(...nodes);
    requestMissing(wanted);
    for (const cell of header.children) {
      const key = (cell as HTMLElement).dataset.key;
      cell.setAttribute('aria-sort', key === store.sort.column ? (store.sort.descending ? 'descending' : 'ascending') : 'none');
    }
    return performance.now() - started;
  }

  let frame = 0;
  viewport.addEventListener('scroll', () => {
    if (!frame) frame = requestAnimationFrame(() => ((frame = 0), renderFrame()));
  });
  viewport.addEventListener('keydown', (event) => {
    const rows = store.visible();
    if (rows.length === 0) return;
    const at = store.selected === null ? -1 : rows.indexOf(store.selected);
    const move = (j: number) => {
      const target = Math.max(0, Math.min(rows.length - 1, j));
      store.select(rows[target]!);
      scrollToSelected();
      event.preventDefault();
    };
    if (event.key === 'ArrowDown') move(at + 1);
    else if (event.key === 'ArrowUp') move(at - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(rows.length - 1);
    else if (event.key === 'PageDown') move(at + Math.floor(viewport.clientHeight / ROW_HEIGHT));
    else if (event.key === 'PageUp') move(at - Math.floor(viewport.clientHeight / ROW_HEIGHT));
    else if (event.key === 'Enter' && store.selected !== null) open(store.selected);
  });

  function scrollToSelected(): void {
    if (store.selected === null) return;
    const j = store.visible().indexOf(store.selected);
    if (j < 0) return;
    const top = j * ROW_HEIGHT;
    if (top < viewport.scrollTop || top + ROW_HEIGHT > viewport.scrollTop + viewport.clientHeight) viewport.scrollTop = Math.max(0, top - viewport.clientHeight / 2);
    renderFrame();
  }

  // A hidden table (another tab) redraws when shown, not on every brush: sorting a million
  // filtered rows is work nobody sees.
  const refresh = () => {
    if (node.isConnected && node.offsetParent !== null) renderFrame();
  };
  return { node, refresh, scrollToSelected, renderFrame };
}
