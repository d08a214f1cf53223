/**
 * Entry point of the engine child process (`dist/engine.js`).
 *
 * The extension host forks this file (with ELECTRON_RUN_AS_NODE=1 under desktop VS Code) and
 * talks to it over the IPC channel with the engine protocol. Inference runs here, never on the
 * extension-host thread, because onnxruntime-node's `session.run` blocks the thread it runs on.
 * Progress of a scoring job (with the per-pair numbers finished so far) is sent at most once a
 * second; a cancel stops the job within one batch.
 */
import * as ort from 'onnxruntime-node';
import { RequestRouter } from '../protocol/router';
import { ENGINE_PROTOCOL_VERSION, engineParamGuards, type EngineRequests, type PairScore } from '../protocol/engineProtocol';
import type { ScoreRecord } from './scorePairs';
import { ScoringEngine } from './scoringEngine';
import { analyzeScores, type AnalysisParams } from './scoreAnalysis';
import { importScores } from '../interop/importScores';
import { formatLocation } from '../cli/common';
import type { AnalysisSummary, ImportParams } from '../protocol/engineProtocol';

function onnxruntimeVersion(): string {
  const versions = (ort.env as { versions?: Record<string, string> }).versions;
  return versions?.node ?? versions?.common ?? 'unknown';
}

function compact(r: ScoreRecord): PairScore {
  return {
    index: r.index, id: r.id, status: r.status, error: r.error, chosen_tokens: r.chosen_tokens, rejected_tokens: r.rejected_tokens,
    chosen_logps: r.chosen_logps, rejected_logps: r.rejected_logps, ref_chosen_logps: r.ref_chosen_logps, ref_rejected_logps: r.ref_rejected_logps,
    chosen_reward: r.chosen_reward, rejected_reward: r.rejected_reward, margin: r.margin, ches: r.ches, ches_ln: r.ches_ln,
  };
}

const REVIEW_LIMIT = 500;

/** Metrics and suspicions over the whole run (the same analysis as `preflens score --out`). */
type SummaryParams = AnalysisParams & Pick<ImportParams, 'mapping' | 'outOfSample' | 'thresholds'> & { checkpoints?: string[] };

async function summarize(engine: ScoringEngine | undefined, params: SummaryParams, records: ScoreRecord[], signal: AbortSignal): Promise<AnalysisSummary | null> {
  if (records.every((r) => r.status !== 'ok')) return null;
  signal.throwIfAborted();
  const analysis = await analyzeScores(engine, { records, params, mapping: params.mapping, checkpoints: params.checkpoints ?? [], outOfSample: params.outOfSample, thresholds: params.thresholds }, (line) => console.error(`preflens engine: ${line}`));
  const cl = analysis.confidentLearning;
  return {
    rewardAccuracy: analysis.rewardAccuracy,
    meanMargin: analysis.meanMargin,
    displacementRate: analysis.displacementRate,
    rankingAccuracy: analysis.ranking.R,
    referenceRankingAccuracy: analysis.ranking.refR,
    alignmentGapPP: analysis.ranking.alignmentGapPP,
    suspicious: analysis.suspicious,
    confidentLearning: cl.informative ? `estimated label-flip rate ${(100 * (cl.flipRate ?? 0)).toFixed(1)}% over ${cl.pairs} out-of-sample pairs (about ${cl.expectedIssues} label issues)` : `not run: ${cl.reason}`,
    review: analysis.reviewOrder.slice(0, REVIEW_LIMIT).map((k) => {
      const m = analysis.metrics[k]!;
      return { index: m.index, id: m.id, score: m.review_score, margin: m.margin, suspicions: m.suspicions.map((x) => ({ reason: x.reason, evidence: x.evidence, strength: x.strength })) };
    }),
    columns: {
      index: analysis.metrics.map((m) => m.index),
      reviewScore: analysis.metrics.map((m) => m.review_score),
      displaced: analysis.metrics.map((m) => (m.displaced ? 1 : 0)),
      policyRanksCorrectly: analysis.metrics.map((m) => m.policy_ranks_correctly),
      ensembleMean: analysis.metrics.map((m) => m.ensemble_mean),
    },
    checkpoints: analysis.checkpointSeries
      ? {
          labels: analysis.checkpointSeries.map((c) => c.label),
          // JSON over IPC turns NaN into null anyway; say so explicitly.
          margin: analysis.checkpointSeries.map((c) => Array.from(c.margin, (x) => (Number.isFinite(x) ? x : null))),
          rhoChosen: analysis.checkpointSeries.map((c) => Array.from(c.rhoChosen, (x) => (Number.isFinite(x) ? x : null))),
          meanMargin: analysis.trajectories?.meanMarginByCheckpoint ?? [],
          displaced: analysis.trajectories?.displacedByCheckpoint ?? [],
        }
      : null,
  };
}

function main(): void {
  const send = process.send?.bind(process);
  if (!send) {
    console.error('preflens engine: must be started with an IPC channel (child_process.fork).');
    process.exit(2);
  }
  const engine = new ScoringEngine();
  const router = new RequestRouter<EngineRequests>(
    {
      hello: {
        guard: engineParamGuards.hello,
        handle: () => ({
          protocolVersion: ENGINE_PROTOCOL_VERSION,
          pid: process.pid,
          node: process.version,
          onnxruntime: onnxruntimeVersion(),
          backends: ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled })),
        }),
      },
      score: {
        guard: engineParamGuards.score,
        handle: async (params, ctx) => {
          ctx.signal.addEventListener('abort', () => console.error('preflens engine: cancel received'), { once: true });
          let pending: PairScore[] = [];
          const all: ScoreRecord[] = [];
          let last = 0;
          let done = 0;
          let total = 0;
          const flush = (): void => {
            ctx.progress({ done, total, records: pending });
            pending = [];
            last = Date.now();
          };
          const run = engine.run(params, {
            signal: ctx.signal,
            onLog: (line) => console.error(`preflens engine: ${line}`),
            onRecords: (records, d, t) => {
              all.push(...records);
              pending.push(...records.map(compact));
              done = d;
              total = t;
              if (Date.now() - last >= 1000) flush();
            },
          });
          const result = await run.catch((error: unknown) => {
            if (ctx.signal.aborted) console.error(`preflens engine: score job stopped after ${done} of ${total} pairs (cancelled)`);
            throw error;
          });
          if (pending.length > 0 || last === 0) flush();
          const analysis = await summarize(engine, params, all, ctx.signal);
          return {
            total: result.total,
            ok: result.ok,
            invalid: result.invalid,
            modelCalls: result.modelCalls,
            computed: result.stats.computed,
            cached: result.stats.cached,
            device: result.models.policy.device,
            deviceReason: result.models.policy.device_reason,
            durationMs: result.durationMs,
            analysis,
          };
        },
      },
      explain: {
        guard: engineParamGuards.explain,
        handle: (params, ctx) => engine.explain(params, ctx.signal),
      },
      importScores: {
        guard: engineParamGuards.importScores,
        handle: async (params, ctx) => {
          const result = await importScores({ ...params, signal: ctx.signal });
          const analysis = await summarize(undefined, params, result.records, ctx.signal);
          const errors = result.issues.filter((i) => i.severity === 'error');
          const firstProblems = [
            ...errors.slice(0, 5).map((i) => `${formatLocation(i)}: ${i.field ? `${i.field}: ` : ''}${i.message}`),
            ...result.tokenMismatches.slice(0, 5).map((m) => `row ${m.index} ${m.role} ${m.side}: ${m.message}`),
          ];
          return {
            total: result.records.length, ok: result.ok, invalid: result.invalid, records: result.records.map(compact), analysis,
            sources: result.sources.map((s) => ({ role: s.role, file: s.file, kind: s.kind, rows: s.rows, models: s.models })),
            problems: errors.length, tokenMismatches: result.tokenMismatches.length, tokenizationChecked: result.tokenizationChecked, firstProblems,
          };
        },
      },
      clearCache: {
        guard: engineParamGuards.clearCache,
        handle: async ({ cacheDir }) => {
          await engine.clearCache(cacheDir);
          return { cleared: true };
        },
      },
    },
    (message) => send(message),
    (line) => console.error(`preflens engine: ${line}`),
  );
  process.on('message', (message: unknown) => router.receive(message));
  // The parent going away closes the channel: exit instead of lingering as an orphan.
  process.on('disconnect', () => {
    router.dispose();
    void engine.close().finally(() => process.exit(0));
  });
}

main();
