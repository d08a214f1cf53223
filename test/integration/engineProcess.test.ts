// The built engine bundle, forked the way the extension forks it, answers over IPC.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import { engineSpawn } from '../../native/engine/spawnOptions';
import { engineResultGuards } from '../../native/protocol/engineProtocol';

test('engine process answers hello, rejects malformed messages and exits when the parent disconnects', async () => {
  const spawn = engineSpawn(resolve('dist'), process.env);
  const child = fork(spawn.modulePath, spawn.args, spawn.options);
  const replies: unknown[] = [];
  const next = () => new Promise<unknown>((done) => child.once('message', (m) => { replies.push(m); done(m); }));

  let reply = next();
  child.send({ type: 'request', id: 1, method: 'hello', params: {} });
  const hello = (await reply) as { type: string; result: unknown };
  assert.equal(hello.type, 'response');
  assert.ok(engineResultGuards.hello(hello.result));
  const result = hello.result as { backends: { name: string }[]; pid: number };
  assert.ok(result.backends.some((b) => b.name === 'cpu'));
  assert.equal(result.pid, child.pid);

  reply = next();
  child.send({ type: 'request', method: 'hello' });
  assert.deepEqual(await reply, { type: 'error', id: null, error: { code: 'bad-message', message: 'request without a valid id (a non-negative integer)' } });

  reply = next();
  child.send({ type: 'request', id: 2, method: 'hello', params: {} });
  assert.equal(((await reply) as { type: string }).type, 'response');

  const exited = once(child, 'exit');
  child.disconnect();
  const [code] = await exited;
  assert.equal(code, 0);
});
