/**
 * Host <-> webview protocol: the only definition of what the PrefLens panel and the extension
 * host say to each other.
 *
 * Design note
 * - The webview is the caller (`HostRequests`), the host the callee; the host pushes state with
 *   `WebviewEvents`. Both directions are guarded: params on the host, results and events in
 *   the webview.
 * - The first request is always `ready` with the protocol version; the host answers with the
 *   current dataset summary so the panel can render without a second round trip.
 * - Pure TypeScript with no Node or DOM imports: it is bundled into both sides.
 */
import { isEmptyParams, isIndex, isShape, isString, nullable, type Guard } from './guards';
import type { MethodSpec } from './router';

export const WEBVIEW_PROTOCOL_VERSION = 1;

export interface DatasetSummary {
  /** Base name of the dataset file, for display. */
  fileName: string;
  /** Workspace-relative path when inside the workspace, else the absolute path. */
  displayPath: string;
  /** Number of records (non-blank lines for JSONL). */
  records: number;
  /** File size in bytes. */
  bytes: number;
}

export interface ReadyResult {
  protocolVersion: number;
  summary: DatasetSummary | null;
}

export type HostRequests = {
  ready: MethodSpec<{ protocolVersion: number }, ReadyResult>;
  getDatasetSummary: MethodSpec<Record<string, never>, DatasetSummary>;
};

export type WebviewEvents = {
  /** The dataset shown in the panel changed (file edited on disk, or another file opened). */
  datasetChanged: DatasetSummary;
  /** The host could not produce a summary; the panel shows this message. */
  datasetError: { message: string };
};

export const isDatasetSummary: Guard<DatasetSummary> = isShape<DatasetSummary>({
  fileName: isString,
  displayPath: isString,
  records: isIndex,
  bytes: isIndex,
});

export const hostParamGuards: { [K in keyof HostRequests]: Guard<HostRequests[K]['params']> } = {
  ready: isShape<{ protocolVersion: number }>({ protocolVersion: isIndex }),
  getDatasetSummary: isEmptyParams,
};

export const hostResultGuards: { [K in keyof HostRequests]: Guard<HostRequests[K]['result']> } = {
  ready: isShape<ReadyResult>({ protocolVersion: isIndex, summary: nullable(isDatasetSummary) }),
  getDatasetSummary: isDatasetSummary,
};

export const webviewEventGuards: { [K in keyof WebviewEvents]: Guard<WebviewEvents[K]> } = {
  datasetChanged: isDatasetSummary,
  datasetError: isShape<{ message: string }>({ message: isString }),
};
