// Runs PrefLens test suites with Node's own test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs <suite...> [-- extra node --test args]
//   suites: unit, integration, webview (files *.test.ts), e2e (files *.e2e.ts, run one at a time)
// Node 20's --test does not expand globs, so the files are collected here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const suites = dash === -1 ? argv : argv.slice(0, dash);
const extra = dash === -1 ? [] : argv.slice(dash + 1);
if (suites.length === 0) {
  console.error('usage: node scripts/run-tests.mjs <unit|integration|webview|e2e>...');
  process.exit(2);
}

function collect(dir, suffix) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path, suffix));
    else if (name.endsWith(suffix)) out.push(path);
  }
  return out;
}

let failed = false;
for (const suite of suites) {
  const e2e = suite === 'e2e';
  const files = collect(join('test', suite), e2e ? '.e2e.ts' : '.test.ts');
  if (files.length === 0) {
    console.error(`no test files in test/${suite}`);
    failed = true;
    continue;
  }
  console.log(`\n=== ${suite}: ${files.length} file(s) ===`);
  const args = ['--import', 'tsx', '--test', '--test-reporter=spec'];
  if (e2e) args.push('--test-concurrency=1', '--test-timeout=600000');
  // integration builds the embedded models twice (byte-identical check): minutes on a busy 2-core box
  else args.push(`--test-timeout=${suite === 'integration' ? 300000 : 120000}`);
  const result = spawnSync(process.execPath, [...args, ...extra, ...files], { stdio: 'inherit', env: process.env });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
