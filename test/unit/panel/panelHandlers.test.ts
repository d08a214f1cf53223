// The host side of the panel protocol, exercised exactly as the webview would drive it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPanelHandlers } from '../../../extension/panel/panelHandlers';
import { PanelData } from '../../../extension/panel/panelData';
import { FlagsStore } from '../../../native/data/flagsStore';
import { RequestRouter, type OutboundMessage } from '../../../native/protocol/router';
import { WEBVIEW_PROTOCOL_VERSION, hostResultGuards, type HostRequests } from '../../../native/protocol/webviewProtocol';

const summary = { fileName: 'pairs.jsonl', datasetUri: 'file:///data/pairs.jsonl', displayPath: 'data/pairs.jsonl', format: 'jsonl', schema: { kind: 'trl-explicit-standard', description: 'TRL' }, schemaProblem: null, records: 3, bytes: 120 };
const flush = () => new Promise((resolve) => setTimeout(resolve, 5));

function host() {
  const sent: OutboundMessage[] = [];
  let calls = 0;
  const router = new RequestRouter<HostRequests>(
    createPanelHandlers({
      summary: async () => (calls++, summary),
      scores: () => ({ state: 'none', message: null, done: 0, total: 0, modelsConfigured: false, analysis: null }),
      data: new PanelData({ dataset: () => Promise.reject(new Error('not used')), records: () => new Map(), analysis: () => null, flags: new FlagsStore('/nonexistent/x.jsonl'), explain: async () => 'no models' }),
      flagChanged: () => undefined,
      revealRow: async () => false,
      runCommand: async () => false,
      counterfactual: async () => false,
    }),
    (m) => sent.push(m),
  );
  return { router, sent, calls: () => calls };
}

test('ready answers with the protocol version and the dataset summary', async () => {
  const { router, sent } = host();
  router.receive({ type: 'request', id: 1, method: 'ready', params: { protocolVersion: WEBVIEW_PROTOCOL_VERSION } });
  await flush();
  assert.equal(sent.length, 1);
  const reply = sent[0]!;
  assert.equal(reply.type, 'response');
  assert.ok(reply.type === 'response' && hostResultGuards.ready(reply.result));
  assert.deepEqual(reply.type === 'response' && reply.result, { protocolVersion: WEBVIEW_PROTOCOL_VERSION, summary });
});

test('a malformed message is rejected with an error reply, the host keeps working and answers the next valid message', async () => {
  const { router, sent, calls } = host();
  router.receive({ type: 'request', id: 'one', method: 'getDatasetSummary', params: {} }); // id of the wrong type
  router.receive({ type: 'request', id: 2, method: 'getDatasetSummary', params: { path: '/etc/passwd' } }); // unexpected params
  router.receive({ type: 'request', id: 3, method: 'ready', params: { protocolVersion: 999 } }); // wrong protocol
  router.receive({ type: 'request', id: 4, method: '__proto__', params: {} });
  await flush();
  assert.equal(sent.length, 4, 'every rejected message got exactly one reply');
  assert.ok(sent.every((m) => m.type === 'error'));
  const codes = new Map(sent.map((m) => (m.type === 'error' ? [m.id, m.error.code] : [-1, m.type])));
  assert.equal(codes.get(null), 'bad-message');
  assert.equal(codes.get(2), 'bad-params');
  assert.equal(codes.get(3), 'bad-params');
  assert.equal(codes.get(4), 'unknown-method');
  assert.equal(calls(), 0, 'no rejected message reached the dataset');

  router.receive({ type: 'request', id: 5, method: 'getDatasetSummary', params: {} });
  await flush();
  assert.deepEqual(sent.at(-1), { type: 'response', id: 5, result: summary });
  assert.equal(calls(), 1);
});
