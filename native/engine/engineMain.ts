/**
 * Entry point of the engine child process (`dist/engine.js`).
 *
 * The extension host forks this file (with ELECTRON_RUN_AS_NODE=1 under desktop VS Code) and
 * talks to it over the IPC channel with the engine protocol. Inference runs here, never on the
 * extension-host thread, because onnxruntime-node's `session.run` blocks the thread it runs on.
 */
import * as ort from 'onnxruntime-node';
import { RequestRouter } from '../protocol/router';
import { ENGINE_PROTOCOL_VERSION, engineParamGuards, type EngineRequests } from '../protocol/engineProtocol';

function onnxruntimeVersion(): string {
  const versions = (ort.env as { versions?: Record<string, string> }).versions;
  return versions?.node ?? versions?.common ?? 'unknown';
}

function main(): void {
  const send = process.send?.bind(process);
  if (!send) {
    console.error('preflens engine: must be started with an IPC channel (child_process.fork).');
    process.exit(2);
  }
  const router = new RequestRouter<EngineRequests>(
    {
      hello: {
        guard: engineParamGuards.hello,
        handle: () => ({
          protocolVersion: ENGINE_PROTOCOL_VERSION,
          pid: process.pid,
          node: process.version,
          onnxruntime: onnxruntimeVersion(),
          backends: ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled })),
        }),
      },
    },
    (message) => send(message),
    (line) => console.error(`preflens engine: ${line}`),
  );
  process.on('message', (message: unknown) => router.receive(message));
  // The parent going away closes the channel: exit instead of lingering as an orphan.
  process.on('disconnect', () => {
    router.dispose();
    process.exit(0);
  });
}

main();
