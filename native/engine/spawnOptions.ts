/**
 * How the engine child process is started, in one place so it can be unit-tested.
 *
 * `process.execPath` is Node under the CLI and code-server, but the Electron binary under
 * desktop VS Code: `ELECTRON_RUN_AS_NODE=1` makes Electron behave as plain Node there. The
 * engine's own path is resolved from the bundle's location (`dist/engine.js` beside the
 * caller's bundle), never from the working directory.
 */
import type { ForkOptions } from 'node:child_process';
import { join } from 'node:path';

export interface EngineSpawn {
  modulePath: string;
  args: string[];
  options: ForkOptions;
}

export function engineSpawn(distDir: string, env: NodeJS.ProcessEnv, execPath: string = process.execPath): EngineSpawn {
  return {
    modulePath: join(distDir, 'engine.js'),
    args: [],
    options: {
      execPath,
      env: { ...env, ELECTRON_RUN_AS_NODE: '1', ORT_DISABLE_TELEMETRY: '1' },
      // stdout/stderr are piped so the host can forward them to its log; IPC carries the protocol.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    },
  };
}
