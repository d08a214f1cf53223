/**
 * The latest scoring run of each dataset, kept in the extension host so a panel that is hidden
 * and shown again (webviews are not retained) gets everything back, and so several listeners
 * (the panel now; diagnostics and CodeLens later) see the same numbers.
 */
import type { AnalysisSummary, PairScore } from '../../native/protocol/engineProtocol';
import type { ScoreRunState, ScoreSnapshot } from '../../native/protocol/webviewProtocol';

export type ScoreEvent =
  | { kind: 'progress'; done: number; total: number; records: PairScore[] }
  | { kind: 'state'; state: ScoreRunState; message: string | null; done: number; total: number }
  | { kind: 'analysis'; analysis: AnalysisSummary };

export class ScoreSession {
  private static readonly sessions = new Map<string, ScoreSession>();

  static for(datasetKey: string): ScoreSession {
    let session = ScoreSession.sessions.get(datasetKey);
    if (!session) ScoreSession.sessions.set(datasetKey, (session = new ScoreSession(datasetKey)));
    return session;
  }

  /** Session of a dataset only if it exists (never creates one). */
  static peek(datasetKey: string): ScoreSession | undefined {
    return ScoreSession.sessions.get(datasetKey);
  }

  /** Every session's events (the status bar follows whichever dataset is active). */
  private static readonly global = new Set<(key: string, event: ScoreEvent) => void>();
  static subscribeAll(listener: (key: string, event: ScoreEvent) => void): () => void {
    ScoreSession.global.add(listener);
    return () => ScoreSession.global.delete(listener);
  }

  private constructor(readonly key: string) {}

  private records = new Map<number, PairScore>();
  private state: ScoreRunState = 'none';
  private message: string | null = null;
  private done = 0;
  private total = 0;
  private analysis: AnalysisSummary | null = null;
  private readonly listeners = new Set<(event: ScoreEvent) => void>();

  subscribe(listener: (event: ScoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: ScoreEvent): void {
    for (const listener of this.listeners) listener(event);
    for (const listener of ScoreSession.global) listener(this.key, event);
  }

  /** The run's state, for the status bar. */
  status(): { state: ScoreRunState; message: string | null; done: number; total: number } {
    return { state: this.state, message: this.message, done: this.done, total: this.total };
  }

  start(total: number): void {
    this.records = new Map();
    this.analysis = null;
    this.done = 0;
    this.total = total;
    this.setState('running', null);
  }

  add(done: number, total: number, records: PairScore[]): void {
    for (const record of records) this.records.set(record.index, record);
    this.done = done;
    this.total = total;
    this.emit({ kind: 'progress', done, total, records });
  }

  setAnalysis(analysis: AnalysisSummary): void {
    this.analysis = analysis;
    this.emit({ kind: 'analysis', analysis });
  }

  setState(state: ScoreRunState, message: string | null): void {
    this.state = state;
    this.message = message;
    this.emit({ kind: 'state', state, message, done: this.done, total: this.total });
  }

  snapshot(modelsConfigured: boolean): ScoreSnapshot {
    return { state: this.state, message: this.message, done: this.done, total: this.total, modelsConfigured, analysis: this.analysis };
  }

  /** The scored rows so far, by row index (the panel builds its columns from these). */
  scoredRecords(): ReadonlyMap<number, PairScore> {
    return this.records;
  }

  currentAnalysis(): AnalysisSummary | null {
    return this.analysis;
  }
}
