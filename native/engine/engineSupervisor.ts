/**
 * Supervises the engine child process for the extension host (and tests): starts it on first
 * use, speaks the engine protocol over IPC, notices when it dies and restarts it on the next
 * request.
 *
 * Design note
 * - A crash, an out-of-memory kill or any unexpected exit rejects the requests in flight with
 *   code `engine-exited` and a message naming the cause (exit code or signal, and the last
 *   lines the engine wrote to stderr); `requestWithRestart` restarts the engine and re-issues
 *   the request, and because results are cached on disk the re-issued job resumes where the
 *   dead one stopped.
 * - Cancel goes through the request's AbortSignal (the protocol's `cancel`).
 * - No `vscode` import: the extension passes a logger and the bundle folder.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { RequestClient, ProtocolRequestError, type RequestOptions } from '../protocol/client';
import { engineEventGuards, engineResultGuards, type EngineEvents, type EngineRequests } from '../protocol/engineProtocol';
import { engineSpawn } from './spawnOptions';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Human-readable cause for the user. */
  cause: string;
}

export interface SupervisorOptions {
  distDir: string;
  env?: NodeJS.ProcessEnv;
  execPath?: string;
  log?: (level: 'info' | 'warn' | 'error', line: string) => void;
  onExit?: (info: ExitInfo) => void;
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null, stderrTail: string): string {
  let cause: string;
  if (signal === 'SIGKILL') cause = 'it was killed (SIGKILL), most often by the system for running out of memory; try a smaller token budget';
  else if (signal) cause = `it was stopped by ${signal}`;
  else if (code === 134) cause = 'it aborted (exit code 134), often a native out-of-memory or assertion failure in ONNX Runtime';
  else cause = `it exited with code ${code}`;
  const tail = stderrTail.trim().split('\n').slice(-3).join(' | ');
  return `the PrefLens engine stopped: ${cause}${tail ? ` (last output: ${tail})` : ''}`;
}

export class EngineSupervisor {
  private child: ChildProcess | undefined;
  private client: RequestClient<EngineRequests, EngineEvents> | undefined;
  private stderrTail = '';
  private disposed = false;
  /** Processes started so far (1 + restarts). */
  starts = 0;

  constructor(private readonly options: SupervisorOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): RequestClient<EngineRequests, EngineEvents> {
    if (this.disposed) throw new Error('the PrefLens engine has been shut down');
    if (this.client && this.child && this.child.exitCode === null && this.child.signalCode === null) return this.client;
    const spawn = engineSpawn(this.options.distDir, this.options.env ?? process.env, this.options.execPath);
    const child = fork(spawn.modulePath, spawn.args, spawn.options);
    this.starts++;
    this.stderrTail = '';
    const log = this.options.log ?? (() => undefined);
    log('info', `engine started (pid ${child.pid})`);
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      this.stderrTail = (this.stderrTail + text).slice(-2000);
      for (const line of text.split('\n')) if (line.trim()) log('info', line);
    });
    child.stdout?.on('data', (chunk: Buffer) => log('info', chunk.toString().trimEnd()));
    const client = new RequestClient<EngineRequests, EngineEvents>(
      (message) => {
        if (child.connected) child.send(message);
      },
      engineResultGuards,
      engineEventGuards,
      (problem) => log('warn', `engine message dropped: ${problem}`),
    );
    child.on('message', (message: unknown) => client.receive(message));
    child.on('exit', (code, signal) => {
      if (this.child === child) {
        this.child = undefined;
        this.client = undefined;
      }
      const expected = this.disposed;
      const cause = describeExit(code, signal, this.stderrTail);
      if (!expected) log('error', cause);
      client.failAll('engine-exited', cause);
      if (!expected) this.options.onExit?.({ code, signal, cause });
    });
    child.on('error', (error) => log('error', `engine process error: ${error.message}`));
    this.child = child;
    this.client = client;
    return client;
  }

  request<K extends keyof EngineRequests & string>(method: K, params: EngineRequests[K]['params'], options: RequestOptions = {}): Promise<EngineRequests[K]['result']> {
    return this.start().request(method, params, options);
  }

  /** Runs a request, restarting the engine and re-issuing it after a crash (up to `restarts` times). */
  async requestWithRestart<K extends keyof EngineRequests & string>(
    method: K,
    params: EngineRequests[K]['params'],
    options: RequestOptions & { restarts?: number; onRestart?: (cause: string) => void } = {},
  ): Promise<EngineRequests[K]['result']> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request(method, params, options);
      } catch (error) {
        const crashed = error instanceof ProtocolRequestError && error.code === 'engine-exited';
        if (!crashed || attempt >= (options.restarts ?? 2) || options.signal?.aborted) throw error;
        options.onRestart?.(error.message);
      }
    }
  }

  /** For tests and the "restart engine" path: kill the process as a crash would. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.disconnect?.();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
