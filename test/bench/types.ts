/** One row of the benchmark table in docs/BENCHMARKS.md. */
export interface BenchResult {
  figure: string;
  value: string;
  baseline: string;
  /** baseline time / measured time (higher is better), when the figure has a baseline. */
  ratio: number | undefined;
  target: string;
  pass: boolean;
}
