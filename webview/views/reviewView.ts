/**
 * The finished run's analysis: ranking accuracy of policy and reference, the alignment gap,
 * confident learning's flip-rate estimate, and the review list: pairs most worth a look first,
 * each with its reasons and the evidence a person can check against the pair. Dataset-derived
 * text only through textContent.
 */
import type { AnalysisSummary } from '../../native/protocol/webviewProtocol';
import { el } from '../dom';
import { formatCount } from '../format';

const REASON_LABELS: Record<string, string> = {
  'policy-prefers-rejected': 'policy prefers rejected',
  'reference-prefers-rejected': 'reference too',
  'ensemble-prefers-rejected': 'checkpoints agree',
  'confident-learning': 'confident learning',
  'scores-contradict-label': 'scores contradict label',
  'identical-responses': 'identical',
  'token-identical': 'token-identical',
  'format-only': 'format only',
  'near-identical': 'near-identical',
  'length-only': 'length only',
  'contradictory-duplicate': 'contradictory duplicate',
};

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–');

export function renderReview(analysis: AnalysisSummary, open: (index: number) => void, shown = 25): HTMLElement {
  const section = el('section', { id: 'review', attrs: { 'aria-label': 'Suspicious pairs' } });
  section.append(
    el('ul', { className: 'pl-stats' },
      // the gap is measured from the idealized accuracy (METRICS 3.3), not from the reference's: say both
      el('li', { id: 'ranking-accuracy', text: `ranking accuracy: policy ${pct(analysis.rankingAccuracy)}, reference ${pct(analysis.referenceRankingAccuracy)}, idealized ${pct(analysis.rankingAccuracy + analysis.alignmentGapPP / 100)} (median over β); alignment gap ${analysis.alignmentGapPP.toFixed(1)} pp = idealized − policy` }),
      el('li', { id: 'confident-learning', text: `confident learning: ${analysis.confidentLearning}` }),
    ),
    el('h3', { className: 'pl-subtitle', text: `Suspicious pairs (${formatCount(analysis.suspicious)})`, attrs: { id: 'suspicious-count', 'data-count': String(analysis.suspicious) } }),
  );
  const list = el('ol', { id: 'review-list', className: 'pl-issues' });
  for (const entry of analysis.review.slice(0, shown)) {
    const reasons = el('span', { className: 'pl-reason', text: entry.suspicions.map((s) => REASON_LABELS[s.reason] ?? s.reason).join(' · ') });
    const item = el('li', { className: 'pl-issue', attrs: { 'data-index': String(entry.index), 'data-reasons': entry.suspicions.map((s) => s.reason).join(' ') } },
      el('code', { className: 'pl-location', text: `pair ${entry.index + 1}` }),
      reasons,
    );
    const details = el('ul', { className: 'pl-evidence' });
    for (const s of entry.suspicions) details.append(el('li', { className: 'pl-muted', text: s.evidence }));
    item.append(details);
    item.tabIndex = 0;
    item.addEventListener('click', () => open(entry.index));
    item.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(entry.index); });
    list.append(item);
  }
  section.append(list);
  if (analysis.review.length > shown) section.append(el('p', { className: 'pl-muted', text: `… and ${formatCount(analysis.suspicious - shown)} more` }));
  return section;
}
