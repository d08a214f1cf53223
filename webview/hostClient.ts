/**
 * The panel's connection to the extension host: a typed `RequestClient` over
 * `postMessage`, fed by the window's `message` events. Every inbound message is guarded by the
 * client before any listener sees it.
 */
import { RequestClient } from '../native/protocol/client';
import {
  hostResultGuards,
  webviewEventGuards,
  type HostRequests,
  type WebviewEvents,
} from '../native/protocol/webviewProtocol';
import type { VsCodeApi } from './vscodeApi';

export type HostClient = RequestClient<HostRequests, WebviewEvents>;

export function connectToHost(api: VsCodeApi<unknown>, target: Window = window): HostClient {
  const client: HostClient = new RequestClient<HostRequests, WebviewEvents>(
    (message) => api.postMessage(message),
    hostResultGuards,
    webviewEventGuards,
    (problem) => console.warn(`PrefLens: ${problem}`),
  );
  target.addEventListener('message', (event: MessageEvent<unknown>) => client.receive(event.data));
  return client;
}
