/**
 * Scoring results as they arrive: run status, pairs scored, reward accuracy (TRL's strict
 * chosen reward > rejected reward), mean margin, displacement rate (chosen reward below zero:
 * the policy lowered the chosen response's likelihood) and the pairs with the most negative
 * margins. The full charts and table come with the overview views.
 */
import type { AnalysisSummary, ScoreRunState } from '../../native/protocol/webviewProtocol';
import type { PairStore } from '../state/pairStore';
import { el } from '../dom';
import { formatCount } from '../format';

export interface ScoresState {
  state: ScoreRunState;
  message: string | null;
  done: number;
  total: number;
  modelsConfigured: boolean;
  analysis: AnalysisSummary | null;
  /** Runs this panel has seen start (for tests and the status line). */
  runs: number;
}

const STATUS: Record<ScoreRunState, string> = {
  none: 'Not scored yet.',
  running: 'Scoring…',
  done: 'Scored.',
  cancelled: 'Scoring cancelled.',
  error: 'Scoring failed.',
  untrusted: 'Restricted Mode: models are not run in an untrusted workspace.',
};

const fixed = (value: number, digits = 3): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–');

function card(id: string, label: string, value: string, data: string, hint: string): HTMLElement {
  return el('div', { id, className: 'pl-card', attrs: { 'data-value': data, title: hint } }, el('div', { className: 'pl-card-value', text: value }), el('div', { className: 'pl-card-label', text: label }));
}

/** Status line, progress and the summary cards (computed from the columns, live while scoring). */
export function renderScores(s: ScoresState, store: PairStore, actions: { score(): void; configure(): void }): HTMLElement {
  const status = s.state === 'running' && s.total > 0 ? `Scoring… ${formatCount(s.done)} of ${formatCount(s.total)} pairs` : (s.message ?? STATUS[s.state]);
  const section = el('section', { id: 'scores', attrs: { 'aria-label': 'Scores' } },
    el('p', { id: 'score-status', className: s.state === 'error' || s.state === 'untrusted' ? 'pl-error' : 'pl-muted', text: status, attrs: { 'data-state': s.state, 'data-runs': String(s.runs), role: 'status' } }),
  );
  if (s.state === 'running' && s.total > 0) section.append(el('progress', { id: 'score-progress', attrs: { max: String(s.total), value: String(s.done), 'aria-label': 'scoring progress' } }));
  const button = (label: string, handler: () => void) => {
    const b = document.createElement('vscode-button');
    b.textContent = label;
    b.addEventListener('click', handler);
    return b;
  };
  if (s.state === 'none' && !s.modelsConfigured) {
    section.append(el('div', { id: 'no-models', className: 'pl-callout' }, el('span', { text: 'No models configured. PrefLens needs a policy and a reference checkpoint (Hugging Face ONNX exports) to compute rewards; the dataset views work without them.' }), button('Configure models', actions.configure)));
  } else if (s.state === 'none' || s.state === 'cancelled') section.append(button('Score dataset', actions.score));
  let n = 0;
  let correct = 0;
  let marginSum = 0;
  let displaced = 0;
  const m = store.columns.margin;
  for (let k = 0; k < store.rows; k++) {
    const v = m[k]!;
    if (Number.isNaN(v)) continue;
    n++;
    marginSum += v;
    if (store.columns.chosen_reward[k]! > store.columns.rejected_reward[k]!) correct++;
    if (store.columns.displaced[k]! > 0) displaced++;
  }
  if (n === 0) return section;
  const a = s.analysis;
  section.append(
    el('div', { className: 'pl-cards' },
      el('div', { id: 'scored-count', className: 'pl-card', attrs: { 'data-count': String(n) } }, el('div', { className: 'pl-card-value', text: formatCount(n) }), el('div', { className: 'pl-card-label', text: 'pairs scored' })),
      card('reward-accuracy', 'reward accuracy', pct(correct / n), String(correct / n), 'chosen reward > rejected reward (TRL strict >)'),
      card('mean-margin', 'mean margin', fixed(marginSum / n), String(marginSum / n), 'β·(log-ratio chosen − log-ratio rejected)'),
      card('displacement-rate', 'displacement', pct(displaced / n), String(displaced / n), 'chosen log-prob fell below the reference (likelihood displacement)'),
      ...(a ? [
        card('policy-ranking', 'policy ranking acc.', pct(a.rankingAccuracy), String(a.rankingAccuracy), 'policy log p(chosen) > log p(rejected)'),
        card('reference-ranking', 'reference ranking acc.', pct(a.referenceRankingAccuracy), String(a.referenceRankingAccuracy), 'reference log p(chosen) > log p(rejected)'),
        card('alignment-gap', 'alignment gap', `${a.alignmentGapPP.toFixed(1)} pp`, String(a.alignmentGapPP), 'idealized minus observed ranking accuracy (METRICS 3.3)'),
        card('suspicious-card', 'suspicious', formatCount(a.suspicious), String(a.suspicious), 'pairs with at least one suspicion'),
      ] : []),
    ),
  );
  return section;
}
