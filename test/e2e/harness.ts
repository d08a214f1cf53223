/**
 * End-to-end harness: PrefLens inside a real VS Code.
 *
 * What: starts code-server 4.100.3 (a complete VS Code 1.100 on Node 20, installed into a cache
 * folder by `bash scripts/setup-code-server.sh`) with throwaway user-data and extensions folders,
 * loads the extension under test into it, and drives the workbench with headless Debian Chromium
 * through playwright-core.
 * Why: @vscode/test-electron and @vscode/test-web download VS Code at run time, which cannot work
 * on our machines (npm registry and Debian packages only). code-server comes from npm and gives a
 * real workbench, a real extension host and real webviews whose DOM a test can read
 * (see shared/design/E2E-VSCODE.md).
 *
 * Every process is started in its own process group and stopped by group (code-server leaves a
 * file-watcher child behind otherwise). Set PREFLENS_E2E_KEEP=1 to keep the temp folders.
 */
import { spawn, execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';

export type { Browser, Frame, Page };

export const CODE_SERVER_VERSION = '4.100.3';

function cacheDir(): string {
  const root = process.env.PREFLENS_CACHE ?? path.join(os.homedir(), '.cache', 'preflens');
  return path.join(root, `code-server-${CODE_SERVER_VERSION}`);
}

/** Path of the code-server binary in the cache; throws when the setup script has not run. */
export function codeServerBin(): string {
  const dir = cacheDir();
  const bin = path.join(dir, 'node_modules', '.bin', 'code-server');
  if (!fs.existsSync(bin) || !fs.existsSync(path.join(dir, '.preflens-ready'))) {
    throw new Error(
      `code-server ${CODE_SERVER_VERSION} is not installed in ${dir}.\n` +
        'Run `bash scripts/setup-code-server.sh` from the repository root first.',
    );
  }
  return bin;
}

/** The repository root: the nearest folder above the working directory holding test/e2e/harness.ts. */
export function repoRoot(): string {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'test', 'e2e', 'harness.ts'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

export interface CodeServerOptions {
  /** Folder opened in the workbench (also passed to code-server as its default folder). */
  workspace: string;
  /**
   * An unpacked extension folder, copied into the extensions dir as <publisher>.<name>-<version>
   * (without .git and test-artifacts; its node_modules is linked, not copied: it may be large).
   */
  extensionDevPath?: string;
  /** A packaged extension, installed with `code-server --install-extension` before the start. */
  vsixPath?: string;
  /** Extra user settings, merged over the harness defaults. */
  settings?: Record<string, unknown>;
  /** Leave workspace trust on (restricted mode tests). Default false: trust is disabled. */
  trustEnabled?: boolean;
}

export interface CodeServer {
  url: string;
  port: number;
  userDataDir: string;
  extensionsDir: string;
  stop(): Promise<void>;
  /** Everything code-server printed so far (stdout and stderr, interleaved). */
  logs(): string;
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const bin = codeServerBin();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'preflens-e2e-'));
  const userDataDir = path.join(tmp, 'ud');
  const extensionsDir = path.join(tmp, 'ext');
  const configFile = path.join(tmp, 'config.yaml');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(configFile, 'auth: none\n');

  const settings: Record<string, unknown> = { 'workbench.startupEditor': 'none' };
  if (!opts.trustEnabled) settings['security.workspace.trust.enabled'] = false;
  Object.assign(settings, opts.settings);
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));

  // Keep code-server's own config and logs out of $HOME.
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
    XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
  };
  const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  let output = '';
  if (opts.extensionDevPath) {
    const src = path.resolve(opts.extensionDevPath);
    const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8')) as {
      publisher?: string;
      name: string;
      version: string;
    };
    const dest = path.join(extensionsDir, `${pkg.publisher ?? 'undefined_publisher'}.${pkg.name}-${pkg.version}`);
    const skip = new Set(['.git', 'test-artifacts', 'node_modules'].map((n) => path.join(src, n)));
    fs.cpSync(src, dest, { recursive: true, filter: (p) => !skip.has(p) });
    if (fs.existsSync(path.join(src, 'node_modules'))) {
      fs.symlinkSync(path.join(src, 'node_modules'), path.join(dest, 'node_modules'), 'dir');
    }
  }
  if (opts.vsixPath) {
    const vsix = path.resolve(opts.vsixPath);
    output += await new Promise<string>((resolve, reject) => {
      execFile(bin, [...common, '--force', '--install-extension', vsix], { env, timeout: 120_000 }, (err, so, se) =>
        err ? reject(new Error(`installing ${vsix} failed: ${err.message}\n${so}${se}`)) : resolve(so + se),
      );
    });
  }

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    bin,
    [
      ...common,
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      path.resolve(opts.workspace),
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pgid = child.pid!;
  let exited: string | undefined;
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  child.on('exit', (code, sig) => (exited = `code-server exited (code ${code}, signal ${sig})`));
  // Never keep the test process alive because of code-server; the exit hook below stops it.
  child.unref();
  (child.stdout as unknown as { unref(): void }).unref();
  (child.stderr as unknown as { unref(): void }).unref();
  // If the test process ends without calling stop(), leave neither the group nor the folder.
  const onExit = () => {
    killGroup(pgid, 'SIGKILL');
    if (!process.env.PREFLENS_E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(pgid, 'SIGTERM');
    for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
    killGroup(pgid, 'SIGKILL');
    for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
    process.off('exit', onExit);
    if (!process.env.PREFLENS_E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  };

  // Wait until the HTTP server answers.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`${exited} before answering HTTP.\n${output}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${url} within 60 s.\n${output}`);
    }
    await sleep(200);
  }

  return { url, port, userDataDir, extensionsDir, stop, logs: () => output };
}

export interface Workbench {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** Opens the workbench for `folder` in headless Chromium and waits for it to be drawn. */
export async function openWorkbench(url: string, folder: string, opts: { colorTheme?: string } = {}): Promise<Workbench> {
  const browser = await chromium.launch({
    executablePath: process.env.PREFLENS_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${url}/?folder=${encodeURIComponent(path.resolve(folder))}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The workbench marks (performance.mark) when it knows every extension's contributions;
    // before that the palette and the theme picker miss extension commands and themes.
    await page.waitForFunction("performance.getEntriesByName('code/didLoadExtensions').length > 0", undefined, {
      timeout: 90_000,
    });
    if (opts.colorTheme) {
      // Rows show a theme's label ('Light Modern') with its id ('Default Light Modern') as
      // description; the filter ignores descriptions, so pick from the unfiltered list.
      await pickFromQuickInput(
        page,
        () => runCommand(page, 'Preferences: Color Theme'),
        '',
        (rows, exact) => rows.filter({ has: page.locator('.label-name', { hasText: exact(opts.colorTheme!) }) })
          .or(rows.filter({ has: page.locator('.label-description', { hasText: exact(opts.colorTheme!) }) })),
        `theme '${opts.colorTheme}'`,
        30_000,
      );
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    }
    return { browser, page, close: () => browser.close() };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

function exactText(s: string): RegExp {
  return new RegExp(`^\\s*${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

/**
 * Opens a quick input with `open`, types `text`, and clicks the first row that `pick` selects
 * (clicking, not Enter: the focused row is often a fuzzier or recently used match).
 * A quick pick lists what was known when it opened (commands and themes of extensions that
 * register late are missing from it), so when no row matches within 3 s it is closed and
 * opened again, until `timeoutMs`.
 */
async function pickFromQuickInput(
  page: Page,
  open: () => Promise<void>,
  text: string,
  pick: (rows: Locator, exact: (s: string) => RegExp) => Locator,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await open();
    await input.waitFor({ state: 'visible', timeout: Math.max(1_000, deadline - Date.now()) });
    await input.fill(text);
    const row = pick(widget.locator('.quick-input-list .monaco-list-row'), exactText).first();
    try {
      await row.waitFor({ state: 'visible', timeout: Math.max(1, Math.min(3_000, deadline - Date.now())) });
      await row.click();
      return;
    } catch {
      if (Date.now() >= deadline) throw new Error(`quick input: no ${what} after ${timeoutMs} ms (typed ${JSON.stringify(text)})`);
      await page.keyboard.press('Escape');
      await widget.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
    }
  }
}

/** Runs a command by its palette title (category included, e.g. 'PrefLens: Open Panel'). */
export async function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  await pickFromQuickInput(
    page,
    () => page.keyboard.press('F1'),
    `>${title}`,
    (rows, exact) => rows.filter({ has: page.locator('.label-name', { hasText: exact(title) }) }),
    `command '${title}'`,
    timeoutMs,
  );
  // The palette closes, or (for commands that ask something) is replaced by another quick input.
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  const deadline = Date.now() + 10_000;
  while ((await widget.isVisible()) && (await input.inputValue().catch(() => '')) === `>${title}`) {
    if (Date.now() > deadline) throw new Error(`command palette did not close after running '${title}'`);
    await sleep(100);
  }
}

/**
 * Puts the keyboard focus in the first editor group (the dataset) through the command, not a
 * click: on a busy machine a click on the text can land on a closing menu, a hover or a toast.
 */
export async function focusFirstEditor(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await runCommand(page, 'View: Focus First Editor Group');
}

/** Opens a workspace file through quick open (Ctrl+P) and waits for its editor tab. */
export async function openFile(page: Page, relativePath: string, timeoutMs = 30_000): Promise<void> {
  const base = path.basename(relativePath);
  const dir = path.dirname(relativePath);
  await pickFromQuickInput(
    page,
    () => page.keyboard.press('Control+P'),
    relativePath,
    (rows, exact) => {
      const named = rows.filter({ has: page.locator('.label-name', { hasText: exact(base) }) });
      return dir === '.' ? named : named.filter({ has: page.locator('.label-description', { hasText: dir }) });
    },
    `file '${relativePath}'`,
    timeoutMs,
  );
  await page
    .locator('.tabs-container .tab')
    .filter({ has: page.locator('.label-name', { hasText: exactText(base) }) })
    .first()
    .waitFor({ state: 'visible', timeout: timeoutMs });
}

/**
 * Finds the frame of a webview. A webview is an <iframe class="webview"> in the workbench whose
 * document (VS Code's webview host, pre/index.html) holds an inner <iframe id="active-frame">;
 * the extension's HTML lives in that inner frame. Polls page.frames() until `predicate` holds.
 */
export async function findWebviewFrame(
  page: Page,
  predicate: (frame: Frame) => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame() || frame.isDetached()) continue;
      try {
        if (await predicate(frame)) return frame;
      } catch {
        /* frame navigated or detached while being read */
      }
    }
    if (Date.now() > deadline) {
      const urls = page.frames().map((f) => `  ${f.url()}`).join('\n');
      throw new Error(`no webview frame matched within ${timeoutMs} ms; frames:\n${urls}`);
    }
    await sleep(250);
  }
}

/** Saves a PNG of the page as test-artifacts/e2e/<name>.png at the repository root; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = path.join(repoRoot(), 'test-artifacts', 'e2e');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Applies a quick fix from the Problems panel: selects the marker, opens its quick fixes
 * (Ctrl+.) and picks `title`, until `done` holds. On a busy machine the key can reach the list
 * before the marker is selected, so later attempts (up to three) open the same code actions
 * from the editor on the marker's line.
 */
export async function quickFixFromProblems(page: Page, marker: Locator, title: string, done: () => Promise<boolean>): Promise<void> {
  const line = Number(/\[Ln (\d+)/.exec((await marker.textContent()) ?? '')?.[1]);
  for (let attempt = 1; ; attempt++) {
    if (attempt === 1 || !Number.isFinite(line)) {
      await marker.click();
      await sleep(300);
    } else {
      // the same code action from the editor, on the diagnostic's line
      await focusFirstEditor(page);
      await page.keyboard.press('Control+G');
      await page.locator('.quick-input-widget input').fill(`:${line}`);
      await page.keyboard.press('Enter');
      await sleep(500);
    }
    await page.keyboard.press('Control+.');
    const action = page.locator('.action-widget .monaco-list-row, .context-view .action-item', { hasText: title }).first();
    if (await action.waitFor({ timeout: 10_000 }).then(() => true, () => false)) {
      // the menu animates in; a click that cannot land in time falls back to the keyboard
      await action.click({ timeout: 5_000 }).catch(async () => {
        await action.hover({ force: true }).catch(() => undefined);
        await page.keyboard.press('Enter');
      });
    }
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (await done().catch(() => false)) return;
      await sleep(250);
    }
    if (attempt >= 3) throw new Error(`the quick fix '${title}' did not take effect after ${attempt} attempts`);
    await page.keyboard.press('Escape');
  }
}
