/**
 * Caller side of a PrefLens protocol: typed requests with ids, cancellation and timeouts.
 *
 * Design note
 * - `request()` returns a promise settled by the matching `response` / `error` reply; an
 *   AbortSignal sends `cancel` and rejects at once with code `cancelled`.
 * - Replies are guarded (`parseInboundReply`) and results are checked with the per-method
 *   result guard, so a confused or hostile peer cannot inject values of the wrong shape.
 * - Events go to registered listeners after their own guard; unknown events are dropped.
 */
import { parseInboundReply, type ErrorCode, type ProtocolError, type RequestMessage, type CancelMessage } from './envelope';
import type { Guard } from './guards';
import type { MethodMap } from './router';

export class ProtocolRequestError extends Error {
  constructor(readonly code: ErrorCode | string, message: string) {
    super(message);
    this.name = 'ProtocolRequestError';
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  guard: Guard<unknown>;
  onProgress?: (data: unknown) => void;
  cleanup(): void;
}

export type ResultGuards<M extends MethodMap> = { [K in keyof M]: Guard<M[K]['result']> };

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  onProgress?: (data: unknown) => void;
}

export class RequestClient<M extends MethodMap, E extends Record<string, unknown>> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<keyof E, Set<(data: never) => void>>();

  constructor(
    private readonly send: (message: RequestMessage | CancelMessage) => void,
    private readonly resultGuards: ResultGuards<M>,
    private readonly eventGuards: { [K in keyof E]: Guard<E[K]> },
    private readonly onBadMessage: (problem: string) => void = () => undefined,
  ) {}

  request<K extends keyof M & string>(method: K, params: M[K]['params'], options: RequestOptions = {}): Promise<M[K]['result']> {
    const id = this.nextId++;
    return new Promise<M[K]['result']>((resolve, reject) => {
      const { signal, timeoutMs } = options;
      if (signal?.aborted) {
        reject(new ProtocolRequestError('cancelled', `${method} was cancelled`));
        return;
      }
      const onAbort = (): void => {
        this.send({ type: 'cancel', id });
        this.settle(id)?.reject(new ProtocolRequestError('cancelled', `${method} was cancelled`));
      };
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        this.send({ type: 'cancel', id });
        this.settle(id)?.reject(new ProtocolRequestError('timeout', `${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        guard: this.resultGuards[method] as Guard<unknown>,
        onProgress: options.onProgress,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      });
      this.send({ type: 'request', id, method, params });
    });
  }

  on<K extends keyof E>(event: K, listener: (data: E[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (data: never) => void);
    return () => set?.delete(listener as (data: never) => void);
  }

  /** Feed every inbound message here. */
  receive(raw: unknown): void {
    const parsed = parseInboundReply(raw);
    if (!parsed.ok) {
      this.onBadMessage(parsed.error.message);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'event': {
        const guard = (this.eventGuards as Record<string, Guard<unknown> | undefined>)[message.event];
        if (!guard || !guard(message.data)) {
          this.onBadMessage(`dropped event ${message.event}`);
          return;
        }
        for (const listener of this.listeners.get(message.event as keyof E) ?? []) (listener as (d: unknown) => void)(message.data);
        return;
      }
      case 'progress':
        this.pending.get(message.id)?.onProgress?.(message.data);
        return;
      case 'response': {
        const entry = this.settle(message.id);
        if (!entry) return;
        if (entry.guard(message.result)) entry.resolve(message.result);
        else entry.reject(new ProtocolRequestError('bad-message', 'reply did not have the expected shape'));
        return;
      }
      case 'error': {
        if (message.id === null) {
          this.onBadMessage(`peer reported: ${message.error.message}`);
          return;
        }
        this.settle(message.id)?.reject(toError(message.error));
        return;
      }
    }
  }

  /** Rejects everything in flight, e.g. when the peer process died. */
  failAll(code: string, message: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new ProtocolRequestError(code, message));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  private settle(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    entry.cleanup();
    return entry;
  }
}

function toError(error: ProtocolError): ProtocolRequestError {
  return new ProtocolRequestError(error.code, error.message);
}
