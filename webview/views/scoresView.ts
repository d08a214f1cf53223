/**
 * Scoring results as they arrive: run status, pairs scored, reward accuracy (TRL's strict
 * chosen reward > rejected reward), mean margin, displacement rate (chosen reward below zero:
 * the policy lowered the chosen response's likelihood) and the pairs with the most negative
 * margins. The full charts and table come with the overview views.
 */
import type { AnalysisSummary, PairScore, ScoreRunState } from '../../native/protocol/webviewProtocol';
import { renderReview } from './reviewView';
import { el } from '../dom';
import { formatCount } from '../format';

export interface ScoresState {
  state: ScoreRunState;
  message: string | null;
  done: number;
  total: number;
  records: Map<number, PairScore>;
  analysis: AnalysisSummary | null;
}

const STATUS: Record<ScoreRunState, string> = {
  none: 'Not scored yet. Run “PrefLens: Score Dataset” with preflens.policyModel and preflens.referenceModel set.',
  running: 'Scoring…',
  done: 'Scored.',
  cancelled: 'Scoring cancelled.',
  error: 'Scoring failed.',
  untrusted: 'Restricted Mode: models are not run in an untrusted workspace.',
};

const fixed = (value: number, digits = 3): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function renderScores(s: ScoresState): HTMLElement {
  const ok = [...s.records.values()].filter((r) => r.status === 'ok' && r.margin !== null);
  const status = s.state === 'running' && s.total > 0 ? `Scoring… ${formatCount(s.done)} of ${formatCount(s.total)} pairs` : (s.message ?? STATUS[s.state]);
  const section = el('section', { id: 'scores', attrs: { 'aria-label': 'Scores' } },
    el('h2', { className: 'pl-subtitle', text: 'Scores' }),
    el('p', { id: 'score-status', className: s.state === 'error' || s.state === 'untrusted' ? 'pl-error' : 'pl-muted', text: status, attrs: { 'data-state': s.state, role: 'status' } }),
  );
  if (s.state === 'running' && s.total > 0) {
    const bar = el('progress', { id: 'score-progress', attrs: { max: String(s.total), value: String(s.done), 'aria-label': 'scoring progress' } });
    section.append(bar);
  }
  if (ok.length === 0) return section;
  const accuracy = ok.filter((r) => r.chosen_reward! > r.rejected_reward!).length / ok.length;
  const meanMargin = ok.reduce((sum, r) => sum + r.margin!, 0) / ok.length;
  const displaced = ok.filter((r) => r.chosen_reward! < 0).length / ok.length;
  section.append(
    el('ul', { className: 'pl-stats' },
      el('li', { id: 'scored-count', text: `${formatCount(ok.length)} pairs scored`, attrs: { 'data-count': String(ok.length) } }),
      el('li', { id: 'reward-accuracy', text: `reward accuracy ${(100 * accuracy).toFixed(1)}%`, attrs: { 'data-value': String(accuracy) } }),
      el('li', { id: 'mean-margin', text: `mean margin ${fixed(meanMargin)}`, attrs: { 'data-value': String(meanMargin) } }),
      el('li', { id: 'displacement-rate', text: `chosen reward below zero (likelihood displacement) in ${(100 * displaced).toFixed(1)}%` }),
    ),
  );
  const worst = [...ok].sort((a, b) => a.margin! - b.margin!).slice(0, 10);
  const list = el('ol', { id: 'worst-pairs', className: 'pl-issues' });
  for (const r of worst) {
    list.append(el('li', { className: 'pl-issue', attrs: { 'data-index': String(r.index) } },
      el('code', { className: 'pl-location', text: `row ${r.index}` }),
      el('span', { text: `margin ${fixed(r.margin!)}` }),
      el('span', { className: 'pl-muted', text: `chosen ${fixed(r.chosen_reward!)} · rejected ${fixed(r.rejected_reward!)}` }),
    ));
  }
  if (s.analysis) section.append(renderReview(s.analysis));
  else section.append(el('h3', { className: 'pl-subtitle', text: 'Most negative margins' }), list);
  return section;
}
