/**
 * Execution-provider choice, in one place (as transformers.js keeps its device map).
 *
 * Design note: onnxruntime-node throws when the CUDA provider libraries cannot be loaded
 * instead of falling back (ENGINE-NOTES 2.4). `auto` therefore tries CUDA on linux-x64, catches
 * the failure and retries on the CPU, and reports which device it got and why; `cuda` fails
 * with the reason and what to install; `cpu` never tries CUDA. Threads leave one core for the
 * editor, and idle worker threads do not spin between runs.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';

export type DeviceSetting = 'auto' | 'cpu' | 'cuda';

export interface OpenedSession {
  session: ort.InferenceSession;
  device: 'cpu' | 'cuda';
  /** Why this device was chosen, for the log. */
  reason: string;
}

export const CUDA_HELP =
  'CUDA needs the onnxruntime CUDA 12 provider libraries beside the binding (run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`, ' +
  'or copy libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so into node_modules/onnxruntime-node/bin/napi-v6/linux/x64/) ' +
  'and CUDA 12 with cuDNN 9 on the library path.';

export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Session options of every CPU session (the benchmarks' baselines use the same). */
export function baseOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

export async function openSession(path: string, device: DeviceSetting, threads = defaultThreads()): Promise<OpenedSession> {
  const options = baseOptions(threads);
  if (device === 'cuda' || device === 'auto') {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      if (device === 'cuda') throw new Error(`CUDA is only supported on linux-x64 by onnxruntime-node (this is ${process.platform}-${process.arch})`);
    } else {
      try {
        const session = await ort.InferenceSession.create(path, { ...options, executionProviders: [{ name: 'cuda', deviceId: 0 }, 'cpu'] });
        return { session, device: 'cuda', reason: 'CUDA execution provider loaded' };
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        if (device === 'cuda') throw new Error(`device "cuda" could not be used: ${why}. ${CUDA_HELP}`);
        const session = await ort.InferenceSession.create(path, { ...options, executionProviders: ['cpu'] });
        return { session, device: 'cpu', reason: `CUDA unavailable (${why.split('\n')[0]}); using the CPU with ${threads} thread(s)` };
      }
    }
  }
  const session = await ort.InferenceSession.create(path, { ...options, executionProviders: ['cpu'] });
  return { session, device: 'cpu', reason: `CPU with ${threads} thread(s)${device === 'auto' ? ' (CUDA is only available on linux-x64)' : ''}` };
}
