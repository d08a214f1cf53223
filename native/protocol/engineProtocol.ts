/**
 * Host <-> engine protocol: what the extension host (or the CLI) and the engine child process
 * say to each other over Node's IPC channel.
 *
 * Design note: the host is the caller and the engine the callee, with the same envelope,
 * request ids, progress and cancel as the webview protocol (`envelope.ts`). This module holds
 * the method table and its guards; later methods (score, cache, counterfactuals) extend it.
 */
import { isArrayOf, isBoolean, isEmptyParams, isIndex, isShape, isString, type Guard } from './guards';
import type { MethodSpec } from './router';

export const ENGINE_PROTOCOL_VERSION = 1;

export interface BackendInfo {
  name: string;
  bundled: boolean;
}

export interface EngineHello {
  protocolVersion: number;
  pid: number;
  node: string;
  onnxruntime: string;
  backends: BackendInfo[];
}

export type EngineRequests = {
  hello: MethodSpec<Record<string, never>, EngineHello>;
};

export type EngineEvents = {
  log: { level: 'info' | 'warn' | 'error'; message: string };
};

export const engineParamGuards: { [K in keyof EngineRequests]: Guard<EngineRequests[K]['params']> } = {
  hello: isEmptyParams,
};

const isBackendInfo = isShape<BackendInfo>({ name: isString, bundled: isBoolean });

export const engineResultGuards: { [K in keyof EngineRequests]: Guard<EngineRequests[K]['result']> } = {
  hello: isShape<EngineHello>({
    protocolVersion: isIndex,
    pid: isIndex,
    node: isString,
    onnxruntime: isString,
    backends: isArrayOf(isBackendInfo),
  }),
};

export const engineEventGuards: { [K in keyof EngineEvents]: Guard<EngineEvents[K]> } = {
  log: isShape<EngineEvents['log']>({
    level: (v: unknown): v is 'info' | 'warn' | 'error' => v === 'info' || v === 'warn' || v === 'error',
    message: isString,
  }),
};
