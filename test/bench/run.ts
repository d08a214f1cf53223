/**
 * `npm run bench`: runs every benchmark, prints the table and writes docs/BENCHMARKS.md with
 * the machine's description. Figures are ratios against a baseline measured in the same run,
 * because absolute times drift on shared machines.
 */
import { cpus, homedir, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDatasetIndex } from './datasetIndex.bench';
import { benchEngineLag } from './engineLag.bench';
import { benchWhatIf } from './whatIf.bench';
import { benchFactors } from './factors.bench';
import { benchWebview } from './webview.bench';
import { benchCounterfactual } from './counterfactual.bench';
import { benchScoring } from './scoringThroughput.bench';
import type { BenchResult } from './types';

const cacheDir = process.env.PREFLENS_CACHE ?? join(homedir(), '.cache', 'preflens');
const BEGIN = '<!-- bench:results:begin -->';
const END = '<!-- bench:results:end -->';

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}-${process.arch}`;
}

function table(results: BenchResult[]): string {
  const rows = results.map((r) => `| ${r.figure} | ${r.value} | ${r.baseline} | ${r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}x`} | ${r.target} | ${r.pass ? 'met' : '**not met**'} |`);
  return ['| figure | measured | baseline (same run) | ratio | target | status |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const results: BenchResult[] = [];
  console.log('bench: datasets');
  results.push(...(await benchDatasetIndex(cacheDir)));
  console.log('bench: analysis');
  results.push(...benchWhatIf());
  results.push(...benchFactors());
  console.log('bench: webview');
  results.push(...(await benchWebview()));
  console.log('bench: scoring (GPT-2-small-sized models; several minutes)');
  results.push(...(await benchScoring(cacheDir)));
  console.log('bench: counterfactuals');
  results.push(...(await benchCounterfactual(cacheDir)));
  console.log('bench: engine service');
  results.push(...(await benchEngineLag()));
  const body = `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; ${((Date.now() - started) / 1000).toFixed(0)} s in all.\n\n${table(results)}`;
  console.log(`\n${body}\n`);
  const file = 'docs/BENCHMARKS.md';
  const doc = readFileSync(file, 'utf8');
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start === -1 || end === -1) throw new Error(`${file} lacks the ${BEGIN} / ${END} markers`);
  writeFileSync(file, `${doc.slice(0, start + BEGIN.length)}\n${body}\n${doc.slice(end)}`);
  console.log(`wrote ${file}`);
  if (results.some((r) => !r.pass)) process.exitCode = 1;
}

void main();
