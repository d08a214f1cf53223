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
  type ScoreSnapshot,
} from '../../native/protocol/webviewProtocol';

export interface DatasetSource {
  /** The current summary, computed on demand (may read the file). */
  summary(signal: AbortSignal): Promise<DatasetSummary>;
  /** The latest scoring run's numbers. */
  scores(): ScoreSnapshot;
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
    getDatasetSummary: {
      guard: hostParamGuards.getDatasetSummary,
      handle: (_params, { signal }) => source.summary(signal),
    },
    getScores: {
      guard: hostParamGuards.getScores,
      handle: () => source.scores(),
    },
  };
}
