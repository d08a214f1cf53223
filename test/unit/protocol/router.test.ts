import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isEmptyParams, isShape, isString } from '../../../native/protocol/guards';
import { RequestError, RequestRouter, type MethodSpec, type OutboundMessage } from '../../../native/protocol/router';

type Methods = {
  echo: MethodSpec<{ text: string }, string>;
  slow: MethodSpec<Record<string, never>, string>;
  boom: MethodSpec<Record<string, never>, string>;
};

function setup() {
  const sent: OutboundMessage[] = [];
  let release: () => void = () => undefined;
  const router = new RequestRouter<Methods>(
    {
      echo: { guard: isShape<{ text: string }>({ text: isString }), handle: ({ text }) => text.toUpperCase() },
      slow: {
        guard: isEmptyParams,
        handle: (_p, { signal }) =>
          new Promise<string>((resolve, reject) => {
            release = () => resolve('done');
            signal.addEventListener('abort', () => reject(new Error('aborted')));
          }),
      },
      boom: {
        guard: isEmptyParams,
        handle: () => {
          throw new RequestError('not-found', 'nothing here');
        },
      },
    },
    (message) => sent.push(message),
  );
  return { router, sent, release: () => release() };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

test('answers a well-formed request', async () => {
  const { router, sent } = setup();
  router.receive({ type: 'request', id: 1, method: 'echo', params: { text: 'hi' } });
  await flush();
  assert.deepEqual(sent, [{ type: 'response', id: 1, result: 'HI' }]);
});

test('rejects malformed messages with error replies and keeps serving', async () => {
  const { router, sent } = setup();
  const malformed: unknown[] = [null, 'request', 42, [], { type: 'request' }, { type: 'request', id: -1, method: 'echo' }, { type: 'request', id: 1.5, method: 'echo' }, { type: 'nonsense', id: 7 }, { type: 'request', id: 8, method: '' }];
  for (const message of malformed) router.receive(message);
  router.receive({ type: 'request', id: 9, method: 'echo', params: { text: 'still here' } });
  await flush();
  const errors = sent.filter((m) => m.type === 'error');
  assert.equal(errors.length, malformed.length);
  for (const error of errors) assert.equal(error.type === 'error' && error.error.code, 'bad-message');
  // ids are echoed when they can be read, so the caller can fail the right request
  assert.deepEqual(errors.map((e) => (e.type === 'error' ? e.id : 'x')), [null, null, null, null, null, null, null, 7, 8]);
  assert.deepEqual(sent.at(-1), { type: 'response', id: 9, result: 'STILL HERE' });
});

test('unknown methods and bad params are distinguished', async () => {
  const { router, sent } = setup();
  router.receive({ type: 'request', id: 1, method: 'constructor', params: {} });
  router.receive({ type: 'request', id: 2, method: 'echo', params: { text: 3 } });
  await flush();
  assert.deepEqual(sent.map((m) => m.type === 'error' && [m.id, m.error.code]), [[1, 'unknown-method'], [2, 'bad-params']]);
});

test('handler errors become error replies with their code', async () => {
  const { router, sent } = setup();
  router.receive({ type: 'request', id: 3, method: 'boom', params: {} });
  await flush();
  assert.deepEqual(sent, [{ type: 'error', id: 3, error: { code: 'not-found', message: 'nothing here' } }]);
});

test('cancel aborts the handler and the reply says cancelled', async () => {
  const { router, sent } = setup();
  router.receive({ type: 'request', id: 4, method: 'slow', params: {} });
  router.receive({ type: 'cancel', id: 4 });
  await flush();
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.type === 'error' && sent[0].error.code, 'cancelled');
});

test('a duplicate in-flight id is refused without disturbing the first request', async () => {
  const { router, sent, release } = setup();
  router.receive({ type: 'request', id: 5, method: 'slow', params: {} });
  router.receive({ type: 'request', id: 5, method: 'slow', params: {} });
  await flush();
  release();
  await flush();
  assert.deepEqual(sent.map((m) => m.type), ['error', 'response']);
});
