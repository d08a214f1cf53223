/**
 * The message envelope shared by both PrefLens protocols (host <-> webview, host <-> engine).
 *
 * Design note
 * - A request carries a numeric id chosen by the caller; exactly one `response` or `error` with
 *   that id answers it. `cancel` asks the callee to stop a request early; the callee still
 *   answers it (with an error of code `cancelled` when it did stop).
 * - `event` and `progress` are one-way notifications; `progress` is tied to a request id.
 * - Anything that does not parse as an envelope is answered with `bad-message` (echoing the id
 *   when one could be read) and otherwise ignored: one malformed message never stops the peer.
 * The method names and payload types live in one module per protocol (webviewProtocol.ts,
 * engineProtocol.ts); this file knows nothing about them.
 */
import { isIndex, isRecord, isString } from './guards';

export type ErrorCode =
  | 'bad-message'
  | 'unknown-method'
  | 'bad-params'
  | 'cancelled'
  | 'not-found'
  | 'not-trusted'
  | 'internal';

export interface ProtocolError {
  code: ErrorCode;
  message: string;
}

export interface RequestMessage {
  type: 'request';
  id: number;
  method: string;
  params: unknown;
}

export interface CancelMessage {
  type: 'cancel';
  id: number;
}

export interface ResponseMessage {
  type: 'response';
  id: number;
  result: unknown;
}

export interface ErrorMessage {
  type: 'error';
  /** null when the offending message had no readable id. */
  id: number | null;
  error: ProtocolError;
}

export interface EventMessage {
  type: 'event';
  event: string;
  data: unknown;
}

export interface ProgressMessage {
  type: 'progress';
  id: number;
  data: unknown;
}

/** What a callee receives. */
export type InboundCall = RequestMessage | CancelMessage;
/** What a caller receives. */
export type InboundReply = ResponseMessage | ErrorMessage | EventMessage | ProgressMessage;

export type ParseResult<T> = { ok: true; message: T } | { ok: false; id: number | null; error: ProtocolError };

const MAX_METHOD_LENGTH = 64;

function readId(raw: Record<string, unknown>): number | null {
  return isIndex(raw.id) ? raw.id : null;
}

function fail<T>(id: number | null, message: string): ParseResult<T> {
  return { ok: false, id, error: { code: 'bad-message', message } };
}

export function parseInboundCall(raw: unknown): ParseResult<InboundCall> {
  if (!isRecord(raw)) return fail(null, 'message is not an object');
  const id = readId(raw);
  if (raw.type === 'cancel') {
    return id === null ? fail(null, 'cancel without a valid id') : { ok: true, message: { type: 'cancel', id } };
  }
  if (raw.type !== 'request') return fail(id, `unknown message type ${JSON.stringify(String(raw.type)).slice(0, 40)}`);
  if (id === null) return fail(null, 'request without a valid id (a non-negative integer)');
  if (!isString(raw.method) || raw.method.length === 0 || raw.method.length > MAX_METHOD_LENGTH) {
    return fail(id, 'request without a valid method name');
  }
  return { ok: true, message: { type: 'request', id, method: raw.method, params: raw.params } };
}

export function parseInboundReply(raw: unknown): ParseResult<InboundReply> {
  if (!isRecord(raw)) return fail(null, 'message is not an object');
  const id = readId(raw);
  switch (raw.type) {
    case 'response':
      return id === null ? fail(null, 'response without id') : { ok: true, message: { type: 'response', id, result: raw.result } };
    case 'progress':
      return id === null ? fail(null, 'progress without id') : { ok: true, message: { type: 'progress', id, data: raw.data } };
    case 'event':
      return isString(raw.event) && raw.event.length <= MAX_METHOD_LENGTH
        ? { ok: true, message: { type: 'event', event: raw.event, data: raw.data } }
        : fail(null, 'event without a valid name');
    case 'error': {
      const error = raw.error;
      if (!isRecord(error) || !isString(error.code) || !isString(error.message)) return fail(id, 'error without code and message');
      return { ok: true, message: { type: 'error', id, error: { code: error.code as ErrorCode, message: error.message } } };
    }
    default:
      return fail(id, 'unknown message type');
  }
}

export function errorMessage(id: number | null, code: ErrorCode, message: string): ErrorMessage {
  return { type: 'error', id, error: { code, message } };
}
