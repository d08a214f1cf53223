// Device selection on a machine without a GPU (as here and in CI): `auto` falls back to the CPU
// and says why; `cuda` fails with what to install; `cpu` never tries CUDA.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { openSession } from '../../native/engine/device';

const MODEL = 'test/fixtures/trl-golden/models/reference/onnx/model.onnx';
const hasCuda = existsSync('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so');

test('auto falls back to the CPU with the reason when CUDA cannot load', { skip: hasCuda ? 'CUDA provider libraries are installed here: the fallback cannot be observed' : false }, async () => {
  const opened = await openSession(MODEL, 'auto', 1);
  assert.equal(opened.device, 'cpu');
  if (process.platform === 'linux' && process.arch === 'x64') assert.match(opened.reason, /CUDA unavailable \(.*\); using the CPU with 1 thread/);
  await opened.session.release();
});

test('cuda fails with what is missing and how to get it', { skip: hasCuda ? 'CUDA provider libraries are installed here' : false }, async () => {
  await assert.rejects(openSession(MODEL, 'cuda', 1), (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.match(error.message, /device "cuda" could not be used/);
    assert.match(error.message, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
    assert.match(error.message, /cuDNN 9/);
    return true;
  });
});

test('cpu never tries CUDA', async () => {
  const opened = await openSession(MODEL, 'cpu', 1);
  assert.equal(opened.device, 'cpu');
  assert.match(opened.reason, /^CPU with 1 thread/);
  await opened.session.release();
});
