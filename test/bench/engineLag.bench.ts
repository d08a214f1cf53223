/**
 * Extension-host responsiveness during scoring: the host's event-loop delay is sampled
 * (perf_hooks.monitorEventLoopDelay) while the supervised engine process scores a dataset,
 * exactly as the extension runs it. Baseline: the same host idle for the same time.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EngineSupervisor } from '../../native/engine/engineSupervisor';
import type { BenchResult } from './types';

export async function benchEngineLag(): Promise<BenchResult[]> {
  const G = resolve('test/fixtures/trl-golden');
  const dir = mkdtempSync(join(tmpdir(), 'preflens-bench-lag-'));
  const rows = readFileSync(`${G}/datasets/trl_strings.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string });
  const lines: string[] = [];
  for (let k = 0; k < 40; k++) for (const row of rows) lines.push(JSON.stringify({ ...row, prompt: `[${k}] ${row.prompt}` }));
  const data = join(dir, 'pairs.jsonl');
  writeFileSync(data, `${lines.join('\n')}\n`);
  const engine = new EngineSupervisor({ distDir: resolve('dist') });
  await engine.request('hello', {}); // the engine starts once per window; measure the run, not the fork
  const idle = monitorEventLoopDelay({ resolution: 5 });
  idle.enable();
  await new Promise((r) => setTimeout(r, 2000));
  idle.disable();
  const busy = monitorEventLoopDelay({ resolution: 5 });
  busy.enable();
  const started = Date.now();
  const result = await engine.request('score', { dataset: data, policy: `${G}/models/policy`, reference: `${G}/models/reference`, beta: 0.1, maxLength: 512, device: 'cpu', tokenBudget: 4096, cacheDir: join(dir, 'cache') }, { onProgress: () => undefined });
  busy.disable();
  await engine.dispose();
  const ms = (ns: number): number => ns / 1e6;
  return [
    {
      figure: `extension-host event-loop lag while the engine scores ${result.total} pairs (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      value: `max ${ms(busy.max).toFixed(1)} ms, p99 ${ms(busy.percentile(99)).toFixed(1)} ms`,
      baseline: `idle host: max ${ms(idle.max).toFixed(1)} ms`,
      ratio: undefined,
      target: 'max < 50 ms',
      pass: ms(busy.max) < 50,
    },
  ];
}
