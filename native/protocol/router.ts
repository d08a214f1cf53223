/**
 * Callee side of a PrefLens protocol: dispatches guarded requests to typed handlers.
 *
 * Design note
 * - `receive(raw)` accepts anything. Malformed envelopes, unknown methods and parameters that
 *   fail their guard are answered with an error reply; the router keeps serving.
 * - Each request gets an AbortSignal; a `cancel` message aborts it, `dispose()` aborts all.
 * - A handler that throws becomes an `internal` error reply (or `cancelled` when its signal was
 *   aborted), never an unhandled rejection.
 * Invariant: every well-formed request id gets exactly one response or error message.
 */
import { errorMessage, parseInboundCall, type ErrorCode, type ErrorMessage, type EventMessage, type ProgressMessage, type ResponseMessage } from './envelope';
import type { Guard } from './guards';

export interface MethodSpec<P, R> {
  params: P;
  result: R;
}

export type MethodMap = { [method: string]: MethodSpec<unknown, unknown> };

export interface HandlerContext {
  signal: AbortSignal;
  /** Sends a progress notification tied to this request. */
  progress(data: unknown): void;
}

export type Handler<P, R> = (params: P, ctx: HandlerContext) => Promise<R> | R;

export type HandlerTable<M extends MethodMap> = {
  [K in keyof M]: { guard: Guard<M[K]['params']>; handle: Handler<M[K]['params'], M[K]['result']> };
};

export type OutboundMessage = ResponseMessage | ErrorMessage | EventMessage | ProgressMessage;

/** An error a handler can throw to choose the reply's code. */
export class RequestError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

export class RequestRouter<M extends MethodMap> {
  private readonly inFlight = new Map<number, AbortController>();

  constructor(
    private readonly handlers: HandlerTable<M>,
    private readonly post: (message: OutboundMessage) => void,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  receive(raw: unknown): void {
    const parsed = parseInboundCall(raw);
    if (!parsed.ok) {
      this.log(`rejected message: ${parsed.error.message}`);
      this.post(errorMessage(parsed.id, parsed.error.code, parsed.error.message));
      return;
    }
    const message = parsed.message;
    if (message.type === 'cancel') {
      this.inFlight.get(message.id)?.abort();
      return;
    }
    if (!Object.prototype.hasOwnProperty.call(this.handlers, message.method)) {
      this.post(errorMessage(message.id, 'unknown-method', `unknown method ${JSON.stringify(message.method)}`));
      return;
    }
    const entry = this.handlers[message.method as keyof M];
    if (!entry.guard(message.params)) {
      this.post(errorMessage(message.id, 'bad-params', `invalid parameters for ${message.method}`));
      return;
    }
    if (this.inFlight.has(message.id)) {
      this.post(errorMessage(message.id, 'bad-message', `request id ${message.id} is already in flight`));
      return;
    }
    void this.run(message.id, message.method, entry, message.params);
  }

  private async run(
    id: number,
    method: string,
    entry: HandlerTable<M>[keyof M],
    params: unknown,
  ): Promise<void> {
    const controller = new AbortController();
    this.inFlight.set(id, controller);
    const ctx: HandlerContext = {
      signal: controller.signal,
      progress: (data) => {
        if (!controller.signal.aborted) this.post({ type: 'progress', id, data });
      },
    };
    try {
      const result = await entry.handle(params as M[keyof M]['params'], ctx);
      this.post(controller.signal.aborted ? errorMessage(id, 'cancelled', `${method} was cancelled`) : { type: 'response', id, result });
    } catch (error) {
      if (controller.signal.aborted) {
        this.post(errorMessage(id, 'cancelled', `${method} was cancelled`));
      } else {
        const code = error instanceof RequestError ? error.code : 'internal';
        const text = error instanceof Error ? error.message : String(error);
        this.log(`${method} failed: ${text}`);
        this.post(errorMessage(id, code, text));
      }
    } finally {
      this.inFlight.delete(id);
    }
  }

  emit(event: string, data: unknown): void {
    this.post({ type: 'event', event, data });
  }

  dispose(): void {
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
  }
}
