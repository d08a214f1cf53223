/**
 * The PrefLens panel for one dataset file, opened in the editor column beside it.
 *
 * Design note
 * - One panel per dataset URI; opening the same file again reveals the existing panel.
 * - The panel talks to the webview only through `RequestRouter` over the typed protocol in
 *   `native/protocol/webviewProtocol.ts`; every inbound message is guarded there.
 * - The webview is not kept alive when hidden (no `retainContextWhenHidden`): it restores its
 *   UI state from `vscode.getState()` and asks for data again with `ready`.
 * - The dataset is opened once (index cached in global storage); after the first summary a
 *   background pass checks every row and pushes `validationProgress` (at most once a second)
 *   and `datasetValidated`. A file watcher reopens the dataset and pushes `datasetChanged`
 *   when the file changes on disk; closing the panel cancels the pass and closes the file.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { stat } from 'node:fs/promises';
import type { Dataset } from '../../native/data/dataset';
import { RequestRouter } from '../../native/protocol/router';
import type { DatasetSummary, HostRequests, WebviewEvents } from '../../native/protocol/webviewProtocol';
import { openDataset, summarize, validate } from '../dataset/datasetSession';
import { ScoreSession } from '../engine/scoreSession';
import { logChannel } from '../log';
import { createPanelHandlers } from './panelHandlers';
import { renderPanelHtml } from './panelHtml';
import { PanelData } from './panelData';
import { explainRow, modelsConfigured } from './explainRow';
import { SCORED_KEY } from '../engine/scoredDatasets';
import { importedChoice } from '../commands/importScores';
import { FlagsStore } from '../../native/data/flagsStore';
import { DatasetEditorLink } from '../editor/datasetEditorLink';
import type { CounterfactualState, PanelFlag } from '../../native/protocol/webviewProtocol';

export const VIEW_TYPE = 'preflens.panel';

export class DatasetPanel implements vscode.Disposable {
  private static readonly open = new Map<string, DatasetPanel>();

  static show(context: vscode.ExtensionContext, dataset: vscode.Uri, column: vscode.ViewColumn): DatasetPanel {
    const existing = DatasetPanel.open.get(dataset.toString());
    if (existing) {
      existing.panel.reveal(column, true);
      return existing;
    }
    const panel = new DatasetPanel(context, dataset, column);
    DatasetPanel.open.set(dataset.toString(), panel);
    return panel;
  }

  /**
   * Restores a panel VS Code kept across a window reload (webview serializer): its webview
   * state names the dataset; the UI state (tab, selection, filters) comes back from that state.
   */
  static revive(context: vscode.ExtensionContext, webviewPanel: vscode.WebviewPanel, state: unknown): void {
    const uri = typeof state === 'object' && state !== null && typeof (state as { datasetUri?: unknown }).datasetUri === 'string' ? vscode.Uri.parse((state as { datasetUri: string }).datasetUri) : undefined;
    if (!uri || DatasetPanel.open.has(uri.toString())) {
      webviewPanel.dispose();
      return;
    }
    DatasetPanel.open.set(uri.toString(), new DatasetPanel(context, uri, webviewPanel));
  }

  static find(dataset: vscode.Uri): DatasetPanel | undefined {
    return DatasetPanel.open.get(dataset.toString());
  }

  static disposeAll(): void {
    for (const panel of [...DatasetPanel.open.values()]) panel.dispose();
  }

  private readonly panel: vscode.WebviewPanel;
  private readonly router: RequestRouter<HostRequests>;
  private readonly disposables: vscode.Disposable[] = [];
  private opened: Promise<Dataset> | undefined;
  readonly session: ScoreSession;
  readonly data: PanelData;
  readonly link: DatasetEditorLink;
  private validation: AbortController | undefined;
  private validated = false;

  private constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly datasetUri: vscode.Uri,
    column: vscode.ViewColumn | vscode.WebviewPanel,
  ) {
    const fileName = path.basename(datasetUri.fsPath);
    this.session = ScoreSession.for(datasetUri.toString());
    this.data = new PanelData({
      dataset: (signal) => this.dataset(signal),
      records: () => this.session.scoredRecords(),
      analysis: () => this.session.currentAnalysis(),
      flags: new FlagsStore(datasetUri.fsPath),
      explain: (index, signal) => explainRow(context, datasetUri, index, signal),
    });
    const options: vscode.WebviewOptions = {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist'), vscode.Uri.joinPath(context.extensionUri, 'media')],
    };
    if (typeof column === 'object') {
      this.panel = column;
      this.panel.webview.options = options;
    } else this.panel = vscode.window.createWebviewPanel(VIEW_TYPE, `PrefLens: ${fileName}`, { viewColumn: column, preserveFocus: true }, options);
    this.panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'preflens.svg');
    const trace = vscode.workspace.getConfiguration('preflens').get<boolean>('trace.protocol', false);
    const log = logChannel();
    this.router = new RequestRouter<HostRequests>(
      createPanelHandlers({
        summary: (signal) => this.summary(signal),
        scores: () => this.session.snapshot(modelsConfigured(context, datasetUri)),
        data: this.data,
        flagChanged: (index, flag) => this.flagChanged(index, flag),
        revealRow: (index, open) => this.link.revealRow(index, open),
        runCommand: (command) => this.runCommand(command),
        counterfactual: async (index, action, n) =>
          Boolean(action === 'open'
            ? await vscode.commands.executeCommand('preflens.editCounterfactual', this.datasetUri, index)
            : await vscode.commands.executeCommand('preflens.applyCounterfactual', this.datasetUri, index, n, action)),
      }),
      (message) => {
        if (trace) log.trace(`host -> panel ${JSON.stringify(message).slice(0, 500)}`);
        void this.panel.webview.postMessage(message);
      },
      (line) => log.warn(`[panel ${fileName}] ${line}`),
    );
    this.panel.webview.html = this.html(fileName);
    // A dataset scored before (another window, or before a reload): its scores come back from
    // the per-pair cache with no model call.
    // Scores imported from elsewhere come back by importing the same files again.
    if (this.session.status().state === 'none' && vscode.workspace.isTrusted && importedChoice(context, datasetUri)) {
      setTimeout(() => void vscode.commands.executeCommand('preflens.restoreImport', datasetUri), 0);
    } else if (this.session.status().state === 'none' && vscode.workspace.isTrusted && context.workspaceState.get<string[]>(SCORED_KEY, []).includes(datasetUri.toString()) && modelsConfigured(context, datasetUri)) {
      setTimeout(() => void vscode.commands.executeCommand('preflens.restoreScores', datasetUri), 0);
    }
    this.link = new DatasetEditorLink({ uri: datasetUri, dataset: () => this.dataset(), session: this.session, data: this.data, selectRow: (index) => this.selectRow(index) });
    this.disposables.push(this.link);
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((message: unknown) => {
        if (trace) log.trace(`panel -> host ${JSON.stringify(message).slice(0, 500)}`);
        this.router.receive(message);
      }),
      this.panel.onDidDispose(() => this.dispose()),
      { dispose: ScoreSession.for(datasetUri.toString()).subscribe((event) => {
        if (event.kind === 'progress') this.emit('scoreProgress', { done: event.done, total: event.total, records: event.records });
        else if (event.kind === 'analysis') {
          this.emit('scoreAnalysis', event.analysis);
          DatasetPanel.onAnalysisChanged.fire(this.datasetUri);
        }
        else this.emit('scoreState', { state: event.state, message: event.message, done: event.done, total: event.total });
      }) },
      this.watchDataset(),
    );
  }

  private html(fileName: string): string {
    const webview = this.panel.webview;
    const asset = (...parts: string[]): string =>
      webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, ...parts)).toString();
    return renderPanelHtml({
      cspSource: webview.cspSource,
      scriptUri: asset('dist', 'webview.js'),
      styleUri: asset('media', 'preflens.css'),
      title: `PrefLens: ${fileName}`,
    });
  }

  private dataset(signal?: AbortSignal): Promise<Dataset> {
    this.opened ??= openDataset(this.context, this.datasetUri, signal);
    this.opened.catch(() => (this.opened = undefined));
    return this.opened;
  }

  private async summary(signal: AbortSignal): Promise<DatasetSummary> {
    const dataset = await this.dataset(signal);
    const { size } = await stat(this.datasetUri.fsPath);
    const summary = summarize(dataset, this.datasetUri, size);
    if (!this.validated) setImmediate(() => this.startValidation(dataset));
    return summary;
  }

  /** Checks every row in the background; progress at most once a second. */
  private startValidation(dataset: Dataset): void {
    if (this.validation || this.validated) return;
    const controller = (this.validation = new AbortController());
    let last = 0;
    validate(dataset, controller.signal, (done, total) => {
      const now = Date.now();
      if (now - last >= 1000) {
        last = now;
        this.emit('validationProgress', { done, total });
      }
    }).then(
      (result) => {
        this.validated = true;
        this.emit('datasetValidated', result);
        this.link.setRowIssues(result.issues);
      },
      (error: unknown) => {
        if (!controller.signal.aborted) logChannel().error(`validating ${this.datasetUri.fsPath}: ${error instanceof Error ? error.message : String(error)}`);
      },
    ).finally(() => {
      if (this.validation === controller) this.validation = undefined;
    });
  }

  /** Drops the open dataset so the next request reopens it (the file changed on disk). */
  private async reset(): Promise<void> {
    this.validation?.abort();
    this.validation = undefined;
    this.validated = false;
    this.link.setRowIssues([]);
    const previous = this.opened;
    this.opened = undefined;
    await previous?.then((d) => d.close(), () => undefined);
  }

  private watchDataset(): vscode.Disposable {
    const folder = vscode.Uri.file(path.dirname(this.datasetUri.fsPath));
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, path.basename(this.datasetUri.fsPath)));
    let pending: ReturnType<typeof setTimeout> | undefined;
    const refresh = (): void => {
      if (pending) clearTimeout(pending);
      // Debounced: editors and generators often write a file in several steps.
      pending = setTimeout(() => {
        const controller = new AbortController();
        void this.reset().then(() => this.summary(controller.signal)).then(
          (summary) => {
            this.emit('datasetChanged', summary);
            this.link.refresh();
            // re-score what changed: pairs are cached by id, so only new or edited pairs run
            const rescore = vscode.workspace.getConfiguration('preflens', this.datasetUri).get<boolean>('rescoreOnChange', true);
            if (rescore && vscode.workspace.isTrusted && this.session.status().state === 'done') void vscode.commands.executeCommand('preflens.scoreDataset', this.datasetUri);
          },
          (error: unknown) => this.emit('datasetError', { message: error instanceof Error ? error.message : String(error) }),
        );
      }, 300);
    };
    watcher.onDidChange(refresh);
    watcher.onDidCreate(refresh);
    watcher.onDidDelete(() => this.emit('datasetError', { message: `${this.datasetUri.fsPath} was deleted` }));
    return new vscode.Disposable(() => {
      if (pending) clearTimeout(pending);
      watcher.dispose();
    });
  }

  /** A flag changed (panel, quick fix, CodeLens): the panel, diagnostics and decorations follow. */
  flagChanged(index: number, flag: PanelFlag | null): void {
    this.emit('flagChanged', { index, flag });
    this.link.refresh();
    DatasetPanel.onFlagsChanged.fire(this.datasetUri);
  }

  /** Flags changed wholesale (cleared): every view reloads them. */
  flagsReloaded(): void {
    this.data.reloadFlags();
    this.emit('flagsReset', {});
    this.link.refresh();
    DatasetPanel.onFlagsChanged.fire(this.datasetUri);
  }

  static readonly onFlagsChanged = new vscode.EventEmitter<vscode.Uri>();
  static readonly onAnalysisChanged = new vscode.EventEmitter<vscode.Uri>();

  private async runCommand(command: 'score' | 'configureModels' | 'openReport'): Promise<boolean> {
    if (command === 'score') void vscode.commands.executeCommand('preflens.scoreDataset', this.datasetUri);
    else if (command === 'configureModels') {
      const commands = await vscode.commands.getCommands(true);
      if (commands.includes('preflens.configureModels')) void vscode.commands.executeCommand('preflens.configureModels', this.datasetUri);
      else void vscode.commands.executeCommand('workbench.action.openSettings', 'preflens.policyModel');
    } else return false;
    return true;
  }

  /** The editor (cursor, CodeLens, hover link, Problems panel) selects a row in the panel. */
  selectRow(index: number): void {
    this.emit('selectRow', { index });
  }

  /** Shows a counterfactual's latest state in the panel. */
  showCounterfactual(state: CounterfactualState): void {
    this.emit('counterfactual', state);
  }

  reveal(): void {
    this.panel.reveal(undefined, true);
  }

  private emit<K extends keyof WebviewEvents>(event: K, data: WebviewEvents[K]): void {
    this.router.emit(event, data);
  }

  dispose(): void {
    if (!DatasetPanel.open.delete(this.datasetUri.toString())) return;
    this.router.dispose();
    void this.reset();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.panel.dispose();
  }
}
