/**
 * The extension's handle on the engine process: one supervised child per window, started on
 * first use (never in an untrusted workspace), logging to the PrefLens output channel, shut
 * down with the extension. Crashes are reported to the user with their cause.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineSupervisor } from '../../native/engine/engineSupervisor';
import { logChannel } from '../log';

let supervisor: EngineSupervisor | undefined;

export function engine(context: vscode.ExtensionContext): EngineSupervisor {
  if (!vscode.workspace.isTrusted) throw new Error('PrefLens does not run models in an untrusted workspace');
  supervisor ??= new EngineSupervisor({
    distDir: path.join(context.extensionPath, 'dist'),
    log: (level, line) => logChannel()[level](`[engine] ${line}`),
    onExit: ({ cause }) => {
      void vscode.window.showWarningMessage(`PrefLens: ${cause}. It will be restarted.`, 'Show Engine Log').then((choice) => {
        if (choice) logChannel().show();
      });
    },
  });
  return supervisor;
}

/** For tests and diagnostics: the running engine's pid, if any. */
export function enginePid(): number | undefined {
  return supervisor?.pid;
}

export async function shutdownEngine(): Promise<void> {
  await supervisor?.dispose();
  supervisor = undefined;
}
