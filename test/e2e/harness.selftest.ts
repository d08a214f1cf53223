/**
 * Self-test of the e2e harness (not a node:test file): proves that code-server starts, that an
 * unpacked extension is loaded, that a command runs from the palette, that a webview's DOM can be
 * read from its frame, and that everything is stopped afterwards.
 *
 *   bash scripts/setup-code-server.sh && node --import tsx test/e2e/harness.selftest.ts [--vsix]
 *
 * By default the extension is loaded as an unpacked folder (extensionDevPath); with --vsix it is
 * packed into a .vsix with Debian's `zip` and installed with --install-extension (vsixPath).
 * Leaves test-artifacts/e2e/harness-selftest-*.png behind to look at.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findWebviewFrame, openFile, openWorkbench, runCommand, screenshot, startCodeServer } from './harness';

function makeExtension(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'harness-hello',
        displayName: 'Harness Hello',
        publisher: 'preflens-selftest',
        version: '0.0.1',
        engines: { vscode: '^1.100.0' },
        main: './extension.js',
        activationEvents: ['onStartupFinished'],
        contributes: { commands: [{ command: 'harnessHello.show', title: 'Harness Hello' }] },
      },
      null,
      2,
    ),
  );
  fs.writeFileSync(
    path.join(dir, 'extension.js'),
    `const vscode = require('vscode');
const answer = require('answer-dep');
exports.activate = (context) => {
  context.subscriptions.push(vscode.commands.registerCommand('harnessHello.show', () => {
    const panel = vscode.window.createWebviewPanel('harnessHello', 'Harness Hello', vscode.ViewColumn.One, {});
    panel.webview.html = '<!DOCTYPE html><html><body><h1 id="hello">hello ' + answer + '</h1></body></html>';
  }));
};
exports.deactivate = () => {};
`,
  );
  // A dependency in node_modules, to prove that module resolution works where the extension lands.
  fs.mkdirSync(path.join(dir, 'node_modules', 'answer-dep'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules', 'answer-dep', 'index.js'), 'module.exports = 6 * 7;\n');
}

/** A minimal VSIX: the extension under extension/, plus the two XML files VS Code expects. */
function packVsix(extDir: string, vsix: string): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'preflens-vsix-'));
  const pkg = JSON.parse(fs.readFileSync(path.join(extDir, 'package.json'), 'utf8')) as Record<string, string>;
  fs.cpSync(extDir, path.join(root, 'extension'), { recursive: true });
  fs.writeFileSync(
    path.join(root, '[Content_Types].xml'),
    '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension=".json" ContentType="application/json"/><Default Extension=".js" ContentType="application/javascript"/>' +
      '<Default Extension=".vsixmanifest" ContentType="text/xml"/></Types>',
  );
  fs.writeFileSync(
    path.join(root, 'extension.vsixmanifest'),
    '<?xml version="1.0" encoding="utf-8"?><PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">' +
      `<Metadata><Identity Language="en-US" Id="${pkg.name}" Version="${pkg.version}" Publisher="${pkg.publisher}"/>` +
      `<DisplayName>${pkg.displayName}</DisplayName><Description xml:space="preserve">self-test</Description></Metadata>` +
      '<Installation><InstallationTarget Id="Microsoft.VisualStudio.Code"/></Installation><Dependencies/>' +
      '<Assets><Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true"/></Assets></PackageManifest>',
  );
  execFileSync('zip', ['-qr', vsix, '.'], { cwd: root });
  fs.rmSync(root, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const useVsix = process.argv.includes('--vsix');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'preflens-selftest-'));
  const workspace = path.join(tmp, 'workspace');
  const extDir = path.join(tmp, 'harness-hello');
  fs.mkdirSync(path.join(workspace, 'notes'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'notes', 'todo.md'), '# todo\n');
  makeExtension(extDir);

  const t0 = Date.now();
  const step = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
  let server;
  if (useVsix) {
    const vsix = path.join(tmp, 'harness-hello.vsix');
    packVsix(extDir, vsix);
    server = await startCodeServer({ workspace, vsixPath: vsix });
  } else {
    server = await startCodeServer({ workspace, extensionDevPath: extDir });
  }
  step(`code-server up at ${server.url}, extension dir: ${fs.readdirSync(server.extensionsDir).join(', ')}`);
  let wb: Awaited<ReturnType<typeof openWorkbench>> | undefined;
  try {
    wb = await openWorkbench(server.url, workspace, { colorTheme: useVsix ? 'Default Dark Modern' : 'Default Light Modern' });
    step('workbench open');
    await openFile(wb.page, 'notes/todo.md');
    step('file opened');
    await runCommand(wb.page, 'Harness Hello');
    step('command run');
    const frame = await findWebviewFrame(wb.page, async (f) => (await f.$('#hello')) !== null, 30_000);
    const text = await frame.$eval('#hello', (el) => el.textContent);
    step(`webview text: ${JSON.stringify(text)} (frame ${frame.url().slice(0, 90)}...)`);
    if (text !== 'hello 42') throw new Error(`unexpected webview text ${JSON.stringify(text)}`);
    const png = await screenshot(wb.page, useVsix ? 'harness-selftest-webview-vsix' : 'harness-selftest-webview');
    step(`screenshot ${png}`);
  } catch (e) {
    if (wb) await screenshot(wb.page, 'harness-selftest-failure').catch(() => undefined);
    console.error(server.logs());
    throw e;
  } finally {
    await wb?.close();
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  // Every process code-server started carries its temp folder in its environment (XDG_*_HOME).
  const left = processesMentioning(path.dirname(server.userDataDir));
  if (left.length > 0) throw new Error(`processes left after stop():\n${left.join('\n')}`);
  step('no code-server process left');
  console.log(`harness self-test (${useVsix ? 'vsix' : 'unpacked'}): 1 passed, 0 failed`);
}

/** Command lines of the running processes whose command line or environment contains `needle`. */
function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (cmd.includes(needle) || env.includes(needle)) found.push(`${pid} ${cmd}`);
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
