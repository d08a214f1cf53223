/**
 * Request handlers of the PrefLens panel, separated from the `vscode` API so they can be tested
 * with a plain router: they see the dataset only through the `DatasetSource` interface.
 */
import { RequestError, type HandlerTable } from '../../native/protocol/router';
import {
  WEBVIEW_PROTOCOL_VERSION,
  hostParamGuards,
  type DatasetSummary,
  type HostRequests,
  type PanelFlag,
  type ScoreSnapshot,
} from '../../native/protocol/webviewProtocol';
import type { PanelData } from './panelData';

export interface DatasetSource {
  /** The current summary, computed on demand (may read the file). */
  summary(signal: AbortSignal): Promise<DatasetSummary>;
  /** The latest scoring run's numbers. */
  scores(): ScoreSnapshot;
  /** Columns, rows, details, flags and factors (panelData.ts). */
  data: PanelData;
  /** A flag changed: tell every view (panel, diagnostics, CodeLens). */
  flagChanged(index: number, flag: PanelFlag | null): void;
  revealRow(index: number, open: boolean): Promise<boolean>;
  runCommand(command: 'score' | 'configureModels' | 'openReport'): Promise<boolean>;
  counterfactual(index: number, action: 'open' | 'write' | 'append', n?: number): Promise<boolean>;
}

export function createPanelHandlers(source: DatasetSource): HandlerTable<HostRequests> {
  return {
    ready: {
      guard: hostParamGuards.ready,
      handle: async (params, { signal }) => {
        if (params.protocolVersion !== WEBVIEW_PROTOCOL_VERSION) {
          throw new RequestError(
            'bad-params',
            `panel speaks protocol ${params.protocolVersion}, host speaks ${WEBVIEW_PROTOCOL_VERSION}: reload the window`,
          );
        }
        return { protocolVersion: WEBVIEW_PROTOCOL_VERSION, summary: await source.summary(signal) };
      },
    },
    getDatasetSummary: { guard: hostParamGuards.getDatasetSummary, handle: (_params, { signal }) => source.summary(signal) },
    getScores: { guard: hostParamGuards.getScores, handle: () => source.scores() },
    getColumns: { guard: hostParamGuards.getColumns, handle: (_params, { signal }) => source.data.columns(signal) },
    getRows: { guard: hostParamGuards.getRows, handle: async ({ indices }, { signal }) => ({ rows: await source.data.rows(indices, signal) }) },
    search: { guard: hostParamGuards.search, handle: ({ text, limit }, { signal }) => source.data.search(text, Math.min(limit, 100_000), signal) },
    getPairDetail: { guard: hostParamGuards.getPairDetail, handle: ({ index }, { signal }) => source.data.detail(index, signal) },
    setFlag: {
      guard: hostParamGuards.setFlag,
      handle: async ({ index, flag, note }) => {
        try {
          const result = await source.data.setFlag(index, flag, note);
          source.flagChanged(index, result.flag);
          return { flag: result.flag };
        } catch (error) {
          throw new RequestError('bad-params', error instanceof Error ? error.message : String(error));
        }
      },
    },
    getFactors: { guard: hostParamGuards.getFactors, handle: (_params, { signal }) => source.data.factors(signal) },
    getFactorRows: { guard: hostParamGuards.getFactorRows, handle: async ({ factor }, { signal }) => ({ indices: await source.data.factorRows(factor, signal) }) },
    revealRow: { guard: hostParamGuards.revealRow, handle: async ({ index, open }) => ({ revealed: await source.revealRow(index, open ?? false) }) },
    runCommand: { guard: hostParamGuards.runCommand, handle: async ({ command }) => ({ started: await source.runCommand(command) }) },
    counterfactual: { guard: hostParamGuards.counterfactual, handle: async ({ index, action, n }) => ({ done: await source.counterfactual(index, action, n) }) },
  };
}
