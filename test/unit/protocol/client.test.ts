import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolRequestError, RequestClient } from '../../../native/protocol/client';
import type { CancelMessage, RequestMessage } from '../../../native/protocol/envelope';
import { isEmptyParams, isShape, isString } from '../../../native/protocol/guards';
import { RequestRouter, type MethodSpec } from '../../../native/protocol/router';

type Methods = { greet: MethodSpec<{ name: string }, { greeting: string }>; hang: MethodSpec<Record<string, never>, string> };
type Events = { tick: { n: number } };

function pair() {
  const router = new RequestRouter<Methods>(
    {
      greet: { guard: isShape<{ name: string }>({ name: isString }), handle: ({ name }) => ({ greeting: `hello ${name}` }) },
      hang: { guard: isEmptyParams, handle: (_p, { signal }) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(new Error('x')))) },
    },
    (message) => setImmediate(() => client.receive(message)),
  );
  const sent: (RequestMessage | CancelMessage)[] = [];
  const bad: string[] = [];
  const client: RequestClient<Methods, Events> = new RequestClient<Methods, Events>(
    (message) => {
      sent.push(message);
      setImmediate(() => router.receive(message));
    },
    { greet: isShape<{ greeting: string }>({ greeting: isString }), hang: isString },
    { tick: isShape<{ n: number }>({ n: (v): v is number => typeof v === 'number' }) },
    (problem) => bad.push(problem),
  );
  return { client, router, sent, bad };
}

test('request/response round trip with increasing ids', async () => {
  const { client, sent } = pair();
  assert.deepEqual(await client.request('greet', { name: 'ada' }), { greeting: 'hello ada' });
  assert.deepEqual(await client.request('greet', { name: 'bob' }), { greeting: 'hello bob' });
  assert.deepEqual(sent.map((m) => m.id), [1, 2]);
  assert.equal(client.inFlight, 0);
});

test('abort sends cancel and rejects with cancelled', async () => {
  const { client, sent } = pair();
  const controller = new AbortController();
  const pending = client.request('hang', {}, { signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, (e: unknown) => e instanceof ProtocolRequestError && e.code === 'cancelled');
  assert.deepEqual(sent.map((m) => m.type), ['request', 'cancel']);
});

test('timeout rejects and cancels', async () => {
  const { client } = pair();
  await assert.rejects(client.request('hang', {}, { timeoutMs: 20 }), (e: unknown) => e instanceof ProtocolRequestError && e.code === 'timeout');
});

test('replies of the wrong shape are rejected, events are guarded', async () => {
  const { client, bad } = pair();
  const seen: number[] = [];
  client.on('tick', ({ n }) => seen.push(n));
  const pending = client.request('greet', { name: 'x' });
  // a hostile peer answering first with a wrong shape
  client.receive({ type: 'response', id: 1, result: { greeting: 42 } });
  await assert.rejects(pending, (e: unknown) => e instanceof ProtocolRequestError && e.code === 'bad-message');
  client.receive({ type: 'event', event: 'tick', data: { n: 1 } });
  client.receive({ type: 'event', event: 'tick', data: { n: 'one' } });
  client.receive({ type: 'event', event: 'unknown', data: {} });
  client.receive('garbage');
  assert.deepEqual(seen, [1]);
  assert.equal(bad.length, 3);
});

test('failAll rejects everything in flight', async () => {
  const { client } = pair();
  const pending = client.request('hang', {});
  client.failAll('engine-exited', 'engine died');
  await assert.rejects(pending, /engine died/);
});
