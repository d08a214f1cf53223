/**
 * Reads and checks the scoring settings for a dataset: model folders (resolved against the
 * workspace folder), beta, max length, device, token budget, cache size.
 */
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ScoreParams } from '../../native/protocol/engineProtocol';
import { cacheDirOf, mappingFromSettings } from '../dataset/datasetSession';

export class SettingsProblem extends Error {}

export function resolveFolder(value: string, scope: vscode.Uri): string {
  const folder = vscode.workspace.getWorkspaceFolder(scope)?.uri.fsPath ?? path.dirname(scope.fsPath);
  const expanded = value.replace(/\$\{workspaceFolder\}/g, folder).replace(/^~(?=\/|$)/, process.env.HOME ?? '~');
  return path.isAbsolute(expanded) ? expanded : path.join(folder, expanded);
}

/** The suspicion thresholds from the settings (scoring and imports use the same ones). */
export function suspicionThresholds(config: vscode.WorkspaceConfiguration): NonNullable<ScoreParams['thresholds']> {
  return {
    marginScales: config.get<number>('suspicion.marginScales', 0.25),
    referenceC: config.get<number>('suspicion.referenceC', 2),
    nearIdentical: config.get<number>('suspicion.nearIdentical', 0.85),
  };
}

export function scoreParams(context: vscode.ExtensionContext, dataset: vscode.Uri): ScoreParams {
  const config = vscode.workspace.getConfiguration('preflens', dataset);
  const policy = config.get<string>('policyModel', '').trim();
  const reference = config.get<string>('referenceModel', '').trim();
  if (!policy || !reference) throw new SettingsProblem('set preflens.policyModel and preflens.referenceModel to the two model folders (Hugging Face ONNX exports) first');
  const params: ScoreParams = {
    dataset: dataset.fsPath,
    mapping: mappingFromSettings(dataset),
    policy: resolveFolder(policy, dataset),
    reference: resolveFolder(reference, dataset),
    beta: config.get<number>('beta', 0.1),
    maxLength: config.get<number>('maxLength', 1024),
    device: config.get<'auto' | 'cpu' | 'cuda'>('device', 'auto'),
    tokenBudget: config.get<number>('tokenBudget', 4096),
    cacheDir: cacheDirOf(context),
    cacheMaxBytes: config.get<number>('cacheSizeMB', 2048) * 2 ** 20,
    checkpoints: config.get<string[]>('checkpoints', []).map((c) => resolveFolder(c, dataset)),
    outOfSample: config.get<string>('outOfSample', '').trim() || undefined,
    thresholds: suspicionThresholds(config),
  };
  for (const [name, dir] of [['policyModel', params.policy], ['referenceModel', params.reference], ...(params.checkpoints ?? []).map((c) => ['checkpoints', c] as const)] as const) {
    if (!existsSync(dir)) throw new SettingsProblem(`preflens.${name}: ${dir} does not exist`);
  }
  if (params.outOfSample && !/^[^=]+=.+$/.test(params.outOfSample)) throw new SettingsProblem(`preflens.outOfSample should look like FIELD=VALUE (for example split=heldout), not "${params.outOfSample}"`);
  return params;
}
